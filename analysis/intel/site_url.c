/*
 * site_url.c - "redis://[user[:pass]@]host[:port][/db][?opts]" for
 * --site-redis (include/xm_site.h).  Options: prefix=NAME (default
 * exfilmon:site), ttl=SEC (hash TTL, default 30 days), sync=N (replay
 * barrier over N sensors, default 0 = none), wait=SEC (barrier timeout,
 * default 60), maxlen=N (log stream entries, default 100000).
 * Syntax only: nothing is resolved or connected.
 */
#include "site_int.h"
#include "xm_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "[user[:pass]@]host[:port]" (host may be "[v6]"; lib/url.c). */
static int su_authority(struct site_url *u, const char *a, size_t n)
{
    struct xm_url_auth au;
    char why[64];
    if (xm_url_authority(a, n, SITE_DEFAULT_PORT, XM_URL_LONE_PASS, &au, why, sizeof why) != 0)
        return -1;
    _Static_assert(sizeof u->user == sizeof au.user && sizeof u->pass == sizeof au.pass &&
                   sizeof u->host == sizeof au.host, "site_url buffers as xm_url_auth's");
    memcpy(u->user, au.user, sizeof au.user);
    memcpy(u->pass, au.pass, sizeof au.pass);
    memcpy(u->host, au.host, sizeof au.host);
    u->port = au.port;
    return 0;
}

/* One "key=value" option of n bytes. */
static int su_opt(struct site_url *u, const char *kv, size_t n)
{
    const char *eq = memchr(kv, '=', n);
    if (!eq)
        return -1;
    size_t kn = (size_t)(eq - kv), vn = n - kn - 1;
    const char *v = eq + 1;
    unsigned long x;
    char k[16], val[1100];
    if (kn < sizeof k && vn < sizeof val) {
        memcpy(k, kv, kn);
        k[kn] = '\0';
        memcpy(val, v, vn);
        val[vn] = '\0';
        int t = xm_rtls_opt(&u->tls, k, val);
        if (t != 0)
            return t > 0 ? 0 : -1;
    }
    if (kn == 6 && !memcmp(kv, "prefix", 6))
        return vn && !memchr(v, ' ', vn) ? xm_url_copy(u->prefix, sizeof u->prefix, v, vn) : -1;
    if (kn == 3 && !memcmp(kv, "ttl", 3) && !xm_url_num(v, vn, 60, 400u * 86400u, &x))
        u->ttl = (unsigned)x;
    else if (kn == 4 && !memcmp(kv, "sync", 4) && !xm_url_num(v, vn, 0, 64, &x))
        u->sync = (unsigned)x;
    else if (kn == 4 && !memcmp(kv, "wait", 4) && !xm_url_num(v, vn, 1, 86400, &x))
        u->wait = (unsigned)x;
    else if (kn == 6 && !memcmp(kv, "maxlen", 6) && !xm_url_num(v, vn, 100, 100000000, &x))
        u->maxlen = x;
    else
        return -1;
    return 0;
}

static int su_opts(struct site_url *u, const char *q)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (su_opt(u, q, n) != 0)
            return -1;
        q += n + (q[n] == '&');
    }
    return 0;
}

int site_url_parse(const char *url, struct site_url *u, char *err, size_t errlen)
{
    unsigned long db = 0;
    memset(u, 0, sizeof *u);
    strcpy(u->prefix, "exfilmon:site");
    u->ttl = SITE_DEFAULT_TTL;
    u->wait = SITE_DEFAULT_WAIT;
    u->maxlen = SITE_DEFAULT_MAXLEN;
    u->tls.on = url && !strncmp(url, "rediss://", 9);
    if (!url || (strncmp(url, "redis://", 8) != 0 && !u->tls.on))
        goto bad;
    const char *a = url + (u->tls.on ? 9 : 8);
    size_t an = strcspn(a, "/?");
    const char *d = a[an] == '/' ? a + an + 1 : NULL;
    const char *q = strchr(a, '?');
    if (su_authority(u, a, an) != 0 || (d && strcspn(d, "?") &&
                                        xm_url_num(d, strcspn(d, "?"), 0, 10000, &db) != 0) ||
        (q && su_opts(u, q + 1) != 0))
        goto bad;
    u->db = (int)db;
    char why[1200];
    if (xm_rtls_check(&u->tls, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "--site-redis: %s: %s", url, why);
    return -1;
bad:
    snprintf(err, errlen, "--site-redis: %s: bad URL (redis[s]://[user:pass@]host[:port][/db]"
             "[?prefix=P&ttl=SEC&sync=N&wait=SEC&maxlen=N&tls=1&cacert=FILE&insecure=1])",
             url ? url : "(null)");
    return -1;
}

int site_url_check(const char *url, char *err, size_t errlen)
{
    struct site_url u;
    return site_url_parse(url, &u, err, errlen);
}
