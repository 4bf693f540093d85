/*
 * url.c - URL authority parsing (include/xm_url.h).
 */
#include "xm_url.h"

#include <stdio.h>
#include <string.h>

int xm_url_copy(char *d, size_t dl, const char *s, size_t n)
{
    if (n >= dl)
        return -1;
    memcpy(d, s, n);
    d[n] = '\0';
    return 0;
}

int xm_url_num(const char *s, size_t n, unsigned long lo, unsigned long hi,
               unsigned long *out)
{
    unsigned long v = 0;
    if (n == 0 || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Exactly n decimal digits forming 1..65535. */
static int url_port(const char *s, size_t n, int *port)
{
    unsigned long v;
    if (xm_url_num(s, n, 1, 65535, &v) != 0)
        return -1;
    *port = (int)v;
    return 0;
}

static int url_userinfo(const char *s, size_t n, int flags, struct xm_url_auth *a)
{
    const char *colon = memchr(s, ':', n);
    if (!colon && (flags & XM_URL_LONE_PASS))
        return xm_url_copy(a->pass, sizeof a->pass, s, n);
    size_t un = colon ? (size_t)(colon - s) : n;
    if (xm_url_copy(a->user, sizeof a->user, s, un) != 0)
        return -1;
    return colon ? xm_url_copy(a->pass, sizeof a->pass, colon + 1, n - un - 1) : 0;
}

/* "host" or "[v6]", then an optional ":port". */
static int url_hostport(const char *s, size_t n, struct xm_url_auth *a, char *why, size_t wl)
{
    const char *hs = s, *he;
    if (n > 0 && *s == '[') {
        he = memchr(s, ']', n);
        hs = s + 1;
    } else {
        he = memchr(s, ':', n);
        he = he ? he : s + n;
    }
    if (!he || he == hs || xm_url_copy(a->host, sizeof a->host, hs, (size_t)(he - hs)) != 0 ||
        strpbrk(a->host, " /?#[]@")) {
        snprintf(why, wl, "missing or bad host");
        return -1;
    }
    const char *p = *s == '[' ? he + 1 : he;
    if (p < s + n && (*p != ':' || url_port(p + 1, (size_t)(s + n - p - 1), &a->port) != 0)) {
        snprintf(why, wl, "bad port (1-65535)");
        return -1;
    }
    return 0;
}

int xm_url_authority(const char *s, size_t n, int dport, int flags, struct xm_url_auth *a,
                     char *why, size_t wl)
{
    const char *at = NULL;
    memset(a, 0, sizeof *a);
    a->port = dport;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            at = s + i;
    if (at && url_userinfo(s, (size_t)(at - s), flags, a) != 0) {
        snprintf(why, wl, "user or password too long");
        return -1;
    }
    if (at) {
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    return url_hostport(s, n, a, why, wl);
}
