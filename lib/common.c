/*
 * common.c - helpers declared in xm_common.h: address text, the seeded
 * hash and EVE timestamps.
 */
#include "xm_common.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

/* Dotted quad of b[0..4) at o; returns the end. */
static char *addr_put4(char *o, const uint8_t *b)
{
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (i)
            *o++ = '.';
        if (v >= 100)
            *o++ = (char)('0' + v / 100);
        if (v >= 10)
            *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
    }
    return o;
}

/* Lower-case hex of v without leading zeros at o; returns the end. */
static char *addr_hex16(char *o, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    bool on = false;
    for (int sh = 12; sh >= 0; sh -= 4) {
        unsigned d = (v >> sh) & 15;
        if (d || on || sh == 0) {
            *o++ = hex[d];
            on = true;
        }
    }
    return o;
}

/* The longest run (>= 2) of zero words, the first on a tie; *base -1
 * when none. */
static void addr_zero_run(const unsigned w[8], int *base, int *len)
{
    int cb = -1, cl = 0;
    *base = -1;
    *len = 0;
    for (int i = 0; i <= 8; i++) {
        if (i < 8 && w[i] == 0) {
            cb = cb < 0 ? i : cb;
            cl++;
        } else if (cb >= 0) {
            if (cl > *len) {
                *base = cb;
                *len = cl;
            }
            cb = -1;
            cl = 0;
        }
    }
    if (*len < 2)
        *base = -1;
}

/* IPv6 text as glibc's inet_ntop writes it (RFC 4291 section 2.2 with
 * the longest zero run as "::"; "::a.b.c.d" and "::ffff:a.b.c.d" for
 * IPv4-compatible and -mapped addresses); returns the end. */
static char *addr_put6(char *o, const uint8_t *b)
{
    unsigned w[8];
    int base, len;
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    addr_zero_run(w, &base, &len);
    for (int i = 0; i < 8; i++) {
        if (base >= 0 && i >= base && i < base + len) {
            if (i == base)
                *o++ = ':';
            continue;
        }
        if (i)
            *o++ = ':';
        if (i == 6 && base == 0 && (len == 6 || (len == 5 && w[5] == 0xffff)))
            return addr_put4(o, b + 12);
        o = addr_hex16(o, w[i]);
    }
    if (base >= 0 && base + len == 8)
        *o++ = ':';
    return o;
}

/* Formatted by hand (inet_ntop formats with sprintf): flow records
 * write two to four addresses each.  The text is inet_ntop's, byte for
 * byte (tests/test_addrfmt.c compares them); "" when it does not fit. */
size_t xm_addr_text(const struct xm_addr *a, char buf[XM_ADDR_TEXT_MAX])
{
    size_t n = 0;
    if (a->family == 6)
        n = (size_t)(addr_put6(buf, a->b) - buf);
    else if (a->family != 0)            /* as before: any other family is IPv4 */
        n = (size_t)(addr_put4(buf, a->b) - buf);
    buf[n] = '\0';
    return n;
}

const char *xm_addr_str(const struct xm_addr *a, char *buf, size_t len)
{
    char tmp[XM_ADDR_TEXT_MAX];
    size_t n = xm_addr_text(a, tmp);
    if (n == 0 || n + 1 > len) {
        if (len)
            buf[0] = '\0';
        return buf;
    }
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return buf;
}

int xm_addr_parse(const char *s, struct xm_addr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, s, out->b) == 1) {
        out->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->b) == 1) {
        out->family = 6;
        return 0;
    }
    memset(out, 0, sizeof *out);
    return -1;
}

/* 64x64->128 multiply folded to 64 bits: the mixing step of the hash. */
static uint64_t hash_mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Little-endian load of n (1..8) bytes. */
static uint64_t hash_load(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint64_t xm_hash(const void *data, size_t len, uint64_t seed)
{
    const uint64_t k0 = UINT64_C(0xa0761d6478bd642f), k1 = UINT64_C(0xe7037ed1a0b428db);
    const uint8_t *p = data;
    uint64_t h = seed ^ k0 ^ len;
    while (len >= 8) {
        h = hash_mix(h ^ hash_load(p, 8), k1);
        p += 8;
        len -= 8;
    }
    if (len)
        h = hash_mix(h ^ hash_load(p, len), k1 ^ len);
    return hash_mix(h, k0 ^ UINT64_C(0x8ebc6af09c88c6e3));
}

uint64_t xm_hash_random_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s)
        s = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&s;
    return s;
}

/* "YYYY-MM-DDTHH:MM:SS" of second sec into base (24 bytes); false when it
 * does not fit.  The date of the last day is cached per thread: records
 * format a flow's start and end, often seconds or minutes apart (an
 * evicted flow's start is long past), and a per-second cache missed on
 * every such pair.  UTC days are 86,400 s (gmtime counts no leap
 * seconds), so the time of day is arithmetic. */
static bool time_iso_base(time_t sec, char *base)
{
    static _Thread_local time_t c_day;
    static _Thread_local bool c_ok;
    static _Thread_local char c_date[24];
    static _Thread_local size_t c_len;
    time_t tod = sec % 86400;
    if (tod < 0)
        tod += 86400;
    time_t day = (sec - tod) / 86400;
    if (!c_ok || c_day != day) {
        struct tm tm;
        time_t start = sec - tod;
        c_ok = false;
        if (!gmtime_r(&start, &tm))
            return false;
        c_len = strftime(c_date, sizeof c_date, "%Y-%m-%d", &tm);
        if (c_len == 0 || c_len + 9 > sizeof c_date - 1)
            return false;
        c_day = day;
        c_ok = true;
    }
    char *p = base + c_len;
    int v[3] = {(int)(tod / 3600), (int)(tod / 60 % 60), (int)(tod % 60)};
    memcpy(base, c_date, c_len);
    for (int i = 0; i < 3; i++, p += 3) {
        p[0] = i ? ':' : 'T';
        p[1] = (char)('0' + v[i] / 10);
        p[2] = (char)('0' + v[i] % 10);
    }
    *p = 0;
    return true;
}

const char *xm_time_iso(xm_time_t t, char *buf, size_t len)
{
    time_t sec = (time_t)(t / XM_USEC_PER_SEC);
    long usec = (long)(t % XM_USEC_PER_SEC);
    if (usec < 0) {
        usec += 1000000;
        sec -= 1;
    }
    char base[24], out[48];
    if (!time_iso_base(sec, base))
        base[0] = 0;
    size_t n = strlen(base);
    out[n] = '.';
    for (int i = 6; i >= 1; i--, usec /= 10)
        out[n + (size_t)i] = (char)('0' + usec % 10);
    memcpy(out, base, n);
    memcpy(out + n + 7, "+0000", 6);
    if (len) {
        size_t m = n + 12 < len - 1 ? n + 12 : len - 1;   /* as snprintf truncates */
        memcpy(buf, out, m);
        buf[m] = 0;
    }
    return buf;
}
