/*
 * rconn.c - a blocking Redis connection over TCP or TLS (include/xm_rconn.h).
 * Timeouts: SO_SNDTIMEO (connect and send) and SO_RCVTIMEO on the socket;
 * OpenSSL reads and writes through the same blocking socket.
 */
#include "xm_rconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RC_READ 16384

struct xm_rconn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    redisReader *rd;
    char *out;                  /* queued commands, RESP */
    size_t out_n, out_cap;
    bool failed;
    char err[256];
};

/* ---- options -------------------------------------------------------------- */

int xm_rtls_opt(struct xm_rtls *t, const char *key, const char *val)
{
    bool one = !strcmp(val, "1"), zero = !strcmp(val, "0");
    if (!strcmp(key, "tls")) {
        t->on = one;
        return one || zero ? 1 : -1;
    }
    if (!strcmp(key, "insecure")) {
        t->insecure = one;
        return one || zero ? 1 : -1;
    }
    if (strcmp(key, "cacert") != 0)
        return 0;
    size_t n = strlen(val);
    if (n == 0 || n >= sizeof t->cacert)
        return -1;
    memcpy(t->cacert, val, n + 1);
    return 1;
}

int xm_rtls_check(const struct xm_rtls *t, char *err, size_t errlen)
{
    if ((t->cacert[0] || t->insecure) && !t->on) {
        snprintf(err, errlen, "cacert= and insecure= need rediss:// or tls=1");
        return -1;
    }
    if (t->cacert[0] && access(t->cacert, R_OK) != 0) {
        snprintf(err, errlen, "cacert %s: %s", t->cacert, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- connect -------------------------------------------------------------- */

static void rc_fail(struct xm_rconn *c, const char *what, const char *why)
{
    if (!c->failed)
        snprintf(c->err, sizeof c->err, "%s: %s", what, why);
    c->failed = true;
}

/* The newest OpenSSL error, or the verification result, as text. */
static const char *rc_ssl_why(struct xm_rconn *c, char *buf, size_t n)
{
    long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    unsigned long e = ERR_get_error();
    if (v != X509_V_OK)
        snprintf(buf, n, "certificate verify failed: %s", X509_verify_cert_error_string(v));
    else if (e)
        ERR_error_string_n(e, buf, n);
    else
        snprintf(buf, n, "%s", errno ? strerror(errno) : "connection closed");
    ERR_clear_error();
    return buf;
}

static int rc_socket(struct xm_rconn *c, const char *host, int port, int timeout_ms)
{
    char ps[8];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(host, ps, &hints, &ai);
    if (g != 0 || !ai) {
        rc_fail(c, "connect", g ? gai_strerror(g) : "no address");
        return -1;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = c->fd >= 0 && setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 &&
             setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
             connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : -1;
    if (rc != 0)
        rc_fail(c, "connect", strerror(errno));
    freeaddrinfo(ai);
    return rc;
}

/* Verification: the CA file or the system's store, the URL's host name
 * or address against the certificate. */
static int rc_tls_setup(struct xm_rconn *c, const char *host, const struct xm_rtls *t)
{
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx)
        return -1;
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    if (t->cacert[0] ? SSL_CTX_load_verify_locations(c->ctx, t->cacert, NULL) != 1
                     : SSL_CTX_set_default_verify_paths(c->ctx) != 1)
        return -1;
    SSL_CTX_set_verify(c->ctx, t->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        return -1;
    unsigned char a[16];
    bool ip = inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
    if (!ip && SSL_set_tlsext_host_name(c->ssl, host) != 1)
        return -1;
    if (t->insecure)
        return 0;
    X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
    return (ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : X509_VERIFY_PARAM_set1_host(vp, host, 0))
           == 1 ? 0 : -1;
}

static int rc_tls(struct xm_rconn *c, const char *host, const struct xm_rtls *t)
{
    char why[200];
    errno = 0;
    if (rc_tls_setup(c, host, t) != 0 || SSL_connect(c->ssl) != 1) {
        rc_fail(c, "TLS", rc_ssl_why(c, why, sizeof why));
        return -1;
    }
    return 0;
}

struct xm_rconn *xm_rconn_connect(const char *host, int port, const struct xm_rtls *t,
                                  int timeout_ms, char *err, size_t errlen)
{
    struct xm_rconn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->fd = -1;
    c->rd = redisReaderCreate();
    if (!c->rd)
        rc_fail(c, "connect", "out of memory");
    if (!c->failed && rc_socket(c, host, port, timeout_ms) == 0 && t && t->on)
        (void)rc_tls(c, host, t);
    if (!c->failed)
        return c;
    snprintf(err, errlen, "%s", c->err);
    xm_rconn_free(c);
    return NULL;
}

void xm_rconn_free(struct xm_rconn *c)
{
    if (!c)
        return;
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    if (c->rd)
        redisReaderFree(c->rd);
    free(c->out);
    free(c);
}

/* ---- commands and replies ------------------------------------------------- */

int xm_rconn_append(struct xm_rconn *c, int argc, const char **argv, const size_t *lens)
{
    char *cmd = NULL;
    int n = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (n < 0 || !cmd)
        return -1;
    if (c->out_n + (size_t)n > c->out_cap) {
        size_t cap = (c->out_n + (size_t)n) * 2;
        char *p = realloc(c->out, cap);
        if (!p) {
            free(cmd);
            return -1;
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_n, cmd, (size_t)n);
    c->out_n += (size_t)n;
    free(cmd);
    return 0;
}

/* Writes n bytes of p: 0, or -1 (c failed). */
static int rc_write(struct xm_rconn *c, const char *p, size_t n)
{
    char why[200];
    while (n > 0) {
        errno = 0;
        ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int)(n > 1u << 30 ? 1u << 30 : n))
                           : send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && !c->ssl && errno == EINTR)
            continue;
        if (w <= 0) {
            rc_fail(c, "write", c->ssl ? rc_ssl_why(c, why, sizeof why) :
                                 strerror(errno ? errno : EIO));
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads what arrives into the reader; 0, or -1 (c failed). */
static int rc_read(struct xm_rconn *c)
{
    char buf[RC_READ], why[200];
    for (;;) {
        errno = 0;
        ssize_t r = c->ssl ? SSL_read(c->ssl, buf, sizeof buf) : recv(c->fd, buf, sizeof buf, 0);
        if (r < 0 && !c->ssl && errno == EINTR)
            continue;
        if (r <= 0) {
            rc_fail(c, "read", c->ssl ? rc_ssl_why(c, why, sizeof why) :
                               r == 0 ? "connection closed" : strerror(errno));
            return -1;
        }
        if (redisReaderFeed(c->rd, buf, (size_t)r) != REDIS_OK) {
            rc_fail(c, "read", "out of memory");
            return -1;
        }
        return 0;
    }
}

int xm_rconn_reply(struct xm_rconn *c, void **reply)
{
    *reply = NULL;
    if (c->failed)
        return -1;
    if (c->out_n > 0) {
        int w = rc_write(c, c->out, c->out_n);
        c->out_n = 0;
        if (w != 0)
            return -1;
    }
    for (;;) {
        if (redisReaderGetReply(c->rd, reply) != REDIS_OK) {
            rc_fail(c, "protocol", c->rd->errstr[0] ? c->rd->errstr : "bad reply");
            return -1;
        }
        if (*reply)
            return 0;
        if (rc_read(c) != 0)
            return -1;
    }
}

void *xm_rconn_cmd(struct xm_rconn *c, int argc, const char **argv, const size_t *lens)
{
    void *r = NULL;
    if (xm_rconn_append(c, argc, argv, lens) != 0 || xm_rconn_reply(c, &r) != 0)
        return NULL;
    return r;
}

bool xm_rconn_failed(const struct xm_rconn *c) { return c->failed; }

const char *xm_rconn_error(const struct xm_rconn *c) { return c->err; }
