/*
 * stage.c - the analysis stage after the flow table (include/xm_stage.h):
 * builds the modules from what the program loaded, feeds them packets
 * and flow ends, and adds their objects to records.
 */
#include "xm_stage.h"

#include <stdlib.h>
#include <string.h>

#include "xm_beacon.h"
#include "xm_evew.h"
#include "xm_dstseen.h"
#include "xm_site.h"
#include "xm_lookalike.h"
#include "xm_procwatch.h"
#include "xm_services.h"

struct stage {
    struct stage_config cfg;      /* owned lists, geo, proc */
    struct app_ctx *app;
    struct lookalike *lk;
    struct aihost *ai;
    struct intel_ctx intel;
    struct dstseen *ds;           /* intelrules: domain first-seen */
    struct beacon *bc;            /* intelrules: beaconing */
    bool no_beacon;               /* no loaded rule reads beacon.*: not kept */
    struct services_ctx svc_ctx;
    struct procwatch *pw;         /* procrules: metadata contacts */
    struct procwatch_ctx pw_ctx;
};

void stage_config_free(struct stage_config *c)
{
    proc_free(c->proc);
    for (unsigned i = 0; i < STAGE_N_SERVICES; i++)
        lists_free(c->services[i]);
    geo_free(c->geo);
    for (unsigned i = 0; i < c->n_ioc; i++)
        lists_free(c->ioc[i]);
    lists_free(c->endpoints);
    lists_free(c->user_agents);
    lists_free(c->ports);
    lists_free(c->vendors);
    lists_free(c->resolvers);
    lists_free(c->ech_fronts);
    memset(c, 0, sizeof *c);
}

static int stage_app_new(struct stage *st, char *err, size_t errlen)
{
    struct app_limits al;
    app_limits_default(&al);
    if (st->cfg.max_app_flows)
        al.max_records = st->cfg.max_app_flows;
    if (st->cfg.max_names)
        al.names.max_names = al.names.max_addrs = st->cfg.max_names;
    st->app = app_new(&al, st->cfg.seed);
    if (st->app) {
        app_set_resolvers(st->app, st->cfg.resolvers);
        app_set_ech_fronts(st->app, st->cfg.ech_fronts);
        return 0;
    }
    snprintf(err, errlen, "cannot set up the app-layer parsers (out of memory, "
             "or no Public Suffix List: install the publicsuffix package)");
    return -1;
}

static int stage_intel_new(struct stage *st, char *err, size_t errlen)
{
    const struct stage_config *c = &st->cfg;
    st->lk = lookalike_new(c->vendors, 16384, c->seed, err, errlen);
    if (!st->lk)
        return -1;
    struct aihost_config ac = {.endpoints = c->endpoints, .user_agents = c->user_agents,
                               .ports = c->ports, .seed = c->seed};
    st->ai = aihost_new(&ac);
    if (!st->ai) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    st->intel.geo = c->geo;
    st->intel.lookalike = st->lk;
    st->intel.aihost = st->ai;
    st->intel.app = st->app;
    for (unsigned i = 0; i < c->n_ioc; i++)
        st->intel.ioc[i] = c->ioc[i];
    st->intel.n_ioc = c->n_ioc;
    return 0;
}

/* intelrules: domain first-seen, beaconing, service categories. */
static int stage_intelrules_new(struct stage *st, char *err, size_t errlen)
{
    static const char *const kinds[STAGE_N_SERVICES] = {"filesharing", "paste", "tunnel",
                                                        "object_storage"};
    for (unsigned i = 0; i < STAGE_N_SERVICES; i++) {
        st->svc_ctx.lists[i] = st->cfg.services[i];
        st->svc_ctx.kind[i] = kinds[i];
    }
    st->svc_ctx.n = STAGE_N_SERVICES;
    st->svc_ctx.app = st->app;
    st->svc_ctx.ai_ports = st->cfg.ports;
    struct dstseen_limits dl = {.max_pairs = st->cfg.max_pairs,
                                .max_domains = st->cfg.max_names};
    st->ds = dstseen_new(&dl, st->cfg.seed);
    st->bc = beacon_new(0, st->cfg.seed);
    if (!st->ds || !st->bc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dstseen_set_app(st->ds, st->app);
    beacon_set_app(st->bc, st->app);
    return 0;
}

/* procrules: metadata-contact tables and the process-rule fields' ctx. */
static int stage_procwatch_new(struct stage *st, char *err, size_t errlen)
{
    st->pw = procwatch_new(NULL, xm_hash_random_seed());
    st->pw_ctx = (struct procwatch_ctx){.w = st->pw, .proc = st->cfg.proc, .app = st->app,
                                        .endpoints = st->cfg.endpoints};
    if (st->pw)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

struct stage *stage_new(struct stage_config *cfg, char *err, size_t errlen)
{
    struct stage *st = calloc(1, sizeof *st);
    if (!st) {
        stage_config_free(cfg);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    if (stage_app_new(st, err, errlen) != 0 || stage_intel_new(st, err, errlen) != 0 ||
        stage_intelrules_new(st, err, errlen) != 0 ||
        stage_procwatch_new(st, err, errlen) != 0) {
        stage_free(st);
        return NULL;
    }
    return st;
}

void stage_free(struct stage *st)
{
    if (!st)
        return;
    procwatch_free(st->pw);
    dstseen_free(st->ds);
    beacon_free(st->bc);
    aihost_free(st->ai);
    lookalike_free(st->lk);
    stage_config_free(&st->cfg);
    app_free(st->app);
    free(st);
}

struct app_ctx *stage_app(struct stage *st) { return st->app; }
struct intel_ctx *stage_intel(struct stage *st) { return &st->intel; }
struct aihost *stage_aihost(struct stage *st) { return st->ai; }

/* ---- site-wide state (--site-redis, xm_site.h) ---------------------------- */

static void stage_apply_domain(void *ctx, const struct site_delta *d)
{
    struct stage *st = ctx;
    dstseen_merge(st->ds, &d->host, d->key, d->first);
}

static void stage_apply_ai(void *ctx, const struct site_delta *d)
{
    struct stage *st = ctx;
    (void)aihost_merge(st->ai, &d->host, (enum aihost_kind)d->ai_kind, d->key, d->first,
                       d->last, d->count);
}

void stage_set_site(struct stage *st, struct site *site)
{
    dstseen_set_site(st->ds, site);
    aihost_set_site(st->ai, site);
    site_set_apply(site, SITE_K_DOMAIN, stage_apply_domain, st);
    site_set_apply(site, SITE_K_AI, stage_apply_ai, st);
}

void stage_set_rule_use(struct stage *st, stage_uses_fn uses, const void *ctx)
{
    bool keep = uses && uses(ctx, &beacon_fields);
    if (!keep && !st->no_beacon)
        beacon_clear(st->bc);
    st->no_beacon = !keep;
}

void stage_set_no_rules(struct stage *st)
{
    stage_set_rule_use(st, NULL, NULL);
}

size_t stage_field_sources(struct stage *st, struct stage_field_source *out, size_t cap)
{
    const struct stage_field_source src[] = {
        {&procwatch_fields, &st->pw_ctx}, {&intel_fields, &st->intel},
        {&app_fields, st->app},           {&proc_fields, st->cfg.proc},
        {&dstseen_fields, st->ds},        {&beacon_fields, st->bc},
        {&services_fields, &st->svc_ctx},
    };
    for (size_t i = 0; i < XM_ARRAY_LEN(src) && i < cap; i++)
        out[i] = src[i];
    return XM_ARRAY_LEN(src);
}

/* Once per new flow with a local end: which process owns it.  A process
 * that is AI tooling makes its host an AI host, with that evidence. */
static void stage_attribute(struct stage *st, struct xm_flow *f)
{
    uint8_t conf = 0;
    f->proc_id = proc_attribute(st->cfg.proc, f, &conf);
    f->attribution = conf;
    const struct proc_info *pi = f->proc_id ? proc_get(st->cfg.proc, f->proc_id) : NULL;
    if (pi && pi->ai) {
        const struct xm_addr *local = (f->local & FLOW_LOCAL_CLIENT) ? &f->cli : &f->srv;
        aihost_add_evidence(st->ai, local, AIHOST_PROCESS, pi->ai_evidence, f->first);
    }
}

/* AI-host evidence counts from the packet that shows it: the remote name
 * becoming known (SNI, HTTP Host, a DNS answer naming the address), the
 * clear-HTTP request head (User-Agent) being parsed, or a flow to a local
 * server becoming established (an AI tool port).  Each is observed
 * once per flow, at that packet; the rules evaluating the same packet
 * already see the host as an AI host. */
static void stage_ai_on_packet(struct stage *st, struct xm_flow *f, int dir,
                               uint32_t name_before, bool http_before)
{
    bool established = (f->local & FLOW_LOCAL_SERVER) && f->pkts[dir] == 1 && f->pkts[!dir] > 0;
    bool http_now = app_flow_http(st->app, f) != NULL;
    if (f->local && (f->name_id != name_before || http_now != http_before || established))
        intel_observe_flow(&st->intel, f, f->last);
}

void stage_on_packet(struct stage *st, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    if (st->cfg.proc && f->local && f->pkts[0] + f->pkts[1] == 1)
        stage_attribute(st, f);
    if (f->local && f->pkts[0] + f->pkts[1] == 1)
        procwatch_on_new_flow(st->pw, f);
    uint32_t name_before = f->name_id;
    uint8_t src_before = f->name_src;
    bool http_before = app_flow_http(st->app, f) != NULL;
    app_on_packet(st->app, p, f, dir);
    if (f->name_id != name_before || f->name_src != src_before)
        flow_name_changed(f);           /* name-only rules: evaluate again */
    if (f->name_id != name_before)      /* the name became known: once */
        dstseen_on_flow(st->ds, st->app, f);
    stage_ai_on_packet(st, f, dir, name_before, http_before);
}

void stage_on_flow_end(struct stage *st, struct xm_flow *f, enum flow_end_reason r)
{
    proc_flow_end(st->cfg.proc, f, r != FLOW_END_ACTIVE);
    if (r == FLOW_END_ACTIVE)
        return;
    /* Only what the flow's end itself reveals (a name found by the last
     * lookup, a request head completed from a pending reassembly) is new
     * AI-host evidence here; the rest was observed at its packet. */
    uint32_t name_before = f->name_id;
    uint8_t src_before = f->name_src;
    bool http_before = app_flow_http(st->app, f) != NULL;
    app_on_flow_end(st->app, f);
    if (f->name_id != name_before || f->name_src != src_before)
        flow_name_changed(f);
    if (f->name_id != name_before || (app_flow_http(st->app, f) != NULL) != http_before)
        intel_observe_flow(&st->intel, f, f->last);
    dstseen_on_flow(st->ds, st->app, f);
    if (!st->no_beacon)                 /* beacon.* are rule fields only */
        beacon_on_flow_end(st->bc, st->app, f);
}

void stage_record(struct stage *st, const struct xm_flow *f, xm_time_t now, json_t *rec)
{
    app_eve_add(st->app, f, rec);
    intel_eve_add(&st->intel, f, now, rec);
    if (st->cfg.proc && f->local) {
        proc_eve_add(st->cfg.proc, f->proc_id, f->attribution, rec);
        proc_eve_add_socket(st->cfg.proc, f, rec);
    }
}

/* The process members (live attribution only, so rare in a record
 * stream; a deep object): built with jansson and dumped in place. */
static void stage_write_proc(struct stage *st, const struct xm_flow *f, struct evew *w)
{
    json_t *tmp = json_object();
    if (!tmp)
        return;
    proc_eve_add(st->cfg.proc, f->proc_id, f->attribution, tmp);
    proc_eve_add_socket(st->cfg.proc, f, tmp);
    evew_members(w, tmp);
    json_decref(tmp);
}

void stage_write(struct stage *st, const struct xm_flow *f, xm_time_t now, struct evew *w)
{
    app_eve_write(st->app, f, w);
    intel_eve_write(&st->intel, f, now, w);
    if (st->cfg.proc && f->local)
        stage_write_proc(st, f, w);
}

/* procrules: a process-scope alert's key names the process by its pid
 * (exfil.key.process_id, the process table's internal id, is replaced by
 * "pid"; kept when the process is no longer known).  An alert raised with
 * no flow in hand (rules_tick/rules_flush) also gets "process" from it.
 * Only "process" is copied: attribution is a property of a flow. */
void stage_alert_process(struct stage *st, json_t *alert)
{
    json_t *key = json_object_get(json_object_get(alert, "exfil"), "key");
    json_t *id = json_object_get(key, "process_id");
    if (!st->cfg.proc || !json_is_integer(id))
        return;
    uint32_t pid_id = (uint32_t)json_integer_value(id);
    const struct proc_info *pi = proc_get(st->cfg.proc, pid_id);
    if (pi && json_object_set_new(key, "pid", json_integer(pi->pid)) == 0)
        json_object_del(key, "process_id");
    if (json_object_get(alert, "process"))
        return;
    json_t *tmp = json_object();
    proc_eve_add(st->cfg.proc, pid_id, PROC_ATTR_NONE, tmp);
    json_t *p = json_object_get(tmp, "process");
    if (p)
        json_object_set(alert, "process", p);
    json_decref(tmp);
}

/* An alert raised with no flow in hand (the tick) for one destination:
 * "dest_name" from the name a flow to it carried (name id and source as
 * the flow had them; the rules' top flows keep them).  Nothing when the
 * alert already has one or the id is 0. */
void stage_alert_name(struct stage *st, json_t *alert, uint32_t name_id, uint8_t name_src)
{
    if (!name_id || json_object_get(alert, "dest_name"))
        return;
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    f.name_id = name_id;
    f.name_src = name_src;
    json_t *tmp = json_object();
    app_eve_add(st->app, &f, tmp);     /* app_seen 0: only "dest_name" */
    json_t *n = json_object_get(tmp, "dest_name");
    if (n)
        json_object_set(alert, "dest_name", n);
    json_decref(tmp);
}

int stage_proc_fd(const struct stage *st)
{
    return st->cfg.proc ? proc_connector_fd(st->cfg.proc) : -1;
}

void stage_proc_readable(struct stage *st)
{
    for (int i = 0; i < 64 && proc_on_connector_readable(st->cfg.proc) > 0; i++)
        ;
}

void stage_write_metrics(const struct stage *st, FILE *f)
{
    if (st->cfg.proc)
        proc_write_metrics(st->cfg.proc, f);
    if (st->pw)
        procwatch_write_metrics(st->pw, f);
}

size_t stage_tables(const struct stage *st, struct xm_tab_row *out)
{
    size_t n = app_tables(st->app, out);
    const struct dstseen_stats *ds = dstseen_get_stats(st->ds);
    out[n++] = (struct xm_tab_row){"domain_first_seen_pairs", ds->pairs};
    out[n++] = (struct xm_tab_row){"domain_first_seen_domains", ds->domains};
    if (!st->no_beacon) {
        const struct beacon_stats *b = beacon_get_stats(st->bc);
        out[n++] = (struct xm_tab_row){"beacon_pairs", {.cap = b->cap, .used = b->used,
                                                        .inserted = b->inserted,
                                                        .evicted = b->evicted}};
        out[n++] = (struct xm_tab_row){"beacon_once", {.cap = b->once_cap,
                                                       .used = b->once_used,
                                                       .evicted = b->once_evicted}};
    }
    const struct aihost_stats *a = aihost_get_stats(st->ai);
    out[n++] = (struct xm_tab_row){"ai_hosts", {.cap = a->capacity, .used = a->hosts,
                                                .evicted = a->evicted}};
    return n;
}

void stage_describe(const struct stage *st, FILE *f)
{
    const struct stage_config *c = &st->cfg;
    for (unsigned i = 0; i < c->n_ioc; i++)
        fprintf(f, "indicator list %s: %u entries\n", lists_name(c->ioc[i]),
                lists_count(c->ioc[i]));
    fprintf(f, "LLM endpoints: %u, AI user agents: %u, AI tool ports: %u, vendors: %u\n",
            lists_count(c->endpoints), lists_count(c->user_agents), lists_count(c->ports),
            lists_count(c->vendors));
    unsigned n = geo_db_count(c->geo);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "GeoIP database: %s\n", geo_db_path(c->geo, i));
    if (n == 0)
        fprintf(f, "GeoIP: no database (dst.country, dst.asn unavailable)\n");
}

int stage_state_save(const struct stage *st, const char *dir)
{
    int rc = 0;
    if (st->ds && dstseen_save(st->ds, dir) != 0)
        rc = -1;
    if (st->ai && aihost_save(st->ai, dir) != 0)
        rc = -1;
    return rc;
}

int stage_state_load(struct stage *st, const char *dir)
{
    int n = 0;
    n += st->ds && dstseen_load(st->ds, dir) == 0;
    n += st->ai && aihost_load(st->ai, dir) == 0;
    return n;
}
