/*
 * netq.c - the sender thread of a network sink (sink_redis.c,
 * sink_webhook.c; output/sink.h "netq").  The worker (the thread calling
 * out_write) only appends lines to the sink's bounded byte queue o->buf;
 * one sender thread per sink takes them from its head and does the
 * network I/O, so a down or slow broker never blocks capture.
 *
 * Locking: q->mu guards o->buf (the worker appends and compacts, the
 * sender copies from the head and pops), q->up, q->kicked, q->stop and
 * the sender's counters.  o->st and o->failing are only touched by the
 * worker: netq_sync() copies the sender's counters into them (each
 * flush tick and at close), so /metrics is at most one tick behind and
 * the closing summary is exact.
 *
 * Blocking (replay) rule: a record that finds the queue full waits for
 * the sender while the broker is up (connected, last send succeeded);
 * while it is down the record is dropped and counted at once, so replay
 * never stalls on a dead broker and never drops while a live one keeps
 * up (a broker up, or down, for the whole replay gives the same counts
 * whatever the scheduling).  Live mode never waits.
 */
#include "sink.h"

#include "xm_log.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define NETQ_RETRY_MS 100u          /* sender's poll while the broker is down */

/* Absolute CLOCK_REALTIME deadline ms from now (pthread_cond_timedwait). */
static struct timespec netq_deadline(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000u);
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* The sender: drains the queue while anything is pending, then sleeps
 * until kicked; after a failed step retries every NETQ_RETRY_MS (the
 * sink's own backoff decides when it really reconnects).  At stop it
 * keeps trying until the queue is empty or q->until_ms passed. */
static void *netq_main(void *arg)
{
    struct out *o = arg;
    struct netq *q = o->netq;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (buf_pending(&o->buf) == 0) {
            if (q->stop)
                break;
            while (!q->kicked && !q->stop)
                pthread_cond_wait(&q->work, &q->mu);
            q->kicked = false;
            continue;
        }
        if (q->stop && net_now_ms() >= q->until_ms)
            break;
        pthread_mutex_unlock(&q->mu);
        int rc = q->send(o);
        pthread_mutex_lock(&q->mu);
        if (rc < 0) {
            struct timespec ts = netq_deadline(NETQ_RETRY_MS);
            (void)pthread_cond_timedwait(&q->work, &q->mu, &ts);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int netq_start(struct out *o, struct netq *q, int (*send)(struct out *), size_t kick,
               bool up)
{
    memset(q, 0, sizeof *q);
    q->send = send;
    q->kick = kick;
    q->up = up;
    o->netq = q;
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&q->work, NULL) != 0 || pthread_cond_init(&q->room, NULL) != 0 ||
        pthread_create(&q->th, NULL, netq_main, o) != 0)
        return -1;
    q->started = true;
    return 0;
}

/* Wakes the sender (q->mu held). */
static void netq_kick_locked(struct netq *q)
{
    q->kicked = true;
    pthread_cond_signal(&q->work);
}

/* Room for n bytes at the tail, moving the pending bytes to the front
 * only when the tail lacks room (a move per append would copy the whole
 * queue per record once it is long). */
static bool netq_fits(struct out_buf *b, size_t n)
{
    return b->cap - b->tail >= n || buf_room(b) >= n;
}

bool netq_put(struct out *o, const char *p, size_t n)
{
    struct netq *q = o->netq;
    struct out_buf *b = &o->buf;
    pthread_mutex_lock(&q->mu);
    if (!netq_fits(b, n) && o->blocking) {
        /* wait until a quarter of the queue is free, not just n bytes:
         * fewer wake-ups and moves while the sender catches up */
        size_t want = n > b->cap / 4 ? n : b->cap / 4;
        netq_kick_locked(q);
        while (b->cap - buf_pending(b) < want && buf_pending(b) > 0 && q->up)
            pthread_cond_wait(&q->room, &q->mu);
    }
    bool ok = netq_fits(b, n);
    if (ok) {
        memcpy(b->p + b->tail, p, n);
        b->tail += n;
        if (buf_pending(b) >= q->kick && !q->kicked)
            netq_kick_locked(q);
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

size_t netq_peek(struct out *o, char *dst, size_t cap, size_t max_lines, size_t *lines)
{
    struct netq *q = o->netq;
    size_t off = 0;
    *lines = 0;
    pthread_mutex_lock(&q->mu);
    const char *p = o->buf.p + o->buf.head;
    size_t left = buf_pending(&o->buf);
    while (*lines < max_lines && off < left) {
        const char *nl = memchr(p + off, '\n', left - off);
        size_t len = (size_t)(nl + 1 - (p + off));
        if (off + len > cap)
            break;
        off += len;
        (*lines)++;
    }
    memcpy(dst, p, off);
    pthread_mutex_unlock(&q->mu);
    return off;
}

void netq_pop(struct out *o, size_t bytes, uint64_t written, uint64_t wbytes,
              uint64_t refused)
{
    struct netq *q = o->netq;
    pthread_mutex_lock(&q->mu);
    o->buf.head += bytes;
    if (buf_pending(&o->buf) == 0)
        o->buf.head = o->buf.tail = 0;
    q->written += written;
    q->bytes += wbytes;
    q->refused += refused;
    pthread_cond_broadcast(&q->room);
    pthread_mutex_unlock(&q->mu);
}

void netq_fail(struct out *o, int err, const char *why)
{
    struct netq *q = o->netq;
    pthread_mutex_lock(&q->mu);
    q->errors++;
    q->up = false;
    bool first = !q->failing;
    q->failing = true;
    q->fail_errno = err;
    pthread_cond_broadcast(&q->room);
    pthread_mutex_unlock(&q->mu);
    if (first)
        xm_err("%s: write failed: %s; records wait in the queue", o->path,
               why && *why ? why : strerror(err));
}

void netq_ok(struct out *o)
{
    struct netq *q = o->netq;
    pthread_mutex_lock(&q->mu);
    bool was = q->failing;
    q->up = true;
    q->failing = false;
    pthread_mutex_unlock(&q->mu);
    if (was)
        xm_info("%s: writing again", o->path);
}

bool netq_stopping(struct out *o)
{
    struct netq *q = o->netq;
    pthread_mutex_lock(&q->mu);
    bool stop = q->stop;
    pthread_mutex_unlock(&q->mu);
    return stop;
}

bool netq_sync(struct out *o)
{
    struct netq *q = o->netq;
    pthread_mutex_lock(&q->mu);
    o->st.written = q->written;
    o->st.bytes = q->bytes;
    o->st.errors = q->errors;
    o->st.dropped += q->refused - q->refused_seen;
    q->refused_seen = q->refused;
    o->failing = q->failing;
    o->fail_errno = q->fail_errno;
    bool up = !q->failing;
    if (buf_pending(&o->buf) > 0)
        netq_kick_locked(q);
    pthread_mutex_unlock(&q->mu);
    return up;
}

uint64_t netq_stop(struct out *o, uint64_t wait_ms)
{
    struct netq *q = o->netq;
    if (!q || !q->started)
        return o->buf.p ? count_lines(o->buf.p + o->buf.head, buf_pending(&o->buf)) : 0;
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    q->until_ms = net_now_ms() + wait_ms;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    q->started = false;
    (void)netq_sync(o);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->room);
    pthread_mutex_destroy(&q->mu);
    return count_lines(o->buf.p + o->buf.head, buf_pending(&o->buf));
}
