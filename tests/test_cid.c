/* test_cid.c - SHA-1, base64 and Community ID v1 against published vectors. */
#include "xm_cid.h"
#include "xm_flow.h"
#include "xm_test.h"

static struct xm_addr A(const char *s)
{
    struct xm_addr a;
    xm_addr_parse(s, &a);
    return a;
}

static const char *cid(const char *s, const char *d, uint16_t sp, uint16_t dp,
                       uint8_t proto, uint16_t seed)
{
    static char out[XM_CID_LEN];
    struct xm_addr sa = A(s), da = A(d);
    if (cid_tuple(&sa, &da, sp, dp, proto, seed, out, sizeof out) != 0)
        return "(error)";
    return out;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    static const char x[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = x[d[i] >> 4];
        out[2 * i + 1] = x[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char *sha1_hex(const char *msg, size_t reps)
{
    static char out[41];
    struct xm_sha1 c;
    uint8_t d[XM_SHA1_LEN];
    xm_sha1_init(&c);
    for (size_t i = 0; i < reps; i++)
        xm_sha1_update(&c, msg, strlen(msg));
    xm_sha1_final(&c, d);
    hex(d, sizeof d, out);
    return out;
}

static void test_sha1(void)
{
    /* FIPS 180 examples. */
    CHECK_STR(sha1_hex("", 1), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK_STR(sha1_hex("abc", 1), "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK_STR(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK_STR(sha1_hex("a", 1000000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* The one-block form equals init/update/final at every length it takes
 * (0..55: the padding's length field moves into the last 8 bytes at 55)
 * on random bytes, matches the FIPS "abc" digest, and refuses 56. */
static void test_sha1_short(void)
{
    uint8_t msg[64], a[XM_SHA1_LEN], b[XM_SHA1_LEN];
    uint32_t x = 0x9e3779b9u;
    for (int round = 0; round < 50; round++)
        for (size_t len = 0; len <= XM_SHA1_SHORT_MAX; len++) {
            for (size_t i = 0; i < len; i++) {
                x = x * 1664525u + 1013904223u;
                msg[i] = (uint8_t)(x >> 24);
            }
            struct xm_sha1 c;
            xm_sha1_init(&c);
            xm_sha1_update(&c, msg, len);
            xm_sha1_final(&c, a);
            CHECK(xm_sha1_short(msg, len, b) == 0 && memcmp(a, b, sizeof a) == 0);
        }
    char out[48];
    CHECK(xm_sha1_short("abc", 3, b) == 0);
    hex(b, sizeof b, out);
    CHECK_STR(out, "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(xm_sha1_short(msg, XM_SHA1_SHORT_MAX + 1, b) == -1);
}

static void test_base64(void)
{
    char out[16];
    CHECK(xm_base64((const uint8_t *)"f", 1, out, sizeof out) == 4);
    CHECK_STR(out, "Zg==");
    xm_base64((const uint8_t *)"fo", 2, out, sizeof out);
    CHECK_STR(out, "Zm8=");
    xm_base64((const uint8_t *)"foobar", 6, out, sizeof out);
    CHECK_STR(out, "Zm9vYmFy");
    CHECK(xm_base64((const uint8_t *)"foobar", 6, out, 8) == -1);
}

static void test_vectors(void)
{
    /* Spec / Zeek / pycommunityid published values. */
    CHECK_STR(cid("128.232.110.120", "66.35.250.204", 34855, 80, 6, 0),
              "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    CHECK_STR(cid("66.35.250.204", "128.232.110.120", 80, 34855, 6, 0),
              "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    CHECK_STR(cid("1.2.3.4", "5.6.7.8", 1122, 3344, 6, 0), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    CHECK_STR(cid("5.6.7.8", "1.2.3.4", 3344, 1122, 6, 0), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    CHECK_STR(cid("1.2.3.4", "5.6.7.8", 1122, 3344, 17, 0), "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
    CHECK_STR(cid("1.2.3.4", "5.6.7.8", 8, 0, 1, 0), "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
    CHECK_STR(cid("5.6.7.8", "1.2.3.4", 0, 0, 1, 0), "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
    CHECK_STR(cid("fe80:1:203:405:607:809:a0b:c0d", "fe80:1011:1213:1415:1617:1819:1a1b:1c1d",
                  128, 0, 58, 0), "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
    CHECK_STR(cid("fe80:1011:1213:1415:1617:1819:1a1b:1c1d", "fe80:1:203:405:607:809:a0b:c0d",
                  129, 0, 58, 0), "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
    CHECK_STR(cid("1.2.3.4", "5.6.7.8", 0, 0, 46, 0), "1:ikv3kmf89luf73WPz1jOs49S768=");
    /* Seed 1. */
    CHECK_STR(cid("1.2.3.4", "5.6.7.8", 1122, 3344, 6, 1), "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
    CHECK_STR(cid("1.2.3.4", "5.6.7.8", 1122, 3344, 17, 1), "1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
    CHECK_STR(cid("1.2.3.4", "5.6.7.8", 8, 0, 1, 1), "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
    CHECK_STR(cid("fe80:1:203:405:607:809:a0b:c0d", "fe80:1011:1213:1415:1617:1819:1a1b:1c1d",
                  128, 0, 58, 1), "1:IO27GQzPuCtNnwFvjWALMHu5tJE=");
}

static void test_rules(void)
{
    /* One-way ICMP (dest unreachable) keeps its direction: swapping the
     * endpoints changes the ID; a paired type does not. */
    char a[XM_CID_LEN];
    strcpy(a, cid("5.6.7.8", "1.2.3.4", 3, 1, 1, 0));
    CHECK(strcmp(a, cid("1.2.3.4", "5.6.7.8", 3, 1, 1, 0)) != 0);
    /* Port order decides for equal addresses. */
    strcpy(a, cid("1.2.3.4", "1.2.3.4", 80, 1000, 6, 0));
    CHECK_STR(cid("1.2.3.4", "1.2.3.4", 1000, 80, 6, 0), a);
    /* Mixed families and short buffers fail. */
    struct xm_addr v4 = A("1.2.3.4"), v6 = A("::1");
    char small[10];
    CHECK(cid_tuple(&v4, &v6, 1, 2, 6, 0, a, sizeof a) == -1);
    CHECK(cid_tuple(&v4, &v4, 1, 2, 6, 0, small, sizeof small) == -1);
}

static void test_flow_wrapper(void)
{
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    f.cli = A("66.35.250.204");
    f.srv = A("128.232.110.120");
    f.cli_port = 80;
    f.srv_port = 34855;
    f.proto = 6;
    char out[XM_CID_LEN];
    CHECK(cid_flow(&f, 0, out, sizeof out) == 0);
    CHECK_STR(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    f.proto = 1;
    f.cli = A("1.2.3.4");
    f.srv = A("5.6.7.8");
    f.icmp_type = 8;
    CHECK(cid_flow(&f, 0, out, sizeof out) == 0);
    CHECK_STR(out, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
}

int main(void)
{
    test_sha1();
    test_sha1_short();
    test_base64();
    test_vectors();
    test_rules();
    test_flow_wrapper();
    return xm_test_result();
}
