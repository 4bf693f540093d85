/*
 * dstseen.c - first-seen and prevalence of registrable domains per local
 * host and site-wide.  Contract, caps and eviction: include/xm_dstseen.h.
 *
 * Each table is the base library's keyed table (xm_tab.h: fixed slab,
 * chained buckets, 2 per entry rounded up, LRU order and eviction).
 * Keys are 32 bytes, hashed as bytes.
 */
#include "xm_dstseen.h"
#include "xm_site.h"
#include "xm_state.h"
#include "xm_tab.h"

#include <inttypes.h>
#include <stdio.h>
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
    struct xm_tab_hdr h;         /* the key follows the header */
    struct ds_key key;
    xm_time_t first;
    uint32_t hosts;              /* domain table: local hosts counted */
    uint32_t pad_;
};

struct ds_tab {
    struct xm_tab t;
    struct xm_tab_stats *st;     /* copy in struct dstseen_stats */
    uint64_t *hits;
};

struct dstseen {
    struct ds_tab pairs, domains;
    uint64_t dom_seed;           /* secret for domain digests */
    xm_time_t t0;                /* earliest flow start observed */
    bool have_t0;
    struct dstseen_stats st;
    const struct app_ctx *app;   /* borrowed, for the field getters */
    struct site *site;           /* borrowed; NULL without --site-redis */
};

/* ---- table ---------------------------------------------------------- */

static int ds_tab_init(struct ds_tab *t, uint32_t cap, uint64_t seed,
                       struct xm_tab_stats *st, uint64_t *hits)
{
    t->st = st;
    t->hits = hits;
    st->cap = cap;
    return xm_tab_init_spread(&t->t, cap, sizeof(struct ds_ent), sizeof(struct ds_key), seed,
                              2);
}

static void ds_tab_free(struct ds_tab *t)
{
    xm_tab_free(&t->t);
}

/* Finds k (making it the most recently used) or inserts it, evicting
 * the least recently used entry when full; *fresh says which. */
static struct ds_ent *ds_upsert(struct ds_tab *t, const struct ds_key *k, bool *fresh)
{
    struct ds_ent *e = xm_tab_upsert(&t->t, k, fresh);
    *t->hits += e && !*fresh;
    *t->st = t->t.st;
    return e;
}

static const struct ds_ent *ds_get(const struct ds_tab *t, const struct ds_key *k)
{
    return xm_tab_find(&t->t, k);
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
    if (ds_tab_init(&d->pairs, np, seed, &d->st.pairs, &d->st.pair_hits) != 0 ||
        ds_tab_init(&d->domains, nd, seed ^ UINT64_C(0x9e3779b97f4a7c15), &d->st.domains,
                    &d->st.domain_hits) != 0)
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
    if (n == 0)
        return false;               /* nothing to hash: *out untouched */
    *out = xm_hash(low, n, d->dom_seed);
    return true;
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

/* Observes (local, domain, t); a new pair, or a pair whose first-seen
 * moved earlier, is noted for the site when note is set. */
static void ds_observe(struct dstseen *d, const struct xm_addr *local, const char *domain,
                       xm_time_t t, bool note)
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
    if (!p || !s)
        return;
    bool earlier = pfresh || t < p->first;
    if (earlier)
        p->first = t;
    if (dfresh || t < s->first)
        s->first = t;
    if (pfresh || dfresh)
        s->hosts++;
    if (earlier && note && d->site) {
        struct site_delta sd = {.kind = SITE_K_DOMAIN, .host = *local, .key = domain,
                                .first = t};
        site_note(d->site, &sd);
    }
}

void dstseen_observe(struct dstseen *d, const struct xm_addr *local, const char *domain,
                     xm_time_t t)
{
    ds_observe(d, local, domain, t, true);
}

void dstseen_merge(struct dstseen *d, const struct xm_addr *local, const char *domain,
                   xm_time_t t)
{
    ds_observe(d, local, domain, t, false);
}

void dstseen_set_site(struct dstseen *d, struct site *site) { d->site = site; }

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

/* ---- learned state (xm_state.h) -------------------------------------- */

static void ds_save_tab(struct xm_state_w *w, const struct ds_tab *t, char tag)
{
    char hex[2 * sizeof(struct ds_key) + 1];
    for (const struct ds_ent *e = xm_tab_next(&t->t, NULL); e; e = xm_tab_next(&t->t, e))
        xm_state_line(w, "%c %s %" PRId64 " %" PRIu32, tag,
                      xm_state_hex(&e->key, sizeof e->key, hex), (int64_t)e->first, e->hosts);
}

int dstseen_save(const struct dstseen *d, const char *dir)
{
    struct xm_state_w w;
    if (xm_state_begin(&w, dir, "dstseen") != 0)
        return -1;
    xm_state_line(&w, "secret %" PRIu64, d->dom_seed);
    if (d->have_t0)
        xm_state_line(&w, "t0 %" PRId64, (int64_t)d->t0);
    ds_save_tab(&w, &d->pairs, 'p');
    ds_save_tab(&w, &d->domains, 'd');
    return xm_state_commit(&w);
}

static int ds_load_ent(struct dstseen *d, char tag, const char *hex, int64_t first,
                       uint32_t hosts)
{
    struct ds_key k;
    bool fresh;
    if (strlen(hex) != 2 * sizeof k || xm_state_unhex(hex, &k, sizeof k) != 0)
        return -1;
    struct ds_ent *e = ds_upsert(tag == 'p' ? &d->pairs : &d->domains, &k, &fresh);
    if (e) {
        e->first = (xm_time_t)first;
        e->hosts = hosts;
    }
    return 0;
}

static int ds_load_line(void *ctx, char *line, char *err, size_t errlen)
{
    struct dstseen *d = ctx;
    char tag, hex[2 * sizeof(struct ds_key) + 2];
    int64_t v;
    uint32_t hosts;
    uint64_t secret;
    if (sscanf(line, "secret %" SCNu64, &secret) == 1) {
        d->dom_seed = secret;
        return 0;
    }
    if (sscanf(line, "t0 %" SCNd64, &v) == 1) {
        d->t0 = (xm_time_t)v;
        d->have_t0 = true;
        return 0;
    }
    if (sscanf(line, "%c %65s %" SCNd64 " %" SCNu32, &tag, hex, &v, &hosts) == 4 &&
        (tag == 'p' || tag == 'd') && ds_load_ent(d, tag, hex, v, hosts) == 0)
        return 0;
    snprintf(err, errlen, "not a dstseen line");
    return -1;
}

int dstseen_load(struct dstseen *d, const char *dir)
{
    return xm_state_load(dir, "dstseen", ds_load_line, d);
}
