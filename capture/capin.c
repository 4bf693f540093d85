/*
 * capin.c - counted, buffered byte input (see include/xm_capin.h).
 *
 * Descriptor mode reads with read(2) into one CAPIN_BUF buffer allocated
 * at open; nothing is allocated afterwards.  The stdio view is a glibc
 * fopencookie stream with stdio's own buffer (unbuffered, glibc would call
 * the read hook once per byte).  Its seek hook answers only "where am I"
 * (offset 0 from SEEK_CUR, or SEEK_SET to that same place) with `off`, so
 * ftello() on the view returns `off` minus what stdio holds unread: the
 * exact count its user consumed, with no system call, also on a pipe.
 */
#include "xm_capin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int capin_open_fd(struct capin *in, int fd, bool own_fd)
{
    memset(in, 0, sizeof *in);
    in->fd = fd;
    in->own_fd = own_fd;
    in->buf = malloc(CAPIN_BUF);
    in->p = in->buf;
    return in->buf ? 0 : -1;
}

void capin_open_mem(struct capin *in, const uint8_t *p, size_t n)
{
    memset(in, 0, sizeof *in);
    in->fd = -1;
    in->p = p;
    in->end = p ? n : 0;
    in->eof = true;
}

/* Moves the unread bytes to the front and reads once more behind them.
 * Returns bytes added (0 at end of file or on error). */
static size_t capin_fill(struct capin *in)
{
    if (in->fd < 0 || in->eof || in->err)
        return 0;
    size_t left = in->end - in->pos;
    if (in->pos > 0 && left > 0)
        memmove(in->buf, in->buf + in->pos, left);
    in->pos = 0;
    in->end = left;
    ssize_t n;
    do
        n = read(in->fd, in->buf + in->end, CAPIN_BUF - in->end);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        in->err = errno ? errno : EIO;
    else if (n == 0)
        in->eof = true;
    else
        in->end += (size_t)n;
    return n > 0 ? (size_t)n : 0;
}

size_t capin_peek(struct capin *in, size_t n, const uint8_t **p)
{
    if (n > CAPIN_BUF)
        n = CAPIN_BUF;
    while (in->end - in->pos < n && capin_fill(in) > 0)
        ;
    *p = in->p + in->pos;
    size_t have = in->end - in->pos;
    return have < n ? have : n;
}

size_t capin_read(struct capin *in, void *dst, size_t n)
{
    size_t got = 0;
    while (got < n) {
        if (in->pos == in->end && capin_fill(in) == 0)
            break;
        size_t k = in->end - in->pos;
        if (k > n - got)
            k = n - got;
        memcpy((uint8_t *)dst + got, in->p + in->pos, k);
        in->pos += k;
        got += k;
    }
    in->off += got;
    return got;
}

static ssize_t capin_cookie_read(void *c, char *b, size_t n)
{
    struct capin *in = c;
    size_t got = capin_read(in, b, n);
    if (got == 0 && in->err) {
        errno = in->err;
        return -1;
    }
    return (ssize_t)got;
}

static int capin_cookie_seek(void *c, off64_t *pos, int whence)
{
    struct capin *in = c;
    bool here = (whence == SEEK_CUR && *pos == 0) ||
                (whence == SEEK_SET && *pos >= 0 && (uint64_t)*pos == in->off);
    if (!here) {
        errno = ESPIPE;             /* a capin only goes forward */
        return -1;
    }
    *pos = (off64_t)in->off;
    return 0;
}

static int capin_cookie_close(void *c)
{
    (void)c;            /* the capin outlives its stdio view */
    return 0;
}

FILE *capin_stdio(struct capin *in)
{
    cookie_io_functions_t io = {.read = capin_cookie_read, .seek = capin_cookie_seek,
                                .close = capin_cookie_close};
    return fopencookie(in, "rb", io);
}

void capin_close(struct capin *in)
{
    if (in->own_fd && in->fd >= 0)
        close(in->fd);
    free(in->buf);
    memset(in, 0, sizeof *in);
    in->fd = -1;
}
