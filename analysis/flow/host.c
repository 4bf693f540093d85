/*
 * host.c - per-local-host accounting table (xm_host.h).
 *
 * The table is the base library's keyed table (xm_tab.h) keyed by
 * address, in LRU order by last touch; before a creation evicts, the
 * victim's totals are folded into the evicted_* counters.
 */
#include "xm_host.h"

#include <stdlib.h>

struct host_table {
    struct xm_tab t;
    struct host_stats st;
};

struct host_table *host_table_new(uint32_t cap, uint64_t seed)
{
    if (cap == 0 || cap == UINT32_MAX)
        return NULL;
    struct host_table *ht = calloc(1, sizeof *ht);
    if (!ht)
        return NULL;
    if (xm_tab_init(&ht->t, cap, sizeof(struct xm_host), sizeof(struct xm_addr), seed) != 0) {
        host_table_free(ht);
        return NULL;
    }
    return ht;
}

void host_table_free(struct host_table *ht)
{
    if (!ht)
        return;
    xm_tab_free(&ht->t);
    free(ht);
}

const struct host_stats *host_table_stats(const struct host_table *ht) { return &ht->st; }
uint32_t host_table_count(const struct host_table *ht) { return ht->t.st.used; }
uint32_t host_table_capacity(const struct host_table *ht) { return ht->t.cap; }

/* Folds the totals of the host about to be evicted into evicted_*. */
static void host_fold(struct host_table *ht, const struct xm_host *h)
{
    ht->st.evicted++;
    ht->st.evicted_bytes_out += h->bytes_out;
    ht->st.evicted_bytes_in += h->bytes_in;
    ht->st.evicted_pkts_out += h->pkts_out;
    ht->st.evicted_pkts_in += h->pkts_in;
    ht->st.evicted_flows += h->flows_started;
    ht->st.active--;
}

static struct xm_host *host_create(struct host_table *ht, const struct xm_addr *a,
                                   xm_time_t now)
{
    const struct xm_host *victim = xm_tab_victim(&ht->t);
    if (victim)
        host_fold(ht, victim);
    bool created;
    struct xm_host *h = xm_tab_upsert(&ht->t, a, &created);
    if (!h)
        return NULL;
    h->first = h->last = now;
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
    struct xm_host *h = xm_tab_find(&ht->t, addr);
    if (!h)
        return create ? host_create(ht, addr, now) : NULL;
    if (now > h->last)
        h->last = now;
    xm_tab_touch(&ht->t, h);
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

struct xm_host *host_account_both(struct host_table *ht, const struct xm_addr *addr,
                                  xm_time_t now, const uint64_t out[2], const uint64_t in[2])
{
    struct xm_host *h = host_account(ht, addr, now, out[0], out[1], HOST_DIR_OUT);
    if (h) {
        h->bytes_in += in[0];
        h->pkts_in += in[1];
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
    const struct xm_host **v = malloc(((size_t)ht->t.st.used + 1) * sizeof *v);
    if (!v)
        return -1;
    size_t n = 0;
    for (const struct xm_host *h = xm_tab_prev(&ht->t, NULL); h; h = xm_tab_prev(&ht->t, h))
        v[n++] = h;
    qsort(v, n, sizeof *v, host_ptr_cmp);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(ctx, v[i]);
    free(v);
    return rc;
}
