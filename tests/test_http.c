/*
 * test_http.c - src/http.c served on 127.0.0.1 with an ephemeral port
 * inside this process; a raw client socket on the same event loop fetches
 * /metrics (validated as Prometheus text), /healthz, /alerts and a 404.
 * Also checks the validator itself rejects malformed exposition text.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "prom_check.h"
#include "xm_http_api.h"
#include "xm_out.h"
#include "xm_test.h"

struct fetch {
    struct event_base *base;
    int fd;
    char *buf;
    size_t len, cap;
};

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct fetch *f = arg;
    if (what & EV_TIMEOUT) {
        event_base_loopbreak(f->base);
        return;
    }
    if (f->cap - f->len < 4096) {
        f->cap = f->cap * 2 + 8192;
        f->buf = realloc(f->buf, f->cap);
    }
    ssize_t r = recv(fd, f->buf + f->len, f->cap - f->len - 1, 0);
    if (r > 0) {
        f->len += (size_t)r;
        f->buf[f->len] = '\0';
        return;
    }
    event_base_loopbreak(f->base);      /* EOF: the whole response is in */
}

/* GET path over a raw socket; returns the malloc'd response (headers
 * and body) or NULL. */
static char *fetch(struct event_base *base, int port, const char *method, const char *path)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct fetch f = { .base = base, .fd = socket(AF_INET, SOCK_STREAM, 0) };
    if (connect(f.fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(f.fd);
        return NULL;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                     "Connection: close\r\n\r\n", method, path);
    if (send(f.fd, req, (size_t)n, 0) != n) {
        close(f.fd);
        return NULL;
    }
    struct event *ev = event_new(base, f.fd, EV_READ | EV_PERSIST, on_read, &f);
    struct timeval tv = { 5, 0 };
    event_add(ev, &tv);
    event_base_dispatch(base);
    event_free(ev);
    close(f.fd);
    return f.buf;
}

static const char *body_of(const char *resp)
{
    const char *b = resp ? strstr(resp, "\r\n\r\n") : NULL;
    return b ? b + 4 : "";
}

static void fake_pipeline_metrics(void *ctx, FILE *f)
{
    int *calls = ctx;
    (*calls)++;
    fputs("# HELP exfilmon_packets_total Frames seen.\n"
          "# TYPE exfilmon_packets_total counter\n"
          "exfilmon_packets_total 42\n"
          "# HELP exfilmon_decode_errors_total Decode errors by reason.\n"
          "# TYPE exfilmon_decode_errors_total counter\n"
          "exfilmon_decode_errors_total{reason=\"truncated\"} 3\n"
          "exfilmon_decode_errors_total{reason=\"invalid\"} 1\n", f);
}

static void test_validator(void)
{
    char why[512];
    CHECK_EQ_U64(prom_check("# HELP a_b x\n# TYPE a_b counter\na_b 1\na_b{x=\"1\"} 2.5e3\n",
                            why, sizeof why), 2);
    CHECK(prom_check("a b\n", why, sizeof why) < 0);
    CHECK(prom_check("a{x=1} 2\n", why, sizeof why) < 0);
    CHECK(prom_check("a 1", why, sizeof why) < 0);
    CHECK(prom_check("# TYPE a bogus\n", why, sizeof why) < 0);
    CHECK(prom_check("# TYPE a gauge\n# TYPE a gauge\n", why, sizeof why) < 0);
    CHECK(prom_check("a 1\nb 2\na 3\n", why, sizeof why) < 0);
    CHECK_STR(why, "line 3: metric family not contiguous: a 3");
    CHECK(prom_check("a{x=\"\\q\"} 1\n", why, sizeof why) < 0);
    CHECK(prom_check("9a 1\n", why, sizeof why) < 0);
    CHECK_EQ_U64(prom_check("a +Inf\nb NaN 1700000000000\n", why, sizeof why), 2);
}

int main(void)
{
    char err[256];
    test_validator();
    struct event_base *base = event_base_new();
    CHECK(http_new(base, "127.0.0.1", err, sizeof err) == NULL);
    CHECK_STR(err, "--http 127.0.0.1: expected ADDR:PORT, e.g. 127.0.0.1:9464");
    struct http_srv *h = http_new(base, "127.0.0.1:0", err, sizeof err);
    CHECK(h != NULL);
    if (!h)
        return xm_test_result();
    int port = http_port(h), calls = 0;
    CHECK(port > 0);
    http_set_metrics(h, fake_pipeline_metrics, &calls);

    /* an output so the output counters appear */
    struct out *o = out_open("/dev/null", true, err, sizeof err);
    out_write(o, json_pack("{s:s}", "event_type", "alert"));
    out_flush(o);

    char *r = fetch(base, port, "GET", "/metrics");
    CHECK(r != NULL);
    CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(r && strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    char why[512] = "";
    int samples = prom_check(body_of(r), why, sizeof why);
    if (samples < 0)
        fprintf(stderr, "prom_check: %s\n", why);
    CHECK(samples >= 12);
    CHECK_EQ_U64(calls, 1);
    CHECK(strstr(body_of(r), "\nexfilmon_decode_errors_total{reason=\"truncated\"} 3\n"));
    CHECK(strstr(body_of(r),
                 "\nexfilmon_out_written_total{output=\"/dev/null\",kind=\"file\"} 1\n"));
    free(r);

    r = fetch(base, port, "GET", "/healthz");
    CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(r && strncmp(body_of(r), "ok uptime_seconds=", 18) == 0);
    free(r);

    /* an output that cannot write: degraded, with the reason, until it
     * is gone */
    struct out *full = out_open("/dev/full", true, err, sizeof err);
    for (int i = 0; i < 2000; i++)
        out_write(full, json_pack("{s:s,s:i}", "event_type", "flow", "n", i));
    CHECK(out_flush(full) != 0);
    r = fetch(base, port, "GET", "/healthz");
    CHECK(r && strncmp(r, "HTTP/1.1 503 ", 13) == 0);
    CHECK(r && strncmp(body_of(r), "degraded uptime_seconds=", 24) == 0);
    CHECK(r && strstr(body_of(r), " failing_outputs=1: /dev/full: write failed: "
                                  "No space left on device\n") != NULL);
    free(r);
    r = fetch(base, port, "GET", "/metrics");
    CHECK(r && strstr(body_of(r),
                      "\nexfilmon_out_healthy{output=\"/dev/full\",kind=\"file\"} 0\n"));
    CHECK(r && strstr(body_of(r),
                      "\nexfilmon_out_healthy{output=\"/dev/null\",kind=\"file\"} 1\n"));
    free(r);
    out_close(full);
    r = fetch(base, port, "GET", "/healthz");
    CHECK(r && strncmp(body_of(r), "ok uptime_seconds=", 18) == 0);
    free(r);

    r = fetch(base, port, "GET", "/alerts");
    CHECK_STR(body_of(r), "[]\n");
    free(r);
    for (int i = 0; i < HTTP_ALERT_RING + 5; i++) {
        json_t *a = json_pack("{s:s,s:i}", "event_type", "alert", "n", i);
        http_note_alert(h, a);
        json_decref(a);
    }
    CHECK_EQ_U64(http_alerts_noted(h), HTTP_ALERT_RING + 5);
    r = fetch(base, port, "GET", "/alerts?limit=2");
    char want[256];
    snprintf(want, sizeof want, "[{\"event_type\":\"alert\",\"n\":%d},\n"
             "{\"event_type\":\"alert\",\"n\":%d}]\n", HTTP_ALERT_RING + 3, HTTP_ALERT_RING + 4);
    CHECK_STR(body_of(r), want);
    free(r);
    r = fetch(base, port, "GET", "/alerts");
    json_error_t je;
    json_t *arr = json_loads(body_of(r), 0, &je);
    CHECK(json_is_array(arr));
    CHECK_EQ_U64(json_array_size(arr), HTTP_ALERT_RING);
    CHECK_EQ_U64(json_integer_value(json_object_get(json_array_get(arr, 0), "n")), 5);
    json_decref(arr);
    free(r);

    r = fetch(base, port, "GET", "/nope");
    CHECK(r && strncmp(r, "HTTP/1.1 404 ", 13) == 0);
    free(r);
    r = fetch(base, port, "POST", "/metrics");
    CHECK(r && strncmp(r, "HTTP/1.1 405 ", 13) == 0);
    free(r);

    out_close(o);
    http_free(h);
    event_base_free(base);
    return xm_test_result();
}
