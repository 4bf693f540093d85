/*
 * hit.c - the public view of a rule that fired (struct rules_hit,
 * include/xm_rules.h): what the alert writer (output/eve_alert.c) may
 * read of the rule, its trace and the key's engine state, without
 * seeing the engine's structures.  Runs only when a rule fires.
 */
#include "engine.h"
#include "lex.h"
#include "mitre.h"

#include <math.h>
#include <string.h>

const struct rules_eval_ctx *rules_hit_ctx(const struct rules_hit *h) { return h->ctx; }
bool rules_hit_escalation(const struct rules_hit *h) { return h->escalation; }
uint32_t rules_hit_fires(const struct rules_hit *h) { return h->fires; }
size_t rules_hit_n_conditions(const struct rules_hit *h) { return h->tr->n; }

/* The tactics of r's techniques into out, in citation order, each once. */
static void hit_tactics(const struct rrule *r, struct rules_hit_rule *out)
{
    for (size_t i = 0; i < r->n_mitre; i++) {
        const char *t[MITRE_MAX_TACTICS];
        size_t n = mitre_tactics(r->mitre[i], t);
        for (size_t k = 0; k < n && out->n_tactics < RULES_HIT_MAX_TACTICS; k++) {
            bool dup = false;
            for (size_t j = 0; j < out->n_tactics; j++)
                dup |= strcmp(out->tactic_id[j], t[k]) == 0;
            if (dup)
                continue;
            out->tactic_id[out->n_tactics] = t[k];
            out->tactic_name[out->n_tactics++] = mitre_tactic_name(t[k]);
        }
    }
}

void rules_hit_rule(const struct rules_hit *h, struct rules_hit_rule *out)
{
    const struct rrule *r = h->r;
    memset(out, 0, sizeof *out);
    out->id = r->id;
    out->rev = r->rev;
    out->msg = r->msg;
    out->category = r->category;
    out->severity = r->severity;
    out->severity_name = rsev_name(r->severity);
    out->scope = r->scope;
    out->window_s = r->window_s;
    if (r->window_s)
        rdur_str(r->window_s, out->window, sizeof out->window);
    out->mitre = r->mitre;
    out->n_mitre = r->n_mitre;
    out->tags = r->tags;
    out->n_tags = r->n_tags;
    hit_tactics(r, out);
}

static const char *hit_op_text(const struct rnode *n)
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

void rules_hit_condition(const struct rules_hit *h, size_t i, struct rules_hit_cond *out)
{
    const struct rnode *n = h->tr->it[i].n;
    memset(out, 0, sizeof *out);
    out->field = n->text;
    out->op = hit_op_text(n);
    out->type = n->field->type;
    out->value = h->tr->it[i].v;
    if (n->op == RN_CMP) {
        out->thr_kind = RULES_THR_VALUE;
        out->threshold = n->lit;
    } else if (n->op == RN_BOOL) {
        out->thr_kind = RULES_THR_TRUE;
    } else {
        out->thr_kind = RULES_THR_TEXT;
        out->threshold_text = n->lit_text ? n->lit_text : "";
    }
}

int rules_hit_totals(const struct rules_hit *h, double *out, double *in, double *duration_s)
{
    const struct rules_eval_ctx *ctx = h->ctx;
    if (ctx->scope == RULES_SCOPE_FLOW) {
        struct xm_addr l, rm;
        uint16_t lp, rp;
        int od;
        reng_flow_sides(ctx->flow, &l, &rm, &lp, &rp, &od);
        *out = (double)ctx->flow->bytes[od];
        *in = (double)ctx->flow->bytes[!od];
        *duration_s = floor((double)(ctx->flow->last - ctx->flow->first) / 1e6);
        return 1;
    }
    if (!h->r->window_s)
        return 0;
    *out = reng_window_sum(h->eng, ctx->state, ctx->scope, RM_BYTES_OUT, h->r->window_s,
                           ctx->now);
    *in = reng_window_sum(h->eng, ctx->state, ctx->scope, RM_BYTES_IN, h->r->window_s,
                          ctx->now);
    return 2;
}

/* The first baseline field of a condition: 0 hourly, 1 daily, -1 none. */
static int hit_baseline_of(const struct rnode *n)
{
    if (!n)
        return -1;
    if (n->field && rmetric_baseline(n->fref.metric))
        return n->fref.metric == RM_BL_1D_Z || n->fref.metric == RM_BL_1D_MULT;
    for (size_t i = 0; i < n->nkid; i++) {
        int a = hit_baseline_of(n->kid[i]);
        if (a >= 0)
            return a;
    }
    return -1;
}

bool rules_hit_baseline(const struct rules_hit *h, struct rules_hit_baseline *out)
{
    int which = hit_baseline_of(h->r->cond);
    double med = 0, mad = 0, cur = 0;
    unsigned n = 0;
    if (which < 0)
        return false;
    int rc = reng_baseline(h->eng, h->ctx->state, h->ctx->scope, which, &med, &mad, &cur, &n);
    *out = (struct rules_hit_baseline){.which = which, .ready = rc == 0, .median_ln = med,
                                       .mad_ln = mad, .current_bytes = cur, .periods = n};
    return true;
}

bool rules_hit_first_seen(const struct rules_hit *h, xm_time_t *first, uint32_t *prevalence)
{
    const struct rules_eval_ctx *ctx = h->ctx;
    struct xm_addr l, rm;
    if (ctx->scope == RULES_SCOPE_FLOW) {
        uint16_t lp, rp;
        int od;
        reng_flow_sides(ctx->flow, &l, &rm, &lp, &rp, &od);
    } else if (ctx->scope == RULES_SCOPE_HOSTDST) {
        l = ctx->key->local;
        rm = ctx->key->remote;
    } else {
        return false;
    }
    reng_first_seen(h->eng, &l, &rm, first, prevalence);
    return true;
}

/* A host+destination key's top flows: their remote is the key's. */
static void top_of_pair(const struct rtop_pair *t, const struct xm_addr *remote,
                        struct rules_hit_top *out)
{
    for (unsigned i = 0; i < RTOP_K; i++) {
        struct rtop_pflow e;
        rtop_pair_get(t, i, &e);
        out->f[i].flow_id = e.flow_id;
        out->f[i].remote = e.bytes ? *remote : (struct xm_addr){0};
        out->f[i].port = e.port;
        out->f[i].bytes = e.bytes;
        out->f[i].name_id = e.name_id;
        out->f[i].name_src = e.name_src;
    }
}

bool rules_hit_top(const struct rules_hit *h, struct rules_hit_top *out)
{
    const struct rules_eval_ctx *ctx = h->ctx;
    if (ctx->scope == RULES_SCOPE_FLOW)
        return false;
    const struct rlayout *l = &h->eng->lay[ctx->scope];
    memset(out, 0, sizeof *out);
    if (!l->top_dsts) {
        top_of_pair(rk_payload(ctx->state, l->off_top), &ctx->key->remote, out);
        return true;
    }
    const struct rtop *t = rk_payload(ctx->state, l->off_top);
    for (unsigned i = 0; i < RTOP_K; i++) {
        out->d[i].a = t->d[i].a;
        out->d[i].bytes = t->d[i].bytes;
        out->f[i].flow_id = t->f[i].flow_id;
        out->f[i].remote = t->f[i].remote;
        out->f[i].port = t->f[i].port;
        out->f[i].bytes = t->f[i].bytes;
        out->f[i].name_id = t->f[i].name_id;
        out->f[i].name_src = t->f[i].name_src;
    }
    return true;
}

_Static_assert(RTOP_K == RULES_TOP_K, "top-K size is public");

xm_time_t rules_engine_history(const struct rules_engine *eng)
{
    return eng->first;
}

xm_time_t rules_hit_history(const struct rules_hit *h)
{
    return h->eng->first;
}

const char *rules_novelty_basis(xm_time_t since, xm_time_t now, int64_t *history_s)
{
    xm_time_t age = since && now > since ? now - since : 0;
    *history_s = (int64_t)(age / XM_USEC_PER_SEC);
    return since && age >= RULES_NOVELTY_WARMUP ? "history" : "warmup";
}
