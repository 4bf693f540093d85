/*
 * sink_syslog.c - "syslog[:IDENT]": RFC 5424 messages to the local syslog
 * socket (/dev/log, datagram then stream); when no syslog daemon listens
 * the same lines go to standard error.  One message per record, sent at
 * once; in live mode with MSG_DONTWAIT, so a full socket drops (counted).
 */
#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *out_syslog_path = "/dev/log";

void out_set_syslog_path(const char *path)
{
    out_syslog_path = path ? path : "/dev/log";
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
static const char *syslog_msgid(const char *t)
{
    if (!*t || strlen(t) > 32)
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

static void syslog_write(struct out *o, const char *type, const char *key, const char *s,
                 size_t n)
{
    int h = syslog_header(o, syslog_msgid(type), o->scratch, OUT_SYSLOG_HDR);
    if (h < 0 || n > OUT_SCRATCH - (size_t)h - 1) {
        o->st.dropped++;
        return;
    }
    memcpy(o->scratch + h, s, n);
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

static int syslog_reopen(struct out *o, char *err, size_t errlen)
{
    syslog_connect(o);
    return 0;
}

static bool syslog_claims(const char *spec)
{
    return strcmp(spec, "syslog") == 0 || strncmp(spec, "syslog:", 7) == 0;
}

const struct out_sink out_sink_syslog = {
    .kind = "syslog", .claims = syslog_claims, .open = syslog_open,
    .write = syslog_write, .reopen = syslog_reopen,
};
