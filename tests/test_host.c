/* test_host.c - host table accounting, LRU eviction, exact site totals. */
#include "xm_host.h"
#include "xm_test.h"

static struct xm_addr A(const char *s)
{
    struct xm_addr a;
    xm_addr_parse(s, &a);
    return a;
}

struct sum {
    uint64_t bytes_out, bytes_in, pkts_out, pkts_in, flows;
    int n;
    char order[8][48];
};

static int add_up(void *ctx, const struct xm_host *h)
{
    struct sum *s = ctx;
    s->bytes_out += h->bytes_out;
    s->bytes_in += h->bytes_in;
    s->pkts_out += h->pkts_out;
    s->pkts_in += h->pkts_in;
    s->flows += h->flows_started;
    if (s->n < 8)
        xm_addr_str(&h->addr, s->order[s->n], sizeof s->order[0]);
    s->n++;
    return 0;
}

static void test_basic(void)
{
    struct host_table *ht = host_table_new(4, 12345);
    struct xm_addr a = A("10.0.0.1");
    CHECK(host_get(ht, &a, 10, false) == NULL);
    struct xm_host *h = host_account(ht, &a, XM_SEC(1), 1500, 1, HOST_DIR_OUT);
    CHECK(h != NULL);
    host_account(ht, &a, XM_SEC(2), 60, 1, HOST_DIR_IN);
    host_flow_started(ht, &a, XM_SEC(3));
    h = host_get(ht, &a, XM_SEC(1), false);
    CHECK(h != NULL);
    CHECK_EQ_U64(h->bytes_out, 1500);
    CHECK_EQ_U64(h->bytes_in, 60);
    CHECK_EQ_U64(h->pkts_out, 1);
    CHECK_EQ_U64(h->pkts_in, 1);
    CHECK_EQ_U64(h->flows_started, 1);
    CHECK_EQ_U64(h->first, XM_SEC(1));
    CHECK_EQ_U64(h->last, XM_SEC(3));
    struct xm_addr none;
    memset(&none, 0, sizeof none);
    CHECK(host_account(ht, &none, 1, 1, 1, HOST_DIR_OUT) == NULL);
    CHECK_EQ_U64(host_table_count(ht), 1);
    host_table_free(ht);
}

static void test_eviction_exact_totals(void)
{
    struct host_table *ht = host_table_new(3, 99);
    const char *addrs[] = {"10.0.0.5", "10.0.0.1", "fe80::1", "10.0.0.3", "10.0.0.2",
                           "10.0.0.1", "192.168.1.1", "10.0.0.5"};
    uint64_t want_out = 0, want_in = 0;
    for (size_t i = 0; i < XM_ARRAY_LEN(addrs); i++) {
        struct xm_addr a = A(addrs[i]);
        host_account(ht, &a, XM_SEC(i + 1), 100 * (i + 1), 1, HOST_DIR_OUT);
        host_account(ht, &a, XM_SEC(i + 1), 7 * (i + 1), 2, HOST_DIR_IN);
        host_flow_started(ht, &a, XM_SEC(i + 1));
        want_out += 100 * (i + 1);
        want_in += 7 * (i + 1);
    }
    const struct host_stats *st = host_table_stats(ht);
    CHECK_EQ_U64(host_table_count(ht), 3);
    /* Every step creates (10.0.0.1 and 10.0.0.5 come back after being
     * evicted): 8 created, 5 evicted. */
    CHECK_EQ_U64(st->created, 8);
    CHECK_EQ_U64(st->evicted, 5);
    struct sum s;
    memset(&s, 0, sizeof s);
    CHECK(host_foreach_sorted(ht, add_up, &s) == 0);
    CHECK_EQ_U64(s.bytes_out + st->evicted_bytes_out, want_out);
    CHECK_EQ_U64(s.bytes_in + st->evicted_bytes_in, want_in);
    CHECK_EQ_U64(s.pkts_out + st->evicted_pkts_out, XM_ARRAY_LEN(addrs));
    CHECK_EQ_U64(s.pkts_in + st->evicted_pkts_in, 2 * XM_ARRAY_LEN(addrs));
    CHECK_EQ_U64(s.flows + st->evicted_flows, XM_ARRAY_LEN(addrs));
    /* Survivors are the 3 most recently seen, in address order. */
    CHECK_EQ_U64(s.n, 3);
    CHECK_STR(s.order[0], "10.0.0.1");
    CHECK_STR(s.order[1], "10.0.0.5");
    CHECK_STR(s.order[2], "192.168.1.1");
    struct xm_addr gone = A("fe80::1");
    CHECK(host_get(ht, &gone, 0, false) == NULL);
    host_table_free(ht);
}

static void test_lru_touch(void)
{
    struct host_table *ht = host_table_new(2, 7);
    struct xm_addr a = A("10.0.0.1"), b = A("10.0.0.2"), c = A("10.0.0.3");
    host_account(ht, &a, XM_SEC(1), 1, 1, HOST_DIR_OUT);
    host_account(ht, &b, XM_SEC(2), 1, 1, HOST_DIR_OUT);
    host_get(ht, &a, XM_SEC(3), false);     /* a is now most recent */
    host_account(ht, &c, XM_SEC(4), 1, 1, HOST_DIR_OUT);
    CHECK(host_get(ht, &a, XM_SEC(4), false) != NULL);
    CHECK(host_get(ht, &b, XM_SEC(4), false) == NULL);
    CHECK(host_get(ht, &c, XM_SEC(4), false) != NULL);
    CHECK_EQ_U64(host_table_stats(ht)->evicted_bytes_out, 1);
    host_table_free(ht);
}

/* host_account_both is host_account OUT then IN: two tables fed the same
 * random deltas, one with each form, end with the same hosts, totals,
 * times and LRU order (a small table, so eviction is exercised). */
static void test_account_both(void)
{
    struct host_table *a = host_table_new(8, 7), *b = host_table_new(8, 7);
    uint32_t x = 12345;
    for (int i = 0; i < 5000; i++) {
        char ip[32];
        x = x * 1103515245u + 12345u;
        snprintf(ip, sizeof ip, "10.0.%u.%u", (x >> 8) % 3, (x >> 16) % 7);
        struct xm_addr h = A(ip);
        uint64_t out[2] = {x % 1500, x % 3}, in[2] = {(x >> 4) % 900, (x >> 6) % 2};
        xm_time_t now = XM_SEC(i / 10);
        struct xm_host *p = host_account(a, &h, now, out[0], out[1], HOST_DIR_OUT);
        struct xm_host *q = host_account(a, &h, now, in[0], in[1], HOST_DIR_IN);
        CHECK(p == q);
        CHECK(host_account_both(b, &h, now, out, in) != NULL);
    }
    struct sum sa, sb;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    host_foreach_sorted(a, add_up, &sa);
    host_foreach_sorted(b, add_up, &sb);
    CHECK(sa.n == sb.n && sa.n > 0);
    CHECK(sa.bytes_out == sb.bytes_out && sa.bytes_in == sb.bytes_in);
    CHECK(sa.pkts_out == sb.pkts_out && sa.pkts_in == sb.pkts_in);
    CHECK(memcmp(sa.order, sb.order, sizeof sa.order) == 0);
    for (int i = 0; i < sa.n && i < 8; i++) {
        struct xm_addr h = A(sa.order[i]);
        const struct xm_host *p = host_get(a, &h, 0, false), *q = host_get(b, &h, 0, false);
        CHECK(p && q && p->bytes_out == q->bytes_out && p->bytes_in == q->bytes_in &&
              p->pkts_in == q->pkts_in && p->first == q->first && p->last == q->last);
    }
    struct xm_addr none;
    memset(&none, 0, sizeof none);
    uint64_t z[2] = {1, 1};
    CHECK(host_account_both(b, &none, 1, z, z) == NULL);
    host_table_free(a);
    host_table_free(b);
}

int main(void)
{
    test_basic();
    test_eviction_exact_totals();
    test_lru_touch();
    test_account_both();
    return xm_test_result();
}
