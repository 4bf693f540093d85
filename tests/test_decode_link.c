/*
 * test_decode_link.c - unit tests for the link types and L2
 * encapsulations of capture/link_nflog.c, link_wlan.c, link_pktap.c,
 * link_misc.c (IPoIB, FDDI, ipnet, ARCNET) and the LLC/SNAP, PBB and VN-Tag paths of decode.c
 * (tests/test_decode.c holds the older ones; it is near the 800-line cap).
 *
 * Every good frame is a link header followed by the same IPv4/UDP packet
 * (10.0.0.1:40000 -> 192.0.2.7:53, 40 bytes).  It is decoded whole, then
 * at every caplen 0..len-1 (wire length kept) from an exact-size heap copy
 * so AddressSanitizer sees any read past caplen: shorter than the headers
 * must be DEC_TRUNCATED, longer DEC_OK with the same key.  Invalid fields
 * must give DEC_INVALID with their own reason.
 */
#include "xm_pkt.h"
#include "xm_test.h"

#include <stdlib.h>

static struct dec_stats g_st;

struct bld {
    uint8_t b[512];
    size_t n;
};

static void b8(struct bld *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void b16(struct bld *b, unsigned v) { b8(b, v >> 8); b8(b, v); }
static void l16(struct bld *b, unsigned v) { b8(b, v); b8(b, v >> 8); }
static void l32(struct bld *b, uint32_t v) { l16(b, v & 0xffff); l16(b, v >> 16); }
static void bzero_n(struct bld *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b8(b, 0);
}
static void bytes(struct bld *b, const char *hex)
{
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v = 0;
        sscanf(hex, "%2x", &v);
        b8(b, v);
    }
}

/* IPv4 + UDP 40000 -> 53 + 12 payload bytes: 40 bytes.  tot = 0 writes a
 * length-0 (TSO) IPv4 header. */
static void ip4_udp_len(struct bld *b, unsigned tot)
{
    bytes(b, "4500");
    b16(b, tot);
    bytes(b, "123440004011" "0000" "0a000001" "c0000207");
    b16(b, 40000);
    b16(b, 53);
    b16(b, 20);
    b16(b, 0);
    for (unsigned i = 0; i < 12; i++)
        b8(b, 0xb0 + i);
}
static void ip4_udp(struct bld *b) { ip4_udp_len(b, 40); }
enum { IP_LEN = 40, IP_HDRS = 28 };

static enum dec_result decode_copy(int dlt, const struct bld *b, size_t cap, size_t wire,
                                   struct xm_pkt *p)
{
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf)
        abort();
    memcpy(buf, b->b, cap);
    enum dec_result r = dec_packet(dlt, 7, buf, (uint32_t)cap, (uint32_t)wire, p, &g_st);
    free(buf);
    return r;
}

static void check_key(const char *name, const struct xm_pkt *p)
{
    struct xm_addr s, d;
    int fails = xm_test_fail_;
    xm_addr_parse("10.0.0.1", &s);
    xm_addr_parse("192.0.2.7", &d);
    CHECK(memcmp(&p->src, &s, sizeof s) == 0);
    CHECK(memcmp(&p->dst, &d, sizeof d) == 0);
    CHECK_EQ_U64(p->proto, 17);
    CHECK(p->has_ports);
    CHECK_EQ_U64(p->sport, 40000);
    CHECK_EQ_U64(p->dport, 53);
    CHECK_EQ_U64(p->ip_bytes, IP_LEN);
    if (xm_test_fail_ != fails)
        fprintf(stderr, "  ... in case %s\n", name);
}

/* b = link header of `link` bytes + ip4_udp (+ any trailer). */
static void check_good(const char *name, int dlt, const struct bld *b, size_t link)
{
    struct xm_pkt p;
    enum dec_result r = decode_copy(dlt, b, b->n, b->n, &p);
    if (r != DEC_OK)
        fprintf(stderr, "case %s: %s\n", name, dec_result_name(r));
    CHECK_EQ_U64(r, DEC_OK);
    check_key(name, &p);
    for (size_t cap = 0; cap < b->n; cap++) {
        r = decode_copy(dlt, b, cap, b->n, &p);
        enum dec_result want = cap < link + IP_HDRS ? DEC_TRUNCATED : DEC_OK;
        if (r != want)
            fprintf(stderr, "case %s caplen %zu: %s\n", name, cap, dec_result_name(r));
        CHECK_EQ_U64(r, want);
        if (r == DEC_OK)
            check_key(name, &p);
    }
}

static void check_bad(const char *name, int dlt, const struct bld *b,
                      enum dec_result want, enum dec_reason why)
{
    struct xm_pkt p;
    uint64_t before = g_st.reason[why];
    enum dec_result r = decode_copy(dlt, b, b->n, b->n, &p);
    if (r != want || g_st.reason[why] != before + 1)
        fprintf(stderr, "case %s: got %s, wanted %s/%s\n", name, dec_result_name(r),
                dec_result_name(want), dec_reason_name(why));
    CHECK_EQ_U64(r, want);
    CHECK_EQ_U64(g_st.reason[why], before + 1);
}

/* ---- NFLOG ------------------------------------------------------------- */

/* TLV in little-endian (le) or big-endian order, padded to 4 bytes. */
static void tlv(struct bld *b, bool le, unsigned type, const char *hex)
{
    size_t n = 4 + strlen(hex) / 2;
    if (le) {
        l16(b, (unsigned)n);
        l16(b, type);
    } else {
        b16(b, (unsigned)n);
        b16(b, type);
    }
    bytes(b, hex);
    while (n++ % 4)
        b8(b, 0);
}

/* family, header TLV, prefix TLV, payload TLV header; returns link size */
static size_t nflog_head(struct bld *b, unsigned family, bool le, unsigned payload_len)
{
    b->n = 0;
    b8(b, family);
    bytes(b, "000001");
    tlv(b, le, 1, "08000100");
    tlv(b, le, 10, "6c6f6700");          /* "log\0" */
    le ? l16(b, payload_len + 4) : b16(b, payload_len + 4);
    le ? l16(b, 9) : b16(b, 9);
    return b->n;
}

static void test_nflog(void)
{
    enum { NFLOG = 239 };
    struct bld b;
    size_t link = nflog_head(&b, 2, true, IP_LEN);
    ip4_udp(&b);
    check_good("nflog le", NFLOG, &b, link);
    link = nflog_head(&b, 2, false, IP_LEN);
    ip4_udp(&b);
    check_good("nflog be", NFLOG, &b, link);

    /* payload TLV followed by another TLV: a length-0 (TSO) IPv4 header
     * takes its length from the payload TLV, not from the frame */
    nflog_head(&b, 2, true, IP_LEN);
    ip4_udp_len(&b, 0);
    tlv(&b, true, 11, "00000001");
    struct xm_pkt p;
    CHECK_EQ_U64(decode_copy(NFLOG, &b, b.n, b.n, &p), DEC_OK);
    CHECK_EQ_U64(p.ip_bytes, IP_LEN);
    CHECK_EQ_U64(p.len_from_wire, 1);

    nflog_head(&b, 2, true, IP_LEN);
    b.n -= 4;                                 /* no payload TLV at all */
    check_bad("nflog no payload", NFLOG, &b, DEC_NOT_IP, DR_NOT_IP);
    nflog_head(&b, 7, true, IP_LEN);          /* NFPROTO_BRIDGE */
    ip4_udp(&b);
    check_bad("nflog family 7", NFLOG, &b, DEC_NOT_IP, DR_NOT_IP);
    nflog_head(&b, 2, true, IP_LEN + 100);    /* payload past the wire */
    ip4_udp(&b);
    check_bad("nflog payload too long", NFLOG, &b, DEC_INVALID, DR_NFLOG_BAD_TLV);
    b.n = 0;
    bytes(&b, "02000001" "08000100" "08000100" "02000900");  /* 2nd TLV length 2 */
    check_bad("nflog tlv length 2", NFLOG, &b, DEC_INVALID, DR_NFLOG_BAD_TLV);
}

/* ---- 802.11 and radiotap ------------------------------------------------ */

/* data frame: fc0, fc1; addresses; seq; optional addr4/QoS/HTC per flags */
static void wlan_hdr(struct bld *b, unsigned fc0, unsigned fc1, unsigned seq)
{
    b8(b, fc0);
    b8(b, fc1);
    bzero_n(b, 2 + 18);
    l16(b, seq);
    if ((fc1 & 3) == 3)
        bzero_n(b, 6);
    if (fc0 & 0x80) {
        bytes(b, "0600");
        if (fc1 & 0x80)
            bzero_n(b, 4);
    }
}

static const char snap_ip4[] = "aaaa030000000800";

static void test_wlan(void)
{
    enum { WLAN = 105, RADIOTAP = 127 };
    struct bld b;
    b.n = 0; wlan_hdr(&b, 0x08, 0x02, 0x10); bytes(&b, snap_ip4);
    size_t link = b.n; ip4_udp(&b);
    check_good("wlan data", WLAN, &b, link);
    b.n = 0; wlan_hdr(&b, 0x88, 0x01, 0x20); bytes(&b, snap_ip4);
    link = b.n; ip4_udp(&b);
    check_good("wlan qos", WLAN, &b, link);
    b.n = 0; wlan_hdr(&b, 0x88, 0x83, 0x20); bytes(&b, snap_ip4);
    link = b.n; ip4_udp(&b); bytes(&b, "deadbeef");   /* FCS */
    CHECK_EQ_U64(link, 24 + 6 + 2 + 4 + 8);
    check_good("wlan qos 4-address +HTC", WLAN, &b, link);

    b.n = 0; bytes(&b, "00000c00" "02000000" "10000000");  /* flags: FCS */
    wlan_hdr(&b, 0x08, 0x01, 0); bytes(&b, snap_ip4);
    link = b.n; ip4_udp(&b);
    check_good("radiotap wlan", RADIOTAP, &b, link);

    b.n = 0; wlan_hdr(&b, 0x08, 0x41, 0); bzero_n(&b, 40);
    check_bad("wlan protected", WLAN, &b, DEC_NOT_IP, DR_WLAN_PROTECTED);
    b.n = 0; wlan_hdr(&b, 0x88, 0x01, 0); b.b[24] = 0x80; bzero_n(&b, 40);
    check_bad("wlan a-msdu", WLAN, &b, DEC_NOT_IP, DR_WLAN_AMSDU);
    b.n = 0; wlan_hdr(&b, 0x08, 0x01, 0x11); bytes(&b, snap_ip4); ip4_udp(&b);
    check_bad("wlan later fragment", WLAN, &b, DEC_NOT_IP, DR_NOT_IP);
    b.n = 0; wlan_hdr(&b, 0x80, 0x00, 0); bzero_n(&b, 40);    /* beacon */
    check_bad("wlan beacon", WLAN, &b, DEC_NOT_IP, DR_NOT_IP);
    b.n = 0; wlan_hdr(&b, 0x48, 0x01, 0);                     /* null data */
    check_bad("wlan null", WLAN, &b, DEC_NOT_IP, DR_NOT_IP);
    b.n = 0; wlan_hdr(&b, 0x09, 0x01, 0); bytes(&b, snap_ip4); ip4_udp(&b);
    check_bad("wlan version 1", WLAN, &b, DEC_INVALID, DR_WLAN_BAD_VERSION);
    b.n = 0; wlan_hdr(&b, 0x08, 0x01, 0); bytes(&b, "424203"); bzero_n(&b, 40);
    check_bad("wlan stp llc", WLAN, &b, DEC_NOT_IP, DR_NOT_IP);

    b.n = 0; bytes(&b, "01000800" "00000000"); wlan_hdr(&b, 0x08, 0x01, 0);
    check_bad("radiotap version 1", RADIOTAP, &b, DEC_INVALID, DR_RADIOTAP_BAD_LEN);
    b.n = 0; bytes(&b, "00000400" "00000000"); wlan_hdr(&b, 0x08, 0x01, 0);
    check_bad("radiotap length 4", RADIOTAP, &b, DEC_INVALID, DR_RADIOTAP_BAD_LEN);
    b.n = 0; bytes(&b, "0000ff00" "00000000"); wlan_hdr(&b, 0x08, 0x01, 0);
    check_bad("radiotap length past wire", RADIOTAP, &b, DEC_INVALID, DR_RADIOTAP_BAD_LEN);
}

/* ---- PKTAP, IPoIB, FDDI, ipnet ------------------------------------------ */

static void pktap_hdr(struct bld *b, uint32_t len, uint32_t rec, uint32_t dlt)
{
    b->n = 0;
    l32(b, len);
    l32(b, rec);
    l32(b, dlt);
    bzero_n(b, len > 12 && len < 200 ? len - 12 : 96);
}

static void test_pktap(void)
{
    struct bld b;
    pktap_hdr(&b, 108, 1, 1);
    bzero_n(&b, 12); b16(&b, 0x0800);
    size_t link = b.n; ip4_udp(&b);
    check_good("pktap eth", 258, &b, link);
    check_good("pktap eth (macOS 149)", 149, &b, link);
    pktap_hdr(&b, 120, 1, 12);                /* DLT_RAW on macOS */
    link = b.n; ip4_udp(&b);
    check_good("pktap raw, longer header", 258, &b, link);

    pktap_hdr(&b, 50, 1, 1); ip4_udp(&b);
    check_bad("pktap length 50", 258, &b, DEC_INVALID, DR_PKTAP_BAD_LEN);
    pktap_hdr(&b, 4000, 1, 1); ip4_udp(&b);
    check_bad("pktap length past wire", 258, &b, DEC_INVALID, DR_PKTAP_BAD_LEN);
    pktap_hdr(&b, 108, 1, 258); ip4_udp(&b);
    check_bad("pktap in pktap", 258, &b, DEC_NOT_IP, DR_NOT_IP);
    pktap_hdr(&b, 108, 1, 147); ip4_udp(&b);
    check_bad("pktap inner unsupported", 258, &b, DEC_NOT_IP, DR_NOT_IP);
    pktap_hdr(&b, 108, 2, 12); ip4_udp(&b);
    check_bad("pktap record type 2", 258, &b, DEC_NOT_IP, DR_NOT_IP);
}

static void test_misc_links(void)
{
    struct bld b;
    b.n = 0; bzero_n(&b, 40); bytes(&b, "08000000");
    size_t link = b.n; ip4_udp(&b);
    check_good("ipoib", 242, &b, link);
    b.n = 0; bzero_n(&b, 40); bytes(&b, "08060000"); bzero_n(&b, 28);
    check_bad("ipoib arp", 242, &b, DEC_NOT_IP, DR_NOT_IP);

    b.n = 0; b8(&b, 0x50); bzero_n(&b, 12); bytes(&b, snap_ip4);
    link = b.n; ip4_udp(&b);
    check_good("fddi llc", 10, &b, link);
    b.n = 0; b8(&b, 0x41); bzero_n(&b, 12); bytes(&b, snap_ip4); ip4_udp(&b);
    check_bad("fddi smt", 10, &b, DEC_NOT_IP, DR_NOT_IP);

    b.n = 0; bytes(&b, "01020000"); bzero_n(&b, 20);
    link = b.n; ip4_udp(&b);
    check_good("ipnet", 226, &b, link);
    b.b[0] = 2;
    check_bad("ipnet version 2", 226, &b, DEC_INVALID, DR_IPNET_BAD_VERSION);
    b.b[0] = 1; b.b[1] = 99;
    check_bad("ipnet family 99", 226, &b, DEC_NOT_IP, DR_NOT_IP);

    b.n = 0; bytes(&b, "01020000" "d4000001");   /* ARCNET, RFC 1201 */
    link = b.n; ip4_udp(&b);
    check_good("arcnet 1201", 129, &b, link);
    b.n = 0; bytes(&b, "01020000" "d4ffffff" "d4000001");   /* exception */
    link = b.n; ip4_udp(&b);
    check_good("arcnet 1201 exception", 129, &b, link);
    b.n = 0; bytes(&b, "01020000" "f0");         /* RFC 1051 */
    link = b.n; ip4_udp(&b);
    check_good("arcnet 1051", 129, &b, link);
    b.n = 0; bytes(&b, "01020000" "d4030001"); ip4_udp(&b);
    check_bad("arcnet fragment", 129, &b, DEC_NOT_IP, DR_NOT_IP);
    b.n = 0; bytes(&b, "01020000" "d5000001"); bzero_n(&b, 20);
    check_bad("arcnet arp", 129, &b, DEC_NOT_IP, DR_NOT_IP);
}

/* ---- Ethernet: 802.3 + LLC/SNAP, PBB, VN-Tag ----------------------------- */

static void test_eth_encaps(void)
{
    struct bld b;
    b.n = 0; bzero_n(&b, 12); b16(&b, 8 + IP_LEN); bytes(&b, snap_ip4);
    size_t link = b.n; ip4_udp(&b); bzero_n(&b, 6);       /* padding */
    check_good("eth 802.3 llc/snap", 1, &b, link);
    b.n = 0; bzero_n(&b, 12); b16(&b, 8 + IP_LEN); bytes(&b, "aaaa0300000c2000");
    bzero_n(&b, 40);                                      /* Cisco CDP */
    check_bad("eth snap cisco oui", 1, &b, DEC_NOT_IP, DR_NOT_IP);
    b.n = 0; bzero_n(&b, 12); b16(&b, 3 + IP_LEN); bytes(&b, "060603");
    link = b.n; ip4_udp(&b);
    check_good("eth 802.3 llc sap 6", 1, &b, link);

    b.n = 0; bzero_n(&b, 12); bytes(&b, "88e7" "00010203"); bzero_n(&b, 12);
    bytes(&b, "8100000b0800");
    link = b.n; ip4_udp(&b);
    check_good("eth pbb vlan", 1, &b, link);
    b.n = 0; bzero_n(&b, 12); bytes(&b, "81000005" "8926" "00000000" "8100000b0800");
    link = b.n; ip4_udp(&b);
    check_good("eth vlan vntag vlan", 1, &b, link);
    struct xm_pkt p;
    CHECK_EQ_U64(decode_copy(1, &b, b.n, b.n, &p), DEC_OK);
    CHECK_EQ_U64(p.vlan, 11);

    /* PPPoE length: later bytes are padding; an IP length past it lies */
    b.n = 0; bzero_n(&b, 12); bytes(&b, "8864" "11000001"); b16(&b, 2 + IP_LEN);
    bytes(&b, "0021"); link = b.n; ip4_udp(&b); bzero_n(&b, 8);
    check_good("pppoe padded", 1, &b, link);
    b.b[19] = 2 + IP_LEN - 6;
    check_bad("pppoe shorter than ip", 1, &b, DEC_INVALID, DR_IP4_BAD_LEN);
    b.b[18] = 0x10;                            /* past the wire: ignored */
    CHECK_EQ_U64(decode_copy(1, &b, b.n, b.n, &p), DEC_OK);

    b.n = 0; bzero_n(&b, 12);
    for (int i = 0; i < 9; i++) {
        bytes(&b, "88e7" "00010203");
        bzero_n(&b, 12);
    }
    bytes(&b, "0800"); ip4_udp(&b);
    check_bad("pbb nested 9 deep", 1, &b, DEC_INVALID, DR_ENCAP_TOO_DEEP);
}

/* Every new reason maps to the result named in xm_pkt.h. */
static void test_reasons(void)
{
    CHECK_STR(dec_reason_name(DR_WLAN_PROTECTED), "wlan_protected");
    CHECK_STR(dec_reason_name(DR_NFLOG_BAD_TLV), "nflog_bad_tlv");
    CHECK(g_st.reason[DR_LINK_TRUNC] > 0 && g_st.reason[DR_LLC_TRUNC] > 0);
    CHECK(g_st.reason[DR_PBB_TRUNC] > 0 && g_st.reason[DR_VNTAG_TRUNC] > 0);
    uint64_t n = 0;
    for (int i = 0; i < DR_MAX; i++)
        n += g_st.reason[i];
    CHECK_EQ_U64(n, g_st.packets);
    CHECK_EQ_U64(g_st.result[DEC_NOT_IP], g_st.reason[DR_NOT_IP] +
                 g_st.reason[DR_WLAN_PROTECTED] + g_st.reason[DR_WLAN_AMSDU]);
}

int main(void)
{
    test_nflog();
    test_wlan();
    test_pktap();
    test_misc_links();
    test_eth_encaps();
    test_reasons();
    return xm_test_result();
}
