/*
 * xm_reader.h - the reader thread (src/reader.c): reads a packet source
 * (xm_source.h) and decodes every frame (dec_packet_reason) on its own
 * thread, and hands the decoded frames to ONE consumer thread (the
 * pipeline's) through a lock-free single-producer/single-consumer ring of
 * batches.
 *
 * Bytes: a decoded frame is a struct xm_pkt whose l4_payload points into
 * its batch's own arena: the reader copies the captured L4 payload there
 * (at most l4_caplen bytes, so at most the snaplen; RDR_ARENA bytes of one
 * frame's payload at most, which only a pcapng jumbogram over 512 KiB
 * could exceed), because libpcap's buffer is reused by the next read.
 * Nothing else of the frame is kept: the stages after the decoder read
 * only the descriptor and the payload.
 *
 * Order: frames come out exactly in the order src_next() gave them, with
 * src_next()'s error messages in place between them (an entry with msg
 * set), so a consumer that logs the messages as it meets them prints the
 * same lines, at the same place, as a single-threaded loop.
 *
 * Ownership: the reader borrows the source, which must outlive it and is
 * touched by no other thread between rdr_start() and rdr_join().  A batch
 * returned by rdr_next() belongs to the consumer until rdr_release().
 */
#ifndef XM_READER_H
#define XM_READER_H

#include <pcap/pcap.h>

#include "xm_common.h"
#include "xm_pkt.h"
#include "xm_source.h"

#define RDR_BATCH 256               /* frames per batch */
#define RDR_SLOTS 8                 /* batches in the ring */
#define RDR_ARENA (512u * 1024u)    /* payload bytes per batch */

/* One entry: a decoded frame, or (msg != NULL) a source error message. */
struct rdr_pkt {
    struct xm_pkt pkt;              /* pkt.ts is the capture time as read */
    const char *msg;                /* src_error() text, in the arena */
    uint32_t fh;                    /* consumer's scratch (flow hash) */
    uint8_t why;                    /* enum dec_reason of the decode */
};

/* Why a batch is the last one (rdr_batch.end). */
enum {
    RDR_MORE = 0,                   /* not the last */
    RDR_END_INPUT,                  /* every input read (live: capture ended) */
    RDR_END_COUNT,                  /* --count frames read */
    RDR_END_STOP,                   /* rdr_stop(): what the kernel held was read */
};

struct rdr_batch {
    uint32_t n;                     /* entries in d[] */
    uint32_t used;                  /* arena bytes used */
    int end;                        /* RDR_MORE or RDR_END_* */
    xm_time_t first_ts;             /* capture time of the first frame */
    struct rdr_pkt d[RDR_BATCH];
    uint8_t arena[RDR_ARENA];
};

struct rdr_opts {
    uint64_t count;                 /* frames to read, 0 = all (--count) */
    bool live;                      /* publish partial batches when idle,
                                       wake the consumer through rdr_wake_fd(),
                                       poll pcap_stats about once a second */
    /* Called on the reader thread every 65536 frames (may be NULL). */
    void (*progress)(void *ctx, uint64_t frames);
    void *progress_ctx;
};

/* Kernel counters of a live source, widened to 64 bits (pcap_stats). */
struct rdr_cap_stats {
    uint64_t received, kernel_drops, iface_drops;
};

struct rdr;

/* Allocates the ring (RDR_SLOTS batches, about 4.7 MiB of address
 * space, touched only as used).  Returns NULL with err filled. */
struct rdr *rdr_new(struct src *s, const struct rdr_opts *o, char *err, size_t errlen);
/* Starts the thread with every signal blocked in it.  0 or -1 (errno). */
int rdr_start(struct rdr *r);
/* Consumer: the next published batch, or NULL when none is ready and
 * !wait.  With wait, blocks (briefly spinning, then sleeping) until one is.
 * After a batch with end != RDR_MORE there is none. */
struct rdr_batch *rdr_next(struct rdr *r, bool wait);
/* Consumer: hands the batch rdr_next() returned back to the reader. */
void rdr_release(struct rdr *r);
/* Live: asks the reader to read what the kernel still holds, then end
 * with RDR_END_STOP.  Any thread. */
void rdr_stop(struct rdr *r);
/* Waits for the thread to end (after its last batch was taken). */
void rdr_join(struct rdr *r);
/* Live: an eventfd that becomes readable when a batch is published;
 * rdr_ack_wake() empties it.  -1 in replay. */
int rdr_wake_fd(const struct rdr *r);
void rdr_ack_wake(struct rdr *r);
/* Live: kernel counters as of the reader's last poll (any thread). */
void rdr_cap_stats(const struct rdr *r, struct rdr_cap_stats *st);
void rdr_free(struct rdr *r);

#endif
