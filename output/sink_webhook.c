/*
 * sink_webhook.c - "webhook:FORMAT:RATE:http://host[:port]/path": each
 * record is POSTed as one JSON body (Content-Type: application/json).
 * FORMAT "json" posts the record itself; "slack" posts {"text": "..."}, a
 * one-line summary Slack-compatible incoming webhooks (and Mattermost,
 * Rocket.Chat) accept.  RATE is the most posts per minute (rate limit).
 * Plain http only.
 *
 * Queue: bodies wait as lines in one bounded byte queue (o->buf,
 * WH_QUEUE bytes, allocated at open); the worker only appends (netq_put)
 * and the sink's sender thread (output/netq.c) posts them in order, one
 * connection per post (Connection: close), and removes a body once the
 * receiver answered 2xx (or a 4xx other than 408/429: a body the
 * receiver will never take is dropped and counted, not retried forever).
 * Connect errors, timeouts, 408, 429 and 5xx keep it queued and start an
 * exponential backoff (0.5 s doubling to 30 s).  A body that does not fit
 * is dropped and counted; one log line per outage gives the count.
 * Blocking (replay) mode follows netq.c's rule (wait for room while the
 * receiver is up, drop while it is down) and waits at close up to
 * WH_CLOSE_WAIT_MS; socket timeouts are WH_TIMEOUT_MS, on the sender.
 */
#include "sink.h"

#include "xm_log.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WH_QUEUE          (1024u * 1024u)
#define WH_TIMEOUT_MS     2000
#define WH_CLOSE_WAIT_MS  30000u
#define WH_DEFAULT_RATE   60u        /* posts per minute */
#define WH_TEXT_MAX       1024u

struct wh_cfg {
    bool slack;
    unsigned rate;                  /* posts per minute */
    char user[8], pass[8], host[256], port[8], path[1024];
};

struct wh {
    struct wh_cfg cfg;
    uint64_t next_try_ms, delay_ms; /* backoff */
    uint64_t next_post_ms;          /* rate limit */
    uint64_t episode_drops;
    char *req;                      /* request headers, 2048 bytes (sender) */
    char *body;                     /* the sender's copy of the front body */
    struct netq q;                  /* the sender thread */
};

/* ---- spec ----------------------------------------------------------------- */

static int wh_parse_url(const char *url, struct wh_cfg *c, char *why, size_t wl)
{
    int port;
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(why, wl, "only http:// URLs");
        return -1;
    }
    const char *a = url + 7;
    size_t an = strcspn(a, "/?#");
    if (net_authority(a, an, 0, c->user, sizeof c->user, c->pass, sizeof c->pass, c->host,
                      sizeof c->host, &port, 80, why, wl) != 0)
        return -1;
    if (c->user[0]) {
        snprintf(why, wl, "no user:password in webhook URLs");
        return -1;
    }
    snprintf(c->port, sizeof c->port, "%d", port);
    const char *p = a[an] ? a + an : "/";
    if (strlen(p) >= sizeof c->path || strpbrk(p, " \r\n")) {
        snprintf(why, wl, "bad path");
        return -1;
    }
    strcpy(c->path, p);
    return 0;
}

/* "webhook:json|slack:RATE:URL" (RATE empty: the default). */
static int wh_parse(const char *spec, struct wh_cfg *c, char *err, size_t errlen)
{
    char why[128] = "bad format (json or slack)";
    const char *f = spec + strlen("webhook:");
    const char *r = strchr(f, ':');
    const char *u = r ? strchr(r + 1, ':') : NULL;
    memset(c, 0, sizeof *c);
    c->rate = WH_DEFAULT_RATE;
    if (!r || !u)
        goto bad;
    c->slack = (size_t)(r - f) == 5 && !strncmp(f, "slack", 5);
    if (!c->slack && !((size_t)(r - f) == 4 && !strncmp(f, "json", 4)))
        goto bad;
    char *end;
    unsigned long v = strtoul(r + 1, &end, 10);
    if (end != r + 1 && (end != u || v == 0 || v > 6000)) {
        snprintf(why, sizeof why, "bad rate (1-6000 posts per minute)");
        goto bad;
    }
    if (end != r + 1)
        c->rate = (unsigned)v;
    if (wh_parse_url(u + 1, c, why, sizeof why) == 0)
        return 0;
bad:
    snprintf(err, errlen, "--webhook: %s: %s", u ? u + 1 : spec, why);
    return -1;
}

static int wh_check(const char *spec, char *err, size_t errlen)
{
    struct wh_cfg c;
    return wh_parse(spec, &c, err, errlen);
}

/* ---- bodies --------------------------------------------------------------- */

static const char *wh_str(const json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

/* The Slack text: one line naming what, who, where, how bad. */
static void wh_slack_text(const json_t *rec, char *t, size_t tl)
{
    const json_t *inc = json_object_get(rec, "incident");
    const json_t *al = json_object_get(rec, "alert");
    const char *host = json_string_value(json_object_get(rec, "host"));
    if (inc)
        snprintf(t, tl, "exfilmon incident #%lld %s (%s, score %.0f): %s -> %s, %lld bytes out",
                 json_integer_value(json_object_get(inc, "id")), wh_str(inc, "state", "?"),
                 wh_str(inc, "severity_name", "?"),
                 json_number_value(json_object_get(inc, "score")),
                 wh_str(rec, "src_ip", "?"), wh_str(rec, "dest_ip", "?"),
                 json_integer_value(json_object_get(inc, "bytes_out")));
    else
        snprintf(t, tl, "exfilmon %s: %s: %s -> %s", wh_str(rec, "event_type", "record"),
                 al ? wh_str(al, "signature", "?") : "?", wh_str(rec, "src_ip", "?"),
                 wh_str(rec, "dest_ip", "?"));
    if (host && strlen(t) + strlen(host) + 12 < tl)
        snprintf(t + strlen(t), tl - strlen(t), " (host %s)", host);
}

/* The body of the record s (n bytes) into o->scratch: the record itself,
 * or (slack) the one-line text of the parsed record (at most --webhook-rate
 * a minute, so parsing it back is cheap).  Its length, 0 if it failed. */
static size_t wh_body(struct out *o, const struct wh *w, const char *s, size_t n)
{
    if (!w->cfg.slack) {
        if (n > OUT_SCRATCH - 1)
            return 0;
        memcpy(o->scratch, s, n);
        return n;
    }
    char t[WH_TEXT_MAX];
    json_t *rec = json_loadb(s, n, JSON_ALLOW_NUL, NULL);
    wh_slack_text(rec, t, sizeof t);
    json_decref(rec);
    json_t *b = json_pack("{s:s}", "text", t);
    size_t bn = b ? json_dumpb(b, o->scratch, OUT_SCRATCH - 1, JSON_COMPACT) : 0;
    json_decref(b);
    return bn;
}

static void wh_write(struct out *o, const char *type, const char *key, const char *s,
                 size_t len)
{
    struct wh *w = o->priv;
    size_t n = wh_body(o, w, s, len);
    if (n == 0 || n > OUT_SCRATCH - 1) {
        o->st.dropped++;
        return;
    }
    o->scratch[n++] = '\n';
    if (!netq_put(o, o->scratch, n)) {
        o->st.dropped++;
        w->episode_drops++;
    }
}

/* ---- HTTP ----------------------------------------------------------------- */

static int wh_connect(const struct wh *w)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(w->cfg.host, w->cfg.port, &hints, &ai) != 0 || !ai)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {WH_TIMEOUT_MS / 1000, (WH_TIMEOUT_MS % 1000) * 1000};
    if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
                    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int wh_send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t s = send(fd, p, n, MSG_NOSIGNAL);
        if (s < 0 && errno == EINTR)
            continue;
        if (s <= 0)
            return -1;
        p += s;
        n -= (size_t)s;
    }
    return 0;
}

/* Reads the status line "HTTP/1.x NNN"; the status, or -1. */
static int wh_status(int fd)
{
    char b[64];
    size_t n = 0;
    while (n < 12) {
        ssize_t r = recv(fd, b + n, sizeof b - 1 - n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        n += (size_t)r;
    }
    b[n] = '\0';
    int st = 0;
    return sscanf(b, "HTTP/1.%*d %3d", &st) == 1 ? st : -1;
}

/* POSTs one body; the HTTP status, or -1 (no answer). */
static int wh_post(struct wh *w, const char *body, size_t n)
{
    int fd = wh_connect(w);
    if (fd < 0)
        return -1;
    int hn = snprintf(w->req, 2048, "POST %s HTTP/1.1\r\nHost: %s:%s\r\n"
                      "User-Agent: exfilmon\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      w->cfg.path, w->cfg.host, w->cfg.port, n);
    int st = -1;
    if (hn > 0 && hn < 2048 && wh_send_all(fd, w->req, (size_t)hn) == 0 &&
        wh_send_all(fd, body, n) == 0)
        st = wh_status(fd);
    close(fd);
    return st;
}

/* ---- sending (sender thread) ---------------------------------------------- */

/* Sleeps until the rate allows the next post. */
static void wh_rate_wait(const struct wh *w)
{
    uint64_t now = net_now_ms();
    if (now >= w->next_post_ms)
        return;
    uint64_t ms = w->next_post_ms - now;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The sender's step (netq): posts the front body; removes it once posted
 * or refused for good. */
static int wh_send(struct out *o)
{
    struct wh *w = o->priv;
    if (net_now_ms() < w->next_try_ms)
        return -1;
    size_t lines, n = netq_peek(o, w->body, OUT_SCRATCH + 1, 1, &lines);
    if (lines == 0)
        return 0;
    wh_rate_wait(w);
    w->next_post_ms = net_now_ms() + 60000u / w->cfg.rate;
    errno = 0;
    int st = wh_post(w, w->body, n - 1);
    if (st < 0 || st == 408 || st == 429 || st >= 500) {
        netq_fail(o, st < 0 ? (errno ? errno : ECONNREFUSED) : EIO, NULL);
        net_backoff(&w->next_try_ms, &w->delay_ms);
        return -1;
    }
    if (st >= 300)
        xm_err("%s: receiver answered %d; record dropped", o->path, st);
    netq_pop(o, n, st < 300, st < 300 ? n - 1 : 0, st >= 300);
    w->delay_ms = 0;
    netq_ok(o);
    return 0;
}

/* The flush tick: wakes the sender, takes its counters; logs the drops
 * of an outage once the receiver takes posts again. */
static int wh_flush(struct out *o)
{
    struct wh *w = o->priv;
    if (!netq_sync(o))
        return -1;
    net_log_drops(o, &w->episode_drops, "(queue full) while the receiver was unreachable");
    return 0;
}

/* ---- open / close --------------------------------------------------------- */

static int wh_open(struct out *o, const char *spec, char *err, size_t errlen)
{
    struct wh *w = calloc(1, sizeof *w);
    o->priv = w;
    if (!w) {
        snprintf(err, errlen, "webhook: out of memory");
        return -1;
    }
    if (wh_parse(spec, &w->cfg, err, errlen) != 0)
        return -1;
    free(o->path);
    o->path = strdup(strchr(strchr(spec + 8, ':') + 1, ':') + 1);
    o->scratch = malloc(OUT_SCRATCH);
    w->req = malloc(2048);
    w->body = malloc(OUT_SCRATCH + 1);
    if (!o->path || !o->scratch || !w->req || !w->body || buf_init(&o->buf, WH_QUEUE) != 0) {
        snprintf(err, errlen, "webhook: out of memory");
        return -1;
    }
    if (netq_start(o, &w->q, wh_send, 1, true) != 0) {
        snprintf(err, errlen, "webhook: cannot start the sender thread");
        return -1;
    }
    return 0;
}

static void wh_close(struct out *o)
{
    struct wh *w = o->priv;
    if (!w)
        return;
    uint64_t left = netq_stop(o, o->blocking ? WH_CLOSE_WAIT_MS : WH_TIMEOUT_MS);
    o->st.dropped += left;
    w->episode_drops += left;
    if (o->path) {
        net_log_drops(o, &w->episode_drops, "at exit (receiver unreachable)");
        net_summary(o);
    }
    free(w->req);
    free(w->body);
    free(w);
    o->priv = NULL;
    o->netq = NULL;
}

static bool wh_claims(const char *spec) { return strncmp(spec, "webhook:", 8) == 0; }

const struct out_sink out_sink_webhook = {
    .kind = "webhook", .prefix = 0, .claims = wh_claims, .open = wh_open,
    .write = wh_write, .flush = wh_flush, .close = wh_close, .check = wh_check,
};
