/*
 * evew_stream.c - the streaming EVE writer (include/xm_evew.h): one
 * record's compact JSON text into a reusable, bounded buffer, byte for
 * byte what jansson's json_dumpb(JSON_COMPACT) gives for the same keys in
 * the same order (checked against jansson by tests/test_evew.c and
 * fuzz/fuzz_evew.c).  No allocation once the buffer has grown to the
 * largest record; no object tree.
 */
#include "xm_evew.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void evew_init(struct evew *w, size_t cap0, size_t max)
{
    memset(w, 0, sizeof *w);
    w->max = max < 16 ? 16 : max;
    w->cap0 = cap0 < 64 ? 64 : cap0;
}

void evew_free(struct evew *w)
{
    free(w->p);
    memset(w, 0, sizeof *w);
}

void evew_reset(struct evew *w)
{
    w->len = 0;
    w->key = NULL;
    w->more = 0;
    w->depth = 0;
    w->err = EVEW_OK;
}

enum evew_err evew_error(const struct evew *w)
{
    return w->err;
}

static void evew_fail(struct evew *w, enum evew_err e)
{
    if (w->err == EVEW_OK)
        w->err = e;
}

/* Room for n more bytes plus the closing NUL; false (outcome set) when
 * the bound is passed or the buffer cannot grow.  Doubles from cap0. */
static bool evew_room(struct evew *w, size_t n)
{
    if (w->err != EVEW_OK)
        return false;
    if (n >= w->max - w->len) {
        evew_fail(w, EVEW_FULL);
        return false;
    }
    if (w->len + n < w->cap)
        return true;
    size_t cap = w->cap ? w->cap : w->cap0;
    while (cap <= w->len + n)
        cap *= 2;
    cap = cap > w->max ? w->max : cap;
    char *p = realloc(w->p, cap);
    if (!p) {
        evew_fail(w, EVEW_NOMEM);
        return false;
    }
    w->p = p;
    w->cap = cap;
    return true;
}

static void evew_put(struct evew *w, const char *s, size_t n)
{
    if (evew_room(w, n)) {
        memcpy(w->p + w->len, s, n);
        w->len += n;
    }
}

static void evew_ch(struct evew *w, char c)
{
    if (evew_room(w, 1))
        w->p[w->len++] = c;
}

/* Whether byte c is written as it is inside a JSON string (RFC 8259
 * section 7: '"', '\\' and controls below 0x20 are escaped). */
static bool evew_plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

/* The escape of one byte that is not plain: short forms where JSON has
 * them, else \u00XX with upper-case hex digits (jansson's form). */
static void evew_escape(struct evew *w, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    switch (c) {
    case '"': evew_put(w, "\\\"", 2); return;
    case '\\': evew_put(w, "\\\\", 2); return;
    case '\b': evew_put(w, "\\b", 2); return;
    case '\f': evew_put(w, "\\f", 2); return;
    case '\n': evew_put(w, "\\n", 2); return;
    case '\r': evew_put(w, "\\r", 2); return;
    case '\t': evew_put(w, "\\t", 2); return;
    }
    evew_put(w, e, sizeof e);
}

/* A quoted string: runs of plain bytes copied whole.  s is valid UTF-8
 * (checked by the caller), so every other byte passes as it is. */
static void evew_quoted(struct evew *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    evew_ch(w, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && evew_plain(p[run]))
            run++;
        evew_put(w, s + i, run - i);
        if (run < n)
            evew_escape(w, p[run++]);
        i = run;
    }
    evew_ch(w, '"');
}

/* Length of the run of ASCII bytes at the start of s[0..n) that JSON
 * writes as they are (0x20..0x7e, not '"' or '\\'): such bytes are valid
 * UTF-8 and need no escape, so a string made only of them is copied whole
 * (the common case: keys, addresses, times, names). */
static size_t evew_ascii_run(const char *s, size_t n)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    /* 8 bytes at a time: any byte below 0x20 or above 0x7e, or equal to
     * '"' or '\\', sets a high bit (the tests have no false negatives; a
     * false positive only ends the word-wise part early). */
    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;
        memcpy(&x, p + i, sizeof x);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        if ((((x - ones * 0x20) & ~x) | (x + ones) | x | ((q - ones) & ~q) | ((b - ones) & ~b)) &
            highs)
            break;
    }
    while (i < n && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

/* Room for n bytes: the write position, or NULL (outcome set). */
static char *evew_reserve(struct evew *w, size_t n)
{
    return evew_room(w, n) ? w->p + w->len : NULL;
}

/* The separator of the current container and the pending key, when the
 * key is plain ASCII, into one reservation of extra more bytes for the
 * value that follows; returns where the value goes (the caller advances
 * w->len), or NULL when the slow path must be taken (nothing written). */
static char *evew_pre_fast(struct evew *w, size_t extra)
{
    uint64_t bit = UINT64_C(1) << w->depth;
    bool comma = w->depth > 0 && (w->more & bit);
    size_t kl = w->key ? w->klen : 0;
    if (w->key && evew_ascii_run(w->key, kl) != kl)
        return NULL;
    char *o = evew_reserve(w, (size_t)comma + (w->key ? kl + 3 : 0) + extra);
    if (!o)
        return NULL;
    w->more |= bit;
    if (comma)
        *o++ = ',';
    if (w->key) {
        *o++ = '"';
        memcpy(o, w->key, kl);
        o += kl;
        *o++ = '"';
        *o++ = ':';
        w->key = NULL;
    }
    w->len = (size_t)(o - w->p);
    return o;
}

/* Before any value: the separator of its container, then its pending
 * key.  A value at depth 0 is the record itself. */
static void evew_pre(struct evew *w)
{
    if (w->err == EVEW_OK && evew_pre_fast(w, 0))
        return;
    uint64_t bit = UINT64_C(1) << w->depth;
    if (w->depth > 0 && (w->more & bit))
        evew_ch(w, ',');
    w->more |= bit;
    if (w->key) {
        const char *k = w->key;
        w->key = NULL;
        evew_quoted(w, k, w->klen);
        evew_ch(w, ':');
    }
}

/* Separator, key and n value bytes s in one reservation (s needs no
 * quoting here: the caller adds quotes itself or writes a number). */
static void evew_value(struct evew *w, const char *s, size_t n)
{
    char *o = w->err == EVEW_OK ? evew_pre_fast(w, n) : NULL;
    if (o) {
        memcpy(o, s, n);
        w->len += n;
        return;
    }
    evew_pre(w);
    evew_put(w, s, n);
}

static void evew_open(struct evew *w, char c)
{
    if (w->depth + 1 >= EVEW_MAX_DEPTH) {
        evew_fail(w, EVEW_BAD);
        return;
    }
    evew_pre(w);
    evew_ch(w, c);
    w->depth++;
    w->more &= ~(UINT64_C(1) << w->depth);
}

static void evew_close(struct evew *w, char c)
{
    if (w->depth == 0) {
        evew_fail(w, EVEW_BAD);
        return;
    }
    w->depth--;
    w->key = NULL;
    evew_ch(w, c);
}

void evew_obj_begin(struct evew *w) { evew_open(w, '{'); }
void evew_obj_end(struct evew *w) { evew_close(w, '}'); }
void evew_arr_begin(struct evew *w) { evew_open(w, '['); }
void evew_arr_end(struct evew *w) { evew_close(w, ']'); }

const char *evew_text(struct evew *w, size_t *n)
{
    if (w->depth != 0 || w->len == 0)
        evew_fail(w, EVEW_BAD);
    if (w->err != EVEW_OK || !evew_room(w, 0))
        return NULL;
    w->p[w->len] = '\0';
    *n = w->len;
    return w->p;
}

void evew_strn(struct evew *w, const char *s, size_t n)
{
    char *o;
    if (s && w->err == EVEW_OK && evew_ascii_run(s, n) == n &&
        (o = evew_pre_fast(w, n + 2)) != NULL) {
        o[0] = '"';
        memcpy(o + 1, s, n);
        o[n + 1] = '"';
        w->len += n + 2;
        return;
    }
    if (!s || !eve_utf8_valid(s, n)) {
        w->key = NULL;                  /* left out, with its key */
        return;
    }
    evew_pre(w);
    evew_quoted(w, s, n);
}

/* Decimal digits of v, most significant first, into the end of buf;
 * returns where they start. */
static char *evew_digits(uint64_t v, char *end)
{
    static const char pairs[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    while (v >= 100) {                  /* two digits per division */
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        end -= 2;
        memcpy(end, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        end -= 2;
        memcpy(end, pairs + 2 * v, 2);
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

void evew_int(struct evew *w, int64_t v)
{
    char buf[24], *end = buf + sizeof buf;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *s = evew_digits(mag, end);
    if (v < 0)
        *--s = '-';
    evew_value(w, s, (size_t)(end - s));
}

void evew_u64(struct evew *w, uint64_t v)
{
    evew_int(w, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

void evew_null(struct evew *w)
{
    evew_value(w, "null", 4);
}

void evew_bool(struct evew *w, bool v)
{
    evew_value(w, v ? "true" : "false", v ? 4 : 5);
}

/* jansson's text of a finite real into buf (>= 32 bytes): "%.17g" in the
 * C locale, ".0" appended when it reads as an integer, and the exponent
 * with no '+' and no leading zeros ("1e+300" -> "1e300", "1e-05" ->
 * "1e-5").  Returns the length. */
static size_t evew_real_text(double v, char *buf, size_t cap)
{
    int r = snprintf(buf, cap, "%.17g", v);
    size_t n = r < 0 ? 0 : (size_t)r;
    char *e = strchr(buf, 'e');
    if (!e && !strchr(buf, '.') && n + 2 < cap) {
        memcpy(buf + n, ".0", 3);
        return n + 2;
    }
    if (!e)
        return n;
    char *d = e + 1 + (e[1] == '-'), *z = d;
    while (*z == '+' || *z == '0')
        z++;
    if (*z == '\0')
        z--;                            /* keep one digit ("e0") */
    memmove(d, z, strlen(z) + 1);
    return strlen(buf);
}

void evew_real(struct evew *w, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        evew_fail(w, EVEW_BAD);
        return;
    }
    size_t n = evew_real_text(v, buf, sizeof buf);
    evew_pre(w);
    evew_put(w, buf, n);
}

void evew_num(struct evew *w, double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        evew_int(w, (int64_t)v);
    else
        evew_real(w, v);
}

void evew_json(struct evew *w, const json_t *v)
{
    if (!v || w->err != EVEW_OK)
        return;
    evew_pre(w);
    size_t room = w->cap > w->len ? w->cap - w->len - 1 : 0;
    size_t n = json_dumpb(v, room ? w->p + w->len : NULL, room, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0) {
        evew_fail(w, EVEW_BAD);
        return;
    }
    if (n > room) {                     /* grow, then dump again */
        if (!evew_room(w, n))
            return;
        n = json_dumpb(v, w->p + w->len, n, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    w->len += n;
}

void evew_members(struct evew *w, const json_t *o)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        evew_key(w, k);
        evew_json(w, v);
    }
}





void evew_kaddr(struct evew *w, const char *key, const struct xm_addr *a)
{
    char buf[XM_ADDR_TEXT_MAX];
    evew_key(w, key);
    evew_strn(w, buf, xm_addr_text(a, buf));
}

void evew_ktime(struct evew *w, const char *key, xm_time_t t)
{
    char buf[40];
    evew_kstr(w, key, xm_time_iso(t, buf, sizeof buf));
}

void evew_sensor(struct evew *w)
{
    const char *s = eve_sensor_name();
    if (s)
        evew_kstr(w, "host", s);
}
