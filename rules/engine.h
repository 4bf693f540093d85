/*
 * engine.h - private state of the rule engine (engine.c, metrics.c, hit.c).
 *
 * Per-key memory (all fixed, allocated with the table):
 *   header                      struct rkstate (80 bytes: table header 16,
 *                               key 40, times 16, flags and byte total 8)
 *   per used resolution r       B * ring_len[r] bytes (host+destination
 *                               keys: coarse rings, rwin_pick_scope), B = 16 (bytes
 *                               out/in), or 32 when a rule of the scope
 *                               uses pkts_out, pkts_in or flows
 *   baseline 1h / 1d            24 + 4 * 48 / 24 + 4 * 28 bytes
 *   top-K (keyed scopes)        struct rtop: 5 flows and 5 destinations
 *                               (400 bytes); host+destination keys keep
 *                               struct rtop_pair: 5 flows without their
 *                               remote, which is the key's (112 bytes)
 *   distinct destinations       struct rdset (64 entries) when used
 */
#ifndef RULES_ENGINE_H
#define RULES_ENGINE_H

#include "internal.h"
#include "tab.h"

/* One window bucket: volume counted in bucket time [n*r, (n+1)*r).  A
 * layout of narrow buckets (rlayout.bsize RBUCKET_NARROW) keeps only bo
 * and bi: po, pi and fl exist only in wide buckets (RBUCKET_WIDE). */
struct rbucket {
    uint64_t bo, bi;          /* IP bytes out / in */
    uint32_t po, pi, fl, pad_;/* packets out / in, flows started */
};
#define RBUCKET_NARROW 16u
#define RBUCKET_WIDE 32u
_Static_assert(sizeof(struct rbucket) == RBUCKET_WIDE, "wide bucket");

/* A ring is len buckets of rlayout.bsize bytes at rlayout.off_ring[r]
 * (8-byte aligned, as every payload offset: lay_add), bucket number n in
 * slot n % len, and no header: its newest bucket number (head) is
 * reng_sec_of(rkstate.last_update) / rwin_res_s[r], because every packet
 * counted into a key advances all of the key's rings to that packet's
 * second and then sets last_update to its time (reng_account), packet
 * time never goes back (the engine's clock is the latest packet time),
 * and nothing else moves a ring.  A ring a rule swap adds (its buckets
 * zero) may take the key's head at once: zero buckets sum to zero
 * whichever of them count as live. */

/* Baselines: median/MAD of ln(1 + bytes_out per period). */
#define RBL_N_1H 48           /* hourly history: 2 days */
#define RBL_WARM_1H 24        /* hours before it may fire */
#define RBL_N_1D 28           /* daily history: 4 weeks */
#define RBL_WARM_1D 7         /* days before it may fire */
#define RBL_MIN_SIGMA 0.25    /* floor of 1.4826*MAD, ln units (~28%) */

struct rbl {
    int64_t period;           /* current period number (time / length) */
    double cur;               /* bytes out so far in the current period */
    uint16_t n, pos;          /* stored periods, next slot */
    uint8_t started;          /* first (partial) period already skipped */
    uint8_t pad_[3];
    float hist[];             /* ln(1 + bytes) of finished periods */
};

#define RTOP_K 5
struct rtop_dst { struct xm_addr a; uint64_t bytes; };
struct rtop_flow {
    uint64_t flow_id;
    struct xm_addr remote;
    uint16_t port;
    uint8_t name_src, pad_;
    uint32_t name_id;         /* the flow's remote name (f->name_id), 0 = none */
    uint64_t bytes;
};
/* Destinations: top-K by bytes out; a new entry replaces the smallest one
 * and starts from its own bytes, so every count is exact since the entry
 * was placed (a lower bound of the true total); large senders are never
 * displaced by small ones.  Flows: top-K by the flow's own total bytes
 * out since its start (live flows included, refreshed on each of their
 * packets); a flow enters when its total passes the smallest entry's. */
struct rtop { struct rtop_flow f[RTOP_K]; struct rtop_dst d[RTOP_K]; };
/* Host+destination keys (rlayout.top_dsts 0): only the top flows, and
 * without their remote address, which is the key's; same ranking as
 * struct rtop's flows.  Stored as arrays (22 bytes a flow instead of 48;
 * 112 bytes for 5): id_src[i] is the flow's id (51 bits,
 * XM_FLOW_ID_MASK) with the flow's name_src in bits 56-63, so every
 * value is kept exactly (metrics.c rtop_pair_get/_set); bytes[i] 0 = an
 * empty entry. */
#define RTOP_ID_BITS 56
_Static_assert((XM_FLOW_ID_MASK >> RTOP_ID_BITS) == 0, "flow ids fit below name_src");
struct rtop_pair {
    uint64_t id_src[RTOP_K];
    uint64_t bytes[RTOP_K];
    uint32_t name_id[RTOP_K];
    uint16_t port[RTOP_K];
};
_Static_assert(sizeof(struct rtop_pair) == 112, "pair top flows");
/* One entry of a struct rtop_pair, unpacked. */
struct rtop_pflow {
    uint64_t flow_id, bytes;
    uint32_t name_id;
    uint16_t port;
    uint8_t name_src;
};

#define RDSET_N 64
/* The 64 most recently contacted destinations (32-bit hash, last second
 * seen).  Counts within a window are exact up to 64 and saturate there. */
struct rdset { uint32_t h[RDSET_N]; uint32_t t[RDSET_N]; };

/* A key table's key (its klen bytes, hashed and compared as bytes, so
 * padding is zero): the local end (host, host+destination and process
 * keys) and the remote end (host+destination keys); a process key keeps
 * its id (proc_id) in the first 8 bytes of remote (family 0).  The site
 * key is all zero.  An evaluation sees the struct rules_key rkey_full()
 * makes of it (with the scope; 16 bytes a key not stored). */
struct rkey { struct xm_addr local, remote; };
_Static_assert(sizeof(struct rkey) == 40, "key bytes");

static inline void rkey_make(struct rkey *k, enum rules_scope s, const struct xm_addr *local,
                             const struct xm_addr *remote, uint64_t id)
{
    memset(k, 0, sizeof *k);
    if (s == RULES_SCOPE_HOST || s == RULES_SCOPE_HOSTDST || s == RULES_SCOPE_PROCESS)
        k->local = *local;         /* process: the host it runs on */
    if (s == RULES_SCOPE_HOSTDST)
        k->remote = *remote;
    if (s == RULES_SCOPE_PROCESS)
        memcpy(k->remote.b, &id, sizeof id);
}

static inline void rkey_full(const struct rkey *k, enum rules_scope s, struct rules_key *out)
{
    memset(out, 0, sizeof *out);
    out->scope = (uint8_t)s;
    out->local = k->local;
    if (s == RULES_SCOPE_PROCESS)
        memcpy(&out->id, k->remote.b, sizeof out->id);
    else
        out->remote = k->remote;
}

struct rkstate {
    struct rtab_hdr h;
    struct rkey key;
    xm_time_t last_update, last_eval;   /* packet time, usec */
    uint8_t remote_home;      /* HOSTDST: the remote end is local too */
    uint8_t dirty;            /* counted since its last evaluation */
    /* IP bytes out counted into this key since it was created,
     * out_hi << 32 | out_lo, saturating at RK_OUT_UNKNOWN (also set when
     * the rings came from elsewhere: a state file).  Every window bucket
     * holds at most this much, so it bounds every windowed byte or rate
     * value from above (reng_upper). */
    uint16_t out_hi;
    uint32_t out_lo;
    /* payload at the offsets of struct rlayout */
};
_Static_assert(sizeof(struct rkstate) == 80, "key header: engine.h, docs/rules.md");

/* A layout is saved with the keys (rules/state.c) and compared as bytes:
 * keys saved under another layout are not loaded.  version names the
 * encoding of the structures above, so a change of encoding that keeps
 * every size and offset still tells old files apart (0 in files of
 * exfilmon before version 1, whose key header was 104 bytes, rings had
 * a 16-byte header and pair top flows were 120 bytes; version 1: an
 * 80-byte header with a 40-byte key, rings without a header, packed pair
 * top flows). */
#define RLAYOUT_VERSION 1u
struct rlayout {
    uint32_t len[RWIN_NRES];  /* ring length, 0 = not kept */
    uint32_t bsize;           /* bytes per bucket: RBUCKET_NARROW or _WIDE */
    uint32_t top_dsts;        /* top-K is struct rtop (1) or rtop_pair (0) */
    uint32_t version;         /* RLAYOUT_VERSION (was padding, 0) */
    size_t off_ring[RWIN_NRES];
    size_t off_bl[2];         /* 0 = not kept */
    size_t off_top, off_dset;
    size_t size;
};
_Static_assert(offsetof(struct rlayout, off_ring) == 8 * sizeof(uint32_t),
               "no padding: layouts are saved and compared as bytes");

struct rseen_key { struct xm_addr local, remote; };
struct rseen { struct rtab_hdr h; struct rseen_key key; xm_time_t first; };
struct rdst { struct rtab_hdr h; struct xm_addr key; uint32_t hosts, pad_; };

struct rsupp_key { uint32_t rule_id, pad_; struct rules_key k; };
struct rsupp {
    struct rtab_hdr h;
    struct rsupp_key key;
    xm_time_t last_fire;
    double last_value;
    uint32_t fires, pad_;
};

struct rules_engine {
    struct rules_set *set;
    struct rules_limits lim;
    rules_alert_fn cb;
    void *cb_ctx;
    struct rtab keys[RULES_SCOPE_MAX];
    struct rlayout lay[RULES_SCOPE_MAX];
    struct rtab seen, dsts, supp;
    xm_time_t now, first;
    struct xm_flow *cur_flow;     /* the flow whose packet/end is evaluated */
    struct xm_tab_ref site_ref;   /* the one site key (engine.c key_ref) */
    /* Flow scope: no key table; each flow holds its state (struct
     * xm_flow rules_eval, rules_epoch; engine.c "flow scope"), valid while
     * its epoch equals flow_epoch (never 0).  flow_st counts flows with
     * state as a key table's stats would (used, inserted; never evicted). */
    uint32_t flow_epoch;
    /* A flow's state is valid while its epoch (f->rules_epoch without
     * FLOW_RULES_NAME_FALSE) lies in [flow_valid_from, flow_epoch]: a
     * swap that keeps the flow scope moves flow_epoch only (so a flow's
     * name-only verdict, stamped with the epoch of its evaluation, is
     * honoured only under the set that made it), one that drops or
     * starts it moves both. */
    uint32_t flow_valid_from;
    struct xm_tab_stats flow_st;
    /* Per scope: a new key table starts its generations above every
     * generation an earlier table of that scope handed out, so a flow's
     * cached reference into a replaced table never matches. */
    uint32_t gen_floor[RULES_SCOPE_MAX];
    uint64_t *rule_alerts;
    uint32_t *rule_ids;
    struct rules_memo *memo;      /* field values of the current evaluation */
    struct rules_engine_stats st;
    struct site *site;            /* borrowed; NULL without --site-redis */
};

/* Bytes of flow-scope state a flow holds (struct xm_flow). */
#define RULES_FLOW_STATE_BYTES (sizeof(xm_time_t) + sizeof(uint32_t))

static inline void *rk_payload(const struct rkstate *k, size_t off)
{
    return (uint8_t *)k + off;
}

/* A rule that fired (public accessors: rules/hit.c). */
struct rules_hit {
    const struct rules_engine *eng;
    const struct rrule *r;
    const struct rules_eval_ctx *ctx;
    const struct rtrace *tr;
    bool escalation;
    uint32_t fires;
};

/* What one packet contributes to the keys it touches. */
struct pkt_info {
    const struct xm_flow *f;
    struct xm_addr local, remote;
    uint16_t lport, rport;
    bool out, new_flow;
    uint64_t bytes;
    xm_time_t now;            /* packet time (engine clock), usec */
    int64_t now_s;            /* reng_sec_of(now) */
};

/* ---- metrics.c: per-key state (used by engine.c and hit.c) ---------- */

void reng_lay_build(struct rlayout *l, const struct rules_set *set, enum rules_scope s);
bool reng_lay_equal(const struct rlayout *a, const struct rlayout *b);
/* Packet time in whole seconds. */
int64_t reng_sec_of(xm_time_t t);
/* Counts the packet into k's rings, baselines, top-K and destinations,
 * and sets k->last_update to pi->now (which is >= k->last_update). */
void reng_account(const struct rlayout *l, struct rkstate *k, const struct pkt_info *pi);
#define RK_OUT_UNKNOWN ((UINT64_C(1) << 48) - 1)
uint64_t reng_out_total(const struct rkstate *k);
void reng_out_set(struct rkstate *k, uint64_t v);
/* Raises k's byte total to at least what each of its rings holds (keys
 * whose rings were filled from elsewhere: a state file). */
void reng_out_cover(const struct rlayout *l, struct rkstate *k);
/* Entry i (< RTOP_K) of a host+destination key's top flows, unpacked
 * and packed (engine.h struct rtop_pair). */
void rtop_pair_get(const struct rtop_pair *t, unsigned i, struct rtop_pflow *out);
void rtop_pair_set(struct rtop_pair *t, unsigned i, const struct rtop_pflow *v);
/* Prefetches the lines reng_account() writes for a packet at now_s. */
void reng_prefetch(const struct rlayout *l, const struct rkstate *k, int64_t now_s);
/* Records the (local, remote) pair's first sighting and the remote's
 * prevalence. */
/* The engine's first packet time (dst.first_seen_site_age counts from
 * it), shared with the site's other sensors (--site-redis). */
void reng_set_first(struct rules_engine *eng, xm_time_t now);
void reng_seen_update(struct rules_engine *eng, const struct xm_addr *local,
                      const struct xm_addr *remote, xm_time_t now);
/* prefetch.c: true when f's cached host+destination key was probably
 * evicted (a guess for prefetching: its table is full and at least cap
 * keys were inserted since; rules_prefetch skips its lines then). */
bool rules_pair_stale(const struct rules_engine *eng, const struct xm_flow *f);
/* Carries sk's state (layout sl) into dk (layout dl) across a swap. */
void reng_key_migrate(struct rkstate *dk, const struct rlayout *dl,
                      const struct rkstate *sk, const struct rlayout *sl);
double reng_window_sum(const struct rules_engine *eng, const struct rkstate *k,
                       enum rules_scope s, int metric, uint32_t w, xm_time_t now);
int reng_baseline(const struct rules_engine *eng, const struct rkstate *k,
                  enum rules_scope s, int which, double *median_bytes, double *mad,
                  double *cur, unsigned *n);
bool reng_first_seen(const struct rules_engine *eng, const struct xm_addr *local,
                     const struct xm_addr *remote, xm_time_t *first, uint32_t *prev);
void reng_flow_sides(const struct xm_flow *f, struct xm_addr *local,
                     struct xm_addr *remote, uint16_t *lport, uint16_t *rport,
                     int *out_dir);

#endif
