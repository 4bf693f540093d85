/*
 * sink_file.c - the file sink (any other spec: a path opened
 * O_APPEND|O_CREAT, mode 0640, reopened for logrotate) and standard
 * output ("-").  Queues, as described in output.c: replay 64 KiB written
 * whenever the next record does not fit (nothing dropped unless the write
 * fails); live 8 MiB, written past 64 KiB and on flush, a record that does
 * not fit is dropped and counted.
 */
#include "sink.h"
#include "xm_log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Copies the record s (n bytes) plus '\n' into the free space of b;
 * false when it does not fit. */
static bool copy_into(struct out_buf *b, const char *s, size_t n)
{
    if (buf_room(b) < n + 1)
        return false;
    memcpy(b->p + b->tail, s, n);
    b->p[b->tail + n] = '\n';
    b->tail += n + 1;
    return true;
}

/* A record bigger than the whole replay buffer is written on its own:
 * the queue first, then the text, then its newline. */
static void file_write_big(struct out *o, const char *s, size_t n)
{
    struct out_buf text = { (char *)s, n, 0, n }, nl = { (char *)"\n", 1, 0, 1 };
    uint64_t lines = 0;
    if (file_flush(o) != 0) {
        o->st.dropped++;
        return;
    }
    if (buf_drain(&text, o->fd, false, &lines, &o->st.bytes) != 0 ||
        buf_drain(&nl, o->fd, false, &lines, &o->st.bytes) != 0) {
        out_error(o, errno);
        o->st.dropped++;
    }
    o->st.written += lines;
}

static void file_write(struct out *o, const char *type, const char *key, const char *s,
                 size_t n)
{
    bool ok = copy_into(&o->buf, s, n);
    if (!ok && (o->blocking || buf_pending(&o->buf) > 0)) {
        /* Full: make room (live: only if the descriptor takes it now). */
        (void)file_flush(o);
        ok = copy_into(&o->buf, s, n);
    }
    if (!ok && o->blocking && buf_pending(&o->buf) == 0) {
        file_write_big(o, s, n);
        return;
    }
    if (!ok) {
        o->st.dropped++;
        return;
    }
    if (!o->blocking && buf_pending(&o->buf) >= OUT_LIVE_KICK)
        (void)file_flush(o);
}

/* Live descriptors are non-blocking: at close, wait for them to take
 * the rest, but at most OUT_CLOSE_WAIT_MS in all (a stuck pipe reader
 * must not hang the shutdown).  What is left is counted as dropped. */
static void out_final_flush(struct out *o)
{
    if (o->fd < 0)
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

static int file_sink_open(struct out *o, const char *spec, char *err, size_t errlen)
{
    if (buf_init(&o->buf, o->blocking ? OUT_BLOCK_BUF : OUT_LIVE_BUF) != 0) {
        snprintf(err, errlen, "%s: out of memory", spec);
        return -1;
    }
    return file_open(o, err, errlen);
}

static int stdout_sink_open(struct out *o, const char *spec, char *err, size_t errlen)
{
    stdout_setup(o);
    return buf_init(&o->buf, o->blocking ? OUT_BLOCK_BUF : OUT_LIVE_BUF);
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

static int file_sink_flush(struct out *o)
{
    reopen_retry(o);
    return file_flush(o);
}

static int file_reopen(struct out *o, char *err, size_t errlen)
{
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

static int file_chown(const struct out *o, uid_t uid, gid_t gid)
{
    return fchown(o->fd, uid, gid);
}

static bool stdout_claims(const char *spec) { return strcmp(spec, "-") == 0; }
static bool file_claims(const char *spec) { return true; }

const struct out_sink out_sink_stdout = {
    .kind = "stdout", .claims = stdout_claims, .open = stdout_sink_open,
    .write = file_write, .flush = file_flush, .close = out_final_flush,
};

const struct out_sink out_sink_file = {
    .kind = "file", .claims = file_claims, .open = file_sink_open, .write = file_write,
    .flush = file_sink_flush, .reopen = file_reopen, .close = out_final_flush, .chown = file_chown,
};
