/*
 * eval.c - evaluation of compiled conditions.  No allocation: values live
 * on the stack, true comparisons are recorded in a fixed trace.
 */
#include "internal.h"
#include "lex.h"

#include <ctype.h>

static bool eval_num(uint8_t cmp, double v, double t)
{
    switch (cmp) {
    case LEX_LT: return v < t;
    case LEX_LE: return v <= t;
    case LEX_GT: return v > t;
    case LEX_GE: return v >= t;
    case LEX_EQ: return v == t;
    default: return v != t;
    }
}

static bool eval_str_eq(const union rules_value *a, const union rules_value *b)
{
    if (a->str.len != b->str.len)
        return false;
    for (size_t i = 0; i < a->str.len; i++)
        if (tolower((unsigned char)a->str.s[i]) != tolower((unsigned char)b->str.s[i]))
            return false;
    return true;
}

static bool eval_cmp(const struct rnode *n, const union rules_value *v)
{
    bool eq;
    switch (n->field->type) {
    case RULES_T_BOOL:
        eq = v->b == n->lit.b;
        break;
    case RULES_T_STRING:
        eq = eval_str_eq(v, &n->lit);
        break;
    case RULES_T_ADDR:
        eq = xm_addr_cmp(&v->addr, &n->lit.addr) == 0;
        break;
    default:
        return eval_num(n->cmp, v->num, n->lit.num);
    }
    return n->cmp == LEX_EQ ? eq : !eq;
}

/* Simple glob over the value (same rules as list entries). */
static bool eval_match(const struct rnode *n, const union rules_value *v)
{
    struct rlist one = {0};
    struct rlist_entry e = {.kind = RLE_STRING, .str = n->owned};
    one.e = &e;
    one.n = 1;
    return rlist_contains(&one, RULES_T_STRING, v);
}

static void trace_add(struct rtrace *tr, const struct rnode *n, const union rules_value *v)
{
    if (tr && tr->n < RTRACE_MAX) {
        tr->it[tr->n].n = n;
        tr->it[tr->n].v = *v;
        tr->n++;
    }
}

/* True when "field > t" / "field >= t" is false whatever the field's
 * value: the engine's upper bound of a built-in windowed volume is at or
 * below t (the key never sent that much).  Saves reading the windows;
 * the outcome is the same (a false leaf leaves nothing in the trace). */
static bool leaf_bounded_false(const struct rnode *n, const struct rules_eval_ctx *ctx)
{
    if (n->op != RN_CMP || n->field->get != reng_get ||
        (n->cmp != LEX_GT && n->cmp != LEX_GE))
        return false;
    if (rnode_memo_has(n, ctx))
        return false;               /* the value is at hand */
    double ub = reng_upper(ctx, &n->fref);
    return n->cmp == LEX_GT ? ub <= n->lit.num : ub < n->lit.num;
}

static bool eval_leaf(const struct rnode *n, const struct rules_eval_ctx *ctx,
                      struct rtrace *tr)
{
    union rules_value v;
    if (leaf_bounded_false(n, ctx))
        return false;
    if (rnode_leaf_value(n, ctx, &v) != 0)
        return false;
    bool r;
    switch (n->op) {
    case RN_BOOL: r = v.b; break;
    case RN_CMP: r = eval_cmp(n, &v); break;
    case RN_IN: r = rlist_contains(n->list, n->field->type, &v); break;
    default: r = eval_match(n, &v); break;
    }
    if (r)
        trace_add(tr, n, &v);
    return r;
}

/* An and/or chain, left to right with short-circuit: the loop runs over
 * the operands, so a chain of any length costs no stack. */
static bool eval_chain(const struct rnode *n, const struct rules_eval_ctx *ctx,
                       struct rtrace *tr)
{
    bool want = n->op == RN_OR;  /* the operand value that decides the chain */
    for (size_t i = 0; i < n->nkid; i++)
        if (rnode_eval(n->kid[i], ctx, tr) == want)
            return want;
    return !want;
}

bool rnode_eval(const struct rnode *n, const struct rules_eval_ctx *ctx, struct rtrace *tr)
{
    /* Only comparisons that made the rule true stay in the trace: a false
     * AND/OR and anything under NOT roll the trace back.  Recursion depth
     * is the tree depth, bounded by RULES_MAX_NEST (parser). */
    size_t mark = tr ? tr->n : 0;
    bool r;
    switch (n->op) {
    case RN_AND:
    case RN_OR:
        r = eval_chain(n, ctx, tr);
        break;
    case RN_NOT:
        r = !rnode_eval(n->kid[0], ctx, tr);
        if (tr)
            tr->n = mark;
        return r;
    default:
        return eval_leaf(n, ctx, tr);
    }
    if (!r && tr)
        tr->n = mark;
    return r;
}

/* ---- guards ---------------------------------------------------------------- */

/* How good a guard leaf n is (0 = not one): a built-in volume, duration
 * or rate threshold ("flow.bytes_out > 16KB", "bytes_out[1h] > 500MB")
 * is usually false and costs a memo slot; a plain built-in number
 * ("flow.ratio > 1") less often; a positive boolean only as the first
 * conjunct (first = true), which the full evaluation reads first anyway:
 * a provider's getter is never called where it was not before. */
int rnode_guard_rank(const struct rnode *n, bool first)
{
    if (n->op == RN_BOOL)
        return first ? 2 : 0;
    if (n->op != RN_CMP || (n->cmp != LEX_GT && n->cmp != LEX_GE) || !n->vslot ||
        (n->field->get != reng_get && !first) || !(n->lit.num > 0))
        return 0;
    switch (n->field->type) {
    case RULES_T_BYTES: case RULES_T_DURATION: case RULES_T_RATE: return 3;
    case RULES_T_NUM: return 1;
    default: return 0;
    }
}

void rnode_pick_guards(struct rrule *r)
{
    const struct rnode *c = r->cond;
    r->n_guard = 0;
    if (!c || c->op != RN_AND)
        return;
    for (int want = 3; want >= 1 && r->n_guard < 2; want--)
        for (size_t i = 0; i < c->nkid && r->n_guard < 2; i++)
            if (rnode_guard_rank(c->kid[i], i == 0) == want)
                r->guard[r->n_guard++] = c->kid[i];
}

/* Recursion depth is the tree depth, bounded by the parser (internal.h). */
bool rnode_name_only(const struct rnode *n)
{
    if (n->op == RN_BOOL)
        return rfield_name_only(n->field);
    if (n->op != RN_AND && n->op != RN_OR)
        return false;
    for (size_t i = 0; i < n->nkid; i++)
        if (!rnode_name_only(n->kid[i]))
            return false;
    return true;
}

bool rnode_guards_hold(const struct rrule *r, const struct rules_eval_ctx *ctx)
{
    for (uint8_t i = 0; i < r->n_guard; i++)
        if (!eval_leaf(r->guard[i], ctx, NULL))
            return false;
    return true;
}
