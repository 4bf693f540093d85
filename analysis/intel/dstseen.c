/*
 * dstseen.c - first-seen and prevalence of registrable domains per local
 * host and site-wide.  Contract, caps and eviction: include/xm_dstseen.h.
 *
 * Each table is a fixed slab of entries (index 0 = nil) with chained
 * buckets (power of two, 2 per entry rounded up) and an LRU list
 * (head = most recent).  Keys are 32 bytes, hashed as bytes.
 */
#include "xm_dstseen.h"

#include <stdlib.h>

#define DS_DEF_PAIRS 262144u
#define DS_DEF_DOMAINS 65536u
#define DS_NAME_MAX 253          /* RFC 1035 2.3.4: 255 octets on the wire */

struct ds_key {
    struct xm_addr local;        /* zero for the domain table */
    uint32_t pad_;
    uint64_t dom;                /* keyed digest of the lower-case domain */
};

struct ds_ent {
    struct ds_key key;
    xm_time_t first;
    uint32_t hosts;              /* domain table: local hosts counted */
    uint32_t hash, hnext, lprev, lnext;
};

struct ds_tab {
    struct ds_ent *e;            /* cap + 1 entries, e[0] unused */
    uint32_t *bucket;
    uint32_t mask, cap, used, head, tail;
    uint64_t seed;
    struct dstseen_table_stats *st;
};

struct dstseen {
    struct ds_tab pairs, domains;
    uint64_t dom_seed;           /* secret for domain digests */
    xm_time_t t0;                /* earliest flow start observed */
    bool have_t0;
    struct dstseen_stats st;
    const struct app_ctx *app;   /* borrowed, for the field getters */
};

/* ---- table ---------------------------------------------------------- */

static int ds_tab_init(struct ds_tab *t, uint32_t cap, uint64_t seed,
                       struct dstseen_table_stats *st)
{
    uint32_t nb = 1;
    while (nb < cap * 2u && nb < (1u << 30))
        nb <<= 1;
    t->e = calloc((size_t)cap + 1, sizeof *t->e);
    t->bucket = calloc(nb, sizeof *t->bucket);
    t->mask = nb - 1;
    t->cap = cap;
    t->seed = seed;
    t->st = st;
    st->cap = cap;
    return t->e && t->bucket ? 0 : -1;
}

static void ds_tab_free(struct ds_tab *t)
{
    free(t->e);
    free(t->bucket);
}

static void ds_lru_unlink(struct ds_tab *t, uint32_t i)
{
    struct ds_ent *x = &t->e[i];
    if (x->lprev)
        t->e[x->lprev].lnext = x->lnext;
    else
        t->head = x->lnext;
    if (x->lnext)
        t->e[x->lnext].lprev = x->lprev;
    else
        t->tail = x->lprev;
    x->lprev = x->lnext = 0;
}

static void ds_lru_front(struct ds_tab *t, uint32_t i)
{
    t->e[i].lnext = t->head;
    t->e[i].lprev = 0;
    if (t->head)
        t->e[t->head].lprev = i;
    t->head = i;
    if (!t->tail)
        t->tail = i;
}

static uint32_t ds_find(const struct ds_tab *t, const struct ds_key *k, uint32_t h)
{
    for (uint32_t i = t->bucket[h & t->mask]; i; i = t->e[i].hnext)
        if (t->e[i].hash == h && memcmp(&t->e[i].key, k, sizeof *k) == 0)
            return i;
    return 0;
}

static void ds_unchain(struct ds_tab *t, uint32_t i)
{
    uint32_t *pp = &t->bucket[t->e[i].hash & t->mask];
    while (*pp != i)
        pp = &t->e[*pp].hnext;
    *pp = t->e[i].hnext;
}

/* A free slot: the next unused one, else the least recently used entry
 * (evicted and counted). */
static uint32_t ds_slot(struct ds_tab *t)
{
    if (t->used < t->cap)
        return ++t->used;
    uint32_t i = t->tail;
    ds_unchain(t, i);
    ds_lru_unlink(t, i);
    t->st->evicted++;
    return i;
}

/* Finds k (moving it to the LRU front) or inserts it; *fresh says which. */
static struct ds_ent *ds_upsert(struct ds_tab *t, const struct ds_key *k, bool *fresh)
{
    uint32_t h = (uint32_t)xm_hash(k, sizeof *k, t->seed);
    uint32_t i = ds_find(t, k, h);
    *fresh = i == 0;
    if (i) {
        t->st->hits++;
        ds_lru_unlink(t, i);
    } else {
        i = ds_slot(t);
        memset(&t->e[i], 0, sizeof t->e[i]);
        t->e[i].key = *k;
        t->e[i].hash = h;
        t->e[i].hnext = t->bucket[h & t->mask];
        t->bucket[h & t->mask] = i;
        t->st->inserted++;
    }
    ds_lru_front(t, i);
    t->st->used = t->used;
    return &t->e[i];
}

static const struct ds_ent *ds_get(const struct ds_tab *t, const struct ds_key *k)
{
    uint32_t i = ds_find(t, k, (uint32_t)xm_hash(k, sizeof *k, t->seed));
    return i ? &t->e[i] : NULL;
}

/* ---- public --------------------------------------------------------- */

struct dstseen *dstseen_new(const struct dstseen_limits *l, uint64_t seed)
{
    struct dstseen *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    uint32_t np = l && l->max_pairs ? l->max_pairs : DS_DEF_PAIRS;
    uint32_t nd = l && l->max_domains ? l->max_domains : DS_DEF_DOMAINS;
    d->dom_seed = xm_hash(&seed, sizeof seed, XM_HASH_FIXED_SEED) ^ UINT64_C(0x5bd1e995);
    if (ds_tab_init(&d->pairs, np, seed, &d->st.pairs) != 0 ||
        ds_tab_init(&d->domains, nd, seed ^ UINT64_C(0x9e3779b97f4a7c15), &d->st.domains) != 0)
        goto fail;
    return d;
fail:
    dstseen_free(d);
    return NULL;
}

void dstseen_free(struct dstseen *d)
{
    if (!d)
        return;
    ds_tab_free(&d->pairs);
    ds_tab_free(&d->domains);
    free(d);
}

/* Digest of the lower-cased domain; false when it is empty or too long. */
static bool ds_digest(const struct dstseen *d, const char *domain, uint64_t *out)
{
    char low[DS_NAME_MAX + 1];
    size_t n = 0;
    for (; domain[n]; n++) {
        if (n == DS_NAME_MAX)
            return false;
        char c = domain[n];
        low[n] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    *out = xm_hash(low, n, d->dom_seed);
    return n > 0;
}

static void ds_keys(const struct dstseen *d, const struct xm_addr *local, uint64_t dom,
                    struct ds_key *pk, struct ds_key *dk)
{
    memset(pk, 0, sizeof *pk);
    memset(dk, 0, sizeof *dk);
    pk->local = *local;
    pk->dom = dk->dom = dom;
    XM_UNUSED(d);
}

void dstseen_observe(struct dstseen *d, const struct xm_addr *local, const char *domain,
                     xm_time_t t)
{
    uint64_t dom;
    struct ds_key pk, dk;
    bool pfresh, dfresh;
    if (!domain || !ds_digest(d, domain, &dom))
        return;
    d->st.observed++;
    if (!d->have_t0 || t < d->t0)
        d->t0 = t;
    d->have_t0 = true;
    ds_keys(d, local, dom, &pk, &dk);
    struct ds_ent *p = ds_upsert(&d->pairs, &pk, &pfresh);
    struct ds_ent *s = ds_upsert(&d->domains, &dk, &dfresh);
    if (pfresh || t < p->first)
        p->first = t;
    if (dfresh || t < s->first)
        s->first = t;
    if (pfresh || dfresh)
        s->hosts++;
}

bool dstseen_get(const struct dstseen *d, const struct xm_addr *local, const char *domain,
                 struct dstseen_view *v)
{
    uint64_t dom;
    struct ds_key pk, dk;
    memset(v, 0, sizeof *v);
    v->t0 = d->t0;
    if (!domain || !ds_digest(d, domain, &dom))
        return false;
    ds_keys(d, local, dom, &pk, &dk);
    const struct ds_ent *p = ds_get(&d->pairs, &pk);
    const struct ds_ent *s = ds_get(&d->domains, &dk);
    if (p) {
        v->pair_known = true;
        v->pair_first = p->first;
    }
    if (s) {
        v->domain_known = true;
        v->site_first = s->first;
        v->prevalence = s->hosts;
    }
    return p || s;
}

bool dstseen_flow_local(const struct xm_flow *f, struct xm_addr *out)
{
    if (f->local == FLOW_LOCAL_NONE)
        return false;
    *out = f->local == FLOW_LOCAL_SERVER ? f->srv : f->cli;
    return true;
}

void dstseen_on_flow(struct dstseen *d, const struct app_ctx *app, const struct xm_flow *f)
{
    struct xm_addr local;
    struct app_name n;
    if (!f->name_id || !dstseen_flow_local(f, &local))
        return;
    app_flow_name(app, f, &n);
    dstseen_observe(d, &local, n.domain, f->first);
}

const struct dstseen_stats *dstseen_get_stats(const struct dstseen *d) { return &d->st; }

/* ---- rule fields ---------------------------------------------------- */

enum { DS_F_AGE = 0, DS_F_PREV, DS_F_SITE_AGE, DS_F_LEARN, DS_F_MAX };

static double ds_secs(xm_time_t dt)
{
    return dt > 0 ? (double)dt / (double)XM_USEC_PER_SEC : 0.0;
}

static int ds_field_get(const void *owner, int id, const struct xm_field_ctx *ctx,
                        union xm_field_value *out)
{
    const struct dstseen *d = owner;
    const struct xm_flow *f = ctx->flow;
    struct xm_addr local;
    struct app_name n;
    struct dstseen_view v;
    if (!f || !d->app || !f->name_id || !dstseen_flow_local(f, &local))
        return 1;
    app_flow_name(d->app, f, &n);
    if (!dstseen_get(d, &local, n.domain, &v))
        return 1;
    if (id == DS_F_AGE && v.pair_known)
        out->num = ds_secs(f->first - v.pair_first);
    else if (id == DS_F_PREV && v.domain_known)
        out->num = v.prevalence;
    else if (id == DS_F_SITE_AGE && v.domain_known)
        out->num = ds_secs(f->first - v.site_first);
    else if (id == DS_F_LEARN && v.pair_known)
        out->num = ds_secs(v.pair_first - v.t0);
    else
        return 1;
    return 0;
}

#define DS_FLOW XM_FS_BIT(XM_FS_FLOW)

static const struct xm_field_desc ds_field_defs[DS_F_MAX] = {
    {"dst.domain_first_seen_age", XM_FT_DURATION, DS_FLOW, DS_F_AGE, ds_field_get},
    {"dst.domain_prevalence", XM_FT_NUM, DS_FLOW, DS_F_PREV, ds_field_get},
    {"dst.domain_site_age", XM_FT_DURATION, DS_FLOW, DS_F_SITE_AGE, ds_field_get},
    {"dst.domain_first_seen_site_age", XM_FT_DURATION, DS_FLOW, DS_F_LEARN, ds_field_get},
};

const struct xm_field_list dstseen_fields = XM_FIELD_LIST(ds_field_defs);

void dstseen_set_app(struct dstseen *d, const struct app_ctx *app) { d->app = app; }
