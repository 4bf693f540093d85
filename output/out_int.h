/*
 * out_int.h - what output/output.c and output/out_report.c share: the
 * struct behind struct out (include/xm_out.h), its queues and the
 * registry of open outputs.  Owned by output.c (out_open/out_close);
 * out_report.c only reads it.
 */
#ifndef XM_OUT_INT_H
#define XM_OUT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "xm_out.h"

#define OUT_BLOCK_BUF   (64u * 1024u)        /* replay buffer, bytes */
#define OUT_LIVE_BUF    (8u * 1024u * 1024u) /* live queue, bytes */
#define OUT_LIVE_KICK   (64u * 1024u)        /* live: write once this much waits */
#define OUT_CLIENT_BUF  (1024u * 1024u)      /* per unix reader, bytes */
#define OUT_MAX_CLIENTS 16
#define OUT_SCRATCH     (256u * 1024u)       /* largest syslog/unix record */
#define OUT_SYSLOG_HDR  512u                 /* room for the RFC 5424 header */
#define OUT_CLOSE_WAIT_MS 5000               /* longest wait for a live fd at close */

enum out_kind { OUT_FILE, OUT_STDOUT, OUT_SYSLOG, OUT_UNIX };

/* Pending bytes are p[head, tail); cap bytes allocated. */
struct out_buf {
    char *p;
    size_t cap, head, tail;
};

struct out_client {
    int fd;                 /* -1 = free slot */
    struct out_buf q;
};

struct out {
    enum out_kind kind;
    bool blocking;
    bool failing;           /* inside a write-error episode */
    int fail_errno;         /* errno of that episode's first error */
    int reopen_errno;       /* != 0: reopen pending, failed with this */
    bool sock_stream;       /* syslog over a stream socket */
    int stdout_fl;          /* stdout's flags before O_NONBLOCK; -1 = untouched */
    int fd;                 /* file, stdout, syslog socket or listener */
    char *path;             /* file or socket path; display name */
    char *ident;            /* syslog APP-NAME */
    char host[256];         /* syslog HOSTNAME */
    struct out_buf buf;     /* file/stdout queue */
    char *scratch;          /* syslog/unix serialisation, OUT_SCRATCH */
    struct out_client cl[OUT_MAX_CLIENTS];
    struct out_stats st;
    struct out *next_;      /* registry of open outputs (metrics) */
};

/* Open outputs, newest first, linked by next_ (output.c adds and
 * removes). */
extern struct out *out_registry;

#endif
