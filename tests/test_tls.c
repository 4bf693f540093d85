/*
 * test_tls.c - ClientHello parser (SNI, ALPN, versions, ECH) on
 * hand-built hellos, every truncation point, hellos spanning records,
 * and the first-flight reassembly pool (xm_reasm.h): 2 and 3 segments,
 * out of order, retransmissions with different bytes, overflow, LRU
 * eviction.
 */
#include <stdio.h>
#include <stdlib.h>

#include "app_build.h"
#include "xm_reasm.h"
#include "xm_tls.h"
#include "xm_test.h"

static const char alpn2[] = "\x02h2\x08http/1.1";

static enum tls_result parse_exact(const uint8_t *p, size_t n, struct tls_hello *h)
{
    uint8_t *copy = malloc(n ? n : 1);            /* exact size for ASan */
    memcpy(copy, p, n);
    enum tls_result r = tls_parse_client_hello(copy, n, h);
    free(copy);
    return r;
}

static void check_all_cuts(const struct bb *w, const char *what)
{
    struct tls_hello h;
    int bad = 0;
    for (size_t cut = 0; cut < w->n; cut++) {
        enum tls_result r = parse_exact(w->b, cut, &h);
        if (r != TLS_NEED_MORE) {
            fprintf(stderr, "%s: cut %zu -> %s\n", what, cut, tls_result_name(r));
            bad++;
        }
    }
    CHECK(bad == 0);
}

static void test_basic(void)
{
    struct bb w = {.n = 0};
    struct tls_hello h;
    bb_client_hello(&w, "api.Example.com", alpn2, sizeof alpn2 - 1, 0, 0);
    CHECK_EQ_U64(parse_exact(w.b, w.n, &h), TLS_OK);
    CHECK(h.has_sni);
    CHECK_STR(h.sni, "api.Example.com");
    CHECK_EQ_U64(h.sni_len, 15);
    CHECK(h.has_alpn);
    CHECK_STR(h.alpn, "h2,http/1.1");
    CHECK_EQ_U64(h.alpn_count, 2);
    CHECK_EQ_U64(h.record_version, 0x0301);
    CHECK_EQ_U64(h.legacy_version, 0x0303);
    CHECK_EQ_U64(h.max_version, 0x0304);
    CHECK(!h.has_ech);
    CHECK_EQ_U64(h.n_ext, 4);
    CHECK(tls_record_start(w.b, w.n));
    check_all_cuts(&w, "basic");
    /* a cut after the SNI extension keeps the SNI */
    CHECK_EQ_U64(parse_exact(w.b, w.n - 10, &h), TLS_NEED_MORE);
    CHECK(h.has_sni);
    CHECK_STR(h.sni, "api.Example.com");
}

static void test_ech_and_no_sni(void)
{
    struct bb w = {.n = 0};
    struct tls_hello h;
    bb_client_hello(&w, "public.example", NULL, 0, 0, 1);
    CHECK_EQ_U64(parse_exact(w.b, w.n, &h), TLS_OK);
    CHECK(h.has_ech);
    CHECK_STR(h.sni, "public.example");
    CHECK(!h.has_alpn);
    w.n = 0;
    bb_client_hello(&w, NULL, alpn2, sizeof alpn2 - 1, 0, 0);
    CHECK_EQ_U64(parse_exact(w.b, w.n, &h), TLS_OK);
    CHECK(!h.has_sni);
    CHECK_STR(h.sni, "");
    CHECK_STR(h.alpn, "h2,http/1.1");
}

/* Re-frames the handshake of one-record hello `in` as records of at most
 * `frag` octets. */
static void split_records(const struct bb *in, size_t frag, struct bb *out)
{
    const uint8_t *hs = in->b + 5;
    size_t left = in->n - 5;
    out->n = 0;
    while (left) {
        size_t n = left < frag ? left : frag;
        bb_u8(out, 22); bb_u16(out, 0x0303); bb_u16(out, (unsigned)n);
        bb_mem(out, hs, n);
        hs += n;
        left -= n;
    }
}

static void test_multi_record(void)
{
    struct bb one = {.n = 0}, w;
    struct tls_hello h;
    bb_client_hello(&one, "split.example.org", alpn2, sizeof alpn2 - 1, 600, 0);
    split_records(&one, 100, &w);
    CHECK(w.n > one.n + 5 * 5);
    CHECK_EQ_U64(parse_exact(w.b, w.n, &h), TLS_OK);
    CHECK_STR(h.sni, "split.example.org");
    CHECK_STR(h.alpn, "h2,http/1.1");
    check_all_cuts(&w, "multi-record");
    /* a record of another type in between ends the gathering */
    w.b[5 + 100] = 23;
    CHECK_EQ_U64(parse_exact(w.b, w.n, &h), TLS_NEED_MORE);
}

static void test_not_tls_and_invalid(void)
{
    struct tls_hello h;
    const char *get = "GET / HTTP/1.1\r\n\r\n";
    CHECK_EQ_U64(parse_exact((const uint8_t *)get, strlen(get), &h), TLS_NOT_TLS);
    CHECK(!tls_record_start((const uint8_t *)get, strlen(get)));
    struct bb w = {.n = 0};
    bb_client_hello(&w, "x.example", NULL, 0, 0, 0);
    struct bb v = w;
    v.b[0] = 23;                                  /* application data */
    CHECK_EQ_U64(parse_exact(v.b, v.n, &h), TLS_NOT_TLS);
    v = w;
    v.b[5] = 2;                                   /* ServerHello */
    CHECK_EQ_U64(parse_exact(v.b, v.n, &h), TLS_NOT_TLS);
    v = w;
    v.b[5 + 4 + 2 + 32] = 33;                     /* session id > 32 */
    CHECK_EQ_U64(parse_exact(v.b, v.n, &h), TLS_INVALID);
    v = w;
    bb_set16(&v, 3, 0);                           /* empty record */
    CHECK_EQ_U64(parse_exact(v.b, v.n, &h), TLS_INVALID);
    /* server_name list length larger than the extension */
    v = w;
    size_t at = 5 + 4 + 2 + 32 + 33 + 6 + 2 + 2 + 4 + 4;   /* SNI ext body */
    CHECK_EQ_U64(v.b[at - 4], 0);
    bb_set16(&v, at, 200);
    CHECK_EQ_U64(parse_exact(v.b, v.n, &h), TLS_INVALID);
}

/* ---- reassembly ---- */

static void test_reasm_segments(void)
{
    struct reasm_pool *rp = reasm_new(2, 16384);
    struct bb w = {.n = 0};
    struct tls_hello h;
    bb_client_hello(&w, "three.segments.example", alpn2, sizeof alpn2 - 1, 3000, 0);
    const uint32_t isn = 0xFFFFFF00u;            /* wraps inside the hello */
    size_t a = 1200, b = 2400;
    /* two segments */
    uint32_t id = reasm_open(rp, 7, isn);
    CHECK_EQ_U64(reasm_add(rp, id, 7, isn, w.b, a), REASM_OK);
    size_t len;
    const uint8_t *d = reasm_data(rp, id, 7, &len);
    CHECK_EQ_U64(len, a);
    CHECK_EQ_U64(tls_parse_client_hello(d, len, &h), TLS_NEED_MORE);
    CHECK_EQ_U64(reasm_add(rp, id, 7, isn + (uint32_t)a, w.b + a, w.n - a), REASM_OK);
    d = reasm_data(rp, id, 7, &len);
    CHECK_EQ_U64(len, w.n);
    CHECK_EQ_U64(tls_parse_client_hello(d, len, &h), TLS_OK);
    CHECK_STR(h.sni, "three.segments.example");
    reasm_close(rp, id, 7);
    /* three segments, third before second, first retransmitted with
     * different bytes (first copy wins) */
    id = reasm_open(rp, 8, isn);
    reasm_add(rp, id, 8, isn, w.b, a);
    reasm_add(rp, id, 8, isn + (uint32_t)b, w.b + b, w.n - b);
    d = reasm_data(rp, id, 8, &len);
    CHECK_EQ_U64(len, a);
    uint8_t junk[1200];
    memset(junk, 0x41, sizeof junk);
    reasm_add(rp, id, 8, isn, junk, sizeof junk);
    reasm_add(rp, id, 8, isn + (uint32_t)a, w.b + a, b - a);
    d = reasm_data(rp, id, 8, &len);
    CHECK_EQ_U64(len, w.n);
    CHECK(memcmp(d, w.b, w.n) == 0);
    CHECK_EQ_U64(tls_parse_client_hello(d, len, &h), TLS_OK);
    CHECK_STR(h.sni, "three.segments.example");
    const struct reasm_stats *st = reasm_stats(rp);
    CHECK_EQ_U64(st->out_of_order, 1);
    CHECK_EQ_U64(st->retrans_bytes, sizeof junk);
    /* overlapping segment straddling the end of the prefix */
    reasm_add(rp, id, 8, isn + 10, w.b + 10, 20);
    CHECK_EQ_U64(st->retrans_bytes, sizeof junk + 20);
    /* a segment starting before the base is trimmed */
    reasm_add(rp, id, 8, isn - 5, junk, 10);
    CHECK_EQ_U64(st->retrans_bytes, sizeof junk + 20 + 10);
    reasm_close(rp, id, 8);
    reasm_free(rp);
}

static void test_reasm_bounds(void)
{
    struct reasm_pool *rp = reasm_new(2, 100);
    uint8_t data[150];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    uint32_t id = reasm_open(rp, 1, 1000);
    CHECK_EQ_U64(reasm_add(rp, id, 1, 1000, data, 150), REASM_FULL);
    size_t len;
    const uint8_t *d = reasm_data(rp, id, 1, &len);
    CHECK_EQ_U64(len, 100);
    CHECK_EQ_U64(d[99], 99);
    CHECK_EQ_U64(reasm_stats(rp)->overflow_bytes, 50);
    CHECK_EQ_U64(reasm_add(rp, id, 1, 1200, data, 10), REASM_FULL);
    /* pending range list fills up: the fifth gap segment is dropped */
    uint32_t id2 = reasm_open(rp, 2, 0);
    for (uint32_t i = 0; i < 5; i++)
        reasm_add(rp, id2, 2, 10 + 10 * i * 2, data, 5);
    CHECK_EQ_U64(reasm_stats(rp)->ranges_dropped, 1);
    /* LRU eviction: slot 1 (owner 1) is older than owner 2 */
    uint32_t id3 = reasm_open(rp, 3, 0);
    CHECK_EQ_U64(id3, id);
    CHECK_EQ_U64(reasm_stats(rp)->evicted, 1);
    CHECK_EQ_U64(reasm_add(rp, id, 1, 1100, data, 1), REASM_STALE);
    CHECK(reasm_data(rp, id, 1, &len) == NULL);
    CHECK_EQ_U64(len, 0);
    reasm_close(rp, id, 1);                       /* stale close is a no-op */
    CHECK_EQ_U64(reasm_stats(rp)->closed, 0);
    reasm_close(rp, id3, 3);
    reasm_close(rp, id2, 2);
    CHECK_EQ_U64(reasm_stats(rp)->closed, 2);
    CHECK(reasm_new(0, 10) == NULL);
    reasm_free(rp);
}

/* ServerHello (RFC 8446 4.1.3): legacy 0x0303, then supported_versions
 * 0x0304 when ext is set; cut at n bytes. */
static size_t server_hello(uint8_t *b, bool ext)
{
    size_t n = 0;
    size_t body = 2 + 32 + 1 + 2 + 1 + (ext ? 2 + 6 : 0);
    uint8_t rec[] = {22, 3, 3, 0, (uint8_t)(body + 4), 2, 0, 0, (uint8_t)body, 3, 3};
    memcpy(b, rec, sizeof rec);
    n = sizeof rec;
    memset(b + n, 0x5a, 32);
    n += 32;
    uint8_t tail[] = {0, 0x13, 0x01, 0};
    memcpy(b + n, tail, sizeof tail);
    n += sizeof tail;
    if (ext) {
        uint8_t e[] = {0, 6, 0, 43, 0, 2, 3, 4};
        memcpy(b + n, e, sizeof e);
        n += sizeof e;
    }
    return n;
}

static void test_server_hello(void)
{
    uint8_t b[128];
    uint16_t v = 1;
    char buf[8];
    size_t n = server_hello(b, true);
    CHECK_EQ_U64(tls_parse_server_hello(b, n, &v), TLS_OK);
    CHECK_STR(tls_version_name(v, buf, sizeof buf), "TLS 1.3");
    n = server_hello(b, false);
    CHECK_EQ_U64(tls_parse_server_hello(b, n, &v), TLS_OK);
    CHECK_STR(tls_version_name(v, buf, sizeof buf), "TLS 1.2");
    for (size_t cut = 0; cut < n; cut++) {       /* every cut is "need more" */
        CHECK_EQ_U64(tls_parse_server_hello(b, cut, &v), TLS_NEED_MORE);
        CHECK_EQ_U64(v, 0);
    }
    b[5] = 1;                                    /* a ClientHello is not one */
    CHECK_EQ_U64(tls_parse_server_hello(b, n, &v), TLS_NOT_TLS);
    b[5] = 2;
    b[0] = 23;                                   /* application data */
    CHECK_EQ_U64(tls_parse_server_hello(b, n, &v), TLS_NOT_TLS);
    b[0] = 22;
    b[9 + 2 + 32] = 33;                          /* session id longer than 32 */
    CHECK_EQ_U64(tls_parse_server_hello(b, n, &v), TLS_INVALID);
    CHECK_STR(tls_version_name(0x7f1c, buf, sizeof buf), "0x7f1c");
    CHECK_STR(tls_version_name(0x0300, buf, sizeof buf), "SSLv3");
}

int main(void)
{
    test_server_hello();
    test_basic();
    test_ech_and_no_sni();
    test_multi_record();
    test_not_tls_and_invalid();
    test_reasm_segments();
    test_reasm_bounds();
    return xm_test_result();
}
