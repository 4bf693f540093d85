/*
 * link_eth.c - Ethernet II (LINKTYPE_ETHERNET 1): dst(6) src(6)
 * ethertype(2); tags, PPPoE and MPLS are handled by dec_ethertype().
 */
#include "decode_int.h"

enum dec_reason dec_link_eth(struct dec_ctx *c)
{
    uint16_t et = 0;
    if (!xm_rd_skip(&c->r, 12) || !xm_rd_be16(&c->r, &et))
        return DR_LINK_TRUNC;
    return dec_ethertype(c, et);
}
