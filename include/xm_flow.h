/*
 * xm_flow.h - the bidirectional flow table (analysis/flow/flow.c).
 *
 * Ownership: the table owns every struct xm_flow; all memory is allocated
 * once by flow_table_new() (hard cap max_flows) and freed by
 * flow_table_free().  Pointers returned by flow_update() stay valid until
 * the flow is ended (the end callback is the last moment a flow may be
 * read).  No allocation happens per packet.
 *
 * Keys: canonical 5-tuple + VLAN.  The lower (address, port) pair is
 * stored first, so both directions of a conversation map to one key.
 * The hash uses a seed drawn at start-up; nothing derived from that seed
 * is ever printed (flow_id is computed with XM_HASH_FIXED_SEED).
 *
 * Direction: the client ("src" in EVE) is the side that sent the first
 * packet, except that a first packet carrying SYN+ACK makes its sender
 * the server.  dir 0 = to server, dir 1 = to client.
 *
 * Clock: packet time only.  flow_expire(now) ends every flow whose idle
 * deadline (last + class timeout) is <= now, earliest deadline first, and
 * emits interim records (FLOW_END_ACTIVE, cumulative counters, the flow
 * goes on) for flows with now - max(first, last_interim) >= active.  The
 * order of end callbacks depends only on the input, never on the seed.
 *
 * TCP state: NEW until packets were seen both ways (or a SYN+ACK), then
 * ESTABLISHED; CLOSED after FIN both ways or any RST.  A bare SYN on a
 * CLOSED flow ends it (FLOW_END_CLOSED) and starts a new one.  Non-TCP
 * flows go NEW -> ESTABLISHED once packets were seen both ways.
 *
 * Fragments: a first fragment is accounted normally and remembers its
 * ports in a fragment table (cap 4096, LRU, 30 s of packet time) keyed
 * by (src, dst, proto, vlan, IP ID); later fragments are accounted to
 * that flow.  Later fragments arriving first are held there as counts
 * (flow_update returns NULL) and added when the first fragment comes.
 *
 * Eviction policy: when the table is full, the flow closest to its own
 * idle deadline (last_seen + its class timeout) is ended with reason
 * FLOW_END_EVICTED; the `evicted` counter counts them.  Its record is
 * still emitted, so no byte is lost from the output.
 */
#ifndef XM_FLOW_H
#define XM_FLOW_H

#include "xm_common.h"
#include "xm_pkt.h"
#include "xm_tab.h"

struct xm_flow_key {
    struct xm_addr a, b;      /* a <= b in (addr, port) order */
    uint16_t a_port, b_port;  /* 0 when the protocol has no ports */
    uint16_t vlan;
    uint8_t proto;
    uint8_t pad_[3];          /* zeroed: the key is hashed as bytes */
};

enum flow_state { FLOW_STATE_NEW = 0, FLOW_STATE_ESTABLISHED, FLOW_STATE_CLOSED };

enum flow_end_reason {
    FLOW_END_TIMEOUT = 0,  /* idle timeout                        "timeout"  */
    FLOW_END_CLOSED,       /* TCP FIN both ways or RST, then idle "tcp_close"*/
    FLOW_END_EVICTED,      /* table full                          "evicted"  */
    FLOW_END_SHUTDOWN,     /* end of input / exit                 "shutdown" */
    FLOW_END_ACTIVE,       /* interim record, flow goes on        "active_timeout" */
};

/* Which end is in the home network. */
enum { FLOW_LOCAL_NONE = 0, FLOW_LOCAL_CLIENT = 1, FLOW_LOCAL_SERVER = 2, FLOW_LOCAL_BOTH = 3 };

/* flow_id width: 51 bits, as Suricata's EVE flow_id, so every id is an
 * exact IEEE double (jq 1.6, JavaScript). */
#define XM_FLOW_ID_MASK UINT64_C(0x7ffffffffffff)

struct xm_flow {
    /* 192 bytes, three cache lines (slots are 64-byte aligned): line 0
     * is everything a lookup reads (hash chain and the key fields) plus
     * the per-packet state bytes; line 1 the per-packet counters and
     * list links; line 2 the id, times and enrichment / rules slots.
     * Indices are into the slab; 0 = nil.  The canonical key is not
     * stored: it is cli/srv in (address, port) order plus vlan and
     * proto (flow_key_of()). */
    uint32_t hash_;           /* low 32 bits of the seeded key hash */
    uint32_t hnext_;
    struct xm_addr cli, srv;  /* EVE src / dest */
    uint16_t cli_port, srv_port; /* 0 when the protocol has no ports */
    uint16_t vlan;
    uint8_t proto;
    uint8_t state;            /* enum flow_state */
    uint8_t local;            /* FLOW_LOCAL_* */
    uint8_t tcp_flags[2];     /* OR of flags seen, per direction */
    uint8_t class_, in_use_;  /* table internals */
    uint8_t app_seen;         /* app-layer protocols seen (bit = parser-table row) */
    uint8_t icmp_type, icmp_code; /* of the first ICMP packet, for Community ID */

    uint32_t lprev_, lnext_;  /* idle (LRU) list of the flow's class */
    xm_time_t last;           /* packet time of the last packet */
    uint64_t pkts[2];         /* [0] to server, [1] to client */
    uint64_t bytes[2];        /* IP-layer bytes, see xm_pkt.h */
    xm_time_t first;          /* packet time of the first packet */
    uint32_t aprev_, anext_;  /* interim (active-timeout) list */

    uint64_t flow_id;         /* deterministic, 51 bits (XM_FLOW_ID_MASK), stable */
    xm_time_t last_interim;   /* when the last interim record went out */
    /* rules engine: packet time of the flow's last flow-scope rule
     * evaluation (valid while rules_epoch is the engine's; 0 = none). */
    xm_time_t rules_eval;
    /* rules engine: the flow's host and host+destination keys, resolved
     * on the flow's first packet and checked by generation on the next
     * ones (rules/engine.c key_ref); zero = not resolved. */
    struct xm_tab_ref rules_ref[2];
    /* rules engine: the engine epoch this flow's flow-scope rule state
     * belongs to (0 = none; rules/engine.c "flow scope"), bits 0-30, and
     * FLOW_RULES_NAME_FALSE (bit 31) */
    uint32_t rules_epoch;

    /* Enrichment slots, written by later pipeline stages (0 = none). */
    uint32_t name_id;         /* analysis/names: best name for the remote end */
    uint32_t proc_id;         /* process table id, 0 = unattributed */
    uint32_t app_slot;        /* app-layer state slot, 0 = none */
    uint16_t app_flags;       /* app-layer bits (dns/tls/http seen...) */
    uint8_t name_src;         /* where name_id came from (names module enum) */
    uint8_t attribution;      /* process attribution confidence */
    uint8_t rule_fired;       /* rules engine: non-zero once a rule fired for
                                 this flow (rules/engine.c mark_flow) */
    /* interim records emitted so far, saturating at 255 (non-zero: the
     * pipeline holds the flow's host-total marks, src/pipe_acct.c) */
    uint8_t interim_count;
    /* 2 bytes free before the 192-byte boundary */
};

/* rules_epoch bit 31: every rule made of name-only fields (xm_field.h
 * XM_FF_NAME_ONLY) was false at the flow's last flow-scope evaluation.
 * Set by the rule engine only; cleared through flow_name_changed() by
 * whoever changes the flow's name_id or name_src (the analysis stage). */
#define FLOW_RULES_NAME_FALSE 0x80000000u
#define FLOW_RULES_EPOCH_MASK 0x7fffffffu

static inline void flow_name_changed(struct xm_flow *f)
{
    f->rules_epoch &= ~FLOW_RULES_NAME_FALSE;
}

struct flow_timeouts {        /* seconds */
    uint32_t tcp_new, tcp_established, tcp_closed;
    uint32_t udp, icmp, other;
    uint32_t active;          /* interim record period; 0 = never */
};
/* Defaults: tcp 60/600/10, udp 120, icmp 60, other 120, active 1800. */
void flow_timeouts_default(struct flow_timeouts *t);

struct flow_stats {
    uint64_t created, ended, evicted, interim;
    uint64_t active, peak_active;
    uint64_t frag_pending;    /* non-first fragments that arrived before their
                                 first fragment and were held (cumulative) */
    uint64_t frag_orphan;     /* held fragments whose first never came
                                 (entry aged out, evicted or flushed) */
    uint64_t frag_evicted;    /* fragment-table entries dropped when full */
    uint64_t frag_expired;    /* fragment-table entries aged out (30 s) */
};

struct flow_table;

/* Called for every ended flow and every interim record; the flow is freed
 * right after a non-interim call returns. */
typedef void (*flow_end_fn)(void *ctx, struct xm_flow *f, enum flow_end_reason r);

/* Allocates the whole table.  Returns NULL on allocation failure. */
struct flow_table *flow_table_new(uint32_t max_flows, const struct flow_timeouts *t,
                                  uint64_t seed, flow_end_fn on_end, void *ctx);
void flow_table_free(struct flow_table *ft);

/*
 * Accounts one decoded packet.  is_local(addr) decides which side is home
 * (the callback is consulted only when a flow is created; NULL means no
 * side is local).  Returns the
 * flow and sets *dir (0 to server, 1 to client); returns NULL only for a
 * non-first fragment whose first fragment has not been seen yet (its bytes
 * are held and added when the first fragment arrives).
 */
struct xm_flow *flow_update(struct flow_table *ft, const struct xm_pkt *p,
                            bool (*is_local)(void *, const struct xm_addr *),
                            void *local_ctx, int *dir);

/*
 * Prefetching for a batch of decoded packets about to go to
 * flow_update() (src/feed.c): flow_hash() is the table's hash of p's flow
 * key (0 for a non-first fragment, found by its fragment key instead);
 * flow_prefetch(ft, h, 0) prefetches the hash bucket, flow_prefetch(ft,
 * h, 1) reads that bucket (prefetched a few packets before) and
 * prefetches the first flow slot of its chain.  Neither changes anything.
 */
uint32_t flow_hash(const struct flow_table *ft, const struct xm_pkt *p);
/* flow_update() with p's key hash already computed: *hash is flow_hash(ft,
 * p) (hash NULL: computed here).  Saves the second hash of each packet
 * that was hashed for prefetching. */
struct xm_flow *flow_update_hashed(struct flow_table *ft, const struct xm_pkt *p,
                                   const uint32_t *hash,
                                   bool (*is_local)(void *, const struct xm_addr *),
                                   void *local_ctx, int *dir);
void flow_prefetch(const struct flow_table *ft, uint32_t h, int stage);
/* The first flow of h's chain with hash h (its slot prefetched by
 * flow_prefetch(ft, h, 1) earlier), or NULL: a guess for prefetching the
 * state the flow points at, never a lookup (keys are not compared). */
const struct xm_flow *flow_peek(const struct flow_table *ft, uint32_t h);

/* Ends idle flows and emits interim records due at packet time `now`. */
void flow_expire(struct flow_table *ft, xm_time_t now);
/* Ends every flow (reason SHUTDOWN), oldest first. */
void flow_flush(struct flow_table *ft);

/* The slab slot of a live flow (1..capacity): unique among live flows,
 * stable for the flow's life, reused after its end callback. */
uint32_t flow_slot(const struct flow_table *ft, const struct xm_flow *f);

const struct flow_stats *flow_table_stats(const struct flow_table *ft);
uint32_t flow_table_capacity(const struct flow_table *ft);

/* Whether p, as the first packet of a flow, makes its sender the server:
 * a TCP segment with SYN and ACK (flow_init; the pipeline's prefetch of a
 * new flow's rule keys asks the same). */
static inline bool flow_first_sender_is_server(const struct xm_pkt *p)
{
    return p->proto == 6 && (p->tcp_flags & 0x12) == 0x12;   /* TCP, SYN+ACK */
}

/* Canonical key of a packet (exposed for tests and Community ID). */
void flow_key_from_pkt(const struct xm_pkt *p, struct xm_flow_key *k);
/* The canonical key of a flow (the same bytes as flow_key_from_pkt() of
 * any of its packets). */
void flow_key_of(const struct xm_flow *f, struct xm_flow_key *k);

/* Community ID of a flow (analysis/flow/community_id.c over cid_tuple()
 * of xm_cid.h): client -> server, with the ICMP type/code of the flow's
 * first packet.  Same return contract as cid_tuple(). */
int cid_flow(const struct xm_flow *f, uint16_t seed, char *out, size_t len);

/* EVE names: "new"/"established"/"closed", "timeout"/"tcp_close"/... */
const char *flow_state_name(enum flow_state s);
const char *flow_reason_name(enum flow_end_reason r);

#endif
