/*
 * xm_enrich.h - the program's glue to the analysis stage (src/enrich.c):
 * options and config file -> struct stage_config -> the stage
 * (include/xm_stage.h), the rule field registry extended with the
 * stage's fields, and rule compilation against it.  The registry (and so
 * every compiled rule set) borrows from the stage: free the rule engine
 * before enrich_free().
 */
#ifndef XM_ENRICH_H
#define XM_ENRICH_H

#include <stdio.h>

#include "xm_opts.h"
#include "xm_rules.h"
#include "xm_stage.h"

struct enrich;

struct enrich *enrich_new(const struct xm_opts *o, char *err, size_t errlen);
void enrich_free(struct enrich *e);
struct rules_registry *enrich_rules_registry(struct enrich *e);
/* The analysis stage the pipeline feeds (owned by e). */
struct stage *enrich_stage(struct enrich *e);

/* Compiles o's rule files (or the bundled pack when none is given)
 * against e's registry.  On error fills err with "FILE:LINE:COL: error:
 * MESSAGE", the source line and a caret; returns -1. */
int enrich_compile_rules(struct enrich *e, const struct xm_opts *o,
                         struct rules_set **set, char *err, size_t errlen);

#endif
