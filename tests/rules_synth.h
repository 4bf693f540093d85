/*
 * rules_synth.h - synthetic flows and packets for the rule tests: builds
 * struct xm_flow / struct xm_pkt by hand (no decoder, no flow table) and
 * feeds them to the engine, collecting alerts.
 *
 * Home network of the synthetic site: 10.0.0.0/8 and 192.168.0.0/16.
 * Ownership: everything is static or caller storage; alerts are kept as
 * JSON (owned by struct synth, freed by synth_free).
 */
#ifndef RULES_SYNTH_H
#define RULES_SYNTH_H

#include <stdio.h>
#include <stdlib.h>

#include "xm_eve.h"
#include "xm_rules.h"

#define SYNTH_MAX_FLOWS 16
#define SYNTH_MAX_ALERTS 256

struct synth {
    struct rules_engine *eng;
    struct xm_flow flows[SYNTH_MAX_FLOWS];
    bool live[SYNTH_MAX_FLOWS];
    json_t *alerts[SYNTH_MAX_ALERTS];
    size_t n_alerts;
};

static inline void synth_cb(void *ctx, const struct rules_hit *hit)
{
    struct synth *s = ctx;
    json_t *a = eve_alert_record(hit);
    if (!a)
        return;
    if (s->n_alerts < SYNTH_MAX_ALERTS)
        s->alerts[s->n_alerts++] = a;
    else
        json_decref(a);
}

static inline bool synth_home(const struct xm_addr *a)
{
    return a->family == 4 && (a->b[0] == 10 || (a->b[0] == 192 && a->b[1] == 168));
}

/* Starts flow slot i: host:40000+i -> dst:dport (TCP). */
static inline void synth_flow(struct synth *s, int i, const char *host, const char *dst,
                              uint16_t dport, uint32_t proc)
{
    struct xm_flow *f = &s->flows[i];
    memset(f, 0, sizeof *f);
    xm_addr_parse(host, &f->cli);
    xm_addr_parse(dst, &f->srv);
    f->cli_port = (uint16_t)(40000 + i);
    f->srv_port = dport;
    f->proto = 6;
    f->local = synth_home(&f->srv) ? FLOW_LOCAL_BOTH : FLOW_LOCAL_CLIENT;
    f->flow_id = 1000 + (uint64_t)i;
    f->proc_id = proc;
    s->live[i] = true;
}

/* Sends `bytes` in direction dir (0 out from host, 1 in) at time t, in
 * packets of at most 1 GB (one call of rules_on_packet each). */
static inline void synth_send(struct synth *s, int i, xm_time_t t, int dir, uint64_t bytes)
{
    struct xm_flow *f = &s->flows[i];
    do {
        uint32_t n = bytes > 1000000000u ? 1000000000u : (uint32_t)bytes;
        struct xm_pkt p;
        memset(&p, 0, sizeof p);
        p.ts = t;
        p.ipver = 4;
        p.proto = 6;
        p.ip_bytes = n;
        p.src = dir ? f->srv : f->cli;
        p.dst = dir ? f->cli : f->srv;
        if (!f->first)
            f->first = t;
        f->last = t;
        f->pkts[dir]++;
        f->bytes[dir] += n;
        rules_on_packet(s->eng, &p, f, dir);
        bytes -= n;
    } while (bytes);
}

static inline void synth_end(struct synth *s, int i, enum flow_end_reason r)
{
    if (!s->live[i])
        return;
    rules_on_flow_end(s->eng, &s->flows[i], r);
    s->live[i] = false;
}

static inline void synth_finish(struct synth *s)
{
    for (int i = 0; i < SYNTH_MAX_FLOWS; i++)
        synth_end(s, i, FLOW_END_SHUTDOWN);
    rules_flush(s->eng);
}

static inline void synth_free(struct synth *s)
{
    for (size_t i = 0; i < s->n_alerts; i++)
        json_decref(s->alerts[i]);
    s->n_alerts = 0;
    rules_engine_free(s->eng);
    s->eng = NULL;
}

static inline int synth_alert_sid(const struct synth *s, size_t i)
{
    return (int)json_integer_value(json_object_get(json_object_get(s->alerts[i], "alert"),
                                                   "signature_id"));
}

static inline bool synth_alert_esc(const struct synth *s, size_t i)
{
    return json_is_true(json_object_get(json_object_get(s->alerts[i], "exfil"), "escalation"));
}

static inline int synth_alert_sev(const struct synth *s, size_t i)
{
    return (int)json_integer_value(json_object_get(json_object_get(s->alerts[i], "alert"),
                                                   "severity"));
}

/* Compiles `text` as rule file `name` against reg; prints the located
 * error and returns NULL when it does not compile. */
static inline struct rules_set *synth_compile(struct rules_registry *reg, const char *name,
                                              const char *text)
{
    struct rules_set *set = NULL;
    struct rules_error err;
    if (rules_compile_string(name, text, reg, &set, &err) != 0)
        rules_error_print(&err, stderr);
    return set;
}

/* Clears s and starts its engine on set (owned by the engine from here)
 * with limits lim; false when set is NULL or the engine cannot start. */
static inline bool synth_start(struct synth *s, struct rules_set *set,
                               const struct rules_limits *lim)
{
    memset(s, 0, sizeof *s);
    if (!set)
        return false;
    s->eng = rules_engine_new(set, lim, synth_cb, s);
    return s->eng != NULL;
}

/* The volume rules of the default pack: rules/default.rules with its
 * `include` lines blanked (included packs, e.g. intel.rules, need the
 * fields of other modules and are tested by those modules).  Caller
 * frees; NULL when the file cannot be read. */
static inline char *synth_default_pack(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char line[4096];
    while (m && fgets(line, sizeof line, f))
        fputs(strncmp(line, "include ", 8) == 0 ? "\n" : line, m);
    if (m)
        fclose(m);
    fclose(f);
    return buf;
}

#endif
