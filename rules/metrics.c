/*
 * metrics.c - the per-key state of the rule engine: layouts, window rings,
 * baselines, top-K, distinct destinations, first-seen and prevalence,
 * per-packet accounting into them, carrying them across a rule swap, and
 * the built-in field getter that reads them.  Called by engine.c (and
 * hit.c for alerts); calls nothing of engine.c.  Same hot-path contract
 * as engine.c: no allocation, no formatting.
 */
#include "engine.h"
#include "xm_median.h"
#include "xm_site.h"

#include <math.h>
#include <stdlib.h>

/* ---- window resolutions ------------------------------------------------ */

const uint32_t rwin_res_s[RWIN_NRES] = {1, 10, 60, 300, 3600};

int rwin_pick_min(uint32_t w, uint32_t min_buckets)
{
    if (w < RWIN_MIN_S || w > RWIN_MAX_S)
        return -1;
    for (int r = RWIN_NRES - 1; r >= 0; r--)
        if (w % rwin_res_s[r] == 0 && w / rwin_res_s[r] >= min_buckets &&
            w / rwin_res_s[r] < RWIN_MAX_BUCKETS)
            return r;
    for (int r = 0; r < RWIN_NRES; r++)
        if (w % rwin_res_s[r] == 0 && w / rwin_res_s[r] < RWIN_MAX_BUCKETS)
            return r;
    return -1;
}

int rwin_pick(uint32_t w)
{
    return rwin_pick_min(w, RWIN_MIN_BUCKETS);
}

int rwin_pick_scope(uint32_t w, enum rules_scope s)
{
    return rwin_pick_min(w, s == RULES_SCOPE_HOSTDST ? RWIN_MIN_BUCKETS_PAIR
                                                     : RWIN_MIN_BUCKETS);
}

/* ---- sides of a flow -------------------------------------------------- */

/* The local side is the server when only the server is local, else the
 * client (so transit flows are accounted to their client).  out_dir is
 * the flow direction (0 to server, 1 to client) that leaves the local
 * side. */
void reng_flow_sides(const struct xm_flow *f, struct xm_addr *local,
                     struct xm_addr *remote, uint16_t *lport, uint16_t *rport,
                     int *out_dir)
{
    bool srv = f->local == FLOW_LOCAL_SERVER;
    *local = srv ? f->srv : f->cli;
    *remote = srv ? f->cli : f->srv;
    *lport = srv ? f->srv_port : f->cli_port;
    *rport = srv ? f->cli_port : f->srv_port;
    *out_dir = srv ? 1 : 0;
}

/* ---- layouts ------------------------------------------------------------ */

static size_t lay_add(size_t *size, size_t n)
{
    size_t off = *size;
    *size += (n + 7) & ~(size_t)7;
    return off;
}

void reng_lay_build(struct rlayout *l, const struct rules_set *set, enum rules_scope s)
{
    memset(l, 0, sizeof *l);
    l->version = RLAYOUT_VERSION;
    l->size = sizeof(struct rkstate);
    if (s == RULES_SCOPE_FLOW)
        return;
    l->bsize = set->need_counts[s] ? RBUCKET_WIDE : RBUCKET_NARROW;
    for (int r = 0; r < RWIN_NRES; r++) {
        l->len[r] = set->ring_len[s][r];
        if (l->len[r])
            l->off_ring[r] = lay_add(&l->size, (size_t)l->len[r] * l->bsize);
    }
    static const size_t bl_n[2] = {RBL_N_1H, RBL_N_1D};
    for (int b = 0; b < 2; b++)
        if (set->need_bl[s][b])
            l->off_bl[b] = lay_add(&l->size, sizeof(struct rbl) + bl_n[b] * sizeof(float));
    l->top_dsts = s != RULES_SCOPE_HOSTDST;
    l->off_top = lay_add(&l->size, l->top_dsts ? sizeof(struct rtop) : sizeof(struct rtop_pair));
    if (set->need_dset[s])
        l->off_dset = lay_add(&l->size, sizeof(struct rdset));
}

bool reng_lay_equal(const struct rlayout *a, const struct rlayout *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* ---- windows -------------------------------------------------------------- */

/* A ring as the layout describes it: len buckets of bsize bytes, and
 * its head, the newest bucket number (engine.h: derived from the key's
 * last_update; ring_advance moves the view's copy only). */
struct rview { uint8_t *b; int64_t head; uint32_t len, bsize; };

static struct rview ring_view(const struct rlayout *l, const struct rkstate *k, int res)
{
    return (struct rview){rk_payload(k, l->off_ring[res]),
                          reng_sec_of(k->last_update) / rwin_res_s[res], l->len[res],
                          l->bsize};
}

/* The bucket holding bucket number bn (any bn >= 0; the caller keeps it
 * within the ring's span).  Narrow buckets: only bo and bi exist. */
static struct rbucket *ring_at(const struct rview *v, int64_t bn)
{
    return (struct rbucket *)(v->b + (size_t)(bn % v->len) * v->bsize);
}

static void ring_advance(struct rview *v, int64_t bn)
{
    if (bn <= v->head)
        return;
    int64_t gap = bn - v->head;
    if (gap >= (int64_t)v->len) {
        memset(v->b, 0, (size_t)v->len * v->bsize);
    } else {
        for (int64_t i = 1; i <= gap; i++)
            memset(ring_at(v, v->head + i), 0, v->bsize);
    }
    v->head = bn;
}

/* The bucket for bucket number bn; older than the ring: the oldest one. */
static struct rbucket *ring_slot(struct rview *v, int64_t bn)
{
    ring_advance(v, bn);
    if (bn <= v->head - (int64_t)v->len)
        bn = v->head - (int64_t)v->len + 1;
    return ring_at(v, bn);
}

/* A bucket's value of a windowed metric; packets and flows read 0 from
 * narrow buckets (no rule of the scope asks for them). */
static uint64_t bucket_metric(const struct rbucket *b, bool wide, int metric)
{
    switch (metric) {
    case RM_BYTES_OUT: case RM_RATE_OUT: return b->bo;
    case RM_BYTES_IN: case RM_RATE_IN: return b->bi;
    case RM_PKTS_OUT: return wide ? b->po : 0;
    case RM_PKTS_IN: return wide ? b->pi : 0;
    default: return wide ? b->fl : 0;
    }
}

/* Sum over buckets [bn - w/r, bn]: covers w to w + r seconds of history. */
static uint64_t ring_sum(const struct rview *v, uint32_t res, uint32_t w, int64_t now_s,
                         int metric)
{
    int64_t bn = now_s / res, lo = bn - w / res;
    int64_t oldest = v->head - (int64_t)v->len + 1;
    if (lo < oldest)
        lo = oldest;
    if (bn > v->head)
        bn = v->head;
    uint64_t sum = 0;
    bool wide = v->bsize == RBUCKET_WIDE;
    for (int64_t j = lo; j <= bn; j++)
        sum += bucket_metric(ring_at(v, j), wide, metric);
    return sum;
}

int64_t reng_sec_of(xm_time_t t)
{
    return t >= 0 ? t / XM_USEC_PER_SEC : 0;
}

/* Lowest per-bucket rate (bit/s) over the w/r complete buckets before the
 * current one: "sustained" means every bucket of the window was above. */
static double ring_min_rate(const struct rview *rv, uint32_t res, uint32_t w, int64_t now_s)
{
    int64_t bn = now_s / res, head = rv->head;
    double min = -1;
    for (int64_t j = bn - w / res; j < bn; j++) {
        bool live = j <= head && j > head - (int64_t)rv->len;
        double v = live ? (double)ring_at(rv, j)->bo * 8.0 / res : 0;
        if (min < 0 || v < min)
            min = v;
    }
    return min < 0 ? 0 : min;
}

double reng_window_sum(const struct rules_engine *eng, const struct rkstate *k,
                       enum rules_scope s, int metric, uint32_t w, xm_time_t now)
{
    int res = rwin_pick_scope(w, s);
    const struct rlayout *l = &eng->lay[s];
    if (res < 0 || !l->len[res])
        return 0;
    struct rview v = ring_view(l, k, res);
    if (metric == RM_RATE_OUT_MIN)
        return ring_min_rate(&v, rwin_res_s[res], w, reng_sec_of(now));
    return (double)ring_sum(&v, rwin_res_s[res], w, reng_sec_of(now), metric);
}

/* ---- baselines ------------------------------------------------------------ */

static const uint32_t bl_period_s[2] = {3600, 86400};
static const uint16_t bl_len[2] = {RBL_N_1H, RBL_N_1D};
static const uint16_t bl_warm[2] = {RBL_WARM_1H, RBL_WARM_1D};

static void bl_push(struct rbl *b, uint16_t n, float v)
{
    b->hist[b->pos] = v;
    b->pos = (uint16_t)((b->pos + 1) % n);
    if (b->n < n)
        b->n++;
}

/* Moves the baseline to period pn, closing finished periods.  The first
 * period of a key is partial and is not learned. */
static void bl_roll(struct rbl *b, int which, int64_t pn)
{
    uint16_t n = bl_len[which];
    if (b->period == 0) {
        b->period = pn;
        return;
    }
    for (int64_t i = 0; b->period < pn && i <= n; i++) {
        if (b->started)
            bl_push(b, n, (float)log1p(b->cur));
        b->started = 1;
        b->cur = 0;
        b->period++;
    }
    b->period = pn > b->period ? pn : b->period;
}

static void bl_add(struct rbl *b, int which, int64_t now_s, uint64_t bytes)
{
    bl_roll(b, which, now_s / bl_period_s[which]);
    b->cur += (double)bytes;
}

int reng_baseline(const struct rules_engine *eng, const struct rkstate *k,
                  enum rules_scope s, int which, double *median_ln, double *mad,
                  double *cur, unsigned *n)
{
    size_t off = eng->lay[s].off_bl[which];
    if (!off)
        return 1;
    const struct rbl *b = rk_payload(k, off);
    double v[RBL_N_1H > RBL_N_1D ? RBL_N_1H : RBL_N_1D];
    *n = b->n;
    bool same = b->period == reng_sec_of(eng->now) / bl_period_s[which];
    *cur = same ? b->cur : 0;
    if (b->n < bl_warm[which])
        return 1;
    for (unsigned i = 0; i < b->n; i++)
        v[i] = b->hist[i];
    *median_ln = xm_median(v, b->n);
    for (unsigned i = 0; i < b->n; i++)
        v[i] = (float)fabs(b->hist[i] - *median_ln);   /* float, as stored */
    *mad = xm_median(v, b->n);
    return 0;
}

static int bl_get(const struct rules_eval_ctx *ctx, int metric, union rules_value *out)
{
    int which = metric == RM_BL_1D_Z || metric == RM_BL_1D_MULT;
    double med, mad, cur;
    unsigned n;
    if (reng_baseline(ctx->eng, ctx->state, ctx->scope, which, &med, &mad, &cur, &n))
        return 1;
    if (metric == RM_BL_1H_MULT || metric == RM_BL_1D_MULT) {
        out->num = (cur + 1.0) / exp(med);
        return 0;
    }
    double sigma = 1.4826 * mad;
    out->num = (log1p(cur) - med) / (sigma < RBL_MIN_SIGMA ? RBL_MIN_SIGMA : sigma);
    return 0;
}

/* ---- top-K and distinct destinations --------------------------------------- */

static void top_dst_add(struct rtop *t, const struct xm_addr *a, uint64_t bytes)
{
    unsigned min = 0;
    for (unsigned i = 0; i < RTOP_K; i++) {
        if (t->d[i].bytes && xm_addr_cmp(&t->d[i].a, a) == 0) {
            t->d[i].bytes += bytes;
            return;
        }
        if (t->d[i].bytes < t->d[min].bytes)
            min = i;
    }
    t->d[min].a = *a;
    t->d[min].bytes = bytes;
}

/* The flow's own total bytes out so far (IP bytes, both counted by the
 * flow table before the rules see the packet), so a live flow shows its
 * true total whenever it entered the list. */
static void top_flow_add(struct rtop *t, const struct xm_flow *f,
                         const struct xm_addr *remote, uint16_t rport)
{
    uint64_t out = xm_addr_cmp(&f->cli, remote) == 0 ? f->bytes[1] : f->bytes[0];
    unsigned min = 0;
    for (unsigned i = 0; i < RTOP_K; i++) {
        if (t->f[i].bytes && t->f[i].flow_id == f->flow_id) {
            t->f[i].bytes = out;
            t->f[i].name_id = f->name_id;
            t->f[i].name_src = f->name_src;
            return;
        }
        if (t->f[i].bytes < t->f[min].bytes)
            min = i;
    }
    if (out <= t->f[min].bytes)
        return;
    t->f[min] = (struct rtop_flow){.flow_id = f->flow_id, .remote = *remote, .port = rport,
                                   .name_src = f->name_src, .name_id = f->name_id,
                                   .bytes = out};
}

/* Entry i of a host+destination key's top flows (engine.h: the flow id
 * in bits 0-55 of id_src, name_src in bits 56-63). */
void rtop_pair_get(const struct rtop_pair *t, unsigned i, struct rtop_pflow *out)
{
    *out = (struct rtop_pflow){
        .flow_id = t->id_src[i] & ((UINT64_C(1) << RTOP_ID_BITS) - 1),
        .bytes = t->bytes[i], .name_id = t->name_id[i], .port = t->port[i],
        .name_src = (uint8_t)(t->id_src[i] >> RTOP_ID_BITS)};
}

void rtop_pair_set(struct rtop_pair *t, unsigned i, const struct rtop_pflow *v)
{
    t->id_src[i] = (v->flow_id & ((UINT64_C(1) << RTOP_ID_BITS) - 1)) |
                   (uint64_t)v->name_src << RTOP_ID_BITS;
    t->bytes[i] = v->bytes;
    t->name_id[i] = v->name_id;
    t->port[i] = v->port;
}

/* The same for a host+destination key (every flow's remote is the key's).
 * Flow ids are 51 bits (XM_FLOW_ID_MASK), so comparing the low 56 bits of
 * id_src compares whole ids. */
static void top_pflow_add(struct rtop_pair *t, const struct xm_flow *f,
                          const struct xm_addr *remote, uint16_t rport)
{
    uint64_t out = xm_addr_cmp(&f->cli, remote) == 0 ? f->bytes[1] : f->bytes[0];
    struct rtop_pflow e = {.flow_id = f->flow_id, .port = rport, .name_src = f->name_src,
                           .name_id = f->name_id, .bytes = out};
    uint64_t id = f->flow_id & ((UINT64_C(1) << RTOP_ID_BITS) - 1);
    unsigned min = 0;
    for (unsigned i = 0; i < RTOP_K; i++) {
        if (t->bytes[i] && (t->id_src[i] & ((UINT64_C(1) << RTOP_ID_BITS) - 1)) == id) {
            e.port = t->port[i];            /* kept from the flow's entry */
            rtop_pair_set(t, i, &e);
            return;
        }
        if (t->bytes[i] < t->bytes[min])
            min = i;
    }
    if (out > t->bytes[min])
        rtop_pair_set(t, min, &e);
}

static void dset_add(struct rdset *d, const struct xm_addr *a, int64_t now_s)
{
    uint32_t h = (uint32_t)xm_hash(a, sizeof *a, XM_HASH_FIXED_SEED) | 1u;
    unsigned old = 0;
    for (unsigned i = 0; i < RDSET_N; i++) {
        if (d->h[i] == h) {
            d->t[i] = (uint32_t)now_s;
            return;
        }
        if (d->t[i] < d->t[old])
            old = i;
    }
    d->h[old] = h;
    d->t[old] = (uint32_t)now_s;
}

static double dset_count(const struct rdset *d, uint32_t w, int64_t now_s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < RDSET_N; i++)
        n += d->h[i] && (int64_t)d->t[i] >= now_s - (int64_t)w;
    return n;
}

/* ---- first seen ------------------------------------------------------------ */

/* Pair (local, remote) first seen at t: a new pair counts its host in
 * the destination's prevalence (and is noted to the site when note); an
 * earlier t moves first-seen back.  An existing pair is refreshed (LRU). */
static void seen_merge(struct rules_engine *eng, const struct xm_addr *local,
                       const struct xm_addr *remote, xm_time_t t, bool note)
{
    struct rseen_key k;
    memset(&k, 0, sizeof k);
    k.local = *local;
    k.remote = *remote;
    bool created;
    struct rseen *s = rtab_upsert(&eng->seen, &k, &created);
    if (!s || (!created && t >= s->first))
        return;
    s->first = t;
    struct rdst *d = created ? rtab_upsert(&eng->dsts, remote, &created) : NULL;
    if (d)
        d->hosts++;
    if (note && eng->site) {
        struct site_delta sd = {.kind = SITE_K_DEST, .host = *local, .dst = *remote,
                                .key = "", .first = t};
        site_note(eng->site, &sd);
    }
}

void reng_seen_update(struct rules_engine *eng, const struct xm_addr *local,
                        const struct xm_addr *remote, xm_time_t now)
{
    seen_merge(eng, local, remote, now, true);
}

void rules_seen_merge(struct rules_engine *eng, const struct xm_addr *local,
                      const struct xm_addr *remote, xm_time_t t)
{
    seen_merge(eng, local, remote, t, false);
}

void reng_set_first(struct rules_engine *eng, xm_time_t now)
{
    eng->first = now;
    struct site_delta sd = {.kind = SITE_K_START, .key = "", .first = now};
    site_note(eng->site, &sd);
}

void rules_site_start(struct rules_engine *eng, xm_time_t t)
{
    if (!eng->first || t < eng->first)
        eng->first = t;
}

void rules_engine_set_site(struct rules_engine *eng, struct site *site) { eng->site = site; }

bool reng_first_seen(const struct rules_engine *eng, const struct xm_addr *local,
                     const struct xm_addr *remote, xm_time_t *first, uint32_t *prev)
{
    struct rseen_key k;
    memset(&k, 0, sizeof k);
    k.local = *local;
    k.remote = *remote;
    const struct rseen *s = rtab_find(&eng->seen, &k);
    const struct rdst *d = rtab_find(&eng->dsts, remote);
    *first = s ? s->first : eng->now;
    *prev = d ? d->hosts : 0;
    return s != NULL;
}

/* ---- field getters ----------------------------------------------------------- */

static double ratio(double out, double in)
{
    return out / (in < 1.0 ? 1.0 : in);
}

static int get_windowed(const struct rules_eval_ctx *ctx, const struct rules_fref *fr,
                        union rules_value *out)
{
    const struct rkstate *k = ctx->state;
    uint32_t w = fr->window_s;
    if (fr->metric == RM_DST_COUNT) {
        size_t off = ctx->eng->lay[ctx->scope].off_dset;
        out->num = off ? dset_count(rk_payload(k, off), w, reng_sec_of(ctx->now)) : 0;
        return 0;
    }
    if (fr->metric == RM_RATIO) {
        double o = reng_window_sum(ctx->eng, k, ctx->scope, RM_BYTES_OUT, w, ctx->now);
        double i = reng_window_sum(ctx->eng, k, ctx->scope, RM_BYTES_IN, w, ctx->now);
        out->num = ratio(o, i);
        return 0;
    }
    out->num = reng_window_sum(ctx->eng, k, ctx->scope, fr->metric, w, ctx->now);
    if (fr->metric == RM_RATE_OUT || fr->metric == RM_RATE_IN)
        out->num = out->num * 8.0 / w;
    return 0;
}

static int get_flow(const struct rules_eval_ctx *ctx, int metric, union rules_value *out)
{
    const struct xm_flow *f = ctx->flow;
    struct xm_addr l, r;
    uint16_t lp, rp;
    int od;
    reng_flow_sides(f, &l, &r, &lp, &rp, &od);
    double age = (double)(f->last - f->first) / 1e6;
    switch (metric) {
    case RM_FLOW_BYTES_OUT: out->num = (double)f->bytes[od]; break;
    case RM_FLOW_BYTES_IN: out->num = (double)f->bytes[!od]; break;
    case RM_FLOW_PKTS_OUT: out->num = (double)f->pkts[od]; break;
    case RM_FLOW_PKTS_IN: out->num = (double)f->pkts[!od]; break;
    case RM_FLOW_AGE: out->num = age; break;
    case RM_FLOW_RATE_OUT: out->num = (double)f->bytes[od] * 8.0 / (age < 1 ? 1 : age); break;
    case RM_FLOW_RATIO: out->num = ratio((double)f->bytes[od], (double)f->bytes[!od]); break;
    case RM_FLOW_PROTO: out->num = f->proto; break;
    case RM_FLOW_DST_PORT: out->num = rp; break;
    default: out->num = lp; break;
    }
    return 0;
}

/* Local and remote address of the evaluated key (flow or pair). */
static void ctx_pair(const struct rules_eval_ctx *ctx, struct xm_addr *l, struct xm_addr *r)
{
    if (ctx->scope == RULES_SCOPE_FLOW) {
        uint16_t lp, rp;
        int od;
        reng_flow_sides(ctx->flow, l, r, &lp, &rp, &od);
        return;
    }
    *l = ctx->key->local;
    *r = ctx->key->remote;
}

static int get_dest(const struct rules_eval_ctx *ctx, int metric, union rules_value *out)
{
    struct xm_addr l, r;
    ctx_pair(ctx, &l, &r);
    xm_time_t first;
    uint32_t prev;
    switch (metric) {
    case RM_HOST_IP: out->addr = l; return 0;
    case RM_DST_IP: out->addr = r; return 0;
    case RM_DST_HOME:
        out->b = ctx->scope == RULES_SCOPE_FLOW
                     ? ctx->flow->local == FLOW_LOCAL_BOTH
                     : ((const struct rkstate *)ctx->state)->remote_home != 0;
        return 0;
    default:
        break;
    }
    reng_first_seen(ctx->eng, &l, &r, &first, &prev);
    if (metric == RM_DST_PREVALENCE)
        out->num = prev;
    else if (metric == RM_DST_FIRST_SEEN_SITE_AGE)
        out->num = (double)(first - ctx->eng->first) / 1e6;
    else
        out->num = (double)(ctx->now - first) / 1e6;
    return 0;
}

double reng_upper(const struct rules_eval_ctx *ctx, const struct rules_fref *fr)
{
    const struct rkstate *k = ctx->state;
    int m = fr->metric;
    if (!k || ctx->scope == RULES_SCOPE_FLOW ||
        (m != RM_BYTES_OUT && m != RM_RATE_OUT && m != RM_RATE_OUT_MIN))
        return INFINITY;
    uint64_t t = reng_out_total(k);
    if (t == RK_OUT_UNKNOWN)
        return INFINITY;
    /* The same double operations as the getters, on a sum no smaller. */
    if (m == RM_BYTES_OUT)
        return (double)t;
    if (m == RM_RATE_OUT)
        return (double)t * 8.0 / fr->window_s;
    int res = rwin_pick_scope(fr->window_s, ctx->scope);   /* as reng_window_sum */
    return res < 0 ? 0 : (double)t * 8.0 / rwin_res_s[res];
}

int reng_get(const struct rules_eval_ctx *ctx, const void *arg, union rules_value *out)
{
    const struct rules_fref *fr = arg;
    int m = fr->metric;
    if (rmetric_windowed(m))
        return get_windowed(ctx, fr, out);
    if (rmetric_baseline(m))
        return bl_get(ctx, m, out);
    if (m >= RM_FLOW_BYTES_OUT && m <= RM_FLOW_SRC_PORT)
        return ctx->flow ? get_flow(ctx, m, out) : 1;
    if (m == RM_SITE_AGE) {
        out->num = (double)(ctx->now - ctx->eng->first) / 1e6;
        return 0;
    }
    if (m == RM_HOST_IP && ctx->scope == RULES_SCOPE_HOST) {
        out->addr = ctx->key->local;
        return 0;
    }
    return get_dest(ctx, m, out);
}

/* ---- accounting ------------------------------------------------------------------ */


static void account_rings(const struct rlayout *l, struct rkstate *k, const struct pkt_info *pi)
{
    bool wide = l->bsize == RBUCKET_WIDE;
    for (int r = 0; r < RWIN_NRES; r++) {
        if (!l->len[r])
            continue;
        struct rview v = ring_view(l, k, r);
        struct rbucket *b = ring_slot(&v, pi->now_s / rwin_res_s[r]);
        *(pi->out ? &b->bo : &b->bi) += pi->bytes;
        if (!wide)
            continue;
        *(pi->out ? &b->po : &b->pi) += 1;
        b->fl += pi->new_flow;
    }
}

uint64_t reng_out_total(const struct rkstate *k)
{
    return (uint64_t)k->out_hi << 32 | k->out_lo;
}

void reng_out_set(struct rkstate *k, uint64_t v)
{
    v = v < RK_OUT_UNKNOWN ? v : RK_OUT_UNKNOWN;
    k->out_hi = (uint16_t)(v >> 32);
    k->out_lo = (uint32_t)v;
}

void reng_out_cover(const struct rlayout *l, struct rkstate *k)
{
    uint64_t t = reng_out_total(k);
    for (int r = 0; r < RWIN_NRES; r++) {
        if (!l->len[r])
            continue;
        struct rview v = ring_view(l, k, r);
        uint64_t sum = 0;
        for (uint32_t i = 0; i < v.len; i++) {
            uint64_t bo = ring_at(&v, i)->bo;
            sum = bo < RK_OUT_UNKNOWN - sum ? sum + bo : RK_OUT_UNKNOWN;
        }
        t = sum > t ? sum : t;
    }
    reng_out_set(k, t);
}

void reng_account(const struct rlayout *l, struct rkstate *k, const struct pkt_info *pi)
{
    account_rings(l, k, pi);
    k->last_update = pi->now;           /* the rings' heads (engine.h) */
    if (pi->out) {
        uint64_t t = reng_out_total(k);
        if (t != RK_OUT_UNKNOWN)
            reng_out_set(k, pi->bytes < RK_OUT_UNKNOWN - t ? t + pi->bytes : RK_OUT_UNKNOWN);
    }
    for (int b = 0; b < 2; b++)
        if (l->off_bl[b])
            bl_add(rk_payload(k, l->off_bl[b]), b, pi->now_s, pi->out ? pi->bytes : 0);
    if (!pi->out)
        return;
    if (l->top_dsts) {
        struct rtop *t = rk_payload(k, l->off_top);
        top_dst_add(t, &pi->remote, pi->bytes);
        top_flow_add(t, pi->f, &pi->remote, pi->rport);
    } else {
        top_pflow_add(rk_payload(k, l->off_top), pi->f, &pi->remote, pi->rport);
    }
    if (l->off_dset)
        dset_add(rk_payload(k, l->off_dset), &pi->remote, pi->now_s);
}

/* The lines reng_account() will write for a packet at second now_s:
 * header, each ring's head and current bucket, baseline heads, top-K.
 * Read-only (addresses only). */
void reng_prefetch(const struct rlayout *l, const struct rkstate *k, int64_t now_s)
{
    const uint8_t *p = (const uint8_t *)k;
    __builtin_prefetch(p, 1);
    __builtin_prefetch(p + 64, 1);
    for (int r = 0; r < RWIN_NRES; r++) {
        if (!l->len[r])
            continue;
        struct rview v = ring_view(l, k, r);
        __builtin_prefetch(ring_at(&v, now_s / rwin_res_s[r]), 1);
    }
    for (int b = 0; b < 2; b++)
        if (l->off_bl[b])
            __builtin_prefetch(p + l->off_bl[b], 1);
    size_t top = l->top_dsts ? sizeof(struct rtop) : sizeof(struct rtop_pair);
    for (size_t o = 0; o < top; o += 64)
        __builtin_prefetch(p + l->off_top + o, 1);
}

/* ---- swap ------------------------------------------------------------------------- */

/* Copies the most recent buckets of one ring into another of any length
 * and bucket width (what both widths hold). */
static void ring_copy(const struct rview *d, const struct rview *s)
{
    uint32_t n = d->len < s->len ? d->len : s->len;
    uint32_t bs = d->bsize < s->bsize ? d->bsize : s->bsize;
    for (uint32_t i = 0; i < n; i++) {   /* d->head == s->head: same last_update */
        int64_t bn = s->head - i;
        if (bn < 0)
            break;
        memcpy(ring_at(d, bn), ring_at(s, bn), bs);
    }
}

void reng_key_migrate(struct rkstate *dk, const struct rlayout *dl,
                        const struct rkstate *sk, const struct rlayout *sl)
{
    dk->last_update = sk->last_update;
    dk->last_eval = sk->last_eval;
    dk->remote_home = sk->remote_home;
    reng_out_set(dk, reng_out_total(sk));
    for (int r = 0; r < RWIN_NRES; r++) {
        if (!dl->len[r] || !sl->len[r])
            continue;
        struct rview d = ring_view(dl, dk, r), s = ring_view(sl, sk, r);
        ring_copy(&d, &s);
    }
    static const size_t bl_sz[2] = {sizeof(struct rbl) + RBL_N_1H * sizeof(float),
                                    sizeof(struct rbl) + RBL_N_1D * sizeof(float)};
    for (int b = 0; b < 2; b++)
        if (dl->off_bl[b] && sl->off_bl[b])
            memcpy(rk_payload(dk, dl->off_bl[b]), rk_payload(sk, sl->off_bl[b]), bl_sz[b]);
    if (dl->top_dsts == sl->top_dsts)   /* same scope: always */
        memcpy(rk_payload(dk, dl->off_top), rk_payload(sk, sl->off_top),
               dl->top_dsts ? sizeof(struct rtop) : sizeof(struct rtop_pair));
    if (dl->off_dset && sl->off_dset)
        memcpy(rk_payload(dk, dl->off_dset), rk_payload(sk, sl->off_dset),
               sizeof(struct rdset));
}

