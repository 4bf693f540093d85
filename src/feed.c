/*
 * feed.c - hands a reader batch (include/xm_reader.h) to the pipeline
 * (see include/xm_feed.h), prefetching ahead: the descriptor and flow
 * bucket FEED_FAR entries ahead, the flow slot and payload FEED_NEAR
 * ahead, the rule keys the flow points at FEED_RULE ahead (for a packet
 * that will create its flow, or whose host+destination key was probably
 * evicted, the probe-index slots of the keys it will look up by hash:
 * pipe_prefetch_rules), so the cache misses of the next packets overlap
 * the work on this one.  Entries are fed strictly in order.
 */
#include "xm_feed.h"

#define FEED_FAR 8      /* entries ahead: descriptor read, bucket prefetch */
#define FEED_NEAR 4     /* entries ahead: slot and payload prefetch */
#define FEED_RULE 2     /* entries ahead: the flow's rule keys (slot read) */

/* Stage 0 for entry i: hash its flow key, prefetch the bucket.  The
 * hash is handed on to the flow table (pipe_decoded_hashed), which then
 * does not hash the key again. */
static void feed_far(const struct xm_pipeline *pl, struct rdr_batch *b, uint32_t i)
{
    struct rdr_pkt *d = &b->d[i];
    d->fh = 0;
    if (!d->msg && d->why == DR_NONE) {
        d->fh = pipe_flow_hash(pl, &d->pkt);
        pipe_prefetch(pl, d->fh, 0);
    }
}

/* Stage 1 for entry i: the flow slot and the payload. */
static void feed_near(const struct xm_pipeline *pl, const struct rdr_batch *b, uint32_t i)
{
    const struct rdr_pkt *d = &b->d[i];
    if (!d->fh)
        return;
    pipe_prefetch(pl, d->fh, 1);
    if (d->pkt.l4_payload)
        __builtin_prefetch(d->pkt.l4_payload);
}

/* Stage 2 for entry i: the rule-key lines its flow points at. */
static void feed_rule(const struct xm_pipeline *pl, const struct rdr_batch *b, uint32_t i)
{
    const struct rdr_pkt *d = &b->d[i];
    if (d->fh)
        pipe_prefetch_rules(pl, &d->pkt, d->fh);
}

uint32_t feed_batch(struct xm_pipeline *pl, struct rdr_batch *b, uint32_t from, uint32_t max,
                    void (*on_msg)(void *ctx, const char *msg), void *ctx)
{
    uint32_t end = b->n - from < max ? b->n : from + max;
    for (uint32_t j = from; j < end && j < from + FEED_FAR; j++)
        feed_far(pl, b, j);
    for (uint32_t j = from; j < end && j < from + FEED_NEAR; j++)
        feed_near(pl, b, j);
    for (uint32_t j = from; j < end && j < from + FEED_RULE; j++)
        feed_rule(pl, b, j);
    for (uint32_t i = from; i < end; i++) {
        if (i + FEED_FAR < end)
            feed_far(pl, b, i + FEED_FAR);
        if (i + FEED_NEAR < end)
            feed_near(pl, b, i + FEED_NEAR);
        if (i + FEED_RULE < end)
            feed_rule(pl, b, i + FEED_RULE);
        struct rdr_pkt *d = &b->d[i];
        if (d->msg)
            on_msg(ctx, d->msg);
        else if (d->why == DR_NONE && d->pkt.frag != XM_FRAG_LATER)
            pipe_decoded_hashed(pl, &d->pkt, DR_NONE, &d->fh);
        else
            pipe_decoded(pl, &d->pkt, (enum dec_reason)d->why);
    }
    return end - from;
}
