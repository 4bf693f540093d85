/*
 * link_ppp.c - serial links: PPP (LINKTYPE_PPP 9, PPP_HDLC 50; RFC 1661
 * with the optional RFC 1662 HDLC address 0xff + control 0x03) and Cisco
 * HDLC (LINKTYPE_C_HDLC 104: address(1) control(1) ethertype(2)).
 */
#include "decode_int.h"

enum dec_reason dec_link_ppp(struct dec_ctx *c)
{
    uint8_t b0 = 0;
    if (xm_rd_peek8(&c->r, 0, &b0) && b0 == 0xff && !xm_rd_skip(&c->r, 2))
        return DR_LINK_TRUNC;
    return dec_ppp_proto(c, DR_LINK_TRUNC);
}

enum dec_reason dec_link_chdlc(struct dec_ctx *c)
{
    uint16_t et = 0;
    if (!xm_rd_skip(&c->r, 2) || !xm_rd_be16(&c->r, &et))
        return DR_LINK_TRUNC;
    return dec_ethertype(c, et);
}
