/*
 * flow.c - the bidirectional flow table declared in xm_flow.h.
 *
 * Layout: one preallocated slab of max_flows entries (index 0 is the nil
 * sentinel, so the slab has max_flows + 1 slots), a power-of-two bucket
 * array of uint32 slab indices with chaining through hnext_, and a free
 * list.  Slots are handed out from a high-water mark first, so memory
 * the table never needs is never touched.
 *
 * Idle expiry: one LRU list per timeout class (tcp_new, tcp_established,
 * tcp_closed, udp, icmp, other).  A touched flow moves to the head of its
 * class list, so each tail holds the flow with the earliest idle
 * deadline (last + class timeout) of its class, for time-ordered input.
 * flow_expire() merges the class tails by deadline (ties: lower class
 * first), which makes the end-callback order a function of the input
 * alone.  A deadline is inclusive: a flow ends at now >= last + timeout.
 *
 * Active timeout: a second list ordered by max(first, last_interim).
 * New flows are appended at the tail, a flow that just got an interim
 * record moves to the tail, so the head is always the next one due and
 * the check is O(1) per emitted record.  With out-of-order packet times
 * the order is approximate and a record may come late by that disorder.
 *
 * Fragments: see the frag_* section below (an xm_tab).
 *
 * Why the flow table is not the base library's xm_tab: it keeps one LRU
 * list per timeout class plus the interim list, ends flows through a
 * callback in deadline order and hashes a direction-neutral key; xm_tab
 * has one list and byte keys.
 */
#include "xm_flow.h"
#include "xm_tab.h"
#include "flow_key.h"

#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_ICMP6 58

enum { CL_TCP_NEW, CL_TCP_EST, CL_TCP_CLOSED, CL_UDP, CL_ICMP, CL_OTHER, CL_MAX };

/* Fragment table: (src, dst, proto, vlan, frag id) of the packet as sent
 * -> the L4 ports of its first fragment.  Hard cap FRAG_CAP entries
 * (fewer for tables smaller than that: max(16, pow2 >= max_flows));
 * eviction = least recently touched entry (LRU tail); an entry also
 * dies FRAG_LIFETIME of packet time after its last touch.  Non-first
 * fragments that arrive before the first one are held here as counts
 * (pend_*); if the entry dies still pending they count as frag_orphan. */
#define FRAG_CAP 4096u
#define FRAG_LIFETIME XM_SEC(30)

struct frag_key {
    struct xm_addr src, dst;
    uint32_t id;
    uint16_t vlan;
    uint8_t proto;
    uint8_t pad_;             /* zeroed: hashed as bytes */
};

struct frag_ent {
    struct xm_tab_hdr h;      /* the key follows the header */
    struct frag_key k;
    uint16_t sport, dport;    /* ports of the first fragment, as sent */
    bool first_seen, has_ports;
    uint32_t pend_pkts;       /* later fragments held before the first */
    uint64_t pend_bytes;
    xm_time_t ts;             /* packet time of the last touch */
};

struct idx_list {
    uint32_t head, tail;
};

struct flow_table {
    struct xm_flow *slab;     /* cap + 1 slots, [0] = nil */
    uint32_t *buckets;
    uint32_t mask;            /* bucket count - 1 */
    uint32_t cap, hwm, free_head;
    struct idx_list lru[CL_MAX];
    struct idx_list act;      /* interim list */
    xm_time_t tmo[CL_MAX];    /* usec */
    xm_time_t active_us;      /* 0 = no interim records */
    uint64_t seed;
    flow_end_fn on_end;
    void *ctx;
    struct flow_stats st;
    struct xm_tab fr;         /* fragments (xm_tab.h), LRU = oldest touch first */
};

void flow_timeouts_default(struct flow_timeouts *t)
{
    t->tcp_new = 60;
    t->tcp_established = 600;
    t->tcp_closed = 10;
    t->udp = 120;
    t->icmp = 60;
    t->other = 120;
    t->active = 1800;
}

const char *flow_state_name(enum flow_state s)
{
    switch (s) {
    case FLOW_STATE_NEW: return "new";
    case FLOW_STATE_ESTABLISHED: return "established";
    case FLOW_STATE_CLOSED: return "closed";
    }
    return "unknown";
}

const char *flow_reason_name(enum flow_end_reason r)
{
    switch (r) {
    case FLOW_END_TIMEOUT: return "timeout";
    case FLOW_END_CLOSED: return "tcp_close";
    case FLOW_END_EVICTED: return "evicted";
    case FLOW_END_SHUTDOWN: return "shutdown";
    case FLOW_END_ACTIVE: return "active_timeout";
    }
    return "unknown";
}

/* ---- keys ------------------------------------------------------------ */

void flow_key_of(const struct xm_flow *f, struct xm_flow_key *k)
{
    key_of_ends(&f->cli, f->cli_port, &f->srv, f->srv_port, f->vlan, f->proto, k);
}

static uint32_t key_hash(const struct flow_table *ft, const struct xm_pkt *p, uint16_t sp,
                         uint16_t dp)
{
    struct key_view v;
    key_view_of(p, sp, dp, &v);
    return key_hash_view(ft->seed, &v);
}

void flow_key_from_pkt(const struct xm_pkt *p, struct xm_flow_key *k)
{
    uint16_t sp = p->has_ports ? p->sport : 0, dp = p->has_ports ? p->dport : 0;
    key_make(p, sp, dp, k);
}

uint32_t flow_hash(const struct flow_table *ft, const struct xm_pkt *p)
{
    if (p->frag == XM_FRAG_LATER)
        return 0;
    return key_hash(ft, p, p->has_ports ? p->sport : 0, p->has_ports ? p->dport : 0);
}

void flow_prefetch(const struct flow_table *ft, uint32_t h, int stage)
{
    const uint32_t *bucket = &ft->buckets[h & ft->mask];
    if (stage == 0) {
        __builtin_prefetch(bucket);
        return;
    }
    uint32_t i = *bucket;               /* 0 = empty bucket (slab[0] is nil) */
    if (!i)
        return;
    /* A slot is three aligned cache lines: the lookup reads the first
     * (chain and key fields), the update writes the second (counters,
     * last, LRU links). */
    const char *slot = (const char *)&ft->slab[i];
    __builtin_prefetch(slot);
    __builtin_prefetch(slot + offsetof(struct xm_flow, lprev_));
}

const struct xm_flow *flow_peek(const struct flow_table *ft, uint32_t h)
{
    uint32_t i = ft->buckets[h & ft->mask];
    for (int n = 0; i && n < 4; n++) {  /* a bounded walk: only a guess */
        const struct xm_flow *f = &ft->slab[i];
        if (f->hash_ == h)
            return f;
        i = f->hnext_;
    }
    return NULL;
}

/* 51-bit id from the canonical key and the first packet time (fixed
 * seed, little-endian time bytes): identical across runs and hosts.
 * 51 bits, as Suricata masks its EVE flow_id, so that the id is an exact
 * IEEE double: jq 1.6 and JavaScript consumers keep it unchanged. */
static uint64_t flow_id_of(const struct xm_flow_key *k, xm_time_t first)
{
    uint8_t buf[sizeof *k + 8];
    memcpy(buf, k, sizeof *k);
    uint64_t t = (uint64_t)first;
    for (int i = 0; i < 8; i++)
        buf[sizeof *k + (size_t)i] = (uint8_t)(t >> (8 * i));
    return xm_hash(buf, sizeof buf, XM_HASH_FIXED_SEED) & XM_FLOW_ID_MASK;
}

/* ---- table construction ------------------------------------------------ */

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t b = 1;
    while (b < n && b < (UINT32_C(1) << 31))
        b <<= 1;
    return b;
}

/* Cache-line aligned memory, not zeroed (a slab slot is initialised
 * when handed out, so pages never needed are never touched).  Large
 * areas are 2 MiB aligned and advised to use huge pages: random access
 * to a big table is otherwise dominated by TLB misses. */
static void *big_alloc(size_t size)
{
    const size_t huge = (size_t)2 << 20;
    void *p = NULL;
    if (posix_memalign(&p, size >= 2 * huge ? huge : 64, size) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (size >= 2 * huge)
        (void)madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
}

static void set_timeouts(struct flow_table *ft, const struct flow_timeouts *t)
{
    ft->tmo[CL_TCP_NEW] = XM_SEC(t->tcp_new);
    ft->tmo[CL_TCP_EST] = XM_SEC(t->tcp_established);
    ft->tmo[CL_TCP_CLOSED] = XM_SEC(t->tcp_closed);
    ft->tmo[CL_UDP] = XM_SEC(t->udp);
    ft->tmo[CL_ICMP] = XM_SEC(t->icmp);
    ft->tmo[CL_OTHER] = XM_SEC(t->other);
    ft->active_us = XM_SEC(t->active);
}

struct flow_table *flow_table_new(uint32_t max_flows, const struct flow_timeouts *t,
                                  uint64_t seed, flow_end_fn on_end, void *ctx)
{
    if (max_flows == 0 || max_flows == UINT32_MAX)
        return NULL;
    struct flow_table *ft = calloc(1, sizeof *ft);
    if (!ft)
        return NULL;
    uint32_t nb = pow2_at_least(max_flows);
    ft->slab = big_alloc(((size_t)max_flows + 1) * sizeof *ft->slab);
    if (ft->slab)
        memset(&ft->slab[0], 0, sizeof ft->slab[0]);
    ft->buckets = big_alloc((size_t)nb * sizeof *ft->buckets);
    if (ft->buckets)
        memset(ft->buckets, 0, (size_t)nb * sizeof *ft->buckets);
    uint32_t fcap = nb < 16 ? 16 : nb > FRAG_CAP ? FRAG_CAP : nb;
    if (!ft->slab || !ft->buckets ||
        xm_tab_init(&ft->fr, fcap, sizeof(struct frag_ent), sizeof(struct frag_key), seed) != 0)
        goto fail;
    struct flow_timeouts def;
    flow_timeouts_default(&def);
    set_timeouts(ft, t ? t : &def);
    ft->mask = nb - 1;
    ft->cap = max_flows;
    ft->seed = seed;
    ft->on_end = on_end;
    ft->ctx = ctx;
    return ft;
fail:
    flow_table_free(ft);
    return NULL;
}

void flow_table_free(struct flow_table *ft)
{
    if (!ft)
        return;
    free(ft->slab);
    free(ft->buckets);
    xm_tab_free(&ft->fr);
    free(ft);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft) { return &ft->st; }
uint32_t flow_table_capacity(const struct flow_table *ft) { return ft->cap; }

/* ---- intrusive lists (slab indices, 0 = nil) ---------------------------- */

static uint32_t flow_idx(const struct flow_table *ft, const struct xm_flow *f)
{
    return (uint32_t)(f - ft->slab);
}

uint32_t flow_slot(const struct flow_table *ft, const struct xm_flow *f)
{
    return flow_idx(ft, f);
}

/* Issue 12: <= 200 bytes a flow; a lookup's fields in the first line. */
_Static_assert(sizeof(struct xm_flow) <= 200, "struct xm_flow grew past 200 bytes");
_Static_assert(offsetof(struct xm_flow, lprev_) == 64,
               "the lookup's fields (hash chain, key) fill the first cache line");

static void lru_unlink(struct flow_table *ft, struct xm_flow *f)
{
    struct idx_list *l = &ft->lru[f->class_];
    if (f->lprev_)
        ft->slab[f->lprev_].lnext_ = f->lnext_;
    else
        l->head = f->lnext_;
    if (f->lnext_)
        ft->slab[f->lnext_].lprev_ = f->lprev_;
    else
        l->tail = f->lprev_;
    f->lprev_ = f->lnext_ = 0;
}

static void lru_push_head(struct flow_table *ft, struct xm_flow *f)
{
    struct idx_list *l = &ft->lru[f->class_];
    uint32_t i = flow_idx(ft, f);
    f->lprev_ = 0;
    f->lnext_ = l->head;
    if (l->head)
        ft->slab[l->head].lprev_ = i;
    else
        l->tail = i;
    l->head = i;
}

static void act_unlink(struct flow_table *ft, struct xm_flow *f)
{
    if (f->aprev_)
        ft->slab[f->aprev_].anext_ = f->anext_;
    else
        ft->act.head = f->anext_;
    if (f->anext_)
        ft->slab[f->anext_].aprev_ = f->aprev_;
    else
        ft->act.tail = f->aprev_;
    f->aprev_ = f->anext_ = 0;
}

static void act_push_tail(struct flow_table *ft, struct xm_flow *f)
{
    uint32_t i = flow_idx(ft, f);
    f->anext_ = 0;
    f->aprev_ = ft->act.tail;
    if (ft->act.tail)
        ft->slab[ft->act.tail].anext_ = i;
    else
        ft->act.head = i;
    ft->act.tail = i;
}

/* ---- hash index ------------------------------------------------------- */

static struct xm_flow *flow_find_view(struct flow_table *ft, const struct key_view *v,
                                      uint32_t h)
{
    uint32_t i = ft->buckets[h & ft->mask];
    while (i) {
        struct xm_flow *f = &ft->slab[i];
        if (f->hash_ == h && key_is(f, v))
            return f;
        i = f->hnext_;
    }
    return NULL;
}

static void hash_unlink(struct flow_table *ft, struct xm_flow *f)
{
    uint32_t i = flow_idx(ft, f);
    uint32_t *pp = &ft->buckets[f->hash_ & ft->mask];
    while (*pp && *pp != i)
        pp = &ft->slab[*pp].hnext_;
    if (*pp)
        *pp = f->hnext_;
    f->hnext_ = 0;
}

/* ---- ending flows ------------------------------------------------------ */

/* Unlinks f, runs the end callback, then returns the slot to the free
 * list.  The callback is the last moment f may be read. */
static void flow_end(struct flow_table *ft, struct xm_flow *f, enum flow_end_reason r)
{
    hash_unlink(ft, f);
    lru_unlink(ft, f);
    act_unlink(ft, f);
    ft->st.ended++;
    ft->st.active--;
    if (ft->on_end)
        ft->on_end(ft->ctx, f, r);
    f->in_use_ = 0;
    f->hnext_ = ft->free_head;
    ft->free_head = flow_idx(ft, f);
}

static enum flow_end_reason idle_reason(const struct xm_flow *f)
{
    return f->state == FLOW_STATE_CLOSED ? FLOW_END_CLOSED : FLOW_END_TIMEOUT;
}

/* Class whose LRU tail has the earliest idle deadline; -1 when empty.
 * Ties go to the lower class number (deterministic). */
static int earliest_class(const struct flow_table *ft, xm_time_t *deadline)
{
    int best = -1;
    for (int c = 0; c < CL_MAX; c++) {
        uint32_t t = ft->lru[c].tail;
        if (!t)
            continue;
        xm_time_t d = ft->slab[t].last + ft->tmo[c];
        if (best < 0 || d < *deadline) {
            best = c;
            *deadline = d;
        }
    }
    return best;
}

static void flow_evict(struct flow_table *ft)
{
    xm_time_t d = 0;
    int c = earliest_class(ft, &d);
    if (c < 0)
        return;
    ft->st.evicted++;
    flow_end(ft, &ft->slab[ft->lru[c].tail], FLOW_END_EVICTED);
}

/* ---- creating and updating --------------------------------------------- */

static int class_of(const struct xm_flow *f)
{
    if (f->proto == PROTO_TCP) {
        if (f->state == FLOW_STATE_ESTABLISHED)
            return CL_TCP_EST;
        return f->state == FLOW_STATE_CLOSED ? CL_TCP_CLOSED : CL_TCP_NEW;
    }
    if (f->proto == 17)
        return CL_UDP;
    if (f->proto == PROTO_ICMP || f->proto == PROTO_ICMP6)
        return CL_ICMP;
    return CL_OTHER;
}

static uint32_t slot_alloc(struct flow_table *ft)
{
    if (!ft->free_head && ft->hwm == ft->cap)
        flow_evict(ft);
    if (ft->free_head) {
        uint32_t i = ft->free_head;
        ft->free_head = ft->slab[i].hnext_;
        return i;
    }
    return ft->hwm < ft->cap ? ++ft->hwm : 0;
}

typedef bool (*is_local_fn)(void *, const struct xm_addr *);

static uint8_t local_of(const struct xm_flow *f, is_local_fn is_local, void *lctx)
{
    if (!is_local)
        return FLOW_LOCAL_NONE;
    uint8_t l = is_local(lctx, &f->cli) ? FLOW_LOCAL_CLIENT : 0;
    if (is_local(lctx, &f->srv))
        l |= FLOW_LOCAL_SERVER;
    return l;
}

/* Fills a fresh flow from its first packet.  A first packet carrying
 * SYN+ACK makes its sender the server; otherwise the sender is the
 * client (no port heuristics). */
static void flow_init(struct xm_flow *f, const struct xm_flow_key *k, uint32_t h,
                      const struct xm_pkt *p, uint16_t sp, uint16_t dp)
{
    bool synack = flow_first_sender_is_server(p);
    memset(f, 0, sizeof *f);
    f->hash_ = h;
    f->cli = synack ? p->dst : p->src;
    f->srv = synack ? p->src : p->dst;
    f->cli_port = synack ? dp : sp;
    f->srv_port = synack ? sp : dp;
    f->proto = p->proto;
    f->vlan = p->vlan;
    if (p->proto == PROTO_ICMP || p->proto == PROTO_ICMP6) {
        f->icmp_type = p->icmp_type;
        f->icmp_code = p->icmp_code;
    }
    f->first = f->last = p->ts;
    f->flow_id = flow_id_of(k, p->ts);
    f->in_use_ = 1;
}

static struct xm_flow *flow_create(struct flow_table *ft, const struct xm_flow_key *k,
                                   uint32_t h, const struct xm_pkt *p, uint16_t sp,
                                   uint16_t dp, is_local_fn is_local, void *lctx)
{
    uint32_t i = slot_alloc(ft);
    if (!i)
        return NULL;
    struct xm_flow *f = &ft->slab[i];
    flow_init(f, k, h, p, sp, dp);
    f->local = local_of(f, is_local, lctx);
    f->hnext_ = ft->buckets[h & ft->mask];
    ft->buckets[h & ft->mask] = i;
    f->class_ = (uint8_t)class_of(f);
    lru_push_head(ft, f);
    act_push_tail(ft, f);
    ft->st.created++;
    if (++ft->st.active > ft->st.peak_active)
        ft->st.peak_active = ft->st.active;
    return f;
}

/* TCP state machine: NEW until both directions were seen (or a SYN+ACK),
 * CLOSED after FIN in both directions or any RST (terminal). */
static void tcp_track(struct xm_flow *f, int dir, uint8_t flags)
{
    f->tcp_flags[dir] |= flags;
    if (f->state == FLOW_STATE_CLOSED)
        return;
    if ((flags & TCP_RST) ||
        ((f->tcp_flags[0] & TCP_FIN) && (f->tcp_flags[1] & TCP_FIN)))
        f->state = FLOW_STATE_CLOSED;
    else if (f->state == FLOW_STATE_NEW &&
             ((f->pkts[0] && f->pkts[1]) ||
              (flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)))
        f->state = FLOW_STATE_ESTABLISHED;
}

/* A bare SYN on a closed TCP flow is a new connection reusing the
 * 5-tuple: the old flow ends first. */
static bool tcp_reused(const struct xm_flow *f, const struct xm_pkt *p)
{
    return f->proto == PROTO_TCP && f->state == FLOW_STATE_CLOSED &&
           (p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN;
}

/* Moves f to the head of (possibly a new) class list; a flow already at
 * the head of its list (bursts) costs no stores. */
static void lru_touch(struct flow_table *ft, struct xm_flow *f)
{
    uint8_t c = (uint8_t)class_of(f);
    if (c == f->class_ && ft->lru[c].head == flow_idx(ft, f))
        return;
    lru_unlink(ft, f);
    f->class_ = c;
    lru_push_head(ft, f);
}

/* The per-packet core: one hash probe, counters, state, LRU move. */
static struct xm_flow *flow_account(struct flow_table *ft, const struct xm_pkt *p,
                                    uint16_t sp, uint16_t dp, const uint32_t *hash,
                                    is_local_fn is_local, void *lctx, int *dir)
{
    struct key_view v;
    key_view_of(p, sp, dp, &v);
    uint32_t h = hash ? *hash : key_hash_view(ft->seed, &v);
    struct xm_flow *f = flow_find_view(ft, &v, h);
    if (f && tcp_reused(f, p)) {
        flow_end(ft, f, FLOW_END_CLOSED);
        f = NULL;
    }
    if (!f) {
        struct xm_flow_key k;
        key_make(p, sp, dp, &k);
        if (!(f = flow_create(ft, &k, h, p, sp, dp, is_local, lctx)))
            return NULL;
    }
    int d = (key_addr_eq(&p->src, &f->cli) && sp == f->cli_port) ? 0 : 1;
    f->pkts[d]++;
    f->bytes[d] += p->ip_bytes;
    if (p->ts > f->last)
        f->last = p->ts;
    if (f->proto == PROTO_TCP)
        tcp_track(f, d, p->tcp_flags);
    else if (f->state == FLOW_STATE_NEW && f->pkts[0] && f->pkts[1])
        f->state = FLOW_STATE_ESTABLISHED;   /* non-TCP: seen both ways */
    lru_touch(ft, f);
    *dir = d;
    return f;
}

/* ---- fragment table ---------------------------------------------------- */

static void frag_key_make(const struct xm_pkt *p, struct frag_key *k)
{
    memset(k, 0, sizeof *k);
    k->src = p->src;
    k->dst = p->dst;
    k->id = p->frag_id;
    k->vlan = p->vlan;
    k->proto = p->proto;
}

/* Drops an entry; fragments still held in it become orphans. */
static void frag_release(struct flow_table *ft, struct frag_ent *e)
{
    ft->st.frag_orphan += e->pend_pkts;
    xm_tab_remove(&ft->fr, e);
}

/* Finds (or creates, evicting the least recently touched entry when
 * full) the entry of p's fragment key and touches it at p's time. */
static struct frag_ent *frag_get(struct flow_table *ft, const struct xm_pkt *p,
                                 bool create)
{
    struct frag_key k;
    frag_key_make(p, &k);
    struct frag_ent *e = xm_tab_find(&ft->fr, &k);
    if (!e && create) {
        struct frag_ent *victim = xm_tab_victim(&ft->fr);
        if (victim) {
            ft->st.frag_evicted++;
            frag_release(ft, victim);
        }
        bool created;
        e = xm_tab_upsert(&ft->fr, &k, &created);
    }
    if (e) {
        e->ts = p->ts;
        xm_tab_touch(&ft->fr, e);
    }
    return e;
}

/* First fragment: remember its ports, release fragments held so far
 * into the flow (same sender, so same direction). */
static void frag_first(struct flow_table *ft, const struct xm_pkt *p,
                       struct xm_flow *f, int dir)
{
    struct frag_ent *e = frag_get(ft, p, true);
    e->first_seen = true;
    e->has_ports = p->has_ports;
    e->sport = p->has_ports ? p->sport : 0;
    e->dport = p->has_ports ? p->dport : 0;
    f->pkts[dir] += e->pend_pkts;
    f->bytes[dir] += e->pend_bytes;
    e->pend_pkts = 0;
    e->pend_bytes = 0;
}

static struct xm_flow *frag_later(struct flow_table *ft, const struct xm_pkt *p,
                                  is_local_fn is_local, void *lctx, int *dir)
{
    struct frag_ent *e = frag_get(ft, p, true);
    if (e->first_seen)
        return flow_account(ft, p, e->sport, e->dport, NULL, is_local, lctx, dir);
    e->pend_pkts++;
    e->pend_bytes += p->ip_bytes;
    ft->st.frag_pending++;
    return NULL;
}

static void frag_expire(struct flow_table *ft, xm_time_t now)
{
    struct frag_ent *e;
    while ((e = xm_tab_next(&ft->fr, NULL)) && now - e->ts >= FRAG_LIFETIME) {
        ft->st.frag_expired++;
        frag_release(ft, e);
    }
}

/* ---- public entry points ---------------------------------------------- */

struct xm_flow *flow_update(struct flow_table *ft, const struct xm_pkt *p,
                            bool (*is_local)(void *, const struct xm_addr *),
                            void *local_ctx, int *dir)
{
    return flow_update_hashed(ft, p, NULL, is_local, local_ctx, dir);
}

struct xm_flow *flow_update_hashed(struct flow_table *ft, const struct xm_pkt *p,
                                   const uint32_t *hash,
                                   bool (*is_local)(void *, const struct xm_addr *),
                                   void *local_ctx, int *dir)
{
    int d = 0;
    struct xm_flow *f;
    if (p->frag == XM_FRAG_LATER) {
        f = frag_later(ft, p, is_local, local_ctx, &d);
    } else {
        uint16_t sp = p->has_ports ? p->sport : 0, dp = p->has_ports ? p->dport : 0;
        f = flow_account(ft, p, sp, dp, hash, is_local, local_ctx, &d);
        if (f && p->frag == XM_FRAG_FIRST)
            frag_first(ft, p, f, d);
    }
    if (dir)
        *dir = d;
    return f;
}

/* Emits interim records for flows whose last record (or start) is at
 * least `active` old; each moves to the list tail afterwards. */
static void emit_interims(struct flow_table *ft, xm_time_t now)
{
    while (ft->active_us > 0 && ft->act.head) {
        struct xm_flow *f = &ft->slab[ft->act.head];
        xm_time_t base = f->last_interim > f->first ? f->last_interim : f->first;
        if (now - base < ft->active_us)
            break;
        f->last_interim = now;
        if (f->interim_count < UINT8_MAX)
            f->interim_count++;
        ft->st.interim++;
        act_unlink(ft, f);
        act_push_tail(ft, f);
        if (ft->on_end)
            ft->on_end(ft->ctx, f, FLOW_END_ACTIVE);
    }
}

void flow_expire(struct flow_table *ft, xm_time_t now)
{
    xm_time_t d = 0;
    int c;
    while ((c = earliest_class(ft, &d)) >= 0 && d <= now) {
        struct xm_flow *f = &ft->slab[ft->lru[c].tail];
        flow_end(ft, f, idle_reason(f));
    }
    emit_interims(ft, now);
    frag_expire(ft, now);
}

/* Flush order: first packet time, then flow_id, then key bytes, so the
 * order never depends on the hash seed or slab layout.  The sort keys
 * are copied next to the flow pointer, so sorting reads no flow. */
struct flush_ent {
    xm_time_t first;
    uint64_t flow_id;
    struct xm_flow *f;
};

static int flush_cmp(const void *a, const void *b)
{
    const struct flush_ent *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    if (x->flow_id != y->flow_id)
        return x->flow_id < y->flow_id ? -1 : 1;
    struct xm_flow_key kx, ky;
    flow_key_of(x->f, &kx);
    flow_key_of(y->f, &ky);
    return memcmp(&kx, &ky, sizeof kx);
}

/* Ends the sorted flows in order; the flow FLUSH_AHEAD ahead and, from
 * it, the hash bucket of the one FLUSH_AHEAD / 2 ahead are prefetched
 * (each end reads its flow and unlinks it from its bucket: two misses). */
#define FLUSH_AHEAD 8
static void flush_sorted(struct flow_table *ft, const struct flush_ent *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i + FLUSH_AHEAD < n)
            __builtin_prefetch(v[i + FLUSH_AHEAD].f);
        if (i + FLUSH_AHEAD / 2 < n)
            __builtin_prefetch(&ft->buckets[v[i + FLUSH_AHEAD / 2].f->hash_ & ft->mask]);
        flow_end(ft, v[i].f, FLOW_END_SHUTDOWN);
    }
}

void flow_flush(struct flow_table *ft)
{
    size_t n = 0;
    struct flush_ent *v = malloc(((size_t)ft->st.active + 1) * sizeof *v);
    for (uint32_t i = 1; v && i <= ft->hwm; i++)
        if (ft->slab[i].in_use_)
            v[n++] = (struct flush_ent){ft->slab[i].first, ft->slab[i].flow_id, &ft->slab[i]};
    if (v) {
        qsort(v, n, sizeof *v, flush_cmp);
        flush_sorted(ft, v, n);
    }
    free(v);
    /* Allocation failure: fall back to class-list order (still
     * deterministic, just not oldest first). */
    for (int c = 0; c < CL_MAX; c++)
        while (ft->lru[c].tail)
            flow_end(ft, &ft->slab[ft->lru[c].tail], FLOW_END_SHUTDOWN);
    for (struct frag_ent *e; (e = xm_tab_next(&ft->fr, NULL));)
        frag_release(ft, e);
}
