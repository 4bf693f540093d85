/*
 * alert.c - builds the EVE `event_type: "alert"` object with its `exfil`
 * explanation (schema: docs/schema-alert.md).  Runs only when a rule
 * fires, never per packet.  Output never depends on the hash seed: lists
 * are sorted by value, ties by address or flow id.
 */
#include "engine.h"
#include "lex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "xm_eve.h"

static json_t *j_addr(const struct xm_addr *a)
{
    char buf[64];
    return json_string(xm_addr_str(a, buf, sizeof buf));
}

/* A count as an integer when exact, else a real. */
static json_t *j_num(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

/*
 * The header shared with flow records (output/eve_flow.c): timestamp,
 * flow_id, event_type, schema_version, src_ip, src_port, dest_ip,
 * dest_port, proto, community_id.  Flow-scope alerts concern one flow and
 * carry its full 5-tuple; other scopes carry the key's addresses only.
 */
static void alert_common(json_t *o, const struct rules_eval_ctx *ctx)
{
    char ts[40];
    if (ctx->flow && ctx->scope == RULES_SCOPE_FLOW) {
        eve_add_common(o, ctx->flow, ctx->now, "alert");
        return;
    }
    json_object_set_new(o, "timestamp", json_string(xm_time_iso(ctx->now, ts, sizeof ts)));
    json_object_set_new(o, "event_type", json_string("alert"));
    json_object_set_new(o, "schema_version", json_string(XM_SCHEMA_VERSION));
    if (ctx->scope == RULES_SCOPE_HOST || ctx->scope == RULES_SCOPE_HOSTDST)
        json_object_set_new(o, "src_ip", j_addr(&ctx->key->local));
    if (ctx->scope == RULES_SCOPE_HOSTDST)
        json_object_set_new(o, "dest_ip", j_addr(&ctx->key->remote));
}

static json_t *j_strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *alert_body(const struct rrule *r)
{
    json_t *a = json_object(), *md = json_object();
    json_object_set_new(a, "action", json_string("allowed"));
    json_object_set_new(a, "gid", json_integer(1));
    json_object_set_new(a, "signature_id", json_integer(r->id));
    json_object_set_new(a, "rev", json_integer(r->rev));
    json_object_set_new(a, "signature", json_string(r->msg));
    json_object_set_new(a, "category", json_string(r->category ? r->category :
                                                    "Exfiltration"));
    json_object_set_new(a, "severity", json_integer(r->severity));
    json_object_set_new(md, "mitre_technique_id", j_strings(r->mitre, r->n_mitre));
    json_object_set_new(md, "tags", j_strings(r->tags, r->n_tags));
    json_object_set_new(md, "severity_name", json_pack("[s]", rsev_name(r->severity)));
    json_object_set_new(md, "scope", json_pack("[s]", rules_scope_name(r->scope)));
    json_object_set_new(a, "metadata", md);
    return a;
}

static json_t *j_key(const struct rules_eval_ctx *ctx)
{
    json_t *k = json_object();
    switch (ctx->scope) {
    case RULES_SCOPE_FLOW:
        json_object_set_new(k, "flow_id", json_integer((json_int_t)ctx->key->id));
        break;
    case RULES_SCOPE_HOSTDST:
        json_object_set_new(k, "host", j_addr(&ctx->key->local));
        json_object_set_new(k, "dest", j_addr(&ctx->key->remote));
        break;
    case RULES_SCOPE_HOST:
        json_object_set_new(k, "host", j_addr(&ctx->key->local));
        break;
    case RULES_SCOPE_PROCESS:
        json_object_set_new(k, "process_id", json_integer((json_int_t)ctx->key->id));
        break;
    default:
        json_object_set_new(k, "site", json_true());
        break;
    }
    return k;
}

static const char *op_text(const struct rnode *n)
{
    static const char *const ops[] = {[LEX_LT] = "<", [LEX_LE] = "<=", [LEX_GT] = ">",
                                      [LEX_GE] = ">=", [LEX_EQ] = "==", [LEX_NE] = "!="};
    switch (n->op) {
    case RN_CMP: return ops[n->cmp];
    case RN_IN: return "in";
    case RN_MATCH: return "matches";
    default: return "is";
    }
}

static json_t *j_value(enum rules_type t, const union rules_value *v)
{
    switch (t) {
    case RULES_T_BOOL: return json_boolean(v->b);
    case RULES_T_ADDR: return j_addr(&v->addr);
    case RULES_T_STRING: return json_stringn(v->str.s, v->str.len);
    default: return j_num(v->num);
    }
}

static json_t *j_conditions(const struct rtrace *tr)
{
    json_t *a = json_array();
    for (size_t i = 0; i < tr->n; i++) {
        const struct rnode *n = tr->it[i].n;
        enum rules_type t = n->field->type;
        json_t *c = json_object();
        json_object_set_new(c, "field", json_string(n->text));
        json_object_set_new(c, "op", json_string(op_text(n)));
        json_object_set_new(c, "value", j_value(t, &tr->it[i].v));
        if (n->op == RN_CMP)
            json_object_set_new(c, "threshold", j_value(t, &n->lit));
        else if (n->op == RN_BOOL)
            json_object_set_new(c, "threshold", json_true());
        else
            json_object_set_new(c, "threshold", json_string(n->lit_text ? n->lit_text : ""));
        json_array_append_new(a, c);
    }
    return a;
}

/* Volume of the key over the rule window (flow: the flow's totals). */
static void j_totals(json_t *x, const struct rules_engine *eng, const struct rrule *r,
                     const struct rules_eval_ctx *ctx)
{
    double out, in;
    if (ctx->scope == RULES_SCOPE_FLOW) {
        struct xm_addr l, rm;
        uint16_t lp, rp;
        int od;
        reng_flow_sides(ctx->flow, &l, &rm, &lp, &rp, &od);
        out = (double)ctx->flow->bytes[od];
        in = (double)ctx->flow->bytes[!od];
        json_object_set_new(x, "duration_s",
                            j_num(floor((double)(ctx->flow->last - ctx->flow->first) / 1e6)));
    } else if (r->window_s) {
        out = reng_window_sum(eng, ctx->state, ctx->scope, RM_BYTES_OUT, r->window_s, ctx->now);
        in = reng_window_sum(eng, ctx->state, ctx->scope, RM_BYTES_IN, r->window_s, ctx->now);
    } else {
        return;
    }
    json_object_set_new(x, "bytes_out", j_num(out));
    json_object_set_new(x, "bytes_in", j_num(in));
}

static int rule_baseline(const struct rnode *n)
{
    if (!n)
        return -1;
    if (n->field && rmetric_baseline(n->fref.metric))
        return n->fref.metric == RM_BL_1D_Z || n->fref.metric == RM_BL_1D_MULT;
    int a = rule_baseline(n->a);
    return a >= 0 ? a : rule_baseline(n->b);
}

static void j_baseline(json_t *x, const struct rules_engine *eng, const struct rrule *r,
                       const struct rules_eval_ctx *ctx)
{
    int which = rule_baseline(r->cond);
    double med = 0, mad = 0, cur = 0;
    unsigned n = 0;
    if (which < 0)
        return;
    json_t *b = json_object();
    int rc = reng_baseline(eng, ctx->state, ctx->scope, which, &med, &mad, &cur, &n);
    json_object_set_new(b, "period", json_string(which ? "1d" : "1h"));
    json_object_set_new(b, "statistic", json_string("median/MAD of ln(1+bytes_out)"));
    json_object_set_new(b, "periods", json_integer(n));
    json_object_set_new(b, "ready", json_boolean(rc == 0));
    json_object_set_new(b, "median_bytes", j_num(rc == 0 ? floor(expm1(med)) : 0));
    json_object_set_new(b, "mad_ln", json_real(rc == 0 ? round(mad * 1e6) / 1e6 : 0));
    json_object_set_new(b, "current_bytes", j_num(cur));
    json_object_set_new(x, "baseline", b);
}

static void j_first_seen(json_t *x, const struct rules_engine *eng,
                         const struct rules_eval_ctx *ctx)
{
    struct xm_addr l, rm;
    if (ctx->scope == RULES_SCOPE_FLOW) {
        uint16_t lp, rp;
        int od;
        reng_flow_sides(ctx->flow, &l, &rm, &lp, &rp, &od);
    } else if (ctx->scope == RULES_SCOPE_HOSTDST) {
        l = ctx->key->local;
        rm = ctx->key->remote;
    } else {
        return;
    }
    xm_time_t first;
    uint32_t prev;
    reng_first_seen(eng, &l, &rm, &first, &prev);
    json_object_set_new(x, "first_seen_age_s", j_num(floor((double)(ctx->now - first) / 1e6)));
    json_object_set_new(x, "prevalence", json_integer(prev));
}

static int cmp_dst(const void *a, const void *b)
{
    const struct rtop_dst *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return xm_addr_cmp(&x->a, &y->a);
}

static int cmp_flow(const void *a, const void *b)
{
    const struct rtop_flow *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return x->flow_id < y->flow_id ? -1 : x->flow_id > y->flow_id;
}

static void j_top(json_t *x, const struct rules_engine *eng, const struct rules_eval_ctx *ctx)
{
    if (ctx->scope == RULES_SCOPE_FLOW)
        return;
    struct rtop t = *(const struct rtop *)rk_payload(ctx->state,
                                                     eng->lay[ctx->scope].off_top);
    qsort(t.d, RTOP_K, sizeof t.d[0], cmp_dst);
    qsort(t.f, RTOP_K, sizeof t.f[0], cmp_flow);
    json_t *d = json_array(), *f = json_array();
    for (unsigned i = 0; i < RTOP_K; i++) {
        if (t.d[i].bytes && ctx->scope != RULES_SCOPE_HOSTDST)
            json_array_append_new(d, json_pack("{s:o,s:I}", "dest_ip", j_addr(&t.d[i].a),
                                               "bytes_out", (json_int_t)t.d[i].bytes));
        if (t.f[i].bytes)
            json_array_append_new(f, json_pack("{s:I,s:o,s:i,s:I}", "flow_id",
                                               (json_int_t)t.f[i].flow_id, "dest_ip",
                                               j_addr(&t.f[i].remote), "dest_port",
                                               (int)t.f[i].port, "bytes_out",
                                               (json_int_t)t.f[i].bytes));
    }
    if (ctx->scope != RULES_SCOPE_HOSTDST)
        json_object_set_new(x, "top_destinations", d);
    else
        json_decref(d);
    json_object_set_new(x, "top_flows", f);
}

static json_t *alert_exfil(const struct rules_engine *eng, const struct rrule *r,
                           const struct rules_eval_ctx *ctx, const struct rtrace *tr,
                           bool esc, uint32_t fires)
{
    json_t *x = json_object();
    json_object_set_new(x, "scope", json_string(rules_scope_name(ctx->scope)));
    json_object_set_new(x, "key", j_key(ctx));
    if (r->window_s) {
        char w[32];
        rdur_str(r->window_s, w, sizeof w);
        json_object_set_new(x, "window", json_string(w));
    }
    json_object_set_new(x, "escalation", json_boolean(esc));
    json_object_set_new(x, "alert_count", json_integer(fires));
    json_object_set_new(x, "conditions", j_conditions(tr));
    j_totals(x, eng, r, ctx);
    j_baseline(x, eng, r, ctx);
    j_first_seen(x, eng, ctx);
    j_top(x, eng, ctx);
    json_object_set_new(x, "host_tags", json_array());
    return x;
}

json_t *ralert_build(const struct rules_engine *eng, const struct rrule *r,
                     const struct rules_eval_ctx *ctx, const struct rtrace *tr,
                     bool escalation, uint32_t fires)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    alert_common(o, ctx);
    json_object_set_new(o, "alert", alert_body(r));
    json_object_set_new(o, "exfil", alert_exfil(eng, r, ctx, tr, escalation, fires));
    return o;
}
