/*
 * eve_alert.c - builds the EVE `event_type: "alert"` record with its
 * `exfil` explanation (schema: docs/schema-alert.md) from a rule that
 * fired, read through the engine's public accessors (struct rules_hit,
 * include/xm_rules.h).  Runs only when a rule fires, never per packet.
 * Output never depends on the hash seed: lists are sorted by value,
 * ties by address or flow id.  Built with the EVE writer's helpers
 * (include/xm_evew.h): one out-of-memory and one UTF-8 policy.
 */
#include "xm_eve.h"

#include <math.h>
#include <stdlib.h>

#include "xm_evew.h"
#include "xm_rules.h"

/*
 * The header shared with flow records (output/eve_flow.c): timestamp,
 * flow_id, event_type, schema_version, host, src_ip, src_port, dest_ip,
 * dest_port, proto, community_id.  Flow-scope alerts concern one flow and
 * carry its full 5-tuple; other scopes carry the key's addresses only.
 */
static void alert_common(json_t *o, const struct rules_eval_ctx *ctx, bool *bad)
{
    if (ctx->flow && ctx->scope == RULES_SCOPE_FLOW) {
        if (eve_add_common(o, ctx->flow, ctx->now, "alert") != 0)
            *bad = true;
        return;
    }
    eve_put_time(o, "timestamp", ctx->now, bad);
    eve_put_str(o, "event_type", "alert", bad);
    eve_put_str(o, "schema_version", XM_SCHEMA_VERSION, bad);
    eve_put_sensor(o, bad);
    if (ctx->scope == RULES_SCOPE_HOST || ctx->scope == RULES_SCOPE_HOSTDST ||
        ctx->scope == RULES_SCOPE_PROCESS)
        eve_put_addr(o, "src_ip", &ctx->key->local, bad);
    if (ctx->scope == RULES_SCOPE_HOSTDST)
        eve_put_addr(o, "dest_ip", &ctx->key->remote, bad);
}

static json_t *j_strings(char *const *v, size_t n, bool *bad)
{
    json_t *a = eve_arr(bad);
    for (size_t i = 0; a && i < n; i++) {
        json_t *s = eve_str(v[i], bad);
        if (s)
            eve_append(a, s, bad);
    }
    return a;
}

static json_t *j_one(const char *s, bool *bad)
{
    json_t *a = eve_arr(bad), *v = eve_str(s, bad);
    if (a && v)
        eve_append(a, v, bad);
    else
        json_decref(v);
    return a;
}

/* Tactic ids and names as two parallel arrays; left out when none known. */
static void alert_tactics(json_t *md, const struct rules_hit_rule *r, bool *bad)
{
    if (r->n_tactics == 0)
        return;
    json_t *ids = eve_arr(bad), *names = eve_arr(bad);
    for (size_t i = 0; ids && names && i < r->n_tactics; i++) {
        eve_append(ids, eve_str(r->tactic_id[i], bad), bad);
        eve_append(names, eve_str(r->tactic_name[i], bad), bad);
    }
    eve_put(md, "mitre_tactic_id", ids, bad);
    eve_put(md, "mitre_tactic_name", names, bad);
}

static json_t *alert_body(const struct rules_hit_rule *r, bool *bad)
{
    json_t *a = eve_obj(bad), *md = eve_obj(bad);
    if (!a || !md) {
        json_decref(md);
        return a;
    }
    eve_put_str(a, "action", "allowed", bad);
    eve_put_int(a, "gid", 1, bad);
    eve_put_int(a, "signature_id", r->id, bad);
    eve_put_int(a, "rev", r->rev, bad);
    eve_put_str(a, "signature", r->msg, bad);
    eve_put_str(a, "category", r->category ? r->category : "Exfiltration", bad);
    eve_put_int(a, "severity", r->severity, bad);
    alert_tactics(md, r, bad);
    eve_put(md, "mitre_technique_id", j_strings(r->mitre, r->n_mitre, bad), bad);
    eve_put(md, "tags", j_strings(r->tags, r->n_tags, bad), bad);
    eve_put(md, "severity_name", j_one(r->severity_name, bad), bad);
    eve_put(md, "scope", j_one(rules_scope_name(r->scope), bad), bad);
    eve_put(a, "metadata", md, bad);
    return a;
}

static json_t *j_key(const struct rules_eval_ctx *ctx, bool *bad)
{
    json_t *k = eve_obj(bad);
    if (!k)
        return NULL;
    switch (ctx->scope) {
    case RULES_SCOPE_FLOW:
        eve_put_int(k, "flow_id", (json_int_t)ctx->key->id, bad);
        break;
    case RULES_SCOPE_HOSTDST:
        eve_put_addr(k, "host", &ctx->key->local, bad);
        eve_put_addr(k, "dest", &ctx->key->remote, bad);
        break;
    case RULES_SCOPE_HOST:
        eve_put_addr(k, "host", &ctx->key->local, bad);
        break;
    case RULES_SCOPE_PROCESS:     /* the stage turns process_id into the pid */
        eve_put_addr(k, "host", &ctx->key->local, bad);
        eve_put_int(k, "process_id", (json_int_t)ctx->key->id, bad);
        break;
    default:
        eve_put_bool(k, "site", true, bad);
        break;
    }
    return k;
}

static void put_value(json_t *o, const char *key, enum rules_type t,
                      const union rules_value *v, bool *bad)
{
    switch (t) {
    case RULES_T_BOOL: eve_put_bool(o, key, v->b, bad); break;
    case RULES_T_ADDR: eve_put_addr(o, key, &v->addr, bad); break;
    case RULES_T_STRING: eve_put_strn(o, key, v->str.s, v->str.len, bad); break;
    default: eve_put_num(o, key, v->num, bad); break;
    }
}

static json_t *j_condition(const struct rules_hit_cond *hc, bool *bad)
{
    json_t *c = eve_obj(bad);
    if (!c)
        return NULL;
    eve_put_str(c, "field", hc->field, bad);
    eve_put_str(c, "op", hc->op, bad);
    put_value(c, "value", hc->type, &hc->value, bad);
    if (hc->thr_kind == RULES_THR_VALUE)
        put_value(c, "threshold", hc->type, &hc->threshold, bad);
    else if (hc->thr_kind == RULES_THR_TRUE)
        eve_put_bool(c, "threshold", true, bad);
    else
        eve_put_str(c, "threshold", hc->threshold_text, bad);
    return c;
}

static json_t *j_conditions(const struct rules_hit *h, bool *bad)
{
    json_t *a = eve_arr(bad);
    for (size_t i = 0; a && i < rules_hit_n_conditions(h); i++) {
        struct rules_hit_cond hc;
        rules_hit_condition(h, i, &hc);
        eve_append(a, j_condition(&hc, bad), bad);
    }
    return a;
}

/* Volume of the key over the rule window (flow: the flow's totals). */
static void j_totals(json_t *x, const struct rules_hit *h, bool *bad)
{
    double out, in, dur;
    int kind = rules_hit_totals(h, &out, &in, &dur);
    if (kind == 0)
        return;
    if (kind == 1)
        eve_put_num(x, "duration_s", dur, bad);
    eve_put_num(x, "bytes_out", out, bad);
    eve_put_num(x, "bytes_in", in, bad);
}

static void j_baseline(json_t *x, const struct rules_hit *h, bool *bad)
{
    struct rules_hit_baseline bl;
    if (!rules_hit_baseline(h, &bl))
        return;
    json_t *b = eve_obj(bad);
    if (!b)
        return;
    eve_put_str(b, "period", bl.which ? "1d" : "1h", bad);
    eve_put_str(b, "statistic", "median/MAD of ln(1+bytes_out)", bad);
    eve_put_int(b, "periods", bl.periods, bad);
    eve_put_bool(b, "ready", bl.ready, bad);
    eve_put_num(b, "median_bytes", bl.ready ? floor(expm1(bl.median_ln)) : 0, bad);
    eve_put_real(b, "mad_ln", bl.ready ? round(bl.mad_ln * 1e6) / 1e6 : 0, bad);
    eve_put_num(b, "current_bytes", bl.current_bytes, bad);
    eve_put(x, "baseline", b, bad);
}

/* What first_seen_age_s and prevalence rest on: the engine's history
 * (rules_novelty_basis; "warmup" without --state in the first day). */
static void j_novelty(json_t *x, const struct rules_hit *h, xm_time_t now, bool *bad)
{
    int64_t age;
    const char *basis = rules_novelty_basis(rules_hit_history(h), now, &age);
    json_t *n = eve_obj(bad);
    eve_put_str(n, "basis", basis, bad);
    eve_put_int(n, "history_s", age, bad);
    eve_put_int(n, "warmup_s", RULES_NOVELTY_WARMUP / XM_USEC_PER_SEC, bad);
    eve_put(x, "novelty", n, bad);
}

static void j_first_seen(json_t *x, const struct rules_hit *h, bool *bad)
{
    xm_time_t first;
    uint32_t prev;
    if (!rules_hit_first_seen(h, &first, &prev))
        return;
    xm_time_t now = rules_hit_ctx(h)->now;
    eve_put_num(x, "first_seen_age_s", floor((double)(now - first) / 1e6), bad);
    eve_put_int(x, "prevalence", prev, bad);
    j_novelty(x, h, now, bad);
}

typedef struct rules_top_dst top_dst_t;
typedef struct rules_top_flow top_flow_t;

static int cmp_dst(const void *a, const void *b)
{
    const top_dst_t *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return xm_addr_cmp(&x->a, &y->a);
}

static int cmp_flow(const void *a, const void *b)
{
    const top_flow_t *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return x->flow_id < y->flow_id ? -1 : x->flow_id > y->flow_id;
}

static json_t *j_top_dst(const top_dst_t *d, bool *bad)
{
    json_t *o = eve_obj(bad);
    eve_put_addr(o, "dest_ip", &d->a, bad);
    eve_put_int(o, "bytes_out", (json_int_t)d->bytes, bad);
    return o;
}

static json_t *j_top_flow(const top_flow_t *f, bool *bad)
{
    json_t *o = eve_obj(bad);
    eve_put_int(o, "flow_id", (json_int_t)f->flow_id, bad);
    eve_put_addr(o, "dest_ip", &f->remote, bad);
    eve_put_int(o, "dest_port", f->port, bad);
    eve_put_int(o, "bytes_out", (json_int_t)f->bytes, bad);
    return o;
}

static void j_top(json_t *x, const struct rules_hit *h, bool *bad)
{
    struct rules_hit_top t;
    if (!rules_hit_top(h, &t))
        return;
    bool pair = rules_hit_ctx(h)->scope == RULES_SCOPE_HOSTDST;
    qsort(t.d, RULES_TOP_K, sizeof t.d[0], cmp_dst);
    qsort(t.f, RULES_TOP_K, sizeof t.f[0], cmp_flow);
    json_t *d = eve_arr(bad), *f = eve_arr(bad);
    for (unsigned i = 0; d && f && i < RULES_TOP_K; i++) {
        if (t.d[i].bytes && !pair)
            eve_append(d, j_top_dst(&t.d[i], bad), bad);
        if (t.f[i].bytes)
            eve_append(f, j_top_flow(&t.f[i], bad), bad);
    }
    if (!pair)
        eve_put(x, "top_destinations", d, bad);
    else
        json_decref(d);
    eve_put(x, "top_flows", f, bad);
}

static json_t *alert_exfil(const struct rules_hit *h, const struct rules_hit_rule *r,
                           bool *bad)
{
    const struct rules_eval_ctx *ctx = rules_hit_ctx(h);
    json_t *x = eve_obj(bad);
    if (!x)
        return NULL;
    eve_put_str(x, "scope", rules_scope_name(ctx->scope), bad);
    eve_put(x, "key", j_key(ctx, bad), bad);
    if (r->window_s)
        eve_put_str(x, "window", r->window, bad);
    eve_put_bool(x, "escalation", rules_hit_escalation(h), bad);
    eve_put_int(x, "alert_count", rules_hit_fires(h), bad);
    eve_put(x, "conditions", j_conditions(h, bad), bad);
    j_totals(x, h, bad);
    j_baseline(x, h, bad);
    j_first_seen(x, h, bad);
    j_top(x, h, bad);
    eve_put(x, "host_tags", eve_arr(bad), bad);
    return x;
}

json_t *eve_alert_record(const struct rules_hit *h)
{
    struct rules_hit_rule r;
    bool bad = false;
    json_t *o = json_object();
    if (!o)
        return NULL;
    rules_hit_rule(h, &r);
    alert_common(o, rules_hit_ctx(h), &bad);
    eve_put(o, "alert", alert_body(&r, &bad), &bad);
    eve_put(o, "exfil", alert_exfil(h, &r, &bad), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
