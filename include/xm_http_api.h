/*
 * xm_http_api.h - the HTTP endpoint (src/http.c) on libevent's evhttp:
 *   GET /metrics  Prometheus text exposition format 0.0.4
 *   GET /healthz  "ok uptime_seconds=N\n" (200), or while an output
 *                 cannot write or reopen (out_health, xm_out.h) "degraded
 *                 uptime_seconds=N failing_outputs=K: PATH: reopen failed:
 *                 ERROR; ...\n" (503); also while http_set_health's
 *                 callback reports a problem (--site-redis unreachable)
 *   GET /alerts   the most recent alerts (at most HTTP_ALERT_RING, oldest
 *                 first) as one JSON array; ?limit=N returns the last N
 * Anything else is 404; methods other than GET and HEAD are 405.
 *
 * Ownership: struct http_srv owns its evhttp, its listening socket and
 * the alert ring (copies of the serialised alerts).  It borrows the
 * event_base, which must outlive it.  The metrics callback's ctx is
 * borrowed too.
 */
#ifndef XM_HTTP_API_H
#define XM_HTTP_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct event_base;
struct http_srv;

#define HTTP_ALERT_RING 256     /* alerts kept for /alerts */
#define HTTP_ALERT_MAX 65536    /* bytes; a bigger alert is not kept */

/* Writes extra Prometheus text (pipeline, capture counters) into f. */
typedef void (*http_metrics_fn)(void *ctx, FILE *f);

/*
 * Binds "ADDR:PORT" ("127.0.0.1:9464", "[::1]:9464"; port 0 = any free
 * port, see http_port) on base.  Returns NULL and fills err on failure.
 * Call before dropping privileges.
 */
struct http_srv *http_new(struct event_base *base, const char *listen,
                          char *err, size_t errlen);
/* Splits "ADDR:PORT" / "[v6]:PORT" into host (brackets removed) and a
 * port 0..65535 exactly as http_new() does; 0, or -1 if malformed. */
int http_parse_listen(const char *listen, char *host, size_t hlen, uint16_t *port);
/* Further problems for /healthz (--site-redis down): returns how many,
 * reasons written into why (len bytes). */
typedef size_t (*http_health_fn)(void *ctx, char *why, size_t len);
void http_set_health(struct http_srv *h, http_health_fn fn, void *ctx);
/* Sets the callback that adds the pipeline's and capture's metrics. */
void http_set_metrics(struct http_srv *h, http_metrics_fn fn, void *ctx);
/* The bound TCP port (host order). */
int http_port(const struct http_srv *h);
/* Keeps a serialised copy of alert in the ring (drops the oldest).  The
 * pipeline calls it from its alert path; alert stays the caller's. */
void http_note_alert(struct http_srv *h, const json_t *alert);
/* Alerts noted so far, and alerts too large to keep. */
unsigned long long http_alerts_noted(const struct http_srv *h);
void http_free(struct http_srv *h);

#endif
