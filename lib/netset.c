/*
 * netset.c - CIDR sets (xm_netset.h).
 *
 * For each prefix length a sorted, duplicate-free array of masked
 * prefixes: IPv4 as host-order uint32, IPv6 as a (hi, lo) pair of
 * host-order uint64.  netset_contains() masks the address once per
 * present length and binary-searches that array.  Inserts keep the
 * arrays sorted (memmove; configuration time only).
 */
#include "xm_netset.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

struct v6 {
    uint64_t hi, lo;
};

struct xm_netset {
    uint32_t *v4[33];
    uint32_t v4n[33], v4cap[33];
    struct v6 *v6[129];
    uint32_t v6n[129], v6cap[129];
    uint8_t v4lens[33], v6lens[129];  /* present lengths, longest first */
    uint8_t n4lens, n6lens;
    size_t count;
};

struct xm_netset *netset_new(void)
{
    return calloc(1, sizeof(struct xm_netset));
}

void netset_free(struct xm_netset *s)
{
    if (!s)
        return;
    for (int i = 0; i <= 32; i++)
        free(s->v4[i]);
    for (int i = 0; i <= 128; i++)
        free(s->v6[i]);
    free(s);
}

size_t netset_count(const struct xm_netset *s) { return s ? s->count : 0; }

static uint32_t v4_of(const struct xm_addr *a)
{
    return ((uint32_t)a->b[0] << 24) | ((uint32_t)a->b[1] << 16) |
           ((uint32_t)a->b[2] << 8) | a->b[3];
}

static uint32_t v4_mask(unsigned plen)
{
    return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

static struct v6 v6_of(const struct xm_addr *a)
{
    struct v6 v = {0, 0};
    for (int i = 0; i < 8; i++) {
        v.hi = (v.hi << 8) | a->b[i];
        v.lo = (v.lo << 8) | a->b[8 + i];
    }
    return v;
}

static struct v6 v6_masked(struct v6 v, unsigned plen)
{
    if (plen <= 64) {
        v.lo = 0;
        v.hi &= plen == 0 ? 0 : UINT64_MAX << (64 - plen);
    } else if (plen < 128) {
        v.lo &= UINT64_MAX << (128 - plen);
    }
    return v;
}

static int v6_cmp(struct v6 a, struct v6 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

/* Records plen in a longest-first list of present lengths. */
static void lens_add(uint8_t *lens, uint8_t *n, unsigned plen)
{
    unsigned i = 0;
    while (i < *n && lens[i] > plen)
        i++;
    if (i < *n && lens[i] == plen)
        return;
    memmove(lens + i + 1, lens + i, (size_t)(*n - i));
    lens[i] = (uint8_t)plen;
    (*n)++;
}

/* Position of the first element >= key in a sorted v4 array. */
static uint32_t v4_lower(const uint32_t *a, uint32_t n, uint32_t key)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t v6_lower(const struct v6 *a, uint32_t n, struct v6 key)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v6_cmp(a[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Grows an array to hold one more element of size sz. */
static int grow(void **arr, uint32_t *cap, uint32_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    uint32_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, (size_t)nc * sz);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

static int add_v4(struct xm_netset *s, uint32_t v, unsigned plen)
{
    v &= v4_mask(plen);
    uint32_t n = s->v4n[plen];
    uint32_t at = v4_lower(s->v4[plen], n, v);
    if (at < n && s->v4[plen][at] == v)
        return 0;
    if (grow((void **)&s->v4[plen], &s->v4cap[plen], n, sizeof(uint32_t)))
        return -1;
    uint32_t *a = s->v4[plen];
    memmove(a + at + 1, a + at, (size_t)(n - at) * sizeof *a);
    a[at] = v;
    s->v4n[plen]++;
    s->count++;
    lens_add(s->v4lens, &s->n4lens, plen);
    return 0;
}

static int add_v6(struct xm_netset *s, struct v6 v, unsigned plen)
{
    v = v6_masked(v, plen);
    uint32_t n = s->v6n[plen];
    uint32_t at = v6_lower(s->v6[plen], n, v);
    if (at < n && v6_cmp(s->v6[plen][at], v) == 0)
        return 0;
    if (grow((void **)&s->v6[plen], &s->v6cap[plen], n, sizeof(struct v6)))
        return -1;
    struct v6 *a = s->v6[plen];
    memmove(a + at + 1, a + at, (size_t)(n - at) * sizeof *a);
    a[at] = v;
    s->v6n[plen]++;
    s->count++;
    lens_add(s->v6lens, &s->n6lens, plen);
    return 0;
}

int netset_add_cidr(struct xm_netset *s, const struct xm_addr *addr, unsigned plen)
{
    if (!s || !addr)
        return -1;
    if (addr->family == 4 && plen <= 32)
        return add_v4(s, v4_of(addr), plen);
    if (addr->family == 6 && plen <= 128)
        return add_v6(s, v6_of(addr), plen);
    return -1;
}

static bool has_v4(const struct xm_netset *s, uint32_t v)
{
    for (unsigned i = 0; i < s->n4lens; i++) {
        unsigned l = s->v4lens[i];
        uint32_t key = v & v4_mask(l);
        uint32_t at = v4_lower(s->v4[l], s->v4n[l], key);
        if (at < s->v4n[l] && s->v4[l][at] == key)
            return true;
    }
    return false;
}

static bool has_v6(const struct xm_netset *s, struct v6 v)
{
    for (unsigned i = 0; i < s->n6lens; i++) {
        unsigned l = s->v6lens[i];
        struct v6 key = v6_masked(v, l);
        uint32_t at = v6_lower(s->v6[l], s->v6n[l], key);
        if (at < s->v6n[l] && v6_cmp(s->v6[l][at], key) == 0)
            return true;
    }
    return false;
}

bool netset_contains(const struct xm_netset *s, const struct xm_addr *addr)
{
    if (!s || !addr)
        return false;
    if (addr->family == 4)
        return has_v4(s, v4_of(addr));
    if (addr->family == 6)
        return has_v6(s, v6_of(addr));
    return false;
}

bool netset_is_local_cb(void *ctx, const struct xm_addr *addr)
{
    return netset_contains(ctx, addr);
}

/* ---- parsing ----------------------------------------------------------- */

/* Parses a decimal prefix length of at most max; -1 when bad. */
static int parse_plen(const char *s, size_t n, unsigned max)
{
    if (n == 0 || n > 3)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (n > 1 && s[0] == '0')
        return -1;
    return v <= max ? (int)v : -1;
}

int xm_cidr_parse(const char *s, size_t n, struct xm_addr *a, unsigned *plen)
{
    char buf[64];
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    memset(a, 0, sizeof *a);
    if (alen == 0 || alen >= sizeof buf)
        return XM_CIDR_EADDR;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (xm_addr_parse(buf, a) != 0)
        return XM_CIDR_EADDR;
    unsigned max = a->family == 4 ? 32 : 128;
    *plen = max;
    if (!slash)
        return 0;
    int v = parse_plen(slash + 1, n - alen - 1, max);
    if (v < 0)
        return XM_CIDR_EPLEN;
    *plen = (unsigned)v;
    return 0;
}

bool xm_cidr_mask(struct xm_addr *a, unsigned plen)
{
    bool clean = true;
    unsigned bits = a->family == 4 ? 32 : 128;
    for (unsigned i = plen; i < bits; i++) {
        uint8_t m = (uint8_t)(0x80u >> (i % 8));
        clean = clean && !(a->b[i / 8] & m);
        a->b[i / 8] &= (uint8_t)~m;
    }
    return clean;
}

bool xm_cidr_contains(const struct xm_addr *net, unsigned plen, const struct xm_addr *a)
{
    if (net->family != a->family)
        return false;
    unsigned full = plen / 8, rest = plen % 8;
    if (memcmp(net->b, a->b, full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (net->b[full] & mask) == (a->b[full] & mask);
}

/* Parses one trimmed token "ADDR[/LEN]"; reason set on failure. */
static int parse_token(struct xm_netset *s, const char *tok, size_t n,
                       const char **reason)
{
    struct xm_addr a;
    unsigned plen;
    int rc = xm_cidr_parse(tok, n, &a, &plen);
    if (rc != 0) {
        *reason = rc == XM_CIDR_EADDR ? "bad address" : "bad prefix length";
        return -1;
    }
    *reason = "out of memory";
    return netset_add_cidr(s, &a, plen);
}

static void parse_error(char *err, size_t errlen, const char *tok, size_t n,
                        size_t col, const char *reason)
{
    if (!err || errlen == 0)
        return;
    int shown = n > 64 ? 64 : (int)n;
    snprintf(err, errlen, "bad CIDR '%.*s' at column %zu: %s", shown, tok, col, reason);
}

int netset_parse(struct xm_netset *s, const char *text, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!s || !text)
        return -1;
    const char *p = text;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *tok = p;
        size_t n = len;
        while (n && isspace((unsigned char)*tok)) {
            tok++;
            n--;
        }
        while (n && isspace((unsigned char)tok[n - 1]))
            n--;
        const char *reason = "empty entry";
        bool whole_empty = !end && n == 0 && p == text;
        if (!whole_empty && (n == 0 || parse_token(s, tok, n, &reason) != 0)) {
            parse_error(err, errlen, tok, n, (size_t)(tok - text) + 1, reason);
            return -1;
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}

struct xm_netset *netset_default_home(void)
{
    static const char home[] = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,"
                               "100.64.0.0/10,127.0.0.0/8,169.254.0.0/16,"
                               "fc00::/7,fe80::/10,::1/128";
    struct xm_netset *s = netset_new();
    if (s && netset_parse(s, home, NULL, 0) != 0) {
        netset_free(s);
        s = NULL;
    }
    return s;
}
