/*
 * packet.c - dec_packet(), the decoder's entry point (contract in
 * include/xm_pkt.h): picks the link decoder from the link-type table
 * (capture/link.c), runs it, and maps the reason it stopped with to the
 * public result; plus the names of results and reasons.
 */
#include "decode_int.h"

/* ---- names and result mapping ----------------------------------------- */

static const char *const dec_result_names[DEC_RESULT_MAX] = {
    [DEC_OK] = "ok",
    [DEC_NOT_IP] = "not_ip",
    [DEC_UNSUPPORTED_DLT] = "unsupported_dlt",
    [DEC_TRUNCATED] = "truncated",
    [DEC_INVALID] = "invalid",
};

static const char *const dec_reason_names[DR_MAX] = {
    [DR_NONE] = "none",
    [DR_LINK_TRUNC] = "link_trunc",
    [DR_VLAN_TRUNC] = "vlan_trunc",
    [DR_VLAN_TOO_DEEP] = "vlan_too_deep",
    [DR_SLL_TRUNC] = "sll_trunc",
    [DR_IP4_TRUNC] = "ip4_trunc",
    [DR_IP4_BAD_VERSION] = "ip4_bad_version",
    [DR_IP4_BAD_IHL] = "ip4_bad_ihl",
    [DR_IP4_BAD_LEN] = "ip4_bad_len",
    [DR_IP6_TRUNC] = "ip6_trunc",
    [DR_IP6_BAD_VERSION] = "ip6_bad_version",
    [DR_IP6_EXT_TRUNC] = "ip6_ext_trunc",
    [DR_IP6_EXT_TOO_MANY] = "ip6_ext_too_many",
    [DR_TCP_TRUNC] = "tcp_trunc",
    [DR_TCP_BAD_OFF] = "tcp_bad_off",
    [DR_UDP_TRUNC] = "udp_trunc",
    [DR_UDP_BAD_LEN] = "udp_bad_len",
    [DR_ICMP_TRUNC] = "icmp_trunc",
    [DR_NOT_IP] = "not_ip",
    [DR_UNSUPPORTED_DLT] = "unsupported_dlt",
    [DR_PPPOE_TRUNC] = "pppoe_trunc",
    [DR_MPLS_TRUNC] = "mpls_trunc",
    [DR_MPLS_TOO_DEEP] = "mpls_too_deep",
    [DR_IP_BAD_VERSION] = "ip_bad_version",
    [DR_IP6_BAD_LEN] = "ip6_bad_len",
    [DR_SCTP_TRUNC] = "sctp_trunc",
    [DR_L4_BAD_LEN] = "l4_bad_len",
    [DR_LLC_TRUNC] = "llc_trunc",
    [DR_PBB_TRUNC] = "pbb_trunc",
    [DR_VNTAG_TRUNC] = "vntag_trunc",
    [DR_ENCAP_TOO_DEEP] = "encap_too_deep",
    [DR_NFLOG_BAD_TLV] = "nflog_bad_tlv",
    [DR_WLAN_BAD_VERSION] = "wlan_bad_version",
    [DR_WLAN_PROTECTED] = "wlan_protected",
    [DR_WLAN_AMSDU] = "wlan_amsdu",
    [DR_RADIOTAP_BAD_LEN] = "radiotap_bad_len",
    [DR_PKTAP_BAD_LEN] = "pktap_bad_len",
    [DR_IPNET_BAD_VERSION] = "ipnet_bad_version",
};

/* Result of each reason.  Every reason MUST be listed: a missing entry
 * would read as DEC_OK (tests/test_decode.c checks each reason's result). */
static const uint8_t dec_reason_res[DR_MAX] = {
    [DR_NONE] = DEC_OK,
    [DR_LINK_TRUNC] = DEC_TRUNCATED, [DR_VLAN_TRUNC] = DEC_TRUNCATED,
    [DR_VLAN_TOO_DEEP] = DEC_INVALID, [DR_SLL_TRUNC] = DEC_TRUNCATED,
    [DR_IP4_TRUNC] = DEC_TRUNCATED, [DR_IP4_BAD_VERSION] = DEC_INVALID,
    [DR_IP4_BAD_IHL] = DEC_INVALID, [DR_IP4_BAD_LEN] = DEC_INVALID,
    [DR_IP6_TRUNC] = DEC_TRUNCATED, [DR_IP6_BAD_VERSION] = DEC_INVALID,
    [DR_IP6_EXT_TRUNC] = DEC_TRUNCATED, [DR_IP6_EXT_TOO_MANY] = DEC_INVALID,
    [DR_TCP_TRUNC] = DEC_TRUNCATED, [DR_TCP_BAD_OFF] = DEC_INVALID,
    [DR_UDP_TRUNC] = DEC_TRUNCATED, [DR_UDP_BAD_LEN] = DEC_INVALID,
    [DR_ICMP_TRUNC] = DEC_TRUNCATED, [DR_NOT_IP] = DEC_NOT_IP,
    [DR_UNSUPPORTED_DLT] = DEC_UNSUPPORTED_DLT,
    [DR_PPPOE_TRUNC] = DEC_TRUNCATED, [DR_MPLS_TRUNC] = DEC_TRUNCATED,
    [DR_MPLS_TOO_DEEP] = DEC_INVALID, [DR_IP_BAD_VERSION] = DEC_INVALID,
    [DR_IP6_BAD_LEN] = DEC_INVALID, [DR_SCTP_TRUNC] = DEC_TRUNCATED,
    [DR_L4_BAD_LEN] = DEC_INVALID,
    [DR_LLC_TRUNC] = DEC_TRUNCATED, [DR_PBB_TRUNC] = DEC_TRUNCATED,
    [DR_VNTAG_TRUNC] = DEC_TRUNCATED, [DR_ENCAP_TOO_DEEP] = DEC_INVALID,
    [DR_NFLOG_BAD_TLV] = DEC_INVALID, [DR_WLAN_BAD_VERSION] = DEC_INVALID,
    /* readable frames whose IP we cannot see: not_ip, own reason */
    [DR_WLAN_PROTECTED] = DEC_NOT_IP, [DR_WLAN_AMSDU] = DEC_NOT_IP,
    [DR_RADIOTAP_BAD_LEN] = DEC_INVALID, [DR_PKTAP_BAD_LEN] = DEC_INVALID,
    [DR_IPNET_BAD_VERSION] = DEC_INVALID,
};

const char *dec_result_name(enum dec_result r)
{
    if ((unsigned)r >= DEC_RESULT_MAX)
        return "unknown";
    return dec_result_names[r];
}

const char *dec_reason_name(enum dec_reason r)
{
    if ((unsigned)r >= DR_MAX || !dec_reason_names[r])
        return "unknown";
    return dec_reason_names[r];
}

/* Zeroes *p in two fixed-size halves: a single 104-byte memset becomes a
 * slow-starting `rep stos` with gcc -O2, the halves become vector stores
 * (about 2x faster per packet on the hot path). */
static void dec_zero_pkt(struct xm_pkt *p)
{
    enum { HALF = sizeof *p / 2 };
    memset(p, 0, HALF);
    memset((uint8_t *)p + HALF, 0, sizeof *p - HALF);
}

enum dec_reason dec_packet_reason(int dlt, xm_time_t ts, const uint8_t *data,
                                  uint32_t caplen, uint32_t wirelen, struct xm_pkt *pkt)
{
    struct dec_ctx c;
    dec_zero_pkt(pkt);
    pkt->ts = ts;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen;
    xm_rd_init(&c.r, data, caplen);
    c.pkt = pkt;
    c.frame_len = wirelen > caplen ? wirelen : caplen;
    c.depth = 0;
    const struct dec_link_type *lt = dec_link_find(dlt);
    return lt ? lt->decode(&c) : DR_UNSUPPORTED_DLT;
}

enum dec_result dec_count(struct dec_stats *st, enum dec_reason why)
{
    enum dec_result res = (enum dec_result)dec_reason_res[why];
    if (st) {
        st->packets++;
        st->result[res]++;
        st->reason[why]++;
    }
    return res;
}

enum dec_result dec_packet(int dlt, xm_time_t ts, const uint8_t *data,
                           uint32_t caplen, uint32_t wirelen,
                           struct xm_pkt *pkt, struct dec_stats *st)
{
    return dec_count(st, dec_packet_reason(dlt, ts, data, caplen, wirelen, pkt));
}
