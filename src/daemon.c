/*
 * daemon.c - the live libevent loop (see include/xm_daemon.h).
 *
 * Only this file reads the wall clock for the pipeline: packets carry the
 * kernel's capture time, and the 1-second timer advances the pipeline to
 * gettimeofday() so flows expire while the wire is quiet.
 */
#include "xm_daemon.h"
#include "xm_http_api.h"
#include "xm_notify.h"
#include "xm_prom.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "xm_log.h"
#include "xm_metrics_proc.h"
#include "xm_feed.h"
#include "xm_reader.h"

#include <event2/event.h>

struct daemon {
    struct event_base *base;
    struct xm_pipeline *pl;
    struct src *s;
    /* --threads 1: one reader per capture handle (--workers N), each
     * with its ring; rd_done[i] once ring i gave its last batch. */
    struct src *srcs[XM_MAX_WORKERS];
    struct rdr *rd[XM_MAX_WORKERS];
    struct event *ev_ring[XM_MAX_WORKERS];
    bool rd_done[XM_MAX_WORKERS];
    size_t n_rd;
    const struct xm_opts *o;
    struct daemon_hooks hooks;
    struct event *ev_cap, *ev_tick, *ev_stats, *ev_extra, *ev_wd, *ev_state;
    struct event *ev_sig[4];            /* HUP, TERM, INT, USR1 */
    struct http_srv *http;
    struct notify nt;                   /* systemd notifications (may be off) */
    struct pcap_stat last;              /* previous libpcap reading */
    struct daemon_capture_stats st;
    time_t last_reload;                 /* wall clock of the last rule load */
    bool last_reload_ok;
    int status;
    bool stopping;
};

static xm_time_t daemon_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (xm_time_t)tv.tv_sec * XM_USEC_PER_SEC + tv.tv_usec;
}

/* ---- capture ----------------------------------------------------------- */

/* Feeds up to max packets; returns the src_next() result that stopped
 * it (SRC_PKT when the batch was full). */
static bool daemon_count_reached(const struct daemon *d)
{
    return d->o->count && pipe_get_stats(d->pl)->packets >= d->o->count;
}

static int daemon_drain(struct daemon *d, unsigned max)
{
    struct src_pkt p;
    for (unsigned n = 0; n < max; n++) {
        if (daemon_count_reached(d)) {     /* --count: stop as SIGTERM would */
            if (!d->stopping)
                daemon_stop(d);
            return SRC_NONE;
        }
        int rc = src_next(d->s, &p);
        if (rc == SRC_PKT) {
            pipe_packet(d->pl, p.dlt, p.ts, p.data, p.caplen, p.wirelen);
            continue;
        }
        if (rc == SRC_ERR) {
            if (d->st.src_errors++ == 0)   /* first of an episode only */
                xm_err("capture: %s", src_error(d->s));
            continue;
        }
        return rc;
    }
    return SRC_PKT;
}

static void daemon_on_capture(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    int rc = daemon_drain(d, DAEMON_BATCH);
    if (rc == SRC_PKT) {
        /* Batch full: let the loop breathe, then come straight back. */
        d->st.batches_full++;
        event_active(d->ev_cap, EV_READ, 0);
    } else if (rc == SRC_END) {
        xm_err("capture ended (interface gone?)");
        d->status = 1;
        daemon_stop(d);
    }
}

/* ---- capture through reader threads (--threads 1) ------------------------ */

/* One ring's last batch: an ended capture stops the daemon with status 1,
 * --count and rdr_stop() stop it cleanly. */
static void daemon_ring_end(struct daemon *d, size_t i, int end)
{
    d->rd_done[i] = true;
    if (end == RDR_END_INPUT && !d->stopping) {
        xm_err("capture ended (interface gone?)");
        d->status = 1;
    }
    if (!d->stopping)
        daemon_stop(d);
}

/* A source error in a batch: logged as the one-thread loop logs it
 * (the first of an episode). */
static void daemon_on_msg(void *ctx, const char *msg)
{
    struct daemon *d = ctx;
    if (d->st.src_errors++ == 0)
        xm_err("capture: %s", msg);
}

/* Feeds one batch, up to --count frames in all. */
static void daemon_feed(struct daemon *d, struct rdr_batch *b)
{
    uint32_t k = 0;
    while (k < b->n) {
        if (daemon_count_reached(d)) {      /* --count: stop as SIGTERM would */
            if (!d->stopping)
                daemon_stop(d);
            return;
        }
        uint64_t left = d->o->count ? d->o->count - pipe_get_stats(d->pl)->packets : b->n;
        k += feed_batch(d->pl, b, k, left < b->n ? (uint32_t)left : b->n, daemon_on_msg, d);
    }
}

/* Ring with a ready batch that starts earliest (so N handles merge
 * roughly in capture time), or -1 when none is ready. */
static int daemon_pick_ring(struct daemon *d, bool wait)
{
    int best = -1;
    xm_time_t best_ts = 0;
    for (size_t i = 0; i < d->n_rd; i++) {
        if (d->rd_done[i])
            continue;
        struct rdr_batch *b = rdr_next(d->rd[i], wait && best < 0);
        if (b && (best < 0 || b->first_ts < best_ts)) {
            best = (int)i;
            best_ts = b->first_ts;
        }
    }
    return best;
}

/* Takes up to max batches; returns how many (wait: blocks for each). */
static unsigned daemon_drain_rings(struct daemon *d, unsigned max, bool wait)
{
    unsigned n = 0;
    int i;
    while (n < max && (i = daemon_pick_ring(d, wait)) >= 0) {
        struct rdr_batch *b = rdr_next(d->rd[i], false);
        daemon_feed(d, b);
        int end = b->end;
        rdr_release(d->rd[i]);
        n++;
        if (end != RDR_MORE)
            daemon_ring_end(d, (size_t)i, end);
    }
    return n;
}

static void daemon_on_ring(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    for (size_t i = 0; i < d->n_rd; i++)
        rdr_ack_wake(d->rd[i]);
    if (daemon_drain_rings(d, DAEMON_BATCH / 64, false) == DAEMON_BATCH / 64) {
        d->st.batches_full++;               /* more waiting: come straight back */
        event_active(d->ev_ring[0], EV_READ, 0);
    }
}

/* After the loop: every reader reads what its kernel ring holds and
 * ends; every batch is taken, then the threads are joined. */
static void daemon_stop_rings(struct daemon *d)
{
    for (size_t i = 0; i < d->n_rd; i++)
        rdr_stop(d->rd[i]);
    for (;;) {
        bool open = false;
        for (size_t i = 0; i < d->n_rd; i++)
            open |= !d->rd_done[i];
        if (!open)
            break;
        (void)daemon_drain_rings(d, ~0u, true);
    }
    for (size_t i = 0; i < d->n_rd; i++)
        rdr_join(d->rd[i]);
}

/* One reader per source; their eventfds join the loop. */
static int daemon_rings(struct daemon *d, char *err, size_t errlen)
{
    struct rdr_opts ro = {.count = d->o->count, .live = true};
    for (size_t i = 0; i < d->n_rd; i++) {
        d->rd[i] = rdr_new(d->srcs[i], &ro, err, errlen);
        if (!d->rd[i])
            return -1;
        d->ev_ring[i] = event_new(d->base, rdr_wake_fd(d->rd[i]), EV_READ | EV_PERSIST,
                                  daemon_on_ring, d);
        if (!d->ev_ring[i] || event_add(d->ev_ring[i], NULL) != 0) {
            snprintf(err, errlen, "cannot register the reader's wake-up descriptor");
            return -1;
        }
    }
    return 0;
}

/* Readers poll their handles; the totals are their sums. */
static void daemon_sum_rings(struct daemon *d)
{
    d->st.received = d->st.kernel_drops = d->st.iface_drops = 0;
    for (size_t i = 0; i < d->n_rd; i++) {
        struct rdr_cap_stats cs;
        rdr_cap_stats(d->rd[i], &cs);
        d->st.received += cs.received;
        d->st.kernel_drops += cs.kernel_drops;
        d->st.iface_drops += cs.iface_drops;
    }
}

/* Widens libpcap's 32-bit counters: add the (wrapping) difference. */
static void daemon_poll_pcap(struct daemon *d)
{
    struct pcap_stat ps;
    if (d->n_rd) {
        daemon_sum_rings(d);
        return;
    }
    if (src_live_stats(d->s, &ps) != 0)
        return;
    d->st.received += (uint32_t)(ps.ps_recv - d->last.ps_recv);
    d->st.kernel_drops += (uint32_t)(ps.ps_drop - d->last.ps_drop);
    d->st.iface_drops += (uint32_t)(ps.ps_ifdrop - d->last.ps_ifdrop);
    d->last = ps;
}

/* ---- timers ------------------------------------------------------------ */

static void daemon_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    if (d->n_rd)                            /* in case a wake-up was missed */
        (void)daemon_drain_rings(d, DAEMON_BATCH / 64, false);
    else
        (void)daemon_drain(d, DAEMON_BATCH);
    pipe_advance(d->pl, daemon_now());
    (void)pipe_flush_outputs(d->pl);        /* errors are reported by output.c */
    daemon_poll_pcap(d);
}

/* --workers N: " (per handle: R1, R2, ...)" received, into buf. */
static void daemon_per_handle(const struct daemon *d, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; d->n_rd > 1 && i < d->n_rd && n < len; i++) {
        struct rdr_cap_stats cs;
        rdr_cap_stats(d->rd[i], &cs);
        n += (size_t)snprintf(buf + n, len - n, "%s%llu", i ? ", " : " (per handle: ",
                              (unsigned long long)cs.received);
    }
    if (n && n < len)
        snprintf(buf + n, len - n, ")");
}

static void daemon_capture_line(const struct daemon *d)
{
    char per[256];
    daemon_per_handle(d, per, sizeof per);
    xm_info("capture: %llu received%s, %llu dropped by the kernel, "
            "%llu dropped by the interface", (unsigned long long)d->st.received, per,
            (unsigned long long)d->st.kernel_drops, (unsigned long long)d->st.iface_drops);
}

/* The pipeline's summary line, as a log line. */
static void daemon_summary_line(const struct daemon *d)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    pipe_write_summary(d->pl, f);
    fclose(f);
    xm_info("%s", strncmp(text, "exfilmon: ", 10) == 0 ? text + 10 : text);
    free(text);
}

static void daemon_on_stats(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    daemon_poll_pcap(d);
    daemon_summary_line(d);
    daemon_capture_line(d);
}

/* --state: every state_interval seconds of wall time (the saved times
 * themselves are packet times). */
static void daemon_on_state(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    (void)pipe_state_save(d->pl);
}

/* ---- signals ----------------------------------------------------------- */

/* Compiles the new set aside; the old set runs on if anything fails. */
static void daemon_reload(struct daemon *d)
{
    char err[1024] = "";
    const struct xm_opts *fresh = d->o;
    d->st.reloads++;
    d->last_reload = time(NULL);
    d->last_reload_ok = false;
    (void)notify_send(&d->nt, "RELOADING=1");
    if (d->hooks.reload_opts && d->hooks.reload_opts(d->hooks.ctx, &fresh, err,
                                                     sizeof err) != 0) {
        d->st.reload_failures++;
        xm_err("reload failed, old settings kept: %s", err);
        return;
    }
    bool ok = pipe_reload(d->pl, fresh, err, sizeof err) == 0;
    if (d->hooks.reload_opts && d->hooks.reload_done)
        d->hooks.reload_done(d->hooks.ctx, fresh, ok);
    if (!ok) {
        d->st.reload_failures++;
        xm_err("reload failed, old rules kept: %s", err);
        return;
    }
    d->o = fresh;
    d->last_reload_ok = true;
    xm_info("reloaded: %zu rules", pipe_rules_count(d->pl));
}

static void daemon_on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;
    switch (sig) {
    case SIGHUP:
        daemon_reload(d);
        pipe_reopen_outputs(d->pl);
        (void)notify_send(&d->nt, "READY=1");
        break;
    case SIGUSR1:
        daemon_on_stats(-1, 0, d);
        break;
    default:                                /* SIGTERM, SIGINT */
        daemon_stop(d);
        break;
    }
}

void daemon_stop(struct daemon *d)
{
    if (!d->stopping)
        (void)notify_send(&d->nt, "STOPPING=1");
    d->stopping = true;
    event_base_loopbreak(d->base);
}

/* ---- set-up ------------------------------------------------------------ */

static size_t daemon_health(void *ctx, char *why, size_t len)
{
    struct daemon *d = ctx;
    return pipe_site_health(d->pl, why, len);
}

static void daemon_metrics(void *ctx, FILE *f)
{
    struct daemon *d = ctx;
    pipe_write_metrics(d->pl, f);
    daemon_poll_pcap(d);
    static const char *const names[] = {
        "capture_received_total", "Packets the kernel handed to libpcap (ps_recv).",
        "capture_kernel_drops_total", "Packets dropped for lack of buffer space (ps_drop).",
        "capture_interface_drops_total", "Packets dropped by the interface (ps_ifdrop).",
        "capture_batches_full_total", "Capture callbacks that hit the batch limit.",
        "reloads_total", "SIGHUP reloads attempted.",
        "reload_failures_total", "Reloads that kept the old settings.",
    };
    const uint64_t v[] = { d->st.received, d->st.kernel_drops, d->st.iface_drops,
                           d->st.batches_full, d->st.reloads, d->st.reload_failures };
    for (size_t i = 0; i < XM_ARRAY_LEN(v); i++) {
        char name[80];
        snprintf(name, sizeof name, "exfilmon_%s", names[2 * i]);
        xm_prom_metric(f, name, "counter", names[2 * i + 1], v[i]);
    }
    xm_prom_metric(f, "exfilmon_rules_last_reload_timestamp_seconds", "gauge",
                   "When the rules were last loaded (start-up or SIGHUP), Unix time.",
                   d->last_reload > 0 ? (uint64_t)d->last_reload : 0);
    xm_prom_metric(f, "exfilmon_rules_last_reload_success", "gauge",
                   "1 if the last load compiled and is running, 0 if the previous set was kept.",
                   d->last_reload_ok ? 1 : 0);
    metrics_process(f);
}

static void daemon_on_extra(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    d->hooks.on_extra(d->hooks.ctx);
}

/* Half the watchdog period: the loop is alive if this timer runs. */
static void daemon_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    (void)notify_send(&d->nt, "WATCHDOG=1");
}

static int daemon_add(struct event *ev, const struct timeval *tv)
{
    return ev && event_add(ev, tv) == 0 ? 0 : -1;
}

static int daemon_events(struct daemon *d)
{
    static const int sigs[4] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
    struct timeval one = { 1, 0 }, st = { (time_t)d->o->stats_interval, 0 };
    int fd = src_fd(d->s);
    if (fd < 0)
        return -1;
    int rc = 0;
    if (!d->n_rd) {
        d->ev_cap = event_new(d->base, fd, EV_READ | EV_PERSIST, daemon_on_capture, d);
        rc |= daemon_add(d->ev_cap, NULL);
    }
    d->ev_tick = event_new(d->base, -1, EV_PERSIST, daemon_on_tick, d);
    rc |= daemon_add(d->ev_tick, &one);
    if (d->o->stats_interval) {
        d->ev_stats = event_new(d->base, -1, EV_PERSIST, daemon_on_stats, d);
        rc |= daemon_add(d->ev_stats, &st);
    }
    if (d->o->state_dir) {
        struct timeval sv = { (time_t)(d->o->state_interval ? d->o->state_interval : 300), 0 };
        d->ev_state = event_new(d->base, -1, EV_PERSIST, daemon_on_state, d);
        rc |= daemon_add(d->ev_state, &sv);
    }
    if (d->hooks.on_extra) {
        d->ev_extra = event_new(d->base, d->hooks.extra_fd, EV_READ | EV_PERSIST,
                                daemon_on_extra, d);
        rc |= daemon_add(d->ev_extra, NULL);
    }
    for (size_t i = 0; i < 4; i++) {
        d->ev_sig[i] = evsignal_new(d->base, sigs[i], daemon_on_signal, d);
        rc |= daemon_add(d->ev_sig[i], NULL);
    }
    if (d->nt.watchdog_usec) {
        uint64_t half = d->nt.watchdog_usec / 2;
        struct timeval wd = { (time_t)(half / 1000000u), (suseconds_t)(half % 1000000u) };
        d->ev_wd = event_new(d->base, -1, EV_PERSIST, daemon_on_watchdog, d);
        rc |= daemon_add(d->ev_wd, &wd);
    }
    return rc;
}

struct daemon *daemon_new(struct xm_pipeline *pl, struct src *s,
                          const struct xm_opts *o, struct daemon_hooks *h,
                          char *err, size_t errlen)
{
    struct daemon *d = calloc(1, sizeof *d);
    if (d)
        d->nt.fd = -1;
    if (!d || !(d->base = event_base_new())) {
        snprintf(err, errlen, "cannot create the event loop");
        goto fail;
    }
    signal(SIGPIPE, SIG_IGN);   /* a vanished reader is a write error, not death */
    if (notify_init(&d->nt, err, errlen) != 0)
        xm_warn("%s; not notifying the service manager", err);
    d->pl = pl;
    d->s = s;
    d->o = o;
    d->srcs[0] = s;
    for (size_t i = 0; h && i < h->n_more_src && i + 1 < XM_MAX_WORKERS; i++)
        d->srcs[i + 1] = h->more_src[i];
    d->n_rd = o->threads ? 1 + (h ? h->n_more_src : 0) : 0;
    if (d->n_rd > XM_MAX_WORKERS)
        d->n_rd = XM_MAX_WORKERS;
    d->last_reload = time(NULL);        /* the rules pipe_new() compiled */
    d->last_reload_ok = true;
    metrics_process_start();
    if (h)
        d->hooks = *h;
    if (d->n_rd && daemon_rings(d, err, errlen) != 0)
        goto fail;
    if (daemon_events(d) != 0) {
        snprintf(err, errlen, "cannot register the capture, timers or signals");
        goto fail;
    }
    if (o->http_listen) {
        d->http = http_new(d->base, o->http_listen, err, errlen);
        if (!d->http)
            goto fail;
        http_set_metrics(d->http, daemon_metrics, d);
        http_set_health(d->http, daemon_health, d);
        if (d->hooks.http_ready)
            d->hooks.http_ready(d->hooks.ctx, d->http);
    }
    if (!d->n_rd)
        (void)src_live_stats(s, &d->last);
    d->last.ps_recv = d->last.ps_drop = d->last.ps_ifdrop = 0;
    return d;
fail:
    daemon_free(d);
    return NULL;
}

/* READY=1 and a status line: everything is open, privileges are gone. */
static void daemon_ready(struct daemon *d)
{
    char msg[256];
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=capturing on %s",
             d->o->iface ? d->o->iface : "the live source");
    if (notify_send(&d->nt, msg) != 0)
        xm_warn("cannot notify the service manager: %s", strerror(errno));
}

/* Starts the readers (after the privilege drop: they inherit it). */
static int daemon_start_rings(struct daemon *d)
{
    for (size_t i = 0; i < d->n_rd; i++) {
        if (rdr_start(d->rd[i]) != 0) {
            xm_err("cannot start the reader thread: %s", strerror(errno));
            for (size_t k = i; k < d->n_rd; k++)
                d->rd_done[k] = true;       /* never started: nothing to take */
            return -1;
        }
    }
    return 0;
}

int daemon_loop(struct daemon *d)
{
    d->stopping = false;
    if (daemon_start_rings(d) != 0) {
        d->status = 1;
        d->stopping = true;
    }
    daemon_ready(d);
    while (!d->stopping) {
        if (event_base_dispatch(d->base) != 0) {
            xm_err("event loop failed");
            d->status = 1;
            break;
        }
    }
    /* SIGTERM/SIGINT: take what the kernel still holds, then end every
     * flow and write every pending record. */
    if (d->n_rd)
        daemon_stop_rings(d);
    else
        while (daemon_drain(d, DAEMON_BATCH) == SRC_PKT)
            ;
    daemon_poll_pcap(d);
    pipe_finish(d->pl);
    daemon_capture_line(d);                 /* kernel drops, with the summary */
    return d->status;
}

const struct daemon_capture_stats *daemon_stats(const struct daemon *d)
{
    return &d->st;
}

struct http_srv *daemon_http(const struct daemon *d)
{
    return d->http;
}

void daemon_free(struct daemon *d)
{
    if (!d)
        return;
    http_free(d->http);
    struct event *evs[] = { d->ev_cap, d->ev_tick, d->ev_stats, d->ev_extra, d->ev_wd,
                            d->ev_state, d->ev_sig[0], d->ev_sig[1], d->ev_sig[2], d->ev_sig[3] };
    for (size_t i = 0; i < XM_ARRAY_LEN(evs); i++)
        if (evs[i])
            event_free(evs[i]);
    for (size_t i = 0; i < d->n_rd; i++) {
        if (d->ev_ring[i])
            event_free(d->ev_ring[i]);
        rdr_free(d->rd[i]);                 /* takes what is left, joins */
    }
    if (d->base)
        event_base_free(d->base);
    notify_close(&d->nt);
    free(d);
}

int daemon_run(struct xm_pipeline *pl, struct src *s, const struct xm_opts *o,
               struct daemon_hooks *h)
{
    char err[512];
    struct daemon *d = daemon_new(pl, s, o, h, err, sizeof err);
    if (!d) {
        xm_err("%s", err);
        return 1;
    }
    int status = daemon_loop(d);
    daemon_free(d);
    return status;
}
