/*
 * pipeline.c - decode -> flow -> host accounting -> outputs, the path
 * every packet takes in replay and live mode (see include/xm_pipeline.h).
 *
 * Per packet: one decode, one flow-table probe, and the later stages'
 * per-flow work; no allocation, no formatting.  Records are built only
 * when a flow ends or an interim record is due.
 *
 * Host totals: a flow's bytes are added to its local host(s) when the
 * flow ends and, for long flows, at each interim record (the delta since
 * the last one), so host totals are exact even for flows evicted under
 * memory pressure (an evicted flow still goes through the end callback).
 */
#include "xm_pipeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Longest flow record written (bytes); a longer one is not written. */
#define PIPE_FLOW_MAX (16u * 1024u * 1024u)

#include "pipeline_int.h"

/* Hands a flow's new bytes to the open incident of its local end (the
 * client when both are local). */
static void pipe_inc_flow(struct xm_pipeline *pl, const struct xm_flow *f, const uint64_t db[2])
{
    char cid[64];
    bool cli = f->local & FLOW_LOCAL_CLIENT;
    if (!(f->local & (FLOW_LOCAL_CLIENT | FLOW_LOCAL_SERVER)))
        return;
    uint32_t h = inc_flow_match(pl->inc, cli ? &f->cli : &f->srv, cli ? &f->srv : &f->cli);
    if (!h)
        return;
    const char *c = cid_flow(f, 0, cid, sizeof cid) == 0 ? cid : NULL;
    inc_flow_add(pl->inc, h, db[cli ? 0 : 1], db[cli ? 1 : 0], c, f->last);
}

/* Adds the part of f's counters not yet accounted to its local host(s)
 * (pipe_acct.c).  dir 0 bytes were sent by the client. */
static void pipe_account_hosts(struct xm_pipeline *pl, struct xm_flow *f,
                               enum flow_end_reason r)
{
    uint64_t db[2], dp[2];
    pipe_acct_delta(pl, f, r == FLOW_END_ACTIVE, db, dp);
    if (pl->inc)
        pipe_inc_flow(pl, f, db);
    const uint64_t to_srv[2] = {db[0], dp[0]}, to_cli[2] = {db[1], dp[1]};
    if (f->local & FLOW_LOCAL_CLIENT)
        host_account_both(pl->hosts, &f->cli, f->last, to_srv, to_cli);
    if (f->local & FLOW_LOCAL_SERVER)
        host_account_both(pl->hosts, &f->srv, f->last, to_cli, to_srv);
    if ((f->local & (FLOW_LOCAL_CLIENT | FLOW_LOCAL_SERVER)) == FLOW_LOCAL_CLIENT) {
        pl->st.egress_bytes_out += db[0];
        pl->st.egress_bytes_in += db[1];
    } else if ((f->local & (FLOW_LOCAL_CLIENT | FLOW_LOCAL_SERVER)) == FLOW_LOCAL_SERVER) {
        pl->st.egress_bytes_out += db[1];
        pl->st.egress_bytes_in += db[0];
    }
}

/* Index into alerts_by_severity from the alert's severity name. */
static size_t pipe_severity_slot(const json_t *alert)
{
    static const char *const names[] = {"critical", "high", "medium", "low"};
    const char *s = json_string_value(json_array_get(json_object_get(json_object_get(
        json_object_get(alert, "alert"), "metadata"), "severity_name"), 0));
    for (size_t i = 0; s && i < XM_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0)
            return i + 1;
    return 0;
}

/* The flow record, streamed (eve_flow_begin) into the reused buffer; the
 * stage's members (names, app, intel, process) are streamed after
 * "egress" (stage_write).  A record that failed (out of memory, longer
 * than PIPE_FLOW_MAX) is not written. */
static void pipe_flow_record(struct xm_pipeline *pl, const struct xm_flow *f,
                             enum flow_end_reason r)
{
    size_t n;
    evew_reset(&pl->flow_txt);
    eve_flow_begin(&pl->flow_txt, f, r, f->rule_fired != 0);
    stage_write(pl->stage, f, r == FLOW_END_ACTIVE ? f->last_interim : f->last,
                &pl->flow_txt);
    evew_obj_end(&pl->flow_txt);
    const char *s = evew_text(&pl->flow_txt, &n);
    if (!s)
        return;
    char key[64];
    eve_flow_local(f, key, sizeof key);
    out_write_text(pl->flow_out, "flow", key, s, n);
    out_write_text(pl->kafka_out, "flow", key, s, n);
    out_write_text(pl->redis_out, "flow", key, s, n);
    pl->st.flow_records++;
}

/* flow_end_fn: every ended flow and every interim record. */
static void pipe_on_flow_end(void *ctx, struct xm_flow *f, enum flow_end_reason r)
{
    struct xm_pipeline *pl = ctx;
    struct xm_flow *prev = pl->cur_flow;
    pl->cur_flow = f;
    pipe_account_hosts(pl, f, r);
    /* App state first: a ClientHello still being reassembled and the last
     * name lookup must reach the rules and the record; the flow's app
     * record stays readable until the next app call. */
    stage_on_flow_end(pl->stage, f, r);
    if (pl->rules)
        rules_on_flow_end(pl->rules, f, r);
    if (pl->flow_out || pl->redis_out || pl->kafka_out)
        pipe_flow_record(pl, f, r);
    pl->cur_flow = prev;
}

static void pipe_write_alerts(struct xm_pipeline *pl, json_t *alert);

/* Incident records show how long the rule engine has watched (its
 * history starts at the first packet, or comes with --state). */
static void pipe_inc_history(struct xm_pipeline *pl)
{
    inc_set_history(pl->inc, pl->rules ? rules_engine_history(pl->rules) : 0);
}

/* inc_emit_fn: incident records go where alerts go. */
static void pipe_on_incident(void *ctx, json_t *rec)
{
    struct xm_pipeline *pl = ctx;
    pl->st.incident_records++;
    pipe_write_alerts(pl, rec);
}

/* A host+destination alert from the tick names its destination from the
 * largest of its top flows that had a name. */
static void pipe_alert_name(struct xm_pipeline *pl, const struct rules_hit *hit, json_t *alert)
{
    struct rules_hit_top t;
    if (rules_hit_ctx(hit)->scope != RULES_SCOPE_HOSTDST || !rules_hit_top(hit, &t))
        return;
    const struct rules_top_flow *best = NULL;
    for (unsigned i = 0; i < RULES_TOP_K; i++)
        if (t.f[i].name_id && (!best || t.f[i].bytes > best->bytes))
            best = &t.f[i];
    if (best)
        stage_alert_name(pl->stage, alert, best->name_id, best->name_src);
}

/* rules_alert_fn: build the record, enrich it with what the flow in
 * hand knows, then hand it to the incidents and/or write it. */
static void pipe_on_alert(void *ctx, const struct rules_hit *hit)
{
    struct xm_pipeline *pl = ctx;
    json_t *alert = eve_alert_record(hit);
    if (!alert)
        return;
    if (pl->cur_flow)
        stage_record(pl->stage, pl->cur_flow, pl->now, alert);
    else
        pipe_alert_name(pl, hit, alert);
    stage_alert_process(pl->stage, alert);
    if (pl->sup && suppress_alert(pl->sup, alert, pl->cur_flow, pl->now)) {
        pl->st.alerts_suppressed++;       /* counted, not written */
        json_decref(alert);
        return;
    }
    pl->st.alerts++;
    pl->st.alerts_by_severity[pipe_severity_slot(alert)]++;
    if (pl->alert_hook)
        pl->alert_hook(pl->alert_hook_ctx, alert);
    if (pl->inc) {
        pipe_inc_history(pl);
        inc_on_alert(pl->inc, alert, pl->now);
    }
    if (!pl->raw_alerts) {
        json_decref(alert);
        return;
    }
    pipe_write_alerts(pl, alert);
}

/* Writes a record to every alert output (takes the reference). */
static void pipe_write_alerts(struct xm_pipeline *pl, json_t *alert)
{
    struct out *os[3 + XM_ARRAY_LEN(pl->alert_out)];
    size_t n = 0;
    os[n++] = pl->redis_out;
    os[n++] = pl->kafka_out;
    /* The webhook takes incidents, and alerts only when there are none. */
    os[n++] = pl->hook_out && (!pl->inc || !json_object_get(alert, "alert")) ? pl->hook_out
                                                                             : NULL;
    for (size_t i = 0; i < pl->n_alert_out; i++)
        os[n++] = pl->alert_out[i];
    out_write_many(os, n, alert);   /* serialised once for them all */
}

/* --alert-mode: incidents (grouped, the default), alerts (one record per
 * rule hit), or both. */
static int pipe_open_incidents(struct xm_pipeline *pl, char *err, size_t errlen)
{
    const char *mode = pl->opts->alert_mode ? pl->opts->alert_mode : "incidents";
    bool inc = !strcmp(mode, "incidents") || !strcmp(mode, "both");
    pl->raw_alerts = !strcmp(mode, "alerts") || !strcmp(mode, "both");
    if (!inc && !pl->raw_alerts) {
        snprintf(err, errlen, "--alert-mode: unknown mode '%s' (incidents, alerts or both)",
                 mode);
        return -1;
    }
    if (inc && !(pl->inc = inc_new(NULL, pl->home, pipe_on_incident, pl))) {
        snprintf(err, errlen, "cannot allocate the incident table");
        return -1;
    }
    return 0;
}

/* stage_uses_fn over the engine's current set: which analyses the
 * loaded rules need (beacon history only for beacon.* fields). */
static bool pipe_rules_use(const void *eng, const struct xm_field_list *list)
{
    return rules_set_uses_fields(rules_engine_set(eng), list);
}

static int pipe_open_rules(struct xm_pipeline *pl, char *err, size_t errlen)
{
    struct rules_set *set = NULL;
    if (pl->opts->no_rules) {
        stage_set_no_rules(pl->stage);
        return 0;
    }
    if (enrich_compile_rules(pl->enrich, pl->opts, &set, err, errlen) != 0)
        return -1;
    struct rules_limits lim = {.max_hosts = pl->opts->max_hosts,
                               .max_pairs = pl->opts->max_pairs,
                               .max_flows = pl->opts->max_flows};
    pl->rules = rules_engine_new(set, &lim, pipe_on_alert, pl);
    if (!pl->rules) {
        snprintf(err, errlen, "cannot allocate the rule engine's tables");
        return -1;
    }
    stage_set_rule_use(pl->stage, pipe_rules_use, pl->rules);
    return pipe_open_incidents(pl, err, errlen);
}

int pipe_load_suppress(const struct xm_opts *o, struct suppress **out, char *err,
                       size_t errlen)
{
    struct suppress_error e;
    *out = NULL;
    if (!o->suppress_path)
        return 0;
    if (suppress_load_file(o->suppress_path, out, &e) != 0) {
        suppress_error_format(&e, err, errlen);
        return -1;
    }
    return 0;
}

static bool pipe_is_local(void *ctx, const struct xm_addr *a)
{
    return netset_contains(((struct xm_pipeline *)ctx)->home, a);
}

static int pipe_open_home(struct xm_pipeline *pl, char *err, size_t errlen)
{
    const char *spec = pl->opts->home_net;
    pl->home = spec ? netset_new() : netset_default_home();
    if (!pl->home) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char perr[256];
    if (spec && netset_parse(pl->home, spec, perr, sizeof perr) != 0) {
        snprintf(err, errlen, "--home-net: %s", perr);
        return -1;
    }
    return 0;
}

/* The webhook's out_open() spec: "webhook:FORMAT:RATE:URL". */
void pipe_webhook_spec(const struct xm_opts *o, char *spec, size_t len)
{
    char rate[16] = "";
    if (o->webhook_rate)
        snprintf(rate, sizeof rate, "%u", o->webhook_rate);
    snprintf(spec, len, "webhook:%s:%s:%s", o->webhook_format ? o->webhook_format : "json",
             rate, o->webhook_url);
}

int pipe_kafka_spec(const struct xm_opts *o, char *spec, size_t len, char *err, size_t errlen)
{
    if (!out_sink_available("kafka")) {
        snprintf(err, errlen, "--kafka: this exfilmon was built without Kafka support "
                 "(install librdkafka-dev and rebuild; meson -Dkafka=enabled)");
        return -1;
    }
    snprintf(spec, len, "kafka:%s", o->kafka);
    return out_check_spec(spec, err, errlen);
}

/* --redis, --kafka and --webhook: the sinks other sensors' consumers read. */
static int pipe_open_fleet(struct xm_pipeline *pl, bool live, char *err, size_t errlen)
{
    const struct xm_opts *o = pl->opts;
    char spec[2048];
    if (o->kafka && (pipe_kafka_spec(o, spec, sizeof spec, err, errlen) != 0 ||
                     !(pl->kafka_out = out_open(spec, !live, err, errlen))))
        return -1;
    if (o->redis_url && strncmp(o->redis_url, "redis://", 8) != 0 &&
        strncmp(o->redis_url, "rediss://", 9) != 0) {
        snprintf(err, errlen, "--redis: %s: not a redis:// or rediss:// URL", o->redis_url);
        return -1;
    }
    if (o->redis_url && !(pl->redis_out = out_open(o->redis_url, !live, err, errlen)))
        return -1;
    if (!o->webhook_url)
        return 0;
    pipe_webhook_spec(o, spec, sizeof spec);
    pl->hook_out = out_open(spec, !live, err, errlen);
    return pl->hook_out ? 0 : -1;
}

static int pipe_open_outputs(struct xm_pipeline *pl, bool live, char *err, size_t errlen)
{
    const struct xm_opts *o = pl->opts;
    if (o->flows_path) {
        pl->flow_out = out_open(o->flows_path, !live, err, errlen);
        if (!pl->flow_out)
            return -1;
    }
    char spec[512];
    const char *specs[3] = {o->alerts_path, NULL, NULL};
    if (o->syslog_ident) {
        snprintf(spec, sizeof spec, "syslog:%s", o->syslog_ident);
        specs[1] = spec;
    }
    char sock[512];
    if (o->socket_path) {
        snprintf(sock, sizeof sock, "unix:%s", o->socket_path);
        specs[2] = sock;
    }
    for (size_t i = 0; i < 3; i++) {
        if (!specs[i])
            continue;
        pl->alert_out[pl->n_alert_out] = out_open(specs[i], !live, err, errlen);
        if (!pl->alert_out[pl->n_alert_out])
            return -1;
        pl->n_alert_out++;
    }
    return pipe_open_fleet(pl, live, err, errlen);
}

int pipe_set_sensor(const struct xm_opts *o, char *err, size_t errlen)
{
    char host[EVE_SENSOR_MAX + 2] = "";
    const char *name = o->sensor;
    if (!name) {
        if (gethostname(host, sizeof host - 1) != 0)
            host[0] = '\0';
        host[sizeof host - 1] = '\0';
        name = host;
    }
    if (eve_set_sensor_name(name) != 0) {
        snprintf(err, errlen, "sensor name '%.40s...' refused: at most %d bytes, no control "
                 "characters (--sensor, config key sensor)", name, EVE_SENSOR_MAX);
        return -1;
    }
    return 0;
}

/* Another sensor's (host, destination address) pair, into the engine. */
static void pipe_apply_dest(void *ctx, const struct site_delta *d)
{
    struct xm_pipeline *pl = ctx;
    rules_seen_merge(pl->rules, &d->host, &d->dst, d->first);
}

/* Another sensor's first packet time: the site's monitoring start. */
static void pipe_apply_start(void *ctx, const struct site_delta *d)
{
    struct xm_pipeline *pl = ctx;
    rules_site_start(pl->rules, d->first);
}

/* --site-redis: first-seen, prevalence and AI evidence shared by the
 * site's sensors (include/xm_site.h); the sensor name tells them apart. */
static int pipe_open_site(struct xm_pipeline *pl, bool live, char *err, size_t errlen)
{
    if (!pl->opts->site_redis)
        return 0;
    struct site_config c = {.url = pl->opts->site_redis, .sensor = eve_sensor_name(),
                            .live = live};
    if (!(pl->site = site_new(&c, err, errlen)))
        return -1;
    stage_set_site(pl->stage, pl->site);
    if (pl->rules) {
        rules_engine_set_site(pl->rules, pl->site);
        site_set_apply(pl->site, SITE_K_DEST, pipe_apply_dest, pl);
        site_set_apply(pl->site, SITE_K_START, pipe_apply_start, pl);
    }
    return 0;
}

size_t pipe_site_health(const struct xm_pipeline *pl, char *why, size_t len)
{
    return site_health(pl->site, why, len);
}

struct xm_pipeline *pipe_new(const struct xm_opts *opts, bool live,
                             char *err, size_t errlen)
{
    int why;
    return pipe_new_ex(opts, live, &why, err, errlen);
}

struct xm_pipeline *pipe_new_ex(const struct xm_opts *opts, bool live, int *why,
                                char *err, size_t errlen)
{
    *why = PIPE_ERR_CONFIG;
    struct xm_pipeline *pl = calloc(1, sizeof *pl);
    if (!pl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pl->opts = opts;
    evew_init(&pl->flow_txt, 4096, PIPE_FLOW_MAX);
    uint64_t seed = xm_hash_random_seed();
    if (pipe_set_sensor(opts, err, errlen) != 0 || pipe_open_home(pl, err, errlen) != 0)
        goto fail;
    pl->flows = flow_table_new(opts->max_flows, &opts->timeouts, seed,
                               pipe_on_flow_end, pl);
    pl->hosts = host_table_new(opts->max_hosts, seed ^ UINT64_C(0x9e3779b97f4a7c15));
    /* A failed acct table only delays host totals to flow end (pipe_acct.c). */
    if (pipe_acct_init(pl, opts->max_flows, seed ^ UINT64_C(0x85ebca6b0f3c2a19)) != 0)
        xm_warn("no table for long flows' host-total marks: host totals of long "
                "flows are added at their end");
    if (!pl->flows || !pl->hosts) {
        snprintf(err, errlen, "cannot allocate tables for %u flows and %u hosts",
                 opts->max_flows, opts->max_hosts);
        goto fail;
    }
    pl->enrich = enrich_new(opts, err, errlen);
    pl->stage = pl->enrich ? enrich_stage(pl->enrich) : NULL;
    char kspec[2048];
    if (!pl->enrich || pipe_open_rules(pl, err, errlen) != 0 ||
        pipe_load_suppress(opts, &pl->sup, err, errlen) != 0 ||
        (opts->kafka && pipe_kafka_spec(opts, kspec, sizeof kspec, err, errlen) != 0) ||
        pipe_open_site(pl, live, err, errlen) != 0)
        goto fail;
    *why = PIPE_ERR_OUTPUT;
    if (pipe_open_outputs(pl, live, err, errlen) != 0)
        goto fail;
    *why = PIPE_ERR_CONFIG;
    pipe_state_load(pl);
    return pl;
fail:
    pipe_free(pl);
    return NULL;
}

/* Once per second of packet time: expire flows, tick later stages. */
static void pipe_housekeeping(struct xm_pipeline *pl)
{
    flow_expire(pl->flows, pl->now);
    /* clock: every packet before it is processed; horizon: the notes
     * since the last tick all come from packets before it. */
    site_tick(pl->site, pl->now / XM_USEC_PER_SEC * XM_USEC_PER_SEC, pl->next_tick);
    if (pl->rules)
        rules_tick(pl->rules, pl->now);
    if (pl->inc) {
        pipe_inc_history(pl);
        inc_tick(pl->inc, pl->now);
    }
    pl->next_tick = (pl->now / XM_USEC_PER_SEC + 1) * XM_USEC_PER_SEC;
}

void pipe_advance(struct xm_pipeline *pl, xm_time_t now)
{
    if (now <= pl->now)
        return;
    pl->now = now;
    if (now >= pl->next_tick)
        pipe_housekeeping(pl);
}

/* Counts the frame and moves the clock; returns the time the packet is
 * accounted at (never before the clock). */
static xm_time_t pipe_clock(struct xm_pipeline *pl, xm_time_t ts, uint32_t caplen)
{
    pl->st.packets++;
    pl->st.bytes_captured += caplen;
    if (ts < pl->now) {
        pl->st.out_of_order++;
        return pl->now;         /* accounted at the current clock */
    }
    pipe_advance(pl, ts);
    return ts;
}

/* Flow, analysis and rules for one decoded IP packet. */
static void pipe_account(struct xm_pipeline *pl, const struct xm_pkt *pkt, const uint32_t *fh)
{
    pl->st.ip_bytes += pkt->ip_bytes;
    int dir = 0;
    struct xm_flow *f = flow_update_hashed(pl->flows, pkt, fh, pipe_is_local, pl, &dir);
    if (!f)
        return;                 /* fragment held until its first fragment */
    pl->cur_flow = f;
    stage_on_packet(pl->stage, pkt, f, dir);
    if (pl->rules)
        rules_on_packet(pl->rules, pkt, f, dir);
    pl->cur_flow = NULL;
}

void pipe_packet(struct xm_pipeline *pl, int dlt, xm_time_t ts,
                 const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
    struct xm_pkt pkt;
    ts = pipe_clock(pl, ts, caplen);
    if (dec_packet(dlt, ts, data, caplen, wirelen, &pkt, &pl->dec) == DEC_OK)
        pipe_account(pl, &pkt, NULL);
}

uint32_t pipe_flow_hash(const struct xm_pipeline *pl, const struct xm_pkt *pkt)
{
    return flow_hash(pl->flows, pkt);
}

void pipe_prefetch(const struct xm_pipeline *pl, uint32_t h, int stage)
{
    flow_prefetch(pl->flows, h, stage);
}

/* The ends of the flow pkt would create as the rule engine will see
 * them: the sender is the client unless the packet is a SYN+ACK
 * (flow_init), the local end is the server only when the client is not
 * local (reng_flow_sides). */
static void pipe_prefetch_new(const struct xm_pipeline *pl, const struct xm_pkt *pkt)
{
    bool synack = flow_first_sender_is_server(pkt);
    const struct xm_addr *cli = synack ? &pkt->dst : &pkt->src;
    const struct xm_addr *srv = synack ? &pkt->src : &pkt->dst;
    bool lc = netset_contains(pl->home, cli), ls = netset_contains(pl->home, srv);
    bool srv_local = ls && !lc;
    rules_prefetch_new(pl->rules, srv_local ? srv : cli, srv_local ? cli : srv, lc && ls,
                       synack == srv_local);
}

void pipe_prefetch_rules(const struct xm_pipeline *pl, const struct xm_pkt *pkt, uint32_t h)
{
    if (!pl->rules)
        return;
    const struct xm_flow *f = flow_peek(pl->flows, h);
    if (!f) {
        pipe_prefetch_new(pl, pkt);
        return;
    }
    rules_prefetch(pl->rules, f, pkt->ts);
    rules_prefetch_stale(pl->rules, f);
}

void pipe_decoded_hashed(struct xm_pipeline *pl, struct xm_pkt *pkt, enum dec_reason why,
                         const uint32_t *fh)
{
    pkt->ts = pipe_clock(pl, pkt->ts, pkt->caplen);
    if (dec_count(&pl->dec, why) == DEC_OK)
        pipe_account(pl, pkt, fh);
}

void pipe_decoded(struct xm_pipeline *pl, struct xm_pkt *pkt, enum dec_reason why)
{
    pipe_decoded_hashed(pl, pkt, why, NULL);
}

void pipe_finish(struct xm_pipeline *pl)
{
    if (pl->finished)
        return;
    pl->finished = true;
    flow_flush(pl->flows);
    if (pl->rules)
        rules_flush(pl->rules);
    site_finish(pl->site, pl->next_tick);
    /* With state, open incidents are saved and go on at the next start. */
    if (pl->inc && !pl->opts->state_dir) {
        pipe_inc_history(pl);
        inc_finish(pl->inc, pl->now);
    }
    pipe_flush_outputs(pl);
    if (pl->opts->state_dir)
        pipe_state_save(pl);
}

/* ---- learned state (--state DIR) ---------------------------------------- */

void pipe_state_load(struct xm_pipeline *pl)
{
    const char *dir = pl->opts->state_dir;
    if (!dir)
        return;
    int n = stage_state_load(pl->stage, dir);
    n += pl->rules && rules_engine_load(pl->rules, dir) == 0;
    n += pl->inc && inc_load(pl->inc, dir) == 0;
    pl->st.state_loaded = (uint64_t)n;
    xm_info("state: %s: %d component file%s loaded", dir, n, n == 1 ? "" : "s");
}

int pipe_state_save(struct xm_pipeline *pl)
{
    const char *dir = pl->opts->state_dir;
    int rc = 0;
    if (!dir)
        return 0;
    if (stage_state_save(pl->stage, dir) != 0)
        rc = -1;
    if (pl->rules && rules_engine_save(pl->rules, dir) != 0)
        rc = -1;
    if (pl->inc && inc_save(pl->inc, dir) != 0)
        rc = -1;
    pl->st.state_saves += rc == 0;
    pl->st.state_save_errors += rc != 0;
    return rc;
}

int pipe_flush_outputs(struct xm_pipeline *pl)
{
    int rc = 0;
    if (pl->flow_out && out_flush(pl->flow_out) != 0)
        rc = -1;
    for (size_t i = 0; i < pl->n_alert_out; i++)
        if (out_flush(pl->alert_out[i]) != 0)
            rc = -1;
    /* A down broker or receiver is not an output error: it is retried. */
    (void)out_flush(pl->redis_out);
    (void)out_flush(pl->kafka_out);
    (void)out_flush(pl->hook_out);
    return rc;
}

/* A failed reopen is reported, counted and retried by output.c. */
void pipe_reopen_outputs(struct xm_pipeline *pl)
{
    char err[256];
    if (pl->flow_out)
        (void)out_reopen(pl->flow_out, err, sizeof err);
    for (size_t i = 0; i < pl->n_alert_out; i++)
        (void)out_reopen(pl->alert_out[i], err, sizeof err);
}

int pipe_reload(struct xm_pipeline *pl, const struct xm_opts *opts,
                char *err, size_t errlen)
{
    struct rules_set *set = NULL;
    struct suppress *sup = NULL;
    err[0] = '\0';
    if (pipe_load_suppress(opts, &sup, err, errlen) != 0)
        return -1;                        /* old list and rules kept */
    if (pl->rules && !opts->no_rules) {
        if (enrich_compile_rules(pl->enrich, opts, &set, err, errlen) != 0 ||
            rules_engine_swap(pl->rules, set) != 0) {
            if (!err[0])
                snprintf(err, errlen, "out of memory while swapping the rule set");
            suppress_free(sup);
            return -1;
        }
        stage_set_rule_use(pl->stage, pipe_rules_use, pl->rules);   /* new history from now */
    }
    suppress_free(pl->sup);               /* per-entry hits restart at 0 */
    pl->sup = sup;
    return 0;
}

void pipe_set_alert_hook(struct xm_pipeline *pl, void (*fn)(void *, const json_t *),
                         void *ctx)
{
    pl->alert_hook = fn;
    pl->alert_hook_ctx = ctx;
}

const struct pipe_stats *pipe_get_stats(const struct xm_pipeline *pl) { return &pl->st; }
const struct dec_stats *pipe_dec_stats(const struct xm_pipeline *pl) { return &pl->dec; }
const struct flow_stats *pipe_flow_stats(const struct xm_pipeline *pl)
{
    return flow_table_stats(pl->flows);
}

const struct host_table *pipe_host_table(const struct xm_pipeline *pl) { return pl->hosts; }

struct enrich *pipe_enrich(struct xm_pipeline *pl) { return pl->enrich; }

void pipe_free(struct xm_pipeline *pl)
{
    if (!pl)
        return;
    flow_table_free(pl->flows);
    rules_engine_free(pl->rules);
    inc_free(pl->inc);
    suppress_free(pl->sup);
    enrich_free(pl->enrich);
    host_table_free(pl->hosts);
    pipe_acct_free(pl);
    netset_free(pl->home);
    out_close(pl->flow_out);
    for (size_t i = 0; i < pl->n_alert_out; i++)
        out_close(pl->alert_out[i]);
    out_close(pl->redis_out);
    out_close(pl->kafka_out);
    out_close(pl->hook_out);
    site_free(pl->site);          /* after the tables that note to it */
    evew_free(&pl->flow_txt);
    free(pl);
}
