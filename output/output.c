/*
 * output.c - JSON-lines outputs (include/xm_out.h).
 *
 * Kinds, chosen by the spec given to out_open():
 *   "-"              standard output
 *   "syslog[:IDENT]" RFC 5424 messages to the local syslog socket
 *                    (/dev/log, datagram then stream); when no syslog
 *                    daemon listens the same lines go to standard error
 *   "unix:PATH"      a listening Unix stream socket; every connected
 *                    reader follows the JSON lines from the moment it
 *                    connected
 *   anything else    a file, opened O_APPEND|O_CREAT, mode 0640
 *
 * Queues (all allocated at open or accept, never per record):
 *   file/stdout, blocking (replay): 64 KiB buffer, written by a write(2)
 *     loop whenever the next record does not fit; nothing is dropped
 *     unless the write itself fails.
 *   file/stdout, live: 8 MiB queue, written when it passes 64 KiB and on
 *     out_flush(); a record that does not fit is dropped and counted.
 *   syslog: one datagram per record, sent at once; in live mode with
 *     MSG_DONTWAIT, so a full syslog socket drops (counted).
 *   unix: up to OUT_MAX_CLIENTS readers, 1 MiB queue each; a slow reader
 *     loses the records that do not fit in its queue (counted as dropped),
 *     a reader that hung up is closed.
 *
 * Write errors (ENOSPC, EIO, ...) are counted and reported on standard
 * error once per episode, naming the output; the unwritten bytes stay
 * queued and the write is retried on the next flush.
 *
 * Reopen errors (SIGHUP after logrotate; EACCES on a directory the user
 * cannot write): reported once per episode with the file and errno,
 * counted; records keep going to the previous file, and every later
 * flush (the live 1-second tick) tries the reopen again.
 *
 * Health: an output is failing from a write or reopen error until a write
 * or the reopen succeeds; out_health() names the failing ones (/healthz).
 */
#include "xm_out.h"
#include "xm_common.h"
#include "xm_log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "out_int.h"

/* Every open output, newest first (metrics, health, out_chown_all). */
struct out *out_registry;
static const char *out_syslog_path = "/dev/log";

void out_set_syslog_path(const char *path)
{
    out_syslog_path = path ? path : "/dev/log";
}

/* ---- byte queue ---------------------------------------------------- */

static int buf_init(struct out_buf *b, size_t cap)
{
    b->p = malloc(cap);
    b->cap = cap;
    b->head = b->tail = 0;
    return b->p ? 0 : -1;
}

static void buf_free(struct out_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static size_t buf_pending(const struct out_buf *b) { return b->tail - b->head; }

/* Moves pending bytes to the front so the free space is contiguous. */
static void buf_compact(struct out_buf *b)
{
    if (b->head == 0)
        return;
    memmove(b->p, b->p + b->head, buf_pending(b));
    b->tail -= b->head;
    b->head = 0;
}

static size_t buf_room(struct out_buf *b)
{
    buf_compact(b);
    return b->cap - b->tail;
}

static uint64_t count_lines(const char *p, size_t n)
{
    uint64_t c = 0;
    const char *end = p + n;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

/*
 * Writes pending bytes of b to fd.  Returns 0 when everything went out,
 * 1 when the descriptor would block, -1 on an error (errno kept).
 * *lines gets the number of complete records written.
 */
static int buf_drain(struct out_buf *b, int fd, bool sock, uint64_t *lines,
                     uint64_t *bytes)
{
    while (buf_pending(b) > 0) {
        const char *p = b->p + b->head;
        size_t n = buf_pending(b);
        ssize_t w = sock ? send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL)
                         : write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        *lines += count_lines(p, (size_t)w);
        *bytes += (uint64_t)w;
        b->head += (size_t)w;
    }
    b->head = b->tail = 0;
    return 0;
}

/* ---- errors ---------------------------------------------------------- */

static void out_error(struct out *o, int err)
{
    o->st.errors++;
    if (o->failing)
        return;
    o->failing = true;
    o->fail_errno = err;
    xm_err("%s: write failed: %s; %llu records dropped so far",
           o->path, strerror(err), (unsigned long long)o->st.dropped);
}

static void out_recovered(struct out *o)
{
    if (!o->failing)
        return;
    o->failing = false;
    xm_info("%s: writing again; %llu records dropped so far",
            o->path, (unsigned long long)o->st.dropped);
}

/* ---- file and stdout --------------------------------------------------- */

static int file_open(struct out *o, char *err, size_t errlen)
{
    /* Live: O_NONBLOCK so a FIFO never stalls the capture (no effect on
     * regular files). */
    int fl = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (o->blocking ? 0 : O_NONBLOCK);
    o->fd = open(o->path, fl, 0640);
    if (o->fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", o->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Live stdout into a pipe or socket must not block the capture. */
static void stdout_setup(struct out *o)
{
    struct stat sb;
    o->fd = STDOUT_FILENO;
    if (o->blocking || fstat(o->fd, &sb) != 0)
        return;
    if (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) {
        int fl = fcntl(o->fd, F_GETFL);
        if (fl >= 0 && !(fl & O_NONBLOCK) && fcntl(o->fd, F_SETFL, fl | O_NONBLOCK) == 0)
            o->stdout_fl = fl;          /* restored by out_close */
    }
}

static int file_flush(struct out *o)
{
    uint64_t lines = 0;
    int rc = buf_drain(&o->buf, o->fd, false, &lines, &o->st.bytes);
    o->st.written += lines;
    if (rc < 0) {
        out_error(o, errno);
        return -1;
    }
    if (lines)
        out_recovered(o);
    return 0;
}

/* Serialises rec plus '\n' into the free space of b; returns bytes used,
 * 0 when it does not fit, (size_t)-1 when jansson cannot serialise it. */
static size_t dump_into(const json_t *rec, struct out_buf *b)
{
    size_t room = buf_room(b);
    if (room < 2)
        return 0;
    size_t n = json_dumpb(rec, b->p + b->tail, room - 1, JSON_COMPACT);
    if (n == 0)
        return (size_t)-1;
    if (n > room - 1)
        return 0;
    b->p[b->tail + n] = '\n';
    b->tail += n + 1;
    return n + 1;
}

/* A record bigger than the whole replay buffer is written on its own. */
static void file_write_big(struct out *o, const json_t *rec)
{
    char *s = json_dumps(rec, JSON_COMPACT);
    size_t n = s ? strlen(s) : 0;
    struct out_buf tmp = { s, n + 1, 0, n + 1 };
    if (!s || file_flush(o) != 0) {
        o->st.dropped++;
        free(s);
        return;
    }
    s[n] = '\n';
    uint64_t lines = 0;
    if (buf_drain(&tmp, o->fd, false, &lines, &o->st.bytes) != 0) {
        out_error(o, errno);
        o->st.dropped++;
    }
    o->st.written += lines;
    free(s);
}

static void file_write(struct out *o, const json_t *rec)
{
    size_t n = dump_into(rec, &o->buf);
    if (n == 0 && (o->blocking || buf_pending(&o->buf) > 0)) {
        /* Full: make room (live: only if the descriptor takes it now). */
        (void)file_flush(o);
        n = dump_into(rec, &o->buf);
    }
    if (n == 0 && o->blocking && buf_pending(&o->buf) == 0) {
        file_write_big(o, rec);
        return;
    }
    if (n == 0 || n == (size_t)-1) {
        o->st.dropped++;
        return;
    }
    if (!o->blocking && buf_pending(&o->buf) >= OUT_LIVE_KICK)
        (void)file_flush(o);
}

/* Opens o->path again and swaps it in; on failure the previous file
 * stays in use.  Returns 0, or -1 with errno set. */
static int file_swap(struct out *o, char *err, size_t errlen)
{
    int old = o->fd;
    if (file_open(o, err, errlen) != 0) {
        int e = errno;
        o->fd = old;                    /* keep writing to the old file */
        errno = e;
        return -1;
    }
    close(old);
    return 0;
}

/* One failed reopen: counted; reported once per episode. */
static void reopen_failed(struct out *o, int e)
{
    o->st.open_errors++;
    if (o->reopen_errno)
        return;
    o->reopen_errno = e;
    xm_err("%s: reopen failed: %s; still writing to the previous file, retrying every "
           "second", o->path, strerror(e));
}

/* Live flush: a pending reopen is tried again first. */
static void reopen_retry(struct out *o)
{
    char err[256];
    if (!o->reopen_errno)
        return;
    if (file_swap(o, err, sizeof err) != 0) {
        reopen_failed(o, errno);
        return;
    }
    xm_info("%s: reopened after %s", o->path, strerror(o->reopen_errno));
    o->reopen_errno = 0;
}

/* ---- syslog (RFC 5424) -------------------------------------------------- */

static int syslog_try(struct out *o, int type)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(out_syslog_path) >= sizeof sa.sun_path)
        return -1;
    strcpy(sa.sun_path, out_syslog_path);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    o->fd = fd;
    o->sock_stream = type == SOCK_STREAM;
    return 0;
}

/* Datagram first (the usual /dev/log), then stream; else stderr. */
static void syslog_connect(struct out *o)
{
    if (o->fd > STDERR_FILENO)
        close(o->fd);
    o->fd = -1;
    if (syslog_try(o, SOCK_DGRAM) == 0 || syslog_try(o, SOCK_STREAM) == 0)
        return;
    o->fd = STDERR_FILENO;
    o->sock_stream = false;
}

static int syslog_open(struct out *o, const char *spec, char *err, size_t errlen)
{
    const char *ident = spec[6] == ':' && spec[7] ? spec + 7 : "exfilmon";
    o->ident = strndup(ident, 48);      /* RFC 5424 APP-NAME: 1*48 */
    o->scratch = malloc(OUT_SCRATCH);
    if (!o->ident || !o->scratch) {
        snprintf(err, errlen, "%s: out of memory", spec);
        return -1;
    }
    for (char *c = o->ident; *c; c++)
        if (*c <= ' ' || *c > '~')
            *c = '_';
    if (gethostname(o->host, sizeof o->host - 1) != 0 || !o->host[0])
        strcpy(o->host, "-");
    syslog_connect(o);
    return 0;
}

/* MSGID: the record's event_type if it is printable ASCII (1*32). */
static const char *syslog_msgid(const json_t *rec)
{
    const char *t = json_string_value(json_object_get(rec, "event_type"));
    if (!t || !*t || strlen(t) > 32)
        return "-";
    for (const char *c = t; *c; c++)
        if (*c <= ' ' || *c > '~')
            return "-";
    return t;
}

/* "<PRI>1 TIMESTAMP HOST APP PROCID MSGID - " with a UTC wall-clock
 * timestamp (RFC 5424 section 6); facility daemon (3), severity warning
 * (4) for alerts and informational (6) for everything else. */
static int syslog_header(const struct out *o, const char *msgid, char *h, size_t n)
{
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    int pri = 3 * 8 + (strcmp(msgid, "alert") == 0 ? 4 : 6);
    return snprintf(h, n, "<%d>1 %s.%06ldZ %s %s %ld %s - ", pri, when,
                    ts.tv_nsec / 1000, o->host, o->ident, (long)getpid(), msgid);
}

static ssize_t syslog_send(struct out *o, const char *m, size_t n)
{
    int fl = MSG_NOSIGNAL | (o->blocking ? 0 : MSG_DONTWAIT);
    if (o->fd == STDERR_FILENO)
        return write(o->fd, m, n);
    ssize_t w = send(o->fd, m, n, fl);
    if (w < 0 && (errno == ECONNREFUSED || errno == ENOTCONN || errno == EPIPE)) {
        syslog_connect(o);      /* the syslog daemon restarted */
        w = o->fd == STDERR_FILENO ? write(o->fd, m, n) : send(o->fd, m, n, fl);
    }
    return w;
}

static void syslog_write(struct out *o, const json_t *rec)
{
    int h = syslog_header(o, syslog_msgid(rec), o->scratch, OUT_SYSLOG_HDR);
    size_t room = OUT_SCRATCH - (size_t)h - 1;
    size_t n = json_dumpb(rec, o->scratch + h, room, JSON_COMPACT);
    if (h < 0 || n == 0 || n > room) {
        o->st.dropped++;
        return;
    }
    size_t len = (size_t)h + n;
    if (o->sock_stream || o->fd == STDERR_FILENO)
        o->scratch[len++] = '\n';       /* stream framing: LF (RFC 6587) */
    ssize_t w = syslog_send(o, o->scratch, len);
    if (w == (ssize_t)len) {
        o->st.written++;
        o->st.bytes += len;
        out_recovered(o);
        return;
    }
    o->st.dropped++;
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        out_error(o, errno);
}

/* ---- unix socket --------------------------------------------------------- */

static int unix_open(struct out *o, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat sb;
    if (strlen(o->path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "unix:%s: socket path too long", o->path);
        return -1;
    }
    strcpy(sa.sun_path, o->path);
    if (lstat(o->path, &sb) == 0 && !S_ISSOCK(sb.st_mode)) {
        snprintf(err, errlen, "unix:%s: exists and is not a socket", o->path);
        return -1;
    }
    (void)unlink(o->path);              /* a stale socket of an earlier run */
    o->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (o->fd < 0 || bind(o->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        chmod(o->path, 0660) != 0 || listen(o->fd, OUT_MAX_CLIENTS) != 0) {
        snprintf(err, errlen, "unix:%s: %s", o->path, strerror(errno));
        return -1;
    }
    o->scratch = malloc(OUT_SCRATCH);
    if (!o->scratch) {
        snprintf(err, errlen, "unix:%s: out of memory", o->path);
        return -1;
    }
    return 0;
}

static void client_close(struct out_client *c)
{
    close(c->fd);
    c->fd = -1;
    buf_free(&c->q);
}

/* Accepts every waiting reader; readers beyond the cap are refused. */
static void unix_accept(struct out *o)
{
    for (;;) {
        int fd = accept4(o->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct out_client *c = NULL;
        for (size_t i = 0; i < OUT_MAX_CLIENTS && !c; i++)
            if (o->cl[i].fd < 0)
                c = &o->cl[i];
        if (!c || buf_init(&c->q, OUT_CLIENT_BUF) != 0) {
            close(fd);
            o->st.clients_refused++;
            continue;
        }
        c->fd = fd;
        o->st.clients++;
    }
}

/* A reader that hung up reads as EOF; anything it sends is discarded. */
static bool client_gone(struct out_client *c)
{
    char junk[256];
    for (;;) {
        ssize_t r = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
        if (r > 0)
            continue;
        return r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
}

static void client_drop(struct out *o, struct out_client *c)
{
    o->st.dropped += count_lines(c->q.p + c->q.head, buf_pending(&c->q));
    client_close(c);
    o->st.clients--;
}

static void client_send(struct out *o, struct out_client *c)
{
    uint64_t lines = 0;
    int rc = buf_drain(&c->q, c->fd, true, &lines, &o->st.bytes);
    o->st.written += lines;
    if (rc < 0)
        client_drop(o, c);
}

static int unix_flush(struct out *o)
{
    unix_accept(o);
    for (size_t i = 0; i < OUT_MAX_CLIENTS; i++) {
        struct out_client *c = &o->cl[i];
        if (c->fd < 0)
            continue;
        if (client_gone(c))
            client_drop(o, c);
        else
            client_send(o, c);
    }
    return 0;
}

static void unix_write(struct out *o, const json_t *rec)
{
    size_t n = json_dumpb(rec, o->scratch, OUT_SCRATCH - 1, JSON_COMPACT);
    if (n == 0 || n > OUT_SCRATCH - 1) {
        o->st.dropped++;
        return;
    }
    o->scratch[n++] = '\n';
    for (size_t i = 0; i < OUT_MAX_CLIENTS; i++) {
        struct out_client *c = &o->cl[i];
        if (c->fd < 0)
            continue;
        if (buf_room(&c->q) < n)
            client_send(o, c);
        if (c->fd < 0 || buf_room(&c->q) < n) {
            o->st.dropped++;            /* this reader is too slow */
            continue;
        }
        memcpy(c->q.p + c->q.tail, o->scratch, n);
        c->q.tail += n;
    }
}

/* ---- public API ---------------------------------------------------------- */

static void registry_add(struct out *o)
{
    o->next_ = out_registry;
    out_registry = o;
}

static void registry_del(struct out *o)
{
    for (struct out **pp = &out_registry; *pp; pp = &(*pp)->next_)
        if (*pp == o) {
            *pp = o->next_;
            return;
        }
}

static enum out_kind spec_kind(const char *spec)
{
    if (strcmp(spec, "-") == 0)
        return OUT_STDOUT;
    if (strcmp(spec, "syslog") == 0 || strncmp(spec, "syslog:", 7) == 0)
        return OUT_SYSLOG;
    if (strncmp(spec, "unix:", 5) == 0)
        return OUT_UNIX;
    return OUT_FILE;
}

static int out_open_kind(struct out *o, const char *spec, char *err, size_t errlen)
{
    switch (o->kind) {
    case OUT_STDOUT:
        stdout_setup(o);
        return buf_init(&o->buf, o->blocking ? OUT_BLOCK_BUF : OUT_LIVE_BUF);
    case OUT_FILE:
        if (buf_init(&o->buf, o->blocking ? OUT_BLOCK_BUF : OUT_LIVE_BUF) != 0) {
            snprintf(err, errlen, "%s: out of memory", spec);
            return -1;
        }
        return file_open(o, err, errlen);
    case OUT_SYSLOG:
        return syslog_open(o, spec, err, errlen);
    case OUT_UNIX:
        return unix_open(o, err, errlen);
    }
    return -1;
}

struct out *out_open(const char *path, bool blocking, char *err, size_t errlen)
{
    struct out *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    o->kind = spec_kind(path);
    o->blocking = blocking;
    o->fd = -1;
    o->stdout_fl = -1;
    for (size_t i = 0; i < OUT_MAX_CLIENTS; i++)
        o->cl[i].fd = -1;
    o->path = strdup(o->kind == OUT_UNIX ? path + 5 : path);
    if (!o->path || out_open_kind(o, path, err, errlen) != 0) {
        if (!o->path)
            snprintf(err, errlen, "%s: out of memory", path);
        out_close(o);
        return NULL;
    }
    registry_add(o);
    return o;
}

void out_write(struct out *o, json_t *rec)
{
    if (!o || !rec) {
        json_decref(rec);
        return;
    }
    o->st.records++;
    switch (o->kind) {
    case OUT_FILE:
    case OUT_STDOUT:
        file_write(o, rec);
        break;
    case OUT_SYSLOG:
        syslog_write(o, rec);
        break;
    case OUT_UNIX:
        unix_write(o, rec);
        break;
    }
    json_decref(rec);
}

int out_flush(struct out *o)
{
    if (!o)
        return 0;
    if (o->kind == OUT_UNIX)
        return unix_flush(o);
    if (o->kind == OUT_SYSLOG)
        return 0;
    if (o->kind == OUT_FILE)
        reopen_retry(o);
    return file_flush(o);
}

int out_reopen(struct out *o, char *err, size_t errlen)
{
    if (!o)
        return 0;
    if (o->kind == OUT_SYSLOG)
        syslog_connect(o);
    if (o->kind != OUT_FILE)
        return 0;
    (void)file_flush(o);                /* what is queued belongs to the old file */
    if (file_swap(o, err, errlen) != 0) {
        int e = errno;
        reopen_failed(o, e);            /* reported there, once per episode */
        snprintf(err, errlen, "%s: reopen failed: %s", o->path, strerror(e));
        return -1;
    }
    o->reopen_errno = 0;
    return 0;
}

const struct out_stats *out_get_stats(const struct out *o)
{
    return &o->st;
}

const char *out_path(const struct out *o)
{
    return o->path;
}

/* Live descriptors are non-blocking: at close, wait for them to take
 * the rest, but at most OUT_CLOSE_WAIT_MS in all (a stuck pipe reader
 * must not hang the shutdown).  What is left is counted as dropped. */
static void out_final_flush(struct out *o)
{
    if ((o->kind != OUT_FILE && o->kind != OUT_STDOUT) || o->fd < 0)
        return;
    int waited = 0;
    while (file_flush(o) == 0 && buf_pending(&o->buf) > 0 && waited < OUT_CLOSE_WAIT_MS) {
        struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };
        if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
            break;
        waited += 100;
    }
    o->st.dropped += count_lines(o->buf.p + o->buf.head, buf_pending(&o->buf));
    o->buf.head = o->buf.tail = 0;
    if (o->stdout_fl >= 0)
        (void)fcntl(o->fd, F_SETFL, o->stdout_fl);
}

/* Unix readers get one last non-blocking send; the rest is dropped. */
static void out_close_clients(struct out *o)
{
    for (size_t i = 0; i < OUT_MAX_CLIENTS; i++) {
        if (o->cl[i].fd < 0)
            continue;
        client_send(o, &o->cl[i]);
        if (o->cl[i].fd >= 0)
            client_drop(o, &o->cl[i]);
    }
}

void out_close(struct out *o)
{
    if (!o)
        return;
    registry_del(o);
    out_final_flush(o);
    out_close_clients(o);
    if (o->fd > STDERR_FILENO)
        close(o->fd);
    if (o->kind == OUT_UNIX && o->fd >= 0)
        (void)unlink(o->path);
    buf_free(&o->buf);
    free(o->scratch);
    free(o->ident);
    free(o->path);
    free(o);
}

/* Hands every open file and socket path to the user the daemon is about
 * to become, so SIGHUP can reopen them after the privilege drop. */
int out_chown_all(uid_t uid, gid_t gid)
{
    int rc = 0;
    for (const struct out *o = out_registry; o; o = o->next_) {
        if (o->kind == OUT_FILE && fchown(o->fd, uid, gid) != 0)
            rc = -1;
        if (o->kind == OUT_UNIX && chown(o->path, uid, gid) != 0)
            rc = -1;
    }
    return rc;
}
