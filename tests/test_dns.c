/*
 * test_dns.c - DNS message parser on hand-built messages: queries,
 * responses with compression pointers and CNAME/A/AAAA/TXT answers,
 * every truncation point, malformed pointers and labels, DNS over TCP.
 */
#include <stdio.h>
#include <stdlib.h>

#include "app_build.h"
#include "xm_dns.h"
#include "xm_test.h"

static struct dns_msg m;

/* Every strict prefix must come back TRUNCATED (never OK/INVALID). */
static void check_all_cuts(const struct bb *w, const char *what)
{
    int bad = 0;
    for (size_t cut = 0; cut < w->n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);   /* exact size for ASan */
        memcpy(copy, w->b, cut);
        enum dns_result r = dns_parse(copy, cut, &m);
        if (r != DNS_TRUNCATED) {
            fprintf(stderr, "%s: cut at %zu gave %s\n", what, cut, dns_result_name(r));
            bad++;
        }
        free(copy);
    }
    CHECK(bad == 0);
}

static void build_query(struct bb *w)
{
    w->n = 0;
    bb_dns_header(w, 0x1234, 0x0100, 1, 0, 0, 0);
    bb_dname(w, "www.Example.com");
    bb_u16(w, DNS_T_A); bb_u16(w, 1);
}

static void test_query(void)
{
    struct bb w;
    build_query(&w);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_OK);
    CHECK_EQ_U64(m.id, 0x1234);
    CHECK(!m.is_response);
    CHECK_EQ_U64(m.n_q, 1);
    CHECK_STR(m.q[0].name.s, "www.Example.com");
    CHECK_EQ_U64(m.q[0].name.len, 15);
    CHECK_EQ_U64(m.q[0].name.labels, 3);
    CHECK_EQ_U64(m.q[0].name.first_label_len, 3);
    CHECK_EQ_U64(m.q[0].qtype, DNS_T_A);
    CHECK_EQ_U64(m.consumed, w.n);
    CHECK(dns_header_plausible(w.b, w.n));
    check_all_cuts(&w, "query");
}

/*
 * Response: q "example.com" A; an: example.com CNAME cdn.<ptr example.com>
 * (compressed target), cdn.example.com A 192.0.2.7 ttl 300, AAAA, TXT.
 */
static void build_response(struct bb *w)
{
    w->n = 0;
    bb_dns_header(w, 0xBEEF, 0x8180, 1, 4, 0, 0);
    size_t qname = w->n;                  /* 12 */
    bb_dname(w, "example.com");
    bb_u16(w, DNS_T_A); bb_u16(w, 1);
    /* example.com CNAME cdn.example.com */
    bb_u16(w, 0xC000 | (unsigned)qname); bb_u16(w, DNS_T_CNAME); bb_u16(w, 1);
    bb_u32(w, 60); bb_u16(w, 6);
    size_t cdn = w->n;
    bb_u8(w, 3); bb_str(w, "cdn"); bb_u16(w, 0xC000 | (unsigned)qname);
    /* cdn.example.com A */
    bb_u16(w, 0xC000 | (unsigned)cdn); bb_u16(w, DNS_T_A); bb_u16(w, 1);
    bb_u32(w, 300); bb_u16(w, 4); bb_u32(w, 0xC0000207);
    /* cdn.example.com AAAA 2001:db8::7, TTL with the top bit set */
    bb_u16(w, 0xC000 | (unsigned)cdn); bb_u16(w, DNS_T_AAAA); bb_u16(w, 1);
    bb_u32(w, 0x80000010); bb_u16(w, 16);
    bb_u32(w, 0x20010db8); bb_u32(w, 0); bb_u32(w, 0); bb_u32(w, 7);
    /* example.com TXT "hello" "world!" */
    bb_u16(w, 0xC000 | (unsigned)qname); bb_u16(w, DNS_T_TXT); bb_u16(w, 1);
    bb_u32(w, 30); bb_u16(w, 13);
    bb_u8(w, 5); bb_str(w, "hello"); bb_u8(w, 6); bb_str(w, "world!");
}

static void test_response(void)
{
    struct bb w;
    build_response(&w);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_OK);
    CHECK(m.is_response);
    CHECK_EQ_U64(m.rcode, 0);
    CHECK_EQ_U64(m.n_an, 4);
    CHECK_STR(m.an[0].name.s, "example.com");
    CHECK_EQ_U64(m.an[0].type, DNS_T_CNAME);
    CHECK_STR(m.an[0].target.s, "cdn.example.com");
    CHECK_STR(m.an[1].name.s, "cdn.example.com");
    CHECK_EQ_U64(m.an[1].ttl, 300);
    CHECK_EQ_U64(m.an[1].addr.family, 4);
    CHECK_EQ_U64(m.an[1].addr.b[0], 192);
    CHECK_EQ_U64(m.an[1].addr.b[3], 7);
    CHECK_EQ_U64(m.an[2].addr.family, 6);
    CHECK_EQ_U64(m.an[2].addr.b[15], 7);
    CHECK_EQ_U64(m.an[2].ttl, 0);                 /* RFC 2181 8 */
    CHECK_EQ_U64(m.an[3].txt_bytes, 11);
    CHECK_EQ_U64(m.txt_bytes, 11);
    CHECK_EQ_U64(m.consumed, w.n);
    CHECK(dns_header_plausible(w.b, w.n));
    check_all_cuts(&w, "response");
    /* a cut inside the answers still leaves the question */
    CHECK_EQ_U64(dns_parse(w.b, 40, &m), DNS_TRUNCATED);
    CHECK_EQ_U64(m.n_q, 1);
    CHECK_STR(m.q[0].name.s, "example.com");
}

static void test_invalid_names(void)
{
    struct bb w;
    /* pointer to itself */
    w.n = 0;
    bb_dns_header(&w, 1, 0x0100, 1, 0, 0, 0);
    bb_u16(&w, 0xC000 | 12); bb_u16(&w, 1); bb_u16(&w, 1);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_INVALID);
    /* forward pointer */
    w.n = 0;
    bb_dns_header(&w, 1, 0x0100, 1, 0, 0, 0);
    bb_u16(&w, 0xC000 | 20); bb_u16(&w, 1); bb_u16(&w, 1);
    bb_fill(&w, 0, 8);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_INVALID);
    /* two labels pointing at each other: a -> ptr(b), b -> ptr(a) */
    w.n = 0;
    bb_dns_header(&w, 1, 0x0100, 1, 0, 0, 0);
    bb_u8(&w, 1); bb_str(&w, "a"); bb_u16(&w, 0xC000 | 12);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_INVALID);
    /* extended label type 0x40 */
    w.n = 0;
    bb_dns_header(&w, 1, 0x0100, 1, 0, 0, 0);
    bb_u8(&w, 0x41); bb_str(&w, "x"); bb_u8(&w, 0); bb_u16(&w, 1); bb_u16(&w, 1);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_INVALID);
    /* name longer than 255 octets: 5 labels of 63 */
    w.n = 0;
    bb_dns_header(&w, 1, 0x0100, 1, 0, 0, 0);
    for (int i = 0; i < 5; i++) {
        bb_u8(&w, 63);
        bb_fill(&w, 'a', 63);
    }
    bb_u8(&w, 0); bb_u16(&w, 1); bb_u16(&w, 1);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_INVALID);
    /* exactly 253 text characters is fine: 63.63.63.61 */
    w.n = 0;
    bb_dns_header(&w, 1, 0x0100, 1, 0, 0, 0);
    for (int i = 0; i < 3; i++) {
        bb_u8(&w, 63);
        bb_fill(&w, 'b', 63);
    }
    bb_u8(&w, 61); bb_fill(&w, 'c', 61);
    bb_u8(&w, 0); bb_u16(&w, 1); bb_u16(&w, 1);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_OK);
    CHECK_EQ_U64(m.q[0].name.len, 253);
    CHECK_EQ_U64(m.q[0].name.first_label_len, 63);
}

static void test_jump_bound(void)
{
    /* rdata of a type-99 answer holds 20 pointers: ptr_0 -> offset 12
     * (the root question name), ptr_k -> ptr_(k-1).  An owner name that
     * points at ptr_k takes k + 2 jumps. */
    struct bb v;
    v.n = 0;
    bb_dns_header(&v, 1, 0x8180, 1, 2, 0, 0);
    bb_u8(&v, 0); bb_u16(&v, 1); bb_u16(&v, 1);
    /* first answer: type 99 whose rdata is the pointer chain */
    bb_u8(&v, 0); bb_u16(&v, 99); bb_u16(&v, 1); bb_u32(&v, 5); bb_u16(&v, 40);
    size_t base = v.n;
    for (int i = 0; i < 20; i++)
        bb_u16(&v, 0xC000 | (unsigned)(i ? base + 2 * (size_t)(i - 1) : 12));
    struct bb v2 = v;
    bb_u16(&v, 0xC000 | (unsigned)(base + 2 * (DNS_MAX_JUMPS - 2)));  /* 16 jumps */
    bb_u16(&v, 1); bb_u16(&v, 1); bb_u32(&v, 5); bb_u16(&v, 4); bb_u32(&v, 0x01020304);
    CHECK_EQ_U64(dns_parse(v.b, v.n, &m), DNS_OK);
    CHECK_EQ_U64(m.n_an, 2);
    CHECK_STR(m.an[1].name.s, "");
    bb_u16(&v2, 0xC000 | (unsigned)(base + 2 * (DNS_MAX_JUMPS - 1))); /* 17 jumps */
    bb_u16(&v2, 1); bb_u16(&v2, 1); bb_u32(&v2, 5); bb_u16(&v2, 4); bb_u32(&v2, 0x01020304);
    CHECK_EQ_U64(dns_parse(v2.b, v2.n, &m), DNS_INVALID);
}

static void test_bad_rdata(void)
{
    struct bb w;
    w.n = 0;
    bb_dns_header(&w, 1, 0x8180, 0, 1, 0, 0);
    bb_dname(&w, "a.b");
    bb_u16(&w, DNS_T_A); bb_u16(&w, 1); bb_u32(&w, 5); bb_u16(&w, 5);
    bb_fill(&w, 1, 5);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_INVALID);
    /* TXT string running past rdata */
    w.n = 0;
    bb_dns_header(&w, 1, 0x8180, 0, 1, 0, 0);
    bb_dname(&w, "a.b");
    bb_u16(&w, DNS_T_TXT); bb_u16(&w, 1); bb_u32(&w, 5); bb_u16(&w, 3);
    bb_u8(&w, 9); bb_str(&w, "ab");
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_INVALID);
    /* CNAME target running past rdata */
    w.n = 0;
    bb_dns_header(&w, 1, 0x8180, 0, 1, 0, 0);
    bb_dname(&w, "a.b");
    bb_u16(&w, DNS_T_CNAME); bb_u16(&w, 1); bb_u32(&w, 5); bb_u16(&w, 2);
    bb_dname(&w, "xy.z");
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_INVALID);
    /* odd bytes in a label become '?' */
    w.n = 0;
    bb_dns_header(&w, 1, 0x0100, 1, 0, 0, 0);
    bb_u8(&w, 3); bb_u8(&w, 'a'); bb_u8(&w, '.'); bb_u8(&w, 0xff); bb_u8(&w, 0);
    bb_u16(&w, 1); bb_u16(&w, 1);
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_OK);
    CHECK_STR(m.q[0].name.s, "a??");
}

static void test_many_answers(void)
{
    struct bb w;
    w.n = 0;
    bb_dns_header(&w, 1, 0x8180, 1, 40, 0, 0);
    bb_dname(&w, "many.example");
    bb_u16(&w, 1); bb_u16(&w, 1);
    for (int i = 0; i < 40; i++) {
        bb_u16(&w, 0xC00C); bb_u16(&w, 1); bb_u16(&w, 1); bb_u32(&w, 60); bb_u16(&w, 4);
        bb_u32(&w, 0x0A000000u + (uint32_t)i);
    }
    CHECK_EQ_U64(dns_parse(w.b, w.n, &m), DNS_OK);
    CHECK_EQ_U64(m.n_an, DNS_MAX_AN);
    CHECK_EQ_U64(m.an_parsed, 40);
    CHECK_EQ_U64(m.an[31].addr.b[3], 31);
    CHECK(dns_header_plausible(w.b, w.n));
}

static void test_tcp(void)
{
    struct bb q, w;
    build_query(&q);
    w.n = 0;
    bb_u16(&w, (unsigned)q.n); bb_mem(&w, q.b, q.n);
    bb_u16(&w, (unsigned)q.n); bb_mem(&w, q.b, q.n);
    size_t mlen = 0;
    CHECK_EQ_U64(dns_parse_tcp(w.b, w.n, &m, &mlen), DNS_OK);
    CHECK_EQ_U64(mlen, q.n);
    CHECK_STR(m.q[0].name.s, "www.Example.com");
    CHECK_EQ_U64(dns_parse_tcp(w.b + 2 + mlen, w.n - 2 - mlen, &m, &mlen), DNS_OK);
    CHECK_EQ_U64(dns_parse_tcp(w.b, 1, &m, &mlen), DNS_TRUNCATED);
    CHECK_EQ_U64(mlen, 0);
    CHECK_EQ_U64(dns_parse_tcp(w.b, 10, &m, &mlen), DNS_TRUNCATED);
    CHECK_EQ_U64(mlen, q.n);
    /* length prefix shorter than the message: the message is cut */
    bb_set16(&w, 0, 20);
    CHECK_EQ_U64(dns_parse_tcp(w.b, w.n, &m, &mlen), DNS_TRUNCATED);
}

static void test_plausible(void)
{
    struct bb w;
    build_query(&w);
    w.b[2] |= 0x08;                       /* opcode 1 */
    CHECK(!dns_header_plausible(w.b, w.n));
    build_query(&w);
    bb_set16(&w, 4, 2);                   /* qdcount 2 */
    CHECK(!dns_header_plausible(w.b, w.n));
    build_query(&w);
    bb_set16(&w, 6, 1);                   /* query with an answer */
    CHECK(!dns_header_plausible(w.b, w.n));
    CHECK(!dns_header_plausible(w.b, 12));
    CHECK(!dns_header_plausible(NULL, 0));
}

int main(void)
{
    test_query();
    test_response();
    test_invalid_names();
    test_jump_bound();
    test_bad_rdata();
    test_many_answers();
    test_tcp();
    test_plausible();
    return xm_test_result();
}
