/*
 * reader.c - the reader thread and its ring of batches (see
 * include/xm_reader.h).
 *
 * The ring: RDR_SLOTS preallocated batches and two counters, `head`
 * (batches published; written only by the reader) and `tail` (batches
 * released; written only by the consumer), each on its own cache line so
 * the two threads do not share a line they write.  Batch i lives in slot
 * i % RDR_SLOTS.  The reader fills slot head % RDR_SLOTS while
 * head - tail < RDR_SLOTS, then stores head + 1 with release order; the
 * consumer loads head with acquire order, so everything written into the
 * batch before the store is visible to it; the same pairing on tail hands
 * the slot back.  No lock on this path: one atomic store per batch side.
 *
 * Waiting: a side that finds the ring empty (consumer) or full (reader)
 * spins RDR_SPIN times, then sets its `sleeping` flag and sleeps in
 * futex(2) on the other side's counter, for as long as it still holds the
 * value it last saw (the kernel compares atomically, so a store between
 * our check and the sleep makes futex return at once).  The other side
 * checks the flag after each store and wakes it: the consumer only once
 * the ring is at most half full (RDR_WAKE_AT), so a reader that outruns
 * the pipeline is woken once per RDR_SLOTS / 2 batches, not per batch.
 * Flags and counters are sequentially consistent, so either the waker
 * sees the flag or the sleeper sees the new counter: no lost wake-up, and
 * no lock anywhere (a lock held by a preempted thread would stall the
 * other on a busy machine).
 *
 * Live: the reader publishes a partial batch whenever the source has
 * nothing, writes the eventfd on every publish (the consumer's libevent
 * loop watches it), waits in poll(2) on the capture descriptor for at most
 * RDR_POLL_MS so rdr_stop() is seen, and reads pcap_stats() about once a
 * second (the only thread touching the pcap handle).
 */
#include "xm_reader.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RDR_SPIN 64                 /* empty/full checks before sleeping */
#define RDR_WAKE_AT (RDR_SLOTS / 2) /* wake a sleeping reader at this fill */
_Static_assert((RDR_SLOTS & (RDR_SLOTS - 1)) == 0, "slot index = counter % RDR_SLOTS across wrap");
#define RDR_POLL_MS 100             /* live: longest wait for the stop flag */
#define RDR_PROGRESS_MASK 0xffffu   /* progress callback every 65536 frames */
#define RDR_DRAIN_MAX (1u << 22)    /* frames read after rdr_stop(), at most */

struct rdr_side {                   /* one side's counter and sleep flag */
    _Alignas(64) atomic_uint n;     /* 32 bits: the futex word; wraps */
    atomic_bool sleeping;
};

struct rdr {
    struct rdr_side head;           /* batches published (reader) */
    struct rdr_side tail;           /* batches released (consumer) */
    _Alignas(64) struct src *s;     /* reader-private from here... */
    struct rdr_opts o;
    struct rdr_batch *cur;          /* batch being filled */
    uint64_t frames;                /* frames read */
    uint64_t drained;               /* frames read after the stop request */
    struct timespec next_stats;     /* live: next pcap_stats poll */
    struct pcap_stat last;          /* live: previous pcap_stats reading */
    _Alignas(64) struct rdr_batch *ring;
    atomic_bool stop;
    atomic_uint_fast64_t cap[3];    /* received, kernel drops, iface drops */
    int efd;                        /* live: eventfd, else -1 */
    pthread_t th;
    bool started, joined;
    bool c_done;                    /* consumer released the last batch */
};

/* ---- waiting --------------------------------------------------------- */

static bool rdr_has_batch(struct rdr *r)
{
    return atomic_load(&r->head.n) != atomic_load_explicit(&r->tail.n, memory_order_relaxed);
}

static bool rdr_has_room(struct rdr *r)
{
    return atomic_load_explicit(&r->head.n, memory_order_relaxed) -
           atomic_load(&r->tail.n) < RDR_SLOTS;
}

static void rdr_futex(atomic_uint *w, int op, unsigned v)
{
    (void)syscall(SYS_futex, (unsigned *)w, op, v, NULL, NULL, 0);
}

/* Returns once ready(r): spins, then sleeps on the other side's counter. */
static void rdr_wait(struct rdr_side *me, struct rdr_side *other, struct rdr *r,
                     bool (*ready)(struct rdr *))
{
    for (int i = 0; i < RDR_SPIN; i++)
        if (ready(r))
            return;
    atomic_store(&me->sleeping, true);
    for (;;) {
        unsigned seen = atomic_load(&other->n);
        if (ready(r))
            break;
        rdr_futex(&other->n, FUTEX_WAIT_PRIVATE, seen);
    }
    atomic_store(&me->sleeping, false);
}

/* Stores a side's new counter; wakes the other side if it sleeps and
 * (wake_at) the ring holds at most that many batches. */
static void rdr_advance(struct rdr *r, struct rdr_side *me, struct rdr_side *other,
                        unsigned wake_at)
{
    atomic_fetch_add(&me->n, 1);    /* seq_cst: release for the batch too */
    if (!atomic_load(&other->sleeping))
        return;
    if (atomic_load(&r->head.n) - atomic_load(&r->tail.n) <= wake_at)
        rdr_futex(&me->n, FUTEX_WAKE_PRIVATE, INT_MAX);
}

/* ---- the reader side ------------------------------------------------- */

/* The next empty slot (waits while the ring is full). */
static struct rdr_batch *rdr_slot(struct rdr *r)
{
    if (!rdr_has_room(r))
        rdr_wait(&r->head, &r->tail, r, rdr_has_room);
    unsigned h = atomic_load_explicit(&r->head.n, memory_order_relaxed);
    struct rdr_batch *b = &r->ring[h % RDR_SLOTS];
    b->n = b->used = 0;
    b->end = RDR_MORE;
    return b;
}

/* Publishes the current batch and starts the next one. */
static void rdr_publish(struct rdr *r, int end)
{
    r->cur->end = end;
    rdr_advance(r, &r->head, &r->tail, RDR_SLOTS);
    if (r->efd >= 0)
        (void)eventfd_write(r->efd, 1);
    r->cur = end == RDR_MORE ? rdr_slot(r) : NULL;
}

/* Room for one more entry with `bytes` of arena; publishes if not. */
static struct rdr_batch *rdr_room(struct rdr *r, uint32_t bytes)
{
    struct rdr_batch *b = r->cur;
    if (b->n == RDR_BATCH || bytes > RDR_ARENA - b->used) {
        rdr_publish(r, RDR_MORE);
        b = r->cur;
    }
    return b;
}

/* Copies the decoded frame's payload into the arena (at most RDR_ARENA). */
static void rdr_keep_payload(struct rdr_batch *b, struct xm_pkt *p)
{
    uint32_t n = p->l4_payload ? p->l4_caplen : 0;
    if (n > RDR_ARENA)
        n = p->l4_caplen = RDR_ARENA;
    if (n)
        memcpy(b->arena + b->used, p->l4_payload, n);
    p->l4_payload = n ? b->arena + b->used : NULL;
    b->used += n;
}

/* Decodes one frame into the current batch.  The payload bound is the
 * frame's captured length, known before decoding. */
static void rdr_add_frame(struct rdr *r, const struct src_pkt *sp)
{
    uint32_t need = sp->caplen < RDR_ARENA ? sp->caplen : RDR_ARENA;
    struct rdr_batch *b = rdr_room(r, need);
    struct rdr_pkt *d = &b->d[b->n];
    d->msg = NULL;
    d->why = (uint8_t)dec_packet_reason(sp->dlt, sp->ts, sp->data, sp->caplen, sp->wirelen,
                                        &d->pkt);
    if (d->why == DR_NONE)
        rdr_keep_payload(b, &d->pkt);
    if (b->n++ == 0)
        b->first_ts = sp->ts;
    if ((++r->frames & RDR_PROGRESS_MASK) == 0 && r->o.progress)
        r->o.progress(r->o.progress_ctx, r->frames);
}

/* Puts src_error()'s text in place as an entry with msg set. */
static void rdr_add_error(struct rdr *r)
{
    const char *e = src_error(r->s);
    uint32_t len = (uint32_t)strnlen(e, 1023);
    struct rdr_batch *b = rdr_room(r, len + 1);
    struct rdr_pkt *d = &b->d[b->n];
    char *m = (char *)b->arena + b->used;
    memcpy(m, e, len);
    m[len] = '\0';
    b->used += len + 1;
    d->msg = m;
    d->why = DR_NONE;
    if (b->n++ == 0)
        b->first_ts = 0;
}

/* Live: widens libpcap's 32-bit counters (adds the wrapping difference). */
static void rdr_poll_stats(struct rdr *r)
{
    struct pcap_stat ps;
    if (src_live_stats(r->s, &ps) != 0)
        return;
    atomic_fetch_add(&r->cap[0], (uint32_t)(ps.ps_recv - r->last.ps_recv));
    atomic_fetch_add(&r->cap[1], (uint32_t)(ps.ps_drop - r->last.ps_drop));
    atomic_fetch_add(&r->cap[2], (uint32_t)(ps.ps_ifdrop - r->last.ps_ifdrop));
    r->last = ps;
}

/* Live: polls the kernel counters when a second has passed. */
static void rdr_maybe_stats(struct rdr *r)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec < r->next_stats.tv_sec ||
        (now.tv_sec == r->next_stats.tv_sec && now.tv_nsec < r->next_stats.tv_nsec))
        return;
    rdr_poll_stats(r);
    r->next_stats = now;
    r->next_stats.tv_sec++;
}

/* Live, nothing to read: hand over what we have, then wait for the
 * capture descriptor (or RDR_POLL_MS).  Returns RDR_END_STOP when the
 * stop was requested and the kernel had nothing more. */
static int rdr_idle(struct rdr *r)
{
    if (atomic_load(&r->stop))
        return RDR_END_STOP;
    if (r->cur->n)
        rdr_publish(r, RDR_MORE);
    rdr_maybe_stats(r);
    struct pollfd pfd = {.fd = src_fd(r->s), .events = POLLIN};
    if (pfd.fd >= 0)
        (void)poll(&pfd, 1, RDR_POLL_MS);
    return RDR_MORE;
}

/* Reads one src_next() result into the batch; returns RDR_MORE or why
 * reading ends. */
static int rdr_step(struct rdr *r)
{
    struct src_pkt sp;
    if (r->o.count && r->frames >= r->o.count)
        return RDR_END_COUNT;
    if (atomic_load_explicit(&r->stop, memory_order_relaxed) &&
        (!r->o.live || ++r->drained > RDR_DRAIN_MAX))
        return RDR_END_STOP;
    switch (src_next(r->s, &sp)) {
    case SRC_PKT:
        rdr_add_frame(r, &sp);
        return RDR_MORE;
    case SRC_ERR:
        rdr_add_error(r);
        return RDR_MORE;
    case SRC_NONE:
        return r->o.live ? rdr_idle(r) : RDR_MORE;
    default:
        return RDR_END_INPUT;
    }
}

static void *rdr_main(void *arg)
{
    struct rdr *r = arg;
    int end;
    (void)pthread_setname_np(pthread_self(), "exfilmon-read");  /* top, perf */
    r->cur = rdr_slot(r);
    if (r->o.live)
        rdr_poll_stats(r);
    while ((end = rdr_step(r)) == RDR_MORE)
        if (r->o.live)
            rdr_maybe_stats(r);
    if (r->o.live)
        rdr_poll_stats(r);
    rdr_publish(r, end);
    return NULL;
}

/* ---- the consumer side ----------------------------------------------- */

struct rdr_batch *rdr_next(struct rdr *r, bool wait)
{
    if (!rdr_has_batch(r)) {
        if (!wait)
            return NULL;
        rdr_wait(&r->tail, &r->head, r, rdr_has_batch);
    }
    unsigned t = atomic_load_explicit(&r->tail.n, memory_order_relaxed);
    return &r->ring[t % RDR_SLOTS];
}

void rdr_release(struct rdr *r)
{
    unsigned t = atomic_load_explicit(&r->tail.n, memory_order_relaxed);
    if (r->ring[t % RDR_SLOTS].end != RDR_MORE)
        r->c_done = true;
    rdr_advance(r, &r->tail, &r->head, RDR_WAKE_AT);
}

/* ---- set-up ---------------------------------------------------------- */

struct rdr *rdr_new(struct src *s, const struct rdr_opts *o, char *err, size_t errlen)
{
    struct rdr *r = aligned_alloc(64, sizeof *r);
    if (r) {
        memset(r, 0, sizeof *r);
        r->ring = aligned_alloc(64, RDR_SLOTS * sizeof *r->ring);
    }
    if (!r || !r->ring) {
        snprintf(err, errlen, "out of memory for the reader ring");
        rdr_free(r);
        return NULL;
    }
    r->s = s;
    r->o = *o;
    atomic_init(&r->head.n, 0);
    atomic_init(&r->tail.n, 0);
    atomic_init(&r->stop, false);
    r->efd = o->live ? eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) : -1;
    if (o->live && r->efd < 0) {
        snprintf(err, errlen, "cannot create the reader's eventfd: %s", strerror(errno));
        rdr_free(r);
        return NULL;
    }
    return r;
}

int rdr_start(struct rdr *r)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);   /* signals go to the loop */
    int rc = pthread_create(&r->th, NULL, rdr_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    r->started = true;
    return 0;
}

void rdr_stop(struct rdr *r)
{
    atomic_store(&r->stop, true);
}

void rdr_join(struct rdr *r)
{
    if (r->started && !r->joined)
        pthread_join(r->th, NULL);
    r->joined = true;
}

int rdr_wake_fd(const struct rdr *r) { return r->efd; }

void rdr_ack_wake(struct rdr *r)
{
    eventfd_t v;
    (void)eventfd_read(r->efd, &v);
}

void rdr_cap_stats(const struct rdr *r, struct rdr_cap_stats *st)
{
    st->received = atomic_load(&r->cap[0]);
    st->kernel_drops = atomic_load(&r->cap[1]);
    st->iface_drops = atomic_load(&r->cap[2]);
}

void rdr_free(struct rdr *r)
{
    if (!r)
        return;
    if (r->started && !r->joined) {
        rdr_stop(r);            /* take batches until the last, then join */
        while (!r->c_done) {
            (void)rdr_next(r, true);
            rdr_release(r);
        }
        rdr_join(r);
    }
    if (r->efd >= 0)
        close(r->efd);
    free(r->ring);
    free(r);
}
