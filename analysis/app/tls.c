/*
 * tls.c - TLS ClientHello parser.  See include/xm_tls.h.  No allocation;
 * a ClientHello that spans records is gathered into a stack buffer of
 * TLS_HS_MAX + 4 octets.
 */
#include "xm_tls.h"
#include "xm_rd.h"

#define TLS_CT_HANDSHAKE 22
#define TLS_HS_CLIENT_HELLO 1
#define TLS_RECORD_MAX (16384 + 2048)  /* RFC 5246 6.2.3 ciphertext bound */

const char *tls_result_name(enum tls_result r)
{
    static const char *const names[TLS_RESULT_MAX] = {
        "ok", "need_more", "not_tls", "invalid"};
    return (unsigned)r < TLS_RESULT_MAX ? names[r] : "unknown";
}

bool tls_record_start(const uint8_t *p, size_t len)
{
    struct xm_rd r;
    uint8_t type = 0, major = 0, minor = 0;
    xm_rd_init(&r, p, len);
    if (!xm_rd_u8(&r, &type) || !xm_rd_u8(&r, &major) || !xm_rd_u8(&r, &minor))
        return false;
    return type == TLS_CT_HANDSHAKE && major == 3 && minor <= 4;
}

/* Reads a record header; returns the fragment length or -1 (not TLS). */
static long tls_record_header(struct xm_rd *r, uint16_t *version)
{
    uint8_t type = 0;
    uint16_t len = 0;
    if (!xm_rd_u8(r, &type) || !xm_rd_be16(r, version) || !xm_rd_be16(r, &len))
        return -2;
    if (type != TLS_CT_HANDSHAKE || (*version >> 8) != 3 || (*version & 0xFF) > 4)
        return -1;
    return len;
}

/* Text-safe copy of n octets (printable ASCII kept, others '?'). */
static void tls_copy_text(struct xm_rd *r, size_t n, char *dst)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = 0;
        xm_rd_u8(r, &c);
        dst[i] = (c < 0x21 || c > 0x7e) ? '?' : (char)c;
    }
    dst[n] = '\0';
}

/* server_name extension body (RFC 6066 3): keeps the first host_name. */
static enum tls_result tls_ext_sni(struct xm_rd *e, struct tls_hello *h)
{
    uint16_t list_len;
    struct xm_rd list;
    if (!xm_rd_be16(e, &list_len) || !xm_rd_sub(e, list_len, &list))
        return TLS_INVALID;
    while (xm_rd_left(&list) > 0) {
        uint8_t type = 0;
        uint16_t n = 0;
        if (!xm_rd_u8(&list, &type) || !xm_rd_be16(&list, &n) || !xm_rd_need(&list, n))
            return TLS_INVALID;
        if (type != 0 || h->has_sni) {
            xm_rd_skip(&list, n);
            continue;
        }
        if (n == 0 || n > TLS_SNI_MAX)
            return TLS_INVALID;
        tls_copy_text(&list, n, h->sni);
        h->sni_len = (uint8_t)n;
        h->has_sni = true;
    }
    return TLS_OK;
}

/* Appends one ALPN protocol to the text list if it fits whole. */
static void tls_alpn_append(struct xm_rd *list, uint8_t n, struct tls_hello *h)
{
    size_t used = strlen(h->alpn);
    size_t need = n + (used ? 1u : 0u);
    if (used + need > TLS_ALPN_TEXT_MAX) {
        xm_rd_skip(list, n);
        return;
    }
    if (used)
        h->alpn[used++] = ',';
    tls_copy_text(list, n, h->alpn + used);
}

/* application_layer_protocol_negotiation body (RFC 7301 3.1). */
static enum tls_result tls_ext_alpn(struct xm_rd *e, struct tls_hello *h)
{
    uint16_t list_len;
    struct xm_rd list;
    if (!xm_rd_be16(e, &list_len) || !xm_rd_sub(e, list_len, &list))
        return TLS_INVALID;
    while (xm_rd_left(&list) > 0) {
        uint8_t n = 0;
        if (!xm_rd_u8(&list, &n) || n == 0 || !xm_rd_need(&list, n))
            return TLS_INVALID;
        tls_alpn_append(&list, n, h);
        h->alpn_count++;
    }
    h->has_alpn = true;
    return TLS_OK;
}

/* supported_versions (RFC 8446 4.2.1), ClientHello form. */
static enum tls_result tls_ext_versions(struct xm_rd *e, struct tls_hello *h)
{
    uint8_t n = 0;
    struct xm_rd list;
    if (!xm_rd_u8(e, &n) || !xm_rd_sub(e, n, &list) || (n & 1))
        return TLS_INVALID;
    uint16_t v;
    while (xm_rd_be16(&list, &v))
        if ((v & 0x0F0F) != 0x0A0A && v > h->max_version)  /* skip GREASE */
            h->max_version = v;
    return TLS_OK;
}

static enum tls_result tls_extension(uint16_t type, struct xm_rd *e, struct tls_hello *h)
{
    switch (type) {
    case TLS_EXT_SNI:                return tls_ext_sni(e, h);
    case TLS_EXT_ALPN:               return tls_ext_alpn(e, h);
    case TLS_EXT_SUPPORTED_VERSIONS: return tls_ext_versions(e, h);
    case TLS_EXT_ECH:                h->has_ech = true; return TLS_OK;
    case TLS_EXT_ESNI:               h->has_esni = true; return TLS_OK;
    default:                         return TLS_OK;
    }
}

/* The extensions block; an extension cut by the end of data is NEED_MORE. */
static enum tls_result tls_extensions(struct xm_rd *r, struct tls_hello *h)
{
    uint16_t total = 0;
    struct xm_rd all;
    if (xm_rd_left(r) == 0 && !r->short_)
        return TLS_OK;               /* no extensions (SSLv3-style hello) */
    if (!xm_rd_be16(r, &total))
        return TLS_NEED_MORE;
    bool whole = xm_rd_sub(r, total, &all);
    while (xm_rd_left(&all) > 0) {
        uint16_t type = 0, n = 0;
        struct xm_rd e;
        if (!xm_rd_be16(&all, &type) || !xm_rd_be16(&all, &n) || !xm_rd_sub(&all, n, &e))
            return whole ? TLS_INVALID : TLS_NEED_MORE;
        enum tls_result res = tls_extension(type, &e, h);
        if (res != TLS_OK)
            return res;
        h->n_ext++;
    }
    return whole ? TLS_OK : TLS_NEED_MORE;
}

/* ClientHello body up to the extensions (RFC 8446 4.1.2). */
static enum tls_result tls_hello_fixed(struct xm_rd *r, struct tls_hello *h)
{
    uint8_t sid = 0, comp = 0;
    uint16_t suites = 0;
    if (!xm_rd_be16(r, &h->legacy_version) || !xm_rd_skip(r, 32) || !xm_rd_u8(r, &sid))
        return TLS_NEED_MORE;
    if (sid > 32)
        return TLS_INVALID;
    if (!xm_rd_skip(r, sid) || !xm_rd_be16(r, &suites))
        return TLS_NEED_MORE;
    if (suites < 2 || (suites & 1))
        return TLS_INVALID;
    if (!xm_rd_skip(r, suites) || !xm_rd_u8(r, &comp))
        return TLS_NEED_MORE;
    if (comp < 1)
        return TLS_INVALID;
    if (!xm_rd_skip(r, comp))
        return TLS_NEED_MORE;
    h->max_version = h->legacy_version;
    return TLS_OK;
}

/* Parses a handshake message body (after the 4-octet header). */
static enum tls_result tls_hello_body(struct xm_rd *body, bool whole, struct tls_hello *h)
{
    enum tls_result res = tls_hello_fixed(body, h);
    if (res == TLS_OK)
        res = tls_extensions(body, h);
    if (res == TLS_OK && !whole)
        res = TLS_NEED_MORE;
    if (res == TLS_INVALID && !whole)
        res = TLS_NEED_MORE;         /* may just be the cut; wait for more */
    return res;
}

/* Gathers the handshake bytes of consecutive handshake records into buf. */
static size_t tls_gather(struct xm_rd *r, size_t first_len, uint8_t *buf, size_t cap,
                         size_t want)
{
    size_t got = 0, n = first_len;
    for (;;) {
        struct xm_rd frag;
        xm_rd_sub(r, n, &frag);
        size_t take = frag.len < cap - got ? frag.len : cap - got;
        xm_rd_copy(&frag, buf + got, take);
        got += take;
        uint16_t v;
        long next;
        if (got >= want || got == cap || (next = tls_record_header(r, &v)) < 0)
            return got;
        n = (size_t)next;
    }
}

static enum tls_result tls_handshake(struct xm_rd *hs, struct tls_hello *h)
{
    uint8_t type = 0, l0 = 0;
    uint16_t l1 = 0;
    if (!xm_rd_u8(hs, &type))
        return TLS_NEED_MORE;
    if (type != TLS_HS_CLIENT_HELLO)
        return TLS_NOT_TLS;
    if (!xm_rd_u8(hs, &l0) || !xm_rd_be16(hs, &l1))
        return TLS_NEED_MORE;
    h->hs_len = ((uint32_t)l0 << 16) | l1;
    if (h->hs_len < 38 || h->hs_len > TLS_HS_MAX)
        return TLS_INVALID;
    struct xm_rd body;
    bool whole = xm_rd_sub(hs, h->hs_len, &body);
    return tls_hello_body(&body, whole, h);
}

enum tls_result tls_parse_client_hello(const uint8_t *p, size_t len, struct tls_hello *h)
{
    struct xm_rd r, frag;
    memset(h, 0, sizeof *h);
    xm_rd_init(&r, p, len);
    long n = tls_record_header(&r, &h->record_version);
    if (n == -2)
        return TLS_NEED_MORE;
    if (n < 0)
        return TLS_NOT_TLS;
    if (n == 0 || n > TLS_RECORD_MAX)
        return TLS_INVALID;
    struct xm_rd peek = r;
    xm_rd_sub(&peek, (size_t)n, &frag);
    uint8_t l[4] = {0};
    if (!xm_rd_copy(&frag, l, 4) || ((size_t)l[1] << 16 | (size_t)l[2] << 8 | l[3]) + 4 <= (size_t)n) {
        xm_rd_sub(&r, (size_t)n, &frag);
        return tls_handshake(&frag, h);   /* fast path: one record holds it */
    }
    uint8_t buf[TLS_HS_MAX + 4];
    size_t want = ((size_t)l[1] << 16 | (size_t)l[2] << 8 | l[3]) + 4;
    size_t got = tls_gather(&r, (size_t)n, buf, sizeof buf, want);
    xm_rd_init(&frag, buf, got);
    return tls_handshake(&frag, h);
}

enum tls_result tls_parse_handshake(const uint8_t *p, size_t len, struct tls_hello *h)
{
    struct xm_rd r;
    memset(h, 0, sizeof *h);
    xm_rd_init(&r, p, len);
    return tls_handshake(&r, h);
}
