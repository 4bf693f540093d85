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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xm_config.h"
#include "xm_log.h"
#include "xm_main.h"
#include "xm_opts.h"
#include "xm_feed.h"
#include "xm_pipeline.h"
#include "xm_reader.h"
#include "xm_report.h"
#include "xm_source.h"
#include "xm_version.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2

static int main_validate(const struct xm_opts *o)
{
    if (o->check)
        return 0;
    if (o->n_inputs && o->iface) {
        xm_err("use -r or -i, not both (see exfilmon --help)");
        return -1;
    }
    if (!o->n_inputs && !o->iface) {
        xm_err("nothing to read: give -r FILE or -i IFACE (see exfilmon --help)");
        return -1;
    }
    size_t n_stdin = 0;
    for (size_t i = 0; i < o->n_inputs; i++)
        n_stdin += strcmp(o->inputs[i], "-") == 0;
    if (n_stdin > 1) {
        xm_err("-r -: standard input can be read only once");
        return -1;
    }
    if (o->n_inputs && o->http_listen)
        xm_warn("--http %s: serves only while capturing live (-i); not served in replay",
                o->http_listen);
    if (o->workers > 1 && !o->threads) {
        xm_err("--workers %u needs the reader threads (--threads 1)", o->workers);
        return -1;
    }
    if (o->n_inputs && o->workers > 1)
        xm_warn("--workers %u: replay reads with one reader and one worker "
                "(several are for live capture, -i)", o->workers);
    if (o->n_inputs && o->record_processes_path)
        xm_warn("--record-processes: records only while capturing live (-i); "
                "ignored in replay");
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

/* Reads every input to the end (or --count packets); returns 0, or
 * EXIT_INPUT if one failed. */
static int main_replay(struct xm_pipeline *pl, struct src *s, bool show, uint64_t count)
{
    struct progress pg = {.on = show, .t0 = main_mono()};
    struct src_pkt p;
    for (uint64_t n = 0; count == 0 || n < count; n++) {
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
            xm_err("%s", src_error(s));
            n--;                    /* an error is not a packet */
            continue;
        }
        break;
    }
    if (pg.on)
        progress_show(&pg, s, true);
    return src_failed(s) ? EXIT_INPUT : 0;
}

/* The reader thread's progress hook. */
struct main_pg_ctx {
    struct progress *pg;
    const struct src *s;
};

static void main_progress_hook(void *ctx, uint64_t frames)
{
    struct main_pg_ctx *c = ctx;
    c->pg->pkts = frames;
    progress_show(c->pg, c->s, false);
}

/* A source error met in a batch: logged in place (after clearing the
 * progress line when it is shown). */
static void main_on_msg(void *ctx, const char *msg)
{
    if (*(const bool *)ctx)
        fputs("\r\033[K", stderr);
    xm_err("%s", msg);
}

/* main_replay() with the reading and decoding on the reader thread
 * (--threads 1): the same packets, errors and order, so the same output.
 * Falls back to main_replay() when the thread cannot start. */
static int main_replay_threaded(struct xm_pipeline *pl, struct src *s, bool show,
                                uint64_t count)
{
    char err[256];
    struct progress pg = {.on = show, .t0 = main_mono()};
    struct main_pg_ctx pc = {&pg, s};
    struct rdr_opts ro = {.count = count, .progress = show ? main_progress_hook : NULL,
                          .progress_ctx = &pc};
    struct rdr *r = rdr_new(s, &ro, err, sizeof err);
    if (!r || rdr_start(r) != 0) {
        xm_warn("%s; reading on one thread", r ? "cannot start the reader thread" : err);
        rdr_free(r);
        return main_replay(pl, s, show, count);
    }
    int end;
    do {
        struct rdr_batch *b = rdr_next(r, true);
        (void)feed_batch(pl, b, 0, b->n, main_on_msg, &show);
        end = b->end;
        rdr_release(r);
    } while (end == RDR_MORE);
    rdr_join(r);
    rdr_free(r);
    if (pg.on)
        progress_show(&pg, s, true);
    return src_failed(s) ? EXIT_INPUT : 0;
}

/* Opens one capture source (live or every file) with the filter. */
static int main_open_one(const struct xm_opts *o, struct src **s)
{
    char err[2048];
    int rc;
    if (o->iface) {
        struct src_live_opts lo = {o->iface, o->snaplen, o->buffer_kib, o->promisc, 100,
                                   !o->no_process};
        rc = src_open_live(s, &lo, err, sizeof err);
    } else {
        rc = src_open_files(s, o->inputs, o->n_inputs, err, sizeof err);
    }
    if (rc != 0) {
        xm_err("%s", err);
        return EXIT_INPUT;
    }
    if (o->bpf && src_set_filter(*s, o->bpf, err, sizeof err) != 0) {
        src_close(*s);
        *s = NULL;
        xm_err("%s", err);
        return EXIT_USAGE;
    }
    return 0;
}

/* --workers N live: N - 1 more handles, all N in one fanout group
 * (numbered after our pid, so two daemons never share a group). */
static int main_open_fanout(const struct xm_opts *o, struct src *s, struct main_ctx *mc)
{
    char err[512];
    uint16_t group = (uint16_t)getpid();
    for (uint32_t i = 1; i < o->workers; i++) {
        int rc = main_open_one(o, &mc->more_src[mc->n_more_src]);
        if (rc != 0)
            return rc;
        mc->n_more_src++;
    }
    if (src_set_fanout(s, group, err, sizeof err) != 0)
        goto fail;
    for (size_t i = 0; i < mc->n_more_src; i++)
        if (src_set_fanout(mc->more_src[i], group, err, sizeof err) != 0)
            goto fail;
    return 0;
fail:
    xm_err("--workers %u: %s", o->workers, err);
    return EXIT_INPUT;
}

/* Opens the capture: 0, EXIT_INPUT when an input cannot be read (file,
 * interface, permission), EXIT_USAGE when the filter does not compile. */
static int main_open_source(const struct xm_opts *o, struct src **s, struct main_ctx *mc)
{
    int rc = main_open_one(o, s);
    if (rc == 0 && o->iface && o->workers > 1)
        rc = main_open_fanout(o, *s, mc);
    return rc;
}

/* -D: tcpdump -D's list. */
static int main_list_interfaces(void)
{
    char err[512];
    if (src_list_interfaces(stdout, err, sizeof err) != 0) {
        xm_err("%s", err);
        return EXIT_INPUT;
    }
    return 0;
}

/* The end-of-run summary as one log line. */
static void main_log_summary(const struct xm_pipeline *pl)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    pipe_write_summary(pl, f);
    fclose(f);
    xm_info("%s", strncmp(text, "exfilmon: ", 10) == 0 ? text + 10 : text);
    free(text);
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

    if (argc > 1 && !strcmp(argv[1], "report"))
        return report_main(argc - 1, argv + 1);
    int rc = main_build_opts(argc, argv, &o, &filter_buf, &mc.config_store);
    if (rc != 0) {
        status = rc == 1 ? 0 : EXIT_USAGE;
        goto out;
    }
    if (o.list_ifaces) {
        status = main_list_interfaces();
        goto out;
    }
    if (o.check) {
        status = main_check(&o) == 0 ? 0 : EXIT_USAGE;
        goto out;
    }
    if (main_validate(&o) != 0)
        goto out;
    /* Replay as live: a socket sink whose server resets the connection
     * (Redis, a webhook, a stream reader) is a counted write error that
     * is retried, never the death of the run. */
    signal(SIGPIPE, SIG_IGN);
    if ((status = main_open_source(&o, &s, &mc)) != 0)
        goto out;
    status = EXIT_USAGE;
    int why = PIPE_ERR_CONFIG;
    pl = pipe_new_ex(&o, o.iface != NULL, &why, err, sizeof err);
    if (!pl) {
        xm_err("%s", err);
        status = why == PIPE_ERR_OUTPUT ? EXIT_INPUT : EXIT_USAGE;
        goto out;
    }
    if (o.iface) {
        status = main_live(pl, s, &o, &mc);   /* drops privileges itself */
    } else {
        if (main_drop_privileges(&o) != 0)
            goto out;
        bool show = !o.quiet && isatty(STDERR_FILENO);
        status = o.threads ? main_replay_threaded(pl, s, show, o.count)
                           : main_replay(pl, s, show, o.count);
        pipe_finish(pl);
    }
    main_log_summary(pl);
    if (pipe_flush_outputs(pl) != 0 && status == 0)
        status = EXIT_INPUT;
out:
    pipe_free(pl);
    src_close(s);
    main_ctx_free(&mc);
    free(filter_buf);
    return status;
}
