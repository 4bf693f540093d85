/*
 * common.c - helpers declared in xm_common.h: address text, the seeded
 * hash and EVE timestamps.
 */
#include "xm_common.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

const char *xm_addr_str(const struct xm_addr *a, char *buf, size_t len)
{
    int af = a->family == 6 ? AF_INET6 : AF_INET;
    if (a->family == 0 || !inet_ntop(af, a->b, buf, (socklen_t)len)) {
        if (len)
            buf[0] = '\0';
    }
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
 * does not fit.  The last second is cached per thread: records and
 * alerts format many times within one second. */
static bool time_iso_base(time_t sec, char *base)
{
    static _Thread_local time_t c_sec;
    static _Thread_local bool c_ok;
    static _Thread_local char c_base[24];
    if (!c_ok || c_sec != sec) {
        struct tm tm;
        c_ok = false;
        if (!gmtime_r(&sec, &tm) || strftime(c_base, sizeof c_base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
            return false;
        c_sec = sec;
        c_ok = true;
    }
    memcpy(base, c_base, sizeof c_base);
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
