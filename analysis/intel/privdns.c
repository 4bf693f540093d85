/*
 * privdns.c - hosts that resolve privately (DoH/DoT/DoQ).  See
 * include/xm_privdns.h.  No allocation after pdns_new().
 */
#include "xm_privdns.h"

#include <stdlib.h>

struct pdns_ent {
    struct xm_addr host;
    xm_time_t last;            /* last contact with a resolver; 0 = free */
};

struct pdns {
    struct pdns_ent *e;
    uint32_t mask;
    uint64_t seed;
    const struct lists_list *list;
    struct pdns_stats st;
};

struct pdns *pdns_new(uint32_t cap, uint64_t seed)
{
    uint32_t n = 16;
    while (n < cap && n < (1u << 24))
        n <<= 1;
    struct pdns *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->e = calloc(n, sizeof *t->e);
    if (!t->e) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    t->seed = seed;
    return t;
}

void pdns_free(struct pdns *t)
{
    if (!t)
        return;
    free(t->e);
    free(t);
}

void pdns_set_list(struct pdns *t, const struct lists_list *resolvers)
{
    t->list = resolvers;
}

const struct pdns_stats *pdns_stats(const struct pdns *t) { return &t->st; }

static uint32_t pdns_slot(const struct pdns *t, const struct xm_addr *a)
{
    return (uint32_t)xm_hash(a, sizeof *a, t->seed) & t->mask;
}

/* The host's entry, or NULL. */
static struct pdns_ent *pdns_find(const struct pdns *t, const struct xm_addr *a)
{
    uint32_t s = pdns_slot(t, a);
    for (uint32_t i = 0; i < PDNS_PROBE; i++) {
        struct pdns_ent *e = &t->e[(s + i) & t->mask];
        if (e->last && !xm_addr_cmp(&e->host, a))
            return e;
    }
    return NULL;
}

static void pdns_mark(struct pdns *t, const struct xm_addr *a, xm_time_t now)
{
    struct pdns_ent *e = pdns_find(t, a), *old = NULL;
    uint32_t s = pdns_slot(t, a);
    for (uint32_t i = 0; !e && i < PDNS_PROBE; i++) {
        struct pdns_ent *c = &t->e[(s + i) & t->mask];
        if (!c->last) {
            e = c;
            break;
        }
        if (!old || c->last < old->last)
            old = c;
    }
    if (!e) {
        e = old;
        t->st.evicted++;
    }
    if (!e->last || xm_addr_cmp(&e->host, a)) {
        e->host = *a;
        t->st.hosts++;
    }
    e->last = now ? now : 1;
    t->st.marked++;
}

static bool pdns_is_resolver(const struct pdns *t, const struct xm_addr *dst, uint16_t port,
                             const char *name)
{
    if (port == 853)                 /* DoT (RFC 7858), DoQ (RFC 9250) */
        return true;
    if (!t->list)
        return false;
    if (name && lists_match_domain(t->list, name))
        return true;
    /* a listed address counts only on DoH/DoQ ports, never on 53 */
    bool enc = port == 443 || port == 784 || port == 8853;
    return enc && lists_match_addr(t->list, dst, port);
}

bool pdns_observe(struct pdns *t, const struct xm_addr *host, const struct xm_addr *dst,
                  uint16_t port, const char *name, xm_time_t now)
{
    if (!pdns_is_resolver(t, dst, port, name))
        return false;
    pdns_mark(t, host, now);
    return true;
}

bool pdns_is_private(const struct pdns *t, const struct xm_addr *host, xm_time_t now)
{
    const struct pdns_ent *e = pdns_find(t, host);
    return e && now - e->last < (xm_time_t)PDNS_TTL_S * XM_USEC_PER_SEC;
}
