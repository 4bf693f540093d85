/*
 * rules_replay.c - replays captures through decode -> flow table -> rule
 * engine without the rest of the pipeline, to validate a rule pack on
 * scenario captures and to measure the rule cost (run once with and once
 * with --no-rules; bench/README.md).
 *
 * Usage: rules_replay [--no-rules] [--rules FILE] [--home-net CIDRS]
 *                     [--alerts FILE] -r FILE [-r FILE ...]
 * Prints packets, flows, alerts and the wall time of the loop on stderr;
 * alerts go to --alerts (default: standard output) as JSON lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xm_config.h"
#include "xm_flow.h"
#include "xm_netset.h"
#include "xm_eve.h"
#include "xm_rules.h"
#include "xm_source.h"

struct rr {
    struct rules_engine *eng;
    FILE *out;
    uint64_t alerts;
};

static void rr_alert(void *ctx, const struct rules_hit *hit)
{
    struct rr *rr = ctx;
    json_t *a = eve_alert_record(hit);
    if (!a)
        return;
    json_dumpf(a, rr->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', rr->out);
    rr->alerts++;
    json_decref(a);
}

static void rr_flow_end(void *ctx, struct xm_flow *f, enum flow_end_reason r)
{
    struct rr *rr = ctx;
    if (rr->eng)
        rules_on_flow_end(rr->eng, f, r);
}

struct rr_args {
    const char *paths[64];
    size_t n;
    const char *rules, *home, *alerts;
    bool no_rules;
};

static int rr_parse(int argc, char **argv, struct rr_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--no-rules"))
            a->no_rules = true;
        else if (!strcmp(argv[i], "--rules") && v)
            a->rules = argv[++i];
        else if (!strcmp(argv[i], "--home-net") && v)
            a->home = argv[++i];
        else if (!strcmp(argv[i], "--alerts") && v)
            a->alerts = argv[++i];
        else if (!strcmp(argv[i], "-r") && v && a->n < 64)
            a->paths[a->n++] = argv[++i];
        else
            return -1;
    }
    return a->n ? 0 : -1;
}

static struct rules_engine *rr_engine(const struct rr_args *a, struct rr *rr,
                                      struct rules_registry *reg)
{
    const char *path = a->rules ? a->rules : rules_default_path();
    struct rules_set *set = NULL;
    struct rules_error err;
    if (!path || rules_compile_file(path, reg, &set, &err) != 0) {
        if (path)
            rules_error_print(&err, stderr);
        return NULL;
    }
    struct rules_limits lim = {0};
    return rules_engine_new(set, &lim, rr_alert, rr);
}

static uint64_t rr_loop(struct src *s, struct flow_table *ft, struct rr *rr,
                        struct xm_netset *home)
{
    struct src_pkt sp;
    struct dec_stats ds;
    memset(&ds, 0, sizeof ds);
    xm_time_t clock = 0;
    uint64_t n = 0;
    while (src_next(s, &sp) == SRC_PKT) {
        struct xm_pkt p;
        n++;
        if (sp.ts / XM_USEC_PER_SEC != clock / XM_USEC_PER_SEC && sp.ts > clock) {
            clock = sp.ts;
            flow_expire(ft, clock);
            if (rr->eng)
                rules_tick(rr->eng, clock);
        }
        if (dec_packet(sp.dlt, sp.ts, sp.data, sp.caplen, sp.wirelen, &p, &ds) != DEC_OK)
            continue;
        int dir = 0;
        struct xm_flow *f = flow_update(ft, &p, netset_is_local_cb, home, &dir);
        if (f && rr->eng)
            rules_on_packet(rr->eng, &p, f, dir);
    }
    return n;
}

int main(int argc, char **argv)
{
    struct rr_args a = {0};
    struct rr rr = {0};
    char err[256];
    if (rr_parse(argc, argv, &a) != 0) {
        fprintf(stderr, "usage: rules_replay [--no-rules] [--rules FILE] [--home-net CIDRS] "
                        "[--alerts FILE] -r FILE...\n");
        return 2;
    }
    struct xm_netset *home = a.home ? netset_new() : netset_default_home();
    if (!home || (a.home && netset_parse(home, a.home, err, sizeof err) != 0)) {
        fprintf(stderr, "home net: %s\n", a.home ? err : "out of memory");
        return 2;
    }
    struct rules_registry *reg = rules_registry_new();
    rr.out = a.alerts ? fopen(a.alerts, "w") : stdout;
    if (!a.no_rules && !(rr.eng = rr_engine(&a, &rr, reg)))
        return 1;
    struct flow_timeouts to;
    flow_timeouts_default(&to);
    struct flow_table *ft = flow_table_new(1u << 20, &to, xm_hash_random_seed(),
                                           rr_flow_end, &rr);
    struct src *s = NULL;
    if (!rr.out || !ft || src_open_files(&s, a.paths, a.n, err, sizeof err) != 0) {
        fprintf(stderr, "rules_replay: %s\n", s ? err : "cannot start");
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t n = rr_loop(s, ft, &rr, home);
    flow_flush(ft);
    if (rr.eng)
        rules_flush(rr.eng);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "packets %llu flows %llu alerts %llu seconds %.3f\n", (unsigned long long)n,
            (unsigned long long)flow_table_stats(ft)->created, (unsigned long long)rr.alerts,
            secs);
    src_close(s);
    flow_table_free(ft);
    rules_engine_free(rr.eng);
    rules_registry_free(reg);
    netset_free(home);
    if (rr.out != stdout)
        fclose(rr.out);
    return 0;
}
