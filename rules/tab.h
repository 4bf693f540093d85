/*
 * tab.h - the engine's per-key tables are the base library's keyed
 * table (include/xm_tab.h, lib/tab.c).  These names keep the engine's
 * spelling until rules/engine.c is reorganised; new code uses xm_tab_*.
 */
#ifndef RULES_TAB_H
#define RULES_TAB_H

#include "xm_tab.h"

#define rtab xm_tab
#define rtab_hdr xm_tab_hdr
#define RTAB_KEY XM_TAB_KEY
#define rtab_init xm_tab_init
#define rtab_free xm_tab_free
#define rtab_find xm_tab_find
#define rtab_upsert xm_tab_upsert
#define rtab_touch xm_tab_touch
#define rtab_remove xm_tab_remove
#define rtab_next xm_tab_next
#define rtab_prev xm_tab_prev

#endif
