/*
 * enrich.c - builds the enrichment stack the pipeline feeds: app-layer
 * names (DNS/TLS/HTTP), GeoIP, indicator lists, look-alike checker,
 * AI-host table, and the rule field registry they extend.
 *
 * Data files are looked up first under the installed data directory
 * (XM_DATADIR), then in the source tree (XM_SOURCE_ROOT/data) and, for
 * the GeoIP database built at set-up time, the build tree.
 */
#include "xm_enrich.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xm_config.h"
#include "xm_config_file.h"
#include "xm_beacon.h"
#include "xm_dstseen.h"
#include "xm_procwatch.h"
#include "xm_services.h"

#define ENRICH_MAX_IOC 8

struct enrich {
    struct app_ctx *app;
    struct geo *geo;
    struct lookalike *lk;
    struct aihost *ai;
    struct lists_list *ioc[ENRICH_MAX_IOC];
    unsigned n_ioc;
    struct lists_list *endpoints, *uas, *ports, *vendors;
    struct intel_ctx intel;
    struct rules_registry *reg;
    struct proc *proc;            /* NULL: no per-process attribution */
    struct dstseen *ds;           /* intelrules: domain first-seen */
    struct beacon *bc;            /* intelrules: beaconing */
    struct lists_list *svc[4];    /* intelrules: data/services lists */
    struct services_ctx svc_ctx;
    struct procwatch *pw;         /* procrules: metadata contacts */
    struct procwatch_ctx pw_ctx;
};

static bool enrich_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Resolves a data file name ("ioc/teampcp.list") to a readable path. */
static const char *enrich_data_path(const char *rel, char *buf, size_t len)
{
    const char *roots[] = {XM_DATADIR, XM_SOURCE_ROOT "/data", XM_BUILD_ROOT "/data"};
    for (size_t i = 0; i < XM_ARRAY_LEN(roots); i++) {
        snprintf(buf, len, "%s/%s", roots[i], rel);
        if (enrich_exists(buf))
            return buf;
    }
    return NULL;
}

/* Loads a bundled list; a missing bundled file is an error naming it. */
static int enrich_list(const char *rel, struct lists_list **out, uint64_t seed,
                       char *err, size_t errlen)
{
    char path[1024];
    if (!enrich_data_path(rel, path, sizeof path)) {
        snprintf(err, errlen, "data file %s not found under %s or %s/data", rel,
                 XM_DATADIR, XM_SOURCE_ROOT);
        return -1;
    }
    return lists_load_file(path, NULL, seed, out, err, errlen);
}

/* Indicator lists named in the config file (lists { NAME = "path" }). */
static int enrich_config_lists(struct enrich *e, const struct xm_opts *o, uint64_t seed,
                               char *err, size_t errlen)
{
    size_t n = 0;
    const struct config_list *cl = o->config ? config_lists(o->config, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (e->n_ioc == ENRICH_MAX_IOC) {
            snprintf(err, errlen, "%s: at most %d indicator lists", o->config_path,
                     ENRICH_MAX_IOC);
            return -1;
        }
        if (lists_load_file(cl[i].path, cl[i].name, seed, &e->ioc[e->n_ioc], err, errlen) != 0)
            return -1;
        e->n_ioc++;
    }
    return 0;
}

static int enrich_lists(struct enrich *e, const struct xm_opts *o, uint64_t seed,
                        char *err, size_t errlen)
{
    if (enrich_list("ioc/teampcp.list", &e->ioc[0], seed, err, errlen) != 0)
        return -1;
    e->n_ioc = 1;
    if (enrich_config_lists(e, o, seed, err, errlen) != 0)
        return -1;
    if (enrich_list("ai/llm_endpoints.list", &e->endpoints, seed, err, errlen) != 0 ||
        enrich_list("ai/user_agents.list", &e->uas, seed, err, errlen) != 0 ||
        enrich_list("ai/ports.list", &e->ports, seed, err, errlen) != 0 ||
        enrich_list("vendors.list", &e->vendors, seed, err, errlen) != 0)
        return -1;
    return 0;
}

/* --geoip files, else every database found at the usual paths (the
 * country database built at set-up time among them). */
static int enrich_geo(struct enrich *e, const struct xm_opts *o, uint64_t seed,
                      char *err, size_t errlen)
{
    e->geo = geo_new(65536, seed);
    if (!e->geo) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < o->n_geoip; i++)
        if (geo_open(e->geo, o->geoip[i], err, errlen) != 0)
            return -1;
    if (o->n_geoip)
        return 0;
    if (geo_open_default(e->geo, XM_DATADIR, err, errlen) < 0)
        return -1;
    if (geo_db_count(e->geo) == 0 && enrich_exists(XM_BUILD_ROOT "/data/country.mmdb"))
        return geo_open(e->geo, XM_BUILD_ROOT "/data/country.mmdb", err, errlen);
    return 0;
}

/* Operator inventory from the config file: CIDR -> tags. */
static int enrich_inventory(struct enrich *e, const struct xm_opts *o, char *err, size_t errlen)
{
    size_t n = 0;
    const struct config_tag *t = o->config ? config_inventory(o->config, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        char why[256];
        if (aihost_tag_inventory(e->ai, t[i].cidr, t[i].tags, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: inventory: %s", o->config_path, t[i].line, why);
            return -1;
        }
    }
    return 0;
}

static int enrich_intel(struct enrich *e, uint64_t seed, char *err, size_t errlen)
{
    e->lk = lookalike_new(e->vendors, 16384, seed, err, errlen);
    if (!e->lk)
        return -1;
    struct aihost_config cfg = {.endpoints = e->endpoints, .user_agents = e->uas,
                                .ports = e->ports, .seed = seed};
    e->ai = aihost_new(&cfg);
    if (!e->ai) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->intel.geo = e->geo;
    e->intel.lookalike = e->lk;
    e->intel.aihost = e->ai;
    e->intel.app = e->app;
    for (unsigned i = 0; i < e->n_ioc; i++)
        e->intel.ioc[i] = e->ioc[i];
    e->intel.n_ioc = e->n_ioc;
    return 0;
}

/*
 * Per-process attribution: live on an endpoint (sock_diag + /proc +
 * process connector, opened here, before privileges are dropped), or in
 * replay from a ledger written beside the capture.  On a gateway, where
 * the kernel knows none of the sockets, attribution simply finds nothing.
 */
static int enrich_proc(struct enrich *e, const struct xm_opts *o, char *err, size_t errlen)
{
    bool live = o->iface && !o->no_process;
    if (!live && !o->processes_path)
        return 0;
    e->proc = proc_new(NULL);
    if (!e->proc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (o->processes_path)
        return proc_ledger_load(e->proc, o->processes_path, err, errlen);
    char why[256] = "disabled by --no-ebpf";
    if (!o->no_ebpf && proc_open_bpf(e->proc, why, sizeof why) == 0)
        fprintf(stderr, "exfilmon: process attribution: %s\n", proc_source_name(e->proc));
    else if (proc_open_netlink(e->proc) == 0)
        fprintf(stderr, "exfilmon: process attribution: sock_diag (eBPF: %s)\n", why);
    else {
        fprintf(stderr, "exfilmon: per-process attribution unavailable (sock_diag "
                "could not be opened); accounting goes on per host\n");
        proc_free(e->proc);
        e->proc = NULL;
        return 0;
    }
    if (o->record_processes_path &&
        proc_ledger_open_write(e->proc, o->record_processes_path) != 0) {
        snprintf(err, errlen, "%s: cannot write the process ledger: %s",
                 o->record_processes_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* intelrules: domain first-seen, beaconing, service categories. */
static int enrich_intelrules(struct enrich *e, uint64_t seed, char *err, size_t errlen)
{
    static const char *const files[4] = {"services/filesharing.list", "services/paste.list",
                                         "services/tunnels.list",
                                         "services/object_storage.list"};
    static const char *const kinds[4] = {"filesharing", "paste", "tunnel", "object_storage"};
    for (unsigned i = 0; i < 4; i++) {
        if (enrich_list(files[i], &e->svc[i], seed, err, errlen) != 0)
            return -1;
        e->svc_ctx.lists[i] = e->svc[i];
        e->svc_ctx.kind[i] = kinds[i];
    }
    e->svc_ctx.n = 4;
    e->svc_ctx.app = e->app;
    e->svc_ctx.ai_ports = e->ports;
    e->ds = dstseen_new(NULL, seed);
    e->bc = beacon_new(0, seed);
    if (!e->ds || !e->bc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* procrules: metadata-contact tables and the process-rule fields' ctx. */
static int enrich_procwatch(struct enrich *e)
{
    e->pw = procwatch_new(NULL, xm_hash_random_seed());
    e->pw_ctx = (struct procwatch_ctx){.w = e->pw, .proc = e->proc, .app = e->app,
                                       .endpoints = e->endpoints};
    return e->pw ? 0 : -1;
}

static int enrich_registry(struct enrich *e, char *err, size_t errlen)
{
    e->reg = rules_registry_new();
    if (!e->reg || enrich_procwatch(e) != 0 ||
        procwatch_register_fields(e->reg, &e->pw_ctx) < 0 || intel_register_fields(e->reg, &e->intel) < 0 ||
        app_register_fields(e->reg, e->app) < 0 ||
        proc_register_fields(e->reg, e->proc) < 0 ||
        dstseen_register_fields(e->reg, e->ds, e->app) < 0 ||
        beacon_register_fields(e->reg, e->bc, e->app) < 0 ||
        services_register_fields(e->reg, &e->svc_ctx) < 0) {
        snprintf(err, errlen, "cannot build the rule field registry: out of memory");
        return -1;
    }
    return 0;
}

struct enrich *enrich_new(const struct xm_opts *o, char *err, size_t errlen)
{
    struct enrich *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    uint64_t seed = xm_hash_random_seed();
    struct app_limits al;
    app_limits_default(&al);
    e->app = app_new(&al, seed);
    if (!e->app) {
        snprintf(err, errlen, "cannot set up the app-layer parsers (out of memory, "
                 "or no Public Suffix List: install the publicsuffix package)");
        goto fail;
    }
    if (enrich_lists(e, o, seed, err, errlen) != 0 || enrich_geo(e, o, seed, err, errlen) != 0 ||
        enrich_intel(e, seed, err, errlen) != 0 || enrich_inventory(e, o, err, errlen) != 0 ||
        enrich_proc(e, o, err, errlen) != 0 || enrich_intelrules(e, seed, err, errlen) != 0 ||
        enrich_registry(e, err, errlen) != 0)
        goto fail;
    return e;
fail:
    enrich_free(e);
    return NULL;
}

struct rules_registry *enrich_rules_registry(struct enrich *e) { return e->reg; }
struct app_ctx *enrich_app(struct enrich *e) { return e->app; }
struct intel_ctx *enrich_intel_ctx(struct enrich *e) { return &e->intel; }

/* Once per new flow with a local end: which process owns it.  A process
 * that is AI tooling makes its host an AI host, with that evidence. */
static void enrich_attribute(struct enrich *e, struct xm_flow *f)
{
    uint8_t conf = 0;
    f->proc_id = proc_attribute(e->proc, f, &conf);
    f->attribution = conf;
    const struct proc_info *pi = f->proc_id ? proc_get(e->proc, f->proc_id) : NULL;
    if (pi && pi->ai) {
        const struct xm_addr *local = (f->local & FLOW_LOCAL_CLIENT) ? &f->cli : &f->srv;
        aihost_add_evidence(e->ai, local, AIHOST_PROCESS, pi->ai_evidence, f->first);
    }
}

void enrich_on_packet(struct enrich *e, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    if (e->proc && f->local && f->pkts[0] + f->pkts[1] == 1)
        enrich_attribute(e, f);
    if (f->local && f->pkts[0] + f->pkts[1] == 1)
        procwatch_on_new_flow(e->pw, f);
    uint32_t name_before = f->name_id;
    app_on_packet(e->app, p, f, dir);
    if (f->name_id != name_before)      /* the name became known: once */
        dstseen_on_flow(e->ds, e->app, f);
}

int enrich_proc_fd(const struct enrich *e)
{
    return e->proc ? proc_connector_fd(e->proc) : -1;
}

void enrich_proc_readable(struct enrich *e)
{
    for (int i = 0; i < 64 && proc_on_connector_readable(e->proc) > 0; i++)
        ;
}

void enrich_write_metrics(const struct enrich *e, FILE *f)
{
    if (e->proc)
        proc_write_metrics(e->proc, f);
    if (e->pw)
        procwatch_write_metrics(e->pw, f);
}

void enrich_on_flow_end(struct enrich *e, struct xm_flow *f, enum flow_end_reason r)
{
    proc_flow_end(e->proc, f, r != FLOW_END_ACTIVE);
    if (r == FLOW_END_ACTIVE)
        return;
    app_on_flow_end(e->app, f);
    intel_observe_flow(&e->intel, f, f->last);
    dstseen_on_flow(e->ds, e->app, f);
    beacon_on_flow_end(e->bc, e->app, f);
}

void enrich_record(struct enrich *e, const struct xm_flow *f, xm_time_t now, json_t *rec)
{
    app_eve_add(e->app, f, rec);
    intel_eve_add(&e->intel, f, now, rec);
    if (e->proc && f->local) {
        proc_eve_add(e->proc, f->proc_id, f->attribution, rec);
        proc_eve_add_socket(f, rec);
    }
}

/* procrules: a process-scope alert raised with no flow in hand (from
 * rules_tick/rules_flush) names its process from exfil.key.process_id.
 * Only "process" is copied: attribution is a property of a flow. */
void enrich_alert_process(struct enrich *e, json_t *alert)
{
    json_t *key = json_object_get(json_object_get(alert, "exfil"), "key");
    json_t *id = json_object_get(key, "process_id");
    if (!e->proc || !json_is_integer(id) || json_object_get(alert, "process"))
        return;
    json_t *tmp = json_object();
    proc_eve_add(e->proc, (uint32_t)json_integer_value(id), PROC_ATTR_NONE, tmp);
    json_t *p = json_object_get(tmp, "process");
    if (p)
        json_object_set(alert, "process", p);
    json_decref(tmp);
}

/* Compiles the configured rule files (or the bundled pack) into a set. */
int enrich_compile_rules(struct enrich *e, const struct xm_opts *o,
                              struct rules_set **set, char *err, size_t errlen)
{
    struct rules_error re;
    const char *def = NULL;
    const char *const *files = o->rule_files;
    size_t n = o->n_rule_files;
    if (n == 0) {
        def = rules_default_path();
        if (!def) {
            snprintf(err, errlen, "the default rule pack default.rules was not found "
                     "(install exfilmon, or give --rules FILE)");
            return -1;
        }
        files = &def;
        n = 1;
    }
    if (rules_compile_files(files, n, enrich_rules_registry(e), set, &re) != 0) {
        if (re.line > 0)
            snprintf(err, errlen, "%s:%d:%d: error: %s\n    %s\n    %*s^", re.file, re.line,
                     re.col, re.msg, re.src_line, re.col > 1 ? re.col - 1 : 0, "");
        else
            snprintf(err, errlen, "%s: error: %s", re.file, re.msg);
        return -1;
    }
    return 0;
}

void enrich_describe(const struct enrich *e, FILE *f)
{
    for (unsigned i = 0; i < e->n_ioc; i++)
        fprintf(f, "indicator list %s: %u entries\n", lists_name(e->ioc[i]),
                lists_count(e->ioc[i]));
    fprintf(f, "LLM endpoints: %u, AI user agents: %u, AI tool ports: %u, vendors: %u\n",
            lists_count(e->endpoints), lists_count(e->uas), lists_count(e->ports),
            lists_count(e->vendors));
    unsigned n = geo_db_count(e->geo);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "GeoIP database: %s\n", geo_db_path(e->geo, i));
    if (n == 0)
        fprintf(f, "GeoIP: no database (dst.country, dst.asn unavailable)\n");
}

void enrich_free(struct enrich *e)
{
    if (!e)
        return;
    rules_registry_free(e->reg);
    proc_free(e->proc);
    procwatch_free(e->pw);
    dstseen_free(e->ds);
    beacon_free(e->bc);
    for (unsigned i = 0; i < 4; i++)
        lists_free(e->svc[i]);
    aihost_free(e->ai);
    lookalike_free(e->lk);
    geo_free(e->geo);
    for (unsigned i = 0; i < e->n_ioc; i++)
        lists_free(e->ioc[i]);
    lists_free(e->endpoints);
    lists_free(e->uas);
    lists_free(e->ports);
    lists_free(e->vendors);
    app_free(e->app);
    free(e);
}
