/*
 * sha1.c - SHA-1 (FIPS 180-4) and base64 (RFC 4648) for Community ID.
 * Not used for security; Community ID v1 fixes SHA-1 as its digest.
 */
#include "xm_cid.h"

static uint32_t rol32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* One round of SHA-1 with round function value fv and constant k. */
#define SHA1_ROUND(fv, k, wt)                                             \
    do {                                                                  \
        uint32_t tmp_ = rol32(a, 5) + (fv) + e + (k) + (wt);              \
        e = d;                                                            \
        d = c;                                                            \
        c = rol32(b, 30);                                                 \
        b = a;                                                            \
        a = tmp_;                                                         \
    } while (0)

/* Processes one 64-byte block (big-endian words).  The 80 rounds in
 * four loops of 20 with their fixed function and constant (FIPS 180-4
 * section 6.1.2); the schedule in a 16-word ring. */
static void sha1_block(uint32_t h[5], const uint8_t *blk)
{
    uint32_t w[16];
    for (unsigned t = 0; t < 16; t++)
        w[t] = load_be32(blk + 4 * t);
#define SHA1_W(t) ((t) < 16 ? w[t] : (w[(t) & 15] = rol32(w[((t) - 3) & 15] ^ \
        w[((t) - 8) & 15] ^ w[((t) - 14) & 15] ^ w[(t) & 15], 1)))
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (unsigned t = 0; t < 20; t++)
        SHA1_ROUND((b & c) | (~b & d), 0x5a827999u, SHA1_W(t));
    for (unsigned t = 20; t < 40; t++)
        SHA1_ROUND(b ^ c ^ d, 0x6ed9eba1u, SHA1_W(t));
    for (unsigned t = 40; t < 60; t++)
        SHA1_ROUND((b & c) | (b & d) | (c & d), 0x8f1bbcdcu, SHA1_W(t));
    for (unsigned t = 60; t < 80; t++)
        SHA1_ROUND(b ^ c ^ d, 0xca62c1d6u, SHA1_W(t));
#undef SHA1_W
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

static void sha1_out(const uint32_t h[5], uint8_t out[XM_SHA1_LEN])
{
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

static const uint32_t sha1_iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
                                    0xc3d2e1f0};

int xm_sha1_short(const void *data, size_t len, uint8_t out[XM_SHA1_LEN])
{
    uint8_t blk[64] = {0};
    uint32_t h[5];
    if (len > XM_SHA1_SHORT_MAX)
        return -1;
    memcpy(blk, data, len);
    blk[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        blk[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    memcpy(h, sha1_iv, sizeof h);
    sha1_block(h, blk);
    sha1_out(h, out);
    return 0;
}

void xm_sha1_init(struct xm_sha1 *c)
{
    memcpy(c->h, sha1_iv, sizeof sha1_iv);
    c->total = 0;
    c->used = 0;
}

void xm_sha1_update(struct xm_sha1 *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->total += len;
    while (len) {
        size_t take = 64 - c->used;
        if (take > len)
            take = len;
        memcpy(c->buf + c->used, p, take);
        c->used += (uint32_t)take;
        p += take;
        len -= take;
        if (c->used == 64) {
            sha1_block(c->h, c->buf);
            c->used = 0;
        }
    }
}

void xm_sha1_final(struct xm_sha1 *c, uint8_t out[XM_SHA1_LEN])
{
    uint64_t bits = c->total * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (c->used < 56 ? 56 : 120) - c->used;
    for (int i = 0; i < 8; i++)
        pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    xm_sha1_update(c, pad, padlen + 8);
    sha1_out(c->h, out);
}

int xm_base64(const uint8_t *in, size_t len, char *out, size_t outlen)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t need = (len + 2) / 3 * 4;
    if (outlen < need + 1)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return (int)o;
}
