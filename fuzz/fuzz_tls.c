/*
 * fuzz_tls.c - libFuzzer target for the ClientHello parser
 * (analysis/app/tls.c) and the first-flight reassembly (analysis/app/reasm.c).
 *
 * Input: byte 0 is a split point selector; the rest is the client byte
 * stream.  The stream is parsed whole, then fed to a reassembly slot as
 * two segments in reverse order (second half first) with an overlapping
 * retransmission, and the reassembled bytes are parsed again: both
 * parses must agree when the reassembly is complete.  The bytes are also
 * parsed as a server's first flight (ServerHello, analysis/app/tls_server.c).  Exact-size copies
 * let ASan see over-reads.  Invariants are asserted with abort().
 */
#include "xm_reasm.h"
#include "xm_tls.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct reasm_pool *pool;

static void check(const struct tls_hello *h)
{
    if (strlen(h->sni) != h->sni_len || h->sni_len > TLS_SNI_MAX ||
        strlen(h->alpn) > TLS_ALPN_TEXT_MAX || (h->has_sni && h->sni_len == 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!pool)
        pool = reasm_new(1, 20000);
    size_t n = size - 1;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf || !pool) {
        free(buf);
        return 0;
    }
    memcpy(buf, data + 1, n);
    struct tls_hello h1, h2;
    enum tls_result r1 = tls_parse_client_hello(buf, n, &h1);
    check(&h1);
    uint16_t v = 1;                   /* the same bytes as a server's first flight */
    enum tls_result rs = tls_parse_server_hello(buf, n, &v);
    char vb[8];
    if ((rs != TLS_OK && v != 0) || strlen(tls_version_name(v, vb, sizeof vb)) > 7)
        abort();
    if (n > 20000) {                  /* larger than the slot: parse only */
        free(buf);
        return 0;
    }
    size_t cut = n ? (data[0] * n) / 256 : 0;
    uint32_t base = 0xFFFFFF80u;
    uint32_t id = reasm_open(pool, 1, base);
    reasm_add(pool, id, 1, base + (uint32_t)cut, buf + cut, n - cut);
    reasm_add(pool, id, 1, base, buf, cut);
    reasm_add(pool, id, 1, base + (uint32_t)(cut / 2), buf + cut / 2, n - cut / 2);
    size_t len = 0;
    const uint8_t *d = reasm_data(pool, id, 1, &len);
    if (!d || len != n || memcmp(d, buf, n) != 0)
        abort();
    enum tls_result r2 = tls_parse_client_hello(d, len, &h2);
    check(&h2);
    if (r1 != r2 || strcmp(h1.sni, h2.sni) != 0)
        abort();
    reasm_close(pool, id, 1);
    free(buf);
    return 0;
}
