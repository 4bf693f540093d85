/*
 * test_beacon.c - beaconing statistics of analysis/intel/beacon.c: median
 * interval, MAD/median jitter, byte mean, the live flow, the ring bound
 * and LRU eviction counters.  Times are packet time.
 */
#include <math.h>

#include "xm_beacon.h"
#include "xm_test.h"

static struct xm_addr addr(const char *s)
{
    struct xm_addr a;
    memset(&a, 0, sizeof a);
    xm_addr_parse(s, &a);
    return a;
}

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static const char C2[] = "checkmarx.zone";

/* Adds connections starting at the given offsets (seconds). */
static void add_starts(struct beacon *b, const struct xm_addr *h, const char *key,
                       const int64_t *s, size_t n, uint64_t bytes, uint64_t id0)
{
    for (size_t i = 0; i < n; i++)
        beacon_add(b, h, key, strlen(key), XM_SEC(1000000 + s[i]), bytes, id0 + i);
}

static void test_regular(void)
{
    struct beacon *b = beacon_new(0, 99);
    struct xm_addr h = addr("10.0.0.23");
    struct beacon_view v;
    const int64_t s[6] = {0, 3000, 6000, 9300, 12300, 15300};  /* one late poll */
    add_starts(b, &h, C2, s, 6, 2000, 1);
    CHECK(beacon_stats_of(b, &h, C2, strlen(C2), NULL, &v));
    CHECK_EQ_U64(v.count, 6);
    /* intervals 3000 3000 3300 3000 3000: median 3000, MAD 0 */
    CHECK(NEAR(v.interval_s, 3000.0));
    CHECK(NEAR(v.jitter, 0.0));
    CHECK(NEAR(v.bytes_mean, 2000.0));
    /* another host, another name: nothing */
    struct xm_addr h2 = addr("10.0.0.24");
    CHECK(!beacon_stats_of(b, &h2, C2, strlen(C2), NULL, &v));
    CHECK(!beacon_stats_of(b, &h, "other.zone", 10, NULL, &v));
    beacon_free(b);
}

static void test_irregular_and_order(void)
{
    struct beacon *b = beacon_new(0, 5);
    struct xm_addr h = addr("10.0.0.23");
    struct beacon_view v;
    /* added out of start order (flows end in another order) */
    const int64_t s[6] = {600, 0, 3600, 10800, 12000, 17400};
    add_starts(b, &h, C2, s, 6, 1000, 1);
    beacon_stats_of(b, &h, C2, strlen(C2), NULL, &v);
    /* sorted: 0 600 3600 10800 12000 17400; intervals 600 3000 7200 1200
     * 5400; median 3000; |dev| 2400 0 4200 1800 2400 -> MAD 2400 */
    CHECK(NEAR(v.interval_s, 3000.0));
    CHECK(NEAR(v.jitter, 0.8));
    beacon_free(b);
}

static void test_live_flow(void)
{
    struct beacon *b = beacon_new(0, 5);
    struct xm_addr h = addr("10.0.0.23");
    struct beacon_view v;
    const int64_t s[4] = {0, 100, 200, 300};
    add_starts(b, &h, C2, s, 4, 500, 1);
    struct xm_flow live;
    memset(&live, 0, sizeof live);
    live.flow_id = 77;
    live.first = XM_SEC(1000000 + 450);
    live.bytes[0] = 9000;
    beacon_stats_of(b, &h, C2, strlen(C2), &live, &v);
    /* intervals 100 100 100 150 -> median 100, |dev| 0 0 0 50 -> MAD 0 */
    CHECK_EQ_U64(v.count, 5);
    CHECK(NEAR(v.interval_s, 100.0));
    CHECK(NEAR(v.bytes_mean, 500.0));    /* ended connections only */
    /* once the live flow has ended and is in the ring it counts once */
    beacon_add(b, &h, C2, strlen(C2), live.first, 9000, 77);
    beacon_stats_of(b, &h, C2, strlen(C2), &live, &v);
    CHECK_EQ_U64(v.count, 5);
    CHECK(NEAR(v.bytes_mean, (4 * 500.0 + 9000.0) / 5));
    /* even number of intervals: median of the two middle ones */
    live.flow_id = 78;
    live.first = XM_SEC(1000000 + 850);
    beacon_stats_of(b, &h, C2, strlen(C2), &live, &v);
    /* starts 0 100 200 300 450 850: intervals 100 100 100 150 400 */
    CHECK_EQ_U64(v.count, 6);
    CHECK(NEAR(v.interval_s, 100.0));
    /* a first connection alone: count 1, no interval, bytes of the live one */
    struct xm_addr h3 = addr("10.0.0.99");
    CHECK(beacon_stats_of(b, &h3, C2, strlen(C2), &live, &v));
    CHECK_EQ_U64(v.count, 1);
    CHECK(NEAR(v.bytes_mean, 9000.0));
    beacon_free(b);
}

static void test_ring_and_eviction(void)
{
    struct beacon *b = beacon_new(2, 11);
    struct xm_addr h = addr("10.0.0.23");
    struct beacon_view v;
    int64_t s[20];
    for (int i = 0; i < 20; i++)
        s[i] = i * 60;
    add_starts(b, &h, C2, s, 20, 100, 1);
    beacon_stats_of(b, &h, C2, strlen(C2), NULL, &v);
    CHECK_EQ_U64(v.count, BEACON_RING);
    CHECK(NEAR(v.interval_s, 60.0));
    const struct beacon_stats *st = beacon_get_stats(b);
    CHECK_EQ_U64(st->updates, 20);
    CHECK_EQ_U64(st->inserted, 1);
    /* Ring table (cap 2): C2, then b and c once each go to probation and
     * come back: each promotion takes a ring entry, c's evicts C2, the
     * least recently updated of the ring. */
    beacon_add(b, &h, "b.example", 9, XM_SEC(1), 1, 100);
    beacon_add(b, &h, "c.example", 9, XM_SEC(2), 1, 101);
    CHECK_EQ_U64(st->once_used, 2);
    CHECK_EQ_U64(st->used, 1);
    CHECK(beacon_stats_of(b, &h, "b.example", 9, NULL, &v));   /* from probation */
    CHECK_EQ_U64(v.count, 1);
    CHECK(NEAR(v.bytes_mean, 1.0));
    beacon_add(b, &h, "b.example", 9, XM_SEC(61), 1, 102);     /* promoted */
    CHECK_EQ_U64(st->promoted, 2);                             /* C2 was the first */
    CHECK_EQ_U64(st->once_used, 1);
    CHECK_EQ_U64(st->evicted, 0);
    beacon_add(b, &h, "c.example", 9, XM_SEC(62), 1, 103);     /* promoted, evicts C2 */
    CHECK_EQ_U64(st->evicted, 1);
    CHECK_EQ_U64(st->used, 2);
    CHECK(!beacon_stats_of(b, &h, C2, strlen(C2), NULL, &v));
    CHECK(beacon_stats_of(b, &h, "b.example", 9, NULL, &v));
    CHECK_EQ_U64(v.count, 2);
    CHECK(NEAR(v.bytes_mean, 1.0));
    /* inbound flows (only the server local) are not recorded */
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    f.cli = addr("203.0.113.5");
    f.srv = h;
    f.local = FLOW_LOCAL_SERVER;
    beacon_on_flow_end(b, NULL, &f);
    CHECK_EQ_U64(st->updates, 24);
    /* an unnamed outbound flow is keyed by its server address */
    f.cli = h;
    f.srv = addr("198.51.100.80");
    f.local = FLOW_LOCAL_CLIENT;
    f.first = XM_SEC(5);
    f.flow_id = 200;
    beacon_on_flow_end(b, NULL, &f);
    CHECK_EQ_U64(st->updates, 25);
    CHECK(beacon_stats_of(b, &h, &f.srv, sizeof f.srv, NULL, &v));
    CHECK_EQ_U64(v.count, 1);
    beacon_free(b);
}

/* A gateway between two polls: 400 connections to never-again
 * destinations end between each two of the beacon's, more than the ring
 * table holds (64) and fewer than probation does (512).  The beacon keeps
 * its whole history: one-off pairs evict each other in probation.  With
 * one table of the ring's cap (the old policy) every poll would find its
 * pair evicted (count 1). */
static void test_one_offs_do_not_evict(void)
{
    struct beacon *b = beacon_new(64, 7);
    struct xm_addr h = addr("10.0.0.23"), other = addr("10.0.9.9");
    struct beacon_view v;
    uint64_t id = 1;
    for (int poll = 0; poll < 8; poll++) {
        beacon_add(b, &h, C2, strlen(C2), XM_SEC(1000000 + poll * 300), 700, id++);
        for (uint32_t i = 0; i < 400; i++) {
            uint32_t dst = (uint32_t)poll * 400u + i;
            beacon_add(b, &other, &dst, sizeof dst, XM_SEC(1000000 + poll * 300 + 1), 60, id++);
        }
    }
    CHECK(beacon_stats_of(b, &h, C2, strlen(C2), NULL, &v));
    CHECK_EQ_U64(v.count, 8);
    CHECK(NEAR(v.interval_s, 300.0));
    CHECK(NEAR(v.jitter, 0.0));
    const struct beacon_stats *st = beacon_get_stats(b);
    CHECK_EQ_U64(st->once_cap, 64 * BEACON_ONCE_PER_PAIR);
    CHECK_EQ_U64(st->once_used, st->once_cap);
    /* inserted: 3,200 one-offs and the beacon's first; one promoted */
    CHECK_EQ_U64(st->once_evicted, 8u * 400u + 1 - st->once_cap - 1);
    CHECK_EQ_U64(st->used, 1);
    CHECK_EQ_U64(st->promoted, 1);
    beacon_free(b);
}

int main(void)
{
    test_one_offs_do_not_evict();
    test_regular();
    test_irregular_and_order();
    test_live_flow();
    test_ring_and_eviction();
    return xm_test_result();
}
