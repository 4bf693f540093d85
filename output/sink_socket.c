/*
 * sink_socket.c - "unix:PATH": a listening Unix stream socket; every
 * connected reader follows the JSON lines from the moment it connected.
 * Up to OUT_MAX_CLIENTS readers, 1 MiB queue each; a slow reader loses
 * the records that do not fit in its queue (counted as dropped), a reader
 * that hung up is closed.
 */
#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- unix socket --------------------------------------------------------- */

static int unix_open(struct out *o, const char *spec, char *err, size_t errlen)
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

static void unix_write(struct out *o, const char *type, const char *key, const char *s,
                 size_t len)
{
    size_t n = len;
    if (n > OUT_SCRATCH - 1) {
        o->st.dropped++;
        return;
    }
    memcpy(o->scratch, s, n);
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

static void unix_close(struct out *o)
{
    out_close_clients(o);
    if (o->fd >= 0)
        (void)unlink(o->path);
}

static int unix_chown(const struct out *o, uid_t uid, gid_t gid)
{
    return chown(o->path, uid, gid);
}

static bool unix_claims(const char *spec) { return strncmp(spec, "unix:", 5) == 0; }

const struct out_sink out_sink_unix = {
    .kind = "unix", .prefix = 5, .claims = unix_claims, .open = unix_open,
    .write = unix_write, .flush = unix_flush, .close = unix_close, .chown = unix_chown,
};
