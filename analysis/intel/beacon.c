/*
 * beacon.c - connection-spacing statistics per (local host, remote
 * name-or-address).  Contract, eviction and the heuristic:
 * include/xm_beacon.h and docs/rules.md ("Beaconing").
 *
 * Table: the base library's keyed table (xm_tab.h), LRU by last update.  Statistics are computed at rule evaluation
 * (at most once per key per second of packet time) over at most
 * BEACON_RING + 1 values, with insertion sorts on the stack.
 */
#include "xm_beacon.h"
#include "xm_median.h"
#include "xm_tab.h"

#include <stdlib.h>

#define BC_DEF_PAIRS 16384u
#define BC_MAXV (BEACON_RING + 1)

struct bc_key {
    struct xm_addr local;
    uint32_t pad_;
    uint64_t remote;             /* keyed digest of the name or address */
};

struct bc_conn {
    xm_time_t start;
    uint64_t bytes;
    uint64_t flow_id;
};

struct bc_ent {
    struct xm_tab_hdr h;         /* the key follows the header */
    struct bc_key key;
    struct bc_conn ring[BEACON_RING];
    uint32_t n, next;            /* valid slots, next slot to write */
};

/* A pair whose one connection ended (probation, include/xm_beacon.h). */
struct bc_once {
    struct xm_tab_hdr h;
    struct bc_key key;
    struct bc_conn c;
};

struct beacon {
    struct xm_tab t;             /* pairs with two or more connections */
    struct xm_tab once;          /* pairs with one: BEACON_ONCE_PER_PAIR x cap */
    uint64_t dseed;
    struct beacon_stats st;
    const struct app_ctx *app;   /* borrowed, for the getters */
};

struct beacon *beacon_new(uint32_t max_pairs, uint64_t seed)
{
    struct beacon *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    uint32_t cap = max_pairs ? max_pairs : BC_DEF_PAIRS;
    uint32_t once = cap <= UINT32_MAX / BEACON_ONCE_PER_PAIR ? cap * BEACON_ONCE_PER_PAIR
                                                            : UINT32_MAX;
    b->st.cap = cap;
    b->st.once_cap = once;
    b->dseed = xm_hash(&seed, sizeof seed, XM_HASH_FIXED_SEED) ^ UINT64_C(0x2545f4914f6cdd1d);
    if (xm_tab_init_spread(&b->t, cap, sizeof(struct bc_ent), sizeof(struct bc_key), seed,
                           2) != 0 ||
        xm_tab_init(&b->once, once, sizeof(struct bc_once), sizeof(struct bc_key),
                    seed ^ UINT64_C(0x9e3779b97f4a7c15)) != 0) {
        beacon_free(b);
        return NULL;
    }
    return b;
}

void beacon_free(struct beacon *b)
{
    if (!b)
        return;
    xm_tab_free(&b->t);
    xm_tab_free(&b->once);
    free(b);
}

const struct beacon_stats *beacon_get_stats(const struct beacon *b) { return &b->st; }

static void bc_tab_clear(struct xm_tab *t)
{
    void *e = xm_tab_next(t, NULL);
    while (e) {
        void *next = xm_tab_next(t, e);
        xm_tab_remove(t, e);
        e = next;
    }
}

void beacon_clear(struct beacon *b)
{
    bc_tab_clear(&b->t);
    bc_tab_clear(&b->once);
    b->st.used = b->t.st.used;
    b->st.once_used = b->once.st.used;
}

static void bc_key_of(const struct beacon *b, const struct xm_addr *local, const void *key,
                      size_t len, struct bc_key *k)
{
    memset(k, 0, sizeof *k);
    k->local = *local;
    k->remote = xm_hash(key, len, b->dseed);
}

static void bc_sync_stats(struct beacon *b)
{
    b->st.used = b->t.st.used;
    b->st.inserted = b->t.st.inserted;
    b->st.evicted = b->t.st.evicted;
    b->st.once_used = b->once.st.used;
    b->st.once_evicted = b->once.st.evicted;
}

static void bc_push(struct bc_ent *x, const struct bc_conn *c)
{
    x->ring[x->next] = *c;
    x->next = (x->next + 1) % BEACON_RING;
    if (x->n < BEACON_RING)
        x->n++;
}

/* The ring entry of k after connection c ended: the existing one, or a
 * new one (the most recently updated; the least recently updated pair
 * is evicted when full) holding the probation connection first.  A pair
 * never seen before goes to probation instead (NULL returned). */
static struct bc_ent *bc_place(struct beacon *b, const struct bc_key *k, const struct bc_conn *c)
{
    bool created;
    struct bc_ent *x = xm_tab_find(&b->t, k);
    if (x) {
        xm_tab_touch(&b->t, x);
        return x;
    }
    struct bc_once *o = xm_tab_upsert(&b->once, k, &created);  /* one lookup */
    if (!o || created) {
        if (o)
            o->c = *c;
        return NULL;
    }
    struct bc_conn first = o->c;
    xm_tab_remove(&b->once, o);
    x = xm_tab_upsert(&b->t, k, &created);
    if (x) {
        bc_push(x, &first);
        b->st.promoted++;
    }
    return x;
}

void beacon_add(struct beacon *b, const struct xm_addr *local, const void *key, size_t len,
                xm_time_t start, uint64_t bytes, uint64_t flow_id)
{
    struct bc_key k;
    struct bc_conn c = {start, bytes, flow_id};
    bc_key_of(b, local, key, len, &k);
    struct bc_ent *x = bc_place(b, &k, &c);
    if (x)
        bc_push(x, &c);
    bc_sync_stats(b);
    b->st.updates++;
}

/* ---- statistics ----------------------------------------------------- */

/* Median interval and MAD/median of sorted start times t[0..n). */
static void bc_spacing(const double *t, uint32_t n, struct beacon_view *v)
{
    double d[BC_MAXV], dev[BC_MAXV];
    uint32_t m = n - 1;
    for (uint32_t i = 0; i < m; i++)
        d[i] = t[i + 1] - t[i];
    double med = xm_median(d, m);
    for (uint32_t i = 0; i < m; i++)
        dev[i] = d[i] > med ? d[i] - med : med - d[i];
    double mad = xm_median(dev, m);
    v->interval_s = med;
    v->jitter = med > 0 ? mad / med : 0.0;
}

static bool bc_in_ring(const struct bc_ent *x, uint64_t flow_id)
{
    for (uint32_t i = 0; i < x->n; i++)
        if (x->ring[i].flow_id == flow_id)
            return true;
    return false;
}

/* Start times (seconds) and the ended connections' byte mean. */
static uint32_t bc_gather(const struct bc_ent *x, const struct xm_flow *live, double *t,
                          struct beacon_view *v)
{
    uint32_t n = 0;
    double sum = 0;
    for (uint32_t i = 0; x && i < x->n; i++) {
        t[n++] = (double)x->ring[i].start / (double)XM_USEC_PER_SEC;
        sum += (double)x->ring[i].bytes;
    }
    v->bytes_mean = n ? sum / n : 0;
    if (live && !(x && bc_in_ring(x, live->flow_id))) {
        t[n++] = (double)live->first / (double)XM_USEC_PER_SEC;
        if (n == 1)
            v->bytes_mean = (double)(live->bytes[0] + live->bytes[1]);
    }
    return n;
}

bool beacon_stats_of(const struct beacon *b, const struct xm_addr *local, const void *key,
                     size_t len, const struct xm_flow *live, struct beacon_view *v)
{
    struct bc_key k;
    double t[BC_MAXV];
    bc_key_of(b, local, key, len, &k);
    const struct bc_ent *x = xm_tab_find(&b->t, &k);
    const struct bc_once *o = x ? NULL : xm_tab_find(&b->once, &k);
    struct bc_ent one;
    if (o) {                     /* a ring of the one connection */
        one.n = 1;
        one.next = 1 % BEACON_RING;
        one.ring[0] = o->c;
        x = &one;
    }
    memset(v, 0, sizeof *v);
    v->count = bc_gather(x, live, t, v);
    if (v->count >= 3) {
        xm_sort_small(t, v->count);
        bc_spacing(t, v->count, v);
    }
    return v->count > 0;
}

/* ---- flows ---------------------------------------------------------- */

/* The remote key of an outbound flow: its name, else its address. */
static bool bc_flow_key(const struct app_ctx *app, const struct xm_flow *f,
                        struct xm_addr *local, const void **key, size_t *len)
{
    if (!(f->local & FLOW_LOCAL_CLIENT))
        return false;
    *local = f->cli;
    struct app_name n = {0};
    if (app && f->name_id)
        app_flow_name(app, f, &n);
    if (n.name) {
        *key = n.name;
        *len = strlen(n.name);
    } else {
        *key = &f->srv;
        *len = sizeof f->srv;
    }
    return true;
}

void beacon_on_flow_end(struct beacon *b, const struct app_ctx *app, const struct xm_flow *f)
{
    struct xm_addr local;
    const void *key;
    size_t len;
    if (bc_flow_key(app, f, &local, &key, &len))
        beacon_add(b, &local, key, len, f->first, f->bytes[0] + f->bytes[1], f->flow_id);
}

/* ---- rule fields ---------------------------------------------------- */

enum { BC_F_COUNT = 0, BC_F_INTERVAL, BC_F_JITTER, BC_F_BYTES, BC_F_MAX };

static int bc_field_get(const void *owner, int id, const struct xm_field_ctx *ctx,
                        union xm_field_value *out)
{
    const struct beacon *b = owner;
    struct xm_addr local;
    const void *key;
    size_t len;
    struct beacon_view v;
    if (!ctx->flow || !bc_flow_key(b->app, ctx->flow, &local, &key, &len) ||
        !beacon_stats_of(b, &local, key, len, ctx->flow, &v))
        return 1;
    switch (id) {
    case BC_F_COUNT: out->num = v.count; return 0;
    case BC_F_INTERVAL: out->num = v.interval_s; return v.count >= 3 ? 0 : 1;
    case BC_F_JITTER: out->num = v.jitter; return v.count >= 3 ? 0 : 1;
    default: out->num = v.bytes_mean; return 0;
    }
}

#define BC_FLOW XM_FS_BIT(XM_FS_FLOW)

static const struct xm_field_desc bc_field_defs[BC_F_MAX] = {
    {"beacon.count", XM_FT_NUM, BC_FLOW, BC_F_COUNT, bc_field_get},
    {"beacon.interval", XM_FT_DURATION, BC_FLOW, BC_F_INTERVAL, bc_field_get},
    {"beacon.jitter", XM_FT_NUM, BC_FLOW, BC_F_JITTER, bc_field_get},
    {"beacon.bytes_mean", XM_FT_BYTES, BC_FLOW, BC_F_BYTES, bc_field_get},
};

const struct xm_field_list beacon_fields = XM_FIELD_LIST(bc_field_defs);

void beacon_set_app(struct beacon *b, const struct app_ctx *app) { b->app = app; }
