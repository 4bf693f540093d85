/*
 * xm_site.h - site-wide "names and intelligence" state shared by every
 * sensor of a site through Redis (--site-redis URL; analysis/intel/site.c
 * and site_url.c).
 *
 * What is shared: the first-seen time of every (local host, registrable
 * domain) and (local host, destination address) pair, from which each
 * sensor derives the site first-seen (min over hosts) and the prevalence
 * (distinct local hosts); and AI-host evidence pieces.  The local tables
 * (dstseen, the rule engine's seen/dsts, aihost) ARE the cache: a sensor
 * answers every rule field from them; this module only moves deltas.
 *
 * Flow of data (one Redis round trip per tick, never per packet):
 *   - the owners of the local tables call site_note() when a pair is new
 *     (or its first-seen moved earlier) or an AI piece is added/refreshed;
 *     the delta is copied into a fixed buffer (no allocation, no I/O);
 *   - site_tick() (the pipeline's once-per-second housekeeping: packet
 *     time in replay, wall time live) pushes the buffered deltas with one
 *     EVAL: they are merged into Redis hashes with a TTL (first-seen =
 *     min, pair fields = union, AI pieces = first min / last max / count
 *     max) and appended as one entry to this sensor's log stream; then it
 *     reads the other sensors' log streams from its cursors and hands
 *     every remote delta to the apply callback of its kind.
 *
 * Redis schema (P = prefix, default "exfilmon:site"):
 *   P:d:DOMAIN   hash  first -> usec; h:HOST -> usec (pair first-seen)
 *   P:a:ADDR     hash  same for destination addresses
 *   P:ai:HOST    hash  "KIND\tDETAIL" -> "FIRST LAST COUNT"
 *                (each refreshed to the TTL on every write)
 *   P:log:NAME   stream of this sensor's batches: h = horizon (usec),
 *                d = deltas, one per line (MAXLEN ~ maxlen)
 *   P:clock      hash  NAME -> clock (usec; INT64_MAX once finished)
 *   P:start      hash  first -> the earliest first packet time of a sensor
 * Prevalence is the number of h:HOST fields of a destination hash (HLEN
 * minus one); it is neither a set nor a HyperLogLog, since the pair
 * first-seen times are needed anyway and HLEN of them is exact.
 *
 * Consistency: a batch carries its horizon H (every delta in it comes
 * from packets before H).  At a tick with clock B a sensor applies only
 * batches with H <= B (later ones wait for a later tick), so what it
 * learns does not depend on how fast the other sensors run.  With
 * ?sync=N (replay only) the tick also waits until N sensors have
 * published a clock >= B (a barrier, at most ?wait=SEC seconds), which
 * makes a replay of N sensors deterministic: at tick B every sensor knows
 * everything every sensor observed before B.  Updates of the current
 * second are not seen until the next tick (docs/operations.md, Fleet).
 *
 * Outage: when Redis is unreachable the sensor keeps working on its
 * local tables, keeps deltas in the buffer (dropped and counted beyond
 * SITE_MAX_DELTAS), reconnects with a backoff (0.5 s doubling to 30 s of
 * wall time), logs one line when an outage starts and one when it ends,
 * and reports it in site_health() and site_write_metrics().
 *
 * Ownership: site_new() allocates everything once; site_free() releases
 * it.  The sensor name is copied.  Apply callbacks' ctx are borrowed.
 */
#ifndef XM_SITE_H
#define XM_SITE_H

#include <stdio.h>

#include "xm_common.h"

#define SITE_MAX_DELTAS 65536u       /* buffered deltas between two ticks */
#define SITE_ARENA (4u << 20)        /* bytes of delta strings */
#define SITE_KEY_MAX 253             /* domain or AI detail length */

/* DOMAIN, DEST: a pair's first-seen; AI: an evidence piece; START: a
 * sensor's first packet time (the site's monitoring start is the min). */
enum site_kind { SITE_K_DOMAIN = 0, SITE_K_DEST, SITE_K_AI, SITE_K_START, SITE_K_MAX };

/* One delta.  key: the lower-case registrable domain (DOMAIN), unused
 * (DEST: dst), the evidence detail (AI).  Times in usec of packet time. */
struct site_delta {
    uint8_t kind;                   /* enum site_kind */
    uint8_t ai_kind;                /* enum aihost_kind (AI) */
    struct xm_addr host;            /* the local host */
    struct xm_addr dst;             /* DEST only */
    const char *key;                /* NUL-terminated; borrowed for the call */
    xm_time_t first, last;          /* last and count: AI only */
    uint32_t count;
};

typedef void (*site_apply_fn)(void *ctx, const struct site_delta *d);

struct site_config {
    const char *url;                /* redis://... (site_url_check) */
    const char *sensor;             /* unique per sensor: --sensor */
    bool live;                      /* live: no barrier, no horizon filter */
};

struct site_stats {
    uint64_t round_trips, errors, outages;
    uint64_t pushed, applied, dropped, barrier_timeouts;
    bool up;
};

struct site;

/* Syntax check of a --site-redis URL:
 * redis://[user[:pass]@]host[:port][/db][?prefix=P&ttl=SEC&sync=N&wait=SEC&maxlen=N].
 * 0, or -1 with err filled. */
int site_url_check(const char *url, char *err, size_t errlen);

/* NULL with err filled on a bad URL or no memory.  Does not connect. */
struct site *site_new(const struct site_config *cfg, char *err, size_t errlen);
void site_free(struct site *s);
void site_set_apply(struct site *s, enum site_kind k, site_apply_fn fn, void *ctx);

/* Buffers one local delta (copied).  No I/O; drops and counts when full.
 * NULL s is a no-op, so owners call it unconditionally. */
void site_note(struct site *s, const struct site_delta *d);

/* The periodic exchange.  clock: the tick time (packets before it have
 * been processed); horizon: every note since the last tick came from
 * packets before it.  At most one push and one pull round trip (plus
 * barrier polls with ?sync). */
void site_tick(struct site *s, xm_time_t clock, xm_time_t horizon);
/* End of input: pushes what is left and marks this sensor finished, so
 * the other sensors' barriers do not wait for it. */
void site_finish(struct site *s, xm_time_t horizon);

/* The reply handling of site_tick without the network: parses buf (n
 * bytes, one RESP reply as Redis sends it for the exchange's EVAL:
 * {HGETALL clocks, XRANGE of peer 1, ...}, RESP2) and applies it to s's
 * peers and callbacks as a tick at clock would.  0, or -1 when buf is
 * not one complete array reply (nothing applied).  For fuzz/fuzz_site.c
 * and the tests. */
int site_apply_resp(struct site *s, const void *buf, size_t n, xm_time_t clock);

const struct site_stats *site_get_stats(const struct site *s);
/* 0 when Redis is reachable, else 1 and a reason in why. */
size_t site_health(const struct site *s, char *why, size_t len);
/* Prometheus text (exfilmon_site_redis_*). */
void site_write_metrics(const struct site *s, FILE *f);

#endif
