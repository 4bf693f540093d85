/*
 * xm_tab.h - the one bounded keyed table (lib/tab.c): a hard capacity
 * from the caller (flags), byte keys, open addressing with precomputed
 * 32-bit hash tags (seeded), least-recently-used order and eviction,
 * and occupancy/drop counters.
 *
 * Memory, allocated only as keys arrive: one slab of (cap + 1) entries
 * of `esize` bytes (rounded up to 8), reserved by xm_tab_init() as an
 * anonymous mapping and committed page by page as entries are first
 * used (entries are handed out in index order), so a table with a cap
 * of 10^7 that holds 1,000 keys costs 1,000 entries; plus a probe index
 * of 8 bytes per slot ((tag, entry index) pairs, linear probing, load
 * <= 1/2), allocated at 16 slots and doubled (rehashed from the stored
 * tags, no key is hashed again) as keys arrive, up to 2 * cap slots;
 * plus 4 bytes per slot (a second lazily committed mapping) holding each
 * slot's generation, so a cached reference is checked without reading
 * its entry (see Slot caching).
 * Index 0 is nil.  Each entry starts with struct xm_tab_hdr followed by
 * the key (klen bytes, hashed and compared as bytes, so callers zero
 * padding); the rest of the entry belongs to the caller and is zeroed on
 * insertion.  A lookup compares the 32-bit tag before the key bytes: a
 * full-key memcmp runs only on a tag match.  The table owns the slab and
 * the index; callers own nothing they get back beyond the next
 * upsert/remove (an upsert may evict any other entry).
 *
 * Slot caching: an entry's slot (xm_tab_index) and generation
 * (xm_tab_gen, a table-wide insertion counter, never 0 for a live
 * entry) let a caller keep a reference across calls and check it with
 * xm_tab_at_gen(): a slot that was evicted or reused fails the check.
 * The check reads the dense generation array, not the entry: in a table
 * that evicts on every insertion, a reference that went stale costs a
 * 4-byte read, not a cache line of a large slab.
 *
 * Eviction policy: when all cap entries are in use, xm_tab_upsert()
 * reuses the least recently touched entry (st.evicted; xm_tab_victim()
 * shows it beforehand so a caller can fold its totals).  A find does not
 * touch; an upsert of an existing key does.  Order never depends on the
 * seed: iteration follows the LRU list.  A table with cap 0 or whose
 * mapping failed inserts nothing (st.failed); an index that cannot grow
 * (allocation failure) stays at its size and still works (longer
 * probes; st.failed counts the refusals).  Not thread-safe.
 */
#ifndef XM_TAB_H
#define XM_TAB_H

#include "xm_common.h"

struct xm_tab_hdr {
    uint32_t hnext;           /* live: the 32-bit hash tag; free: next free */
    uint32_t lprev, lnext;    /* LRU list, indices, 0 = nil */
    uint32_t used;            /* generation (xm_tab_gen); 0 = free */
};

/* Occupancy and counters of one table. */
struct xm_tab_stats {
    uint32_t cap, used;
    uint64_t inserted, evicted, failed;
};

/* One bounded table as /metrics and the summary report it: name is the
 * Prometheus label value (static storage); st.failed counts inserts
 * refused at the cap (tables that refuse instead of evicting) or for
 * want of memory. */
struct xm_tab_row {
    const char *name;
    struct xm_tab_stats st;
};

struct xm_tab {
    uint8_t *slab;
    uint64_t *ix;                 /* probe index: tag << 32 | entry, 0 = empty */
    uint32_t *gens;               /* generation of each slot (cap + 1), 0 = free */
    size_t esize, klen, slab_len;
    uint32_t cap, mask;           /* mask = index slots - 1 */
    uint32_t ix_max;              /* most index slots (power of two) */
    uint32_t gen;                 /* last generation handed out */
    uint32_t lru_new, lru_old, free_head;
    uint32_t fresh;               /* next never-used index (pages untouched) */
    uint64_t seed;
    struct xm_tab_stats st;
};

#define XM_TAB_KEY(e) ((void *)((uint8_t *)(e) + sizeof(struct xm_tab_hdr)))

/* cap entries of esize bytes (header and key included), klen-byte keys.
 * The index grows up to the power of two >= 2 * max(cap, 8) times
 * `spread` (1 if 0).  0, or -1 when mapping failed (the table is then
 * empty). */
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
/* The address of slot i without reading it (for prefetching), or NULL
 * when i was never handed out; the entry may be free or reused. */
const void *xm_tab_addr(const struct xm_tab *t, uint32_t i);
/* Prefetch hints; they change nothing and never fail.
 * xm_tab_prefetch_key: the probe-index slot where a lookup of key starts
 * (the line an upsert of a new key misses on).
 * xm_tab_prefetch_victim: when the table is full, what evicting the
 * entry `ahead` places after the least recently used one writes (that
 * entry, its index slot, and the header of the entry after it, which a
 * later call reads: a caller that evicts about once per call and
 * prefetches n insertions ahead passes n).  Reads the headers of the
 * oldest ahead + 1 entries. */
void xm_tab_prefetch_key(const struct xm_tab *t, const void *key);
/* xm_tab_prefetch_ref: what xm_tab_at_gen(t, i, ...) reads (slot i's
 * generation; not the entry). */
void xm_tab_prefetch_ref(const struct xm_tab *t, uint32_t i);
void xm_tab_prefetch_victim(const struct xm_tab *t, unsigned ahead);
/* True when the table holds cap entries (an insertion evicts). */
bool xm_tab_full(const struct xm_tab *t);
/* A cached reference to an entry: slot and generation (0 = none). */
struct xm_tab_ref { uint32_t slot, gen; };

/* Generation of a live entry (never 0), and the entry in slot i only if
 * it still has generation gen (NULL otherwise): a cached (slot,
 * generation) pair is checked without hashing. */
uint32_t xm_tab_gen(const void *e);
void *xm_tab_at_gen(const struct xm_tab *t, uint32_t i, uint32_t gen);
/* The entry the next insertion into a full table would evict, or NULL
 * when the table is not full. */
void *xm_tab_victim(const struct xm_tab *t);
/* Iteration from least to most recently touched: start with NULL. */
void *xm_tab_next(const struct xm_tab *t, const void *e);
/* Iteration from most to least recently touched: start with NULL. */
void *xm_tab_prev(const struct xm_tab *t, const void *e);

#endif
