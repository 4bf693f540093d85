/*
 * xm_suppress_alert.h - applies a suppression list (xm_suppress.h) to an
 * EVE alert record (rules/suppress_alert.c).  The alert and flow are only
 * read; the list's hit counter of the matching entry grows.
 */
#ifndef XM_SUPPRESS_ALERT_H
#define XM_SUPPRESS_ALERT_H

#include <jansson.h>

#include "xm_flow.h"
#include "xm_suppress.h"

/* 1-based index of the entry that suppresses this alert, or 0.  f is the
 * flow in hand (NULL for alerts raised without one); now is packet time. */
size_t suppress_alert(struct suppress *s, const json_t *alert, const struct xm_flow *f,
                      xm_time_t now);

#endif
