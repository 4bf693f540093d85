/*
 * pipeline_int.h - the pipeline's state, shared by src/pipeline.c (the
 * packet path, set-up, reload) and src/pipe_metrics.c (/metrics and the
 * summary line).  Private to those two files; pipeline.c owns every
 * member (pipe_new_ex() creates them, pipe_free() frees them).
 */
#ifndef XM_PIPELINE_INT_H
#define XM_PIPELINE_INT_H

#include "xm_pipeline.h"

#include "xm_enrich.h"
#include "xm_eve.h"
#include "xm_host.h"
#include "xm_cid.h"
#include "xm_incident.h"
#include "xm_log.h"
#include "xm_netset.h"
#include "xm_out.h"
#include "xm_rules.h"
#include "xm_site.h"
#include "xm_prom.h"
#include "xm_stage.h"
#include "xm_suppress_alert.h"

struct xm_pipeline {
    const struct xm_opts *opts;
    struct dec_stats dec;
    struct pipe_stats st;
    struct flow_table *flows;
    struct host_table *hosts;
    struct xm_tab acct;           /* host-total marks of flows with interims (pipe_acct.c) */
    struct xm_netset *home;
    struct out *flow_out;
    struct out *alert_out[3];     /* --alerts, --syslog, --socket */
    size_t n_alert_out;
    struct out *redis_out;        /* --redis: flow and alert/incident records */
    struct out *hook_out;         /* --webhook: incidents (alerts in alerts mode) */
    struct out *kafka_out;        /* --kafka: flow and alert/incident records */
    struct evew flow_txt;         /* flow records as text, reused (no tree) */
    struct enrich *enrich;
    struct stage *stage;          /* enrich_stage(enrich): analysis */
    struct rules_engine *rules;   /* NULL with --no-rules */
    struct inc_engine *inc;       /* NULL unless --alert-mode has incidents */
    bool raw_alerts;              /* --alert-mode alerts|both */
    struct suppress *sup;         /* NULL without --suppress */
    struct site *site;            /* --site-redis; NULL without */
    struct xm_flow *cur_flow;     /* flow whose packet is being processed */
    void (*alert_hook)(void *, const json_t *);
    void *alert_hook_ctx;
    xm_time_t now;          /* pipeline clock, packet time */
    xm_time_t next_tick;    /* next once-per-second housekeeping */
    bool finished;
};

/* pipe_acct.c: the part of a flow's counters not yet added to host
 * totals (the flow's end callback, reason r: interim = r is
 * FLOW_END_ACTIVE); the marks are updated (interim) or dropped (end). */
int pipe_acct_init(struct xm_pipeline *pl, uint32_t max_flows, uint64_t seed);
void pipe_acct_free(struct xm_pipeline *pl);
void pipe_acct_delta(struct xm_pipeline *pl, const struct xm_flow *f, bool interim,
                     uint64_t db[2], uint64_t dp[2]);

#endif
