/*
 * test_url.c - lib/url.c: the authority of the network outputs' and the
 * site state's URLs.
 */
#include "xm_url.h"
#include "xm_test.h"

#include <string.h>

static int parse(const char *s, int flags, struct xm_url_auth *a)
{
    char why[64];
    return xm_url_authority(s, strlen(s), 6379, flags, a, why, sizeof why);
}

static void test_good(void)
{
    struct xm_url_auth a;
    CHECK(parse("h", 0, &a) == 0);
    CHECK_STR(a.host, "h");
    CHECK(a.port == 6379 && !a.user[0] && !a.pass[0]);
    CHECK(parse("u:p@h:1", 0, &a) == 0);
    CHECK_STR(a.user, "u");
    CHECK_STR(a.pass, "p");
    CHECK(a.port == 1);
    CHECK(parse("u:p@ss@h", 0, &a) == 0);        /* the last '@' ends userinfo */
    CHECK_STR(a.pass, "p@ss");
    CHECK(parse("[::1]:6380", 0, &a) == 0);
    CHECK_STR(a.host, "::1");
    CHECK(a.port == 6380);
    CHECK(parse("pw@h", XM_URL_LONE_PASS, &a) == 0);
    CHECK(!a.user[0]);
    CHECK_STR(a.pass, "pw");
    CHECK(parse("who@h", 0, &a) == 0);
    CHECK_STR(a.user, "who");
    CHECK(parse("h:65535", 0, &a) == 0 && a.port == 65535);
}

static void test_bad(void)
{
    struct xm_url_auth a;
    const char *bad[] = {"", "u@", ":1", "h:0", "h:65536", "h:", "h:1x", "[::1", "[]:1",
                         "[::1]x", "a b", "h:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(parse(bad[i], 0, &a) == -1);
    char longuser[300];
    memset(longuser, 'u', sizeof longuser);
    memcpy(longuser + 200, "@h", 3);
    CHECK(parse(longuser, 0, &a) == -1);
}

/* The shared number and copy helpers (site_url.c, sink_kafka.c use them). */
static void test_helpers(void)
{
    unsigned long v = 7;
    CHECK(xm_url_num("6379", 4, 1, 65535, &v) == 0 && v == 6379);
    CHECK(xm_url_num("0", 1, 1, 65535, &v) == -1);
    CHECK(xm_url_num("65536", 5, 1, 65535, &v) == -1);
    CHECK(xm_url_num("", 0, 0, 10, &v) == -1);
    CHECK(xm_url_num("1a", 2, 0, 100, &v) == -1);
    CHECK(xm_url_num("-1", 2, 0, 100, &v) == -1);
    CHECK(xm_url_num("12345678901", 11, 0, 4000000000ul, &v) == -1);
    CHECK(xm_url_num("4000000000", 10, 0, 4000000000ul, &v) == 0 && v == 4000000000ul);
    char b[4];
    CHECK(xm_url_copy(b, sizeof b, "abcdef", 3) == 0 && strcmp(b, "abc") == 0);
    CHECK(xm_url_copy(b, sizeof b, "abcdef", 4) == -1);
}

int main(void)
{
    test_good();
    test_bad();
    test_helpers();
    return xm_test_result();
}
