/*
 * main.c - exfilmon's entry point: build the options (opts.c), open every
 * input and output, drop privileges, then run either the replay loop
 * (recorded captures, packet time as the clock) or the live daemon.
 *
 * Exit status: 0 success; 1 an input was unreadable or cut short, or an
 * output failed (everything read before is still flushed); 2 usage or
 * configuration error (nothing was run).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "xm_config.h"
#include "xm_main.h"
#include "xm_opts.h"
#include "xm_pipeline.h"
#include "xm_source.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2

static int main_validate(const struct xm_opts *o)
{
    if (o->check)
        return 0;
    if (o->n_inputs && o->iface) {
        fprintf(stderr, "exfilmon: use -r or -i, not both\n");
        return -1;
    }
    if (!o->n_inputs && !o->iface) {
        fprintf(stderr, "exfilmon: nothing to read: give -r FILE or -i IFACE "
                "(see exfilmon --help)\n");
        return -1;
    }
    return 0;
}

/* --- progress display (replay on a terminal) --------------------------- */

struct progress {
    bool on;
    double t0, last;
    uint64_t pkts;
};

static double main_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_show(struct progress *pg, const struct src *s, bool final)
{
    double now = main_mono();
    if (!final && now - pg->last < 0.5)
        return;
    pg->last = now;
    uint64_t done, total;
    src_progress(s, &done, &total);
    double el = now - pg->t0 > 1e-6 ? now - pg->t0 : 1e-6;
    double rate = (double)pg->pkts / el;
    if (final) {
        fputs("\r\033[K", stderr);
    } else if (total) {
        double frac = (double)done / (double)total;
        double left = frac > 0.001 ? el * (1.0 - frac) / frac : 0.0;
        fprintf(stderr, "\r\033[Kexfilmon: %5.1f%% read, %.2f Mpkt/s, %.0f s left",
                100.0 * frac, rate / 1e6, left);
    } else {
        fprintf(stderr, "\r\033[Kexfilmon: %llu packets, %.2f Mpkt/s",
                (unsigned long long)pg->pkts, rate / 1e6);
    }
    fflush(stderr);
}

/* Reads every input to the end; returns 0, or EXIT_INPUT if one failed. */
static int main_replay(struct xm_pipeline *pl, struct src *s, bool show)
{
    struct progress pg = {.on = show, .t0 = main_mono()};
    struct src_pkt p;
    for (;;) {
        int rc = src_next(s, &p);
        if (rc == SRC_PKT) {
            pipe_packet(pl, p.dlt, p.ts, p.data, p.caplen, p.wirelen);
            if (pg.on && (++pg.pkts & 0xffff) == 0)
                progress_show(&pg, s, false);
            continue;
        }
        if (rc == SRC_ERR) {
            if (pg.on)
                progress_show(&pg, s, true);
            fprintf(stderr, "exfilmon: %s\n", src_error(s));
            continue;
        }
        break;
    }
    if (pg.on)
        progress_show(&pg, s, true);
    return src_failed(s) ? EXIT_INPUT : 0;
}

static int main_open_source(const struct xm_opts *o, struct src **s)
{
    char err[512];
    int rc;
    if (o->iface) {
        struct src_live_opts lo = {o->iface, o->snaplen, o->buffer_mb, o->promisc, 100,
                                   !o->no_process};
        rc = src_open_live(s, &lo, err, sizeof err);
    } else {
        rc = src_open_files(s, o->inputs, o->n_inputs, err, sizeof err);
    }
    if (rc == 0 && o->bpf && src_set_filter(*s, o->bpf, err, sizeof err) != 0) {
        src_close(*s);
        *s = NULL;
        rc = -1;
    }
    if (rc != 0)
        fprintf(stderr, "exfilmon: %s\n", err);
    return rc;
}

int main(int argc, char **argv)
{
    struct xm_opts o;
    struct main_ctx mc = {.argc = argc, .argv = argv};
    char *filter_buf = NULL;
    struct src *s = NULL;
    struct xm_pipeline *pl = NULL;
    char err[1024];
    int status = EXIT_USAGE;

    int rc = main_build_opts(argc, argv, &o, &filter_buf, &mc.config_store);
    if (rc != 0) {
        status = rc == 1 ? 0 : EXIT_USAGE;
        goto out;
    }
    if (o.check) {
        status = main_check(&o) == 0 ? 0 : EXIT_USAGE;
        goto out;
    }
    if (main_validate(&o) != 0)
        goto out;
    if (main_open_source(&o, &s) != 0) {
        status = EXIT_INPUT;
        goto out;
    }
    pl = pipe_new(&o, o.iface != NULL, err, sizeof err);
    if (!pl) {
        fprintf(stderr, "exfilmon: %s\n", err);
        goto out;
    }
    if (o.iface) {
        status = main_live(pl, s, &o, &mc);   /* drops privileges itself */
    } else {
        if (main_drop_privileges(&o) != 0)
            goto out;
        status = main_replay(pl, s, !o.quiet && isatty(STDERR_FILENO));
        pipe_finish(pl);
    }
    pipe_write_summary(pl, stderr);
    if (pipe_flush_outputs(pl) != 0 && status == 0)
        status = EXIT_INPUT;
out:
    pipe_free(pl);
    src_close(s);
    main_ctx_free(&mc);
    free(filter_buf);
    return status;
}
