/*
 * xm_host.h - per-local-host accounting (analysis/flow/host.c).
 *
 * One entry per home-network address, keyed by struct xm_addr.
 * Ownership: the table owns every struct xm_host; all memory is
 * allocated once by host_table_new() (hard cap) and freed by
 * host_table_free().  A pointer returned by host_get()/host_account()
 * stays valid until the next call that may create a host (which can
 * evict the least recently seen one) or host_table_free().
 *
 * Eviction policy: when the table is full and a new host must be
 * created, the host seen least recently (smallest `last`, i.e. the tail
 * of the LRU list) is dropped and its totals are added to the table-wide
 * evicted_* counters, so live totals + evicted_* is always the exact
 * site total.
 *
 * Clock: packet time only (xm_time_t, usec).  Units: bytes are IP-layer
 * bytes (see xm_pkt.h).  The hash seed never influences output: the
 * only iteration is host_foreach_sorted(), ordered by address.
 */
#ifndef XM_HOST_H
#define XM_HOST_H

#include "xm_common.h"
#include "xm_tab.h"

enum { HOST_DIR_OUT = 0, HOST_DIR_IN = 1 };   /* host sent / host received */

struct xm_host {
    struct xm_tab_hdr tab_;         /* table internals (xm_tab.h); addr is the key */
    struct xm_addr addr;
    uint64_t bytes_out, bytes_in;   /* IP-layer bytes sent / received */
    uint64_t pkts_out, pkts_in;
    uint64_t flows_started;         /* flows in which this host is local */
    xm_time_t first, last;          /* packet time first / last seen */

    /* Slots for later modules (host.c only zeroes them). */
    uint64_t overflow;              /* per-host events dropped by bounded
                                       per-host structures of other modules */
    uint32_t tags;                  /* bitmask owned by the rules/intel modules */
    xm_time_t ai_since;             /* e.g. first AI-API contact; 0 = never */
};

struct host_stats {
    uint64_t created, evicted;      /* hosts created / evicted when full */
    uint64_t active, peak_active;
    uint64_t evicted_bytes_out, evicted_bytes_in;
    uint64_t evicted_pkts_out, evicted_pkts_in;
    uint64_t evicted_flows;
};

struct host_table;

#define HOST_DEFAULT_MAX 65536u

/* Allocates a table for at most cap (>= 1) hosts; seed from
 * xm_hash_random_seed().  NULL on allocation failure. */
struct host_table *host_table_new(uint32_t cap, uint64_t seed);
void host_table_free(struct host_table *ht);

/*
 * Finds addr's entry; with create, makes it (evicting the LRU host if
 * full) and stamps first/last = now.  Any successful lookup marks the
 * host most recently seen and advances last to max(last, now).
 * Returns NULL when absent and !create (or addr has no family).
 */
struct xm_host *host_get(struct host_table *ht, const struct xm_addr *addr,
                         xm_time_t now, bool create);

/* Adds bytes/pkts to addr (created if needed) in direction dir
 * (HOST_DIR_*).  Returns the host, or NULL for an unset address. */
struct xm_host *host_account(struct host_table *ht, const struct xm_addr *addr,
                             xm_time_t now, uint64_t bytes, uint64_t pkts, int dir);
/* Both directions of one flow's delta with one lookup: the same as
 * host_account(.., out_bytes, out_pkts, HOST_DIR_OUT) then
 * host_account(.., in_bytes, in_pkts, HOST_DIR_IN). */
struct xm_host *host_account_both(struct host_table *ht, const struct xm_addr *addr,
                                  xm_time_t now, const uint64_t out[2], const uint64_t in[2]);

/* Counts one started flow for addr (created if needed). */
struct xm_host *host_flow_started(struct host_table *ht, const struct xm_addr *addr,
                                  xm_time_t now);

/*
 * Calls fn for every host in ascending address order (IPv4 before
 * IPv6).  Allocates a temporary index (summaries only, never per
 * packet).  Stops early when fn returns non-zero and returns that value;
 * returns -1 on allocation failure, else 0.
 */
int host_foreach_sorted(const struct host_table *ht,
                        int (*fn)(void *ctx, const struct xm_host *h), void *ctx);

const struct host_stats *host_table_stats(const struct host_table *ht);
uint32_t host_table_count(const struct host_table *ht);
uint32_t host_table_capacity(const struct host_table *ht);

#endif
