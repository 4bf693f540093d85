/*
 * xm_rconn.h - a blocking Redis connection over TCP or TLS (lib/rconn.c)
 * for the --redis sink and --site-redis: commands are formatted with
 * hiredis's redisFormatCommandArgv and replies parsed by hiredis's
 * redisReader, so both transports share the reply handling; the bytes
 * go through a plain socket or an OpenSSL session (Debian's hiredis
 * 0.14 has no TLS).  Connect, send and receive each give up after the
 * timeout given at connect.
 *
 * URL options (both flags): "rediss://" or tls=1 turns TLS on;
 * cacert=FILE verifies the server against that CA file (PEM) instead of
 * the system's store; insecure=1 skips certificate verification (the
 * session is encrypted but the server unauthenticated: tests and
 * throw-away set-ups only).  The server name or address of the URL is
 * checked against the certificate unless insecure.
 *
 * Ownership: the caller owns a struct xm_rconn (xm_rconn_free) and each
 * reply it gets (freeReplyObject).
 */
#ifndef XM_RCONN_H
#define XM_RCONN_H

#include <stdbool.h>
#include <stddef.h>

struct xm_rtls {
    bool on;                    /* rediss:// or tls=1 */
    bool insecure;              /* insecure=1: no certificate verification */
    char cacert[1024];          /* cacert=FILE, "" = the system's store */
};

struct xm_rconn;

/* One URL option key=val: 1 when it is a TLS option and valid, 0 when
 * key is not a TLS option, -1 when it is one with a bad value. */
int xm_rtls_opt(struct xm_rtls *t, const char *key, const char *val);
/* The TLS options together (--check and open): cacert needs TLS and must
 * be readable; 0, or -1 with err ("cacert FILE: reason"). */
int xm_rtls_check(const struct xm_rtls *t, char *err, size_t errlen);

/* Connects (and with t->on completes the TLS handshake, verifying the
 * server); NULL with err filled ("connect: ...", "TLS: ..."). */
struct xm_rconn *xm_rconn_connect(const char *host, int port, const struct xm_rtls *t,
                                  int timeout_ms, char *err, size_t errlen);
void xm_rconn_free(struct xm_rconn *c);

/* Queues one command (argv of argc strings, lens their lengths, NULL:
 * strlen) for the next xm_rconn_reply; 0 or -1 (no memory). */
int xm_rconn_append(struct xm_rconn *c, int argc, const char **argv, const size_t *lens);
/* Sends what is queued, then reads one reply into *reply (a redisReply,
 * the caller's); 0, or -1 when the connection failed (xm_rconn_error). */
int xm_rconn_reply(struct xm_rconn *c, void **reply);
/* append + reply; the reply, or NULL when the connection failed. */
void *xm_rconn_cmd(struct xm_rconn *c, int argc, const char **argv, const size_t *lens);
/* Whether the connection failed, and why ("" while it works). */
bool xm_rconn_failed(const struct xm_rconn *c);
const char *xm_rconn_error(const struct xm_rconn *c);

#endif
