/*
 * test_decode.c - unit tests for capture/decode.c (dec_packet).
 *
 * Frames are built byte by byte below.  Every good frame is decoded whole
 * (every field checked), then at every caplen 0..len-1 from an exact-size
 * heap copy, so AddressSanitizer catches any read past caplen: a prefix
 * shorter than the needed headers must be DEC_TRUNCATED, a longer one
 * DEC_OK with the same key fields and the payload clipped.
 */
#include "xm_pkt.h"
#include "xm_test.h"

#include <stdlib.h>

static struct dec_stats g_st;

/* ---- frame builder ---------------------------------------------------- */

struct bld {
    uint8_t b[2048];
    size_t n;
};

static void b8(struct bld *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void b16(struct bld *b, unsigned v) { b8(b, v >> 8); b8(b, v); }
static void b32(struct bld *b, uint32_t v) { b16(b, v >> 16); b16(b, v & 0xffff); }
static void bfill(struct bld *b, size_t n, unsigned base)
{
    for (size_t i = 0; i < n; i++)
        b8(b, base + i);
}
static void bset16(struct bld *b, size_t off, unsigned v)
{
    b->b[off] = (uint8_t)(v >> 8);
    b->b[off + 1] = (uint8_t)v;
}

static void eth(struct bld *b, unsigned et)
{
    bfill(b, 12, 0x10);       /* dst, src MACs */
    b16(b, et);
}

/* IPv4 header with ihl words (>= 5, options are NOPs); returns its offset.
 * 10.0.0.1 -> 192.0.2.7, total length fixed by ip4_end. */
static size_t ip4(struct bld *b, unsigned proto, unsigned id, unsigned frag, unsigned ihl)
{
    size_t off = b->n;
    b8(b, 0x40 | ihl);
    b8(b, 0);
    b16(b, 0);
    b16(b, id);
    b16(b, frag);
    b8(b, 64);
    b8(b, proto);
    b16(b, 0);
    b32(b, 0x0a000001);
    b32(b, 0xc0000207);
    for (unsigned i = 5; i < ihl; i++)
        b32(b, 0x01010101);
    return off;
}
static void ip4_end(struct bld *b, size_t off) { bset16(b, off + 2, (unsigned)(b->n - off)); }

/* IPv6 header 2001:db8::1 -> 2001:db8::2; payload length fixed by ip6_end. */
static size_t ip6(struct bld *b, unsigned nh)
{
    size_t off = b->n;
    b32(b, 0x60012345);
    b16(b, 0);
    b8(b, nh);
    b8(b, 64);
    b32(b, 0x20010db8); b32(b, 0); b32(b, 0); b32(b, 1);
    b32(b, 0x20010db8); b32(b, 0); b32(b, 0); b32(b, 2);
    return off;
}
static void ip6_end(struct bld *b, size_t off) { bset16(b, off + 4, (unsigned)(b->n - off - 40)); }

/* Generic 8n-byte extension header (hop-by-hop, routing, dst options). */
static void ext6(struct bld *b, unsigned next, unsigned len8)
{
    b8(b, next);
    b8(b, len8);
    bfill(b, (len8 + 1) * 8 - 2, 0);
}

static void tcp(struct bld *b, unsigned sport, unsigned dport, unsigned doff)
{
    b16(b, sport);
    b16(b, dport);
    b32(b, 0x01020304);
    b32(b, 0);
    b8(b, doff << 4);
    b8(b, 0x18);              /* PSH|ACK */
    b16(b, 65535);
    b32(b, 0);
    for (unsigned i = 5; i < doff; i++)
        b32(b, 0x01010101);
}

static size_t udp(struct bld *b, unsigned sport, unsigned dport)
{
    size_t off = b->n;
    b16(b, sport);
    b16(b, dport);
    b16(b, 0);
    b16(b, 0);
    return off;
}
static void udp_end(struct bld *b, size_t off) { bset16(b, off + 4, (unsigned)(b->n - off)); }

/* IPv4 + TCP 40000 -> 443 + 10 payload bytes. */
static void ip4_tcp(struct bld *b)
{
    size_t o = ip4(b, 6, 0x1234, 0x4000, 5);
    tcp(b, 40000, 443, 5);
    bfill(b, 10, 0xa0);
    ip4_end(b, o);
}

/* IPv6 + UDP 5353 -> 53 + 12 payload bytes. */
static void ip6_udp(struct bld *b)
{
    size_t o = ip6(b, 17);
    size_t u = udp(b, 5353, 53);
    bfill(b, 12, 0xb0);
    udp_end(b, u);
    ip6_end(b, o);
}

/* ---- expectations ------------------------------------------------------ */

struct exp {
    uint8_t ipver, proto, frag, tcp_flags, icmp_type, icmp_code;
    bool ports;
    uint16_t sport, dport, vlan;
    uint32_t ip_bytes, tcp_seq, frag_id, l4_len;
    size_t hdr_end;   /* offset of the L4 payload */
    size_t min_ok;    /* shortest caplen that decodes */
};

static struct exp exp_ip4_tcp(size_t link)
{
    struct exp e = { .ipver = 4, .proto = 6, .tcp_flags = 0x18, .ports = true,
                     .sport = 40000, .dport = 443, .ip_bytes = 50,
                     .tcp_seq = 0x01020304, .frag_id = 0x1234, .l4_len = 10,
                     .hdr_end = link + 40, .min_ok = link + 40 };
    return e;
}

static struct exp exp_ip6_udp(size_t link)
{
    struct exp e = { .ipver = 6, .proto = 17, .ports = true, .sport = 5353,
                     .dport = 53, .ip_bytes = 60, .l4_len = 12,
                     .hdr_end = link + 48, .min_ok = link + 48 };
    return e;
}

static enum dec_result decode_copy(int dlt, const uint8_t *src, size_t cap,
                                   size_t wire, struct xm_pkt *p)
{
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf)
        abort();
    memcpy(buf, src, cap);
    enum dec_result r = dec_packet(dlt, 7, buf, (uint32_t)cap, (uint32_t)wire, p, &g_st);
    /* pointer check while buf is alive */
    if (r == DEC_OK && p->l4_caplen) {
        CHECK(p->l4_payload >= buf && p->l4_payload + p->l4_caplen <= buf + cap);
        p->l4_payload = src + (p->l4_payload - buf);
    }
    free(buf);
    return r;
}

static void check_addrs(const struct xm_pkt *p, unsigned ipver)
{
    struct xm_addr s, d;
    xm_addr_parse(ipver == 4 ? "10.0.0.1" : "2001:db8::1", &s);
    xm_addr_parse(ipver == 4 ? "192.0.2.7" : "2001:db8::2", &d);
    CHECK(memcmp(&p->src, &s, sizeof s) == 0);
    CHECK(memcmp(&p->dst, &d, sizeof d) == 0);
}

static void check_fields(const char *name, const struct xm_pkt *p, const struct exp *e,
                         const uint8_t *data, size_t cap)
{
    size_t want_cap = cap > e->hdr_end ? cap - e->hdr_end : 0;
    if (want_cap > e->l4_len)
        want_cap = e->l4_len;
    int fails = xm_test_fail_;
    CHECK_EQ_U64(p->ipver, e->ipver);
    CHECK_EQ_U64(p->proto, e->proto);
    CHECK_EQ_U64(p->frag, e->frag);
    CHECK_EQ_U64(p->has_ports, e->ports);
    CHECK_EQ_U64(p->sport, e->sport);
    CHECK_EQ_U64(p->dport, e->dport);
    CHECK_EQ_U64(p->vlan, e->vlan);
    CHECK_EQ_U64(p->ip_bytes, e->ip_bytes);
    CHECK_EQ_U64(p->l4_len, e->l4_len);
    CHECK_EQ_U64(p->l4_caplen, want_cap);
    if (want_cap)
        CHECK(p->l4_payload == data + e->hdr_end);
    else
        CHECK(p->l4_payload == NULL);
    if (e->proto == 6 && e->ports) {
        CHECK_EQ_U64(p->tcp_flags, e->tcp_flags);
        CHECK_EQ_U64(p->tcp_seq, e->tcp_seq);
    }
    if (e->proto == 1 || e->proto == 58) {
        CHECK_EQ_U64(p->icmp_type, e->icmp_type);
        CHECK_EQ_U64(p->icmp_code, e->icmp_code);
    }
    if (e->frag_id)
        CHECK_EQ_U64(p->frag_id, e->frag_id);
    CHECK_EQ_U64(p->ts, 7);
    CHECK_EQ_U64(p->caplen, cap);
    check_addrs(p, e->ipver);
    if (xm_test_fail_ != fails)
        fprintf(stderr, "  ... in case %s, caplen %zu\n", name, cap);
}

/* Full decode plus every truncation point. */
static void check_good(const char *name, int dlt, const struct bld *b, const struct exp *e)
{
    struct xm_pkt p;
    enum dec_result r = decode_copy(dlt, b->b, b->n, b->n, &p);
    if (r != DEC_OK)
        fprintf(stderr, "case %s: result %s\n", name, dec_result_name(r));
    CHECK_EQ_U64(r, DEC_OK);
    CHECK_EQ_U64(p.len_from_wire, 0);
    check_fields(name, &p, e, b->b, b->n);
    for (size_t cap = 0; cap < b->n; cap++) {
        r = decode_copy(dlt, b->b, cap, b->n, &p);
        if (cap < e->min_ok) {
            if (r != DEC_TRUNCATED)
                fprintf(stderr, "case %s caplen %zu: %s\n", name, cap, dec_result_name(r));
            CHECK_EQ_U64(r, DEC_TRUNCATED);
        } else {
            CHECK_EQ_U64(r, DEC_OK);
            if (r == DEC_OK)
                check_fields(name, &p, e, b->b, cap);
        }
    }
}

/* Decode whole, expect result r with reason why. */
static void check_bad(const char *name, int dlt, const struct bld *b,
                      enum dec_result want, enum dec_reason why)
{
    struct xm_pkt p;
    uint64_t before = g_st.reason[why];
    enum dec_result r = decode_copy(dlt, b->b, b->n, b->n, &p);
    if (r != want || g_st.reason[why] != before + 1)
        fprintf(stderr, "case %s: got %s, wanted %s/%s\n", name, dec_result_name(r),
                dec_result_name(want), dec_reason_name(why));
    CHECK_EQ_U64(r, want);
    CHECK_EQ_U64(g_st.reason[why], before + 1);
}

/* ---- link layers ---------------------------------------------------------- */

static void test_links(void)
{
    struct bld b;
    struct exp e;

    b.n = 0; eth(&b, 0x0800); ip4_tcp(&b);
    e = exp_ip4_tcp(14);
    check_good("eth ip4 tcp", XM_DLT_EN10MB, &b, &e);

    /* 802.1ad outer, 802.1Q, 0x9100 inner (PCP 7, DEI 1, VID 300) */
    b.n = 0; eth(&b, 0x88a8); b16(&b, 0x2064); b16(&b, 0x8100); b16(&b, 0x00c8);
    b16(&b, 0x9100); b16(&b, 0xf12c); b16(&b, 0x86dd); ip6_udp(&b);
    e = exp_ip6_udp(26);
    e.vlan = 300;
    check_good("eth qinq ip6 udp", XM_DLT_EN10MB, &b, &e);

    b.n = 0; b16(&b, 0); b16(&b, 1); b16(&b, 6); bfill(&b, 8, 0x20); b16(&b, 0x0800);
    ip4_tcp(&b);
    e = exp_ip4_tcp(16);
    check_good("sll ip4", XM_DLT_LINUX_SLL, &b, &e);

    b.n = 0; b16(&b, 0x86dd); b16(&b, 0); b32(&b, 2); b16(&b, 1); b8(&b, 0); b8(&b, 6);
    bfill(&b, 8, 0x20); ip6_udp(&b);
    e = exp_ip6_udp(20);
    check_good("sll2 ip6", XM_DLT_LINUX_SLL2, &b, &e);

    static const int raw[] = { XM_DLT_RAW, XM_DLT_RAW_OLD, XM_DLT_RAW_OLD2 };
    for (size_t i = 0; i < XM_ARRAY_LEN(raw); i++) {
        b.n = 0; ip4_tcp(&b); e = exp_ip4_tcp(0);
        check_good("raw ip4", raw[i], &b, &e);
        b.n = 0; ip6_udp(&b); e = exp_ip6_udp(0);
        check_good("raw ip6", raw[i], &b, &e);
    }
    b.n = 0; ip4_tcp(&b); e = exp_ip4_tcp(0);
    check_good("ipv4 dlt", XM_DLT_IPV4, &b, &e);
    b.n = 0; ip6_udp(&b); e = exp_ip6_udp(0);
    check_good("ipv6 dlt", XM_DLT_IPV6, &b, &e);
}

static void af_le(struct bld *b, uint32_t af)
{
    b8(b, af); b8(b, af >> 8); b8(b, af >> 16); b8(b, af >> 24);
}

static void test_loopback(void)
{
    struct bld b;
    struct exp e;

    b.n = 0; af_le(&b, 2); ip4_tcp(&b); e = exp_ip4_tcp(4);
    check_good("null le af2", XM_DLT_NULL, &b, &e);
    b.n = 0; b32(&b, 2); ip4_tcp(&b);
    check_good("null be af2", XM_DLT_NULL, &b, &e);
    static const uint32_t af6[] = { 24, 28, 30 };
    for (size_t i = 0; i < XM_ARRAY_LEN(af6); i++) {
        e = exp_ip6_udp(4);
        b.n = 0; af_le(&b, af6[i]); ip6_udp(&b);
        check_good("null le af6", XM_DLT_NULL, &b, &e);
        b.n = 0; b32(&b, af6[i]); ip6_udp(&b);
        check_good("null be af6", XM_DLT_NULL, &b, &e);
        check_good("loop af6", XM_DLT_LOOP, &b, &e);
    }
    b.n = 0; b32(&b, 2); ip4_tcp(&b); e = exp_ip4_tcp(4);
    check_good("loop af2", XM_DLT_LOOP, &b, &e);
    b.n = 0; af_le(&b, 7); ip4_tcp(&b);
    check_bad("null af7", XM_DLT_NULL, &b, DEC_NOT_IP, DR_NOT_IP);
    /* neither byte order is an AF: HDLC-like header, ethertype at 2 */
    b.n = 0; b16(&b, 0x0f00); b16(&b, 0x0800); ip4_tcp(&b); e = exp_ip4_tcp(4);
    check_good("null hdlc-like", XM_DLT_NULL, &b, &e);
    b.n = 0; b16(&b, 0x0f00); b16(&b, 0x0806); bfill(&b, 28, 0);
    check_bad("null hdlc-like arp", XM_DLT_NULL, &b, DEC_NOT_IP, DR_NOT_IP);
}

static void test_ppp_mpls(void)
{
    struct bld b;
    struct exp e;

    b.n = 0; eth(&b, 0x8864); b16(&b, 0x1100); b16(&b, 0x1234); b16(&b, 52);
    b16(&b, 0x0021); ip4_tcp(&b); e = exp_ip4_tcp(22);
    check_good("pppoe ip4", XM_DLT_EN10MB, &b, &e);
    b.n = 0; eth(&b, 0x8100); b16(&b, 42); b16(&b, 0x8864); b16(&b, 0x1100);
    b16(&b, 0x1234); b16(&b, 62); b16(&b, 0x0057); ip6_udp(&b);
    e = exp_ip6_udp(26); e.vlan = 42;
    check_good("vlan pppoe ip6", XM_DLT_EN10MB, &b, &e);

    b.n = 0; eth(&b, 0x8847); b32(&b, 0x00010040); b32(&b, 0x00020140); ip4_tcp(&b);
    e = exp_ip4_tcp(22);
    check_good("mpls ip4", XM_DLT_EN10MB, &b, &e);
    b.n = 0; eth(&b, 0x8847); b32(&b, 0x00010140); ip6_udp(&b); e = exp_ip6_udp(18);
    check_good("mpls ip6", XM_DLT_EN10MB, &b, &e);
    b.n = 0; eth(&b, 0x8847); b32(&b, 0x00010140); b32(&b, 0); bfill(&b, 60, 0);
    check_bad("mpls pw", XM_DLT_EN10MB, &b, DEC_NOT_IP, DR_NOT_IP);
    b.n = 0; eth(&b, 0x8847);
    for (int i = 0; i < 17; i++)
        b32(&b, 0x00010040);
    b32(&b, 0x00010140); ip4_tcp(&b);
    check_bad("mpls deep", XM_DLT_EN10MB, &b, DEC_INVALID, DR_MPLS_TOO_DEEP);

    b.n = 0; b8(&b, 0xff); b8(&b, 0x03); b16(&b, 0x0021); ip4_tcp(&b); e = exp_ip4_tcp(4);
    check_good("ppp ff03 ip4", 9, &b, &e);
    b.n = 0; b16(&b, 0x0057); ip6_udp(&b); e = exp_ip6_udp(2);
    check_good("ppp ip6", 9, &b, &e);
    b.n = 0; b8(&b, 0x21); ip4_tcp(&b); e = exp_ip4_tcp(1);
    check_good("ppp pfc ip4", 9, &b, &e);
    b.n = 0; b8(&b, 0xff); b8(&b, 0x03); b16(&b, 0x0281); b32(&b, 0x00010140);
    ip4_tcp(&b); e = exp_ip4_tcp(8);
    check_good("ppp mpls ip4", 9, &b, &e);
    b.n = 0; b8(&b, 0xff); b8(&b, 0x03); b16(&b, 0xc021); bfill(&b, 10, 0);
    check_bad("ppp lcp", 9, &b, DEC_NOT_IP, DR_NOT_IP);

    b.n = 0; b8(&b, 0x0f); b8(&b, 0); b16(&b, 0x0800); ip4_tcp(&b); e = exp_ip4_tcp(4);
    check_good("chdlc ip4", 104, &b, &e);
    b.n = 0; b8(&b, 0x8f); b8(&b, 0); b16(&b, 0x8035); bfill(&b, 20, 0);
    check_bad("chdlc slarp", 104, &b, DEC_NOT_IP, DR_NOT_IP);
}

static void test_vlan_depth(void)
{
    struct bld b;
    struct exp e;
    b.n = 0; eth(&b, 0x8100);
    for (unsigned i = 1; i < 8; i++) {
        b16(&b, i); b16(&b, 0x8100);
    }
    b16(&b, 8); b16(&b, 0x0800); ip4_tcp(&b);
    e = exp_ip4_tcp(14 + 32); e.vlan = 8;
    check_good("vlan x8", XM_DLT_EN10MB, &b, &e);

    b.n = 0; eth(&b, 0x8100);
    for (unsigned i = 1; i < 9; i++) {
        b16(&b, i); b16(&b, 0x8100);
    }
    b16(&b, 9); b16(&b, 0x0800); ip4_tcp(&b);
    check_bad("vlan x9", XM_DLT_EN10MB, &b, DEC_INVALID, DR_VLAN_TOO_DEEP);
}

static void test_not_ip(void)
{
    struct bld b;
    b.n = 0; eth(&b, 0x0806); bfill(&b, 28, 0);
    check_bad("arp", XM_DLT_EN10MB, &b, DEC_NOT_IP, DR_NOT_IP);
    b.n = 0; eth(&b, 0x002e); b8(&b, 0xaa); b8(&b, 0xaa); b8(&b, 3); bfill(&b, 43, 0);
    check_bad("802.3", XM_DLT_EN10MB, &b, DEC_NOT_IP, DR_NOT_IP);
    b.n = 0; bfill(&b, 64, 0);
    check_bad("dlt 147 (USER0)", 147, &b, DEC_UNSUPPORTED_DLT, DR_UNSUPPORTED_DLT);
    b.n = 0;
    check_bad("dlt 147 empty", 147, &b, DEC_UNSUPPORTED_DLT, DR_UNSUPPORTED_DLT);
}

/* ---- IPv4 / IPv6 / L4 ------------------------------------------------------ */

static void test_ip4(void)
{
    struct bld b;
    struct exp e;
    size_t o, u;

    /* IHL 6 (one option word), TCP data offset 8: options are not needed */
    b.n = 0; eth(&b, 0x0800); o = ip4(&b, 6, 1, 0, 6); tcp(&b, 1, 2, 8);
    bfill(&b, 5, 0xc0); ip4_end(&b, o);
    e = (struct exp){ .ipver = 4, .proto = 6, .tcp_flags = 0x18, .ports = true,
                      .sport = 1, .dport = 2, .ip_bytes = 24 + 32 + 5,
                      .tcp_seq = 0x01020304, .frag_id = 1, .l4_len = 5,
                      .hdr_end = 14 + 24 + 32, .min_ok = 14 + 24 + 20 };
    check_good("ip4 opts tcp opts", XM_DLT_EN10MB, &b, &e);

    /* first fragment: MF, offset 0 */
    b.n = 0; eth(&b, 0x0800); o = ip4(&b, 17, 0xbeef, 0x2000, 5);
    u = udp(&b, 1111, 2222); bfill(&b, 16, 0); udp_end(&b, u);
    bset16(&b, u + 4, 1500);  /* whole-datagram length */
    ip4_end(&b, o);
    e = (struct exp){ .ipver = 4, .proto = 17, .frag = XM_FRAG_FIRST, .ports = true,
                      .sport = 1111, .dport = 2222, .ip_bytes = 44, .frag_id = 0xbeef,
                      .l4_len = 16, .hdr_end = 42, .min_ok = 42 };
    check_good("ip4 first frag", XM_DLT_EN10MB, &b, &e);

    /* later fragment: offset 3 (24 bytes), no L4 header */
    b.n = 0; eth(&b, 0x0800); o = ip4(&b, 17, 0xbeef, 0x0003, 5);
    bfill(&b, 20, 0x40); ip4_end(&b, o);
    e = (struct exp){ .ipver = 4, .proto = 17, .frag = XM_FRAG_LATER,
                      .ip_bytes = 40, .frag_id = 0xbeef, .l4_len = 20,
                      .hdr_end = 34, .min_ok = 34 };
    check_good("ip4 later frag", XM_DLT_EN10MB, &b, &e);

    /* tiny first fragment (RFC 1858): 8 bytes of TCP, ports only */
    b.n = 0; eth(&b, 0x0800); o = ip4(&b, 6, 9, 0x2000, 5); tcp(&b, 5000, 80, 5);
    b.n -= 12; ip4_end(&b, o);
    e = (struct exp){ .ipver = 4, .proto = 6, .frag = XM_FRAG_FIRST, .ports = true,
                      .sport = 5000, .dport = 80, .ip_bytes = 28, .frag_id = 9,
                      .l4_len = 0, .hdr_end = 42, .min_ok = 38 };
    check_good("ip4 tiny frag", XM_DLT_EN10MB, &b, &e);

    /* ICMP destination unreachable */
    b.n = 0; eth(&b, 0x0800); o = ip4(&b, 1, 3, 0, 5); b8(&b, 3); b8(&b, 1);
    b16(&b, 0); b32(&b, 0); bfill(&b, 28, 0x45); ip4_end(&b, o);
    e = (struct exp){ .ipver = 4, .proto = 1, .icmp_type = 3, .icmp_code = 1,
                      .ip_bytes = 56, .frag_id = 3, .l4_len = 28, .hdr_end = 42,
                      .min_ok = 42 };
    check_good("ip4 icmp", XM_DLT_EN10MB, &b, &e);

    /* SCTP */
    b.n = 0; eth(&b, 0x0800); o = ip4(&b, 132, 4, 0, 5); b16(&b, 2905); b16(&b, 2906);
    b32(&b, 0xabcdef01); b32(&b, 0); bfill(&b, 16, 0); ip4_end(&b, o);
    e = (struct exp){ .ipver = 4, .proto = 132, .ports = true, .sport = 2905,
                      .dport = 2906, .ip_bytes = 48, .frag_id = 4, .l4_len = 16,
                      .hdr_end = 46, .min_ok = 46 };
    check_good("ip4 sctp", XM_DLT_EN10MB, &b, &e);

    /* GRE: no ports, payload = all after IP */
    b.n = 0; eth(&b, 0x0800); o = ip4(&b, 47, 5, 0, 5); bfill(&b, 24, 0); ip4_end(&b, o);
    e = (struct exp){ .ipver = 4, .proto = 47, .ip_bytes = 44, .frag_id = 5,
                      .l4_len = 24, .hdr_end = 34, .min_ok = 34 };
    check_good("ip4 gre", XM_DLT_EN10MB, &b, &e);

    /* Ethernet padding past the IP length is not payload */
    b.n = 0; eth(&b, 0x0800); ip4_tcp(&b); bfill(&b, 6, 0xee);
    e = exp_ip4_tcp(14);
    check_good("ip4 padded", XM_DLT_EN10MB, &b, &e);
}

static void test_ip6(void)
{
    struct bld b;
    struct exp e;
    size_t o, u;

    /* hop-by-hop, routing, destination options, first fragment, TCP */
    b.n = 0; eth(&b, 0x86dd); o = ip6(&b, 0);
    ext6(&b, 43, 0); ext6(&b, 60, 2); ext6(&b, 44, 0);
    b8(&b, 6); b8(&b, 0); b16(&b, 0x0001); b32(&b, 0x11223344);
    tcp(&b, 40000, 443, 5); bfill(&b, 8, 0); ip6_end(&b, o);
    e = (struct exp){ .ipver = 6, .proto = 6, .frag = XM_FRAG_FIRST, .tcp_flags = 0x18,
                      .ports = true, .sport = 40000, .dport = 443,
                      .ip_bytes = 40 + 48 + 28, .tcp_seq = 0x01020304,
                      .frag_id = 0x11223344, .l4_len = 8, .hdr_end = 14 + 88 + 20,
                      .min_ok = 14 + 88 + 20 };
    check_good("ip6 ext chain", XM_DLT_EN10MB, &b, &e);

    /* later fragment */
    b.n = 0; eth(&b, 0x86dd); o = ip6(&b, 44); b8(&b, 6); b8(&b, 0);
    b16(&b, (100 << 3) | 1); b32(&b, 77); bfill(&b, 16, 0); ip6_end(&b, o);
    e = (struct exp){ .ipver = 6, .proto = 6, .frag = XM_FRAG_LATER, .ip_bytes = 64,
                      .frag_id = 77, .l4_len = 16, .hdr_end = 62, .min_ok = 62 };
    check_good("ip6 later frag", XM_DLT_EN10MB, &b, &e);
    bset16(&b, 54 + 2, (1 << 3) | 0);   /* offset 1 (8 bytes), last fragment */
    check_good("ip6 later frag off 1", XM_DLT_EN10MB, &b, &e);

    /* atomic fragment (offset 0, M 0) is a whole packet */
    b.n = 0; eth(&b, 0x86dd); o = ip6(&b, 44); b8(&b, 17); b8(&b, 0);
    b16(&b, 0); b32(&b, 78); u = udp(&b, 9, 10); udp_end(&b, u); ip6_end(&b, o);
    e = (struct exp){ .ipver = 6, .proto = 17, .ports = true, .sport = 9, .dport = 10,
                      .ip_bytes = 56, .frag_id = 78, .hdr_end = 70, .min_ok = 70 };
    check_good("ip6 atomic frag", XM_DLT_EN10MB, &b, &e);

    /* AH: payload length 4 -> (4 + 2) * 4 = 24 bytes */
    b.n = 0; eth(&b, 0x86dd); o = ip6(&b, 51); b8(&b, 17); b8(&b, 4); bfill(&b, 22, 0);
    u = udp(&b, 500, 4500); bfill(&b, 4, 0); udp_end(&b, u); ip6_end(&b, o);
    e = (struct exp){ .ipver = 6, .proto = 17, .ports = true, .sport = 500, .dport = 4500,
                      .ip_bytes = 40 + 24 + 12, .l4_len = 4, .hdr_end = 14 + 64 + 8,
                      .min_ok = 14 + 64 + 8 };
    check_good("ip6 ah udp", XM_DLT_EN10MB, &b, &e);

    /* ESP ends parsing */
    b.n = 0; eth(&b, 0x86dd); o = ip6(&b, 50); bfill(&b, 24, 0); ip6_end(&b, o);
    e = (struct exp){ .ipver = 6, .proto = 50, .ip_bytes = 64, .l4_len = 24,
                      .hdr_end = 54, .min_ok = 54 };
    check_good("ip6 esp", XM_DLT_EN10MB, &b, &e);

    /* no next header, payload length 0 */
    b.n = 0; eth(&b, 0x86dd); ip6(&b, 59);
    e = (struct exp){ .ipver = 6, .proto = 59, .ip_bytes = 40, .hdr_end = 54, .min_ok = 54 };
    check_good("ip6 no next", XM_DLT_EN10MB, &b, &e);

    /* ICMPv6 echo request over SLL2 */
    b.n = 0; b16(&b, 0x86dd); bfill(&b, 18, 0); o = ip6(&b, 58); b8(&b, 128); b8(&b, 0);
    b16(&b, 0); b32(&b, 0x00010002); bfill(&b, 32, 0x61); ip6_end(&b, o);
    e = (struct exp){ .ipver = 6, .proto = 58, .icmp_type = 128, .ip_bytes = 80,
                      .l4_len = 32, .hdr_end = 68, .min_ok = 68 };
    check_good("ip6 icmp6", XM_DLT_LINUX_SLL2, &b, &e);

    /* 16 extension headers are fine, 17 are too many */
    b.n = 0; o = ip6(&b, 60);
    for (int i = 0; i < 15; i++)
        ext6(&b, 60, 0);
    ext6(&b, 17, 0); u = udp(&b, 1, 2); udp_end(&b, u); ip6_end(&b, o);
    e = (struct exp){ .ipver = 6, .proto = 17, .ports = true, .sport = 1, .dport = 2,
                      .ip_bytes = 40 + 128 + 8, .hdr_end = 176, .min_ok = 176 };
    check_good("ip6 16 ext", XM_DLT_IPV6, &b, &e);
    b.n = 0; o = ip6(&b, 60);
    for (int i = 0; i < 16; i++)
        ext6(&b, 60, 0);
    ext6(&b, 17, 0); u = udp(&b, 1, 2); udp_end(&b, u); ip6_end(&b, o);
    check_bad("ip6 17 ext", XM_DLT_IPV6, &b, DEC_INVALID, DR_IP6_EXT_TOO_MANY);
}

static void test_invalid(void)
{
    struct bld b;
    size_t o, u;

    b.n = 0; eth(&b, 0x0800); ip6_udp(&b);
    check_bad("ip4 bad version", XM_DLT_EN10MB, &b, DEC_INVALID, DR_IP4_BAD_VERSION);
    b.n = 0; eth(&b, 0x86dd); ip4_tcp(&b);
    check_bad("ip6 bad version", XM_DLT_EN10MB, &b, DEC_INVALID, DR_IP6_BAD_VERSION);
    b.n = 0; ip4_tcp(&b); b.b[0] = 0x55;
    check_bad("raw bad version", XM_DLT_RAW, &b, DEC_INVALID, DR_IP_BAD_VERSION);
    b.n = 0; ip4_tcp(&b); b.b[0] = 0x44;
    check_bad("ihl 4", XM_DLT_IPV4, &b, DEC_INVALID, DR_IP4_BAD_IHL);
    b.n = 0; ip4_tcp(&b); bset16(&b, 2, 19);
    check_bad("totlen 19", XM_DLT_IPV4, &b, DEC_INVALID, DR_IP4_BAD_LEN);
    b.n = 0; ip4_tcp(&b); bset16(&b, 2, 20);
    check_bad("totlen 20 tcp", XM_DLT_IPV4, &b, DEC_INVALID, DR_L4_BAD_LEN);
    b.n = 0; ip4_tcp(&b); b.b[32] = 0x40;
    check_bad("tcp off 4", XM_DLT_IPV4, &b, DEC_INVALID, DR_TCP_BAD_OFF);
    b.n = 0; o = ip4(&b, 17, 0, 0, 5); u = udp(&b, 1, 2); bfill(&b, 8, 0); ip4_end(&b, o);
    bset16(&b, u + 4, 7);
    check_bad("udp len 7", XM_DLT_IPV4, &b, DEC_INVALID, DR_UDP_BAD_LEN);
    b.n = 0; o = ip6(&b, 0); ext6(&b, 6, 0); tcp(&b, 1, 2, 5); ip6_end(&b, o);
    bset16(&b, 4, 4);
    check_bad("ip6 ext past plen", XM_DLT_IPV6, &b, DEC_INVALID, DR_IP6_BAD_LEN);
    bset16(&b, 4, 8);
    check_bad("ip6 no room for tcp", XM_DLT_IPV6, &b, DEC_INVALID, DR_L4_BAD_LEN);
    /* IP length beyond the wire length (frame complete: caplen == wirelen) */
    b.n = 0; eth(&b, 0x0800); ip4_tcp(&b); bset16(&b, 16, 51);
    check_bad("ip4 len > wire", XM_DLT_EN10MB, &b, DEC_INVALID, DR_IP4_BAD_LEN);
    b.n = 0; eth(&b, 0x86dd); ip6_udp(&b); bset16(&b, 18, 21);
    check_bad("ip6 len > wire", XM_DLT_EN10MB, &b, DEC_INVALID, DR_IP6_BAD_LEN);
    b.n = 0; ip4_tcp(&b); b.n = 15;
    check_bad("ip4 trunc", XM_DLT_IPV4, &b, DEC_TRUNCATED, DR_IP4_TRUNC);
    /* snaplen 30 of a 50-byte packet: the TCP header is cut */
    struct xm_pkt p;
    b.n = 0; ip4_tcp(&b);
    uint64_t before = g_st.reason[DR_TCP_TRUNC];
    CHECK_EQ_U64(decode_copy(XM_DLT_IPV4, b.b, 30, 50, &p), DEC_TRUNCATED);
    CHECK_EQ_U64(g_st.reason[DR_TCP_TRUNC], before + 1);
    /* the same cut with wirelen 30 is a lying IP length instead */
    CHECK_EQ_U64(decode_copy(XM_DLT_IPV4, b.b, 30, 30, &p), DEC_INVALID);
}

/* ip_bytes comes from the IP header, not caplen; TSO length 0 uses the wire. */
static void test_lengths(void)
{
    struct bld b;
    struct xm_pkt p;
    size_t o;

    b.n = 0; eth(&b, 0x0800); o = ip4(&b, 6, 1, 0x4000, 5); tcp(&b, 1, 2, 5);
    bset16(&b, o + 2, 1500);
    CHECK_EQ_U64(decode_copy(XM_DLT_EN10MB, b.b, 54, 1514, &p), DEC_OK);
    CHECK_EQ_U64(p.ip_bytes, 1500);
    CHECK_EQ_U64(p.l4_len, 1460);
    CHECK_EQ_U64(p.l4_caplen, 0);
    CHECK_EQ_U64(p.len_from_wire, 0);

    b.n = 0; eth(&b, 0x86dd); o = ip6(&b, 6); tcp(&b, 1, 2, 5);
    bset16(&b, o + 4, 1460);
    CHECK_EQ_U64(decode_copy(XM_DLT_EN10MB, b.b, 74, 1514, &p), DEC_OK);
    CHECK_EQ_U64(p.ip_bytes, 1500);
    CHECK_EQ_U64(p.l4_len, 1440);
    /* 54 bytes of an IPv6 frame end before the TCP header: cannot key */
    CHECK_EQ_U64(decode_copy(XM_DLT_EN10MB, b.b, 54, 1514, &p), DEC_TRUNCATED);

    /* TSO: IPv4 total length 0, 9000-byte super-segment */
    b.n = 0; eth(&b, 0x0800); ip4(&b, 6, 1, 0x4000, 5); tcp(&b, 1, 2, 5);
    bfill(&b, 100, 0);
    CHECK_EQ_U64(decode_copy(XM_DLT_EN10MB, b.b, b.n, 14 + 9000, &p), DEC_OK);
    CHECK_EQ_U64(p.ip_bytes, 9000);
    CHECK_EQ_U64(p.len_from_wire, 1);
    CHECK_EQ_U64(p.l4_len, 8960);
    CHECK_EQ_U64(p.l4_caplen, 100);
    /* wirelen below caplen (broken record): caplen is the floor */
    CHECK_EQ_U64(decode_copy(XM_DLT_EN10MB, b.b, b.n, 10, &p), DEC_OK);
    CHECK_EQ_U64(p.ip_bytes, b.n - 14);

    /* IPv6 payload length 0 (jumbogram/TSO) with UDP length 0 */
    b.n = 0; eth(&b, 0x86dd); ip6(&b, 17); udp(&b, 1, 2); bfill(&b, 40, 0);
    CHECK_EQ_U64(decode_copy(XM_DLT_EN10MB, b.b, b.n, 14 + 70000, &p), DEC_OK);
    CHECK_EQ_U64(p.ip_bytes, 70000);
    CHECK_EQ_U64(p.len_from_wire, 1);
    CHECK_EQ_U64(p.l4_len, 70000 - 48);
    CHECK(p.has_ports);
}

static void test_names_and_dlts(void)
{
    CHECK_STR(dec_result_name(DEC_OK), "ok");
    CHECK_STR(dec_result_name(DEC_TRUNCATED), "truncated");
    CHECK_STR(dec_result_name(DEC_RESULT_MAX), "unknown");
    CHECK_STR(dec_reason_name(DR_IP4_BAD_IHL), "ip4_bad_ihl");
    CHECK_STR(dec_reason_name(DR_MAX), "unknown");
    for (int i = 0; i < DR_MAX; i++) {
        CHECK(strcmp(dec_reason_name((enum dec_reason)i), "unknown") != 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(dec_reason_name((enum dec_reason)i),
                         dec_reason_name((enum dec_reason)j)) != 0);
    }
    /* dec_dlt_supported agrees with dec_packet */
    static const uint8_t zero[64];
    struct xm_pkt p;
    int n = 0;
    for (int dlt = -1; dlt < 400; dlt++) {
        enum dec_result r = dec_packet(dlt, 0, zero, sizeof zero, sizeof zero, &p, NULL);
        CHECK_EQ_U64(r != DEC_UNSUPPORTED_DLT, dec_dlt_supported(dlt));
        n += dec_dlt_supported(dlt);
    }
    CHECK_EQ_U64(n, 22);   /* rows of dec_link_types[] (capture/link.c) */
}

/* Every counted reason maps to the result it was counted with. */
static void test_counters(void)
{
    uint64_t rs = 0, ws = 0;
    for (int i = 0; i < DEC_RESULT_MAX; i++)
        rs += g_st.result[i];
    for (int i = 0; i < DR_MAX; i++)
        ws += g_st.reason[i];
    CHECK_EQ_U64(rs, g_st.packets);
    CHECK_EQ_U64(ws, g_st.packets);
    CHECK_EQ_U64(g_st.reason[DR_NONE], g_st.result[DEC_OK]);
    CHECK_EQ_U64(g_st.reason[DR_NOT_IP], g_st.result[DEC_NOT_IP]);
    CHECK_EQ_U64(g_st.reason[DR_UNSUPPORTED_DLT], g_st.result[DEC_UNSUPPORTED_DLT]);
    CHECK(g_st.result[DEC_TRUNCATED] > 100);
    CHECK(g_st.reason[DR_LINK_TRUNC] > 0 && g_st.reason[DR_VLAN_TRUNC] > 0);
    CHECK(g_st.reason[DR_SLL_TRUNC] > 0 && g_st.reason[DR_PPPOE_TRUNC] > 0);
    CHECK(g_st.reason[DR_MPLS_TRUNC] > 0 && g_st.reason[DR_IP6_EXT_TRUNC] > 0);
    CHECK(g_st.reason[DR_TCP_TRUNC] > 0 && g_st.reason[DR_UDP_TRUNC] > 0);
    CHECK(g_st.reason[DR_ICMP_TRUNC] > 0 && g_st.reason[DR_SCTP_TRUNC] > 0);

    /* per-reason result check on a fresh counter set */
    struct dec_stats st;
    struct xm_pkt p;
    memset(&st, 0, sizeof st);
    static const uint8_t v4hdr[21] = { 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6 };
    CHECK_EQ_U64(dec_packet(XM_DLT_IPV4, 0, v4hdr, 20, 40, &p, &st), DEC_TRUNCATED);
    CHECK_EQ_U64(st.reason[DR_TCP_TRUNC], 1);
    CHECK_EQ_U64(st.result[DEC_TRUNCATED], 1);
    CHECK_EQ_U64(st.packets, 1);
}

int main(void)
{
    test_links();
    test_loopback();
    test_ppp_mpls();
    test_vlan_depth();
    test_not_ip();
    test_ip4();
    test_ip6();
    test_invalid();
    test_lengths();
    test_names_and_dlts();
    test_counters();
    return xm_test_result();
}
