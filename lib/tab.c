/*
 * tab.c - the bounded keyed table with LRU eviction (xm_tab.h): entries
 * in a lazily committed slab, found through an open-addressing probe
 * index of (32-bit hash tag, entry index) pairs with linear probing and
 * backward-shift deletion.
 */
#include "xm_tab.h"

#include <stdlib.h>
#include <sys/mman.h>

#define TAB_IX_MIN 16u

static struct xm_tab_hdr *tab_at(const struct xm_tab *t, uint32_t i)
{
    return (struct xm_tab_hdr *)(t->slab + (size_t)i * t->esize);
}

static uint32_t tab_idx(const struct xm_tab *t, const void *e)
{
    return (uint32_t)(((const uint8_t *)e - t->slab) / t->esize);
}

/* The 32-bit tag of a key: the low half of its seeded hash. */
static uint32_t tab_tag(const struct xm_tab *t, const void *key)
{
    return (uint32_t)xm_hash(key, t->klen, t->seed);
}

static uint64_t ix_pack(uint32_t tag, uint32_t i)
{
    return (uint64_t)tag << 32 | i;
}

static uint32_t ix_tag(uint64_t v) { return (uint32_t)(v >> 32); }
static uint32_t ix_ent(uint64_t v) { return (uint32_t)v; }

/* Zeroed, lazily committed memory: pages of a big table that are never
 * used cost nothing. */
static void *tab_map(size_t len)
{
    void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int xm_tab_init_spread(struct xm_tab *t, uint32_t cap, size_t esize, size_t klen,
                       uint64_t seed, uint32_t spread)
{
    memset(t, 0, sizeof *t);
    uint64_t want = 2 * (uint64_t)(cap > 8 ? cap : 8) * (spread > 1 ? spread : 1);
    uint32_t nmax = TAB_IX_MIN;
    while (nmax < want && nmax < (1u << 31))
        nmax <<= 1;
    t->esize = (esize + 7) & ~(size_t)7;
    t->klen = klen;
    t->cap = cap;
    t->ix_max = nmax;
    t->seed = seed;
    t->st.cap = cap;
    t->slab_len = ((size_t)cap + 1) * t->esize;
    t->slab = tab_map(t->slab_len);
    t->gens = tab_map(((size_t)cap + 1) * sizeof *t->gens);
    t->ix = calloc(TAB_IX_MIN, sizeof *t->ix);
    if (!t->slab || !t->ix || !t->gens) {
        xm_tab_free(t);
        return -1;
    }
    t->mask = TAB_IX_MIN - 1;
    t->fresh = 1;
    return 0;
}

int xm_tab_init(struct xm_tab *t, uint32_t cap, size_t esize, size_t klen, uint64_t seed)
{
    return xm_tab_init_spread(t, cap, esize, klen, seed, 1);
}

void xm_tab_free(struct xm_tab *t)
{
    if (t->slab)
        munmap(t->slab, t->slab_len);
    if (t->gens)
        munmap(t->gens, ((size_t)t->cap + 1) * sizeof *t->gens);
    t->gens = NULL;
    free(t->ix);
    t->slab = NULL;
    t->ix = NULL;
}

/* Probe position of key (tag) in the index, or of the empty slot that
 * ends its probe sequence.  The index is never full (load <= 1/2, or a
 * refused growth leaves at least one slot free: see ix_grow). */
static uint32_t ix_probe(const struct xm_tab *t, const void *key, uint32_t tag)
{
    for (uint32_t p = tag & t->mask;; p = (p + 1) & t->mask) {
        uint64_t v = t->ix[p];
        if (!v)
            return p;
        if (ix_tag(v) == tag &&
            memcmp(XM_TAB_KEY(tab_at(t, ix_ent(v))), key, t->klen) == 0)
            return p;
    }
}

void *xm_tab_find(const struct xm_tab *t, const void *key)
{
    if (!t->slab)
        return NULL;
    uint64_t v = t->ix[ix_probe(t, key, tab_tag(t, key))];
    return v ? tab_at(t, ix_ent(v)) : NULL;
}

/* Doubles the index (up to ix_max), re-placing entries by their stored
 * tags.  On allocation failure the index keeps its size. */
static void ix_grow(struct xm_tab *t)
{
    uint32_t n = (t->mask + 1) * 2;
    uint64_t *nix = n <= t->ix_max ? calloc(n, sizeof *nix) : NULL;
    if (!nix) {
        t->st.failed += n <= t->ix_max;
        return;
    }
    for (uint32_t p = 0; p <= t->mask; p++) {
        uint64_t v = t->ix[p];
        uint32_t q = ix_tag(v) & (n - 1);
        if (!v)
            continue;
        while (nix[q])
            q = (q + 1) & (n - 1);
        nix[q] = v;
    }
    free(t->ix);
    t->ix = nix;
    t->mask = n - 1;
}

/* Removes the index slot of entry i (tag), shifting later members of the
 * probe run back so no search stops early. */
static void ix_remove(struct xm_tab *t, uint32_t tag, uint32_t i)
{
    uint32_t p = tag & t->mask;
    while (t->ix[p] && ix_ent(t->ix[p]) != i)
        p = (p + 1) & t->mask;
    if (!t->ix[p])
        return;
    for (uint32_t q = (p + 1) & t->mask; t->ix[q]; q = (q + 1) & t->mask) {
        uint32_t home = ix_tag(t->ix[q]) & t->mask;
        if (((q - home) & t->mask) >= ((q - p) & t->mask)) {
            t->ix[p] = t->ix[q];
            p = q;
        }
    }
    t->ix[p] = 0;
}

static void lru_unlink(struct xm_tab *t, struct xm_tab_hdr *h)
{
    if (h->lprev)
        tab_at(t, h->lprev)->lnext = h->lnext;
    else
        t->lru_old = h->lnext;
    if (h->lnext)
        tab_at(t, h->lnext)->lprev = h->lprev;
    else
        t->lru_new = h->lprev;
    h->lprev = h->lnext = 0;
}

static void lru_push_new(struct xm_tab *t, struct xm_tab_hdr *h, uint32_t i)
{
    h->lprev = t->lru_new;
    h->lnext = 0;
    if (t->lru_new)
        tab_at(t, t->lru_new)->lnext = i;
    else
        t->lru_old = i;
    t->lru_new = i;
}

void xm_tab_touch(struct xm_tab *t, void *e)
{
    uint32_t i = tab_idx(t, e);
    if (t->lru_new == i)
        return;
    lru_unlink(t, e);
    lru_push_new(t, e, i);
}

/* A removed entry keeps its bytes until it is handed out again (only
 * the header is cleared: free, next free): tab_insert zeroes a reused
 * entry once, when it is about to be written anyway. */
void xm_tab_remove(struct xm_tab *t, void *e)
{
    struct xm_tab_hdr *h = e;
    uint32_t i = tab_idx(t, e);
    ix_remove(t, h->hnext, i);
    lru_unlink(t, h);
    h->used = 0;
    t->gens[i] = 0;
    h->hnext = t->free_head;
    t->free_head = i;
    t->st.used--;
}

/* A free entry index: the free list first, then never-used entries, else
 * the least recently touched entry is evicted.  *zero: the entry was
 * used before (a never-used one is still zero from the mapping). */
static uint32_t tab_take(struct xm_tab *t, bool *zero)
{
    if (!t->free_head && t->fresh > t->cap) {
        xm_tab_remove(t, tab_at(t, t->lru_old));
        t->st.evicted++;
    }
    *zero = t->free_head != 0;
    if (!t->free_head)
        return t->fresh++;
    uint32_t i = t->free_head;
    t->free_head = tab_at(t, i)->hnext;
    return i;
}

/* A never-used entry is still zero from the mapping, so it is not
 * zeroed again; but a page of it first read (a ring's head) and then
 * written would fault twice (zero page, then a copy), so each page the
 * entry reaches beyond its header's is written once here.  TAB_PAGE may
 * be smaller than the real page size: that costs only extra stores. */
#define TAB_PAGE 4096u

static void tab_touch_pages(uint8_t *p, size_t n)
{
    uintptr_t a = (uintptr_t)p, end = a + n;
    for (uintptr_t q = (a | (TAB_PAGE - 1)) + 1; q < end; q += TAB_PAGE)
        *(uint8_t *)q = 0;
}

/* Inserts key (tag) as a new entry, evicting the LRU entry when all cap
 * entries are in use.  NULL only when the index could not grow and
 * would otherwise fill (one slot always stays empty). */
static struct xm_tab_hdr *tab_insert(struct xm_tab *t, const void *key, uint32_t tag)
{
    bool evict = !t->free_head && t->fresh > t->cap;
    if (!evict && (uint64_t)(t->st.used + 1) * 2 > (uint64_t)t->mask + 1)
        ix_grow(t);
    if (!evict && t->st.used + 1 > t->mask)
        return NULL;
    bool zero;
    uint32_t i = tab_take(t, &zero);
    struct xm_tab_hdr *h = tab_at(t, i);
    if (zero)
        memset(h, 0, t->esize);
    else
        tab_touch_pages((uint8_t *)h, t->esize);
    memcpy(XM_TAB_KEY(h), key, t->klen);
    h->hnext = tag;
    h->used = ++t->gen ? t->gen : ++t->gen;
    t->gens[i] = h->used;
    t->ix[ix_probe(t, key, tag)] = ix_pack(tag, i);
    lru_push_new(t, h, i);
    t->st.used++;
    t->st.inserted++;
    return h;
}

void *xm_tab_upsert(struct xm_tab *t, const void *key, bool *created)
{
    *created = false;
    if (!t->slab || !t->cap) {
        t->st.failed++;
        return NULL;
    }
    uint32_t tag = tab_tag(t, key);
    uint64_t v = t->ix[ix_probe(t, key, tag)];
    if (v) {
        struct xm_tab_hdr *h = tab_at(t, ix_ent(v));
        xm_tab_touch(t, h);
        return h;
    }
    struct xm_tab_hdr *h = tab_insert(t, key, tag);
    if (!h) {
        t->st.failed++;
        return NULL;
    }
    *created = true;
    return h;
}

uint32_t xm_tab_index(const struct xm_tab *t, const void *e)
{
    return tab_idx(t, e);
}

void *xm_tab_at(const struct xm_tab *t, uint32_t i)
{
    if (!t->slab || i == 0 || i > t->cap || !tab_at(t, i)->used)
        return NULL;
    return tab_at(t, i);
}

const void *xm_tab_addr(const struct xm_tab *t, uint32_t i)
{
    if (!t->slab || i == 0 || i >= t->fresh)
        return NULL;
    return tab_at(t, i);
}

uint32_t xm_tab_gen(const void *e)
{
    return ((const struct xm_tab_hdr *)e)->used;
}

void *xm_tab_at_gen(const struct xm_tab *t, uint32_t i, uint32_t gen)
{
    if (!t->slab || i == 0 || i >= t->fresh || t->gens[i] != gen || !gen)
        return NULL;
    return tab_at(t, i);
}

void *xm_tab_victim(const struct xm_tab *t)
{
    if (!t->slab || t->free_head || t->fresh <= t->cap || !t->lru_old)
        return NULL;
    return tab_at(t, t->lru_old);
}

void *xm_tab_next(const struct xm_tab *t, const void *e)
{
    if (!t->slab)
        return NULL;
    uint32_t i = e ? ((const struct xm_tab_hdr *)e)->lnext : t->lru_old;
    return i ? tab_at(t, i) : NULL;
}

void *xm_tab_prev(const struct xm_tab *t, const void *e)
{
    if (!t->slab)
        return NULL;
    uint32_t i = e ? ((const struct xm_tab_hdr *)e)->lprev : t->lru_new;
    return i ? tab_at(t, i) : NULL;
}

void xm_tab_prefetch_ref(const struct xm_tab *t, uint32_t i)
{
    if (t->slab && i && i < t->fresh)
        __builtin_prefetch(&t->gens[i]);
}

void xm_tab_prefetch_key(const struct xm_tab *t, const void *key)
{
    if (t->slab)
        __builtin_prefetch(&t->ix[tab_tag(t, key) & t->mask]);
}

bool xm_tab_full(const struct xm_tab *t)
{
    return t->slab && !t->free_head && t->fresh > t->cap && t->lru_old;
}

void xm_tab_prefetch_victim(const struct xm_tab *t, unsigned ahead)
{
    if (!xm_tab_full(t))
        return;
    const struct xm_tab_hdr *h = tab_at(t, t->lru_old);
    for (unsigned n = 0; n < ahead && h->lnext; n++)
        h = tab_at(t, h->lnext);
    __builtin_prefetch(&t->ix[h->hnext & t->mask], 1);
    if (h->lnext)
        __builtin_prefetch(tab_at(t, h->lnext), 1);
    for (size_t o = 0; o < t->esize; o += 64)
        __builtin_prefetch((const uint8_t *)h + o, 1);
}
