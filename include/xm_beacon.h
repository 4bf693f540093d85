/*
 * xm_beacon.h - a first beaconing heuristic (analysis/intel/beacon.c): per
 * (local host, remote name-or-address), the start times and sizes of the
 * last BEACON_RING connections, and the regularity of their spacing.
 * Heuristic, thresholds and limits: docs/rules.md, "Beaconing".
 *
 * Ownership: beacon_new() allocates the table once (hard cap
 * max_pairs); beacon_free() releases it.  Nothing else is allocated.  The
 * app ctx given to beacon_set_app() is borrowed and must outlive
 * the registry.
 *
 * Updated only by beacon_on_flow_end() (non-interim flow end, called
 * after app_on_flow_end so the flow's final name is known): one ring slot
 * per ended flow whose LOCAL side is the client (outbound connections).
 * The remote key is the flow's best name (lower case) when it has one,
 * else its address; the key's digest is seeded at start (collisions
 * ~n^2/2^65, ignored).  Times are packet time (microseconds).
 *
 * Two tables, so that one-off pairs cannot push out the history of pairs
 * that repeat (a gateway ends thousands of connections to never-again
 * destinations between two polls of a beacon): a pair's first ended
 * connection goes to the probation table (start, bytes, flow id; cap
 * BEACON_ONCE_PER_PAIR x max_pairs, LRU, counter `once_evicted`); its
 * second moves it, with both connections, into the ring table (cap
 * max_pairs, `promoted`).  Statistics read either table the same way,
 * so results equal one table's while nothing is evicted.
 * Eviction: LRU on updates in each table; the least recently updated
 * pair is dropped (counters `evicted`, `once_evicted`) and restarts from
 * zero if it comes back.  Within a pair the ring keeps the BEACON_RING
 * most recently ENDED connections.
 *
 * Statistics (beacon_stats_of): the connections of the ring plus the
 * evaluated flow itself when it is live (not yet in the ring), sorted by
 * start time; intervals between consecutive starts; interval = their
 * median; jitter = MAD / median (MAD = median absolute deviation from the
 * median; 0 when the median is 0); bytes_mean = mean IP bytes (both
 * directions) of the ENDED connections (of the live flow so far when none
 * ended).  count = number of connections used.
 *
 * Rule fields (FLOW scope, not available without a local client side):
 *   beacon.count       num       connections (at most BEACON_RING + 1)
 *   beacon.interval    duration  median interval (needs count >= 3)
 *   beacon.jitter      num       MAD / median interval (count >= 3)
 *   beacon.bytes_mean  bytes     mean bytes per connection
 */
#ifndef XM_BEACON_H
#define XM_BEACON_H

#include "xm_app.h"
#include "xm_common.h"
#include "xm_flow.h"
#include "xm_field.h"

#define BEACON_RING 16
#define BEACON_ONCE_PER_PAIR 8u  /* probation entries (72 B) per ring entry (424 B) */

struct beacon_stats {
    uint32_t cap, used;                 /* ring table: pairs with >= 2 */
    uint64_t inserted, evicted, updates;
    uint32_t once_cap, once_used;       /* probation: pairs with one */
    uint64_t once_evicted, promoted;
};

struct beacon_view {
    uint32_t count;          /* connections considered */
    double interval_s;       /* median interval, seconds (count >= 3) */
    double jitter;           /* MAD / median (count >= 3) */
    double bytes_mean;       /* see above */
};

struct beacon;

/* max_pairs (ring table) 0 = 16384; probation BEACON_ONCE_PER_PAIR times
 * that.  NULL on allocation failure. */
struct beacon *beacon_new(uint32_t max_pairs, uint64_t seed);
void beacon_free(struct beacon *b);

/* Adds one ended connection of (local, remote key) directly (tests and
 * the flow hook).  key/len: the remote name, or the address bytes. */
void beacon_add(struct beacon *b, const struct xm_addr *local, const void *key, size_t len,
                xm_time_t start, uint64_t bytes, uint64_t flow_id);
/* Statistics of (local, key); `live` (may be NULL) is a live connection
 * included when its flow_id is not in the ring.  false when nothing is
 * known (count 0). */
bool beacon_stats_of(const struct beacon *b, const struct xm_addr *local, const void *key,
                     size_t len, const struct xm_flow *live, struct beacon_view *v);

/* Forgets every pair (history starts again; counters other than used
 * are kept).  For the stage when no loaded rule reads beacon.* fields. */
void beacon_clear(struct beacon *b);
/* Pipeline hook at flow end (interim records must not be passed). */
void beacon_on_flow_end(struct beacon *b, const struct app_ctx *app, const struct xm_flow *f);

/* beacon.count, .interval, .jitter, .bytes_mean (include/xm_field.h);
 * owner a const struct beacon *, answering once beacon_set_app() ran. */
extern const struct xm_field_list beacon_fields;
void beacon_set_app(struct beacon *b, const struct app_ctx *app);
const struct beacon_stats *beacon_get_stats(const struct beacon *b);

#endif
