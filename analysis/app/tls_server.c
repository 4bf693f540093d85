/*
 * tls_server.c - the server's first handshake message: ServerHello
 * (RFC 8446 4.1.3, RFC 5246 7.4.1.3) for the negotiated version, taken
 * from supported_versions (RFC 8446 4.2.1) when present, else
 * ServerHello.legacy_version.  See include/xm_tls.h.
 *
 * Only the first record of the server's first segment is read: a
 * ServerHello is small and comes first.  Reads only through struct xm_rd;
 * nothing is allocated or kept.
 */
#include "xm_tls.h"
#include "xm_rd.h"

#define TLS_SRV_CT_HANDSHAKE 22
#define TLS_SRV_HS_SERVER_HELLO 2

/* Record header: handshake content type, version 3.x (x <= 4). */
static enum tls_result tls_srv_record(struct xm_rd *r, struct xm_rd *frag)
{
    uint8_t type = 0;
    uint16_t ver = 0, len = 0;
    if (!xm_rd_u8(r, &type) || !xm_rd_be16(r, &ver) || !xm_rd_be16(r, &len))
        return TLS_NEED_MORE;
    if (type != TLS_SRV_CT_HANDSHAKE || (ver >> 8) != 3 || (ver & 0xFF) > 4 || len == 0)
        return TLS_NOT_TLS;
    xm_rd_sub(r, len, frag);
    return TLS_OK;
}

/* Extensions: supported_versions (43) carries the selected version. */
static enum tls_result tls_srv_extensions(struct xm_rd *r, uint16_t *version)
{
    uint16_t total = 0;
    struct xm_rd all;
    if (xm_rd_left(r) == 0)
        return TLS_OK;                      /* no extensions (TLS 1.2 and older) */
    if (!xm_rd_be16(r, &total))
        return TLS_NEED_MORE;
    bool whole = xm_rd_sub(r, total, &all);
    while (xm_rd_left(&all) > 0) {
        uint16_t type = 0, n = 0, v = 0;
        struct xm_rd e;
        if (!xm_rd_be16(&all, &type) || !xm_rd_be16(&all, &n) || !xm_rd_sub(&all, n, &e))
            return whole ? TLS_INVALID : TLS_NEED_MORE;
        if (type != TLS_EXT_SUPPORTED_VERSIONS)
            continue;
        if (n != 2 || !xm_rd_be16(&e, &v))
            return TLS_INVALID;
        *version = v;
    }
    return whole ? TLS_OK : TLS_NEED_MORE;
}

/* ServerHello body: legacy_version, random, session id, cipher suite,
 * compression method, extensions. */
static enum tls_result tls_srv_body(struct xm_rd *b, uint16_t *version)
{
    uint16_t legacy = 0, suite = 0;
    uint8_t sid = 0, comp = 0;
    if (!xm_rd_be16(b, &legacy) || !xm_rd_skip(b, 32) || !xm_rd_u8(b, &sid))
        return TLS_NEED_MORE;
    if (sid > 32)
        return TLS_INVALID;
    if (!xm_rd_skip(b, sid) || !xm_rd_be16(b, &suite) || !xm_rd_u8(b, &comp))
        return TLS_NEED_MORE;
    uint16_t v = legacy;
    enum tls_result res = tls_srv_extensions(b, &v);
    if (res == TLS_OK)
        *version = v;
    return res;
}

enum tls_result tls_parse_server_hello(const uint8_t *p, size_t len, uint16_t *version)
{
    struct xm_rd r, frag, body;
    uint8_t type = 0, l0 = 0;
    uint16_t l1 = 0;
    *version = 0;
    xm_rd_init(&r, p, len);
    enum tls_result res = tls_srv_record(&r, &frag);
    if (res != TLS_OK)
        return res;
    if (!xm_rd_u8(&frag, &type) || !xm_rd_u8(&frag, &l0) || !xm_rd_be16(&frag, &l1))
        return TLS_NEED_MORE;
    if (type != TLS_SRV_HS_SERVER_HELLO)
        return TLS_NOT_TLS;
    uint32_t n = ((uint32_t)l0 << 16) | l1;
    if (n < 38 || n > TLS_HS_MAX)
        return TLS_INVALID;
    bool whole = xm_rd_sub(&frag, n, &body);
    res = tls_srv_body(&body, version);
    if (res == TLS_OK && !whole) {     /* the message goes on past these bytes */
        *version = 0;
        return TLS_NEED_MORE;
    }
    return res;
}

const char *tls_version_name(uint16_t v, char *buf, size_t len)
{
    static const char *const names[] = {"SSLv3", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"};
    static const char hex[] = "0123456789abcdef";
    if ((v >> 8) == 3 && (v & 0xFF) <= 4)
        return names[v & 0xFF];
    if (v == 0x0002 || v == 0x0200)
        return "SSLv2";
    if (len < 7)
        return "";
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 4; i++)
        buf[2 + i] = hex[(v >> (12 - 4 * i)) & 15];
    buf[6] = '\0';
    return buf;
}
