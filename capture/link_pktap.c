/*
 * link_pktap.c - Apple PKTAP (LINKTYPE_PKTAP 258; DLT_PKTAP is 149 on
 * macOS, stored as LINKTYPE_USER2 by older writers): `tcpdump -i pktap`
 * and `-k` captures.  Header (all little-endian, the writing host's order,
 * which for macOS is little-endian): length(4, whole PKTAP header, >=
 * 108), record type(4, 1 = packet), inner DLT(4), interface name, pid,
 * process name...; the inner frame follows at `length` and is decoded by
 * the link-type table.  A PKTAP frame inside PKTAP is refused (not IP).
 */
#include "decode_int.h"

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
