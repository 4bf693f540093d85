/*
 * link_wlan.c - IEEE 802.11 (LINKTYPE_IEEE802_11 105) and the same behind
 * a radiotap header (LINKTYPE_IEEE802_11_RADIOTAP 127): monitor-mode
 * captures.  Only data frames carry IP; their body is LLC/SNAP.
 *
 * MAC header (IEEE 802.11-2020 section 9.2.3; all fields little-endian):
 *   frame control(2): byte 0 = subtype(4) type(2) version(2, must be 0),
 *     byte 1 = flags ToDS 0x01 FromDS 0x02 MoreFrag 0x04 ... Protected
 *     0x40 +HTC/Order 0x80;
 *   duration(2) addr1(6) addr2(6) addr3(6) sequence control(2,
 *     fragment number in the low 4 bits), then addr4(6) when ToDS and
 *     FromDS, QoS control(2) for QoS subtypes (subtype bit 0x8; A-MSDU
 *     present = bit 0x80 of its first byte), HT control(4) when a QoS
 *     frame has the Order bit.
 * Data subtypes with bit 0x4 (Null, CF-Ack/Poll without data) have no
 * body.  Protected frames (encrypted body) and A-MSDUs (several packets in
 * one frame) are not decoded and have their own reasons; later fragments
 * of a fragmented MSDU carry no LLC header and are not IP.  A trailing FCS
 * is harmless: IP lengths come from the IP header.
 */
#include "decode_int.h"

enum {
    WLAN_TYPE_DATA = 2,
    WLAN_TO_DS = 0x01, WLAN_FROM_DS = 0x02, WLAN_PROTECTED = 0x40, WLAN_ORDER = 0x80,
    WLAN_SUB_QOS = 0x8, WLAN_SUB_NODATA = 0x4, WLAN_QOS_AMSDU = 0x80,
};

/* Reader after duration..addr3 (the 24-byte header's first 22 bytes read);
 * reads sequence control, addr4, QoS and HT control. */
static enum dec_reason wlan_data_rest(struct dec_ctx *c, uint8_t sub, uint8_t flags)
{
    uint16_t seq = 0;
    uint8_t qos = 0;
    if (!xm_rd_le16(&c->r, &seq))
        return DR_LINK_TRUNC;
    if ((flags & (WLAN_TO_DS | WLAN_FROM_DS)) == (WLAN_TO_DS | WLAN_FROM_DS) &&
        !xm_rd_skip(&c->r, 6))
        return DR_LINK_TRUNC;
    if (sub & WLAN_SUB_QOS) {
        if (!xm_rd_u8(&c->r, &qos) || !xm_rd_skip(&c->r, 1))
            return DR_LINK_TRUNC;
        if ((flags & WLAN_ORDER) && !xm_rd_skip(&c->r, 4))
            return DR_LINK_TRUNC;
    }
    if (seq & 0x000f)
        return DR_NOT_IP;                   /* not the first fragment */
    if (qos & WLAN_QOS_AMSDU)
        return DR_WLAN_AMSDU;
    return dec_llc(c);
}

enum dec_reason dec_link_wlan(struct dec_ctx *c)
{
    uint8_t fc0 = 0, fc1 = 0;
    if (!xm_rd_u8(&c->r, &fc0) || !xm_rd_u8(&c->r, &fc1))
        return DR_LINK_TRUNC;
    if (fc0 & 0x03)
        return DR_WLAN_BAD_VERSION;
    uint8_t type = (fc0 >> 2) & 0x03, sub = fc0 >> 4;
    if (type != WLAN_TYPE_DATA || (sub & WLAN_SUB_NODATA))
        return DR_NOT_IP;                   /* management, control, no body */
    if (fc1 & WLAN_PROTECTED)
        return DR_WLAN_PROTECTED;
    if (!xm_rd_skip(&c->r, 2 + 18))         /* duration, addr1-3 */
        return DR_LINK_TRUNC;
    return wlan_data_rest(c, sub, fc1);
}

/* Radiotap (radiotap.org): version(1, 0) pad(1) length(2, LE, whole
 * radiotap header, >= 8) present(4...); the 802.11 frame follows. */
enum dec_reason dec_link_radiotap(struct dec_ctx *c)
{
    size_t start = c->r.off;
    uint8_t ver = 0;
    uint16_t len = 0;
    if (!xm_rd_u8(&c->r, &ver) || !xm_rd_skip(&c->r, 1) || !xm_rd_le16(&c->r, &len))
        return DR_LINK_TRUNC;
    if (ver != 0 || len < 8 || start + len > c->frame_len)
        return DR_RADIOTAP_BAD_LEN;
    if (!xm_rd_skip(&c->r, (size_t)len - 4))
        return DR_LINK_TRUNC;
    return dec_link_wlan(c);
}
