/*
 * prefilter.c - per-scope prefilters of a compiled set (struct rpre in
 * internal.h): which rules one evaluation of a key can drop before
 * visiting them, because a conjunct of their top-level `and` (one of
 * their guards, rnode_pick_guards) or their whole one-leaf condition is
 * false.  A dropped rule is false: it would not fire, leaves no trace and
 * changes no counter, so the outcome is the evaluation without prefilter.
 *
 * Built at compile time (allocation there only); rpre_run() is on the
 * evaluation path: no allocation, reads each conjunct's field once
 * through the evaluation's memo (struct rules_memo), so the rules that
 * stay alive find the value at hand.
 */
#include "internal.h"
#include "lex.h"

#include <math.h>
#include <stdlib.h>

/* ---- compile time ----------------------------------------------------------------- */

/* One candidate conjunct: the leaf, under `not` or not, and its kind. */
struct pre_cand { const struct rnode *n; int kind; uint8_t neg; };

static bool pre_numeric_gt(const struct rnode *n)
{
    enum rules_type t = n->field->type;
    return n->op == RN_CMP && (n->cmp == LEX_GT || n->cmp == LEX_GE) &&
           (t == RULES_T_NUM || t == RULES_T_BYTES || t == RULES_T_DURATION ||
            t == RULES_T_RATE);
}

/* The prefilter kind of conjunct leaf c (position first in its rule,
 * under `not` when neg) of a rule of scope sc, or -1.  Built-ins: cheap
 * pure reads exactly, windowed volumes through their upper bound (never
 * under `not`: a bound proves only "false"); any other built-in
 * (ratios, baselines, first-seen lookups) is left to the rule's guards.
 * Providers: the first conjunct may be read (RPRE_PROVIDER, see
 * pre_provider_ok), any other only from the memo. */
static int pre_kind(const struct rnode *c, enum rules_scope sc, bool first, bool neg)
{
    if (!c->vslot || (c->op != RN_BOOL && !pre_numeric_gt(c)))
        return -1;
    if (c->field->get != reng_get)
        return first && !neg ? RPRE_PROVIDER : RPRE_MEMO;
    int m = c->fref.metric;
    if (c->op == RN_BOOL)
        return m == RM_DST_HOME ? RPRE_EXACT : -1;
    if ((m >= RM_FLOW_BYTES_OUT && m <= RM_FLOW_SRC_PORT) || m == RM_SITE_AGE)
        return RPRE_EXACT;
    if (!neg && sc != RULES_SCOPE_FLOW &&
        (m == RM_BYTES_OUT || m == RM_RATE_OUT || m == RM_RATE_OUT_MIN))
        return RPRE_BOUND;
    return -1;
}

/* The candidates of r: every conjunct of a top-level `and` (a leaf or
 * `not` of a leaf), or the condition itself when it is one. */
static size_t pre_cands(const struct rrule *r, enum rules_scope sc, struct pre_cand *out,
                        size_t max)
{
    const struct rnode *c = r->cond;
    const struct rnode *const *kid = c->op == RN_AND ? (const struct rnode *const *)c->kid : &c;
    size_t nk = c->op == RN_AND ? c->nkid : 1, n = 0;
    for (size_t i = 0; i < nk && n < max; i++) {
        const struct rnode *leaf = kid[i];
        uint8_t neg = leaf->op == RN_NOT;
        if (neg)
            leaf = leaf->kid[0];
        int k = pre_kind(leaf, sc, i == 0, neg);
        if (k >= 0)
            out[n++] = (struct pre_cand){leaf, k, neg};
    }
    return n;
}

/* Whether leaf n is among r's candidates as an exact built-in. */
static bool pre_is_exact(const struct pre_cand *c, size_t n, const struct rnode *leaf)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].n == leaf && c[i].kind == RPRE_EXACT && !c[i].neg)
            return true;
    return false;
}

/* A provider first conjunct p may be read by the prefilter when every
 * other guard of r is an exact candidate: the prefilter reads p only
 * when those hold, and a rule whose guards hold reads its first
 * conjunct (rnode_eval), so p's getter is never called where it was
 * not before.  Returns also whether every guard of r is an exact item or
 * p (a live rule then needs no guard test: *bare). */
static bool pre_provider_ok(const struct rrule *r, const struct pre_cand *c, size_t n,
                            const struct rnode *p, bool *bare)
{
    bool ok = true;
    for (uint8_t i = 0; i < r->n_guard; i++)
        ok &= r->guard[i] == p || pre_is_exact(c, n, r->guard[i]);
    *bare = ok && r->n_guard > 0 && r->cond->op == RN_AND;
    return ok;
}

/* A flat item list before grouping. */
struct pre_raw { struct pre_cand c; uint16_t idx; };

/* Order of the groups within a kind: volume, duration and rate
 * thresholds first (usually false: they drop the most rules, and a
 * group whose rules are all dropped is not read), then other numbers,
 * then bools (dst.home, usually true for the rules that test it). */
static int pre_rank(const struct rnode *n)
{
    if (n->op == RN_BOOL)
        return 2;
    return n->field->type == RULES_T_NUM ? 1 : 0;
}

static int pre_raw_cmp(const void *a, const void *b)
{
    const struct pre_raw *x = a, *y = b;
    if (x->c.kind != y->c.kind)
        return x->c.kind - y->c.kind;
    if (pre_rank(x->c.n) != pre_rank(y->c.n))
        return pre_rank(x->c.n) - pre_rank(y->c.n);
    if (x->c.n->vslot != y->c.n->vslot)
        return x->c.n->vslot < y->c.n->vslot ? -1 : 1;
    if (x->c.n->op != y->c.n->op)
        return x->c.n->op < y->c.n->op ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Candidates of the scope's rules (not name-only ones: engine.c skips
 * those by name) as raw items; sets p->bare. */
static size_t pre_collect(struct rules_set *s, enum rules_scope sc, struct rpre *p,
                          struct pre_raw *raw, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_scope[sc]; i++) {
        const struct rrule *r = &s->rules[s->by_scope[sc][i]];
        struct pre_cand c[16];
        if (r->name_only)
            continue;
        size_t nc = pre_cands(r, sc, c, XM_ARRAY_LEN(c)), np = 0;
        const struct rnode *prov = NULL;
        for (size_t j = 0; j < nc; j++)
            if (c[j].kind == RPRE_PROVIDER)
                prov = c[j].n;
        bool bare = false;
        if (!pre_provider_ok(r, c, nc, prov, &bare))
            for (size_t j = 0; j < nc; j++)
                if (c[j].kind == RPRE_PROVIDER)
                    c[j].kind = RPRE_MEMO;
        if (bare)
            p->bare[i >> 6] |= UINT64_C(1) << (i & 63);
        for (size_t j = 0; j < nc && n < max; j++, np++)
            raw[n++] = (struct pre_raw){c[j], (uint16_t)i};
    }
    return n;
}

/* Whether a provider group reads slot vs (a memo item can be judged). */
static bool pre_slot_read(const struct pre_raw *raw, size_t n, uint16_t vs)
{
    for (size_t i = 0; i < n; i++)
        if (raw[i].c.kind == RPRE_PROVIDER && raw[i].c.n->vslot == vs)
            return true;
    return false;
}

/* Groups the sorted raw items (same kind, slot and leaf op) into p. */
static int pre_group(struct rpre *p, const struct pre_raw *raw, size_t n)
{
    p->it = calloc(n ? n : 1, sizeof *p->it);
    p->g = calloc(n ? n : 1, sizeof *p->g);
    p->gmask = calloc((n ? n : 1) * 3 * (p->nw ? p->nw : 1), sizeof *p->gmask);
    if (!p->it || !p->g || !p->gmask)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct pre_cand *c = &raw[i].c;
        if (c->kind == RPRE_MEMO && !pre_slot_read(raw, n, c->n->vslot))
            continue;
        struct rpre_group *g = p->ng ? &p->g[p->ng - 1] : NULL;
        if (!g || g->kind != c->kind || g->n->vslot != c->n->vslot || g->n->op != c->n->op) {
            g = &p->g[p->ng++];
            *g = (struct rpre_group){c->n, (uint8_t)c->kind, c->n->op == RN_BOOL,
                                     (uint32_t)p->nit, 0};
        }
        g->n_it++;
        uint16_t idx = raw[i].idx;
        uint64_t *m = &p->gmask[(p->ng - 1) * 3 * p->nw + (idx >> 6)];
        m[0] |= UINT64_C(1) << (idx & 63);
        m[(1 + c->neg) * p->nw] |= UINT64_C(1) << (idx & 63);
        p->it[p->nit++] = (struct rpre_item){c->n->op == RN_CMP ? c->n->lit.num : 0, idx,
                                             c->n->cmp == LEX_GE, c->neg};
    }
    return 0;
}

static int pre_build_scope(struct rules_set *s, enum rules_scope sc)
{
    struct rpre *p = &s->pre[sc];
    size_t nr = s->n_scope[sc], max = 0;
    for (size_t i = 0; i < nr; i++) {
        const struct rnode *c = s->rules[s->by_scope[sc][i]].cond;
        max += c->op == RN_AND ? (c->nkid < 16 ? c->nkid : 16) : 1;
    }
    p->nw = (nr + 63) / 64;
    p->bare = calloc(p->nw ? p->nw : 1, sizeof *p->bare);
    struct pre_raw *raw = calloc(max ? max : 1, sizeof *raw);
    if (!p->bare || !raw) {
        free(raw);
        return -1;
    }
    size_t n = pre_collect(s, sc, p, raw, max);
    qsort(raw, n, sizeof *raw, pre_raw_cmp);
    int rc = pre_group(p, raw, n);
    free(raw);
    return rc;
}

int rpre_build(struct rules_set *s)
{
    for (int sc = 0; sc < RULES_SCOPE_MAX; sc++)
        if (pre_build_scope(s, (enum rules_scope)sc) != 0)
            return -1;
    return 0;
}

void rpre_free(struct rules_set *s)
{
    for (int sc = 0; sc < RULES_SCOPE_MAX; sc++) {
        free(s->pre[sc].g);
        free(s->pre[sc].it);
        free(s->pre[sc].gmask);
        free(s->pre[sc].bare);
        memset(&s->pre[sc], 0, sizeof s->pre[sc]);
    }
}

/* ---- evaluation ------------------------------------------------------------------- */

/* Whether a rule of group gi is still alive. */
static bool pre_group_alive(const struct rpre *p, size_t gi, const uint64_t *dead)
{
    const uint64_t *m = &p->gmask[gi * 3 * p->nw];
    for (size_t w = 0; w < p->nw; w++)
        if (m[w] & ~dead[w])
            return true;
    return false;
}

/* A bool group: a true leaf drops its `not` items, a false (or not
 * available) one the others. */
static void pre_bool(const struct rpre *p, size_t gi, bool leaf, uint64_t *dead)
{
    const uint64_t *m = &p->gmask[(gi * 3 + (leaf ? 2 : 1)) * p->nw];
    for (size_t w = 0; w < p->nw; w++)
        dead[w] |= m[w];
}

/* The group's value for this evaluation: 0 and *v, 1 = not available
 * (the leaf is false), -1 = nothing known (no bound; not in the memo). */
static int pre_value(const struct rpre_group *g, const struct rules_eval_ctx *ctx,
                     union rules_value *v)
{
    if (g->kind == RPRE_MEMO && !rnode_memo_has(g->n, ctx))
        return -1;
    if (g->kind == RPRE_BOUND && !rnode_memo_has(g->n, ctx)) {
        v->num = reng_upper(ctx, &g->n->fref);
        return isinf(v->num) ? -1 : 0;
    }
    return rnode_leaf_value(g->n, ctx, v);
}

void rpre_run(const struct rpre *p, const struct rules_eval_ctx *ctx, uint64_t *dead)
{
    memset(dead, 0, p->nw * sizeof *dead);
    for (size_t gi = 0; gi < p->ng; gi++) {
        const struct rpre_group *g = &p->g[gi];
        union rules_value v;
        if (!pre_group_alive(p, gi, dead))
            continue;
        int rc = pre_value(g, ctx, &v);
        if (rc < 0)
            continue;
        if (g->is_bool) {
            pre_bool(p, gi, rc == 0 && v.b, dead);
            continue;
        }
        for (uint32_t i = g->first; i < g->first + g->n_it; i++) {
            const struct rpre_item *it = &p->it[i];
            bool leaf = rc == 0 && (it->ge ? v.num >= it->t : v.num > it->t);
            dead[it->idx >> 6] |= (uint64_t)(leaf == it->neg) << (it->idx & 63);
        }
    }
}
