/*
 * xm_enrich.h - the enrichment stack the pipeline owns (src/enrich.c):
 * app-layer parsers and names, GeoIP, indicator lists, look-alikes,
 * AI-host tagging, and the rule field registry extended with their
 * fields.  The registry (and so every compiled rule set) borrows from
 * this struct: free the rule engine before enrich_free().
 */
#ifndef XM_ENRICH_H
#define XM_ENRICH_H

#include <stdio.h>

#include <jansson.h>

#include "xm_app.h"
#include "xm_intel.h"
#include "xm_opts.h"
#include "xm_proc.h"
#include "xm_rules.h"

struct enrich;

struct enrich *enrich_new(const struct xm_opts *o, char *err, size_t errlen);
void enrich_free(struct enrich *e);
struct rules_registry *enrich_rules_registry(struct enrich *e);
struct app_ctx *enrich_app(struct enrich *e);
struct intel_ctx *enrich_intel_ctx(struct enrich *e);

/* Per packet after flow_update (app-layer inspection). */
void enrich_on_packet(struct enrich *e, const struct xm_pkt *p, struct xm_flow *f, int dir);
/* Flow end (interim records are ignored). */
void enrich_on_flow_end(struct enrich *e, struct xm_flow *f, enum flow_end_reason r);
/* Adds names, TLS/HTTP fields, geo, intel and host objects to a record. */
void enrich_record(struct enrich *e, const struct xm_flow *f, xm_time_t now, json_t *rec);

/* Alerts raised without a flow in hand (process scope from the tick):
 * adds "process" for exfil.key.process_id when known. */
void enrich_alert_process(struct enrich *e, json_t *alert);

/* Compiles o's rule files (or the bundled pack when none is given)
 * against e's registry.  On error fills err with "FILE:LINE:COL: error:
 * MESSAGE", the source line and a caret; returns -1. */
int enrich_compile_rules(struct enrich *e, const struct xm_opts *o,
                         struct rules_set **set, char *err, size_t errlen);
/* Process connector descriptor for the live loop (-1 when none), and
 * its handler. */
int enrich_proc_fd(const struct enrich *e);
void enrich_proc_readable(struct enrich *e);
/* Prometheus text of the enrichment counters. */
void enrich_write_metrics(const struct enrich *e, FILE *f);
/* --check: what was loaded (lists, GeoIP databases, inventory). */
void enrich_describe(const struct enrich *e, FILE *f);

#endif
