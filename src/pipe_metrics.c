/*
 * pipe_metrics.c - what the pipeline reports: the Prometheus text of
 * /metrics and the summary line at the end of a run (include/
 * xm_pipeline.h).  Reads the pipeline's state (pipeline_int.h) and its
 * modules' counters; writes nothing else.
 */
#include "pipeline_int.h"

#include <inttypes.h>
#include <stdio.h>

static void pipe_metric(FILE *f, const char *name, const char *type, const char *help,
                        uint64_t v)
{
    char full[80];
    snprintf(full, sizeof full, "exfilmon_%s", name);
    xm_prom_metric(f, full, type, help, v);
}

static void pipe_metrics_decode(const struct xm_pipeline *pl, FILE *f)
{
    const char *results = "exfilmon_decode_results_total";
    xm_prom_head(f, results, "counter", "Packets by decode outcome.");
    for (int r = 0; r < DEC_RESULT_MAX; r++)
        xm_prom_u64(f, results, "result", dec_result_name((enum dec_result)r),
                    pl->dec.result[r]);
    const char *errors = "exfilmon_decode_errors_total";
    xm_prom_head(f, errors, "counter", "Packets not decoded, by reason.");
    for (int r = 1; r < DR_MAX; r++)
        xm_prom_u64(f, errors, "reason", dec_reason_name((enum dec_reason)r),
                    pl->dec.reason[r]);
}

static void pipe_metrics_tables(const struct xm_pipeline *pl, FILE *f)
{
    const struct flow_stats *fs = flow_table_stats(pl->flows);
    const struct host_stats *hs = host_table_stats(pl->hosts);
    pipe_metric(f, "flows_active", "gauge", "Flows in the table.", fs->active);
    pipe_metric(f, "flows_capacity", "gauge", "Flow table cap.", flow_table_capacity(pl->flows));
    pipe_metric(f, "flows_created_total", "counter", "Flows created.", fs->created);
    pipe_metric(f, "flows_ended_total", "counter", "Flows ended.", fs->ended);
    pipe_metric(f, "flows_evicted_total", "counter", "Flows evicted (table full).", fs->evicted);
    pipe_metric(f, "flows_interim_total", "counter", "Interim flow records.", fs->interim);
    pipe_metric(f, "fragments_orphan_total", "counter",
                "Non-first fragments whose first fragment never came.", fs->frag_orphan);
    pipe_metric(f, "hosts_active", "gauge", "Local hosts in the table.", hs->active);
    pipe_metric(f, "hosts_evicted_total", "counter", "Hosts evicted (table full).", hs->evicted);
}

/* Rule-engine key tables per scope: keys held, and keys evicted at the
 * cap (--max-hosts, --max-pairs, --max-flows): an evicted key's windows
 * and baselines restart from zero if it returns. */
static void pipe_metrics_rules(const struct xm_pipeline *pl, FILE *f)
{
    if (!pl->rules)
        return;
    const struct rules_engine_stats *rs = rules_engine_stats(pl->rules);
    const char *km = "exfilmon_rule_keys", *em = "exfilmon_rule_keys_evicted_total";
    xm_prom_head(f, km, "gauge", "Rule-engine keys held, by scope.");
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        xm_prom_u64(f, km, "scope", rules_scope_name((enum rules_scope)s), rs->keys[s].used);
    xm_prom_head(f, em, "counter", "Rule-engine keys evicted at the table cap, by scope.");
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        xm_prom_u64(f, em, "scope", rules_scope_name((enum rules_scope)s),
                    rs->keys[s].evicted);
}

/* Rule keys evicted over every scope (summary line). */
static uint64_t pipe_rule_evictions(const struct xm_pipeline *pl)
{
    uint64_t n = 0;
    if (!pl->rules)
        return 0;
    const struct rules_engine_stats *rs = rules_engine_stats(pl->rules);
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        n += rs->keys[s].evicted;
    return n;
}

/* The bounded tables beside the flow, host and rule-key tables: the
 * stage's (names, app records, first-seen domains, beacons, AI hosts)
 * and the rule engine's first-seen pairs, destinations and cooldowns.
 * Returns the rows written into out (PIPE_TABLES at most). */
#define PIPE_TABLES (STAGE_TABLES + 3)
static size_t pipe_tables(const struct xm_pipeline *pl, struct xm_tab_row *out)
{
    size_t n = stage_tables(pl->stage, out);
    if (!pl->rules)
        return n;
    const struct rules_engine_stats *rs = rules_engine_stats(pl->rules);
    out[n++] = (struct xm_tab_row){"rule_first_seen_pairs", rs->seen};
    out[n++] = (struct xm_tab_row){"rule_destinations", rs->dsts};
    out[n++] = (struct xm_tab_row){"rule_cooldowns", rs->supp};
    return n;
}

/* One family over the rows: field 0 entries, 1 capacity, 2 evicted,
 * 3 refused. */
static void pipe_table_family(FILE *f, const struct xm_tab_row *r, size_t n, int field)
{
    static const char *const name[] = {
        "exfilmon_table_entries", "exfilmon_table_capacity",
        "exfilmon_table_evicted_total", "exfilmon_table_refused_total"};
    static const char *const type[] = {"gauge", "gauge", "counter", "counter"};
    static const char *const help[] = {
        "Entries held, by table.", "Entry cap, by table (flags or built-in).",
        "Entries dropped for new ones at the cap (least recently used first), by table.",
        "New entries refused at the cap or for want of memory, by table."};
    xm_prom_head(f, name[field], type[field], help[field]);
    for (size_t i = 0; i < n; i++) {
        const struct xm_tab_stats *s = &r[i].st;
        uint64_t v = field == 0 ? s->used : field == 1 ? s->cap
                   : field == 2 ? s->evicted : s->failed;
        xm_prom_u64(f, name[field], "table", r[i].name, v);
    }
}

static void pipe_metrics_more_tables(const struct xm_pipeline *pl, FILE *f)
{
    struct xm_tab_row rows[PIPE_TABLES];
    size_t n = pipe_tables(pl, rows);
    for (int field = 0; field < 4; field++)
        pipe_table_family(f, rows, n, field);
}

/* Summary: "; tables at their cap: NAME E evicted R refused, ..." for
 * the tables of pipe_tables that dropped anything (nothing otherwise). */
static void pipe_summary_tables(const struct xm_pipeline *pl, FILE *f)
{
    struct xm_tab_row rows[PIPE_TABLES];
    size_t n = pipe_tables(pl, rows), shown = 0;
    for (size_t i = 0; i < n; i++) {
        const struct xm_tab_stats *s = &rows[i].st;
        if (!s->evicted && !s->failed)
            continue;
        fprintf(f, "%s %s", shown++ ? "," : "; tables at their cap:", rows[i].name);
        if (s->evicted)
            fprintf(f, " %" PRIu64 " evicted", s->evicted);
        if (s->failed)
            fprintf(f, " %" PRIu64 " refused", s->failed);
    }
}

/* Alerts by severity, egress totals and the rule count. */
static void pipe_metrics_site(const struct xm_pipeline *pl, FILE *f)
{
    static const char *const sev[] = {"other", "critical", "high", "medium", "low"};
    const char *sevm = "exfilmon_alerts_by_severity_total";
    xm_prom_head(f, sevm, "counter", "Alerts emitted, by the rule's severity.");
    for (size_t i = 0; i < XM_ARRAY_LEN(sev); i++)
        xm_prom_u64(f, sevm, "severity", sev[i], pl->st.alerts_by_severity[i]);
    const char *egm = "exfilmon_egress_bytes_total";
    xm_prom_head(f, egm, "counter",
                 "IP bytes between home-net and outside addresses, by direction (out = sent "
                 "from home), added as flows end or write interim records.");
    xm_prom_u64(f, egm, "direction", "out", pl->st.egress_bytes_out);
    xm_prom_u64(f, egm, "direction", "in", pl->st.egress_bytes_in);
    pipe_metric(f, "rules_loaded", "gauge", "Rules in the running set.",
                pipe_rules_count(pl));
}

size_t pipe_rules_count(const struct xm_pipeline *pl)
{
    return pl->rules ? rules_engine_stats(pl->rules)->n_rules : 0;
}

void pipe_write_metrics(const struct xm_pipeline *pl, FILE *f)
{
    pipe_metric(f, "packets_total", "counter", "Frames read.", pl->st.packets);
    pipe_metric(f, "captured_bytes_total", "counter", "Captured bytes.", pl->st.bytes_captured);
    pipe_metric(f, "ip_bytes_total", "counter", "IP-layer bytes of decoded packets.",
                pl->st.ip_bytes);
    pipe_metric(f, "out_of_order_total", "counter", "Packets older than the clock.",
                pl->st.out_of_order);
    pipe_metric(f, "alerts_total", "counter", "Alerts emitted.", pl->st.alerts);
    pipe_metric(f, "state_saves_total", "counter", "Learned-state saves (--state).",
                pl->st.state_saves);
    pipe_metric(f, "state_save_errors_total", "counter", "Learned-state saves that failed.",
                pl->st.state_save_errors);
    site_write_metrics(pl->site, f);
    pipe_metric(f, "alerts_suppressed_total", "counter",
                "Alerts held back by the suppression list (not written).",
                pl->st.alerts_suppressed);
    if (pl->sup)
        suppress_write_metrics(pl->sup, f);
    pipe_metrics_site(pl, f);
    pipe_metrics_decode(pl, f);
    pipe_metrics_tables(pl, f);
    pipe_metrics_rules(pl, f);
    pipe_metrics_more_tables(pl, f);
    stage_write_metrics(pl->stage, f);
}


void pipe_write_summary(const struct xm_pipeline *pl, FILE *f)
{
    const struct dec_stats *d = &pl->dec;
    const struct flow_stats *fs = flow_table_stats(pl->flows);
    fprintf(f, "exfilmon: %" PRIu64 " packets read, %" PRIu64 " decoded, %" PRIu64
            " not IP, %" PRIu64 " unsupported link type, %" PRIu64 " truncated, %"
            PRIu64 " invalid; %" PRIu64 " flows, %" PRIu64 " evicted; %" PRIu64
            " alerts",
            pl->st.packets, d->result[DEC_OK], d->result[DEC_NOT_IP],
            d->result[DEC_UNSUPPORTED_DLT], d->result[DEC_TRUNCATED],
            d->result[DEC_INVALID], fs->created, fs->evicted, pl->st.alerts);
    if (pl->opts->suppress_path)            /* same line: one log record */
        fprintf(f, " (%" PRIu64 " more suppressed by %s)", pl->st.alerts_suppressed,
                pl->opts->suppress_path);
    if (pl->inc)                            /* what --alert-mode incidents wrote */
        fprintf(f, "; %" PRIu64 " incident records", pl->st.incident_records);
    if (pl->rules)
        fprintf(f, "; %" PRIu64 " rule keys evicted", pipe_rule_evictions(pl));
    pipe_summary_tables(pl, f);
    fputc('\n', f);
}
