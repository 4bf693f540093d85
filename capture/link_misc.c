/*
 * link_misc.c - small fixed-header link types:
 *   IPoIB (LINKTYPE_IPOIB 242, Linux IP over InfiniBand): destination and
 *     source hardware addresses (20 each), ethertype(2), reserved(2);
 *   FDDI (LINKTYPE_FDDI 10): frame control(1), dst(6), src(6), then LLC
 *     for LLC frames (frame control 0x50-0x57); SMT/MAC frames are not IP;
 *   Solaris ipnet (LINKTYPE_IPNET 226, e.g. e1000g/lo0 via /dev/ipnet):
 *     version(1, = 1) family(1, AF_INET 2 / AF_INET6 26) htype(2)
 *     pktlen(4) ifindex(4) grifindex(4) zsrc(4) zdst(4): 24 bytes, BE.
 */
#include "decode_int.h"

enum dec_reason dec_link_ipoib(struct dec_ctx *c)
{
    uint16_t et = 0;
    if (!xm_rd_skip(&c->r, 40) || !xm_rd_be16(&c->r, &et) || !xm_rd_skip(&c->r, 2))
        return DR_LINK_TRUNC;
    return dec_ethertype(c, et);
}

enum dec_reason dec_link_fddi(struct dec_ctx *c)
{
    uint8_t fc = 0;
    if (!xm_rd_u8(&c->r, &fc) || !xm_rd_skip(&c->r, 12))
        return DR_LINK_TRUNC;
    if ((fc & 0xf8) != 0x50)
        return DR_NOT_IP;
    return dec_llc(c);
}

enum { IPNET_VERSION = 1, IPNET_AF_INET = 2, IPNET_AF_INET6 = 26 };

enum dec_reason dec_link_ipnet(struct dec_ctx *c)
{
    uint8_t ver = 0, family = 0;
    if (!xm_rd_u8(&c->r, &ver) || !xm_rd_u8(&c->r, &family) || !xm_rd_skip(&c->r, 22))
        return DR_LINK_TRUNC;
    if (ver != IPNET_VERSION)
        return DR_IPNET_BAD_VERSION;
    switch (family) {
    case IPNET_AF_INET: return dec_ip4(c);
    case IPNET_AF_INET6: return dec_ip6(c);
    default: return DR_NOT_IP;
    }
}
