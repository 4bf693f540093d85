/*
 * sink.h - what the sinks of output/ share (private to output/): the
 * struct out every sink fills, the byte queue, error episodes, and the
 * table row a sink provides (struct out_sink).
 *
 * A sink is one file output/sink_X.c defining one `const struct
 * out_sink out_sink_X` and one row in output.c's out_sinks[] table; the
 * generic part (output.c) never switches on the kind.  Calls go
 * output.c -> sink_*.c -> outq.c only.
 *
 * Ownership: struct out owns its path, queue, scratch buffer, text
 * buffer (txt), syslog identity and descriptors; out_close() frees them after the sink's
 * close operation ran.
 */
#ifndef OUTPUT_SINK_H
#define OUTPUT_SINK_H

#include "xm_out.h"
#include "xm_common.h"
#include "xm_evew.h"

#include <stddef.h>
#include <sys/types.h>

#define OUT_BLOCK_BUF   (64u * 1024u)        /* replay buffer, bytes */
#define OUT_LIVE_BUF    (8u * 1024u * 1024u) /* live queue, bytes */
#define OUT_LIVE_KICK   (64u * 1024u)        /* live: write once this much waits */
#define OUT_CLIENT_BUF  (1024u * 1024u)      /* per unix reader, bytes */
#define OUT_MAX_CLIENTS 16
#define OUT_SCRATCH     (256u * 1024u)       /* largest syslog/unix record */
#define OUT_RECORD_MAX  (64u * 1024u * 1024u) /* largest record out_write serialises */
#define OUT_SYSLOG_HDR  512u                 /* room for the RFC 5424 header */
#define OUT_CLOSE_WAIT_MS 5000               /* longest wait for a live fd at close */

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
    const struct out_sink *sink;
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
    struct evew txt;        /* out_write's serialisation, reused */
    void *priv;             /* network sinks' own state; their close frees it */
    struct out *next_;      /* registry of open outputs (metrics) */
};

struct out_sink {
    const char *kind;        /* metrics label: "file", "stdout", ... */
    size_t prefix;           /* bytes of the spec before the path ("unix:" 5) */
    /* Whether the spec names this sink (the table is tried in order; the
     * last row takes anything). */
    bool (*claims)(const char *spec);
    /* Opens o (o->path, o->blocking set); fills err on failure (o is then
     * closed by the caller). */
    int (*open)(struct out *o, const char *spec, char *err, size_t errlen);
    /* Queues or sends one record: s is its compact JSON text, n bytes,
     * no newline; type its event_type, key its local host ("" when
     * unknown; the Kafka message key).  All stay the caller's (copied
     * when kept). */
    void (*write)(struct out *o, const char *type, const char *key, const char *s,
                  size_t n);
    /* Writes out what is queued; NULL: nothing is ever queued. */
    int (*flush)(struct out *o);
    /* After logrotate or a daemon restart; NULL: nothing to do. */
    int (*reopen)(struct out *o, char *err, size_t errlen);
    /* Last words before out_close() closes o->fd and frees o; may be NULL. */
    void (*close)(struct out *o);
    /* Hands what it created to uid:gid (privilege drop); NULL: nothing. */
    int (*chown)(const struct out *o, uid_t uid, gid_t gid);
    /* Syntax of the spec only (--check); NULL: nothing to check. */
    int (*check)(const char *spec, char *err, size_t errlen);
};

extern const struct out_sink out_sink_stdout, out_sink_syslog, out_sink_unix,
    out_sink_redis, out_sink_webhook, out_sink_kafka, out_sink_file;

/* Open outputs, newest first, linked by next_ (output.c adds and removes;
 * out_report.c reads them for /metrics and /healthz). */
extern struct out *out_registry;

/* ---- outq.c: byte queue and write-error episodes ---------------------- */

int buf_init(struct out_buf *b, size_t cap);
void buf_free(struct out_buf *b);
size_t buf_pending(const struct out_buf *b);
/* Free bytes after moving the pending ones to the front. */
size_t buf_room(struct out_buf *b);
uint64_t count_lines(const char *p, size_t n);
/* Writes pending bytes of b to fd: 0 all out, 1 would block, -1 error
 * (errno kept); *lines gets the complete records written. */
int buf_drain(struct out_buf *b, int fd, bool sock, uint64_t *lines, uint64_t *bytes);
/* Counts a write error and reports it once per episode on stderr. */
void out_error(struct out *o, int err);
/* Ends an error episode (reported once). */
void out_recovered(struct out *o);

/* ---- outnet.c: what the network sinks (redis, webhook) share ---------- */

/* Monotonic milliseconds (retry schedules; never written to records). */
uint64_t net_now_ms(void);
/* Exponential backoff: *delay_ms doubles from 500 ms up to 30 s. */
void net_backoff(uint64_t *next_ms, uint64_t *delay_ms);
/* Splits "[user[:pass]@]host[:port]" (port default dport; flags as
 * xm_url_authority's, include/xm_url.h) into the caller's buffers; 0, or
 * -1 with err filled. */
int net_authority(const char *s, size_t n, int flags, char *user, size_t ul, char *pass,
                  size_t pl, char *host, size_t hl, int *port, int dport, char *err,
                  size_t errlen);
/* Logs once how many records an episode dropped (the caller resets). */
void net_log_drops(struct out *o, uint64_t *episode_drops, const char *when);
/* The closing summary line: records, delivered, dropped. */
void net_summary(const struct out *o);

#endif
