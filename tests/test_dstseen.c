/*
 * test_dstseen.c - first-seen / prevalence tables of analysis/intel/dstseen.c:
 * exact packet-time values, case folding, LRU eviction and its counters.
 */
#include "xm_dstseen.h"
#include "xm_test.h"

static struct xm_addr addr(const char *s)
{
    struct xm_addr a;
    memset(&a, 0, sizeof a);
    xm_addr_parse(s, &a);
    return a;
}

static void test_first_seen(void)
{
    struct dstseen *d = dstseen_new(NULL, 42);
    struct xm_addr h1 = addr("10.0.0.1"), h2 = addr("10.0.0.2");
    struct dstseen_view v;
    CHECK(d != NULL);
    CHECK(!dstseen_get(d, &h1, "example.com", &v));
    dstseen_observe(d, &h1, "example.com", XM_SEC(100));
    CHECK(dstseen_get(d, &h1, "example.com", &v));
    CHECK(v.pair_known && v.domain_known);
    CHECK_EQ_U64(v.pair_first, XM_SEC(100));
    CHECK_EQ_U64(v.site_first, XM_SEC(100));
    CHECK_EQ_U64(v.prevalence, 1);
    CHECK_EQ_U64(v.t0, XM_SEC(100));
    /* a flow that started earlier but was named later moves first back */
    dstseen_observe(d, &h1, "EXAMPLE.com", XM_SEC(50));
    dstseen_get(d, &h1, "example.com", &v);
    CHECK_EQ_U64(v.pair_first, XM_SEC(50));
    CHECK_EQ_U64(v.prevalence, 1);
    /* a second host: prevalence 2, its own first-seen, site first kept */
    dstseen_observe(d, &h2, "example.com", XM_SEC(200));
    dstseen_observe(d, &h2, "example.com", XM_SEC(300));
    dstseen_get(d, &h2, "example.com", &v);
    CHECK_EQ_U64(v.pair_first, XM_SEC(200));
    CHECK_EQ_U64(v.site_first, XM_SEC(50));
    CHECK_EQ_U64(v.prevalence, 2);
    /* host 2 never talked to other.org; the domain is unknown too */
    CHECK(!dstseen_get(d, &h2, "other.org", &v));
    CHECK(!v.pair_known && !v.domain_known);
    /* pair unknown, domain known */
    dstseen_observe(d, &h1, "other.org", XM_SEC(400));
    CHECK(dstseen_get(d, &h2, "other.org", &v));
    CHECK(!v.pair_known && v.domain_known);
    CHECK_EQ_U64(v.prevalence, 1);
    const struct dstseen_stats *st = dstseen_get_stats(d);
    CHECK_EQ_U64(st->observed, 5);
    CHECK_EQ_U64(st->pairs.inserted, 3);
    CHECK_EQ_U64(st->domains.inserted, 2);
    CHECK_EQ_U64(st->pairs.evicted, 0);
    /* empty and over-long domains are ignored */
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    dstseen_observe(d, &h1, "", XM_SEC(1));
    dstseen_observe(d, &h1, longname, XM_SEC(1));
    dstseen_observe(d, &h1, NULL, XM_SEC(1));
    CHECK_EQ_U64(st->observed, 5);
    dstseen_free(d);
}

static void test_eviction(void)
{
    struct dstseen_limits l = {.max_pairs = 2, .max_domains = 2};
    struct dstseen *d = dstseen_new(&l, 7);
    struct xm_addr h = addr("2001:db8::5");
    struct dstseen_view v;
    dstseen_observe(d, &h, "a.com", XM_SEC(10));
    dstseen_observe(d, &h, "b.com", XM_SEC(20));
    dstseen_observe(d, &h, "a.com", XM_SEC(30));   /* refreshes a.com */
    dstseen_observe(d, &h, "c.com", XM_SEC(40));   /* evicts b.com (LRU) */
    const struct dstseen_stats *st = dstseen_get_stats(d);
    CHECK_EQ_U64(st->pairs.evicted, 1);
    CHECK_EQ_U64(st->domains.evicted, 1);
    CHECK_EQ_U64(st->pairs.used, 2);
    CHECK(dstseen_get(d, &h, "a.com", &v));
    CHECK_EQ_U64(v.pair_first, XM_SEC(10));
    CHECK(!dstseen_get(d, &h, "b.com", &v));
    /* an evicted pair looks new again when it comes back */
    dstseen_observe(d, &h, "b.com", XM_SEC(50));
    CHECK(dstseen_get(d, &h, "b.com", &v));
    CHECK_EQ_U64(v.pair_first, XM_SEC(50));
    CHECK_EQ_U64(v.site_first, XM_SEC(50));
    CHECK_EQ_U64(v.prevalence, 1);
    CHECK_EQ_U64(st->pairs.evicted, 2);
    CHECK(!dstseen_get(d, &h, "a.com", &v));
    dstseen_free(d);
}

static void test_flow_local(void)
{
    struct xm_flow f;
    struct xm_addr out;
    memset(&f, 0, sizeof f);
    f.cli = addr("10.0.0.9");
    f.srv = addr("192.0.2.1");
    f.local = FLOW_LOCAL_NONE;
    CHECK(!dstseen_flow_local(&f, &out));
    f.local = FLOW_LOCAL_CLIENT;
    CHECK(dstseen_flow_local(&f, &out) && xm_addr_cmp(&out, &f.cli) == 0);
    f.local = FLOW_LOCAL_SERVER;
    CHECK(dstseen_flow_local(&f, &out) && xm_addr_cmp(&out, &f.srv) == 0);
    f.local = FLOW_LOCAL_BOTH;
    CHECK(dstseen_flow_local(&f, &out) && xm_addr_cmp(&out, &f.cli) == 0);
}

int main(void)
{
    test_first_seen();
    test_eviction();
    test_flow_local();
    return xm_test_result();
}
