/*
 * engine.c - per-key state, sliding windows, baselines, first-seen,
 * evaluation cadence and suppression.
 *
 * Hot path (rules_on_packet): hash lookups and counter updates in tables
 * allocated at start; no allocation, no formatting.  A key's rules are
 * evaluated at most once per second of packet time (so an alert may
 * trail the packet that made its condition true by up to 1 s of packet
 * time; the alert carries the time of the evaluating packet) and once
 * more at flow end (flow scope) or at rules_flush().
 */
#include "engine.h"
#include "lex.h"
#include "xm_median.h"

#include <math.h>
#include <stdlib.h>

#define ENG_EVAL_EVERY XM_USEC_PER_SEC

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

static void lay_build(struct rlayout *l, const struct rules_set *set, enum rules_scope s)
{
    memset(l, 0, sizeof *l);
    l->size = sizeof(struct rkstate);
    if (s == RULES_SCOPE_FLOW)
        return;
    for (int r = 0; r < RWIN_NRES; r++) {
        l->len[r] = set->ring_len[s][r];
        if (l->len[r])
            l->off_ring[r] = lay_add(&l->size, sizeof(struct rring) +
                                     l->len[r] * sizeof(struct rbucket));
    }
    static const size_t bl_n[2] = {RBL_N_1H, RBL_N_1D};
    for (int b = 0; b < 2; b++)
        if (set->need_bl[s][b])
            l->off_bl[b] = lay_add(&l->size, sizeof(struct rbl) + bl_n[b] * sizeof(float));
    l->off_top = lay_add(&l->size, sizeof(struct rtop));
    if (set->need_dset[s])
        l->off_dset = lay_add(&l->size, sizeof(struct rdset));
}

static bool lay_equal(const struct rlayout *a, const struct rlayout *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* ---- windows -------------------------------------------------------------- */

static void ring_advance(struct rring *r, uint32_t len, int64_t bn)
{
    if (bn <= r->head)
        return;
    int64_t gap = bn - r->head;
    if (gap >= (int64_t)len) {
        memset(r->b, 0, len * sizeof r->b[0]);
    } else {
        for (int64_t i = 1; i <= gap; i++)
            memset(&r->b[(r->head + i) % len], 0, sizeof r->b[0]);
    }
    r->head = bn;
}

/* The bucket for bucket number bn; older than the ring: the oldest one. */
static struct rbucket *ring_slot(struct rring *r, uint32_t len, int64_t bn)
{
    ring_advance(r, len, bn);
    if (bn <= r->head - (int64_t)len)
        bn = r->head - (int64_t)len + 1;
    return &r->b[bn % len];
}

static uint64_t bucket_metric(const struct rbucket *b, int metric)
{
    switch (metric) {
    case RM_BYTES_OUT: case RM_RATE_OUT: return b->bo;
    case RM_BYTES_IN: case RM_RATE_IN: return b->bi;
    case RM_PKTS_OUT: return b->po;
    case RM_PKTS_IN: return b->pi;
    default: return b->fl;
    }
}

/* Sum over buckets [bn - w/r, bn]: covers w to w + r seconds of history. */
static uint64_t ring_sum(const struct rring *r, uint32_t len, uint32_t res,
                         uint32_t w, int64_t now_s, int metric)
{
    int64_t bn = now_s / res, lo = bn - w / res;
    int64_t oldest = r->head - (int64_t)len + 1;
    if (lo < oldest)
        lo = oldest;
    if (bn > r->head)
        bn = r->head;
    uint64_t sum = 0;
    for (int64_t j = lo; j <= bn; j++)
        sum += bucket_metric(&r->b[j % len], metric);
    return sum;
}

static int64_t sec_of(xm_time_t t)
{
    return t >= 0 ? t / XM_USEC_PER_SEC : 0;
}

/* Lowest per-bucket rate (bit/s) over the w/r complete buckets before the
 * current one: "sustained" means every bucket of the window was above. */
static double ring_min_rate(const struct rring *r, uint32_t len, uint32_t res,
                            uint32_t w, int64_t now_s)
{
    int64_t bn = now_s / res;
    double min = -1;
    for (int64_t j = bn - w / res; j < bn; j++) {
        bool live = j <= r->head && j > r->head - (int64_t)len;
        double v = live ? (double)r->b[j % len].bo * 8.0 / res : 0;
        if (min < 0 || v < min)
            min = v;
    }
    return min < 0 ? 0 : min;
}

double reng_window_sum(const struct rules_engine *eng, const struct rkstate *k,
                       enum rules_scope s, int metric, uint32_t w, xm_time_t now)
{
    int res = rwin_pick(w);
    const struct rlayout *l = &eng->lay[s];
    if (res < 0 || !l->len[res])
        return 0;
    const struct rring *r = rk_payload(k, l->off_ring[res]);
    if (metric == RM_RATE_OUT_MIN)
        return ring_min_rate(r, l->len[res], rwin_res_s[res], w, sec_of(now));
    return (double)ring_sum(r, l->len[res], rwin_res_s[res], w, sec_of(now), metric);
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
    bool same = b->period == sec_of(eng->now) / bl_period_s[which];
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

static void top_flow_add(struct rtop *t, const struct xm_flow *f,
                         const struct xm_addr *remote, uint16_t rport, uint64_t bytes)
{
    unsigned min = 0;
    for (unsigned i = 0; i < RTOP_K; i++) {
        if (t->f[i].bytes && t->f[i].flow_id == f->flow_id) {
            t->f[i].bytes += bytes;
            return;
        }
        if (t->f[i].bytes < t->f[min].bytes)
            min = i;
    }
    t->f[min].flow_id = f->flow_id;
    t->f[min].remote = *remote;
    t->f[min].port = rport;
    t->f[min].bytes = bytes;
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

static void seen_update(struct rules_engine *eng, const struct xm_addr *local,
                        const struct xm_addr *remote, xm_time_t now)
{
    struct rseen_key k;
    memset(&k, 0, sizeof k);
    k.local = *local;
    k.remote = *remote;
    bool created;
    struct rseen *s = rtab_upsert(&eng->seen, &k, &created);
    if (!s || !created)
        return;
    s->first = now;
    struct rdst *d = rtab_upsert(&eng->dsts, remote, &created);
    if (d)
        d->hosts++;
}

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
        out->num = off ? dset_count(rk_payload(k, off), w, sec_of(ctx->now)) : 0;
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

/* ---- tables ------------------------------------------------------------------- */

static uint32_t lim_or(uint32_t v, uint32_t def)
{
    return v ? v : def;
}

static uint32_t scope_cap(const struct rules_limits *l, enum rules_scope s)
{
    switch (s) {
    case RULES_SCOPE_FLOW: return lim_or(l->max_flows, 262144);
    case RULES_SCOPE_HOST: return lim_or(l->max_hosts, 65536);
    case RULES_SCOPE_HOSTDST: return lim_or(l->max_pairs, 65536);
    case RULES_SCOPE_SITE: return 1;
    default: return lim_or(l->max_procs, 16384);
    }
}

static int keys_init(struct rules_engine *eng, enum rules_scope s)
{
    lay_build(&eng->lay[s], eng->set, s);
    if (!eng->set->n_scope[s])
        return 0;
    return rtab_init(&eng->keys[s], scope_cap(&eng->lim, s), eng->lay[s].size,
                     sizeof(struct rules_key), eng->lim.seed);
}

static int rule_stats_init(struct rules_engine *eng)
{
    size_t n = eng->set->n ? eng->set->n : 1;
    free(eng->rule_alerts);
    free(eng->rule_ids);
    eng->rule_alerts = calloc(n, sizeof *eng->rule_alerts);
    eng->rule_ids = calloc(n, sizeof *eng->rule_ids);
    if (!eng->rule_alerts || !eng->rule_ids)
        return -1;
    for (size_t i = 0; i < eng->set->n; i++)
        eng->rule_ids[i] = eng->set->rules[i].id;
    return 0;
}

struct rules_engine *rules_engine_new(struct rules_set *set, const struct rules_limits *lim,
                                      rules_alert_fn cb, void *cb_ctx)
{
    struct rules_engine *eng = calloc(1, sizeof *eng);
    if (!eng)
        goto fail;
    eng->set = set;
    if (lim)
        eng->lim = *lim;
    if (!eng->lim.seed)
        eng->lim.seed = xm_hash_random_seed();
    eng->cb = cb;
    eng->cb_ctx = cb_ctx;
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        if (keys_init(eng, (enum rules_scope)s) != 0)
            goto fail;
    if (rtab_init(&eng->seen, lim_or(eng->lim.max_seen, 262144), sizeof(struct rseen),
                  sizeof(struct rseen_key), eng->lim.seed) != 0 ||
        rtab_init(&eng->dsts, lim_or(eng->lim.max_dsts, 131072), sizeof(struct rdst),
                  sizeof(struct xm_addr), eng->lim.seed) != 0 ||
        rtab_init(&eng->supp, lim_or(eng->lim.max_supp, 65536), sizeof(struct rsupp),
                  sizeof(struct rsupp_key), eng->lim.seed) != 0 ||
        rule_stats_init(eng) != 0)
        goto fail;
    return eng;
fail:
    if (eng)
        rules_engine_free(eng);
    else
        rules_set_free(set);
    return NULL;
}

void rules_engine_free(struct rules_engine *eng)
{
    if (!eng)
        return;
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        rtab_free(&eng->keys[s]);
    rtab_free(&eng->seen);
    rtab_free(&eng->dsts);
    rtab_free(&eng->supp);
    rules_set_free(eng->set);
    free(eng->rule_alerts);
    free(eng->rule_ids);
    free(eng);
}

/* ---- firing -------------------------------------------------------------------- */

/* The value escalation compares: the first volume (bytes or rate)
 * comparison that held, else the first numeric one. */
static double primary_value(const struct rtrace *tr)
{
    for (size_t i = 0; i < tr->n; i++) {
        enum rules_type t = tr->it[i].n->field->type;
        if (t == RULES_T_BYTES || t == RULES_T_RATE)
            return tr->it[i].v.num;
    }
    for (size_t i = 0; i < tr->n; i++) {
        enum rules_type t = tr->it[i].n->field->type;
        if (t != RULES_T_BOOL && t != RULES_T_STRING && t != RULES_T_ADDR)
            return tr->it[i].v.num;
    }
    return 0;
}

static void rule_fire(struct rules_engine *eng, size_t ri, const struct rules_eval_ctx *ctx,
                      const struct rtrace *tr)
{
    const struct rrule *r = &eng->set->rules[ri];
    struct rsupp_key sk;
    memset(&sk, 0, sizeof sk);
    sk.rule_id = r->id;
    sk.k = *ctx->key;
    double v = primary_value(tr);
    bool esc = false, created;
    struct rsupp *s = rtab_find(&eng->supp, &sk);
    if (s && ctx->now - s->last_fire < XM_SEC(r->cooldown_s)) {
        esc = r->escalate > 0 && v > 0 && s->last_value > 0 &&
              v >= s->last_value * r->escalate;
        if (!esc) {
            eng->st.suppressed++;
            return;
        }
    }
    s = rtab_upsert(&eng->supp, &sk, &created);
    if (s) {
        s->last_fire = ctx->now;
        s->last_value = v;
        s->fires++;
    }
    eng->st.alerts++;
    eng->st.escalations += esc;
    eng->rule_alerts[ri]++;
    json_t *a = ralert_build(eng, r, ctx, tr, esc, s ? s->fires : 1);
    if (a && eng->cb)
        eng->cb(eng->cb_ctx, a);
    else if (a)
        json_decref(a);
}

static void eval_key(struct rules_engine *eng, enum rules_scope sc, struct rkstate *k,
                     const struct xm_flow *f, xm_time_t now)
{
    const struct rules_set *set = eng->set;
    struct rules_eval_ctx ctx = {eng, sc, &k->key, f, k, now};
    k->last_eval = now;
    k->dirty = 0;
    eng->st.evals++;
    for (size_t i = 0; i < set->n_scope[sc]; i++) {
        size_t ri = set->by_scope[sc][i];
        struct rtrace tr;
        tr.n = 0;
        if (rnode_eval(set->rules[ri].cond, &ctx, &tr))
            rule_fire(eng, ri, &ctx, &tr);
    }
}

static void maybe_eval(struct rules_engine *eng, enum rules_scope sc, struct rkstate *k,
                       const struct xm_flow *f, xm_time_t now)
{
    if (k->last_eval && now - k->last_eval < ENG_EVAL_EVERY)
        return;
    eval_key(eng, sc, k, f, now);
}

/* ---- accounting ------------------------------------------------------------------ */

struct pkt_info {
    const struct xm_flow *f;
    struct xm_addr local, remote;
    uint16_t lport, rport;
    bool out, new_flow;
    uint64_t bytes;
    int64_t now_s;
};

static void account_rings(const struct rlayout *l, struct rkstate *k, const struct pkt_info *pi)
{
    for (int r = 0; r < RWIN_NRES; r++) {
        if (!l->len[r])
            continue;
        struct rring *ring = rk_payload(k, l->off_ring[r]);
        struct rbucket *b = ring_slot(ring, l->len[r], pi->now_s / rwin_res_s[r]);
        if (pi->out) {
            b->bo += pi->bytes;
            b->po++;
        } else {
            b->bi += pi->bytes;
            b->pi++;
        }
        b->fl += pi->new_flow;
    }
}

static void account(const struct rlayout *l, struct rkstate *k, const struct pkt_info *pi)
{
    account_rings(l, k, pi);
    for (int b = 0; b < 2; b++)
        if (l->off_bl[b])
            bl_add(rk_payload(k, l->off_bl[b]), b, pi->now_s, pi->out ? pi->bytes : 0);
    if (!pi->out)
        return;
    struct rtop *t = rk_payload(k, l->off_top);
    top_dst_add(t, &pi->remote, pi->bytes);
    top_flow_add(t, pi->f, &pi->remote, pi->rport, pi->bytes);
    if (l->off_dset)
        dset_add(rk_payload(k, l->off_dset), &pi->remote, pi->now_s);
}

static void key_of(enum rules_scope s, const struct pkt_info *pi, struct rules_key *k)
{
    memset(k, 0, sizeof *k);
    k->scope = (uint8_t)s;
    if (s == RULES_SCOPE_HOST || s == RULES_SCOPE_HOSTDST)
        k->local = pi->local;
    if (s == RULES_SCOPE_HOSTDST)
        k->remote = pi->remote;
    if (s == RULES_SCOPE_FLOW)
        k->id = pi->f->flow_id;
    if (s == RULES_SCOPE_PROCESS)
        k->id = pi->f->proc_id;
}

static struct rkstate *key_get(struct rules_engine *eng, enum rules_scope s,
                               const struct pkt_info *pi, xm_time_t now)
{
    struct rules_key key;
    key_of(s, pi, &key);
    bool created;
    struct rkstate *k = rtab_upsert(&eng->keys[s], &key, &created);
    if (k && created)
        k->created = now;
    return k;
}

void rules_on_packet(struct rules_engine *eng, const struct xm_pkt *p, struct xm_flow *f,
                     int dir)
{
    if (!eng->set->n || !f)
        return;
    xm_time_t now = p->ts > eng->now ? p->ts : eng->now;
    eng->now = now;
    if (!eng->first)
        eng->first = now;
    struct pkt_info pi = {.f = f, .bytes = p->ip_bytes, .now_s = sec_of(now)};
    int od;
    reng_flow_sides(f, &pi.local, &pi.remote, &pi.lport, &pi.rport, &od);
    pi.out = dir == od;
    pi.new_flow = f->pkts[0] + f->pkts[1] == 1;
    /* First-seen is kept per flow start: once per flow, on its first
     * packet from the local side. */
    if (pi.out && f->pkts[od] == 1)
        seen_update(eng, &pi.local, &pi.remote, now);
    for (int s = RULES_SCOPE_HOST; s < RULES_SCOPE_MAX; s++) {
        if (!eng->set->n_scope[s] || (s == RULES_SCOPE_PROCESS && !f->proc_id))
            continue;
        /* Host, site and process scopes count egress only. */
        if (s != RULES_SCOPE_HOSTDST && f->local == FLOW_LOCAL_BOTH)
            continue;
        struct rkstate *k = key_get(eng, (enum rules_scope)s, &pi, now);
        if (!k)
            continue;
        k->last_update = now;
        k->dirty = 1;
        k->remote_home = f->local == FLOW_LOCAL_BOTH;
        account(&eng->lay[s], k, &pi);
        maybe_eval(eng, (enum rules_scope)s, k, f, now);
    }
    if (eng->set->n_scope[RULES_SCOPE_FLOW]) {
        struct rkstate *k = key_get(eng, RULES_SCOPE_FLOW, &pi, now);
        if (k)
            maybe_eval(eng, RULES_SCOPE_FLOW, k, f, now);
    }
}

/* Drops the flow's eval state and the suppression state of its rules. */
static void flow_forget(struct rules_engine *eng, struct rkstate *k)
{
    const struct rules_set *set = eng->set;
    for (size_t i = 0; i < set->n_scope[RULES_SCOPE_FLOW]; i++) {
        struct rsupp_key sk;
        memset(&sk, 0, sizeof sk);
        sk.rule_id = set->rules[set->by_scope[RULES_SCOPE_FLOW][i]].id;
        sk.k = k->key;
        struct rsupp *s = rtab_find(&eng->supp, &sk);
        if (s)
            rtab_remove(&eng->supp, s);
    }
    rtab_remove(&eng->keys[RULES_SCOPE_FLOW], k);
}

void rules_on_flow_end(struct rules_engine *eng, struct xm_flow *f, enum flow_end_reason r)
{
    if (!eng->set->n_scope[RULES_SCOPE_FLOW])
        return;
    struct rules_key key;
    memset(&key, 0, sizeof key);
    key.scope = RULES_SCOPE_FLOW;
    key.id = f->flow_id;
    struct rkstate *k = rtab_find(&eng->keys[RULES_SCOPE_FLOW], &key);
    if (!k)
        return;
    xm_time_t now = f->last > eng->now ? f->last : eng->now;
    eval_key(eng, RULES_SCOPE_FLOW, k, f, now);
    if (r != FLOW_END_ACTIVE)
        flow_forget(eng, k);
}

/* Keys updated after their last evaluation get evaluated once their
 * second is over, even when no further packet comes.  Walks the LRU from
 * the newest entry and stops at keys idle for over TICK_HORIZON: with a
 * tick at least every second, older keys were already evaluated. */
#define TICK_HORIZON XM_SEC(3)

void rules_tick(struct rules_engine *eng, xm_time_t now)
{
    if (now > eng->now)
        eng->now = now;
    for (int s = RULES_SCOPE_HOST; s < RULES_SCOPE_MAX; s++) {
        struct rtab *t = &eng->keys[s];
        for (struct rkstate *k = rtab_prev(t, NULL); k; k = rtab_prev(t, k)) {
            if (k->last_update < eng->now - TICK_HORIZON)
                break;
            if (k->dirty && eng->now - k->last_eval >= ENG_EVAL_EVERY)
                eval_key(eng, (enum rules_scope)s, k, NULL, eng->now);
        }
    }
}

void rules_flush(struct rules_engine *eng)
{
    for (int s = RULES_SCOPE_HOST; s < RULES_SCOPE_MAX; s++) {
        struct rtab *t = &eng->keys[s];
        for (struct rkstate *k = rtab_next(t, NULL); k; k = rtab_next(t, k))
            if (k->dirty)
                eval_key(eng, (enum rules_scope)s, k, NULL, eng->now);
    }
}

/* ---- swap ------------------------------------------------------------------------- */

/* Copies the most recent buckets of one ring into another of any length. */
static void ring_copy(struct rring *dst, uint32_t dlen, const struct rring *src, uint32_t slen)
{
    uint32_t n = dlen < slen ? dlen : slen;
    dst->head = src->head;
    for (uint32_t i = 0; i < n; i++) {
        int64_t bn = src->head - i;
        if (bn < 0)
            break;
        dst->b[bn % dlen] = src->b[bn % slen];
    }
}

static void key_migrate(struct rkstate *dk, const struct rlayout *dl,
                        const struct rkstate *sk, const struct rlayout *sl)
{
    dk->created = sk->created;
    dk->last_update = sk->last_update;
    dk->last_eval = sk->last_eval;
    dk->remote_home = sk->remote_home;
    for (int r = 0; r < RWIN_NRES; r++)
        if (dl->len[r] && sl->len[r])
            ring_copy(rk_payload(dk, dl->off_ring[r]), dl->len[r],
                      rk_payload(sk, sl->off_ring[r]), sl->len[r]);
    static const size_t bl_sz[2] = {sizeof(struct rbl) + RBL_N_1H * sizeof(float),
                                    sizeof(struct rbl) + RBL_N_1D * sizeof(float)};
    for (int b = 0; b < 2; b++)
        if (dl->off_bl[b] && sl->off_bl[b])
            memcpy(rk_payload(dk, dl->off_bl[b]), rk_payload(sk, sl->off_bl[b]), bl_sz[b]);
    memcpy(rk_payload(dk, dl->off_top), rk_payload(sk, sl->off_top), sizeof(struct rtop));
    if (dl->off_dset && sl->off_dset)
        memcpy(rk_payload(dk, dl->off_dset), rk_payload(sk, sl->off_dset),
               sizeof(struct rdset));
}

/* Builds the new table of scope s for newset, carrying matching keys. */
static int swap_scope(struct rules_engine *eng, const struct rules_set *ns, enum rules_scope s,
                      struct rtab *nt, struct rlayout *nl)
{
    lay_build(nl, ns, s);
    memset(nt, 0, sizeof *nt);
    if (!ns->n_scope[s])
        return 0;
    if (eng->keys[s].slab && lay_equal(nl, &eng->lay[s])) {
        *nt = eng->keys[s];
        memset(&eng->keys[s], 0, sizeof eng->keys[s]);
        return 0;
    }
    if (rtab_init(nt, scope_cap(&eng->lim, s), nl->size, sizeof(struct rules_key),
                  eng->lim.seed) != 0)
        return -1;
    const struct rtab *ot = &eng->keys[s];
    for (const struct rkstate *k = rtab_next(ot, NULL); k; k = rtab_next(ot, k)) {
        bool created;
        struct rkstate *d = rtab_upsert(nt, &k->key, &created);
        if (d)
            key_migrate(d, nl, k, &eng->lay[s]);
    }
    return 0;
}

static bool set_has_rule(const struct rules_set *s, uint32_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->rules[i].id == id)
            return true;
    return false;
}

static void supp_prune(struct rules_engine *eng)
{
    struct rsupp *s = rtab_next(&eng->supp, NULL);
    while (s) {
        struct rsupp *next = rtab_next(&eng->supp, s);
        if (!set_has_rule(eng->set, s->key.rule_id))
            rtab_remove(&eng->supp, s);
        s = next;
    }
}

int rules_engine_swap(struct rules_engine *eng, struct rules_set *ns)
{
    struct rtab nt[RULES_SCOPE_MAX];
    struct rlayout nl[RULES_SCOPE_MAX];
    uint64_t *alerts = calloc(ns->n ? ns->n : 1, sizeof *alerts);
    uint32_t *ids = calloc(ns->n ? ns->n : 1, sizeof *ids);
    int s = 0;
    if (!alerts || !ids)
        goto fail;
    for (s = 0; s < RULES_SCOPE_MAX; s++)
        if (swap_scope(eng, ns, (enum rules_scope)s, &nt[s], &nl[s]) != 0)
            goto fail;
    for (s = 0; s < RULES_SCOPE_MAX; s++) {
        rtab_free(&eng->keys[s]);
        eng->keys[s] = nt[s];
        eng->lay[s] = nl[s];
    }
    rules_set_free(eng->set);
    eng->set = ns;
    supp_prune(eng);
    free(eng->rule_alerts);
    free(eng->rule_ids);
    eng->rule_alerts = alerts;
    eng->rule_ids = ids;
    for (size_t i = 0; i < ns->n; i++)
        ids[i] = ns->rules[i].id;
    return 0;
fail:
    free(alerts);
    free(ids);
    /* Tables moved over unchanged go back; new ones are dropped. */
    for (int i = 0; i < s; i++) {
        if (!eng->keys[i].slab && nt[i].slab && lay_equal(&nl[i], &eng->lay[i]))
            eng->keys[i] = nt[i];
        else
            rtab_free(&nt[i]);
    }
    rules_set_free(ns);
    return -1;
}

/* ---- stats ------------------------------------------------------------------------- */

const struct rules_engine_stats *rules_engine_stats(struct rules_engine *eng)
{
    struct rules_engine_stats *st = &eng->st;
    for (int s = 0; s < RULES_SCOPE_MAX; s++) {
        st->keys[s] = eng->keys[s].st;
        st->bytes_per_key[s] = eng->keys[s].slab ? eng->keys[s].esize : 0;
    }
    st->seen = eng->seen.st;
    st->dsts = eng->dsts.st;
    st->supp = eng->supp.st;
    st->n_rules = eng->set->n;
    st->rule_ids = eng->rule_ids;
    st->rule_alerts = eng->rule_alerts;
    return st;
}
