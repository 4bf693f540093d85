/*
 * names.c - intern table, address-to-name cache and DNS-tunnel
 * statistics.  Contract, bounds and eviction policies: include/xm_names.h.
 *
 * All three tables are the base library's keyed table (xm_tab.h: fixed
 * slab, LRU order and eviction) with fixed-size, zero-padded keys.  An
 * intern id is (generation << 20) | slot; the generations live beside
 * the table (they survive the slot's reuse).
 */
#include "xm_names.h"
#include "xm_tab.h"

#include <math.h>
#include <stdlib.h>

#define NAMES_ID_BITS 20
#define NAMES_ID_MASK ((UINT32_C(1) << NAMES_ID_BITS) - 1)
#define NAMES_GEN_MAX ((UINT32_C(1) << (32 - NAMES_ID_BITS)) - 1)
#define NAMES_CNAME_HOPS 8
#define NAMES_HLL_REGS 256
#define NAMES_NO_DOMAIN 0xFF

/* ---------- tables ---------- */

struct names_ikey {                   /* intern key: zero-padded name */
    uint8_t len;
    char s[DNS_NAME_MAX + 1];
};

struct names_entry {                  /* intern table entry */
    struct xm_tab_hdr h;
    struct names_ikey k;
    uint8_t dom_off;                  /* NAMES_NO_DOMAIN = none */
};

struct names_addr {                   /* address cache entry */
    struct xm_tab_hdr h;
    struct xm_addr addr;              /* key */
    uint32_t queried, canonical;
    xm_time_t expires;
};

struct names_tkey {                   /* tunnel key: host, zero-padded domain */
    struct xm_addr host;
    char dom[DNS_NAME_MAX + 1];
};

struct names_tun {                    /* tunnel statistics entry */
    struct xm_tab_hdr h;
    struct names_tkey k;
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
    struct xm_tab itab, atab, ttab;   /* intern, address cache, tunnel */
    uint16_t *gen;                    /* per intern slot: 1..NAMES_GEN_MAX */
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
    l->max_names = NAMES_DEFAULT_CAP;
    l->max_addrs = NAMES_DEFAULT_CAP;
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
    n->gen = calloc((size_t)lim->max_names + 1, sizeof *n->gen);
    if (!n->gen ||
        xm_tab_init(&n->itab, lim->max_names, sizeof(struct names_entry),
                    sizeof(struct names_ikey), seed) != 0 ||
        xm_tab_init(&n->atab, lim->max_addrs, sizeof(struct names_addr),
                    sizeof(struct xm_addr), seed) != 0 ||
        xm_tab_init(&n->ttab, lim->max_tunnel, sizeof(struct names_tun),
                    sizeof(struct names_tkey), seed) != 0) {
        names_free(n);
        return NULL;
    }
    return n;
}

void names_free(struct names *n)
{
    if (!n)
        return;
    xm_tab_free(&n->itab);
    xm_tab_free(&n->atab);
    xm_tab_free(&n->ttab);
    free(n->gen);
    free(n);
}

const struct names_stats *names_stats(const struct names *n)
{
    return &n->st;
}

size_t names_tables(const struct names *n, struct xm_tab_row *out)
{
    out[0] = (struct xm_tab_row){"dns_names", n->itab.st};
    out[1] = (struct xm_tab_row){"dns_addresses", n->atab.st};
    out[2] = (struct xm_tab_row){"dns_tunnel", n->ttab.st};
    return NAMES_TABLES;
}

/* Lower-cases ASCII letters of src[0,len) into dst and NUL-terminates. */
static void names_lower(char *dst, const char *src, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
    dst[len] = '\0';
}

/* ---------- intern table ---------- */

static uint32_t names_make_id(const struct names *n, const struct names_entry *e)
{
    uint32_t slot = xm_tab_index(&n->itab, e);
    return ((uint32_t)n->gen[slot] << NAMES_ID_BITS) | slot;
}

/* A new intern entry: next generation of its slot, registrable domain. */
static void names_fill_entry(struct names *n, struct names_entry *e)
{
    uint32_t slot = xm_tab_index(&n->itab, e);
    n->gen[slot] = (uint16_t)(n->gen[slot] % NAMES_GEN_MAX + 1);
    int off = regdom_offset(n->rd, e->k.s);
    e->dom_off = off < 0 ? NAMES_NO_DOMAIN : (uint8_t)off;
}

uint32_t names_intern(struct names *n, const char *name, size_t len)
{
    struct names_ikey k;
    if (len == 0 || len > DNS_NAME_MAX) {
        n->st.intern_rejected++;
        return 0;
    }
    memset(&k, 0, sizeof k);
    k.len = (uint8_t)len;
    names_lower(k.s, name, len);
    struct names_entry *e = xm_tab_find(&n->itab, &k);
    if (e) {
        n->st.intern_hits++;
        xm_tab_touch(&n->itab, e);
        return names_make_id(n, e);
    }
    n->st.intern_evicted += xm_tab_victim(&n->itab) != NULL;
    bool created;
    if (!(e = xm_tab_upsert(&n->itab, &k, &created)))
        return 0;
    n->st.interned++;
    names_fill_entry(n, e);
    return names_make_id(n, e);
}

static const struct names_entry *names_entry_of(const struct names *n, uint32_t id)
{
    uint32_t slot = id & NAMES_ID_MASK;
    const struct names_entry *e = xm_tab_at(&n->itab, slot);
    if (!e || n->gen[slot] != id >> NAMES_ID_BITS)
        return NULL;
    return e;
}

const char *names_str(const struct names *n, uint32_t id)
{
    const struct names_entry *e = names_entry_of(n, id);
    return e ? e->k.s : NULL;
}

const char *names_domain(const struct names *n, uint32_t id)
{
    const struct names_entry *e = names_entry_of(n, id);
    return (e && e->dom_off != NAMES_NO_DOMAIN) ? e->k.s + e->dom_off : NULL;
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

static void names_addr_put(struct names *n, const struct xm_addr *a, uint32_t queried,
                           uint32_t canonical, xm_time_t expires)
{
    struct names_addr *e = xm_tab_find(&n->atab, a);
    if (e) {
        n->st.addr_updated++;
        xm_tab_touch(&n->atab, e);
    } else {
        n->st.addr_evicted += xm_tab_victim(&n->atab) != NULL;
        bool created;
        if (!(e = xm_tab_upsert(&n->atab, a, &created)))
            return;
        n->st.addr_inserted++;
    }
    e->queried = queried;
    e->canonical = canonical;
    e->expires = expires;
}

enum names_lookup names_lookup_addr(struct names *n, const struct xm_addr *addr,
                                    xm_time_t now, uint32_t *queried, uint32_t *canonical)
{
    struct names_addr *e = xm_tab_find(&n->atab, addr);
    *queried = *canonical = 0;
    if (!e) {
        n->st.addr_misses++;
        return NAMES_MISS;
    }
    if (now >= e->expires) {
        n->st.addr_expired++;
        xm_tab_remove(&n->atab, e);
        return NAMES_EXPIRED;
    }
    if (!names_str(n, e->queried)) {
        n->st.addr_stale++;
        xm_tab_remove(&n->atab, e);
        return NAMES_MISS;
    }
    n->st.addr_hits++;
    *queried = e->queried;
    *canonical = names_str(n, e->canonical) ? e->canonical : *queried;
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

/* Zero-padded key of (host, lower-case domain of at most DNS_NAME_MAX). */
static void names_tkey_of(struct names_tkey *k, const struct xm_addr *host, const char *dom)
{
    memset(k, 0, sizeof *k);
    k->host = *host;
    memcpy(k->dom, dom, strnlen(dom, DNS_NAME_MAX));
}

/* Restarts the statistics window (the key and its copy in t stay). */
static void names_tun_reset(struct names_tun *e, xm_time_t now)
{
    memset(&e->t, 0, sizeof e->t);
    e->entropy_sum = 0;
    e->entropy_n = 0;
    memset(e->hll, 0, sizeof e->hll);
    e->t.host = e->k.host;
    memcpy(e->t.domain, e->k.dom, sizeof e->t.domain);
    e->t.window_start = e->t.first = now;
}

static struct names_tun *names_tun_get(struct names *n, const struct xm_addr *host,
                                       const char *dom, xm_time_t now)
{
    struct names_tkey k;
    names_tkey_of(&k, host, dom);
    struct names_tun *e = xm_tab_find(&n->ttab, &k);
    if (e) {
        xm_tab_touch(&n->ttab, e);
        if (now - e->t.window_start >= XM_SEC(n->lim.tunnel_window_s)) {
            n->st.tunnel_window_resets++;
            names_tun_reset(e, now);
        }
        return e;
    }
    n->st.tunnel_evicted += xm_tab_victim(&n->ttab) != NULL;
    bool created;
    if (!(e = xm_tab_upsert(&n->ttab, &k, &created)))
        return NULL;
    n->st.tunnel_created++;
    names_tun_reset(e, now);
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

/* The subdomain (the labels below the registrable domain, s[0..sub),
 * case as sent) measured as a whole: its longest label, wherever it sits
 * (dnscat2's "dnscat.<hex>" prefix puts the data in the second label).
 * The subdomain's total length (longest_subdomain) is kept by the caller. */
static void names_tun_labels(struct names_tunnel *t, const char *s, size_t sub)
{
    size_t start = 0;
    for (size_t i = 0; i <= sub; i++) {
        if (i < sub && s[i] != '.')
            continue;
        size_t len = i - start;
        if (len > t->longest_label) {
            t->longest_label = (uint8_t)(len < 255 ? len : 255);
            size_t c = len < 63 ? len : 63;
            memcpy(t->longest_label_text, s + start, c);
            t->longest_label_text[c] = '\0';
        }
        start = i + 1;
    }
}

static void names_tun_query(struct names *n, const struct dns_name *q,
                            const struct xm_addr *host, xm_time_t now)
{
    char low[DNS_NAME_MAX + 1];
    names_lower(low, q->s, q->len);
    int off = names_reg_offset(n, low, q->len);
    const char *dom = off < 0 ? low : low + off;
    struct names_tun *e = names_tun_get(n, host, dom, now);
    if (!e)
        return;
    e->t.queries++;
    e->t.last = now;
    /* No subdomain: the first label (of a name that is its own
     * registrable domain, e.g. under an unlisted TLD) is measured. */
    names_tun_labels(&e->t, q->s, off > 1 ? (size_t)off - 1 : q->first_label_len);
    if (off > 1) {                                  /* has a subdomain */
        size_t sub = (size_t)off - 1;
        if (sub > e->t.longest_subdomain)
            e->t.longest_subdomain = (uint8_t)sub;
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
    if (e)
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
    struct names_tkey k;
    names_tkey_of(&k, host, low);
    const struct names_tun *e = xm_tab_find(&n->ttab, &k);
    if (!e)
        return false;
    *out = e->t;
    out->unique_subdomains = names_hll_count(e->hll);
    out->entropy_mean = e->entropy_n ? e->entropy_sum / (double)e->entropy_n : 0;
    double span_min = (double)(e->t.last - e->t.window_start) / 60e6;
    out->queries_per_min = (double)e->t.queries / (span_min < 1 ? 1 : span_min);
    return true;
}
