/*
 * xm_reasm.h - bounded reassembly of the first bytes of one TCP direction
 * (the client's first flight: a ClientHello or HTTP request head that
 * spans segments).  analysis/app/reasm.c.
 *
 * Ownership: reasm_new() allocates every slot and buffer once; nothing is
 * allocated afterwards.  reasm_data() returns a pointer into the pool
 * that stays valid until the slot is closed or evicted.
 *
 * Bounds: `slots` slots of `bytes` octets each.  Eviction policy: when
 * every slot is in use, reasm_open() takes the least recently used slot
 * (counted in `evicted`); its previous owner sees REASM_STALE on its
 * next call and gives up.
 *
 * Segments are placed by sequence number relative to the base (the
 * sequence number of the first payload byte, 32-bit wrap-around
 * arithmetic).  Bytes already in the contiguous prefix are never
 * rewritten (first copy wins; retransmissions are counted, not applied);
 * segments beyond a gap are kept in up to REASM_MAX_RANGES pending ranges
 * and joined when the gap fills.  Bytes past the slot size are dropped
 * and counted in `overflow_bytes`.
 */
#ifndef XM_REASM_H
#define XM_REASM_H

#include "xm_common.h"

#define REASM_MAX_RANGES 4

enum reasm_result {
    REASM_OK = 0,      /* segment accepted (maybe partly, see counters) */
    REASM_STALE,       /* the slot now belongs to someone else */
    REASM_FULL,        /* the slot's buffer is full; nothing more fits */
};

struct reasm_stats {
    uint64_t opened, closed, evicted, stale;
    uint64_t segments, out_of_order, ranges_dropped;
    uint64_t retrans_bytes, overflow_bytes;
};

struct reasm_pool;

/* Returns NULL on allocation failure or zero sizes. */
struct reasm_pool *reasm_new(uint32_t slots, uint32_t bytes);
void reasm_free(struct reasm_pool *rp);

/* Opens a slot for `owner` (any non-zero tag) whose payload starts at
 * sequence number `base`.  Returns a slot id (>= 1). */
uint32_t reasm_open(struct reasm_pool *rp, uint64_t owner, uint32_t base);

/* Places len payload octets that start at sequence number seq. */
enum reasm_result reasm_add(struct reasm_pool *rp, uint32_t id, uint64_t owner,
                            uint32_t seq, const uint8_t *data, size_t len);

/* Contiguous bytes from the base; NULL (and *len 0) when stale. */
const uint8_t *reasm_data(const struct reasm_pool *rp, uint32_t id, uint64_t owner,
                          size_t *len);

/* Releases the slot if `owner` still holds it. */
void reasm_close(struct reasm_pool *rp, uint32_t id, uint64_t owner);

const struct reasm_stats *reasm_stats(const struct reasm_pool *rp);

#endif
