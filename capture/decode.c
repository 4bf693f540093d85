/*
 * decode.c - the layers above the link: ethertypes, VLAN tags, PPPoE, MPLS,
 * IPv4/IPv6 and L4 headers (entered from the link decoders, capture/link_*.c).
 *
 * Contract: see include/xm_pkt.h.  Every packet byte is read through the
 * bounds-checked reader (xm_rd.h); the reader never looks past caplen.
 * The caller owns *pkt and *st; pkt->l4_payload borrows `data`.
 * Nothing here allocates, logs or formats; no state survives a call.
 *
 * Outcomes.  Each internal step returns an enum dec_reason; DR_NONE means
 * "go on".  The public result is derived from the reason (dec_reason_res),
 * so every reason belongs to exactly one result:
 *   *_TRUNC          -> DEC_TRUNCATED (captured bytes end inside a header
 *                       we need),
 *   DR_NOT_IP        -> DEC_NOT_IP,   DR_UNSUPPORTED_DLT -> DEC_UNSUPPORTED_DLT,
 *   everything else  -> DEC_INVALID (a field value is impossible).
 *
 * Which headers are "needed" (truncation policy):
 *   - the link header, every tag/label/shim, the IPv4 header including its
 *     options and the whole IPv6 extension-header chain: without them the
 *     L4 header cannot be located;
 *   - the FIXED part of the L4 header (TCP 20, UDP 8, SCTP 12, ICMP and
 *     ICMPv6 8 bytes): without it the flow cannot be keyed.  A cut L4
 *     header is DEC_TRUNCATED, except for later fragments, which carry no
 *     L4 header at all and decode as DEC_OK with has_ports false.
 *   - TCP options are NOT needed: when the capture ends inside them the
 *     packet is DEC_OK with l4_caplen 0.  So a short-snaplen capture
 *     (tcpdump -s 96: 14 + 20 + 20 = 54 bytes of headers) decodes fine and
 *     ip_bytes still comes from the IP header, not from caplen.
 * The IP length fields must leave room for the fixed L4 header, else the
 * packet is DEC_INVALID (DR_L4_BAD_LEN) - the bytes there are padding,
 * not a header.  Exception (RFC 1858 "tiny fragments"): a first IPv4
 * fragment too short for the full header but holding >= 4 bytes still
 * yields its ports.  An IP length larger than the frame's WIRE length
 * (minus what precedes the IP header) is DEC_INVALID too (ip4/ip6_bad_len):
 * snaplen shortens caplen, never wirelen, so such a header lies.
 */
#include "decode_int.h"

/* Bounds on loops driven by packet bytes (exceeding them is invalid). */
#define DEC_VLAN_MAX 8      /* stacked 802.1Q/802.1ad/0x9100 tags */
#define DEC_MPLS_MAX 16     /* MPLS label stack entries */
#define DEC_IP6_EXT_MAX 16  /* IPv6 extension headers */
#define DEC_ENCAP_MAX 8     /* nested ethertype dispatches (LLC, PBB, VN-Tag) */

/* Ethertypes (IEEE registry). */
#define ET_IP4 0x0800
#define ET_IP6 0x86dd
#define ET_VLAN 0x8100
#define ET_QINQ 0x88a8
#define ET_QINQ_OLD 0x9100
#define ET_PPPOE_SESS 0x8864
#define ET_MPLS_UC 0x8847
#define ET_MPLS_MC 0x8848
#define ET_PBB 0x88e7       /* IEEE 802.1ah I-TAG */
#define ET_VNTAG 0x8926     /* Cisco VN-Tag (802.1Qbh) */
#define ET_MIN 0x0600       /* smaller values are 802.3 lengths */

/* IP protocol numbers (IANA). */
enum {
    IPP_HOPOPT = 0, IPP_ICMP = 1, IPP_TCP = 6, IPP_UDP = 17, IPP_ROUTING = 43,
    IPP_FRAGMENT = 44, IPP_AH = 51, IPP_ICMP6 = 58, IPP_NONE = 59,
    IPP_DSTOPTS = 60, IPP_SCTP = 132,
};


/* ---- L4 ---------------------------------------------------------------- */

/*
 * Sets l4_payload/l4_caplen/l4_len.  The reader sits at the L4 header;
 * hdr is the L4 header length (may exceed what was captured, e.g. TCP
 * options cut by snaplen); decl is the L4 length per the IP header(s).
 * l4_caplen never counts link-layer padding past the IP length.
 */
static void dec_payload(struct dec_ctx *c, size_t hdr, size_t decl)
{
    struct xm_pkt *p = c->pkt;
    size_t left = xm_rd_left(&c->r);
    size_t len = decl > hdr ? decl - hdr : 0;
    size_t cap = left > hdr ? left - hdr : 0;
    if (cap > len)
        cap = len;
    p->l4_len = (uint32_t)len;
    p->l4_caplen = (uint32_t)cap;
    p->l4_payload = cap ? xm_rd_ptr(&c->r) + hdr : NULL;
}

/* The fixed L4 header of `need` bytes must fit the IP length (else
 * invalid) and the capture (else truncated). */
static enum dec_reason dec_l4_need(struct dec_ctx *c, size_t need, size_t decl,
                                   enum dec_reason trunc)
{
    if (decl < need)
        return DR_L4_BAD_LEN;
    if (xm_rd_left(&c->r) < need)
        return trunc;
    return DR_NONE;
}

/* RFC 1858 tiny first fragment: only the 4 port bytes are promised. */
static enum dec_reason dec_tiny_frag(struct dec_ctx *c, size_t decl,
                                     enum dec_reason trunc)
{
    struct xm_rd t = c->r;
    if (decl < 4)
        return DR_L4_BAD_LEN;
    if (!xm_rd_be16(&t, &c->pkt->sport) || !xm_rd_be16(&t, &c->pkt->dport))
        return trunc;
    c->pkt->has_ports = true;
    dec_payload(c, decl, decl);
    return DR_NONE;
}

/* TCP, RFC 9293 section 3.1: ports, seq, data offset (32-bit words), flags. */
static enum dec_reason dec_tcp(struct dec_ctx *c, size_t decl)
{
    struct xm_pkt *p = c->pkt;
    if (decl < 20 && p->frag == XM_FRAG_FIRST)
        return dec_tiny_frag(c, decl, DR_TCP_TRUNC);
    enum dec_reason e = dec_l4_need(c, 20, decl, DR_TCP_TRUNC);
    if (e != DR_NONE)
        return e;
    struct xm_rd t = c->r;
    uint8_t off = 0;
    xm_rd_be16(&t, &p->sport);
    xm_rd_be16(&t, &p->dport);
    xm_rd_be32(&t, &p->tcp_seq);
    xm_rd_skip(&t, 4);                  /* acknowledgment number */
    xm_rd_u8(&t, &off);
    xm_rd_u8(&t, &p->tcp_flags);
    if ((off >> 4) < 5)
        return DR_TCP_BAD_OFF;
    p->has_ports = true;
    dec_payload(c, (size_t)(off >> 4) * 4, decl);
    return DR_NONE;
}

/* UDP, RFC 768.  Length 0 is legal only in jumbograms (RFC 2675), i.e.
 * when the IP length came from the wire. */
static enum dec_reason dec_udp(struct dec_ctx *c, size_t decl)
{
    struct xm_pkt *p = c->pkt;
    enum dec_reason e = dec_l4_need(c, 8, decl, DR_UDP_TRUNC);
    if (e != DR_NONE)
        return e;
    struct xm_rd t = c->r;
    uint16_t ulen = 0;
    xm_rd_be16(&t, &p->sport);
    xm_rd_be16(&t, &p->dport);
    xm_rd_be16(&t, &ulen);
    if (ulen < 8 && !(ulen == 0 && p->len_from_wire))
        return DR_UDP_BAD_LEN;
    p->has_ports = true;
    dec_payload(c, 8, decl);
    return DR_NONE;
}

/* SCTP common header, RFC 9260 section 3.1: ports, tag, checksum. */
static enum dec_reason dec_sctp(struct dec_ctx *c, size_t decl)
{
    struct xm_pkt *p = c->pkt;
    if (decl < 12 && p->frag == XM_FRAG_FIRST)
        return dec_tiny_frag(c, decl, DR_SCTP_TRUNC);
    enum dec_reason e = dec_l4_need(c, 12, decl, DR_SCTP_TRUNC);
    if (e != DR_NONE)
        return e;
    struct xm_rd t = c->r;
    xm_rd_be16(&t, &p->sport);
    xm_rd_be16(&t, &p->dport);
    p->has_ports = true;
    dec_payload(c, 12, decl);
    return DR_NONE;
}

/* ICMP (RFC 792) / ICMPv6 (RFC 4443): 8-byte header, type and code first. */
static enum dec_reason dec_icmp(struct dec_ctx *c, size_t decl)
{
    enum dec_reason e = dec_l4_need(c, 8, decl, DR_ICMP_TRUNC);
    if (e != DR_NONE)
        return e;
    struct xm_rd t = c->r;
    xm_rd_u8(&t, &c->pkt->icmp_type);
    xm_rd_u8(&t, &c->pkt->icmp_code);
    dec_payload(c, 8, decl);
    return DR_NONE;
}

/* Reader at the first byte after the IP header(s); ip_hdrs = their size. */
static enum dec_reason dec_l4(struct dec_ctx *c, size_t ip_hdrs)
{
    struct xm_pkt *p = c->pkt;
    size_t decl = p->ip_bytes > ip_hdrs ? p->ip_bytes - ip_hdrs : 0;
    if (p->frag == XM_FRAG_LATER) {
        dec_payload(c, 0, decl);
        return DR_NONE;
    }
    switch (p->proto) {
    case IPP_TCP: return dec_tcp(c, decl);
    case IPP_UDP: return dec_udp(c, decl);
    case IPP_SCTP: return dec_sctp(c, decl);
    case IPP_ICMP: case IPP_ICMP6: return dec_icmp(c, decl);
    default:
        dec_payload(c, 0, decl);
        return DR_NONE;
    }
}

/* ---- IPv4 (RFC 791) ------------------------------------------------------ */

/* IP bytes when the header's length field is 0 (TSO / jumbogram): the
 * frame length minus everything before the IP header at offset ip_off. */
static uint32_t dec_wire_ip_len(const struct dec_ctx *c, size_t ip_off)
{
    c->pkt->len_from_wire = true;
    return c->frame_len - (uint32_t)ip_off;  /* ip_off <= caplen <= frame_len */
}

/* A length field claiming more bytes than the frame had ON THE WIRE is
 * impossible (snaplen cuts caplen, never wirelen): counting it would let a
 * forged header inflate volume.  Wire-derived lengths fit by definition. */
static bool dec_ip_len_fits(const struct dec_ctx *c, size_t ip_off)
{
    return c->pkt->ip_bytes <= c->frame_len - ip_off;
}

enum dec_reason dec_ip4(struct dec_ctx *c)
{
    struct xm_rd *r = &c->r;
    struct xm_pkt *p = c->pkt;
    size_t ip_off = r->off;
    uint8_t vihl = 0;
    uint16_t tot = 0, id = 0, frag = 0;
    if (!xm_rd_peek8(r, 0, &vihl))
        return DR_IP4_TRUNC;
    if ((vihl >> 4) != 4)
        return DR_IP4_BAD_VERSION;
    size_t hl = (size_t)(vihl & 0x0f) * 4;   /* IHL: 32-bit words */
    if (hl < 20)
        return DR_IP4_BAD_IHL;
    if (!xm_rd_need(r, hl))
        return DR_IP4_TRUNC;
    xm_rd_skip(r, 2);                         /* version/IHL, TOS */
    xm_rd_be16(r, &tot);
    xm_rd_be16(r, &id);
    xm_rd_be16(r, &frag);                     /* flags(3) | offset(13) */
    xm_rd_skip(r, 1);                         /* TTL */
    xm_rd_u8(r, &p->proto);
    xm_rd_skip(r, 2);                         /* header checksum: unchecked */
    xm_rd_copy(r, p->src.b, 4);
    xm_rd_copy(r, p->dst.b, 4);
    xm_rd_skip(r, hl - 20);                   /* options */
    if (tot != 0 && tot < hl)
        return DR_IP4_BAD_LEN;
    p->ipver = 4;
    p->src.family = p->dst.family = 4;
    p->frag_id = id;
    p->ip_bytes = tot ? tot : dec_wire_ip_len(c, ip_off);
    if (!dec_ip_len_fits(c, ip_off))
        return DR_IP4_BAD_LEN;
    if (frag & 0x1fff)
        p->frag = XM_FRAG_LATER;
    else if (frag & 0x2000)                   /* MF */
        p->frag = XM_FRAG_FIRST;
    return dec_l4(c, hl);
}

/* ---- IPv6 (RFC 8200) ----------------------------------------------------- */

static bool dec_ip6_is_ext(uint8_t nh)
{
    return nh == IPP_HOPOPT || nh == IPP_ROUTING || nh == IPP_FRAGMENT ||
           nh == IPP_DSTOPTS || nh == IPP_AH;
}

/* Fragment header body after next/reserved: offset(13)|res(2)|M, ident. */
static void dec_ip6_frag(struct dec_ctx *c)
{
    uint16_t offm = 0;
    xm_rd_be16(&c->r, &offm);
    xm_rd_be32(&c->r, &c->pkt->frag_id);
    if (offm & 0xfff8)
        c->pkt->frag = XM_FRAG_LATER;
    else if (offm & 1)
        c->pkt->frag = XM_FRAG_FIRST;
    /* offset 0 and M 0: atomic fragment (RFC 6946), a whole packet */
}

/*
 * Walks at most DEC_IP6_EXT_MAX extension headers starting with *nh and
 * leaves *nh at the upper-layer protocol.  Stops early at a later
 * fragment (the rest is fragment payload).  Lengths: AH in 4-byte units
 * + 2 (RFC 4302), fragment 8 bytes, the others 8-byte units + 1.
 */
static enum dec_reason dec_ip6_ext(struct dec_ctx *c, uint8_t *nh)
{
    struct xm_rd *r = &c->r;
    for (unsigned n = 0; dec_ip6_is_ext(*nh); n++) {
        uint8_t next = 0, len = 0;
        if (n == DEC_IP6_EXT_MAX)
            return DR_IP6_EXT_TOO_MANY;
        if (!xm_rd_need(r, 8))                /* every ext header >= 8 */
            return DR_IP6_EXT_TRUNC;
        xm_rd_u8(r, &next);
        xm_rd_u8(r, &len);
        if (*nh == IPP_FRAGMENT)
            dec_ip6_frag(c);
        else if (!xm_rd_skip(r, (*nh == IPP_AH ? ((size_t)len + 2) * 4
                                               : ((size_t)len + 1) * 8) - 2))
            return DR_IP6_EXT_TRUNC;
        *nh = next;
        if (c->pkt->frag == XM_FRAG_LATER)
            break;
    }
    return DR_NONE;
}

enum dec_reason dec_ip6(struct dec_ctx *c)
{
    struct xm_rd *r = &c->r;
    struct xm_pkt *p = c->pkt;
    size_t ip_off = r->off;
    uint8_t v = 0, nh = 0;
    uint16_t plen = 0;
    if (!xm_rd_peek8(r, 0, &v))
        return DR_IP6_TRUNC;
    if ((v >> 4) != 6)
        return DR_IP6_BAD_VERSION;
    if (!xm_rd_need(r, 40))
        return DR_IP6_TRUNC;
    xm_rd_skip(r, 4);                         /* version, class, flow label */
    xm_rd_be16(r, &plen);
    xm_rd_u8(r, &nh);
    xm_rd_skip(r, 1);                         /* hop limit */
    xm_rd_copy(r, p->src.b, 16);
    xm_rd_copy(r, p->dst.b, 16);
    p->ipver = 6;
    p->src.family = p->dst.family = 6;
    /* Payload length 0: jumbogram (RFC 2675) or TSO, unless nothing follows. */
    p->ip_bytes = (plen || nh == IPP_NONE) ? 40u + plen : dec_wire_ip_len(c, ip_off);
    enum dec_reason e = dec_ip6_ext(c, &nh);
    if (e != DR_NONE)
        return e;
    p->proto = nh;
    size_t hdrs = r->off - ip_off;
    if (hdrs > p->ip_bytes || !dec_ip_len_fits(c, ip_off))
        return DR_IP6_BAD_LEN;
    return dec_l4(c, hdrs);
}

/* ---- encapsulations above the link layer ---------------------------------- */

/* Reader at the first byte after the version-less encapsulation (raw IP,
 * MPLS bottom of stack): the version nibble picks the IP decoder. */
enum dec_reason dec_ip_any(struct dec_ctx *c, enum dec_reason trunc,
                                  enum dec_reason other)
{
    uint8_t v = 0;
    if (!xm_rd_peek8(&c->r, 0, &v))
        return trunc;
    switch (v >> 4) {
    case 4: return dec_ip4(c);
    case 6: return dec_ip6(c);
    default: return other;
    }
}

/* MPLS label stack entries (RFC 3032): label(20)|TC(3)|S(1)|TTL(8). */
static enum dec_reason dec_mpls(struct dec_ctx *c)
{
    uint32_t lse = 0;
    for (unsigned n = 0; !(lse & 0x100); n++) {
        if (n == DEC_MPLS_MAX)
            return DR_MPLS_TOO_DEEP;
        if (!xm_rd_be32(&c->r, &lse))
            return DR_MPLS_TRUNC;
    }
    /* Not 4/6: pseudowire or other payload we do not decode. */
    return dec_ip_any(c, DR_MPLS_TRUNC, DR_NOT_IP);
}

/* PPP protocol field (RFC 1661), 1 byte when compressed (odd first byte). */
enum dec_reason dec_ppp_proto(struct dec_ctx *c, enum dec_reason trunc)
{
    uint8_t b0 = 0, b1 = 0;
    if (!xm_rd_u8(&c->r, &b0))
        return trunc;
    uint16_t proto = b0;
    if (!(b0 & 1)) {
        if (!xm_rd_u8(&c->r, &b1))
            return trunc;
        proto = (uint16_t)(b0 << 8 | b1);
    }
    switch (proto) {
    case 0x0021: return dec_ip4(c);
    case 0x0057: return dec_ip6(c);
    case 0x0281: return dec_mpls(c);
    default: return DR_NOT_IP;
    }
}

/* PPPoE session header (RFC 2516): ver/type(1), code(1), session id(2),
 * length(2, the PPP payload incl. the protocol field).  Bytes after that
 * length are Ethernet padding: an IP header claiming more is invalid
 * (ip4/ip6_bad_len), as tshark finds it.  A length past the wire length
 * is ignored (tshark only warns and decodes what is there). */
static enum dec_reason dec_pppoe(struct dec_ctx *c)
{
    uint16_t len = 0;
    if (!xm_rd_skip(&c->r, 4) || !xm_rd_be16(&c->r, &len))
        return DR_PPPOE_TRUNC;
    dec_limit(c, c->r.off + len);
    return dec_ppp_proto(c, DR_PPPOE_TRUNC);
}

/* IEEE 802.2 LLC: DSAP(1) SSAP(1) control(1, UI = 0x03).  SNAP (RFC 1042,
 * DSAP = SSAP = 0xaa): OUI(3) + ethertype(2); OUI 00-00-00 (RFC 1042) and
 * 00-00-f8 (802.1H bridge tunnel) carry ethertypes.  SAP 0x06 (RFC 948)
 * carries IPv4 directly.  Other SAPs (STP, NetBIOS, IPX...) are not IP. */
enum dec_reason dec_llc(struct dec_ctx *c)
{
    uint8_t dsap = 0, ssap = 0, ctl = 0, oui[3] = {0};
    uint16_t et = 0;
    if (!xm_rd_u8(&c->r, &dsap) || !xm_rd_u8(&c->r, &ssap) || !xm_rd_u8(&c->r, &ctl))
        return DR_LLC_TRUNC;
    if (dsap == 0x06 && ssap == 0x06 && ctl == 0x03)
        return dec_ip4(c);
    if (dsap != 0xaa || ssap != 0xaa || ctl != 0x03)
        return DR_NOT_IP;
    if (!xm_rd_copy(&c->r, oui, 3) || !xm_rd_be16(&c->r, &et))
        return DR_LLC_TRUNC;
    if (oui[0] || oui[1] || (oui[2] && oui[2] != 0xf8) || et < ET_MIN)
        return DR_NOT_IP;
    return dec_ethertype(c, et);
}

/* IEEE 802.1ah PBB: I-TAG PCP/DEI/UCA(1) + I-SID(3), then the customer's
 * Ethernet header dst(6) src(6) ethertype(2). */
static enum dec_reason dec_pbb(struct dec_ctx *c)
{
    uint16_t et = 0;
    if (!xm_rd_skip(&c->r, 4 + 12) || !xm_rd_be16(&c->r, &et))
        return DR_PBB_TRUNC;
    return dec_ethertype(c, et);
}

/* VN-Tag: direction/pointer/dst VIF(2) looped/ver/src VIF(2), ethertype(2). */
static enum dec_reason dec_vntag(struct dec_ctx *c)
{
    uint16_t et = 0;
    if (!xm_rd_skip(&c->r, 4) || !xm_rd_be16(&c->r, &et))
        return DR_VNTAG_TRUNC;
    return dec_ethertype(c, et);
}

bool dec_limit(struct dec_ctx *c, size_t end)
{
    if (end > c->frame_len)
        return false;
    c->frame_len = (uint32_t)end;
    if (end < c->r.len)
        c->r.len = end;
    return true;
}

static bool dec_is_vlan(uint16_t et)
{
    return et == ET_VLAN || et == ET_QINQ || et == ET_QINQ_OLD;
}

/* Reader after an ethertype field holding `et`: VLAN tags (innermost id
 * wins), then the payload.  Values < 0x0600 are 802.3 lengths: an LLC
 * header follows (the length is not needed: IP lengths come from the IP
 * header).  LLC/SNAP, PBB and VN-Tag recurse; DEC_ENCAP_MAX bounds that. */
enum dec_reason dec_ethertype(struct dec_ctx *c, uint16_t et)
{
    if (++c->depth > DEC_ENCAP_MAX)
        return DR_ENCAP_TOO_DEEP;
    for (unsigned depth = 0; dec_is_vlan(et); depth++) {
        uint16_t tci = 0;
        if (depth == DEC_VLAN_MAX)
            return DR_VLAN_TOO_DEEP;
        if (!xm_rd_be16(&c->r, &tci) || !xm_rd_be16(&c->r, &et))
            return DR_VLAN_TRUNC;
        c->pkt->vlan = tci & 0x0fff;          /* PCP(3) DEI(1) VID(12) */
    }
    if (et < ET_MIN)
        return dec_llc(c);
    switch (et) {
    case ET_IP4: return dec_ip4(c);
    case ET_IP6: return dec_ip6(c);
    case ET_PPPOE_SESS: return dec_pppoe(c);
    case ET_MPLS_UC: case ET_MPLS_MC: return dec_mpls(c);
    case ET_PBB: return dec_pbb(c);
    case ET_VNTAG: return dec_vntag(c);
    default: return DR_NOT_IP;
    }
}
