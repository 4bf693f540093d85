/*
 * link.c - the link-type table: which pcap link types are decoded and by
 * which decoder.  dec_packet() and dec_dlt_supported() both read it, so a
 * link type is either fully supported or not at all.
 *
 * Row order is lookup order: the common types come first (the table is
 * scanned once per packet; 23 rows).  Also the PKTAP decoder, whose
 * inner frame goes through this table again.
 */
#include "decode_int.h"

/* Link types not named in xm_pkt.h (pcap LINKTYPE_ registry). */
enum {
    LINK_PPP = 9, LINK_FDDI = 10, LINK_PPP_SERIAL = 50, LINK_C_HDLC = 104,
    LINK_IEEE802_11 = 105, LINK_RADIOTAP = 127, LINK_ARCNET_LINUX = 129,
    LINK_PKTAP_MACOS = 149 /* LINKTYPE_USER2 */, LINK_IPNET = 226, LINK_NFLOG = 239, LINK_IPOIB = 242, LINK_PKTAP = 258,
};

static const struct dec_link_type dec_link_types[] = {
    {XM_DLT_EN10MB, "EN10MB", dec_link_eth},
    {XM_DLT_LINUX_SLL, "LINUX_SLL", dec_link_sll},
    {XM_DLT_LINUX_SLL2, "LINUX_SLL2", dec_link_sll2},
    {XM_DLT_RAW, "RAW", dec_link_raw},
    {XM_DLT_IPV4, "IPV4", dec_link_ipv4},
    {XM_DLT_IPV6, "IPV6", dec_link_ipv6},
    {XM_DLT_NULL, "NULL", dec_link_null},
    {XM_DLT_LOOP, "LOOP", dec_link_loop},
    {XM_DLT_RAW_OLD, "RAW (BSD 12)", dec_link_raw},
    {XM_DLT_RAW_OLD2, "RAW (OpenBSD 14)", dec_link_raw},
    {LINK_PPP, "PPP", dec_link_ppp},
    {LINK_PPP_SERIAL, "PPP_SERIAL", dec_link_ppp},
    {LINK_C_HDLC, "C_HDLC", dec_link_chdlc},
    {LINK_NFLOG, "NFLOG", dec_link_nflog},
    {LINK_RADIOTAP, "IEEE802_11_RADIOTAP", dec_link_radiotap},
    {LINK_IEEE802_11, "IEEE802_11", dec_link_wlan},
    {LINK_PKTAP, "PKTAP", dec_link_pktap},
    {LINK_PKTAP_MACOS, "PKTAP (macOS DLT 149)", dec_link_pktap},
    {LINK_IPOIB, "IPOIB", dec_link_ipoib},
    {LINK_FDDI, "FDDI", dec_link_fddi},
    {LINK_IPNET, "IPNET", dec_link_ipnet},
    {LINK_ARCNET_LINUX, "ARCNET_LINUX", dec_link_arcnet},
};

/*
 * Apple PKTAP (LINKTYPE_PKTAP 258; DLT_PKTAP is 149 on macOS, stored as
 * LINKTYPE_USER2 by older writers): `tcpdump -i pktap` and `-k` captures.  Header (all little-endian, the writing host's order,
 * which for macOS is little-endian): length(4, whole PKTAP header, >=
 * 108), record type(4, 1 = packet), inner DLT(4), interface name, pid,
 * process name...; the inner frame follows at `length` and is decoded by
 * the link-type table.  A PKTAP frame inside PKTAP is refused (not IP).
 * It lives here, beside the table, because it is the one decoder that
 * looks the table up again (a separate file would call back into this one).
 */
enum { PKTAP_MIN_LEN = 108, PKTAP_REC_PACKET = 1, PKTAP_DLT = 258, PKTAP_DLT_MACOS = 149 };

enum dec_reason dec_link_pktap(struct dec_ctx *c)
{
    size_t start = c->r.off;
    uint32_t len = 0, rec = 0, dlt = 0;
    if (!xm_rd_le32(&c->r, &len) || !xm_rd_le32(&c->r, &rec) || !xm_rd_le32(&c->r, &dlt))
        return DR_LINK_TRUNC;
    if (len < PKTAP_MIN_LEN || len > c->frame_len - start)
        return DR_PKTAP_BAD_LEN;
    if (rec != PKTAP_REC_PACKET || dlt == PKTAP_DLT || dlt == PKTAP_DLT_MACOS)
        return DR_NOT_IP;
    const struct dec_link_type *lt = dec_link_find((int)(dlt & 0x7fffffff));
    if (!xm_rd_skip(&c->r, len - 12))
        return DR_LINK_TRUNC;
    return lt ? lt->decode(c) : DR_NOT_IP;
}

const struct dec_link_type *dec_link_find(int dlt)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(dec_link_types); i++)
        if (dec_link_types[i].dlt == dlt)
            return &dec_link_types[i];
    return NULL;
}

bool dec_dlt_supported(int dlt)
{
    return dec_link_find(dlt) != NULL;
}
