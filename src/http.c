/*
 * http.c - /metrics, /healthz and /alerts on evhttp (xm_http_api.h).
 * Served from the daemon's event loop; a request never touches packet
 * state, it only reads counters and the alert ring.
 */
#include "xm_http_api.h"
#include "xm_common.h"
#include "xm_out.h"
#include "xm_prom.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct http_alert {
    char *json;             /* serialised alert, NUL-terminated */
    size_t len;
};

struct http_srv {
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    double t0;                              /* monotonic start, seconds */
    http_metrics_fn metrics_fn;
    void *metrics_ctx;
    http_health_fn health_fn;
    void *health_ctx;
    /* Ring of the newest alerts; slot (head + i) % RING for i < count,
     * oldest first.  Eviction: the oldest alert is freed when full. */
    struct http_alert ring[HTTP_ALERT_RING];
    size_t head, count;
    unsigned long long noted, too_big, requests;
};

static double http_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- alert ring -------------------------------------------------------- */

void http_note_alert(struct http_srv *h, const json_t *alert)
{
    if (!h || !alert)
        return;
    h->noted++;
    char *s = json_dumps(alert, JSON_COMPACT);
    if (!s || strlen(s) > HTTP_ALERT_MAX) {
        h->too_big++;
        free(s);
        return;
    }
    size_t slot = (h->head + h->count) % HTTP_ALERT_RING;
    if (h->count == HTTP_ALERT_RING) {
        free(h->ring[h->head].json);        /* evict the oldest */
        slot = h->head;
        h->head = (h->head + 1) % HTTP_ALERT_RING;
        h->count--;
    }
    h->ring[slot].json = s;
    h->ring[slot].len = strlen(s);
    h->count++;
}

unsigned long long http_alerts_noted(const struct http_srv *h)
{
    return h ? h->noted : 0;
}

/* ---- handlers ---------------------------------------------------------- */

static void http_reply(struct evhttp_request *req, int code, const char *reason,
                       const char *ctype, struct evbuffer *body)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evhttp_send_reply(req, code, reason, body);
}

static void http_metrics(struct http_srv *h, struct evbuffer *body)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    xm_prom_head(f, "exfilmon_uptime_seconds", "gauge", "Seconds since the daemon started.");
    xm_prom_fixed(f, "exfilmon_uptime_seconds", http_mono() - h->t0, 3);
    xm_prom_metric(f, "exfilmon_http_requests_total", "counter", "HTTP requests served.",
                   h->requests);
    xm_prom_metric(f, "exfilmon_http_alerts_noted_total", "counter",
                   "Alerts seen by the /alerts ring.", h->noted);
    if (h->metrics_fn)
        h->metrics_fn(h->metrics_ctx, f);
    out_write_metrics(f);
    fclose(f);
    evbuffer_add(body, text, len);
    free(text);
}

/* ?limit=N, default and cap: everything in the ring. */
static size_t http_limit(struct evhttp_request *req, size_t have)
{
    const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq kv;
    size_t n = have;
    if (!q || evhttp_parse_query_str(q, &kv) != 0)
        return n;
    const char *v = evhttp_find_header(&kv, "limit");
    char *end = NULL;
    unsigned long l = v ? strtoul(v, &end, 10) : 0;
    if (v && end != v && *end == '\0' && l < n)
        n = (size_t)l;
    evhttp_clear_headers(&kv);
    return n;
}

static void http_alerts(struct http_srv *h, struct evhttp_request *req,
                        struct evbuffer *body)
{
    size_t n = http_limit(req, h->count);
    evbuffer_add(body, "[", 1);
    for (size_t i = h->count - n; i < h->count; i++) {
        const struct http_alert *a = &h->ring[(h->head + i) % HTTP_ALERT_RING];
        if (i > h->count - n)
            evbuffer_add(body, ",\n", 2);
        evbuffer_add(body, a->json, a->len);
    }
    evbuffer_add(body, "]\n", 2);
}

/* "ok uptime_seconds=N" (200), or "degraded uptime_seconds=N
 * failing_outputs=K: REASONS" (503) while an output cannot write or
 * reopen (xm_out.h, out_health) or the health callback reports a
 * problem (--site-redis unreachable). */
static void http_health(struct http_srv *h, struct evhttp_request *req,
                        struct evbuffer *body)
{
    char why[1024];
    size_t bad = out_health(why, sizeof why), n = strlen(why);
    if (h->health_fn && n + 3 < sizeof why) {
        size_t more = h->health_fn(h->health_ctx, why + n + (bad ? 2 : 0),
                                   sizeof why - n - 2);
        if (more && bad)
            memcpy(why + n, "; ", 2);
        bad += more;
    }
    double up = http_mono() - h->t0;
    if (!bad) {
        evbuffer_add_printf(body, "ok uptime_seconds=%.0f\n", up);
        http_reply(req, 200, "OK", "text/plain; charset=utf-8", body);
        return;
    }
    evbuffer_add_printf(body, "degraded uptime_seconds=%.0f failing_outputs=%zu: %s\n",
                        up, bad, why);
    http_reply(req, 503, "Service Unavailable", "text/plain; charset=utf-8", body);
}

static void http_route(struct http_srv *h, struct evhttp_request *req,
                       const char *path, struct evbuffer *body)
{
    if (strcmp(path, "/metrics") == 0) {
        http_metrics(h, body);
        http_reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body);
    } else if (strcmp(path, "/healthz") == 0) {
        http_health(h, req, body);
    } else if (strcmp(path, "/alerts") == 0) {
        http_alerts(h, req, body);
        http_reply(req, 200, "OK", "application/json", body);
    } else {
        evbuffer_add_printf(body, "not found; try /metrics, /healthz or /alerts\n");
        http_reply(req, 404, "Not Found", "text/plain; charset=utf-8", body);
    }
}

static void http_on_request(struct evhttp_request *req, void *arg)
{
    struct http_srv *h = arg;
    struct evbuffer *body = evbuffer_new();
    if (!body) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    h->requests++;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        evbuffer_add_printf(body, "method not allowed\n");
        http_reply(req, 405, "Method Not Allowed", "text/plain; charset=utf-8", body);
    } else {
        http_route(h, req, path ? path : "/", body);
    }
    evbuffer_free(body);
}

/* ---- set-up ------------------------------------------------------------ */

/* "host:port" or "[v6]:port" into host (unbracketed) and port. */
static int http_split(const char *listen, char *host, size_t hlen, uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return -1;
    const char *h0 = listen, *h1 = colon;
    if (*listen == '[') {
        if (colon[-1] != ']')
            return -1;
        h0++;
        h1--;
    }
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p > 65535 || (size_t)(h1 - h0) >= hlen)
        return -1;
    memcpy(host, h0, (size_t)(h1 - h0));
    host[h1 - h0] = '\0';
    *port = (uint16_t)p;
    return 0;
}

int http_parse_listen(const char *listen, char *host, size_t hlen, uint16_t *port)
{
    return http_split(listen, host, hlen, port);
}

struct http_srv *http_new(struct event_base *base, const char *listen,
                          char *err, size_t errlen)
{
    char host[128];
    uint16_t port;
    if (http_split(listen, host, sizeof host, &port) != 0) {
        snprintf(err, errlen, "--http %s: expected ADDR:PORT, e.g. 127.0.0.1:9464", listen);
        return NULL;
    }
    struct http_srv *h = calloc(1, sizeof *h);
    if (!h || !(h->http = evhttp_new(base))) {
        snprintf(err, errlen, "--http %s: out of memory", listen);
        goto fail;
    }
    h->sock = evhttp_bind_socket_with_handle(h->http, host, port);
    if (!h->sock) {
        snprintf(err, errlen, "--http %s: cannot listen: %s", listen, strerror(errno));
        goto fail;
    }
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(h->http, http_on_request, h);
    evhttp_set_timeout(h->http, 10);
    h->t0 = http_mono();
    return h;
fail:
    http_free(h);
    return NULL;
}

void http_set_health(struct http_srv *h, http_health_fn fn, void *ctx)
{
    h->health_fn = fn;
    h->health_ctx = ctx;
}

void http_set_metrics(struct http_srv *h, http_metrics_fn fn, void *ctx)
{
    h->metrics_fn = fn;
    h->metrics_ctx = ctx;
}

int http_port(const struct http_srv *h)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = evhttp_bound_socket_get_fd(h->sock);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void http_free(struct http_srv *h)
{
    if (!h)
        return;
    if (h->http)
        evhttp_free(h->http);
    for (size_t i = 0; i < h->count; i++)
        free(h->ring[(h->head + i) % HTTP_ALERT_RING].json);
    free(h);
}
