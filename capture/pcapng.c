/*
 * pcapng.c - pcapng block reader (see include/xm_pcapng.h).
 *
 * Block layout (pcapng specification, section 3.1): type (4), total
 * length (4), body, total length again (4); lengths are multiples of 4 and
 * at least 12; every number is in the byte order of the section, which the
 * SHB's byte-order magic (0x1A2B3C4D) gives.  The SHB's own type
 * 0x0A0D0D0A reads the same in both orders.
 *
 * Reading: each block is read whole (header, body, trailer) into one
 * buffer that grows to the largest block seen, capped at PNG_BLOCK_MAX;
 * nothing is allocated per packet.  The body is parsed with the
 * bounds-checked reader only.  The byte offset of a block is the capin's
 * count before its first byte was read, so it is right through a pipe.
 */
#include "xm_pcapng.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xm_rd.h"

/* Block types (pcapng specification, section 10.1). */
enum { PNG_BT_IDB = 1, PNG_BT_PB = 2, PNG_BT_SPB = 3, PNG_BT_EPB = 6 };
/* IDB options (section 4.2). */
enum { PNG_OPT_END = 0, PNG_OPT_TSRESOL = 9, PNG_OPT_TSOFFSET = 14 };

/* png_read_block(): a whole block is in r->blk (besides PNG_END/ERR) */
enum { PNG_BLOCK = 2 };

#define PNG_BOM 0x1A2B3C4Du            /* SHB byte-order magic */
#define PNG_BUF_INIT (64u << 10)       /* first block buffer, bytes */
#define PNG_USEC 1000000u

struct png_if {
    int linktype;           /* LINKTYPE_ value */
    uint32_t snaplen;       /* bytes, 0 = no limit */
    uint64_t units;         /* timestamp units per second, >= 1 */
    int bin_exp;            /* units == 2^bin_exp, or -1 for a power of 10 */
    uint64_t tsoff;         /* if_tsoffset, seconds (two's complement) */
};

struct png {
    struct capin *in;
    bool be;                /* section byte order is big-endian */
    bool done;
    uint8_t *blk;           /* the current block, header to trailer */
    size_t blk_cap;
    uint32_t blk_type, blk_len;
    uint64_t blk_off;       /* byte offset where the current block starts */
    uint64_t blocks;        /* blocks started, the current one included */
    uint64_t packets;       /* packets delivered */
    struct png_if *ifs;     /* interfaces of the current section */
    uint32_t n_if, if_cap;
    xm_time_t last_ts;      /* time of the previous packet (for SPBs) */
    char err[256];
};

/* ---- errors ------------------------------------------------------------ */

/* Records why the current block is bad, prefixed with where it starts. */
__attribute__((format(printf, 2, 3)))
static int png_fail(struct png *r, const char *fmt, ...)
{
    int n = snprintf(r->err, sizeof r->err, "block %llu (byte offset %llu, after %llu packets): ",
                     (unsigned long long)r->blocks, (unsigned long long)r->blk_off,
                     (unsigned long long)r->packets);
    if (n > 0 && (size_t)n < sizeof r->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
        va_end(ap);
    }
    r->done = true;
    return PNG_ERR;
}

/* A read of `want` bytes got `got`: an I/O error or a truncated block. */
static int png_short(struct png *r, size_t got, size_t want)
{
    if (r->in->err)
        return png_fail(r, "read error: %s", strerror(r->in->err));
    return png_fail(r, "truncated block: the input ends %zu bytes into it, %zu expected",
                    got, want);
}

/* ---- numbers in the section's byte order --------------------------------- */

static bool png_u16(const struct png *r, struct xm_rd *d, uint16_t *v)
{
    return r->be ? xm_rd_be16(d, v) : xm_rd_le16(d, v);
}

static bool png_u32(const struct png *r, struct xm_rd *d, uint32_t *v)
{
    return r->be ? xm_rd_be32(d, v) : xm_rd_le32(d, v);
}

/* A 64-bit option value: 8 bytes in the section's byte order. */
static bool png_u64(const struct png *r, struct xm_rd *d, uint64_t *v)
{
    uint32_t a = 0, b = 0;
    if (!png_u32(r, d, &a) || !png_u32(r, d, &b))
        return false;
    *v = r->be ? ((uint64_t)a << 32) | b : ((uint64_t)b << 32) | a;
    return true;
}

/* ---- reading one block ---------------------------------------------------- */

static int png_grow(struct png *r, size_t need)
{
    if (need <= r->blk_cap)
        return 0;
    size_t cap = r->blk_cap * 2 > need ? r->blk_cap * 2 : need;
    if (cap > PNG_BLOCK_MAX)
        cap = PNG_BLOCK_MAX;
    uint8_t *nb = realloc(r->blk, cap);
    if (!nb)
        return png_fail(r, "out of memory for a block of %zu bytes", need);
    r->blk = nb;
    r->blk_cap = cap;
    return 0;
}

/* Reads the SHB's byte-order magic (bytes 8..11) and sets r->be. */
static int png_order(struct png *r)
{
    size_t got = capin_read(r->in, r->blk + 8, 4);
    if (got < 4)
        return png_short(r, 8 + got, 12);
    struct xm_rd d;
    uint32_t bom = 0;
    xm_rd_init(&d, r->blk + 8, 4);
    xm_rd_le32(&d, &bom);
    if (bom != PNG_BOM && bom != __builtin_bswap32(PNG_BOM))
        return png_fail(r, "section header with a bad byte-order magic 0x%08x", bom);
    r->be = bom != PNG_BOM;
    return 0;
}

/* Checks the total length against the limits and the trailer copy. */
static int png_check_len(struct png *r, uint32_t len)
{
    if (len < 12 || len % 4 != 0)
        return png_fail(r, "bad block length %u (type 0x%08x)", len, r->blk_type);
    if (len > PNG_BLOCK_MAX)
        return png_fail(r, "block length %u over the limit of %u bytes (type 0x%08x)", len,
                        PNG_BLOCK_MAX, r->blk_type);
    if (r->blk_type == PNG_MAGIC && len < 28)
        return png_fail(r, "section header block of %u bytes, 28 is the minimum", len);
    return 0;
}

/* Reads the rest of the block after its first `have` bytes and checks
 * the trailing length. */
static int png_body(struct png *r, size_t have)
{
    if (png_grow(r, r->blk_len) != 0)
        return PNG_ERR;
    size_t got = capin_read(r->in, r->blk + have, r->blk_len - have);
    if (got < r->blk_len - have)
        return png_short(r, have + got, r->blk_len);
    struct xm_rd d;
    uint32_t tail = 0;
    xm_rd_init(&d, r->blk + r->blk_len - 4, 4);
    png_u32(r, &d, &tail);
    if (tail != r->blk_len)
        return png_fail(r, "block length %u in the header but %u in the trailer",
                        r->blk_len, tail);
    return 0;
}

/* Reads the next whole block into r->blk: PNG_BLOCK, PNG_END at a clean
 * end of input, or PNG_ERR. */
static int png_read_block(struct png *r)
{
    r->blk_off = r->in->off;
    size_t got = capin_read(r->in, r->blk, 8);
    if (got == 0 && !r->in->err)
        return PNG_END;
    r->blocks++;
    if (got < 8)
        return png_short(r, got, 8);
    struct xm_rd d;
    uint32_t type = 0, len = 0;
    xm_rd_init(&d, r->blk, 8);
    xm_rd_le32(&d, &type);                 /* the SHB type is a palindrome */
    r->blk_type = type;
    size_t have = 8;
    if (type == PNG_MAGIC) {
        if (png_order(r) != 0)
            return PNG_ERR;
        have = 12;
    }
    xm_rd_init(&d, r->blk, 8);
    png_u32(r, &d, &type);
    png_u32(r, &d, &len);
    r->blk_type = type;
    r->blk_len = len;
    if (png_check_len(r, len) != 0 || png_body(r, have) != 0)
        return PNG_ERR;
    return PNG_BLOCK;
}

/* ---- block bodies ---------------------------------------------------------- */

static int png_shb(struct png *r, struct xm_rd *d)
{
    uint16_t major = 0, minor = 0;
    xm_rd_skip(d, 4);                      /* byte-order magic, checked */
    png_u16(r, d, &major);
    png_u16(r, d, &minor);
    if (major != 1 || (minor != 0 && minor != 2))
        return png_fail(r, "unsupported pcapng version %u.%u", major, minor);
    r->n_if = 0;                           /* a new section: new interfaces */
    return 0;
}

/* if_tsresol: 10^-v seconds, or 2^-(v & 0x7f) when the top bit is set. */
static int png_tsresol(struct png *r, struct xm_rd *v, struct png_if *f)
{
    uint8_t b = 0;
    if (!xm_rd_u8(v, &b))
        return png_fail(r, "empty if_tsresol option (interface %u)", r->n_if);
    unsigned e = b & 0x7fu;
    if ((b & 0x80u) ? e > 63 : e > 19)
        return png_fail(r, "if_tsresol 0x%02x out of range (interface %u)", b, r->n_if);
    f->bin_exp = (b & 0x80u) ? (int)e : -1;
    f->units = 1;
    for (unsigned i = 0; i < e; i++)
        f->units *= (b & 0x80u) ? 2u : 10u;
    return 0;
}

static int png_idb_opt(struct png *r, uint16_t code, struct xm_rd *v, struct png_if *f)
{
    if (code == PNG_OPT_TSRESOL)
        return png_tsresol(r, v, f);
    if (code == PNG_OPT_TSOFFSET && !png_u64(r, v, &f->tsoff))
        return png_fail(r, "short if_tsoffset option (interface %u)", r->n_if);
    return 0;
}

/* Options: code (2), length (2), value padded to 4 bytes; ends at
 * opt_endofopt or at the end of the body. */
static int png_idb_opts(struct png *r, struct xm_rd *d, struct png_if *f)
{
    while (xm_rd_left(d) >= 4) {
        uint16_t code = 0, olen = 0;
        png_u16(r, d, &code);
        png_u16(r, d, &olen);
        if (code == PNG_OPT_END)
            break;
        struct xm_rd v;
        if (!xm_rd_sub(d, olen, &v))
            return png_fail(r, "option %u of %u bytes runs past the end of the block "
                            "(interface %u)", code, olen, r->n_if);
        size_t pad = (4 - olen % 4) % 4;
        xm_rd_skip(d, pad <= xm_rd_left(d) ? pad : xm_rd_left(d));
        if (png_idb_opt(r, code, &v, f) != 0)
            return PNG_ERR;
    }
    return 0;
}

static int png_idb(struct png *r, struct xm_rd *d)
{
    uint16_t lt = 0;
    uint32_t snap = 0;
    if (!png_u16(r, d, &lt) || !xm_rd_skip(d, 2) || !png_u32(r, d, &snap))
        return png_fail(r, "interface description block too short");
    if (r->n_if >= PNG_IF_MAX)
        return png_fail(r, "more than %u interfaces in one section", PNG_IF_MAX);
    if (r->n_if == r->if_cap) {
        uint32_t cap = r->if_cap ? r->if_cap * 2 : 8;
        struct png_if *n = realloc(r->ifs, cap * sizeof *n);
        if (!n)
            return png_fail(r, "out of memory for %u interfaces", cap);
        r->ifs = n;
        r->if_cap = cap;
    }
    struct png_if *f = &r->ifs[r->n_if];
    *f = (struct png_if){.linktype = lt, .snaplen = snap, .units = PNG_USEC, .bin_exp = -1};
    if (png_idb_opts(r, d, f) != 0)
        return PNG_ERR;
    r->n_if++;
    return 0;
}

/* Timestamp units since the epoch -> usec, truncating finer units. */
static xm_time_t png_ts(const struct png_if *f, uint64_t t)
{
    uint64_t sec = t / f->units, frac = t % f->units, usec;
    if (f->bin_exp > 44)                   /* keep frac * 10^6 below 2^64 */
        usec = ((frac >> (f->bin_exp - 44)) * PNG_USEC) >> 44;
    else if (f->bin_exp >= 0)
        usec = (frac * PNG_USEC) >> f->bin_exp;
    else if (f->units >= PNG_USEC)
        usec = frac / (f->units / PNG_USEC);
    else
        usec = frac * (PNG_USEC / f->units);
    /* unsigned arithmetic: a hostile offset wraps instead of overflowing */
    return (xm_time_t)((sec + f->tsoff) * PNG_USEC + usec);
}

/* Fills *p with `cap` bytes at the reader's position (EPB and PB). */
static int png_emit(struct png *r, struct xm_rd *d, struct png_pkt *p, uint32_t ifid,
                    uint64_t t, uint32_t cap, uint32_t orig)
{
    if (ifid >= r->n_if)
        return png_fail(r, "packet on interface %u, but the section defines %u", ifid,
                        r->n_if);
    if (cap > xm_rd_left(d))
        return png_fail(r, "captured length %u runs past the end of the block", cap);
    p->data = xm_rd_ptr(d);
    xm_rd_skip(d, cap);
    p->caplen = cap;
    p->wirelen = orig;
    p->ifid = ifid;
    p->linktype = r->ifs[ifid].linktype;
    p->ts = r->last_ts = png_ts(&r->ifs[ifid], t);
    r->packets++;
    return PNG_PKT;
}

static int png_epb(struct png *r, struct xm_rd *d, struct png_pkt *p)
{
    uint32_t ifid = 0, hi = 0, lo = 0, cap = 0, orig = 0;
    if (!png_u32(r, d, &ifid) || !png_u32(r, d, &hi) || !png_u32(r, d, &lo) ||
        !png_u32(r, d, &cap) || !png_u32(r, d, &orig))
        return png_fail(r, "enhanced packet block too short");
    return png_emit(r, d, p, ifid, ((uint64_t)hi << 32) | lo, cap, orig);
}

/* Obsolete Packet Block: interface id and drop count are 16 bits each. */
static int png_pb(struct png *r, struct xm_rd *d, struct png_pkt *p)
{
    uint16_t ifid = 0, drops = 0;
    uint32_t hi = 0, lo = 0, cap = 0, orig = 0;
    if (!png_u16(r, d, &ifid) || !png_u16(r, d, &drops) || !png_u32(r, d, &hi) ||
        !png_u32(r, d, &lo) || !png_u32(r, d, &cap) || !png_u32(r, d, &orig))
        return png_fail(r, "packet block too short");
    return png_emit(r, d, p, ifid, ((uint64_t)hi << 32) | lo, cap, orig);
}

/* Simple Packet Block: interface 0, captured length implied by the block
 * (and the interface's snaplen), no timestamp. */
static int png_spb(struct png *r, struct xm_rd *d, struct png_pkt *p)
{
    uint32_t orig = 0;
    if (!png_u32(r, d, &orig))
        return png_fail(r, "simple packet block too short");
    if (r->n_if == 0)
        return png_fail(r, "simple packet block before any interface");
    size_t cap = xm_rd_left(d);
    if (cap > orig)
        cap = orig;
    if (r->ifs[0].snaplen && cap > r->ifs[0].snaplen)
        cap = r->ifs[0].snaplen;
    p->data = xm_rd_ptr(d);
    xm_rd_skip(d, cap);
    p->caplen = (uint32_t)cap;
    p->wirelen = orig;
    p->ifid = 0;
    p->linktype = r->ifs[0].linktype;
    p->ts = r->last_ts;
    r->packets++;
    return PNG_PKT;
}

/* Parses the block in r->blk: PNG_PKT, 0 (nothing to deliver), PNG_ERR. */
static int png_block(struct png *r, struct png_pkt *p)
{
    struct xm_rd d;
    xm_rd_init(&d, r->blk + 8, r->blk_len - 12);
    switch (r->blk_type) {
    case PNG_MAGIC: return png_shb(r, &d);
    case PNG_BT_IDB: return png_idb(r, &d);
    case PNG_BT_EPB: return png_epb(r, &d, p);
    case PNG_BT_SPB: return png_spb(r, &d, p);
    case PNG_BT_PB: return png_pb(r, &d, p);
    default: return 0;                     /* NRB, ISB, DSB, custom, unknown */
    }
}

/* ---- public ---------------------------------------------------------------- */

bool png_sniff(struct capin *in)
{
    const uint8_t *b;
    return capin_peek(in, 4, &b) == 4 && b[0] == 0x0A && b[1] == 0x0D && b[2] == 0x0D &&
           b[3] == 0x0A;
}

int png_next(struct png *r, struct png_pkt *p)
{
    while (!r->done) {
        int rc = png_read_block(r);
        if (rc == PNG_END)
            r->done = true;
        if (rc != PNG_BLOCK)
            return rc;
        rc = png_block(r, p);
        if (rc != 0)
            return rc;
    }
    return PNG_END;
}

int png_open(struct png **out, struct capin *in, char *err, size_t errlen)
{
    struct png *r = calloc(1, sizeof *r);
    if (!r || !(r->blk = malloc(PNG_BUF_INIT))) {
        snprintf(err, errlen, "out of memory");
        free(r);
        return -1;
    }
    r->blk_cap = PNG_BUF_INIT;
    r->in = in;
    struct png_pkt unused;
    int rc = png_read_block(r);
    if (rc == PNG_BLOCK && r->blk_type != PNG_MAGIC)
        rc = png_fail(r, "not a pcapng file (no section header block first)");
    if (rc == PNG_BLOCK)
        rc = png_block(r, &unused);
    if (rc != 0) {
        snprintf(err, errlen, "%s", rc == PNG_END ? "empty file" : r->err);
        png_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

const char *png_error(const struct png *r) { return r->err; }

void png_close(struct png *r)
{
    if (!r)
        return;
    free(r->blk);
    free(r->ifs);
    free(r);
}
