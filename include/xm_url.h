/*
 * xm_url.h - the "[user[:pass]@]host[:port]" part of the URLs the network
 * outputs and the site state take (lib/url.c; RFC 3986 3.2).  Syntax
 * only: nothing is resolved.  The caller owns every buffer.
 */
#ifndef XM_URL_H
#define XM_URL_H

#include <stddef.h>

struct xm_url_auth {
    char user[128], pass[256];
    char host[256];                 /* without the brackets of "[v6]" */
    int port;                       /* 1..65535; the default when absent */
};

/* A userinfo without ':' is a password (redis://PASS@host, as redis-cli
 * reads it) with XM_URL_LONE_PASS, else a user name. */
enum { XM_URL_LONE_PASS = 1 };

/*
 * Parses the authority s[0, n) into *a; dport when no port is given.
 * The last '@' ends the userinfo (a password may hold '@').  0, or -1
 * with the reason in why[wl] (too long, missing or bad host, bad port).
 */
int xm_url_authority(const char *s, size_t n, int dport, int flags, struct xm_url_auth *a,
                     char *why, size_t wl);

/* Copies s[0, n) into d (cap dl bytes, NUL-terminated); -1 if it does
 * not fit. */
int xm_url_copy(char *d, size_t dl, const char *s, size_t n);

/* Exactly n (1..10) decimal digits forming a value in [lo, hi] into
 * *out; -1 otherwise (no sign, no spaces). */
int xm_url_num(const char *s, size_t n, unsigned long lo, unsigned long hi,
               unsigned long *out);

#endif
