/*
 * xm_rd.h - the one bounds-checked reader for packet bytes.
 *
 * Every decoder reads packet bytes only through struct xm_rd: never cast a
 * struct over packet bytes, never index the buffer directly.  A reader
 * never reads past p + len (len is the CAPTURED length, not the wire
 * length).  All multi-byte getters read network (big-endian) order unless
 * the name says _le.
 *
 * Failure model: a getter that would run past the end returns false, sets
 * the sticky flag `short_` and leaves the output untouched (zeroed by the
 * callers by convention).  Decoders map that to "truncated"; a field whose
 * value is impossible is "invalid" - that distinction is the decoder's.
 *
 * Ownership: the reader borrows the buffer; it never frees anything.
 */
#ifndef XM_RD_H
#define XM_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xm_rd {
    const uint8_t *p;   /* start of the window */
    size_t len;         /* bytes available in the window */
    size_t off;         /* next byte to read, 0 <= off <= len */
    bool short_;        /* set once any read ran past len */
};

static inline void xm_rd_init(struct xm_rd *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = p ? len : 0;
    r->off = 0;
    r->short_ = false;
}

static inline size_t xm_rd_left(const struct xm_rd *r) { return r->len - r->off; }
static inline const uint8_t *xm_rd_ptr(const struct xm_rd *r) { return r->p + r->off; }

static inline bool xm_rd_need(struct xm_rd *r, size_t n)
{
    if (n > r->len - r->off) {
        r->short_ = true;
        return false;
    }
    return true;
}

static inline bool xm_rd_skip(struct xm_rd *r, size_t n)
{
    if (!xm_rd_need(r, n))
        return false;
    r->off += n;
    return true;
}

static inline bool xm_rd_u8(struct xm_rd *r, uint8_t *v)
{
    if (!xm_rd_need(r, 1))
        return false;
    *v = r->p[r->off++];
    return true;
}

static inline bool xm_rd_be16(struct xm_rd *r, uint16_t *v)
{
    if (!xm_rd_need(r, 2))
        return false;
    *v = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
    r->off += 2;
    return true;
}

static inline bool xm_rd_be32(struct xm_rd *r, uint32_t *v)
{
    if (!xm_rd_need(r, 4))
        return false;
    const uint8_t *q = r->p + r->off;
    *v = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
    r->off += 4;
    return true;
}

static inline bool xm_rd_le16(struct xm_rd *r, uint16_t *v)
{
    if (!xm_rd_need(r, 2))
        return false;
    *v = (uint16_t)(r->p[r->off] | (r->p[r->off + 1] << 8));
    r->off += 2;
    return true;
}

static inline bool xm_rd_le32(struct xm_rd *r, uint32_t *v)
{
    if (!xm_rd_need(r, 4))
        return false;
    const uint8_t *q = r->p + r->off;
    *v = ((uint32_t)q[3] << 24) | ((uint32_t)q[2] << 16) | ((uint32_t)q[1] << 8) | q[0];
    r->off += 4;
    return true;
}

/* Copies n bytes into dst (which must hold n). */
static inline bool xm_rd_copy(struct xm_rd *r, void *dst, size_t n)
{
    if (!xm_rd_need(r, n))
        return false;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = r->p[r->off + i];
    r->off += n;
    return true;
}

/* Peeks at the byte `ahead` positions from off without consuming. */
static inline bool xm_rd_peek8(const struct xm_rd *r, size_t ahead, uint8_t *v)
{
    if (ahead >= r->len - r->off)
        return false;
    *v = r->p[r->off + ahead];
    return true;
}

/*
 * Carves a sub-reader of n bytes at the current offset and advances past
 * it.  If fewer than n bytes remain, the sub-reader gets what is left and
 * the call returns false (so a caller can still parse a truncated body).
 */
static inline bool xm_rd_sub(struct xm_rd *r, size_t n, struct xm_rd *sub)
{
    size_t avail = r->len - r->off;
    bool whole = n <= avail;
    size_t take = whole ? n : avail;
    xm_rd_init(sub, r->p + r->off, take);
    r->off += take;
    if (!whole)
        r->short_ = true;
    return whole;
}

#endif
