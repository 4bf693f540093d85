/*
 * link_sll.c - Linux cooked captures (`tcpdump -i any`): SLL v1
 * (LINKTYPE_LINUX_SLL 113) and SLL v2 (LINKTYPE_LINUX_SLL2 276).
 */
#include "decode_int.h"

/* SLL v1: 16 bytes, protocol (ethertype) at offset 14. */
enum dec_reason dec_link_sll(struct dec_ctx *c)
{
    uint16_t et = 0;
    if (!xm_rd_skip(&c->r, 14) || !xm_rd_be16(&c->r, &et))
        return DR_SLL_TRUNC;
    return dec_ethertype(c, et);
}

/* SLL v2: 20 bytes, protocol (ethertype) at offset 0. */
enum dec_reason dec_link_sll2(struct dec_ctx *c)
{
    uint16_t et = 0;
    if (!xm_rd_be16(&c->r, &et) || !xm_rd_skip(&c->r, 18))
        return DR_SLL_TRUNC;
    return dec_ethertype(c, et);
}
