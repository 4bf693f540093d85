/*
 * community_id.c - Community ID v1 (corelight/community-id-spec) of an
 * explicit tuple (xm_cid.h); the flow adapter is analysis/flow/community_id.c.
 *
 * Hash input, all network byte order, 32-bit aligned:
 *   seed(2) . saddr(4|16) . daddr(4|16) . proto(1) . 0(1) [. sport(2) . dport(2)]
 * Ports are present for TCP, UDP, SCTP, ICMP and ICMPv6 only.  Endpoints
 * are ordered so the smaller (addr, port) comes first, except for
 * one-way ICMP messages, which keep their direction.  ICMP type/code map
 * to ports as in Zeek: a message type with a counterpart (echo request
 * <-> reply ...) becomes (type, counterpart type); any other type is
 * one-way and becomes (type, code).
 */
#include "xm_cid.h"

#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_ICMP6 58
#define P_SCTP 132

/* ICMPv4 types with a counterpart (RFC 792, 1256). */
static int icmp4_peer(uint8_t t)
{
    switch (t) {
    case 0: return 8;     /* echo reply <-> echo request */
    case 8: return 0;
    case 9: return 10;    /* router advertisement <-> solicitation */
    case 10: return 9;
    case 13: return 14;   /* timestamp request <-> reply */
    case 14: return 13;
    case 15: return 16;   /* information request <-> reply */
    case 16: return 15;
    case 17: return 18;   /* address mask request <-> reply */
    case 18: return 17;
    }
    return -1;
}

/* ICMPv6 types with a counterpart (RFC 4443, 4861, 2710, 4620, 6275). */
static int icmp6_peer(uint8_t t)
{
    switch (t) {
    case 128: return 129; /* echo request <-> reply */
    case 129: return 128;
    case 130: return 131; /* MLD query <-> report */
    case 131: return 130;
    case 133: return 134; /* router solicitation <-> advertisement */
    case 134: return 133;
    case 135: return 136; /* neighbor solicitation <-> advertisement */
    case 136: return 135;
    case 139: return 140; /* node information query <-> response */
    case 140: return 139;
    case 144: return 145; /* home agent address discovery req <-> reply */
    case 145: return 144;
    }
    return -1;
}

static bool proto_has_ports(uint8_t proto)
{
    return proto == P_TCP || proto == P_UDP || proto == P_SCTP ||
           proto == P_ICMP || proto == P_ICMP6;
}

/* Maps ICMP type/code to the port pair; returns true for one-way. */
static bool icmp_ports(uint8_t proto, uint16_t *sport, uint16_t *dport)
{
    uint8_t type = (uint8_t)*sport;
    int peer = proto == P_ICMP ? icmp4_peer(type) : icmp6_peer(type);
    if (peer < 0)
        return true;            /* (type, code) unchanged */
    *dport = (uint16_t)peer;
    return false;
}

static size_t addr_len(const struct xm_addr *a)
{
    return a->family == 4 ? 4 : 16;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int cid_tuple(const struct xm_addr *src, const struct xm_addr *dst,
              uint16_t sport, uint16_t dport, uint8_t proto,
              uint16_t seed, char *out, size_t len)
{
    if (len < XM_CID_LEN || src->family != dst->family ||
        (src->family != 4 && src->family != 6))
        return -1;
    bool one_way = false;
    if (proto == P_ICMP || proto == P_ICMP6)
        one_way = icmp_ports(proto, &sport, &dport);
    int c = memcmp(src->b, dst->b, addr_len(src));
    bool swap = !one_way && (c > 0 || (c == 0 && sport > dport));
    const struct xm_addr *a = swap ? dst : src, *b = swap ? src : dst;
    uint16_t ap = swap ? dport : sport, bp = swap ? sport : dport;

    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0, al = addr_len(a);
    put_be16(buf, seed);
    n = 2;
    memcpy(buf + n, a->b, al);
    n += al;
    memcpy(buf + n, b->b, al);
    n += al;
    buf[n++] = proto;
    buf[n++] = 0;
    if (proto_has_ports(proto)) {
        put_be16(buf + n, ap);
        put_be16(buf + n + 2, bp);
        n += 4;
    }
    uint8_t dig[XM_SHA1_LEN];
    if (xm_sha1_short(buf, n, dig) != 0)    /* n <= 40: one block */
        return -1;
    out[0] = '1';
    out[1] = ':';
    return xm_base64(dig, sizeof dig, out + 2, len - 2) < 0 ? -1 : 0;
}
