/*
 * link_nflog.c - Linux netfilter NFLOG (LINKTYPE_NFLOG 239, `tcpdump -i
 * nflog:N`).  Layout (libpcap pcap/nflog.h, linktypes.html):
 *   family(1, AF_INET 2 / AF_INET6 10) version(1) resource id(2, BE),
 *   then TLVs: length(2) type(2) value, each padded to 4 bytes; length
 *   counts the 4-byte TLV header, not the padding.  TLV length and type
 *   are in the CAPTURING host's byte order (libpcap swaps them to the
 *   reading host's order when reading a file of the other order), so the
 *   order is taken from the first TLV (see nflog_le).  The type's top
 *   bit is the netlink "nested" flag.  Type 9 (NFULA_PAYLOAD) holds the
 *   IP packet; no payload TLV (copy range 0) is not IP.
 */
#include "decode_int.h"

enum { NFLOG_PAYLOAD = 9, NFLOG_AF_INET = 2, NFLOG_AF_INET6 = 10 };

static bool nflog_rd16(struct xm_rd *r, bool le, uint16_t *v)
{
    return le ? xm_rd_le16(r, v) : xm_rd_be16(r, v);
}

/* A TLV header is plausible when its length covers the header and its
 * type is one of the few NFULA_* values (< 256): read in the wrong order
 * a small type becomes a multiple of 256.  Little-endian unless only the
 * big-endian reading is plausible. */
static bool nflog_le(const struct xm_rd *r)
{
    struct xm_rd t = *r;
    uint16_t len = 0, type = 0;
    if (!xm_rd_le16(&t, &len) || !xm_rd_le16(&t, &type))
        return true;
    if (len >= 4 && (type & 0x7fff) < 0x100)
        return true;
    t = *r;
    xm_rd_be16(&t, &len);
    xm_rd_be16(&t, &type);
    return !(len >= 4 && (type & 0x7fff) < 0x100);
}

/* Reader at the payload TLV's value of `len` bytes. */
static enum dec_reason nflog_payload(struct dec_ctx *c, uint8_t family, size_t len)
{
    if (!dec_limit(c, c->r.off + len))
        return DR_NFLOG_BAD_TLV;
    switch (family) {
    case NFLOG_AF_INET: return dec_ip4(c);
    case NFLOG_AF_INET6: return dec_ip6(c);
    default: return DR_NOT_IP;
    }
}

/* Walks the TLVs (each >= 4 bytes, so at most caplen / 4 of them). */
enum dec_reason dec_link_nflog(struct dec_ctx *c)
{
    struct xm_rd *r = &c->r;
    uint8_t family = 0;
    if (!xm_rd_u8(r, &family) || !xm_rd_skip(r, 3))
        return DR_LINK_TRUNC;
    bool le = nflog_le(r);
    while (xm_rd_left(r) > 0) {
        uint16_t len = 0, type = 0;
        if (!nflog_rd16(r, le, &len) || !nflog_rd16(r, le, &type))
            return DR_LINK_TRUNC;
        if (len < 4)
            return DR_NFLOG_BAD_TLV;
        if ((type & 0x7fff) == NFLOG_PAYLOAD)
            return nflog_payload(c, family, (size_t)len - 4);
        size_t body = (size_t)len - 4, padded = (body + 3) & ~(size_t)3;
        if (xm_rd_left(r) < body)
            return DR_LINK_TRUNC;
        xm_rd_skip(r, xm_rd_left(r) < padded ? body : padded);  /* last TLV: no pad */
    }
    /* no payload TLV: cut by snaplen, or logged without the packet */
    return r->len < c->frame_len ? DR_LINK_TRUNC : DR_NOT_IP;
}
