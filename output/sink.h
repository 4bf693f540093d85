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

#include <pthread.h>
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
    struct netq *netq;      /* network sinks: their sender (in priv), or NULL */
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

/* ---- netq.c: a network sink's sender thread (redis, webhook) ---------- */

/* The worker appends "lines" to o->buf (netq_put); the sender thread
 * takes them from the head (netq_peek), does the I/O through send() and
 * removes what was delivered or refused for good (netq_pop).  q->mu
 * guards o->buf and every field below; o->st and o->failing stay the
 * worker's (netq_sync copies the sender's counters into them).  Owned by
 * the sink's priv; netq_stop() joins the thread before priv is freed. */
struct netq {
    pthread_mutex_t mu;
    pthread_cond_t work;        /* sender waits: kicked or stop */
    pthread_cond_t room;        /* worker waits (blocking): room, or broker down */
    pthread_t th;
    bool started, stop, kicked;
    bool up;                    /* connected and the last send succeeded */
    bool failing;               /* inside an outage (logged once) */
    int fail_errno;
    size_t kick;                /* wake the sender once this many bytes wait */
    uint64_t until_ms;          /* stop: give up sending at this monotonic ms */
    uint64_t written, bytes, errors, refused, refused_seen;
    /* One step on the sender thread: sends some of the queue; 0 after
     * progress, -1 when the broker is down or backing off. */
    int (*send)(struct out *o);
};

/* Starts o's sender (up: the broker answered at open); 0 or -1. */
int netq_start(struct out *o, struct netq *q, int (*send)(struct out *), size_t kick,
               bool up);
/* Worker: appends the line p (n bytes, '\n' included); false when it
 * does not fit (the caller counts the drop).  Blocking mode waits for
 * room while the broker is up (the replay rule in netq.c). */
bool netq_put(struct out *o, const char *p, size_t n);
/* Sender: copies whole lines from the head, at most cap bytes and
 * max_lines lines, into dst; the bytes copied (*lines: how many). */
size_t netq_peek(struct out *o, char *dst, size_t cap, size_t max_lines, size_t *lines);
/* Sender: removes bytes from the head: written records (wbytes bytes)
 * delivered, refused ones dropped for good. */
void netq_pop(struct out *o, size_t bytes, uint64_t written, uint64_t wbytes,
              uint64_t refused);
/* Sender: an outage starts or goes on (logged once, with why, or
 * strerror(err) when why is NULL) / delivery works. */
void netq_fail(struct out *o, int err, const char *why);
void netq_ok(struct out *o);
/* Sender: whether close is waiting for the queue to empty (retry now,
 * not after the backoff). */
bool netq_stopping(struct out *o);
/* Worker: copies the sender's counters into o->st, wakes it if anything
 * waits; true when the broker is up. */
bool netq_sync(struct out *o);
/* Worker at close: lets the sender try for up to wait_ms more, joins it,
 * syncs; returns the records still queued (the caller drops them). */
uint64_t netq_stop(struct out *o, uint64_t wait_ms);

#endif
