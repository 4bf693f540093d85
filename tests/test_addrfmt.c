/*
 * test_addrfmt.c - the hand-written address text (xm_addr_str,
 * lib/common.c) is inet_ntop's, byte for byte: every IPv6 pattern of
 * zero and non-zero words (the "::" choice, ties, IPv4-compatible and
 * -mapped forms), word values of every hex length, random addresses,
 * IPv4 octets of every length, and every buffer length (too short gives
 * "", as before).
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "xm_common.h"
#include "xm_test.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static int failures;

/* xm_addr_str against inet_ntop at every buffer length 0..64. */
static void check_addr(const struct xm_addr *a)
{
    char want[64], got[64];
    int af = a->family == 6 ? AF_INET6 : AF_INET;
    for (size_t len = 0; len <= sizeof want; len++) {
        const char *w = inet_ntop(af, a->b, want, (socklen_t)len);
        memset(got, 'x', sizeof got);
        xm_addr_str(a, got, len);
        bool same = len == 0 || strcmp(got, w ? want : "") == 0;
        if (len == sizeof want) {       /* the length-returning form */
            char t[XM_ADDR_TEXT_MAX];
            size_t n = xm_addr_text(a, t);
            same = same && n == strlen(want) && strcmp(t, want) == 0;
        }
        if (!same && failures++ < 10)
            fprintf(stderr, "len %zu: got \"%s\", inet_ntop \"%s\"\n", len, got,
                    w ? want : "");
        CHECK(same);
    }
}

/* A word value of 1..4 hex digits (never 0). */
static unsigned word(void)
{
    static const unsigned masks[] = {0xf, 0xff, 0xfff, 0xffff};
    unsigned v = (unsigned)rng() & masks[rng() % 4];
    return v ? v : 1;
}

static void test_v6_patterns(void)
{
    struct xm_addr a;
    for (unsigned pat = 0; pat < 256; pat++)     /* bit i: word i non-zero */
        for (int rep = 0; rep < 8; rep++) {
            memset(&a, 0, sizeof a);
            a.family = 6;
            for (int i = 0; i < 8; i++) {
                unsigned v = (pat >> i) & 1 ? word() : 0;
                if (i == 5 && (pat >> i) & 1 && rep % 2)
                    v = 0xffff;                  /* IPv4-mapped candidates */
                a.b[2 * i] = (uint8_t)(v >> 8);
                a.b[2 * i + 1] = (uint8_t)v;
            }
            check_addr(&a);
        }
}

static void test_v6_random(void)
{
    struct xm_addr a;
    for (int i = 0; i < 20000; i++) {
        memset(&a, 0, sizeof a);
        a.family = 6;
        for (int j = 0; j < 16; j++)
            a.b[j] = rng() % 3 ? 0 : (uint8_t)rng();
        check_addr(&a);
    }
    memset(&a, 0, sizeof a);
    a.family = 6;
    check_addr(&a);                             /* :: */
    memset(a.b, 0xff, 16);
    check_addr(&a);                             /* the longest text */
}

static void test_v4(void)
{
    static const uint8_t octets[] = {0, 1, 9, 10, 99, 100, 199, 255};
    struct xm_addr a;
    memset(&a, 0, sizeof a);
    a.family = 4;
    for (size_t i = 0; i < 4096; i++) {
        for (int j = 0; j < 4; j++)
            a.b[j] = octets[(i >> (3 * j)) % 8];
        check_addr(&a);
    }
    for (int i = 0; i < 20000; i++) {
        for (int j = 0; j < 4; j++)
            a.b[j] = (uint8_t)rng();
        check_addr(&a);
    }
    char buf[8] = "x";
    a.family = 0;                               /* no address: "" */
    CHECK_STR(xm_addr_str(&a, buf, sizeof buf), "");
}

int main(void)
{
    test_v6_patterns();
    test_v6_random();
    test_v4();
    return xm_test_result();
}
