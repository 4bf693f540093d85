/*
 * link_misc.c - small fixed-header link types:
 *   IPoIB (LINKTYPE_IPOIB 242, Linux IP over InfiniBand): destination and
 *     source hardware addresses (20 each), ethertype(2), reserved(2);
 *   FDDI (LINKTYPE_FDDI 10): frame control(1), dst(6), src(6), then LLC
 *     for LLC frames (frame control 0x50-0x57); SMT/MAC frames are not IP;
 *   Solaris ipnet (LINKTYPE_IPNET 226, e.g. e1000g/lo0 via /dev/ipnet):
 *     version(1, = 1) family(1, AF_INET 2 / AF_INET6 26) htype(2)
 *     pktlen(4) ifindex(4) grifindex(4) zsrc(4) zdst(4): 24 bytes, BE;
 *   Linux ARCNET (LINKTYPE_ARCNET_LINUX 129): source(1) dest(1) offset(2),
 *     then protocol id(1): RFC 1201 ids (IP 0xd4, IPv6 0xc4) are followed
 *     by split flag(1) and sequence(2) - split flag 0xff marks an exception
 *     packet with 4 filler bytes before the real id/flag/sequence, any
 *     other non-zero flag an ARCNET fragment (not decoded: not IP);
 *     RFC 1051 ids (IP 0xf0) by the IP header directly.
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

enum { ARC_IP = 0xd4, ARC_IP6 = 0xc4, ARC_IP_1051 = 0xf0, ARC_SPLIT_EXCEPTION = 0xff };

/* Reader after an RFC 1201 protocol id: split flag and sequence. */
static enum dec_reason arcnet_1201(struct dec_ctx *c, uint8_t *proto)
{
    uint8_t split = 0;
    if (!xm_rd_u8(&c->r, &split))
        return DR_LINK_TRUNC;
    if (split == ARC_SPLIT_EXCEPTION) {
        if (!xm_rd_skip(&c->r, 2) || !xm_rd_u8(&c->r, proto) || !xm_rd_u8(&c->r, &split))
            return DR_LINK_TRUNC;
    }
    if (!xm_rd_skip(&c->r, 2))
        return DR_LINK_TRUNC;
    return split ? DR_NOT_IP : DR_NONE;
}

enum dec_reason dec_link_arcnet(struct dec_ctx *c)
{
    uint8_t proto = 0;
    if (!xm_rd_skip(&c->r, 4) || !xm_rd_u8(&c->r, &proto))
        return DR_LINK_TRUNC;
    if (proto == ARC_IP_1051)
        return dec_ip4(c);
    if (proto != ARC_IP && proto != ARC_IP6)
        return DR_NOT_IP;
    enum dec_reason e = arcnet_1201(c, &proto);
    if (e != DR_NONE)
        return e;
    switch (proto) {
    case ARC_IP: return dec_ip4(c);
    case ARC_IP6: return dec_ip6(c);
    default: return DR_NOT_IP;
    }
}
