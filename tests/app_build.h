/*
 * app_build.h - byte builders shared by the app-layer tests (DNS, TLS,
 * HTTP messages and Ethernet/IPv4 frames built by hand).  Test-only.
 */
#ifndef APP_BUILD_H
#define APP_BUILD_H

#include <stdint.h>
#include <string.h>

struct bb {
    uint8_t b[20000];
    size_t n;
};

static inline void bb_u8(struct bb *w, unsigned v) { w->b[w->n++] = (uint8_t)v; }
static inline void bb_u16(struct bb *w, unsigned v) { bb_u8(w, v >> 8); bb_u8(w, v & 0xFF); }
static inline void bb_u24(struct bb *w, unsigned v) { bb_u8(w, v >> 16); bb_u16(w, v & 0xFFFF); }
static inline void bb_u32(struct bb *w, uint32_t v) { bb_u16(w, v >> 16); bb_u16(w, v & 0xFFFF); }
static inline void bb_mem(struct bb *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static inline void bb_str(struct bb *w, const char *s) { bb_mem(w, s, strlen(s)); }
static inline void bb_fill(struct bb *w, unsigned v, size_t n)
{
    memset(w->b + w->n, (int)v, n);
    w->n += n;
}
/* Patches a big-endian 16-bit value at offset at. */
static inline void bb_set16(struct bb *w, size_t at, unsigned v)
{
    w->b[at] = (uint8_t)(v >> 8);
    w->b[at + 1] = (uint8_t)(v & 0xFF);
}
static inline void bb_set24(struct bb *w, size_t at, unsigned v)
{
    w->b[at] = (uint8_t)(v >> 16);
    bb_set16(w, at + 1, v & 0xFFFF);
}

/* Uncompressed DNS name from dotted text ("" = root). */
static inline void bb_dname(struct bb *w, const char *dotted)
{
    const char *s = dotted;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        bb_u8(w, (unsigned)n);
        bb_mem(w, s, n);
        s += n + (dot ? 1 : 0);
    }
    bb_u8(w, 0);
}

static inline void bb_dns_header(struct bb *w, unsigned id, unsigned flags, unsigned qd,
                                 unsigned an, unsigned ns, unsigned ar)
{
    bb_u16(w, id); bb_u16(w, flags); bb_u16(w, qd);
    bb_u16(w, an); bb_u16(w, ns); bb_u16(w, ar);
}

/*
 * A ClientHello record: SNI `sni` (NULL: none), ALPN list `alpn` as
 * length-prefixed wire bytes (NULL: none), `pad` octets of a padding
 * extension (21) to make it long, `ech` adds extension 0xfe0d.
 */
static inline void bb_client_hello(struct bb *w, const char *sni, const char *alpn_wire,
                                   size_t alpn_len, size_t pad, int ech)
{
    size_t rec = w->n;
    bb_u8(w, 22); bb_u16(w, 0x0301); bb_u16(w, 0);
    size_t hs = w->n;
    bb_u8(w, 1); bb_u24(w, 0);
    bb_u16(w, 0x0303);
    bb_fill(w, 0xAB, 32);                 /* random */
    bb_u8(w, 32); bb_fill(w, 0xCD, 32);   /* session id */
    bb_u16(w, 4); bb_u16(w, 0x1301); bb_u16(w, 0x1302);
    bb_u8(w, 1); bb_u8(w, 0);
    size_t ext = w->n;
    bb_u16(w, 0);
    bb_u16(w, 0x0a0a); bb_u16(w, 0);      /* GREASE, empty */
    if (sni) {
        size_t n = strlen(sni);
        bb_u16(w, 0); bb_u16(w, (unsigned)n + 5);
        bb_u16(w, (unsigned)n + 3); bb_u8(w, 0); bb_u16(w, (unsigned)n); bb_str(w, sni);
    }
    if (alpn_wire) {
        bb_u16(w, 16); bb_u16(w, (unsigned)alpn_len + 2);
        bb_u16(w, (unsigned)alpn_len); bb_mem(w, alpn_wire, alpn_len);
    }
    bb_u16(w, 43); bb_u16(w, 5); bb_u8(w, 4); bb_u16(w, 0x0304); bb_u16(w, 0x0303);
    if (ech) {
        bb_u16(w, 0xfe0d); bb_u16(w, 4); bb_u32(w, 0x00010203);
    }
    if (pad) {
        bb_u16(w, 21); bb_u16(w, (unsigned)pad); bb_fill(w, 0, pad);
    }
    bb_set16(w, ext, (unsigned)(w->n - ext - 2));
    bb_set24(w, hs + 1, (unsigned)(w->n - hs - 4));
    bb_set16(w, rec + 3, (unsigned)(w->n - rec - 5));
}

#endif
