/*
 * app_quic.c - the QUIC row of the app-layer parser table: the first
 * client datagram of a UDP flow that is a QUIC Initial marks the flow as
 * QUIC (its name stays unnamed with reason "quic": the ClientHello inside
 * is encrypted with keys derived from the connection ID, RFC 9001 5).
 */
#include "app_int.h"

#include "xm_rd.h"

/* QUIC long header (RFC 9000 17.2): form and fixed bits set, Initial
 * type (0 in v1/drafts, 1 in v2, RFC 9369), a known version, and a
 * datagram of at least 1200 octets (RFC 9000 14.1). */
static bool app_quic_initial(const struct xm_pkt *p)
{
    struct xm_rd r;
    uint8_t b0 = 0;
    uint32_t v = 0;
    xm_rd_init(&r, p->l4_payload, p->l4_caplen);
    if (p->l4_len < 1200 || !xm_rd_u8(&r, &b0) || !xm_rd_be32(&r, &v) || (b0 & 0xC0) != 0xC0)
        return false;
    unsigned type = (b0 >> 4) & 3;
    if (v == 0x6b3343cfu)
        return type == 1;
    return type == 0 && (v == 1 || (v & 0xFFFFFF00u) == 0xFF000000u);
}

/* Table row (APP_STYLE_PACKET): looks at the client's first packet only
 * and never takes it, so the generic UDP policy still applies. */
bool app_quic_packet(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    (void)a;
    if (p->proto == APP_PROTO_UDP && dir == 0 && f->pkts[0] == 1 && app_quic_initial(p))
        app_seen_set(f, APP_P_QUIC);
    return false;
}
