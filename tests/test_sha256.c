/*
 * test_sha256.c - SHA-256 against the FIPS 180-4 / NIST CSRC example
 * vectors (SHA256.pdf: "abc", the 448-bit two-block message, one million
 * 'a'), the empty message, and split updates at every offset.
 */
#include "xm_test.h"

#include <stdlib.h>

#include "xm_sha256.h"

static void hex_of(const void *m, size_t n, char out[65])
{
    struct xm_sha256 c;
    uint8_t d[XM_SHA256_LEN];
    xm_sha256_init(&c);
    xm_sha256_update(&c, m, n);
    xm_sha256_final(&c, d);
    xm_sha256_hex(d, out);
}

static void test_vectors(void)
{
    char h[65];
    hex_of("abc", 3, h);
    CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("", 0, h);
    CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m2, strlen(m2), h);
    CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m4 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                     "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    hex_of(m4, strlen(m4), h);
    CHECK_STR(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    hex_of(a, 1000000, h);
    CHECK_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Any split of the input gives the same digest (buffering across blocks). */
static void test_splits(void)
{
    uint8_t msg[200], d1[XM_SHA256_LEN], d2[XM_SHA256_LEN];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    struct xm_sha256 c;
    xm_sha256_init(&c);
    xm_sha256_update(&c, msg, sizeof msg);
    xm_sha256_final(&c, d1);
    for (size_t cut = 0; cut <= sizeof msg; cut++) {
        xm_sha256_init(&c);
        xm_sha256_update(&c, msg, cut);
        xm_sha256_update(&c, msg + cut, sizeof msg - cut);
        xm_sha256_final(&c, d2);
        CHECK(memcmp(d1, d2, sizeof d1) == 0);
    }
}

int main(void)
{
    test_vectors();
    test_splits();
    return xm_test_result();
}
