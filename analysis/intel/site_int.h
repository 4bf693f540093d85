/*
 * site_int.h - shared by site.c (exchange) and site_url.c (URL syntax).
 * Not a public header: see include/xm_site.h.
 */
#ifndef XM_SITE_INT_H
#define XM_SITE_INT_H

#include "xm_rconn.h"
#include "xm_site.h"

#define SITE_DEFAULT_PORT 6379
#define SITE_DEFAULT_TTL (30u * 86400u)
#define SITE_DEFAULT_WAIT 60u
#define SITE_DEFAULT_MAXLEN 100000u

/* A parsed --site-redis URL. */
struct site_url {
    struct xm_rtls tls;             /* rediss://, tls=, cacert=, insecure= */
    char user[128], pass[256], host[256], prefix[64];
    int port, db;
    unsigned ttl, sync, wait;       /* seconds, sensors, seconds */
    unsigned long maxlen;           /* entries per log stream */
};

/* Parses url (syntax only, nothing resolved); 0, or -1 with err. */
int site_url_parse(const char *url, struct site_url *u, char *err, size_t errlen);

#endif
