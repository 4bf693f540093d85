/* test_netset.c - CIDR set parsing, lookup, defaults and errors. */
#include "xm_netset.h"
#include "xm_test.h"

static bool in(const struct xm_netset *s, const char *addr)
{
    struct xm_addr a;
    if (xm_addr_parse(addr, &a) != 0)
        return false;
    return netset_contains(s, &a);
}

static void test_parse_and_lookup(void)
{
    struct xm_netset *s;
    char err[128];
    s = netset_new();
    CHECK(netset_parse(s, " 10.0.0.0/8 ,192.168.1.0/24,fc00::/7, 2001:db8::1,203.0.113.7",
                       err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK_EQ_U64(netset_count(s), 5);
    CHECK(in(s, "10.0.0.0"));
    CHECK(in(s, "10.255.255.255"));
    CHECK(!in(s, "11.0.0.0"));
    CHECK(!in(s, "9.255.255.255"));
    CHECK(in(s, "192.168.1.200"));
    CHECK(!in(s, "192.168.2.1"));
    CHECK(in(s, "203.0.113.7"));
    CHECK(!in(s, "203.0.113.8"));
    CHECK(in(s, "fd12:3456::1"));
    CHECK(in(s, "fc00::"));
    CHECK(!in(s, "fe00::1"));
    CHECK(in(s, "2001:db8::1"));
    CHECK(!in(s, "2001:db8::2"));
    /* IPv4 prefixes never match IPv6 addresses and vice versa. */
    CHECK(!in(s, "::a00:1"));
    struct xm_addr none;
    memset(&none, 0, sizeof none);
    CHECK(!netset_contains(s, &none));
    /* Duplicates and host bits. */
    struct xm_addr a;
    xm_addr_parse("10.9.9.9", &a);
    CHECK(netset_add_cidr(s, &a, 8) == 0);
    CHECK_EQ_U64(netset_count(s), 5);
    CHECK(netset_add_cidr(s, &a, 33) == -1);
    netset_free(s);
}

static void test_zero_and_long(void)
{
    struct xm_netset *s = netset_new();
    CHECK(netset_parse(s, "0.0.0.0/0", NULL, 0) == 0);
    CHECK(in(s, "1.2.3.4"));
    CHECK(!in(s, "::1"));
    CHECK(netset_parse(s, "2001:db8:0:0:8000::/65", NULL, 0) == 0);
    CHECK(in(s, "2001:db8::8000:0:0:1"));
    CHECK(!in(s, "2001:db8::7fff:0:0:1"));
    CHECK(netset_parse(s, "", NULL, 0) == 0);
    CHECK_EQ_U64(netset_count(s), 2);
    netset_free(s);
}

static void test_errors(void)
{
    struct xm_netset *s = netset_new();
    char err[128];
    CHECK(netset_parse(s, "10.0.0.0/8,10.0.0.0/33", err, sizeof err) == -1);
    CHECK_STR(err, "bad CIDR '10.0.0.0/33' at column 12: bad prefix length");
    CHECK(netset_parse(s, "10.0.0.0/8, bogus", err, sizeof err) == -1);
    CHECK_STR(err, "bad CIDR 'bogus' at column 13: bad address");
    CHECK(netset_parse(s, "1.2.3.4,,5.6.7.8", err, sizeof err) == -1);
    CHECK_STR(err, "bad CIDR '' at column 9: empty entry");
    CHECK(netset_parse(s, "1.2.3.4,", err, sizeof err) == -1);
    CHECK_STR(err, "bad CIDR '' at column 9: empty entry");
    CHECK(netset_parse(s, "::/129", err, sizeof err) == -1);
    CHECK(netset_parse(s, "1.2.3.4/", err, sizeof err) == -1);
    CHECK(netset_parse(s, "1.2.3.4/08", err, sizeof err) == -1);
    CHECK(netset_parse(s, "/8", err, sizeof err) == -1);
    CHECK_STR(err, "bad CIDR '/8' at column 1: bad address");
    /* Prefixes before the bad token were added. */
    CHECK(in(s, "10.1.1.1"));
    netset_free(s);
}

static void test_default_home(void)
{
    struct xm_netset *s = netset_default_home();
    CHECK(s != NULL);
    CHECK_EQ_U64(netset_count(s), 9);
    const char *yes[] = {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
                         "100.64.0.1", "100.127.255.255", "127.0.0.1", "169.254.1.1",
                         "fc00::1", "fdff::1", "fe80::1", "febf::1", "::1"};
    const char *no[] = {"8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.0",
                        "192.169.0.1", "2001:db8::1", "fec0::1", "::2", "::"};
    for (size_t i = 0; i < XM_ARRAY_LEN(yes); i++)
        CHECK(in(s, yes[i]));
    for (size_t i = 0; i < XM_ARRAY_LEN(no); i++)
        CHECK(!in(s, no[i]));
    struct xm_addr a;
    xm_addr_parse("10.0.0.1", &a);
    CHECK(netset_is_local_cb(s, &a));
    netset_free(s);
}

static void test_cidr_helpers(void)
{
    struct xm_addr a, b;
    unsigned plen = 99;
    CHECK(xm_cidr_parse("10.1.2.3/8", 10, &a, &plen) == 0);
    CHECK_EQ_U64(plen, 8);
    CHECK_EQ_U64(a.family, 4);
    CHECK(!xm_cidr_mask(&a, plen));            /* host bits were set */
    CHECK(a.b[0] == 10 && a.b[1] == 0 && a.b[3] == 0);
    CHECK(xm_cidr_mask(&a, plen));             /* now clean */
    CHECK(xm_cidr_parse("2001:db8::1", 11, &a, &plen) == 0);
    CHECK_EQ_U64(plen, 128);
    /* Counted: the bytes after n are not read. */
    CHECK(xm_cidr_parse("192.0.2.0/24junk", 12, &a, &plen) == 0);
    CHECK_EQ_U64(plen, 24);
    CHECK(xm_cidr_parse("bogus/8", 7, &a, &plen) == XM_CIDR_EADDR);
    CHECK(xm_cidr_parse("1.2.3.999/40", 12, &a, &plen) == XM_CIDR_EADDR);  /* address first */
    CHECK(xm_cidr_parse("", 0, &a, &plen) == XM_CIDR_EADDR);
    CHECK(xm_cidr_parse("10.0.0.0/33", 11, &a, &plen) == XM_CIDR_EPLEN);
    CHECK_EQ_U64(a.family, 4);                 /* address kept on EPLEN */
    CHECK_EQ_U64(plen, 32);
    CHECK(xm_cidr_parse("10.0.0.0/", 9, &a, &plen) == XM_CIDR_EPLEN);
    CHECK(xm_cidr_parse("10.0.0.0/08", 11, &a, &plen) == XM_CIDR_EPLEN);
    CHECK(xm_cidr_parse("10.0.0.0/+8", 11, &a, &plen) == XM_CIDR_EPLEN);
    CHECK(xm_cidr_parse("::/0", 4, &a, &plen) == 0 && plen == 0);
    CHECK(xm_cidr_parse("fc00::/7", 8, &a, &plen) == 0);
    CHECK(xm_addr_parse("fd12::1", &b) == 0);
    CHECK(xm_cidr_contains(&a, plen, &b));
    CHECK(xm_addr_parse("fe00::1", &b) == 0);
    CHECK(!xm_cidr_contains(&a, plen, &b));
    CHECK(xm_addr_parse("10.0.0.1", &b) == 0);
    CHECK(!xm_cidr_contains(&a, plen, &b));    /* other family */
    CHECK(xm_cidr_parse("172.16.0.0/12", 13, &a, &plen) == 0);
    CHECK(xm_addr_parse("172.31.255.255", &b) == 0);
    CHECK(xm_cidr_contains(&a, plen, &b));
    CHECK(xm_addr_parse("172.32.0.0", &b) == 0);
    CHECK(!xm_cidr_contains(&a, plen, &b));
}

int main(void)
{
    test_cidr_helpers();
    test_parse_and_lookup();
    test_zero_and_long();
    test_errors();
    test_default_home();
    return xm_test_result();
}
