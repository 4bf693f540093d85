/*
 * decode_int.h - internals shared by the decoder (capture/decode.c) and
 * the link-layer decoders (capture/link_*.c).  Not a public API.
 *
 * A link decoder is entered with the reader at byte 0 of the frame; it
 * consumes its own header and hands the rest to one of the network-layer
 * entry points below.  It returns DR_NONE only through them; its own
 * failures are DR_*_TRUNC (captured bytes end inside the header) or
 * DR_NOT_IP.  Decoders never allocate, log or keep state.
 *
 * Adding a link type: one file capture/link_X.c defining the decoder and
 * one row in dec_link_types[] (capture/link.c).
 */
#ifndef XM_DECODE_INT_H
#define XM_DECODE_INT_H

#include "xm_pkt.h"
#include "xm_rd.h"

struct dec_ctx {
    struct xm_rd r;      /* over data[0, caplen) */
    struct xm_pkt *pkt;
    uint32_t frame_len;  /* max(wirelen, caplen): for length-0 IP headers */
    unsigned depth;      /* nested dec_ethertype() calls (L2 encapsulations) */
};

typedef enum dec_reason (*dec_link_fn)(struct dec_ctx *c);

/* One row of the link-type table: pcap LINKTYPE_ value, the name shown
 * in messages, the decoder. */
struct dec_link_type {
    int dlt;
    const char *name;
    dec_link_fn decode;
};

/* The link-type table (capture/link.c); NULL when dlt is not decoded. */
const struct dec_link_type *dec_link_find(int dlt);

/* Network-layer entry points (capture/decode.c).  The reader sits at the
 * first byte of the IP header / after the ethertype / at the PPP protocol
 * field; `trunc` is the reason to report when that field itself is cut. */
enum dec_reason dec_ip4(struct dec_ctx *c);
enum dec_reason dec_ip6(struct dec_ctx *c);
enum dec_reason dec_ip_any(struct dec_ctx *c, enum dec_reason trunc, enum dec_reason other);
enum dec_reason dec_ethertype(struct dec_ctx *c, uint16_t et);
enum dec_reason dec_ppp_proto(struct dec_ctx *c, enum dec_reason trunc);
/* Reader at an IEEE 802.2 LLC header (DSAP, SSAP, control): SNAP with an
 * ethertype goes on to dec_ethertype(), anything else is not IP. */
enum dec_reason dec_llc(struct dec_ctx *c);

/* The encapsulated packet ends at frame offset `end` (a length field of
 * the encapsulation says so): later bytes (trailers, further TLVs) are
 * neither read nor counted.  Returns false when `end` lies past the wire
 * length (the length field is impossible); `end` must be >= c->r.off. */
bool dec_limit(struct dec_ctx *c, size_t end);

/* Link decoders (capture/link_*.c), referenced by the table. */
enum dec_reason dec_link_eth(struct dec_ctx *c);
enum dec_reason dec_link_sll(struct dec_ctx *c);
enum dec_reason dec_link_sll2(struct dec_ctx *c);
enum dec_reason dec_link_raw(struct dec_ctx *c);
enum dec_reason dec_link_ipv4(struct dec_ctx *c);
enum dec_reason dec_link_ipv6(struct dec_ctx *c);
enum dec_reason dec_link_null(struct dec_ctx *c);
enum dec_reason dec_link_loop(struct dec_ctx *c);
enum dec_reason dec_link_ppp(struct dec_ctx *c);
enum dec_reason dec_link_chdlc(struct dec_ctx *c);
enum dec_reason dec_link_nflog(struct dec_ctx *c);
enum dec_reason dec_link_wlan(struct dec_ctx *c);
enum dec_reason dec_link_radiotap(struct dec_ctx *c);
enum dec_reason dec_link_pktap(struct dec_ctx *c);
enum dec_reason dec_link_ipoib(struct dec_ctx *c);
enum dec_reason dec_link_fddi(struct dec_ctx *c);
enum dec_reason dec_link_ipnet(struct dec_ctx *c);
enum dec_reason dec_link_arcnet(struct dec_ctx *c);

#endif
