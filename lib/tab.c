/*
 * tab.c - the bounded keyed table with LRU eviction (xm_tab.h).
 */
#include "xm_tab.h"

#include <stdlib.h>
#include <sys/mman.h>

static struct xm_tab_hdr *tab_at(const struct xm_tab *t, uint32_t i)
{
    return (struct xm_tab_hdr *)(t->slab + (size_t)i * t->esize);
}

static uint32_t tab_idx(const struct xm_tab *t, const void *e)
{
    return (uint32_t)(((const uint8_t *)e - t->slab) / t->esize);
}

static uint32_t tab_bucket(const struct xm_tab *t, const void *key)
{
    return (uint32_t)xm_hash(key, t->klen, t->seed) & t->mask;
}

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
    uint32_t nb = 16;
    while (nb < cap && nb < (1u << 30))
        nb <<= 1;
    while (spread > 1 && nb < (1u << 30)) {
        nb <<= 1;
        spread >>= 1;
    }
    t->esize = (esize + 7) & ~(size_t)7;
    t->klen = klen;
    t->cap = cap;
    t->mask = nb - 1;
    t->seed = seed;
    t->st.cap = cap;
    t->slab_len = ((size_t)cap + 1) * t->esize;
    t->heads_len = (size_t)nb * sizeof *t->heads;
    t->slab = tab_map(t->slab_len);
    t->heads = tab_map(t->heads_len);
    if (!t->slab || !t->heads) {
        xm_tab_free(t);
        return -1;
    }
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
    if (t->heads)
        munmap(t->heads, t->heads_len);
    t->slab = NULL;
    t->heads = NULL;
}

void *xm_tab_find(const struct xm_tab *t, const void *key)
{
    if (!t->slab)
        return NULL;
    for (uint32_t i = t->heads[tab_bucket(t, key)]; i; i = tab_at(t, i)->hnext)
        if (memcmp(XM_TAB_KEY(tab_at(t, i)), key, t->klen) == 0)
            return tab_at(t, i);
    return NULL;
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

static void hash_unlink(struct xm_tab *t, struct xm_tab_hdr *h, uint32_t i)
{
    uint32_t *pp = &t->heads[tab_bucket(t, XM_TAB_KEY(h))];
    while (*pp && *pp != i)
        pp = &tab_at(t, *pp)->hnext;
    if (*pp)
        *pp = h->hnext;
}

void xm_tab_remove(struct xm_tab *t, void *e)
{
    struct xm_tab_hdr *h = e;
    uint32_t i = tab_idx(t, e);
    hash_unlink(t, h, i);
    lru_unlink(t, h);
    memset(h, 0, t->esize);
    h->hnext = t->free_head;
    t->free_head = i;
    t->st.used--;
}

void *xm_tab_upsert(struct xm_tab *t, const void *key, bool *created)
{
    *created = false;
    if (!t->slab || !t->cap) {
        t->st.failed++;
        return NULL;
    }
    struct xm_tab_hdr *h = xm_tab_find(t, key);
    if (h) {
        xm_tab_touch(t, h);
        return h;
    }
    if (!t->free_head && t->fresh > t->cap) {
        xm_tab_remove(t, tab_at(t, t->lru_old));
        t->st.evicted++;
    }
    uint32_t i;
    if (t->free_head) {
        i = t->free_head;
        t->free_head = tab_at(t, i)->hnext;
    } else {
        i = t->fresh++;
    }
    h = tab_at(t, i);
    memset(h, 0, t->esize);
    memcpy(XM_TAB_KEY(h), key, t->klen);
    h->used = 1;
    uint32_t b = tab_bucket(t, key);
    h->hnext = t->heads[b];
    t->heads[b] = i;
    lru_push_new(t, h, i);
    t->st.used++;
    t->st.inserted++;
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
