/*
 * tab.h - fixed-capacity hash table with LRU order, used for every
 * per-key table of the engine.
 *
 * Memory: one slab of (cap + 1) entries of `esize` bytes plus a bucket
 * array, mapped by rtab_init() (anonymous mmap: zeroed, committed only as
 * entries are first used) and never grown.  Each entry starts with
 * struct rtab_hdr followed by the key (klen bytes, hashed as bytes with
 * the table's seed); the rest of the entry belongs to the caller and is
 * zeroed on insertion.
 *
 * Eviction policy: when full, rtab_upsert() reuses the least recently
 * touched entry (counted in st.evicted).  Order never depends on the
 * seed: iteration follows the LRU list.
 */
#ifndef RULES_TAB_H
#define RULES_TAB_H

#include "xm_rules.h"

struct rtab_hdr {
    uint32_t hnext, lprev, lnext, used;   /* indices, 0 = nil */
};

struct rtab {
    uint8_t *slab;
    uint32_t *heads;
    size_t esize, klen, slab_len, heads_len;
    uint32_t cap, mask;
    uint32_t lru_new, lru_old, free_head;
    uint32_t fresh;               /* next never-used index (pages untouched) */
    uint64_t seed;
    struct rules_table_stats st;
};

#define RTAB_KEY(e) ((void *)((uint8_t *)(e) + sizeof(struct rtab_hdr)))

int rtab_init(struct rtab *t, uint32_t cap, size_t esize, size_t klen, uint64_t seed);
void rtab_free(struct rtab *t);
void *rtab_find(const struct rtab *t, const void *key);
/* Finds or inserts (evicting the LRU entry when full); touches it. */
void *rtab_upsert(struct rtab *t, const void *key, bool *created);
void rtab_touch(struct rtab *t, void *e);
void rtab_remove(struct rtab *t, void *e);
/* Iteration from least to most recently touched: start with NULL. */
void *rtab_next(const struct rtab *t, const void *e);
/* Iteration from most to least recently touched: start with NULL. */
void *rtab_prev(const struct rtab *t, const void *e);

#endif
