/*
 * xm_tab.h - the one bounded keyed table (lib/tab.c): fixed capacity,
 * byte keys, chained hashing with a start-up seed, least-recently-used
 * order and eviction, and occupancy/drop counters.
 *
 * Memory: one slab of (cap + 1) entries of `esize` bytes (rounded up to
 * 8) plus a bucket array, mapped by xm_tab_init() (anonymous mmap:
 * zeroed, committed only as entries are first used) and never grown.
 * Index 0 is nil.  Each entry starts with struct xm_tab_hdr followed by
 * the key (klen bytes, hashed and compared as bytes, so callers zero
 * padding); the rest of the entry belongs to the caller and is zeroed on
 * insertion.  The table owns the slab; callers own nothing they get back
 * beyond the next upsert/remove (an upsert may evict any other entry).
 *
 * Eviction policy: when all cap entries are in use, xm_tab_upsert()
 * reuses the least recently touched entry (st.evicted).  A find does not
 * touch; an upsert of an existing key does.  Order never depends on the
 * seed: iteration follows the LRU list.  A table with cap 0 or whose
 * mapping failed inserts nothing (st.failed).  Not thread-safe.
 */
#ifndef XM_TAB_H
#define XM_TAB_H

#include "xm_common.h"

struct xm_tab_hdr {
    uint32_t hnext, lprev, lnext, used;   /* indices, 0 = nil */
};

/* Occupancy and counters of one table. */
struct xm_tab_stats {
    uint32_t cap, used;
    uint64_t inserted, evicted, failed;
};

struct xm_tab {
    uint8_t *slab;
    uint32_t *heads;
    size_t esize, klen, slab_len, heads_len;
    uint32_t cap, mask;
    uint32_t lru_new, lru_old, free_head;
    uint32_t fresh;               /* next never-used index (pages untouched) */
    uint64_t seed;
    struct xm_tab_stats st;
};

#define XM_TAB_KEY(e) ((void *)((uint8_t *)(e) + sizeof(struct xm_tab_hdr)))

/* cap entries of esize bytes (header and key included), klen-byte keys.
 * The bucket count is the power of two >= max(cap, 16) times `spread`
 * (1 if 0).  0, or -1 when mapping failed (the table is then empty). */
int xm_tab_init_spread(struct xm_tab *t, uint32_t cap, size_t esize, size_t klen,
                       uint64_t seed, uint32_t spread);
int xm_tab_init(struct xm_tab *t, uint32_t cap, size_t esize, size_t klen, uint64_t seed);
void xm_tab_free(struct xm_tab *t);
void *xm_tab_find(const struct xm_tab *t, const void *key);
/* Finds or inserts (evicting the LRU entry when full); touches it.
 * NULL (st.failed) only for an unusable table. */
void *xm_tab_upsert(struct xm_tab *t, const void *key, bool *created);
void xm_tab_touch(struct xm_tab *t, void *e);
void xm_tab_remove(struct xm_tab *t, void *e);
/* Slot number of an entry (1..cap; stable while the entry lives; a
 * freed slot is the next one reused) and the entry in a slot (NULL when
 * out of range or not in use). */
uint32_t xm_tab_index(const struct xm_tab *t, const void *e);
void *xm_tab_at(const struct xm_tab *t, uint32_t i);
/* The entry the next insertion into a full table would evict, or NULL
 * when the table is not full. */
void *xm_tab_victim(const struct xm_tab *t);
/* Iteration from least to most recently touched: start with NULL. */
void *xm_tab_next(const struct xm_tab *t, const void *e);
/* Iteration from most to least recently touched: start with NULL. */
void *xm_tab_prev(const struct xm_tab *t, const void *e);

#endif
