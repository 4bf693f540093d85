/*
 * xm_pkt.h - decoded packet view and the decoder entry point (capture/).
 *
 * Ownership: struct xm_pkt is filled by dec_packet() into caller-owned
 * storage; its `l4_payload` pointer borrows the packet buffer and is valid
 * only until the capture source returns the next packet.
 *
 * Volume rule: `ip_bytes` is taken from the IP header's length fields
 * (IPv4 total length; IPv6 40 + payload length), NOT from the captured
 * length, so short-snaplen captures and GRO/TSO super-segments (up to
 * 64 KiB) report true volume.  If the IPv4 total length is 0 (TSO capture
 * on the sending host) the wire length minus the link header is used
 * instead and `len_from_wire` is set.
 */
#ifndef XM_PKT_H
#define XM_PKT_H

#include "xm_common.h"

/* Link types we decode (values are the pcap LINKTYPE_/DLT_ numbers). */
enum {
    XM_DLT_NULL = 0,        /* BSD loopback, host-order AF word */
    XM_DLT_EN10MB = 1,      /* Ethernet II, 802.1Q / 802.1ad stacks */
    XM_DLT_RAW_OLD = 12,    /* DLT_RAW on some BSDs */
    XM_DLT_RAW_OLD2 = 14,   /* DLT_RAW on OpenBSD */
    XM_DLT_LOOP = 108,      /* OpenBSD loopback, network-order AF word */
    XM_DLT_RAW = 101,       /* LINKTYPE_RAW */
    XM_DLT_LINUX_SLL = 113,
    XM_DLT_IPV4 = 228,
    XM_DLT_IPV6 = 229,
    XM_DLT_LINUX_SLL2 = 276,
};

/* Outcome of decoding one packet.  Each value has a counter. */
enum dec_result {
    DEC_OK = 0,          /* IP packet decoded; pkt filled */
    DEC_NOT_IP,          /* valid frame that carries no IP (ARP, LLDP...) */
    DEC_UNSUPPORTED_DLT, /* link type we do not decode */
    DEC_TRUNCATED,       /* captured bytes end inside a header we need */
    DEC_INVALID,         /* a header field is impossible (bad version,
                            IHL < 5, length < header, ext-header loop...) */
    DEC_RESULT_MAX
};

/* Finer reasons, counted alongside the result (for stats and /metrics). */
enum dec_reason {
    DR_NONE = 0,
    DR_LINK_TRUNC, DR_VLAN_TRUNC, DR_VLAN_TOO_DEEP, DR_SLL_TRUNC,
    DR_IP4_TRUNC, DR_IP4_BAD_VERSION, DR_IP4_BAD_IHL, DR_IP4_BAD_LEN,
    DR_IP6_TRUNC, DR_IP6_BAD_VERSION, DR_IP6_EXT_TRUNC, DR_IP6_EXT_TOO_MANY,
    DR_TCP_TRUNC, DR_TCP_BAD_OFF, DR_UDP_TRUNC, DR_UDP_BAD_LEN,
    DR_ICMP_TRUNC, DR_NOT_IP, DR_UNSUPPORTED_DLT,
    /* added by capture/decode.c (values above stay stable) */
    DR_PPPOE_TRUNC, DR_MPLS_TRUNC, DR_MPLS_TOO_DEEP,
    DR_IP_BAD_VERSION,   /* raw-IP link: version nibble neither 4 nor 6 */
    DR_IP6_BAD_LEN,      /* ext-header chain longer than payload length,
                            or payload length past the wire length */
    DR_SCTP_TRUNC,
    DR_L4_BAD_LEN,       /* IP length leaves no room for the L4 header */
    /* link types and L2 encapsulations (capture/link_*.c) */
    DR_LLC_TRUNC,        /* 802.2 LLC / SNAP header cut */
    DR_PBB_TRUNC,        /* 802.1ah I-TAG or inner Ethernet header cut */
    DR_VNTAG_TRUNC,      /* VN-Tag cut */
    DR_ENCAP_TOO_DEEP,   /* more than DEC_ENCAP_MAX nested L2 encapsulations */
    DR_NFLOG_BAD_TLV,    /* NFLOG TLV length < 4 or past the wire length */
    DR_WLAN_BAD_VERSION, /* 802.11 frame control protocol version not 0 */
    DR_WLAN_PROTECTED,   /* 802.11 data frame with the Protected bit: the
                            body is encrypted (result not_ip) */
    DR_WLAN_AMSDU,       /* 802.11 A-MSDU: several packets in one frame,
                            not decoded (result not_ip) */
    DR_RADIOTAP_BAD_LEN, /* radiotap version not 0, length < 8 or past the
                            wire length */
    DR_PKTAP_BAD_LEN,    /* PKTAP header length < 108 or past the wire length */
    DR_IPNET_BAD_VERSION,/* Solaris ipnet header version not 1 */
    DR_MAX
};

/* pkt.frag values */
enum { XM_FRAG_NONE = 0, XM_FRAG_FIRST = 1, XM_FRAG_LATER = 2 };

struct xm_pkt {
    xm_time_t ts;            /* packet time, usec */
    uint32_t caplen;         /* bytes captured (whole frame) */
    uint32_t wirelen;        /* bytes on the wire (whole frame) */

    uint8_t ipver;           /* 4 or 6 */
    uint8_t proto;           /* L4 protocol number (after IPv6 ext hdrs) */
    uint8_t tcp_flags;       /* TCP flag byte (FIN=0x01 ... CWR=0x80) */
    uint8_t frag;            /* XM_FRAG_* */
    bool has_ports;          /* sport/dport valid (TCP/UDP/SCTP, first frag) */
    bool len_from_wire;      /* ip_bytes derived from wire length */
    uint8_t icmp_type, icmp_code; /* valid when proto is ICMP/ICMPv6 */
    uint16_t vlan;           /* innermost 802.1Q VLAN id, 0 when none */

    struct xm_addr src, dst;
    uint16_t sport, dport;   /* host byte order */

    uint32_t ip_bytes;       /* IP-layer volume of this packet (see above) */
    uint32_t frag_id;        /* IPv4 ID or IPv6 fragment identification */
    uint32_t tcp_seq;        /* host order, valid for TCP */

    /* L4 payload: pointer into the captured buffer, captured bytes only. */
    const uint8_t *l4_payload;
    uint32_t l4_caplen;      /* payload bytes present in the capture */
    uint32_t l4_len;         /* payload length per the headers */
};

struct dec_stats {
    uint64_t packets;                  /* frames offered to dec_packet */
    uint64_t result[DEC_RESULT_MAX];   /* by enum dec_result */
    uint64_t reason[DR_MAX];           /* by enum dec_reason */
};

/*
 * Decodes one captured frame of link type `dlt`.  Reads only data[0,
 * caplen).  Fills *pkt on DEC_OK (pkt->ts, caplen, wirelen always set).
 * Counts the outcome in *st.  No allocation, no logging.
 */
enum dec_result dec_packet(int dlt, xm_time_t ts, const uint8_t *data,
                           uint32_t caplen, uint32_t wirelen,
                           struct xm_pkt *pkt, struct dec_stats *st);

/* The two halves of dec_packet(), for a reader thread that decodes while
 * another thread counts (src/reader.c): dec_packet_reason() decodes and
 * counts nothing (same contract as dec_packet otherwise); dec_count()
 * counts one outcome in *st (may be NULL) and returns its result. */
enum dec_reason dec_packet_reason(int dlt, xm_time_t ts, const uint8_t *data,
                                  uint32_t caplen, uint32_t wirelen, struct xm_pkt *pkt);
enum dec_result dec_count(struct dec_stats *st, enum dec_reason why);

/* Names for stats output ("truncated", "ip4_bad_ihl", ...). */
const char *dec_result_name(enum dec_result r);
const char *dec_reason_name(enum dec_reason r);
/* Whether dec_packet knows this link type. */
bool dec_dlt_supported(int dlt);

#endif
