/*
 * outq.c - the byte queue and write-error episodes shared by the sinks
 * (output/sink.h).  Calls nothing of output/.
 */
#include "sink.h"
#include "xm_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- byte queue ---------------------------------------------------- */

int buf_init(struct out_buf *b, size_t cap)
{
    b->p = malloc(cap);
    b->cap = cap;
    b->head = b->tail = 0;
    return b->p ? 0 : -1;
}

void buf_free(struct out_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

size_t buf_pending(const struct out_buf *b) { return b->tail - b->head; }

/* Moves pending bytes to the front so the free space is contiguous. */
static void buf_compact(struct out_buf *b)
{
    if (b->head == 0)
        return;
    memmove(b->p, b->p + b->head, buf_pending(b));
    b->tail -= b->head;
    b->head = 0;
}

size_t buf_room(struct out_buf *b)
{
    buf_compact(b);
    return b->cap - b->tail;
}

uint64_t count_lines(const char *p, size_t n)
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
int buf_drain(struct out_buf *b, int fd, bool sock, uint64_t *lines,
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

void out_error(struct out *o, int err)
{
    o->st.errors++;
    if (o->failing)
        return;
    o->failing = true;
    o->fail_errno = err;
    xm_err("%s: write failed: %s; %llu records dropped so far",
           o->path, strerror(err), (unsigned long long)o->st.dropped);
}

void out_recovered(struct out *o)
{
    if (!o->failing)
        return;
    o->failing = false;
    xm_info("%s: writing again; %llu records dropped so far",
            o->path, (unsigned long long)o->st.dropped);
}
