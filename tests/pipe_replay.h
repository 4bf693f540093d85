/*
 * pipe_replay.h - test helper: one capture replayed through a pipeline
 * built from opts (pipe_new, every packet, pipe_finish).  The caller owns
 * the returned pipeline (pipe_free); NULL when the file or the pipeline
 * cannot be opened (the reason on stderr).  pipe_metrics_text: the
 * pipeline's /metrics text (malloc'd, the caller frees it), CHECKed to be
 * valid Prometheus text.  Test-only.
 */
#ifndef PIPE_REPLAY_H
#define PIPE_REPLAY_H

#include <stdio.h>

#include "prom_check.h"
#include "xm_pipeline.h"
#include "xm_source.h"
#include "xm_test.h"

static inline struct xm_pipeline *pipe_replay(const char *path, struct xm_opts *o)
{
    char err[1024];
    struct src *s = NULL;
    struct src_pkt p;
    if (src_open_files(&s, &path, 1, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    struct xm_pipeline *pl = pipe_new(o, false, err, sizeof err);
    if (!pl) {
        fprintf(stderr, "%s\n", err);
        src_close(s);
        return NULL;
    }
    while (src_next(s, &p) == SRC_PKT)
        pipe_packet(pl, p.dlt, p.ts, p.data, p.caplen, p.wirelen);
    pipe_finish(pl);
    src_close(s);
    return pl;
}

static inline char *pipe_metrics_text(const struct xm_pipeline *pl)
{
    char *text = NULL, why[256] = "";
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    pipe_write_metrics(pl, m);
    fclose(m);
    CHECK(prom_check(text, why, sizeof why) > 0);
    if (why[0])
        fprintf(stderr, "metrics: %s\n", why);
    return text;
}

#endif
