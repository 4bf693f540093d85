/*
 * test_names.c - intern table, registrable domains (libpsl), the
 * address-to-name cache (TTL in packet time, CNAME chains, eviction)
 * and DNS-tunnel statistics.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "app_build.h"
#include "xm_names.h"
#include "xm_test.h"

static struct dns_msg m;
static struct regdom *rd;

static struct xm_addr addr(const char *s)
{
    struct xm_addr a;
    xm_addr_parse(s, &a);
    return a;
}

/* Response for qname: CNAME chain names[0] -> names[1] -> ... then an A
 * record for the last name.  ttls[i] for each record. */
static void learn_chain(struct names *n, const char *const *chain, int len,
                        const uint32_t *ttls, uint32_t ip, xm_time_t now,
                        const struct xm_addr *client)
{
    struct bb w = {.n = 0};
    bb_dns_header(&w, 7, 0x8180, 1, (unsigned)len, 0, 0);
    bb_dname(&w, chain[0]);
    bb_u16(&w, DNS_T_A); bb_u16(&w, 1);
    for (int i = 0; i + 1 < len; i++) {
        bb_dname(&w, chain[i]);
        bb_u16(&w, DNS_T_CNAME); bb_u16(&w, 1); bb_u32(&w, ttls[i]);
        size_t at = w.n;
        bb_u16(&w, 0);
        bb_dname(&w, chain[i + 1]);
        bb_set16(&w, at, (unsigned)(w.n - at - 2));
    }
    bb_dname(&w, chain[len - 1]);
    bb_u16(&w, DNS_T_A); bb_u16(&w, 1); bb_u32(&w, ttls[len - 1]); bb_u16(&w, 4);
    bb_u32(&w, ip);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_OK);
    names_learn_dns(n, &m, client, now);
}

static struct names *new_names(uint32_t max_names, uint32_t max_addrs, uint32_t max_tun)
{
    struct names_limits l;
    names_limits_default(&l);
    l.max_names = max_names;
    l.max_addrs = max_addrs;
    l.max_tunnel = max_tun;
    return names_new(&l, rd, 12345);
}

static void test_src_text(void)
{
    CHECK_STR(names_src_str(NAME_NONE), "none");
    CHECK_STR(names_src_str(NAME_SNI), "sni");
    CHECK_STR(names_src_str(NAME_HTTP_HOST), "http_host");
    CHECK_STR(names_src_str(NAME_DNS), "dns");
    CHECK_STR(names_src_str(NAME_QUIC_SNI), "quic_sni");
}

static void test_regdom(void)
{
    CHECK_EQ_U64(regdom_offset(rd, "a.b.example.co.uk"), 4);
    CHECK_EQ_U64(regdom_offset(rd, "models.litellm.cloud"), 7);
    CHECK_EQ_U64(regdom_offset(rd, "x.trycloudflare.com"), 0);  /* private PSL section */
    CHECK_EQ_U64(regdom_offset(rd, "co.uk"), (uint64_t)-1);
    CHECK_EQ_U64(regdom_offset(rd, "83.142.209.203"), (uint64_t)-1);
    CHECK_EQ_U64(regdom_offset(rd, ""), (uint64_t)-1);
}

static void test_reg_offset(void)
{
    struct names *n = new_names(16, 16, 4);
    char a[] = "x1.sub.example.co.uk", b[] = "x2.sub.example.co.uk";
    CHECK_EQ_U64(names_reg_offset(n, a, strlen(a)), 7);
    CHECK_EQ_U64(names_reg_offset(n, b, strlen(b)), 7);
    CHECK_EQ_U64(names_stats(n)->psl_cache_hits, 1);
    char c[] = "example.co.uk", d[] = "other.co.uk", e[] = "localhost";
    CHECK_EQ_U64(names_reg_offset(n, c, strlen(c)), 0);
    CHECK_EQ_U64(names_reg_offset(n, d, strlen(d)), 0);   /* not cached: domain = name */
    CHECK_EQ_U64(names_stats(n)->psl_cache_hits, 1);
    CHECK_EQ_U64(names_reg_offset(n, e, strlen(e)), (uint64_t)-1);
    names_free(n);
}

static void test_intern(void)
{
    struct names *n = new_names(4, 8, 8);
    uint32_t a = names_intern(n, "WWW.Example.CO.UK", 17);
    uint32_t b = names_intern(n, "www.example.co.uk", 17);
    CHECK(a != 0);
    CHECK_EQ_U64(a, b);
    CHECK_STR(names_str(n, a), "www.example.co.uk");
    CHECK_STR(names_domain(n, a), "example.co.uk");
    uint32_t ip = names_intern(n, "10.1.2.3", 8);
    CHECK(names_domain(n, ip) == NULL);
    CHECK_EQ_U64(names_intern(n, "", 0), 0);
    CHECK(names_str(n, 0) == NULL);
    names_intern(n, "c.example", 9);
    names_intern(n, "d.example", 9);
    names_intern(n, "www.example.co.uk", 17);     /* touch: now most recent */
    uint32_t e = names_intern(n, "e.example", 9); /* evicts 10.1.2.3 (LRU) */
    CHECK(e != 0);
    CHECK(names_str(n, ip) == NULL);
    CHECK_STR(names_str(n, a), "www.example.co.uk");
    const struct names_stats *st = names_stats(n);
    CHECK_EQ_U64(st->interned, 5);
    CHECK_EQ_U64(st->intern_hits, 2);
    CHECK_EQ_U64(st->intern_evicted, 1);
    CHECK_EQ_U64(st->intern_rejected, 1);
    uint32_t ip2 = names_intern(n, "10.1.2.3", 8);
    CHECK(ip2 != ip);                              /* generation changed */
    CHECK(names_str(n, ip) == NULL);
    names_free(n);
}

static void test_ttl(void)
{
    struct names *n = new_names(64, 64, 8);
    struct xm_addr cli = addr("10.0.0.5"), srv = addr("192.0.2.9");
    const char *chain[] = {"api.example.com"};
    uint32_t ttl[] = {300};
    xm_time_t t0 = XM_SEC(1700000000) + 123456;
    learn_chain(n, chain, 1, ttl, 0xC0000209, t0, &cli);
    uint32_t q, c;
    CHECK_EQ_U64(names_lookup_addr(n, &srv, t0 + XM_SEC(300) - 1, &q, &c), NAMES_HIT);
    CHECK_STR(names_str(n, q), "api.example.com");
    CHECK_EQ_U64(q, c);
    CHECK_EQ_U64(names_lookup_addr(n, &srv, t0 + XM_SEC(300), &q, &c), NAMES_EXPIRED);
    CHECK_EQ_U64(q, 0);
    CHECK_EQ_U64(names_lookup_addr(n, &srv, t0 + XM_SEC(300), &q, &c), NAMES_MISS);
    const struct names_stats *st = names_stats(n);
    CHECK_EQ_U64(st->addr_hits, 1);
    CHECK_EQ_U64(st->addr_expired, 1);
    CHECK_EQ_U64(st->addr_misses, 1);
    /* a refreshed answer extends the lifetime (updated, not inserted) */
    learn_chain(n, chain, 1, ttl, 0xC0000209, t0, &cli);
    learn_chain(n, chain, 1, ttl, 0xC0000209, t0 + XM_SEC(200), &cli);
    CHECK_EQ_U64(names_lookup_addr(n, &srv, t0 + XM_SEC(450), &q, &c), NAMES_HIT);
    CHECK_EQ_U64(st->addr_inserted, 2);
    CHECK_EQ_U64(st->addr_updated, 1);
    /* TTL 0 is not cached */
    uint32_t zero[] = {0};
    const char *z[] = {"zero.example.com"};
    struct xm_addr za = addr("192.0.2.10");
    learn_chain(n, z, 1, zero, 0xC000020A, t0, &cli);
    CHECK_EQ_U64(names_lookup_addr(n, &za, t0, &q, &c), NAMES_MISS);
    names_free(n);
}

static void test_cname(void)
{
    struct names *n = new_names(64, 64, 8);
    struct xm_addr cli = addr("10.0.0.5"), srv = addr("203.0.113.4");
    const char *chain[] = {"WWW.Example.com", "a.cdn.example.net", "b.edge.example.org"};
    uint32_t ttl[] = {3600, 30, 300};
    xm_time_t t0 = XM_SEC(1000);
    learn_chain(n, chain, 3, ttl, 0xCB007104, t0, &cli);
    uint32_t q, c;
    CHECK_EQ_U64(names_lookup_addr(n, &srv, t0 + XM_SEC(29), &q, &c), NAMES_HIT);
    CHECK_STR(names_str(n, q), "www.example.com");
    CHECK_STR(names_str(n, c), "b.edge.example.org");
    CHECK_STR(names_domain(n, q), "example.com");
    /* the chain's smallest TTL (30 s) bounds the entry */
    CHECK_EQ_U64(names_lookup_addr(n, &srv, t0 + XM_SEC(30), &q, &c), NAMES_EXPIRED);
    /* a CNAME loop does not hang and is counted */
    struct bb w = {.n = 0};
    bb_dns_header(&w, 9, 0x8180, 1, 3, 0, 0);
    bb_dname(&w, "x.loop");
    bb_u16(&w, 1); bb_u16(&w, 1);
    bb_dname(&w, "x.loop"); bb_u16(&w, DNS_T_CNAME); bb_u16(&w, 1); bb_u32(&w, 60);
    bb_u16(&w, 8); bb_dname(&w, "y.loop");
    bb_dname(&w, "y.loop"); bb_u16(&w, DNS_T_CNAME); bb_u16(&w, 1); bb_u32(&w, 60);
    bb_u16(&w, 8); bb_dname(&w, "x.loop");
    bb_dname(&w, "x.loop"); bb_u16(&w, DNS_T_A); bb_u16(&w, 1); bb_u32(&w, 60);
    bb_u16(&w, 4); bb_u32(&w, 0x01010101);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_OK);
    names_learn_dns(n, &m, &cli, t0);
    CHECK_EQ_U64(names_stats(n)->cname_loops, 1);
    struct xm_addr one = addr("1.1.1.1");
    CHECK_EQ_U64(names_lookup_addr(n, &one, t0, &q, &c), NAMES_HIT);
    names_free(n);
}

static void test_addr_eviction(void)
{
    struct names *n = new_names(64, 2, 8);
    struct xm_addr cli = addr("10.0.0.5");
    const char *a[] = {"a.example"}, *b[] = {"b.example"}, *c[] = {"c.example"};
    uint32_t ttl[] = {600};
    learn_chain(n, a, 1, ttl, 0x0A000001, XM_SEC(1), &cli);
    learn_chain(n, b, 1, ttl, 0x0A000002, XM_SEC(2), &cli);
    learn_chain(n, c, 1, ttl, 0x0A000003, XM_SEC(3), &cli);
    const struct names_stats *st = names_stats(n);
    CHECK_EQ_U64(st->addr_inserted, 3);
    CHECK_EQ_U64(st->addr_evicted, 1);
    uint32_t q, cn;
    struct xm_addr a1 = addr("10.0.0.1"), a3 = addr("10.0.0.3");
    CHECK_EQ_U64(names_lookup_addr(n, &a1, XM_SEC(4), &q, &cn), NAMES_MISS);
    CHECK_EQ_U64(names_lookup_addr(n, &a3, XM_SEC(4), &q, &cn), NAMES_HIT);
    CHECK_STR(names_str(n, q), "c.example");
    names_free(n);
}

static void query(struct names *n, const char *qname, const struct xm_addr *host, xm_time_t t)
{
    struct bb w = {.n = 0};
    bb_dns_header(&w, 3, 0x0100, 1, 0, 0, 0);
    bb_dname(&w, qname);
    bb_u16(&w, DNS_T_TXT); bb_u16(&w, 1);
    CHECK(dns_parse(w.b, w.n, &m) == DNS_OK);
    names_learn_dns(n, &m, host, t);
}

static void test_tunnel(void)
{
    struct names *n = new_names(64, 64, 4);
    struct xm_addr h1 = addr("10.0.0.7"), h2 = addr("10.0.0.8");
    char q[300];
    xm_time_t t0 = XM_SEC(5000);
    for (int i = 0; i < 150; i++) {
        snprintf(q, sizeof q, "%08x%08x.t.Tunnel.example.com", (unsigned)i * 2654435761u,
                 (unsigned)i);
        query(n, q, &h1, t0 + XM_SEC(i));
    }
    query(n, "www.tunnel.example.com", &h2, t0);
    char longq[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.tunnel.example.com";
    query(n, longq, &h1, t0 + XM_SEC(150));
    /* a TXT answer of 200 octets to h1 */
    struct bb w = {.n = 0};
    bb_dns_header(&w, 3, 0x8180, 1, 1, 0, 0);
    bb_dname(&w, "x.tunnel.example.com");
    bb_u16(&w, DNS_T_TXT); bb_u16(&w, 1);
    bb_u16(&w, 0xC00C); bb_u16(&w, DNS_T_TXT); bb_u16(&w, 1); bb_u32(&w, 0); bb_u16(&w, 202);
    bb_u8(&w, 200); bb_fill(&w, 'Z', 200); bb_u8(&w, 0);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_OK);
    names_learn_dns(n, &m, &h1, t0 + XM_SEC(151));

    struct names_tunnel t;
    CHECK(names_tunnel_get(n, &h1, "Example.COM", &t));
    CHECK_STR(t.domain, "example.com");
    CHECK(!names_tunnel_get(n, &h1, "tunnel.example.com", &t));
    CHECK(names_tunnel_get(n, &h1, "example.com", &t));
    CHECK_EQ_U64(t.queries, 151);
    CHECK(t.unique_subdomains >= 135 && t.unique_subdomains <= 165);
    CHECK_EQ_U64(t.longest_label, 63);
    CHECK_EQ_U64(strlen(t.longest_label_text), 63);
    CHECK_EQ_U64(t.txt_bytes, 200);
    CHECK(t.entropy_max > 3.0 && t.entropy_max < 5.0);
    CHECK(t.entropy_mean > 2.5 && t.entropy_mean <= t.entropy_max);
    /* 151 queries over 150 s = 2.5 minutes */
    CHECK(fabs(t.queries_per_min - 151.0 / 2.5) < 0.01);
    CHECK(names_tunnel_get(n, &h2, "example.com", &t));
    CHECK_EQ_U64(t.queries, 1);
    CHECK_EQ_U64(t.unique_subdomains, 1);
    /* libpsl was consulted for few of the 152 queries + 1 answer */
    CHECK(names_stats(n)->psl_cache_hits >= 148);
    CHECK(names_stats(n)->psl_lookups <= 5);
    /* the window restarts a day later */
    query(n, "again.tunnel.example.com", &h1, t0 + XM_SEC(86400));
    CHECK(names_tunnel_get(n, &h1, "example.com", &t));
    CHECK_EQ_U64(t.queries, 1);
    CHECK_EQ_U64(names_stats(n)->tunnel_window_resets, 1);
    /* table of 4: the 5th (host, domain) evicts the least recent */
    query(n, "a.one.test", &h2, t0);
    query(n, "a.two.test", &h2, t0);
    query(n, "a.three.test", &h2, t0);
    CHECK_EQ_U64(names_stats(n)->tunnel_created, 5);
    CHECK_EQ_U64(names_stats(n)->tunnel_evicted, 1);
    CHECK(!names_tunnel_get(n, &h2, "example.com", &t));
    CHECK(names_tunnel_get(n, &h1, "example.com", &t));
    names_free(n);
}

static void test_hll_accuracy(void)
{
    struct names *n = new_names(64, 64, 4);
    struct xm_addr h = addr("10.9.9.9");
    char q[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(q, sizeof q, "s%d.big.example.net", i);
        query(n, q, &h, XM_SEC(1));
        query(n, q, &h, XM_SEC(1));            /* duplicates do not count */
    }
    struct names_tunnel t;
    CHECK(names_tunnel_get(n, &h, "example.net", &t));
    CHECK_EQ_U64(t.queries, 10000);
    CHECK(t.unique_subdomains > 4350 && t.unique_subdomains < 5650);  /* 2 sigma */
    names_free(n);
}

int main(void)
{
    rd = regdom_open(NULL);
    CHECK(rd != NULL);
    if (!rd)
        return xm_test_result();
    test_src_text();
    test_regdom();
    test_reg_offset();
    test_intern();
    test_ttl();
    test_cname();
    test_addr_eviction();
    test_tunnel();
    test_hll_accuracy();
    regdom_close(rd);
    return xm_test_result();
}
