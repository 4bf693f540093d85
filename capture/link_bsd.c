/*
 * link_bsd.c - BSD loopback: LINKTYPE_NULL (0, AF word in the capturing
 * host's byte order) and LINKTYPE_LOOP (108, AF word in network order).
 */
#include "decode_int.h"

/* BSD AF values for IPv6 differ by OS: 24 (NetBSD/OpenBSD), 28 (FreeBSD),
 * 30 (macOS); AF_INET is 2 everywhere. */
static enum dec_reason link_bsd_af(struct dec_ctx *c, uint32_t af)
{
    switch (af) {
    case 2: return dec_ip4(c);
    case 24: case 28: case 30: return dec_ip6(c);
    default: return DR_NOT_IP;
    }
}

/* AF values are small, so whichever reading is < 2^16 is the right one.
 * When neither is, some writers put a Cisco-HDLC-like header there
 * (address, control, ethertype in bytes 2-3, network order). */
enum dec_reason dec_link_null(struct dec_ctx *c)
{
    struct xm_rd t = c->r;
    uint32_t le = 0, be = 0;
    if (!xm_rd_le32(&t, &le) || !xm_rd_be32(&c->r, &be))
        return DR_LINK_TRUNC;
    if (le < 0x10000 || be < 0x10000)
        return link_bsd_af(c, le < 0x10000 ? le : be);
    return dec_ethertype(c, (uint16_t)(be & 0xffff));
}

enum dec_reason dec_link_loop(struct dec_ctx *c)
{
    uint32_t af = 0;
    if (!xm_rd_be32(&c->r, &af))
        return DR_LINK_TRUNC;
    return link_bsd_af(c, af);
}
