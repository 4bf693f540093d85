/*
 * sink_redis.c - "redis://[user[:pass]@]host[:port][/db][?opts]": every
 * record is XADDed to the Redis stream PREFIX:EVENT_TYPE (exfilmon:flow,
 * exfilmon:alert, exfilmon:incident), field "eve" holding the JSON
 * record, "MAXLEN ~ N" so a stream stays bounded (the convention of
 * Suricata's EVE redis output in stream mode, one stream per type).
 *
 * Options: maxlen=N (default 100000 per stream), prefix=NAME (default
 * exfilmon), queue=BYTES (default 8 MiB; tests make it small).
 *
 * Queue: records wait as "TYPE JSON\n" lines in one bounded byte queue
 * (o->buf, allocated at open); out_flush() sends them in order, pipelined
 * in batches of RDS_BATCH, and removes exactly those Redis acknowledged.
 * A record that does not fit in the queue is dropped and counted (one
 * log line per outage gives the count).  While Redis is unreachable
 * reconnects follow an exponential backoff (0.5 s doubling to 30 s), so
 * a down broker costs one refused connect per backoff step, not one per
 * record.  Blocking (replay) mode flushes whenever the queue fills and
 * waits at close for up to RDS_CLOSE_WAIT_MS for Redis to come back.
 *
 * Live mode uses the same synchronous client with RDS_TIMEOUT_MS connect
 * and command timeouts, called from the 1-second flush tick (not
 * hiredis's libevent adapter).
 */
#include "sink.h"

#include "xm_log.h"
#include "xm_url.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RDS_DEFAULT_PORT   6379
#define RDS_DEFAULT_MAXLEN 100000u
#define RDS_BATCH          512u
#define RDS_TIMEOUT_MS     1000
#define RDS_CLOSE_WAIT_MS  10000u
#define RDS_TYPE_MAX       32u
#define RDS_RESYNC_SCAN    4096     /* newest entries searched after a cut batch */

struct rds_cfg {
    char user[128], pass[256], host[256], prefix[64];
    int port, db;
    unsigned long maxlen;
    size_t queue;
};

struct rds {
    struct rds_cfg cfg;
    redisContext *c;
    uint64_t next_try_ms, delay_ms;
    uint64_t episode_drops;         /* dropped since the last drop log line */
    uint64_t head_seq;              /* "seq" of the record at the queue's head */
    bool resync;                    /* a batch was cut: find what Redis took */
    char run[300];                  /* this run's id, the entries' "run" field:
                                     * HOSTNAME-PID-MONOTONIC_MS */
};

/* ---- URL ------------------------------------------------------------------ */

static int rds_opt(struct rds_cfg *c, const char *kv, size_t n, char *err, size_t errlen)
{
    char buf[96], *end;
    if (n >= sizeof buf)
        goto bad;
    memcpy(buf, kv, n);
    buf[n] = '\0';
    char *eq = strchr(buf, '=');
    if (!eq)
        goto bad;
    *eq++ = '\0';
    if (!strcmp(buf, "prefix") && *eq && strlen(eq) < sizeof c->prefix &&
        !strpbrk(eq, " \t")) {
        strcpy(c->prefix, eq);
        return 0;
    }
    unsigned long long v = strtoull(eq, &end, 10);
    if (*eq && !*end && !strcmp(buf, "maxlen") && v > 0) {
        c->maxlen = (unsigned long)v;
        return 0;
    }
    if (*eq && !*end && !strcmp(buf, "queue") && v >= 1024 && v <= (1ull << 30)) {
        c->queue = (size_t)v;
        return 0;
    }
bad:
    snprintf(err, errlen, "bad option '%.*s' (maxlen=N, prefix=NAME, queue=BYTES)",
             (int)n, kv);
    return -1;
}

static int rds_opts(struct rds_cfg *c, const char *q, char *err, size_t errlen)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (rds_opt(c, q, n, err, errlen) != 0)
            return -1;
        q += n + (q[n] == '&');
    }
    return 0;
}

static int rds_db(struct rds_cfg *c, const char *s, size_t n)
{
    c->db = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || c->db > 10000)
            return -1;
        c->db = c->db * 10 + (s[i] - '0');
    }
    return 0;
}

/* Parses the URL (syntax only, nothing is resolved). */
static int rds_parse(const char *spec, struct rds_cfg *c, char *err, size_t errlen)
{
    char why[128] = "";
    memset(c, 0, sizeof *c);
    c->maxlen = RDS_DEFAULT_MAXLEN;
    c->queue = OUT_LIVE_BUF;
    strcpy(c->prefix, "exfilmon");
    const char *a = spec + strlen("redis://");
    size_t an = strcspn(a, "/?");
    const char *db = a[an] == '/' ? a + an + 1 : NULL;
    size_t dn = db ? strcspn(db, "?") : 0;
    const char *q = strchr(a, '?');
    if (net_authority(a, an, XM_URL_LONE_PASS, c->user, sizeof c->user, c->pass, sizeof c->pass, c->host,
                      sizeof c->host, &c->port, RDS_DEFAULT_PORT, why, sizeof why) != 0 ||
        (db && rds_db(c, db, dn) != 0 && snprintf(why, sizeof why, "bad database number")) ||
        (q && rds_opts(c, q + 1, why, sizeof why) != 0)) {
        snprintf(err, errlen, "--redis: %s: %s (redis://[user:pass@]host[:port][/db]"
                 "[?maxlen=N&prefix=NAME&queue=BYTES])", spec, why);
        return -1;
    }
    return 0;
}

static int rds_check(const char *spec, char *err, size_t errlen)
{
    struct rds_cfg c;
    return rds_parse(spec, &c, err, errlen);
}

/* ---- connection ----------------------------------------------------------- */

static void rds_drop_conn(struct rds *r)
{
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
}

/* Sends one command and wants a non-error reply; 0 or -1. */
static int rds_cmd_ok(struct rds *r, const char *fmt, const char *a, const char *b)
{
    redisReply *rep = redisCommand(r->c, fmt, a, b);
    int ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (rep && !ok)
        xm_err("redis %s:%d: %s", r->cfg.host, r->cfg.port, rep->str);
    freeReplyObject(rep);
    return ok ? 0 : -1;
}

static int rds_login(struct rds *r)
{
    char db[16];
    snprintf(db, sizeof db, "%d", r->cfg.db);
    if (r->cfg.pass[0] && r->cfg.user[0] &&
        rds_cmd_ok(r, "AUTH %s %s", r->cfg.user, r->cfg.pass) != 0)
        return -1;
    if (r->cfg.pass[0] && !r->cfg.user[0] && rds_cmd_ok(r, "AUTH %s%s", r->cfg.pass, "") != 0)
        return -1;
    return r->cfg.db ? rds_cmd_ok(r, "SELECT %s%s", db, "") : 0;
}

/* Connects unless connected or still backing off; 0 when connected. */
static int rds_connect(struct out *o, struct rds *r)
{
    if (r->c)
        return 0;
    if (net_now_ms() < r->next_try_ms)
        return -1;
    struct timeval tv = {RDS_TIMEOUT_MS / 1000, (RDS_TIMEOUT_MS % 1000) * 1000};
    r->c = redisConnectWithTimeout(r->cfg.host, r->cfg.port, tv);
    if (r->c && !r->c->err && redisSetTimeout(r->c, tv) == REDIS_OK && rds_login(r) == 0) {
        r->delay_ms = 0;
        return 0;
    }
    out_error(o, r->c && r->c->err == REDIS_ERR_IO ? errno : ECONNREFUSED);
    rds_drop_conn(r);
    net_backoff(&r->next_try_ms, &r->delay_ms);
    return -1;
}

/* ---- queue ---------------------------------------------------------------- */

/* Appends one XADD for the queued line at p (n bytes, without '\n'). */
static void rds_append(struct rds *r, const char *p, size_t n, uint64_t seq)
{
    const char *sp = memchr(p, ' ', n);
    size_t tn = (size_t)(sp - p);
    redisAppendCommand(r->c, "XADD %s:%b MAXLEN ~ %lu * eve %b run %s seq %llu",
                       r->cfg.prefix, p, tn, r->cfg.maxlen, sp + 1, n - tn - 1, r->run,
                       (unsigned long long)seq);
}

/* Removes the head record as delivered. */
static void rds_pop(struct out *o, struct rds *r)
{
    const char *nl = memchr(o->buf.p + o->buf.head, '\n', o->buf.tail - o->buf.head);
    o->st.bytes += (uint64_t)(nl + 1 - (o->buf.p + o->buf.head));
    o->st.written++;
    o->buf.head = (size_t)(nl + 1 - o->buf.p);
    r->head_seq++;
}

/* The highest "seq" of this run among the newest RDS_RESYNC_SCAN entries
 * of stream PREFIX:TYPE (t, tn bytes); 0 when none. */
static uint64_t rds_last_seq(struct rds *r, const char *t, size_t tn)
{
    uint64_t best = 0;
    redisReply *rep = redisCommand(r->c, "XREVRANGE %s:%b + - COUNT %d", r->cfg.prefix, t,
                                   tn, RDS_RESYNC_SCAN);
    for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const redisReply *e = rep->element[i];
        const redisReply *f = e->type == REDIS_REPLY_ARRAY && e->elements == 2 ?
                              e->element[1] : NULL;
        if (!f || f->type != REDIS_REPLY_ARRAY || f->elements != 6 ||
            strcmp(f->element[3]->str ? f->element[3]->str : "", r->run) != 0)
            continue;
        uint64_t q = strtoull(f->element[5]->str ? f->element[5]->str : "0", NULL, 10);
        best = q > best ? q : best;
    }
    freeReplyObject(rep);
    return best;
}

/* After a cut batch: the records Redis executed before the cut are a
 * prefix of the queue; finds the last one (by this run's "seq" in the
 * streams the batch touched) and removes them, so nothing is sent twice. */
static void rds_resync(struct out *o, struct rds *r)
{
    uint64_t last = 0;
    size_t off = o->buf.head;
    for (size_t k = 0; k < RDS_BATCH && off < o->buf.tail; k++) {
        const char *p = o->buf.p + off, *nl = memchr(p, '\n', o->buf.tail - off);
        const char *sp = memchr(p, ' ', (size_t)(nl - p));
        bool seen = false;          /* type already asked about in this batch */
        for (size_t j = o->buf.head; j < off && !seen;) {
            const char *q = o->buf.p + j, *qn = memchr(q, '\n', o->buf.tail - j);
            seen = !memcmp(q, p, (size_t)(sp - p) + 1);
            j = (size_t)(qn + 1 - o->buf.p);
        }
        uint64_t l = seen ? 0 : rds_last_seq(r, p, (size_t)(sp - p));
        last = l > last ? l : last;
        off = (size_t)(nl + 1 - o->buf.p);
    }
    while (buf_pending(&o->buf) > 0 && r->head_seq <= last)
        rds_pop(o, r);
    r->resync = false;
}

/* Sends up to RDS_BATCH queued records; returns how many Redis took
 * (from the front), or -1 when the connection failed first. */
static int rds_batch(struct out *o, struct rds *r)
{
    if (r->resync)
        rds_resync(o, r);           /* may pop: the batch starts after it */
    size_t off = o->buf.head, sent = 0;
    while (sent < RDS_BATCH && off < o->buf.tail) {
        const char *nl = memchr(o->buf.p + off, '\n', o->buf.tail - off);
        rds_append(r, o->buf.p + off, (size_t)(nl - (o->buf.p + off)), r->head_seq + sent);
        off = (size_t)(nl - o->buf.p) + 1;
        sent++;
    }
    for (size_t i = 0; i < sent; i++) {
        void *rep = NULL;
        if (redisGetReply(r->c, &rep) != REDIS_OK) {
            r->resync = true;
            return -1;
        }
        if (((redisReply *)rep)->type == REDIS_REPLY_ERROR) {
            xm_err("%s: XADD: %s", o->path, ((redisReply *)rep)->str);
            o->st.dropped++;        /* refused by Redis: never retried */
            o->st.written--;
        }
        freeReplyObject(rep);
        rds_pop(o, r);
    }
    return (int)sent;
}

static int rds_flush(struct out *o)
{
    struct rds *r = o->priv;
    while (buf_pending(&o->buf) > 0) {
        if (rds_connect(o, r) != 0)
            return -1;
        if (rds_batch(o, r) < 0 || r->c->err) {
            out_error(o, ECONNRESET);
            rds_drop_conn(r);
            net_backoff(&r->next_try_ms, &r->delay_ms);
            return -1;
        }
    }
    o->buf.head = o->buf.tail = 0;
    out_recovered(o);
    net_log_drops(o, &r->episode_drops, "(queue full) while Redis was unreachable or slow");
    return 0;
}

/* event_type as a stream suffix: [a-z0-9_] only, else "other". */
static void rds_type(const char *s, char *t, size_t tl)
{
    size_t n = strlen(s);
    bool ok = n > 0 && n < tl;
    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
    snprintf(t, tl, "%s", ok ? s : "other");
}

static void rds_write(struct out *o, const char *type, const char *key, const char *s,
                 size_t len)
{
    struct rds *r = o->priv;
    char t[RDS_TYPE_MAX];
    rds_type(type, t, sizeof t);
    size_t tn = strlen(t), n = len;
    if (n > OUT_SCRATCH - tn - 2) {
        o->st.dropped++;
        return;
    }
    memcpy(o->scratch, t, tn);
    o->scratch[tn] = ' ';
    memcpy(o->scratch + tn + 1, s, len);
    n += tn + 1;
    o->scratch[n++] = '\n';
    if (buf_room(&o->buf) < n && o->blocking)
        (void)rds_flush(o);
    if (buf_room(&o->buf) < n) {
        o->st.dropped++;
        r->episode_drops++;
        return;
    }
    memcpy(o->buf.p + o->buf.tail, o->scratch, n);
    o->buf.tail += n;
}

/* ---- open / close --------------------------------------------------------- */

/* The display name (metrics, logs) without the password. */
static char *rds_display(const struct rds_cfg *c)
{
    char d[600];
    snprintf(d, sizeof d, "redis://%s%s%s:%d/%d", c->user, c->user[0] ? "@" : "", c->host,
             c->port, c->db);
    return strdup(d);
}

static int rds_open(struct out *o, const char *spec, char *err, size_t errlen)
{
    struct rds *r = calloc(1, sizeof *r);
    o->priv = r;
    if (!r || rds_parse(spec, &r->cfg, err, errlen) != 0)
        return r ? -1 : (snprintf(err, errlen, "redis: out of memory"), -1);
    free(o->path);
    o->path = rds_display(&r->cfg);
    r->head_seq = 1;
    char hn[256] = "";
    (void)gethostname(hn, sizeof hn - 1);
    snprintf(r->run, sizeof r->run, "%s-%lu-%llu", hn, (unsigned long)getpid(),
             (unsigned long long)net_now_ms());
    o->scratch = malloc(OUT_SCRATCH);
    if (!o->path || !o->scratch || buf_init(&o->buf, r->cfg.queue) != 0) {
        snprintf(err, errlen, "redis: out of memory");
        return -1;
    }
    (void)rds_connect(o, r);      /* a down Redis is not fatal: queued, retried */
    return 0;
}

static void rds_close(struct out *o)
{
    struct rds *r = o->priv;
    if (!r)
        return;
    uint64_t until = net_now_ms() + (o->blocking ? RDS_CLOSE_WAIT_MS : RDS_TIMEOUT_MS);
    while (o->path && o->buf.p && rds_flush(o) != 0 && net_now_ms() < until) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    uint64_t left = o->buf.p ? count_lines(o->buf.p + o->buf.head, buf_pending(&o->buf)) : 0;
    o->st.dropped += left;
    r->episode_drops += left;
    if (o->path) {
        net_log_drops(o, &r->episode_drops, "at exit (Redis unreachable)");
        net_summary(o);
    }
    rds_drop_conn(r);
    free(r);
    o->priv = NULL;
}

static bool rds_claims(const char *spec) { return strncmp(spec, "redis://", 8) == 0; }

const struct out_sink out_sink_redis = {
    .kind = "redis", .prefix = 0, .claims = rds_claims, .open = rds_open,
    .write = rds_write, .flush = rds_flush, .close = rds_close, .check = rds_check,
};
