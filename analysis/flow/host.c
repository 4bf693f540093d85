/*
 * host.c - per-local-host accounting table (xm_host.h).
 *
 * Preallocated slab of cap hosts ([0] = nil), power-of-two buckets of
 * slab indices chained through hnext_ (seeded hash of the address), and
 * one LRU list by last touch: head = most recent, tail = eviction
 * victim.  Slots come from a high-water mark, then from a free list.
 */
#include "xm_host.h"

#include <stdlib.h>

struct host_table {
    struct xm_host *slab;
    uint32_t *buckets;
    uint32_t mask, cap, hwm, count, free_head;
    uint32_t head, tail;
    uint64_t seed;
    struct host_stats st;
};

struct host_table *host_table_new(uint32_t cap, uint64_t seed)
{
    if (cap == 0 || cap == UINT32_MAX)
        return NULL;
    struct host_table *ht = calloc(1, sizeof *ht);
    if (!ht)
        return NULL;
    uint32_t nb = 1;
    while (nb < cap && nb < (UINT32_C(1) << 31))
        nb <<= 1;
    ht->slab = calloc((size_t)cap + 1, sizeof *ht->slab);
    ht->buckets = calloc(nb, sizeof *ht->buckets);
    if (!ht->slab || !ht->buckets) {
        host_table_free(ht);
        return NULL;
    }
    ht->mask = nb - 1;
    ht->cap = cap;
    ht->seed = seed;
    return ht;
}

void host_table_free(struct host_table *ht)
{
    if (!ht)
        return;
    free(ht->slab);
    free(ht->buckets);
    free(ht);
}

const struct host_stats *host_table_stats(const struct host_table *ht) { return &ht->st; }
uint32_t host_table_count(const struct host_table *ht) { return ht->count; }
uint32_t host_table_capacity(const struct host_table *ht) { return ht->cap; }

static uint32_t host_idx(const struct host_table *ht, const struct xm_host *h)
{
    return (uint32_t)(h - ht->slab);
}

static uint32_t bucket_of(const struct host_table *ht, const struct xm_addr *a)
{
    return (uint32_t)xm_hash(a, sizeof *a, ht->seed) & ht->mask;
}

static void lru_unlink(struct host_table *ht, struct xm_host *h)
{
    if (h->lprev_)
        ht->slab[h->lprev_].lnext_ = h->lnext_;
    else
        ht->head = h->lnext_;
    if (h->lnext_)
        ht->slab[h->lnext_].lprev_ = h->lprev_;
    else
        ht->tail = h->lprev_;
    h->lprev_ = h->lnext_ = 0;
}

static void lru_push_head(struct host_table *ht, struct xm_host *h)
{
    uint32_t i = host_idx(ht, h);
    h->lprev_ = 0;
    h->lnext_ = ht->head;
    if (ht->head)
        ht->slab[ht->head].lprev_ = i;
    else
        ht->tail = i;
    ht->head = i;
}

static struct xm_host *host_find(struct host_table *ht, const struct xm_addr *a)
{
    uint32_t i = ht->buckets[bucket_of(ht, a)];
    while (i && memcmp(&ht->slab[i].addr, a, sizeof *a) != 0)
        i = ht->slab[i].hnext_;
    return i ? &ht->slab[i] : NULL;
}

/* Drops the least recently seen host, folding its totals into evicted_*. */
static void host_evict(struct host_table *ht)
{
    struct xm_host *h = &ht->slab[ht->tail];
    uint32_t i = ht->tail;
    uint32_t *pp = &ht->buckets[bucket_of(ht, &h->addr)];
    while (*pp && *pp != i)
        pp = &ht->slab[*pp].hnext_;
    if (*pp)
        *pp = h->hnext_;
    lru_unlink(ht, h);
    ht->st.evicted++;
    ht->st.evicted_bytes_out += h->bytes_out;
    ht->st.evicted_bytes_in += h->bytes_in;
    ht->st.evicted_pkts_out += h->pkts_out;
    ht->st.evicted_pkts_in += h->pkts_in;
    ht->st.evicted_flows += h->flows_started;
    ht->st.active--;
    ht->count--;
    memset(h, 0, sizeof *h);
    h->hnext_ = ht->free_head;
    ht->free_head = i;
}

static struct xm_host *host_create(struct host_table *ht, const struct xm_addr *a,
                                   xm_time_t now)
{
    if (!ht->free_head && ht->hwm == ht->cap)
        host_evict(ht);
    uint32_t i = ht->free_head;
    if (i)
        ht->free_head = ht->slab[i].hnext_;
    else
        i = ++ht->hwm;
    struct xm_host *h = &ht->slab[i];
    memset(h, 0, sizeof *h);
    h->addr = *a;
    h->first = h->last = now;
    uint32_t b = bucket_of(ht, a);
    h->hnext_ = ht->buckets[b];
    ht->buckets[b] = i;
    lru_push_head(ht, h);
    ht->count++;
    ht->st.created++;
    if (++ht->st.active > ht->st.peak_active)
        ht->st.peak_active = ht->st.active;
    return h;
}

struct xm_host *host_get(struct host_table *ht, const struct xm_addr *addr,
                         xm_time_t now, bool create)
{
    if (!addr || (addr->family != 4 && addr->family != 6))
        return NULL;
    struct xm_host *h = host_find(ht, addr);
    if (!h)
        return create ? host_create(ht, addr, now) : NULL;
    if (now > h->last)
        h->last = now;
    lru_unlink(ht, h);
    lru_push_head(ht, h);
    return h;
}

struct xm_host *host_account(struct host_table *ht, const struct xm_addr *addr,
                             xm_time_t now, uint64_t bytes, uint64_t pkts, int dir)
{
    struct xm_host *h = host_get(ht, addr, now, true);
    if (!h)
        return NULL;
    if (dir == HOST_DIR_OUT) {
        h->bytes_out += bytes;
        h->pkts_out += pkts;
    } else {
        h->bytes_in += bytes;
        h->pkts_in += pkts;
    }
    return h;
}

struct xm_host *host_flow_started(struct host_table *ht, const struct xm_addr *addr,
                                  xm_time_t now)
{
    struct xm_host *h = host_get(ht, addr, now, true);
    if (h)
        h->flows_started++;
    return h;
}

static int host_ptr_cmp(const void *a, const void *b)
{
    const struct xm_host *x = *(const struct xm_host *const *)a;
    const struct xm_host *y = *(const struct xm_host *const *)b;
    return xm_addr_cmp(&x->addr, &y->addr);
}

int host_foreach_sorted(const struct host_table *ht,
                        int (*fn)(void *ctx, const struct xm_host *h), void *ctx)
{
    const struct xm_host **v = malloc(((size_t)ht->count + 1) * sizeof *v);
    if (!v)
        return -1;
    size_t n = 0;
    for (uint32_t i = ht->head; i; i = ht->slab[i].lnext_)
        v[n++] = &ht->slab[i];
    qsort(v, n, sizeof *v, host_ptr_cmp);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(ctx, v[i]);
    free(v);
    return rc;
}
