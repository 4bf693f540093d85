/*
 * names.c - intern table, address-to-name cache and DNS-tunnel
 * statistics.  Contract, bounds and eviction policies: include/xm_names.h.
 *
 * All three tables share one index structure (struct names_lru): slots
 * 1..cap, chained hash buckets, a doubly linked LRU list (head = most
 * recently used) and a free list.  Payload lives in parallel arrays.
 */
#include "xm_names.h"

#include <math.h>
#include <stdlib.h>

#define NAMES_ID_BITS 20
#define NAMES_ID_MASK ((UINT32_C(1) << NAMES_ID_BITS) - 1)
#define NAMES_GEN_MAX ((UINT32_C(1) << (32 - NAMES_ID_BITS)) - 1)
#define NAMES_CNAME_HOPS 8
#define NAMES_HLL_REGS 256
#define NAMES_NO_DOMAIN 0xFF

/* ---------- shared LRU hash index ---------- */

struct names_lru {
    uint32_t cap, mask;
    uint32_t *bucket, *hnext, *prev, *next;
    uint64_t *hash;
    uint32_t head, tail, free_head;
};

typedef bool (*names_eq_fn)(const void *tbl, uint32_t slot, const void *key);

static uint32_t names_pow2(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static int names_lru_init(struct names_lru *l, uint32_t cap)
{
    memset(l, 0, sizeof *l);
    l->cap = cap;
    l->mask = names_pow2(cap) - 1;
    l->bucket = calloc((size_t)l->mask + 1, sizeof *l->bucket);
    l->hnext = calloc((size_t)cap + 1, sizeof *l->hnext);
    l->prev = calloc((size_t)cap + 1, sizeof *l->prev);
    l->next = calloc((size_t)cap + 1, sizeof *l->next);
    l->hash = calloc((size_t)cap + 1, sizeof *l->hash);
    if (!l->bucket || !l->hnext || !l->prev || !l->next || !l->hash)
        return -1;
    for (uint32_t i = cap; i >= 1; i--) {
        l->next[i] = l->free_head;
        l->free_head = i;
    }
    return 0;
}

static void names_lru_fini(struct names_lru *l)
{
    free(l->bucket);
    free(l->hnext);
    free(l->prev);
    free(l->next);
    free(l->hash);
}

static uint32_t names_lru_find(const struct names_lru *l, uint64_t h, names_eq_fn eq,
                               const void *tbl, const void *key)
{
    for (uint32_t s = l->bucket[h & l->mask]; s; s = l->hnext[s])
        if (l->hash[s] == h && eq(tbl, s, key))
            return s;
    return 0;
}

static void names_lru_unlist(struct names_lru *l, uint32_t s)
{
    if (l->prev[s]) l->next[l->prev[s]] = l->next[s]; else l->head = l->next[s];
    if (l->next[s]) l->prev[l->next[s]] = l->prev[s]; else l->tail = l->prev[s];
    l->prev[s] = l->next[s] = 0;
}

static void names_lru_push(struct names_lru *l, uint32_t s)
{
    l->prev[s] = 0;
    l->next[s] = l->head;
    if (l->head) l->prev[l->head] = s; else l->tail = s;
    l->head = s;
}

static void names_lru_touch(struct names_lru *l, uint32_t s)
{
    if (l->head != s) {
        names_lru_unlist(l, s);
        names_lru_push(l, s);
    }
}

static void names_lru_unhash(struct names_lru *l, uint32_t s)
{
    uint32_t *pp = &l->bucket[l->hash[s] & l->mask];
    while (*pp && *pp != s)
        pp = &l->hnext[*pp];
    if (*pp)
        *pp = l->hnext[s];
    l->hnext[s] = 0;
}

/* Frees slot s (unhash, unlist, push on the free list). */
static void names_lru_remove(struct names_lru *l, uint32_t s)
{
    names_lru_unhash(l, s);
    names_lru_unlist(l, s);
    l->next[s] = l->free_head;
    l->free_head = s;
}

/* Takes a free slot or, when full, the LRU tail (*evicted = true; the
 * caller retires the old payload first, using the returned slot). */
static uint32_t names_lru_take(struct names_lru *l, bool *evicted)
{
    uint32_t s = l->free_head;
    *evicted = s == 0;
    if (s) {
        l->free_head = l->next[s];
        l->next[s] = 0;
        return s;
    }
    s = l->tail;
    names_lru_unhash(l, s);
    names_lru_unlist(l, s);
    return s;
}

static void names_lru_link(struct names_lru *l, uint32_t s, uint64_t h)
{
    l->hash[s] = h;
    l->hnext[s] = l->bucket[h & l->mask];
    l->bucket[h & l->mask] = s;
    names_lru_push(l, s);
}

/* ---------- tables ---------- */

struct names_entry {                  /* intern table payload */
    char s[DNS_NAME_MAX + 1];
    uint8_t len, dom_off;             /* dom_off NAMES_NO_DOMAIN = none */
    uint16_t gen;                     /* 1..NAMES_GEN_MAX */
};

struct names_addr {                   /* address cache payload */
    struct xm_addr addr;
    uint32_t queried, canonical;
    xm_time_t expires;
};

struct names_tun {                    /* tunnel statistics payload */
    struct names_tunnel t;
    double entropy_sum;
    uint64_t entropy_n;
    uint8_t hll[NAMES_HLL_REGS];
};

/*
 * Parent cache for the DNS-query path (so libpsl is not consulted per
 * packet): maps a parent P (the name minus its first label) to the
 * offset of the registrable domain inside P, filled only when that
 * domain lies within P (the first label is not part of it).  Direct
 * mapped, NAMES_PSLC entries, a colliding insert overwrites.  Caveat: a
 * query for a public suffix that sits directly under a cached parent
 * ("s3.amazonaws.com" after "x.amazonaws.com") gets the parent's domain.
 */
#define NAMES_PSLC 4096

struct names_pslc {
    uint64_t h;               /* seeded hash of P; 0 = empty */
    uint8_t plen, off;
};

struct names {
    struct names_limits lim;
    struct names_pslc pslc[NAMES_PSLC];
    struct regdom *rd;
    uint64_t seed;
    struct names_lru ilru, alru, tlru;
    struct names_entry *ent;
    struct names_addr *addr;
    struct names_tun *tun;
    struct names_stats st;
};

static const char *const names_src_text[NAME_SRC_MAX] = {
    "none", "sni", "http_host", "dns", "quic_sni"};

const char *names_src_str(enum name_src s)
{
    return (unsigned)s < NAME_SRC_MAX ? names_src_text[s] : "none";
}

void names_limits_default(struct names_limits *l)
{
    l->max_names = 65536;
    l->max_addrs = 65536;
    l->max_tunnel = 16384;
    l->ttl_grace_s = 0;
    l->tunnel_window_s = 86400;
}

struct names *names_new(const struct names_limits *lim, struct regdom *rd, uint64_t seed)
{
    if (!lim->max_names || lim->max_names > NAMES_ID_MASK || !lim->max_addrs ||
        !lim->max_tunnel)
        return NULL;
    struct names *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->lim = *lim;
    n->rd = rd;
    n->seed = seed;
    n->ent = calloc((size_t)lim->max_names + 1, sizeof *n->ent);
    n->addr = calloc((size_t)lim->max_addrs + 1, sizeof *n->addr);
    n->tun = calloc((size_t)lim->max_tunnel + 1, sizeof *n->tun);
    if (!n->ent || !n->addr || !n->tun || names_lru_init(&n->ilru, lim->max_names) ||
        names_lru_init(&n->alru, lim->max_addrs) || names_lru_init(&n->tlru, lim->max_tunnel)) {
        names_free(n);
        return NULL;
    }
    return n;
}

void names_free(struct names *n)
{
    if (!n)
        return;
    names_lru_fini(&n->ilru);
    names_lru_fini(&n->alru);
    names_lru_fini(&n->tlru);
    free(n->ent);
    free(n->addr);
    free(n->tun);
    free(n);
}

const struct names_stats *names_stats(const struct names *n)
{
    return &n->st;
}

/* Lower-cases ASCII letters of src[0,len) into dst and NUL-terminates. */
static void names_lower(char *dst, const char *src, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
    dst[len] = '\0';
}

/* ---------- intern table ---------- */

struct names_key { const char *s; size_t len; };

static bool names_ent_eq(const void *tbl, uint32_t slot, const void *key)
{
    const struct names_entry *e = &((const struct names *)tbl)->ent[slot];
    const struct names_key *k = key;
    return e->len == k->len && memcmp(e->s, k->s, k->len) == 0;
}

static uint32_t names_make_id(const struct names *n, uint32_t slot)
{
    return ((uint32_t)n->ent[slot].gen << NAMES_ID_BITS) | slot;
}

static void names_fill_entry(struct names *n, uint32_t slot, const char *low, size_t len)
{
    struct names_entry *e = &n->ent[slot];
    memcpy(e->s, low, len);
    e->s[len] = '\0';
    e->len = (uint8_t)len;
    e->gen = (uint16_t)(e->gen % NAMES_GEN_MAX + 1);
    int off = regdom_offset(n->rd, e->s);
    e->dom_off = off < 0 ? NAMES_NO_DOMAIN : (uint8_t)off;
}

uint32_t names_intern(struct names *n, const char *name, size_t len)
{
    char low[DNS_NAME_MAX + 1];
    if (len == 0 || len > DNS_NAME_MAX) {
        n->st.intern_rejected++;
        return 0;
    }
    names_lower(low, name, len);
    struct names_key k = {low, len};
    uint64_t h = xm_hash(low, len, n->seed);
    uint32_t s = names_lru_find(&n->ilru, h, names_ent_eq, n, &k);
    if (s) {
        n->st.intern_hits++;
        names_lru_touch(&n->ilru, s);
        return names_make_id(n, s);
    }
    bool evicted;
    s = names_lru_take(&n->ilru, &evicted);
    n->st.intern_evicted += evicted;
    n->st.interned++;
    names_fill_entry(n, s, low, len);
    names_lru_link(&n->ilru, s, h);
    return names_make_id(n, s);
}

static const struct names_entry *names_entry_of(const struct names *n, uint32_t id)
{
    uint32_t slot = id & NAMES_ID_MASK;
    if (slot == 0 || slot > n->lim.max_names || n->ent[slot].gen != id >> NAMES_ID_BITS)
        return NULL;
    return &n->ent[slot];
}

const char *names_str(const struct names *n, uint32_t id)
{
    const struct names_entry *e = names_entry_of(n, id);
    return e ? e->s : NULL;
}

const char *names_domain(const struct names *n, uint32_t id)
{
    const struct names_entry *e = names_entry_of(n, id);
    return (e && e->dom_off != NAMES_NO_DOMAIN) ? e->s + e->dom_off : NULL;
}

int names_reg_offset(struct names *n, const char *lower, size_t len)
{
    const char *dot = len ? memchr(lower, '.', len) : NULL;
    if (!dot)
        return -1;                   /* one label: never an eTLD+1 */
    size_t poff = (size_t)(dot - lower) + 1, plen = len - poff;
    uint64_t h = xm_hash(lower + poff, plen, n->seed) | 1;
    struct names_pslc *e = &n->pslc[h & (NAMES_PSLC - 1)];
    if (e->h == h && e->plen == plen) {
        n->st.psl_cache_hits++;
        return (int)(poff + e->off);
    }
    n->st.psl_lookups++;
    int off = regdom_offset(n->rd, lower);
    if (off >= (int)poff) {
        e->h = h;
        e->plen = (uint8_t)plen;
        e->off = (uint8_t)(off - (int)poff);
    }
    return off;
}

/* ---------- address cache ---------- */

static bool names_addr_eq(const void *tbl, uint32_t slot, const void *key)
{
    const struct names_addr *a = &((const struct names *)tbl)->addr[slot];
    return memcmp(&a->addr, key, sizeof a->addr) == 0;
}

static uint32_t names_addr_find(const struct names *n, const struct xm_addr *a, uint64_t *h)
{
    *h = xm_hash(a, sizeof *a, n->seed);
    return names_lru_find(&n->alru, *h, names_addr_eq, n, a);
}

static void names_addr_put(struct names *n, const struct xm_addr *a, uint32_t queried,
                           uint32_t canonical, xm_time_t expires)
{
    uint64_t h;
    uint32_t s = names_addr_find(n, a, &h);
    if (s) {
        n->st.addr_updated++;
        names_lru_touch(&n->alru, s);
    } else {
        bool evicted;
        s = names_lru_take(&n->alru, &evicted);
        n->st.addr_evicted += evicted;
        n->st.addr_inserted++;
        names_lru_link(&n->alru, s, h);
    }
    struct names_addr *e = &n->addr[s];
    e->addr = *a;
    e->queried = queried;
    e->canonical = canonical;
    e->expires = expires;
}

enum names_lookup names_lookup_addr(struct names *n, const struct xm_addr *addr,
                                    xm_time_t now, uint32_t *queried, uint32_t *canonical)
{
    uint64_t h;
    uint32_t s = names_addr_find(n, addr, &h);
    *queried = *canonical = 0;
    if (!s) {
        n->st.addr_misses++;
        return NAMES_MISS;
    }
    if (now >= n->addr[s].expires) {
        n->st.addr_expired++;
        names_lru_remove(&n->alru, s);
        return NAMES_EXPIRED;
    }
    if (!names_str(n, n->addr[s].queried)) {
        n->st.addr_stale++;
        names_lru_remove(&n->alru, s);
        return NAMES_MISS;
    }
    n->st.addr_hits++;
    *queried = n->addr[s].queried;
    *canonical = names_str(n, n->addr[s].canonical) ? n->addr[s].canonical : *queried;
    return NAMES_HIT;
}

/* ---------- learning from DNS ---------- */

static bool names_eq_ci(const struct dns_name *a, const struct dns_name *b)
{
    if (a->len != b->len)
        return false;
    for (uint8_t i = 0; i < a->len; i++) {
        char x = a->s[i], y = b->s[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

/* Walks CNAMEs backwards from rr's owner to the head of the chain;
 * *ttl becomes the smallest TTL along the way. */
static const struct dns_name *names_chain_head(struct names *n, const struct dns_msg *m,
                                               const struct dns_rr *rr, uint32_t *ttl)
{
    const struct dns_name *head = &rr->name;
    *ttl = rr->ttl;
    for (int hop = 0; hop < NAMES_CNAME_HOPS; hop++) {
        const struct dns_rr *up = NULL;
        for (uint8_t i = 0; i < m->n_an && !up; i++)
            if (m->an[i].type == DNS_T_CNAME && names_eq_ci(&m->an[i].target, head))
                up = &m->an[i];
        if (!up)
            return head;
        head = &up->name;
        if (up->ttl < *ttl)
            *ttl = up->ttl;
    }
    n->st.cname_loops++;
    return head;
}

static void names_learn_answer(struct names *n, const struct dns_msg *m,
                               const struct dns_rr *rr, xm_time_t now)
{
    uint32_t ttl;
    const struct dns_name *head = names_chain_head(n, m, rr, &ttl);
    if (ttl == 0 || head->len == 0)
        return;
    uint32_t q = names_intern(n, head->s, head->len);
    uint32_t c = names_eq_ci(head, &rr->name) ? q : names_intern(n, rr->name.s, rr->name.len);
    if (!names_str(n, q))                /* interning c evicted q (tiny table) */
        return;
    xm_time_t exp = now + XM_SEC((uint64_t)ttl + n->lim.ttl_grace_s);
    names_addr_put(n, &rr->addr, q, c, exp);
}

/* ---------- DNS-tunnel statistics ---------- */

struct names_tkey { const struct xm_addr *host; const char *dom; };

static bool names_tun_eq(const void *tbl, uint32_t slot, const void *key)
{
    const struct names_tun *t = &((const struct names *)tbl)->tun[slot];
    const struct names_tkey *k = key;
    return memcmp(&t->t.host, k->host, sizeof *k->host) == 0 && strcmp(t->t.domain, k->dom) == 0;
}

static uint64_t names_tun_hash(const struct names *n, const struct xm_addr *host, const char *dom)
{
    return xm_hash(dom, strlen(dom), xm_hash(host, sizeof *host, n->seed));
}

static void names_tun_reset(struct names_tun *e, xm_time_t now)
{
    struct xm_addr host = e->t.host;
    char dom[DNS_NAME_MAX + 1];
    memcpy(dom, e->t.domain, sizeof dom);
    memset(e, 0, sizeof *e);
    e->t.host = host;
    memcpy(e->t.domain, dom, sizeof dom);
    e->t.window_start = e->t.first = now;
}

static struct names_tun *names_tun_get(struct names *n, const struct xm_addr *host,
                                       const char *dom, xm_time_t now)
{
    struct names_tkey k = {host, dom};
    uint64_t h = names_tun_hash(n, host, dom);
    uint32_t s = names_lru_find(&n->tlru, h, names_tun_eq, n, &k);
    if (s) {
        names_lru_touch(&n->tlru, s);
        struct names_tun *e = &n->tun[s];
        if (now - e->t.window_start >= XM_SEC(n->lim.tunnel_window_s)) {
            n->st.tunnel_window_resets++;
            names_tun_reset(e, now);
        }
        return e;
    }
    bool evicted;
    s = names_lru_take(&n->tlru, &evicted);
    n->st.tunnel_evicted += evicted;
    n->st.tunnel_created++;
    struct names_tun *e = &n->tun[s];
    e->t.host = *host;
    size_t dl = strnlen(dom, DNS_NAME_MAX);
    memcpy(e->t.domain, dom, dl);
    e->t.domain[dl] = '\0';
    names_tun_reset(e, now);
    names_lru_link(&n->tlru, s, h);
    return e;
}

/* Shannon entropy in bits per character of s[0,len), dots skipped. */
static double names_entropy(const char *s, size_t len)
{
    uint16_t cnt[256] = {0};
    size_t total = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '.') {
            cnt[(uint8_t)s[i]]++;
            total++;
        }
    double e = 0;
    for (int c = 0; c < 256 && total; c++)
        if (cnt[c]) {
            double p = (double)cnt[c] / (double)total;
            e -= p * log2(p);
        }
    return e;
}

static void names_hll_add(uint8_t *reg, const char *s, size_t len)
{
    uint64_t h = xm_hash(s, len, XM_HASH_FIXED_SEED);
    uint32_t idx = (uint32_t)(h & (NAMES_HLL_REGS - 1));
    uint64_t w = h >> 8;                 /* 56 bits left */
    uint8_t rank = w ? (uint8_t)(__builtin_clzll(w) - 8 + 1) : 57;
    if (rank > reg[idx])
        reg[idx] = rank;
}

static uint32_t names_hll_count(const uint8_t *reg)
{
    double sum = 0, m = NAMES_HLL_REGS;
    unsigned zeros = 0;
    for (int i = 0; i < NAMES_HLL_REGS; i++) {
        sum += ldexp(1.0, -reg[i]);
        zeros += reg[i] == 0;
    }
    double est = (0.7213 / (1 + 1.079 / m)) * m * m / sum;
    if (est <= 2.5 * m && zeros)
        est = m * log(m / zeros);        /* linear counting, small range */
    return (uint32_t)(est + 0.5);
}

static void names_tun_query(struct names *n, const struct dns_name *q,
                            const struct xm_addr *host, xm_time_t now)
{
    char low[DNS_NAME_MAX + 1];
    names_lower(low, q->s, q->len);
    int off = names_reg_offset(n, low, q->len);
    const char *dom = off < 0 ? low : low + off;
    struct names_tun *e = names_tun_get(n, host, dom, now);
    e->t.queries++;
    e->t.last = now;
    if (q->first_label_len > e->t.longest_label) {
        e->t.longest_label = q->first_label_len;
        size_t c = q->first_label_len < 63 ? q->first_label_len : 63;
        memcpy(e->t.longest_label_text, q->s, c);   /* case as sent */
        e->t.longest_label_text[c] = '\0';
    }
    if (off > 1) {                                  /* has a subdomain */
        size_t sub = (size_t)off - 1;
        names_hll_add(e->hll, low, sub);
        double ent = names_entropy(q->s, sub);
        e->entropy_sum += ent;
        e->entropy_n++;
        if (ent > e->t.entropy_max)
            e->t.entropy_max = ent;
    }
}

static void names_tun_txt(struct names *n, const struct dns_msg *m,
                          const struct xm_addr *host, xm_time_t now)
{
    char low[DNS_NAME_MAX + 1];
    const struct dns_name *q = &m->q[0].name;
    names_lower(low, q->s, q->len);
    int off = names_reg_offset(n, low, q->len);
    struct names_tun *e = names_tun_get(n, host, off < 0 ? low : low + off, now);
    e->t.txt_bytes += m->txt_bytes;
}

void names_learn_dns(struct names *n, const struct dns_msg *m,
                     const struct xm_addr *querier, xm_time_t now)
{
    if (!m->is_response) {
        n->st.dns_queries++;
        if (m->n_q && m->q[0].name.len)
            names_tun_query(n, &m->q[0].name, querier, now);
        return;
    }
    n->st.dns_responses++;
    for (uint8_t i = 0; i < m->n_an; i++)
        if (m->an[i].type == DNS_T_A || m->an[i].type == DNS_T_AAAA)
            names_learn_answer(n, m, &m->an[i], now);
    if (m->txt_bytes && m->n_q && m->q[0].name.len)
        names_tun_txt(n, m, querier, now);
}

bool names_tunnel_get(const struct names *n, const struct xm_addr *host,
                      const char *domain, struct names_tunnel *out)
{
    char low[DNS_NAME_MAX + 1];
    size_t len = strlen(domain);
    if (len > DNS_NAME_MAX)
        return false;
    names_lower(low, domain, len);
    struct names_tkey k = {host, low};
    uint32_t s = names_lru_find(&n->tlru, names_tun_hash(n, host, low), names_tun_eq, n, &k);
    if (!s)
        return false;
    const struct names_tun *e = &n->tun[s];
    *out = e->t;
    out->unique_subdomains = names_hll_count(e->hll);
    out->entropy_mean = e->entropy_n ? e->entropy_sum / (double)e->entropy_n : 0;
    double span_min = (double)(e->t.last - e->t.window_start) / 60e6;
    out->queries_per_min = (double)e->t.queries / (span_min < 1 ? 1 : span_min);
    return true;
}
