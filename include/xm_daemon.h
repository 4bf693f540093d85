/*
 * xm_daemon.h - the live daemon (src/daemon.c): one libevent loop around
 * the same pipeline replay uses.
 *
 *   capture fd   EV_READ|EV_PERSIST; drained through src_next() in
 *                batches of at most DAEMON_BATCH packets per callback, then
 *                the loop runs its other events (a full batch re-arms the
 *                callback at once, so packets held in libpcap's ring are not
 *                left waiting for the next wake-up)
 *   (--threads 1, the default: the capture is read and decoded by one
 *   reader thread per handle, xm_reader.h, started by daemon_loop() after
 *   the privilege drop; the loop watches each reader's eventfd instead
 *   and feeds up to DAEMON_BATCH / 64 batches per callback, merging
 *   --workers N handles by batch time; the readers own the pcap handles
 *   and poll pcap_stats, summed here)
 *   1 s timer    pipe_advance(wall clock), pipe_flush_outputs(), capture
 *                statistics poll (32-bit libpcap counters widened to 64)
 *   stats timer  every o->stats_interval s (0 = off): statistics line
 *   SIGHUP       reload: hooks->reload_opts (config file re-read), then
 *                pipe_reload(); on any error the old set keeps running and
 *                "exfilmon: reload failed: FILE:LINE:COL: ..." goes to
 *                stderr.  Then outputs are reopened (logrotate).
 *   SIGTERM/INT  drain the capture (readers: read what the kernel holds,
 *                end, joined), pipe_finish() (every open flow and pending
 *                alert written), log the capture line (received, kernel
 *                and interface drops; per handle with --workers N), leave
 *                the loop; status 0
 *   SIGUSR1      pipe_write_summary() and the capture line to stderr
 *   --http       /metrics, /healthz, /alerts (xm_http_api.h)
 *   systemd      $NOTIFY_SOCKET (xm_notify.h): READY=1 when daemon_loop()
 *                starts (so after privs_drop()), RELOADING=1/READY=1
 *                around SIGHUP, STOPPING=1, and WATCHDOG=1 from a timer
 *                at half of $WATCHDOG_USEC
 *
 * Ownership: the daemon borrows the pipeline, source and opts (all must
 * outlive it) and owns its event_base, events and HTTP server.
 *
 * Privileges: daemon_new() binds the HTTP socket, so call it before
 * privs_drop(); daemon_run() is daemon_new + daemon_loop + daemon_free for
 * callers that drop privileges earlier (ports >= 1024 only).
 */
#ifndef XM_DAEMON_H
#define XM_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xm_opts.h"
#include "xm_pipeline.h"
#include "xm_source.h"

#define DAEMON_BATCH 1024           /* packets per capture callback */

struct daemon;
struct http_srv;

struct daemon_hooks {
    void *ctx;                      /* passed to every hook below */
    /* --workers N: the other N-1 live sources of the fanout group
     * (borrowed; with o->threads each gets its own reader thread). */
    struct src *const *more_src;
    size_t n_more_src;
    /*
     * SIGHUP: builds fresh settings (config file re-read, command-line
     * flags applied again) into *fresh.  Returns 0, or -1 with err filled
     * ("FILE:LINE:COL: message").  NULL: reload from the current opts.
     */
    int (*reload_opts)(void *ctx, const struct xm_opts **fresh,
                       char *err, size_t errlen);
    /* After pipe_reload(): accepted = fresh is in use now (the previous
     * settings may be freed); otherwise fresh must be freed. */
    void (*reload_done)(void *ctx, const struct xm_opts *fresh, bool accepted);
    /* Called once the HTTP server exists, so the caller can route alerts
     * to http_note_alert(). */
    void (*http_ready)(void *ctx, struct http_srv *h);
    /* One more descriptor serviced by the loop (e.g. the netlink process
     * connector): on_extra(ctx) runs whenever extra_fd is readable.
     * Used only when on_extra is set. */
    int extra_fd;
    void (*on_extra)(void *ctx);
};

/* 64-bit capture counters (libpcap's are 32-bit and wrap). */
struct daemon_capture_stats {
    uint64_t received, kernel_drops, iface_drops;
    uint64_t batches_full;          /* callbacks that hit DAEMON_BATCH */
    uint64_t src_errors;            /* src_next() returned SRC_ERR */
    uint64_t reloads, reload_failures;
};

struct daemon *daemon_new(struct xm_pipeline *pl, struct src *s,
                          const struct xm_opts *o, struct daemon_hooks *h,
                          char *err, size_t errlen);
/* Runs until SIGTERM/SIGINT or a fatal capture error; returns the exit
 * status (0 after a clean stop, 1 when the capture failed). */
int daemon_loop(struct daemon *d);
/* Asks the loop to stop as SIGTERM would (tests, other threads: no). */
void daemon_stop(struct daemon *d);
const struct daemon_capture_stats *daemon_stats(const struct daemon *d);
struct http_srv *daemon_http(const struct daemon *d);
void daemon_free(struct daemon *d);

int daemon_run(struct xm_pipeline *pl, struct src *s, const struct xm_opts *o,
               struct daemon_hooks *h);

#endif
