/*
 * fuzz_decode.c - libFuzzer target for dec_packet (capture/decode.c).
 *
 * Input: byte 0 selects a link type from dlts[] (all the supported ones
 * plus one unsupported; byte 0 modulo the table size: new rows are
 * appended so old seeds keep their link type), byte 1 adds byte1 * 64 to
 * wirelen (so the length-0 TSO/jumbogram paths see varied wire lengths);
 * the rest is the frame.  The frame is copied into an exact-size buffer so ASan sees any
 * read past caplen.  Invariants of a DEC_OK packet are asserted
 * with abort().
 */
#include "xm_pkt.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = {
    XM_DLT_EN10MB, XM_DLT_LINUX_SLL, XM_DLT_LINUX_SLL2, XM_DLT_RAW,
    XM_DLT_RAW_OLD, XM_DLT_RAW_OLD2, XM_DLT_IPV4, XM_DLT_IPV6, XM_DLT_NULL,
    XM_DLT_LOOP, 9 /* PPP */, 50 /* PPP_SERIAL */, 104 /* C_HDLC */,
    147 /* USER0: unsupported */,
    /* indexes above stay stable (seed byte 0 picks them) */
    239 /* NFLOG */, 127 /* IEEE802_11_RADIOTAP */, 105 /* IEEE802_11 */,
    258 /* PKTAP */, 149 /* PKTAP, macOS DLT */, 242 /* IPOIB */, 10 /* FDDI */,
    226 /* IPNET */, 129 /* ARCNET_LINUX */,
};

static void check_invariants(const struct xm_pkt *p, const uint8_t *buf, size_t len,
                             uint32_t wire)
{
    if (p->ip_bytes > (wire > len ? wire : len))
        abort();
    if (p->ipver != 4 && p->ipver != 6)
        abort();
    if (p->l4_caplen > p->l4_len || p->l4_caplen > len)
        abort();
    if (p->l4_caplen && (p->l4_payload < buf || p->l4_payload + p->l4_caplen > buf + len))
        abort();
    if (p->has_ports && p->frag == XM_FRAG_LATER)
        abort();
    if (p->ip_bytes < (p->ipver == 4 ? 20u : 40u))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dec_stats st;
    struct xm_pkt p;
    if (size < 2 || size > 0xffff)
        return 0;
    int dlt = dlts[data[0] % (sizeof dlts / sizeof dlts[0])];
    size_t len = size - 2;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 2, len);
    uint32_t wire = (uint32_t)len + data[1] * 64u;
    memset(&st, 0, sizeof st);
    enum dec_result r = dec_packet(dlt, 0, buf, (uint32_t)len, wire, &p, &st);
    if (st.packets != 1 || st.result[r] != 1)
        abort();
    if (r == DEC_OK)
        check_invariants(&p, buf, len, wire);
    if ((r == DEC_UNSUPPORTED_DLT) != !dec_dlt_supported(dlt))
        abort();
    free(buf);
    return 0;
}
