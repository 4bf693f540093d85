/*
 * fuzz_dns.c - libFuzzer target for the DNS parser (analysis/app/dns.c) and
 * what learns from it (analysis/intel/names.c).
 *
 * Input: byte 0 bit 0 selects UDP framing (dns_parse) or TCP framing
 * (dns_parse_tcp, every length-prefixed message in turn); the rest is
 * the payload, copied to an exact-size buffer so ASan sees any over-read.
 * Parsed messages are fed to one names table (small caps, so eviction
 * paths run) created on first use.  Invariants are asserted with abort().
 */
#include "xm_dns.h"
#include "xm_names.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_msg msg;
static struct names *names;
static struct regdom *rd;

static void check(const struct dns_msg *m, size_t len)
{
    if (m->n_q > DNS_MAX_Q || m->n_an > DNS_MAX_AN || m->consumed > len)
        abort();
    for (unsigned i = 0; i < m->n_q; i++)
        if (strlen(m->q[i].name.s) != m->q[i].name.len || m->q[i].name.len > DNS_NAME_MAX)
            abort();
    for (unsigned i = 0; i < m->n_an; i++)
        if (strlen(m->an[i].name.s) != m->an[i].name.len ||
            strlen(m->an[i].target.s) > DNS_NAME_MAX)
            abort();
}

static void learn(enum dns_result r, size_t len)
{
    check(&msg, len);
    if (r == DNS_INVALID || !names)
        return;
    struct xm_addr host = {.b = {10, 0, 0, 1}, .family = 4};
    names_learn_dns(names, &msg, &host, XM_SEC(1000));
    uint32_t q, c;
    for (unsigned i = 0; i < msg.n_an; i++)
        if (names_lookup_addr(names, &msg.an[i].addr, XM_SEC(1000), &q, &c) == NAMES_HIT &&
            !names_str(names, q))
            abort();
}

static void setup(void)
{
    struct names_limits l;
    names_limits_default(&l);
    l.max_names = 64;
    l.max_addrs = 32;
    l.max_tunnel = 16;
    rd = regdom_open(NULL);
    names = rd ? names_new(&l, rd, 1) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!rd)
        setup();
    size_t n = size - 1;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, n);
    if (!(data[0] & 1)) {
        dns_header_plausible(buf, n);
        learn(dns_parse(buf, n, &msg), n);
    } else {
        size_t off = 0, mlen = 0;
        while (off + 2 <= n) {
            enum dns_result r = dns_parse_tcp(buf + off, n - off, &msg, &mlen);
            learn(r, n - off);
            off += 2 + mlen;
        }
    }
    free(buf);
    return 0;
}
