/* test_flow.c - flow table: keys, direction, counters, timeouts, TCP
 * states, eviction, interim records, IPv6, fragments, determinism. */
#include "xm_flow.h"
#include "xm_test.h"

struct rec {
    uint64_t flow_id;
    enum flow_end_reason reason;
    uint64_t pkts[2], bytes[2];
    uint8_t state;
    uint16_t cli_port;
};

struct log {
    struct rec r[2048];
    int n;
};

static void on_end(void *ctx, struct xm_flow *f, enum flow_end_reason r)
{
    struct log *l = ctx;
    if (l->n >= (int)XM_ARRAY_LEN(l->r))
        return;
    struct rec *x = &l->r[l->n++];
    x->flow_id = f->flow_id;
    x->reason = r;
    memcpy(x->pkts, f->pkts, sizeof x->pkts);
    memcpy(x->bytes, f->bytes, sizeof x->bytes);
    x->state = f->state;
    x->cli_port = f->cli_port;
}

static struct xm_pkt P(const char *src, uint16_t sp, const char *dst, uint16_t dp,
                       uint8_t proto, uint8_t flags, xm_time_t ts, uint32_t bytes)
{
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    xm_addr_parse(src, &p.src);
    xm_addr_parse(dst, &p.dst);
    p.ipver = p.src.family;
    p.proto = proto;
    p.has_ports = proto == 6 || proto == 17 || proto == 132;
    p.sport = sp;
    p.dport = dp;
    p.tcp_flags = flags;
    p.ts = ts;
    p.ip_bytes = bytes;
    return p;
}

static bool local10(void *ctx, const struct xm_addr *a)
{
    (void)ctx;
    return a->family == 4 && a->b[0] == 10;
}

static struct flow_timeouts T(void)
{
    struct flow_timeouts t = {5, 7, 3, 11, 13, 17, 0};
    return t;
}

enum { SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, SA = 0x12, FA = 0x11 };

static void test_key_and_direction(void)
{
    struct log lg = {.n = 0};
    struct flow_timeouts t = T();
    struct flow_table *ft = flow_table_new(16, &t, 1, on_end, &lg);
    struct xm_pkt a = P("10.0.0.2", 40000, "93.184.216.34", 443, 6, SYN, XM_SEC(1), 60);
    struct xm_pkt b = P("93.184.216.34", 443, "10.0.0.2", 40000, 6, SA, XM_SEC(2), 60);
    struct xm_flow_key ka, kb;
    flow_key_from_pkt(&a, &ka);
    flow_key_from_pkt(&b, &kb);
    CHECK(memcmp(&ka, &kb, sizeof ka) == 0);
    CHECK(ka.a.b[0] == 10 && ka.a_port == 40000 && ka.b_port == 443);
    int d = -1;
    struct xm_flow *f = flow_update(ft, &a, local10, NULL, &d);
    CHECK(f != NULL);
    CHECK_EQ_U64(d, 0);
    CHECK_EQ_U64(f->state, FLOW_STATE_NEW);
    CHECK_EQ_U64(f->local, FLOW_LOCAL_CLIENT);
    struct xm_flow *g = flow_update(ft, &b, local10, NULL, &d);
    CHECK(g == f);
    CHECK_EQ_U64(d, 1);
    CHECK_EQ_U64(f->state, FLOW_STATE_ESTABLISHED);
    struct xm_pkt c = P("10.0.0.2", 40000, "93.184.216.34", 443, 6, ACK, XM_SEC(3), 1500);
    flow_update(ft, &c, local10, NULL, &d);
    flow_update(ft, &c, local10, NULL, &d);
    CHECK_EQ_U64(f->pkts[0], 3);
    CHECK_EQ_U64(f->pkts[1], 1);
    CHECK_EQ_U64(f->bytes[0], 3060);
    CHECK_EQ_U64(f->bytes[1], 60);
    CHECK_EQ_U64(f->tcp_flags[0], SYN | ACK);
    CHECK_EQ_U64(f->tcp_flags[1], SA);
    CHECK_EQ_U64(f->first, XM_SEC(1));
    CHECK_EQ_U64(f->last, XM_SEC(3));
    CHECK_EQ_U64(flow_table_stats(ft)->created, 1);
    CHECK_EQ_U64(flow_table_stats(ft)->active, 1);

    /* SYN-ACK as the first packet: its sender is the server. */
    struct xm_pkt s = P("8.8.8.8", 443, "10.0.0.9", 51000, 6, SA, XM_SEC(4), 60);
    f = flow_update(ft, &s, local10, NULL, &d);
    CHECK_EQ_U64(d, 1);
    CHECK_EQ_U64(f->cli_port, 51000);
    CHECK_EQ_U64(f->srv_port, 443);
    CHECK(f->cli.b[0] == 10);
    CHECK_EQ_U64(f->pkts[1], 1);
    CHECK_EQ_U64(f->state, FLOW_STATE_ESTABLISHED);
    CHECK_EQ_U64(f->local, FLOW_LOCAL_CLIENT);

    /* No port heuristics: a first packet from 53 makes 53 the client. */
    struct xm_pkt u = P("8.8.4.4", 53, "10.0.0.9", 33000, 17, 0, XM_SEC(5), 80);
    f = flow_update(ft, &u, local10, NULL, &d);
    CHECK_EQ_U64(d, 0);
    CHECK_EQ_U64(f->cli_port, 53);
    CHECK_EQ_U64(f->local, FLOW_LOCAL_SERVER);
    CHECK_EQ_U64(f->state, FLOW_STATE_NEW);
    struct xm_pkt u2 = P("10.0.0.9", 33000, "8.8.4.4", 53, 17, 0, XM_SEC(5), 80);
    CHECK(flow_update(ft, &u2, local10, NULL, &d) == f);
    CHECK_EQ_U64(d, 1);
    CHECK_EQ_U64(f->state, FLOW_STATE_ESTABLISHED);

    /* Different VLANs are different flows. */
    struct xm_pkt v = u;
    v.vlan = 12;
    CHECK(flow_update(ft, &v, NULL, NULL, &d) != f);
    flow_table_free(ft);
}

/* One flow per timeout class, all last seen at 100 s; each ends exactly
 * at its deadline and not a microsecond earlier. */
static void test_timeout_classes(void)
{
    struct log lg = {.n = 0};
    struct flow_timeouts t = T();
    struct flow_table *ft = flow_table_new(16, &t, 2, on_end, &lg);
    xm_time_t t0 = XM_SEC(100);
    int d;
    struct xm_pkt p;
    p = P("1.1.1.1", 1000, "2.2.2.2", 80, 6, SYN, t0, 60);          /* tcp_new 5 */
    uint64_t id_new = flow_update(ft, &p, NULL, NULL, &d)->flow_id;
    p = P("1.1.1.1", 1001, "2.2.2.2", 80, 6, SYN, t0, 60);          /* tcp_est 7 */
    flow_update(ft, &p, NULL, NULL, &d);
    p = P("2.2.2.2", 80, "1.1.1.1", 1001, 6, SA, t0, 60);
    uint64_t id_est = flow_update(ft, &p, NULL, NULL, &d)->flow_id;
    p = P("1.1.1.1", 1002, "2.2.2.2", 80, 6, RST, t0, 40);          /* closed 3 */
    uint64_t id_cl = flow_update(ft, &p, NULL, NULL, &d)->flow_id;
    p = P("1.1.1.1", 1003, "2.2.2.2", 53, 17, 0, t0, 70);           /* udp 11 */
    uint64_t id_udp = flow_update(ft, &p, NULL, NULL, &d)->flow_id;
    p = P("1.1.1.1", 0, "2.2.2.2", 0, 1, 0, t0, 84);                /* icmp 13 */
    p.icmp_type = 8;
    uint64_t id_icmp = flow_update(ft, &p, NULL, NULL, &d)->flow_id;
    p = P("1.1.1.1", 0, "2.2.2.2", 0, 47, 0, t0, 100);              /* other 17 */
    uint64_t id_oth = flow_update(ft, &p, NULL, NULL, &d)->flow_id;

    const struct { int secs; uint64_t id; enum flow_end_reason r; } want[] = {
        {3, id_cl, FLOW_END_CLOSED}, {5, id_new, FLOW_END_TIMEOUT},
        {7, id_est, FLOW_END_TIMEOUT}, {11, id_udp, FLOW_END_TIMEOUT},
        {13, id_icmp, FLOW_END_TIMEOUT}, {17, id_oth, FLOW_END_TIMEOUT},
    };
    for (size_t i = 0; i < XM_ARRAY_LEN(want); i++) {
        flow_expire(ft, t0 + XM_SEC(want[i].secs) - 1);
        CHECK_EQ_U64(lg.n, i);
        flow_expire(ft, t0 + XM_SEC(want[i].secs));
        CHECK_EQ_U64(lg.n, i + 1);
        CHECK_EQ_U64(lg.r[i].flow_id, want[i].id);
        CHECK_EQ_U64(lg.r[i].reason, want[i].r);
    }
    CHECK_EQ_U64(flow_table_stats(ft)->active, 0);
    CHECK_EQ_U64(flow_table_stats(ft)->ended, 6);
    flow_table_free(ft);
}

static void test_tcp_close(void)
{
    struct log lg = {.n = 0};
    struct flow_timeouts t = T();
    struct flow_table *ft = flow_table_new(16, &t, 3, on_end, &lg);
    int d;
    struct xm_pkt c = P("10.0.0.1", 5000, "9.9.9.9", 80, 6, SYN, XM_SEC(1), 60);
    struct xm_pkt s = P("9.9.9.9", 80, "10.0.0.1", 5000, 6, SA, XM_SEC(1), 60);
    struct xm_flow *f = flow_update(ft, &c, NULL, NULL, &d);
    flow_update(ft, &s, NULL, NULL, &d);
    c.tcp_flags = FA;
    flow_update(ft, &c, NULL, NULL, &d);
    CHECK_EQ_U64(f->state, FLOW_STATE_ESTABLISHED);
    s.tcp_flags = FA;
    flow_update(ft, &s, NULL, NULL, &d);
    CHECK_EQ_U64(f->state, FLOW_STATE_CLOSED);
    /* Closed flows use the tcp_closed timeout (3 s), not established (7 s). */
    flow_expire(ft, XM_SEC(4));
    CHECK_EQ_U64(lg.n, 1);
    CHECK_EQ_U64(lg.r[0].reason, FLOW_END_CLOSED);
    CHECK_EQ_U64(lg.r[0].pkts[0], 2);
    CHECK_EQ_U64(lg.r[0].pkts[1], 2);

    /* RST from either side closes at once. */
    c = P("10.0.0.1", 5001, "9.9.9.9", 80, 6, SYN, XM_SEC(10), 60);
    s = P("9.9.9.9", 80, "10.0.0.1", 5001, 6, RST | ACK, XM_SEC(10), 40);
    f = flow_update(ft, &c, NULL, NULL, &d);
    flow_update(ft, &s, NULL, NULL, &d);
    CHECK_EQ_U64(f->state, FLOW_STATE_CLOSED);
    uint64_t old = f->flow_id;
    /* A bare SYN on the closed 5-tuple ends it and starts a new flow. */
    c.ts = XM_SEC(11);
    struct xm_flow *g = flow_update(ft, &c, NULL, NULL, &d);
    CHECK_EQ_U64(lg.n, 2);
    CHECK_EQ_U64(lg.r[1].flow_id, old);
    CHECK_EQ_U64(lg.r[1].reason, FLOW_END_CLOSED);
    CHECK(g->flow_id != old);
    CHECK_EQ_U64(g->state, FLOW_STATE_NEW);
    CHECK_EQ_U64(g->pkts[0], 1);
    flow_table_free(ft);
}

static void test_eviction(void)
{
    struct log lg = {.n = 0};
    struct flow_timeouts t = T();
    struct flow_table *ft = flow_table_new(3, &t, 4, on_end, &lg);
    int d;
    struct xm_pkt p = P("1.1.1.1", 1, "2.2.2.2", 53, 17, 0, XM_SEC(1), 10);  /* dl 12 */
    flow_update(ft, &p, NULL, NULL, &d);
    p = P("1.1.1.1", 2, "2.2.2.2", 53, 17, 0, XM_SEC(2), 10);                /* dl 13 */
    flow_update(ft, &p, NULL, NULL, &d);
    p = P("1.1.1.1", 3, "2.2.2.2", 80, 6, RST, XM_SEC(5), 10);               /* dl 8 */
    uint64_t victim = flow_update(ft, &p, NULL, NULL, &d)->flow_id;
    p = P("1.1.1.1", 4, "2.2.2.2", 53, 17, 0, XM_SEC(6), 10);
    CHECK(flow_update(ft, &p, NULL, NULL, &d) != NULL);
    CHECK_EQ_U64(lg.n, 1);
    CHECK_EQ_U64(lg.r[0].flow_id, victim);
    CHECK_EQ_U64(lg.r[0].reason, FLOW_END_EVICTED);
    p = P("1.1.1.1", 5, "2.2.2.2", 53, 17, 0, XM_SEC(7), 10);
    flow_update(ft, &p, NULL, NULL, &d);
    CHECK_EQ_U64(lg.n, 2);
    CHECK_EQ_U64(lg.r[1].cli_port, 1);    /* udp from t=1: deadline 12 */
    const struct flow_stats *st = flow_table_stats(ft);
    CHECK_EQ_U64(st->evicted, 2);
    CHECK_EQ_U64(st->created, 5);
    CHECK_EQ_U64(st->active, 3);
    CHECK_EQ_U64(st->peak_active, 3);
    CHECK_EQ_U64(flow_table_capacity(ft), 3);
    flow_table_free(ft);
}

static void test_interim(void)
{
    struct log lg = {.n = 0};
    struct flow_timeouts t = {60, 600, 10, 1000, 60, 120, 10};
    struct flow_table *ft = flow_table_new(8, &t, 5, on_end, &lg);
    int d;
    struct xm_flow *f = NULL;
    for (int s = 0; s < 25; s++) {
        struct xm_pkt p = P("10.0.0.1", 7000, "5.5.5.5", 443, 17, 0, XM_SEC(s), 100);
        f = flow_update(ft, &p, NULL, NULL, &d);
        flow_expire(ft, XM_SEC(s) + XM_SEC(1) / 2);
        if (s == 9)
            CHECK_EQ_U64(lg.n, 0);
    }
    CHECK_EQ_U64(lg.n, 2);
    CHECK_EQ_U64(lg.r[0].reason, FLOW_END_ACTIVE);
    CHECK_EQ_U64(lg.r[0].pkts[0], 11);      /* packets 0..10 */
    CHECK_EQ_U64(lg.r[1].reason, FLOW_END_ACTIVE);
    CHECK_EQ_U64(lg.r[1].pkts[0], 21);      /* cumulative */
    CHECK_EQ_U64(lg.r[1].bytes[0], 2100);
    CHECK_EQ_U64(f->interim_count, 2);
    CHECK_EQ_U64(f->last_interim, XM_SEC(20) + XM_SEC(1) / 2);
    flow_flush(ft);
    CHECK_EQ_U64(lg.n, 3);
    CHECK_EQ_U64(lg.r[2].reason, FLOW_END_SHUTDOWN);
    CHECK_EQ_U64(lg.r[2].pkts[0], 25);
    CHECK_EQ_U64(lg.r[2].flow_id, lg.r[0].flow_id);
    CHECK_EQ_U64(flow_table_stats(ft)->interim, 2);
    CHECK_EQ_U64(flow_table_stats(ft)->ended, 1);
    flow_table_free(ft);
}

static void test_ipv6(void)
{
    struct log lg = {.n = 0};
    struct flow_table *ft = flow_table_new(8, NULL, 6, on_end, &lg);
    int d;
    struct xm_pkt a = P("2001:db8::2", 443, "2001:db8::1", 50000, 6, SYN, XM_SEC(1), 80);
    struct xm_pkt b = P("2001:db8::1", 50000, "2001:db8::2", 443, 6, ACK, XM_SEC(2), 1280);
    struct xm_flow *f = flow_update(ft, &a, NULL, NULL, &d);
    CHECK(flow_update(ft, &b, NULL, NULL, &d) == f);
    CHECK_EQ_U64(d, 1);
    struct xm_flow_key fk, pk;
    flow_key_of(f, &fk);
    CHECK_EQ_U64(fk.a.family, 6);
    CHECK_EQ_U64(fk.a.b[15], 1);
    CHECK_EQ_U64(fk.a_port, 50000);
    flow_key_from_pkt(&b, &pk);
    CHECK(memcmp(&fk, &pk, sizeof fk) == 0);
    CHECK_EQ_U64(f->bytes[0], 80);
    CHECK_EQ_U64(f->bytes[1], 1280);
    /* Same bytes as an IPv4-looking address are a different flow. */
    struct xm_pkt c = P("::1", 1, "::2", 2, 17, 0, XM_SEC(3), 10);
    struct xm_pkt e = P("0.0.0.1", 1, "0.0.0.2", 2, 17, 0, XM_SEC(3), 10);
    CHECK(flow_update(ft, &c, NULL, NULL, &d) != flow_update(ft, &e, NULL, NULL, &d));
    flow_flush(ft);
    CHECK_EQ_U64(lg.n, 3);
    flow_table_free(ft);
}

static struct xm_pkt frag(uint8_t kind, uint32_t id, xm_time_t ts, uint32_t bytes)
{
    struct xm_pkt p = P("10.0.0.7", 5353, "8.8.8.8", 53, 17, 0, ts, bytes);
    p.frag = kind;
    p.frag_id = id;
    if (kind == XM_FRAG_LATER) {
        p.has_ports = false;
        p.sport = p.dport = 0;
    }
    return p;
}

static void test_fragments(void)
{
    struct log lg = {.n = 0};
    struct flow_table *ft = flow_table_new(8, NULL, 7, on_end, &lg);
    int d;
    /* first, then later */
    struct xm_pkt p = frag(XM_FRAG_FIRST, 77, XM_SEC(1), 1500);
    struct xm_flow *f = flow_update(ft, &p, NULL, NULL, &d);
    p = frag(XM_FRAG_LATER, 77, XM_SEC(1), 520);
    CHECK(flow_update(ft, &p, NULL, NULL, &d) == f);
    CHECK_EQ_U64(f->pkts[0], 2);
    CHECK_EQ_U64(f->bytes[0], 2020);
    /* later (twice), then first: held, then added */
    p = frag(XM_FRAG_LATER, 78, XM_SEC(2), 300);
    CHECK(flow_update(ft, &p, NULL, NULL, &d) == NULL);
    CHECK(flow_update(ft, &p, NULL, NULL, &d) == NULL);
    CHECK_EQ_U64(flow_table_stats(ft)->frag_pending, 2);
    CHECK_EQ_U64(f->pkts[0], 2);
    p = frag(XM_FRAG_FIRST, 78, XM_SEC(2), 1500);
    CHECK(flow_update(ft, &p, NULL, NULL, &d) == f);
    CHECK_EQ_U64(f->pkts[0], 5);
    CHECK_EQ_U64(f->bytes[0], 2020 + 600 + 1500);
    /* A fragment of another datagram with no first: orphan after 30 s. */
    p = frag(XM_FRAG_LATER, 99, XM_SEC(3), 400);
    CHECK(flow_update(ft, &p, NULL, NULL, &d) == NULL);
    flow_expire(ft, XM_SEC(32));
    CHECK_EQ_U64(flow_table_stats(ft)->frag_orphan, 0);
    flow_expire(ft, XM_SEC(33));
    CHECK_EQ_U64(flow_table_stats(ft)->frag_orphan, 1);
    CHECK_EQ_U64(flow_table_stats(ft)->frag_pending, 3);
    CHECK(flow_table_stats(ft)->frag_expired >= 1);
    CHECK_EQ_U64(f->bytes[0], 2020 + 600 + 1500);
    /* A held fragment left at shutdown is an orphan too. */
    p = frag(XM_FRAG_LATER, 100, XM_SEC(40), 400);
    flow_update(ft, &p, NULL, NULL, &d);
    flow_flush(ft);
    CHECK_EQ_U64(flow_table_stats(ft)->frag_orphan, 2);
    flow_table_free(ft);
}

/* The fragment table is bounded (16 entries for an 8-flow table): the
 * least recently touched entry goes, and its held fragment is an orphan. */
static void test_fragment_table_cap(void)
{
    struct flow_table *ft = flow_table_new(8, NULL, 8, NULL, NULL);
    int d;
    for (uint32_t id = 0; id < 17; id++) {
        struct xm_pkt p = frag(XM_FRAG_LATER, 1000 + id, XM_SEC(1), 100);
        CHECK(flow_update(ft, &p, NULL, NULL, &d) == NULL);
    }
    const struct flow_stats *st = flow_table_stats(ft);
    CHECK_EQ_U64(st->frag_pending, 17);
    CHECK_EQ_U64(st->frag_evicted, 1);
    CHECK_EQ_U64(st->frag_orphan, 1);
    /* id 1000 was evicted: its first fragment finds nothing held (and its
     * new entry evicts the now oldest, 1001); id 1016 is still held and
     * joins the flow. */
    struct xm_pkt p = frag(XM_FRAG_FIRST, 1000, XM_SEC(2), 1500);
    struct xm_flow *f = flow_update(ft, &p, NULL, NULL, &d);
    CHECK_EQ_U64(f->pkts[0], 1);
    CHECK_EQ_U64(st->frag_orphan, 2);
    p = frag(XM_FRAG_FIRST, 1016, XM_SEC(2), 1500);
    CHECK(flow_update(ft, &p, NULL, NULL, &d) == f);
    CHECK_EQ_U64(f->pkts[0], 3);
    CHECK_EQ_U64(f->bytes[0], 3100);
    flow_table_free(ft);
}

static void test_flow_id_stable(void)
{
    struct flow_table *a = flow_table_new(4, NULL, 111, NULL, NULL);
    struct flow_table *b = flow_table_new(4, NULL, 999, NULL, NULL);
    int d;
    struct xm_pkt p = P("10.1.1.1", 1234, "1.1.1.1", 443, 6, SYN, XM_SEC(1000), 60);
    struct xm_pkt r = P("1.1.1.1", 443, "10.1.1.1", 1234, 6, SA, XM_SEC(1000), 60);
    uint64_t ia = flow_update(a, &p, NULL, NULL, &d)->flow_id;
    uint64_t ib = flow_update(b, &r, NULL, NULL, &d)->flow_id;
    CHECK_EQ_U64(ia, ib);
    CHECK(ia != 0 && ia <= (uint64_t)INT64_MAX);
    p.ts += 1;
    p.sport = 1235;
    CHECK(flow_update(a, &p, NULL, NULL, &d)->flow_id != ia);
    flow_table_free(a);
    flow_table_free(b);
}

/* Same input, different seeds and a small table (evictions): the same
 * sequence of end callbacks. */
static void run_mix(uint64_t seed, struct log *lg)
{
    struct flow_timeouts t = {5, 30, 2, 8, 4, 6, 12};
    struct flow_table *ft = flow_table_new(24, &t, seed, on_end, lg);
    uint32_t x = 12345;
    int d;
    for (int i = 0; i < 600; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t r = x >> 8;
        char src[32], dst[32];
        snprintf(src, sizeof src, "10.0.%u.%u", r % 3, (r >> 3) % 4);
        snprintf(dst, sizeof dst, "198.51.100.%u", (r >> 8) % 3);
        uint8_t proto = (r >> 12) % 3 == 0 ? 17 : (r >> 12) % 3 == 1 ? 6 : 1;
        uint8_t flags = (uint8_t)((r >> 14) % 5 == 0 ? RST : (r >> 14) % 5 == 1 ? SA : ACK);
        struct xm_pkt p = P(src, (uint16_t)(1000 + (r >> 16) % 4), dst, 443, proto, flags,
                            XM_SEC(i / 2) + i, 100);
        if ((r >> 20) % 2) {
            struct xm_addr tmp = p.src;
            p.src = p.dst;
            p.dst = tmp;
        }
        flow_update(ft, &p, local10, NULL, &d);
        if (i % 10 == 9)
            flow_expire(ft, p.ts);
    }
    flow_flush(ft);
    flow_table_free(ft);
}

static void test_determinism(void)
{
    static struct log a, b;
    run_mix(1, &a);
    run_mix(0xdeadbeefcafef00dULL, &b);
    CHECK(a.n > 50);
    CHECK_EQ_U64(a.n, b.n);
    int same = 0, kinds[5] = {0};
    for (int i = 0; i < a.n && i < b.n; i++) {
        same += a.r[i].flow_id == b.r[i].flow_id && a.r[i].reason == b.r[i].reason &&
                a.r[i].pkts[0] == b.r[i].pkts[0];
        kinds[a.r[i].reason]++;
    }
    CHECK_EQ_U64(same, a.n);
    CHECK(kinds[FLOW_END_TIMEOUT] > 0);
    CHECK(kinds[FLOW_END_CLOSED] > 0);
    CHECK(kinds[FLOW_END_SHUTDOWN] > 0);
    CHECK(kinds[FLOW_END_ACTIVE] > 0);
}

static void test_names(void)
{
    CHECK_STR(flow_state_name(FLOW_STATE_ESTABLISHED), "established");
    CHECK_STR(flow_reason_name(FLOW_END_CLOSED), "tcp_close");
    CHECK_STR(flow_reason_name(FLOW_END_ACTIVE), "active_timeout");
    struct flow_timeouts t;
    flow_timeouts_default(&t);
    CHECK_EQ_U64(t.tcp_established, 600);
    CHECK_EQ_U64(t.active, 1800);
    CHECK(flow_table_new(0, NULL, 0, NULL, NULL) == NULL);
}

/* The flow's key is not stored but derived from its ends (flow_key_of):
 * it must equal the packet key of either direction, also when a SYN+ACK
 * came first; flows whose ends differ only in which side has which port,
 * or that share one address, stay apart (their hashes differ too, so
 * this does not reach flow_has_key's orientation checks). */
static void test_derived_key(void)
{
    struct log lg = {.n = 0};
    struct flow_timeouts t = T();
    struct flow_table *ft = flow_table_new(16, &t, 5, on_end, &lg);
    int d;
    struct xm_pkt a = P("10.0.0.9", 1000, "10.0.0.2", 2000, 6, SA, XM_SEC(1), 60);
    struct xm_pkt ar = P("10.0.0.2", 2000, "10.0.0.9", 1000, 6, ACK, XM_SEC(1), 60);
    struct xm_pkt b = P("10.0.0.9", 2000, "10.0.0.2", 1000, 17, 0, XM_SEC(1), 60);
    struct xm_pkt b6 = P("10.0.0.9", 2000, "10.0.0.2", 1000, 6, ACK, XM_SEC(1), 60);
    struct xm_pkt bx = P("10.0.0.9", 1000, "10.0.0.2", 2000, 17, 0, XM_SEC(1), 60);
    struct xm_pkt c = P("10.0.0.9", 1000, "10.0.0.9", 2000, 17, 0, XM_SEC(1), 60);
    struct xm_pkt cr = P("10.0.0.9", 2000, "10.0.0.9", 1000, 17, 0, XM_SEC(1), 60);
    struct xm_flow *fa = flow_update(ft, &a, NULL, NULL, &d);
    CHECK(fa && d == 1 && fa->cli_port == 2000);  /* SYN+ACK sender is the server */
    CHECK(flow_update(ft, &ar, NULL, NULL, &d) == fa && d == 0);
    struct xm_flow *fb = flow_update(ft, &b, NULL, NULL, &d);
    struct xm_flow *fb6 = flow_update(ft, &b6, NULL, NULL, &d);
    struct xm_flow *fbx = flow_update(ft, &bx, NULL, NULL, &d);   /* b's ports swapped */
    struct xm_flow *fc = flow_update(ft, &c, NULL, NULL, &d);
    CHECK(fb && fb6 && fc && fbx && fb != fa && fb6 != fa && fb6 != fb && fc != fb);
    CHECK(fbx != fb && fbx != fc && d == 0);
    CHECK(flow_update(ft, &cr, NULL, NULL, &d) == fc && d == 1);
    CHECK_EQ_U64(flow_table_stats(ft)->active, 5);
    const struct xm_pkt *pk[] = {&a, &ar, &b, &b6, &bx, &c, &cr};
    const struct xm_flow *fl[] = {fa, fa, fb, fb6, fbx, fc, fc};
    for (size_t i = 0; i < XM_ARRAY_LEN(pk); i++) {
        struct xm_flow_key kf, kp;
        flow_key_of(fl[i], &kf);
        flow_key_from_pkt(pk[i], &kp);
        CHECK(memcmp(&kf, &kp, sizeof kf) == 0);
    }
    flow_table_free(ft);
}

int main(void)
{
    test_key_and_direction();
    test_derived_key();
    test_timeout_classes();
    test_tcp_close();
    test_eviction();
    test_interim();
    test_ipv6();
    test_fragments();
    test_fragment_table_cap();
    test_flow_id_stable();
    test_determinism();
    test_names();
    return xm_test_result();
}
