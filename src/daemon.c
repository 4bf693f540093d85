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

#include <event2/event.h>

struct daemon {
    struct event_base *base;
    struct xm_pipeline *pl;
    struct src *s;
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

/* Widens libpcap's 32-bit counters: add the (wrapping) difference. */
static void daemon_poll_pcap(struct daemon *d)
{
    struct pcap_stat ps;
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
    (void)daemon_drain(d, DAEMON_BATCH);    /* in case a wake-up was missed */
    pipe_advance(d->pl, daemon_now());
    (void)pipe_flush_outputs(d->pl);        /* errors are reported by output.c */
    daemon_poll_pcap(d);
}

static void daemon_capture_line(const struct daemon *d)
{
    xm_info("capture: %llu received, %llu dropped by the kernel, "
            "%llu dropped by the interface", (unsigned long long)d->st.received,
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
    d->ev_cap = event_new(d->base, fd, EV_READ | EV_PERSIST, daemon_on_capture, d);
    d->ev_tick = event_new(d->base, -1, EV_PERSIST, daemon_on_tick, d);
    int rc = daemon_add(d->ev_cap, NULL) | daemon_add(d->ev_tick, &one);
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
    d->last_reload = time(NULL);        /* the rules pipe_new() compiled */
    d->last_reload_ok = true;
    metrics_process_start();
    if (h)
        d->hooks = *h;
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

int daemon_loop(struct daemon *d)
{
    d->stopping = false;
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
    while (daemon_drain(d, DAEMON_BATCH) == SRC_PKT)
        ;
    daemon_poll_pcap(d);
    pipe_finish(d->pl);
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
