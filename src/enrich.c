/*
 * enrich.c - the program's glue to the analysis stage (analysis/stage.c,
 * include/xm_stage.h) and the rule field registry: loads what the
 * options and the config file name (bundled and configured lists, GeoIP
 * databases, the process table, the operator inventory) into the stage's
 * configuration, registers the stage's rule fields, and compiles the rule
 * files against them.
 *
 * Data files are looked up under the installed data directory
 * (XM_DATADIR); a binary run from its build tree also looks in the source
 * and build trees (xm_paths.h: only the uninstalled binary knows them).
 */
#include "xm_enrich.h"
#include "xm_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xm_config.h"
#include "xm_config_file.h"
#include "xm_paths.h"

struct enrich {
    struct stage *st;
    struct rules_registry *reg;
};

static bool enrich_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Resolves a data file name ("ioc/teampcp.list") to a readable path. */
static const char *enrich_data_path(const char *rel, char *buf, size_t len)
{
    const char *roots[3];
    size_t n = paths_data_roots(roots, XM_ARRAY_LEN(roots));
    for (size_t i = 0; i < n; i++) {
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
        const char *src = paths_source_root();
        snprintf(err, errlen, "data file %s not found under %s%s%s%s", rel, XM_DATADIR,
                 src ? " or " : "", src ? src : "", src ? "/data" : "");
        return -1;
    }
    return lists_load_file(path, NULL, seed, out, err, errlen);
}

/* Indicator lists named in the config file (lists { NAME = "path" }). */
static int enrich_config_lists(struct stage_config *c, const struct xm_opts *o, uint64_t seed,
                               char *err, size_t errlen)
{
    size_t n = 0;
    const struct config_list *cl = o->config ? config_lists(o->config, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (c->n_ioc == STAGE_MAX_IOC) {
            snprintf(err, errlen, "%s: at most %d indicator lists", o->config_path,
                     STAGE_MAX_IOC);
            return -1;
        }
        if (lists_load_file(cl[i].path, cl[i].name, seed, &c->ioc[c->n_ioc], err, errlen) != 0)
            return -1;
        c->n_ioc++;
    }
    return 0;
}

static int enrich_lists(struct stage_config *c, const struct xm_opts *o, uint64_t seed,
                        char *err, size_t errlen)
{
    if (enrich_list("ioc/teampcp.list", &c->ioc[0], seed, err, errlen) != 0)
        return -1;
    c->n_ioc = 1;
    if (enrich_config_lists(c, o, seed, err, errlen) != 0)
        return -1;
    if (enrich_list("ai/llm_endpoints.list", &c->endpoints, seed, err, errlen) != 0 ||
        enrich_list("ai/user_agents.list", &c->user_agents, seed, err, errlen) != 0 ||
        enrich_list("ai/ports.list", &c->ports, seed, err, errlen) != 0 ||
        enrich_list("vendors.list", &c->vendors, seed, err, errlen) != 0 ||
        enrich_list("dns/resolvers.list", &c->resolvers, seed, err, errlen) != 0 ||
        enrich_list("ech_public_names.list", &c->ech_fronts, seed, err, errlen) != 0)
        return -1;
    return 0;
}

/* services/: the lists behind dst.service (stage_config.services order). */
static int enrich_services(struct stage_config *c, uint64_t seed, char *err, size_t errlen)
{
    static const char *const files[STAGE_N_SERVICES] = {
        "services/filesharing.list", "services/paste.list", "services/tunnels.list",
        "services/object_storage.list"};
    for (unsigned i = 0; i < STAGE_N_SERVICES; i++)
        if (enrich_list(files[i], &c->services[i], seed, err, errlen) != 0)
            return -1;
    return 0;
}

/* --geoip files, else every database found at the usual paths (the
 * country database built at set-up time among them). */
static int enrich_geo(struct stage_config *c, const struct xm_opts *o, uint64_t seed,
                      char *err, size_t errlen)
{
    c->geo = geo_new(65536, seed);
    if (!c->geo) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < o->n_geoip; i++)
        if (geo_open(c->geo, o->geoip[i], err, errlen) != 0)
            return -1;
    if (o->n_geoip)
        return 0;
    if (geo_open_default(c->geo, XM_DATADIR, err, errlen) < 0)
        return -1;
    const char *build = paths_build_root();     /* uninstalled binary only */
    char built[1100];
    if (geo_db_count(c->geo) > 0 || !build)
        return 0;
    snprintf(built, sizeof built, "%s/data/country.mmdb", build);
    return enrich_exists(built) ? geo_open(c->geo, built, err, errlen) : 0;
    return 0;
}

/*
 * Per-process attribution: live on an endpoint (sock_diag + /proc +
 * process connector, opened here, before privileges are dropped), or in
 * replay from a ledger written beside the capture.  On a gateway, where
 * the kernel knows none of the sockets, attribution simply finds nothing.
 */
static int enrich_proc(struct stage_config *c, const struct xm_opts *o, char *err, size_t errlen)
{
    bool live = o->iface && !o->no_process;
    if (!live && !o->processes_path)
        return 0;
    c->proc = proc_new(NULL);
    if (!c->proc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (o->processes_path)
        return proc_ledger_load(c->proc, o->processes_path, err, errlen);
    char why[256] = "disabled by --no-ebpf";
    if (!o->no_ebpf && proc_open_bpf(c->proc, why, sizeof why) == 0)
        xm_info("process attribution: %s", proc_source_name(c->proc));
    else if (proc_open_netlink(c->proc) == 0)
        xm_info("process attribution: sock_diag (eBPF: %s)", why);
    else {
        xm_warn("per-process attribution unavailable (sock_diag "
                "could not be opened); accounting goes on per host");
        proc_free(c->proc);
        c->proc = NULL;
        return 0;
    }
    if (o->record_processes_path &&
        proc_ledger_open_write(c->proc, o->record_processes_path) != 0) {
        snprintf(err, errlen, "%s: cannot write the process ledger: %s",
                 o->record_processes_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Operator inventory from the config file: CIDR -> tags. */
static int enrich_inventory(struct enrich *e, const struct xm_opts *o, char *err, size_t errlen)
{
    size_t n = 0;
    const struct config_tag *t = o->config ? config_inventory(o->config, &n) : NULL;
    struct aihost *ai = stage_aihost(e->st);
    for (size_t i = 0; i < n; i++) {
        char why[256];
        if (aihost_tag_inventory(ai, t[i].cidr, t[i].tags, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: inventory: %s", o->config_path, t[i].line, why);
            return -1;
        }
    }
    return 0;
}

/* Every rule-field provider of the stage, in its order (a name
 * registered first wins). */
static int enrich_registry(struct enrich *e, char *err, size_t errlen)
{
    struct stage_field_source src[16];
    size_t n = stage_field_sources(e->st, src, XM_ARRAY_LEN(src));
    int rc = n <= XM_ARRAY_LEN(src) ? 0 : -1;
    e->reg = rules_registry_new();
    if (!e->reg)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = rules_fields_add(e->reg, src[i].list, src[i].owner) < 0 ? -1 : 0;
    if (rc != 0)
        snprintf(err, errlen, "cannot build the rule field registry: out of memory");
    return rc;
}

/* Options -> the stage's configuration (lists, GeoIP, processes). */
static int enrich_config(struct stage_config *c, const struct xm_opts *o, char *err,
                         size_t errlen)
{
    if (enrich_lists(c, o, c->seed, err, errlen) != 0 ||
        enrich_geo(c, o, c->seed, err, errlen) != 0 ||
        enrich_proc(c, o, err, errlen) != 0 ||
        enrich_services(c, c->seed, err, errlen) != 0)
        return -1;
    return 0;
}

struct enrich *enrich_new(const struct xm_opts *o, char *err, size_t errlen)
{
    struct stage_config cfg = {.seed = xm_hash_random_seed(), .max_names = o->max_names,
                               .max_pairs = o->max_pairs, .max_app_flows = o->max_app_flows};
    struct enrich *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (enrich_config(&cfg, o, err, errlen) != 0) {
        stage_config_free(&cfg);
        goto fail;
    }
    e->st = stage_new(&cfg, err, errlen);   /* owns cfg's contents from here */
    if (!e->st || enrich_inventory(e, o, err, errlen) != 0 ||
        enrich_registry(e, err, errlen) != 0)
        goto fail;
    return e;
fail:
    enrich_free(e);
    return NULL;
}

struct rules_registry *enrich_rules_registry(struct enrich *e) { return e->reg; }
struct stage *enrich_stage(struct enrich *e) { return e->st; }

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
    if (rules_compile_files(files, n, e->reg, set, &re) != 0) {
        if (re.line > 0)
            snprintf(err, errlen, "%s:%d:%d: error: %s\n    %s\n    %*s^", re.file, re.line,
                     re.col, re.msg, re.src_line, re.src_col > 1 ? re.src_col - 1 : 0, "");
        else
            snprintf(err, errlen, "%s: error: %s", re.file, re.msg);
        return -1;
    }
    return 0;
}

void enrich_free(struct enrich *e)
{
    if (!e)
        return;
    rules_registry_free(e->reg);
    stage_free(e->st);
    free(e);
}
