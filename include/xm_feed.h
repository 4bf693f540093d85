/*
 * xm_feed.h - the consumer side of the reader thread (src/feed.c): feeds
 * the entries of a batch (xm_reader.h) to the pipeline (xm_pipeline.h)
 * in order, frames through pipe_decoded(), error messages through
 * on_msg, prefetching flow buckets and slots a few entries ahead.
 *
 * Ownership: the batch is the caller's (between rdr_next and
 * rdr_release); feed_batch writes only the entries' `fh` scratch field.
 */
#ifndef XM_FEED_H
#define XM_FEED_H

#include "xm_pipeline.h"
#include "xm_reader.h"

/* Feeds entries [from, from + max) of b (fewer at the batch's end);
 * returns how many were fed. */
uint32_t feed_batch(struct xm_pipeline *pl, struct rdr_batch *b, uint32_t from, uint32_t max,
                    void (*on_msg)(void *ctx, const char *msg), void *ctx);

#endif
