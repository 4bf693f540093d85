/*
 * test_pcapng.c - the pcapng block reader (capture/pcapng.c) on
 * hand-built files, and the counted input (capture/capin.c) it reads.
 *
 * Files are assembled block by block in a byte buffer, in either byte
 * order (struct bld), then read through capin_open_mem.
 */
#include "xm_pcapng.h"

#include "xm_test.h"

/* ---- a tiny pcapng writer ----------------------------------------------- */

struct bld {
    uint8_t b[8192];
    size_t n;
    bool be;
    size_t blk;             /* start of the open block */
};

static void put8(struct bld *w, uint8_t v) { w->b[w->n++] = v; }

static void put16(struct bld *w, uint16_t v)
{
    put8(w, (uint8_t)(w->be ? v >> 8 : v));
    put8(w, (uint8_t)(w->be ? v : v >> 8));
}

static void put32(struct bld *w, uint32_t v)
{
    put16(w, (uint16_t)(w->be ? v >> 16 : v));
    put16(w, (uint16_t)(w->be ? v : v >> 16));
}

static void put64(struct bld *w, uint64_t v)
{
    put32(w, (uint32_t)(w->be ? v >> 32 : v));
    put32(w, (uint32_t)(w->be ? v : v >> 32));
}

static void pad4(struct bld *w)
{
    while (w->n % 4)
        put8(w, 0);
}

static void blk_begin(struct bld *w, uint32_t type)
{
    w->blk = w->n;
    put32(w, type);
    put32(w, 0);            /* length, patched by blk_end */
}

/* Patches the total length in the header and appends the trailer. */
static uint32_t blk_end(struct bld *w)
{
    pad4(w);
    uint32_t len = (uint32_t)(w->n - w->blk + 4);
    size_t save = w->n;
    w->n = w->blk + 4;
    put32(w, len);
    w->n = save;
    put32(w, len);
    return len;
}

static void shb(struct bld *w, bool be, uint16_t major, uint16_t minor)
{
    w->be = be;
    blk_begin(w, PNG_MAGIC);
    put32(w, 0x1A2B3C4Du);
    put16(w, major);
    put16(w, minor);
    put64(w, UINT64_MAX);   /* section length unknown */
    blk_end(w);
}

/* IDB; tsresol < 0 leaves the option out; tsoff != 0 adds if_tsoffset. */
static void idb(struct bld *w, uint16_t lt, uint32_t snap, int tsresol, int64_t tsoff)
{
    blk_begin(w, 1);
    put16(w, lt);
    put16(w, 0);
    put32(w, snap);
    put16(w, 2);            /* if_name "x", an option we skip */
    put16(w, 1);
    put8(w, 'x');
    pad4(w);
    if (tsresol >= 0) {
        put16(w, 9);
        put16(w, 1);
        put8(w, (uint8_t)tsresol);
        pad4(w);
    }
    if (tsoff) {
        put16(w, 14);
        put16(w, 8);
        put64(w, (uint64_t)tsoff);
    }
    put16(w, 0);
    put16(w, 0);
    blk_end(w);
}

static void epb(struct bld *w, uint32_t ifid, uint64_t ts, const void *d, uint32_t cap,
                uint32_t orig)
{
    blk_begin(w, 6);
    put32(w, ifid);
    put32(w, (uint32_t)(ts >> 32));
    put32(w, (uint32_t)ts);
    put32(w, cap);
    put32(w, orig);
    for (uint32_t i = 0; i < cap; i++)
        put8(w, ((const uint8_t *)d)[i]);
    blk_end(w);
}

static void spb(struct bld *w, const void *d, uint32_t cap, uint32_t orig)
{
    blk_begin(w, 3);
    put32(w, orig);
    for (uint32_t i = 0; i < cap; i++)
        put8(w, ((const uint8_t *)d)[i]);
    blk_end(w);
}

static void pb(struct bld *w, uint16_t ifid, uint64_t ts, const void *d, uint32_t cap)
{
    blk_begin(w, 2);
    put16(w, ifid);
    put16(w, 7);            /* drops */
    put32(w, (uint32_t)(ts >> 32));
    put32(w, (uint32_t)ts);
    put32(w, cap);
    put32(w, cap);
    for (uint32_t i = 0; i < cap; i++)
        put8(w, ((const uint8_t *)d)[i]);
    blk_end(w);
}

/* A block of any type with `n` filler bytes (NRB, ISB, custom, unknown). */
static void other(struct bld *w, uint32_t type, size_t n)
{
    blk_begin(w, type);
    for (size_t i = 0; i < n; i++)
        put8(w, (uint8_t)i);
    blk_end(w);
}

/* ---- reading -------------------------------------------------------------- */

struct rdr {
    struct capin in;
    struct png *r;
    char err[256];
};

static int rd_open(struct rdr *x, const struct bld *w, size_t n)
{
    capin_open_mem(&x->in, w->b, n);
    x->r = NULL;
    return png_open(&x->r, &x->in, x->err, sizeof x->err);
}

static const uint8_t P1[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};

/* One interface, one EPB: every field of the packet, in one byte order. */
static void test_epb_order(bool be)
{
    struct bld w = {0};
    shb(&w, be, 1, 0);
    idb(&w, 1, 0, 9, 0);                    /* nanoseconds */
    epb(&w, 0, 1700000000123456789ull, P1, sizeof P1, 60);
    struct rdr x;
    CHECK(rd_open(&x, &w, w.n) == 0);
    struct png_pkt p;
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.ts, 1700000000123456ull);
    CHECK_EQ_U64(p.caplen, sizeof P1);
    CHECK_EQ_U64(p.wirelen, 60);
    CHECK_EQ_U64(p.linktype, 1);
    CHECK(memcmp(p.data, P1, sizeof P1) == 0);
    CHECK(png_next(x.r, &p) == PNG_END);
    CHECK(png_next(x.r, &p) == PNG_END);
    CHECK_EQ_U64(x.in.off, w.n);
    png_close(x.r);
}

/* if_tsresol 2^-n and if_tsoffset (positive and negative); default 10^-6. */
static void test_tsresol(void)
{
    struct bld w = {0};
    shb(&w, false, 1, 0);
    idb(&w, 1, 0, 0x80 | 20, 100);          /* 2^-20 s, +100 s */
    idb(&w, 101, 0, -1, -5);                /* usec, -5 s */
    idb(&w, 1, 0, 3, 0);                    /* milliseconds */
    idb(&w, 1, 0, 0x80 | 60, 0);            /* 2^-60 s: frac * 10^6 would overflow */
    epb(&w, 0, (10ull << 20) | (1ull << 19), P1, 4, 4);  /* 10.5 s */
    epb(&w, 1, 20000007ull, P1, 4, 4);
    epb(&w, 2, 1234ull, P1, 4, 4);
    epb(&w, 3, (3ull << 60) | (1ull << 58), P1, 4, 4);   /* 3.25 s */
    struct rdr x;
    CHECK(rd_open(&x, &w, w.n) == 0);
    struct png_pkt p;
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.ts, 110500000ull);
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.ts, 15000007ull);
    CHECK_EQ_U64(p.linktype, 101);
    CHECK_EQ_U64(p.ifid, 1);
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.ts, 1234000ull);
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.ts, 3250000ull);
    CHECK(png_next(x.r, &p) == PNG_END);
    png_close(x.r);
}

/* SPB takes interface 0, the previous packet's time, and is cut at the
 * block and at snaplen; obsolete PB; unknown blocks are skipped. */
static void test_spb_pb_skip(void)
{
    struct bld w = {0};
    shb(&w, true, 1, 0);
    other(&w, 4, 12);                       /* NRB */
    idb(&w, 113, 8, -1, 0);                 /* SLL, snaplen 8 */
    idb(&w, 1, 0, -1, 0);
    spb(&w, P1, 4, 4);                      /* before any timed packet */
    other(&w, 0x0BAD, 20);                  /* custom */
    pb(&w, 1, 5000000ull, P1, 6);
    other(&w, 5, 24);                       /* ISB */
    other(&w, 0x12345678, 3);               /* unknown */
    spb(&w, P1, 12, 13);                    /* cut at snaplen 8 */
    struct rdr x;
    CHECK(rd_open(&x, &w, w.n) == 0);
    struct png_pkt p;
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.ts, 0);
    CHECK_EQ_U64(p.caplen, 4);
    CHECK_EQ_U64(p.linktype, 113);
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.ts, 5000000ull);
    CHECK_EQ_U64(p.caplen, 6);
    CHECK_EQ_U64(p.linktype, 1);
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.ts, 5000000ull);
    CHECK_EQ_U64(p.caplen, 8);
    CHECK_EQ_U64(p.wirelen, 13);
    CHECK(memcmp(p.data, P1, 8) == 0);
    CHECK(png_next(x.r, &p) == PNG_END);
    png_close(x.r);
}

/* A second section in the other byte order starts a new interface table. */
static void test_sections(void)
{
    struct bld w = {0};
    shb(&w, false, 1, 0);
    idb(&w, 1, 0, -1, 0);
    idb(&w, 0, 0, -1, 0);
    epb(&w, 1, 1, P1, 4, 4);
    shb(&w, true, 1, 2);
    idb(&w, 228, 0, -1, 0);
    epb(&w, 0, 2, P1, 4, 4);
    size_t bad_at = w.n;
    epb(&w, 1, 3, P1, 4, 4);                /* interface 1 gone with section 1 */
    struct rdr x;
    CHECK(rd_open(&x, &w, w.n) == 0);
    struct png_pkt p;
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.linktype, 0);
    CHECK(png_next(x.r, &p) == PNG_PKT);
    CHECK_EQ_U64(p.linktype, 228);
    CHECK(png_next(x.r, &p) == PNG_ERR);
    char want[128];
    snprintf(want, sizeof want, "block 8 (byte offset %zu, after 2 packets): packet on "
             "interface 1, but the section defines 1", bad_at);
    CHECK_STR(png_error(x.r), want);
    CHECK(png_next(x.r, &p) == PNG_END);
    png_close(x.r);
}

/* Reads to the first error; returns the packets seen before it. */
static int read_to_err(const struct bld *w, size_t n, char *err, size_t errlen)
{
    struct rdr x;
    if (rd_open(&x, w, n) != 0) {
        snprintf(err, errlen, "open: %.200s", x.err);
        return -1;
    }
    struct png_pkt p;
    int k = 0, rc;
    while ((rc = png_next(x.r, &p)) == PNG_PKT)
        k++;
    snprintf(err, errlen, "%s", rc == PNG_ERR ? png_error(x.r) : "");
    png_close(x.r);
    return k;
}

/* A file cut inside its third packet block: two packets, then an error
 * naming block 5 and the offset where it starts. */
static void test_truncated(void)
{
    struct bld w = {0};
    shb(&w, false, 1, 0);
    idb(&w, 1, 0, -1, 0);
    epb(&w, 0, 1, P1, sizeof P1, sizeof P1);
    epb(&w, 0, 2, P1, sizeof P1, sizeof P1);
    size_t at = w.n;
    epb(&w, 0, 3, P1, sizeof P1, sizeof P1);
    char err[256], want[256];
    for (size_t cut = at + 1; cut < w.n; cut += 7) {
        CHECK(read_to_err(&w, cut, err, sizeof err) == 2);
        snprintf(want, sizeof want, "block 5 (byte offset %zu, after 2 packets): truncated "
                 "block: the input ends %zu bytes into it, %zu expected", at, cut - at,
                 cut - at < 8 ? (size_t)8 : w.n - at);
        CHECK_STR(err, want);
    }
    CHECK(read_to_err(&w, at, err, sizeof err) == 2);   /* cut between blocks */
    CHECK_STR(err, "");
}

/* Patches the 32-bit word at `at` (the builder's byte order). */
static void patch32(struct bld *w, size_t at, uint32_t v)
{
    size_t save = w->n;
    w->n = at;
    put32(w, v);
    w->n = save;
}

static void test_bad_lengths(void)
{
    struct bld w = {0};
    char err[256], want[256];
    shb(&w, true, 1, 0);
    idb(&w, 1, 0, -1, 0);
    epb(&w, 0, 1, P1, 4, 4);
    size_t at = w.n;
    epb(&w, 0, 2, P1, 4, 4);
    uint32_t len = 32 + 4;
    static const struct { uint32_t len; const char *why; } cases[] = {
        {10, "bad block length 10 (type 0x00000006)"},
        {38, "bad block length 38 (type 0x00000006)"},
        {PNG_BLOCK_MAX + 4, "block length 16777220 over the limit of 16777216 bytes "
                            "(type 0x00000006)"},
        {40, "truncated block: the input ends 36 bytes into it, 40 expected"},
        {32, "block length 32 in the header but 16909060 in the trailer"},  /* data 01020304 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        patch32(&w, at + 4, cases[i].len);
        CHECK(read_to_err(&w, w.n, err, sizeof err) == 1);
        snprintf(want, sizeof want, "block 4 (byte offset %zu, after 1 packets): %s", at,
                 cases[i].why);
        CHECK_STR(err, want);
    }
    patch32(&w, at + 4, len);
    patch32(&w, at + 20, 9);                /* caplen past the block */
    CHECK(read_to_err(&w, w.n, err, sizeof err) == 1);
    CHECK(strstr(err, "captured length 9 runs past the end of the block") != NULL);
}

static void test_bad_header(void)
{
    struct bld w = {0};
    char err[256];
    shb(&w, false, 0, 1);
    CHECK(read_to_err(&w, w.n, err, sizeof err) == -1);
    CHECK_STR(err, "open: block 1 (byte offset 0, after 0 packets): unsupported pcapng "
                   "version 0.1");
    w.n = 0;
    shb(&w, false, 1, 0);
    idb(&w, 1, 0, 20, 0);                   /* 10^-20 does not fit */
    CHECK(read_to_err(&w, w.n, err, sizeof err) == 0);
    CHECK_STR(err, "block 2 (byte offset 28, after 0 packets): if_tsresol 0x14 out of "
                   "range (interface 0)");
    w.n = 0;
    shb(&w, false, 1, 0);
    patch32(&w, 8, 0x11223344);
    CHECK(read_to_err(&w, w.n, err, sizeof err) == -1);
    CHECK(strstr(err, "bad byte-order magic") != NULL);
}

/* capin: peeking consumes nothing; the count is what was handed out. */
static void test_capin(void)
{
    static const uint8_t b[] = {0x0A, 0x0D, 0x0D, 0x0A, 9, 9};
    struct capin in;
    capin_open_mem(&in, b, sizeof b);
    CHECK(png_sniff(&in));
    const uint8_t *p;
    CHECK_EQ_U64(capin_peek(&in, 100, &p), sizeof b);
    CHECK_EQ_U64(in.off, 0);
    uint8_t d[8];
    CHECK_EQ_U64(capin_read(&in, d, 5), 5);
    CHECK_EQ_U64(capin_read(&in, d, 5), 1);
    CHECK_EQ_U64(in.off, 6);
    capin_open_mem(&in, b + 1, 3);
    CHECK(!png_sniff(&in));
}

int main(void)
{
    test_epb_order(false);
    test_epb_order(true);
    test_tsresol();
    test_spb_pb_skip();
    test_sections();
    test_truncated();
    test_bad_lengths();
    test_bad_header();
    test_capin();
    return xm_test_result();
}
