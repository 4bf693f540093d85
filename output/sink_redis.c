/*
 * sink_redis.c - "redis://[user[:pass]@]host[:port][/db][?opts]": every
 * record is XADDed to the Redis stream PREFIX:EVENT_TYPE (exfilmon:flow,
 * exfilmon:alert, exfilmon:incident), field "eve" holding the JSON
 * record, "MAXLEN ~ N" so a stream stays bounded (the convention of
 * Suricata's EVE redis output in stream mode, one stream per type).
 *
 * Options: maxlen=N (default 100000 per stream), prefix=NAME (default
 * exfilmon), queue=BYTES (default 8 MiB; tests make it small), and the
 * TLS options of include/xm_rconn.h ("rediss://" or tls=1, cacert=FILE,
 * insecure=1).
 *
 * Queue: records wait as "TYPE JSON\n" lines in one bounded byte queue
 * (o->buf, allocated at open).  The worker only appends to it (netq_put);
 * the sink's sender thread (output/netq.c) sends them in order,
 * pipelined in batches of RDS_BATCH over lib/rconn.c (TCP or TLS), and
 * removes exactly those Redis acknowledged.  A record that does not fit
 * is dropped and counted (one log line per outage gives the count).
 * While Redis is unreachable reconnects follow an exponential backoff
 * (0.5 s doubling to 30 s).  Blocking (replay) mode: a record that finds
 * the queue full waits while Redis is up and is dropped while it is down
 * (netq.c); at close the sender gets up to RDS_CLOSE_WAIT_MS.  Connect
 * and command timeouts are RDS_TIMEOUT_MS, on the sender thread only.
 *
 * Threads: rds_write, rds_flush, rds_open and rds_close run on the
 * worker; rds_send and everything under it on the sender, which alone
 * uses r->c, r->batch, r->head_seq and r->resync once started.
 */
#include "sink.h"

#include "xm_log.h"
#include "xm_url.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include "xm_rconn.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RDS_DEFAULT_PORT   6379
#define RDS_DEFAULT_MAXLEN 100000u
#define RDS_BATCH          512u
#define RDS_BATCH_BYTES    (1024u * 1024u)   /* >= one line (OUT_SCRATCH) */
#define RDS_TIMEOUT_MS     1000
#define RDS_CLOSE_WAIT_MS  10000u
#define RDS_TYPE_MAX       32u
#define RDS_RESYNC_SCAN    4096     /* newest entries searched after a cut batch */

struct rds_cfg {
    struct xm_rtls tls;
    char user[128], pass[256], host[256], prefix[64];
    int port, db;
    unsigned long maxlen;
    size_t queue;
};

struct rds {
    struct rds_cfg cfg;
    struct xm_rconn *c;
    char why[256];                  /* the last connect failure */
    uint64_t next_try_ms, delay_ms;
    uint64_t episode_drops;         /* dropped since the last drop log line */
    uint64_t head_seq;              /* "seq" of the record at the queue's head */
    bool resync;                    /* a batch was cut: find what Redis took */
    struct netq q;                  /* the sender thread (it alone uses c, batch) */
    char *batch;                    /* the sender's copy of the batch, RDS_BATCH_BYTES */
    char run[300];                  /* this run's id, the entries' "run" field:
                                     * HOSTNAME-PID-MONOTONIC_MS */
};

/* ---- URL ------------------------------------------------------------------ */

static int rds_opt(struct rds_cfg *c, const char *kv, size_t n, char *err, size_t errlen)
{
    char buf[1200], *end;
    if (n >= sizeof buf)
        goto bad;
    memcpy(buf, kv, n);
    buf[n] = '\0';
    char *eq = strchr(buf, '=');
    if (!eq)
        goto bad;
    *eq++ = '\0';
    int t = xm_rtls_opt(&c->tls, buf, eq);
    if (t != 0)
        return t > 0 ? 0 : (snprintf(err, errlen, "bad option '%.*s' (tls=0|1, cacert=FILE, "
                                     "insecure=0|1)", (int)n, kv), -1);
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
    snprintf(err, errlen, "bad option '%.*s' (maxlen=N, prefix=NAME, queue=BYTES, tls=1, "
             "cacert=FILE, insecure=1)", (int)n, kv);
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
    c->tls.on = !strncmp(spec, "rediss://", 9);
    const char *a = spec + (c->tls.on ? 9 : 8);
    size_t an = strcspn(a, "/?");
    const char *db = a[an] == '/' ? a + an + 1 : NULL;
    size_t dn = db ? strcspn(db, "?") : 0;
    const char *q = strchr(a, '?');
    if (net_authority(a, an, XM_URL_LONE_PASS, c->user, sizeof c->user, c->pass, sizeof c->pass, c->host,
                      sizeof c->host, &c->port, RDS_DEFAULT_PORT, why, sizeof why) != 0 ||
        (db && rds_db(c, db, dn) != 0 && snprintf(why, sizeof why, "bad database number")) ||
        (q && rds_opts(c, q + 1, why, sizeof why) != 0) ||
        xm_rtls_check(&c->tls, why, sizeof why) != 0) {
        snprintf(err, errlen, "--redis: %s: %s (redis[s]://[user:pass@]host[:port][/db]"
                 "[?maxlen=N&prefix=NAME&queue=BYTES&tls=1&cacert=FILE])", spec, why);
        return -1;
    }
    return 0;
}

static int rds_check(const char *spec, char *err, size_t errlen)
{
    struct rds_cfg c;
    return rds_parse(spec, &c, err, errlen);
}

/* ---- connection (sender thread, and rds_open before it starts) ----------- */

static void rds_drop_conn(struct rds *r)
{
    xm_rconn_free(r->c);
    r->c = NULL;
}

/* Sends one command (argc NUL-terminated strings) and wants a non-error
 * reply; 0 or -1. */
static int rds_cmd_ok(struct rds *r, int argc, const char **argv)
{
    redisReply *rep = xm_rconn_cmd(r->c, argc, argv, NULL);
    int ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (rep && !ok)
        snprintf(r->why, sizeof r->why, "%s: %s", argv[0], rep->str);
    freeReplyObject(rep);
    return ok ? 0 : -1;
}

static int rds_login(struct rds *r)
{
    char db[16];
    snprintf(db, sizeof db, "%d", r->cfg.db);
    const char *auth2[] = {"AUTH", r->cfg.user, r->cfg.pass}, *auth1[] = {"AUTH", r->cfg.pass};
    const char *sel[] = {"SELECT", db};
    if (r->cfg.pass[0] && rds_cmd_ok(r, r->cfg.user[0] ? 3 : 2, r->cfg.user[0] ? auth2 : auth1))
        return -1;
    return r->cfg.db ? rds_cmd_ok(r, 2, sel) : 0;
}

/* Connects unless connected or still backing off: 0 when connected, -1
 * while backing off (hurry: at close, no backoff), else an errno for the
 * failed attempt (r->why says what failed: connect, TLS, AUTH). */
static int rds_connect(struct rds *r, bool hurry)
{
    if (r->c)
        return 0;
    if (net_now_ms() < r->next_try_ms && !hurry)
        return -1;
    r->why[0] = '\0';
    r->c = xm_rconn_connect(r->cfg.host, r->cfg.port, &r->cfg.tls, RDS_TIMEOUT_MS, r->why,
                            sizeof r->why);
    if (r->c && rds_login(r) == 0) {
        r->delay_ms = 0;
        return 0;
    }
    if (r->c && xm_rconn_failed(r->c))
        snprintf(r->why, sizeof r->why, "%s", xm_rconn_error(r->c));
    rds_drop_conn(r);
    net_backoff(&r->next_try_ms, &r->delay_ms);
    return ECONNREFUSED;
}

/* ---- sending (sender thread) ---------------------------------------------- */

/* Bytes of the first k lines of the batch copy (n bytes). */
static size_t rds_lines_bytes(const struct rds *r, size_t n, size_t k)
{
    size_t off = 0;
    for (size_t i = 0; i < k && off < n; i++)
        off = (size_t)((const char *)memchr(r->batch + off, '\n', n - off) - r->batch) + 1;
    return off;
}

/* Appends one XADD for the queued line at p (n bytes, without '\n'). */
static void rds_append(struct rds *r, const char *p, size_t n, uint64_t seq)
{
    const char *sp = memchr(p, ' ', n);
    size_t tn = (size_t)(sp - p);
    char key[RDS_TYPE_MAX + sizeof r->cfg.prefix + 2], ml[24], sq[24];
    snprintf(key, sizeof key, "%s:%.*s", r->cfg.prefix, (int)tn, p);
    snprintf(ml, sizeof ml, "%lu", r->cfg.maxlen);
    snprintf(sq, sizeof sq, "%llu", (unsigned long long)seq);
    const char *argv[] = {"XADD", key, "MAXLEN", "~", ml, "*", "eve", sp + 1, "run", r->run,
                          "seq", sq};
    size_t lens[12];
    for (size_t i = 0; i < 12; i++)
        lens[i] = i == 7 ? n - tn - 1 : strlen(argv[i]);
    (void)xm_rconn_append(r->c, 12, argv, lens);
}

/* Removes the first k records of the batch copy (n bytes) from the
 * queue: ok of them delivered, the rest refused by Redis. */
static void rds_pop(struct out *o, struct rds *r, size_t n, size_t k, size_t ok)
{
    size_t b = rds_lines_bytes(r, n, k);
    netq_pop(o, b, ok, b, k - ok);
    r->head_seq += k;
}

/* The highest "seq" of this run among the newest RDS_RESYNC_SCAN entries
 * of stream PREFIX:TYPE (t, tn bytes); 0 when none.  *bad set when Redis
 * could not answer (no reply, or an error such as LOADING). */
static uint64_t rds_last_seq(struct rds *r, const char *t, size_t tn, bool *bad)
{
    uint64_t best = 0;
    char key[RDS_TYPE_MAX + sizeof r->cfg.prefix + 2], cnt[16];
    snprintf(key, sizeof key, "%s:%.*s", r->cfg.prefix, (int)tn, t);
    snprintf(cnt, sizeof cnt, "%d", RDS_RESYNC_SCAN);
    const char *argv[] = {"XREVRANGE", key, "+", "-", "COUNT", cnt};
    redisReply *rep = xm_rconn_cmd(r->c, 6, argv, NULL);
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        snprintf(r->why, sizeof r->why, "XREVRANGE: %s", rep ? rep->str : "no reply");
        *bad = true;
    }
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
 * streams of the batch copy, n bytes, lines records) and removes them,
 * so nothing is sent twice.  0, or -1 when the connection failed. */
static int rds_resync(struct out *o, struct rds *r, size_t n, size_t lines)
{
    uint64_t last = 0;
    size_t off = 0;
    bool bad = false;
    for (size_t k = 0; k < lines && !bad; k++) {
        const char *p = r->batch + off, *nl = memchr(p, '\n', n - off);
        const char *sp = memchr(p, ' ', (size_t)(nl - p));
        bool seen = false;          /* type already asked about in this batch */
        for (size_t j = 0; j < off && !seen;) {
            const char *q = r->batch + j, *qn = memchr(q, '\n', n - j);
            seen = !memcmp(q, p, (size_t)(sp - p) + 1);
            j = (size_t)(qn + 1 - r->batch);
        }
        uint64_t l = seen ? 0 : rds_last_seq(r, p, (size_t)(sp - p), &bad);
        last = l > last ? l : last;
        off = (size_t)(nl + 1 - r->batch);
    }
    if (bad || xm_rconn_failed(r->c))
        return -1;                  /* resync stays pending */
    size_t k = last >= r->head_seq ? (size_t)(last - r->head_seq + 1) : 0;
    k = k < lines ? k : lines;
    rds_pop(o, r, n, k, k);
    r->resync = false;
    return 0;
}

/* Errors of a Redis that will take the record later (loading its dump,
 * a busy script, a replica without master): kept and retried. */
static bool rds_transient(const char *e)
{
    return !strncmp(e, "LOADING", 7) || !strncmp(e, "BUSY", 4) ||
           !strncmp(e, "MASTERDOWN", 10) || !strncmp(e, "TRYAGAIN", 8);
}

/* Sends the batch copy (n bytes, lines records) pipelined and removes
 * what Redis answered; 0, or -1 when the connection failed first. */
static int rds_batch(struct out *o, struct rds *r, size_t n, size_t lines)
{
    size_t off = 0, ok = 0;
    for (size_t i = 0; i < lines; i++) {
        const char *nl = memchr(r->batch + off, '\n', n - off);
        rds_append(r, r->batch + off, (size_t)(nl - (r->batch + off)), r->head_seq + i);
        off = (size_t)(nl - r->batch) + 1;
    }
    for (size_t i = 0; i < lines; i++) {
        void *rep = NULL;
        if (xm_rconn_reply(r->c, &rep) != 0) {
            rds_pop(o, r, n, i, ok);
            r->resync = true;
            return -1;
        }
        const redisReply *x = rep;
        if (x->type == REDIS_REPLY_ERROR && rds_transient(x->str)) {
            snprintf(r->why, sizeof r->why, "XADD: %s", x->str);
            freeReplyObject(rep);
            rds_pop(o, r, n, i, ok);
            r->resync = true;       /* later ones may have been executed */
            return -1;
        }
        if (x->type == REDIS_REPLY_ERROR)
            xm_err("%s: XADD: %s", o->path, x->str);
        else
            ok++;                   /* refused by Redis: dropped, never retried */
        freeReplyObject(rep);
    }
    rds_pop(o, r, n, lines, ok);
    return 0;
}

/* The sender's step (netq): one batch of up to RDS_BATCH records. */
static int rds_send(struct out *o)
{
    struct rds *r = o->priv;
    int e = rds_connect(r, netq_stopping(o));
    if (e != 0) {
        if (e > 0)
            netq_fail(o, e, r->why);
        return -1;
    }
    size_t lines, n = netq_peek(o, r->batch, RDS_BATCH_BYTES, RDS_BATCH, &lines);
    if (lines == 0)
        return 0;
    int rc = r->resync ? rds_resync(o, r, n, lines) : rds_batch(o, r, n, lines);
    if (rc != 0 || xm_rconn_failed(r->c)) {
        netq_fail(o, ECONNRESET, xm_rconn_failed(r->c) ? xm_rconn_error(r->c) : r->why);
        rds_drop_conn(r);
        net_backoff(&r->next_try_ms, &r->delay_ms);
        return -1;
    }
    netq_ok(o);
    return 0;
}

/* ---- worker side ---------------------------------------------------------- */

/* The flush tick: wakes the sender, takes its counters; logs the drops
 * of an outage once Redis takes records again. */
static int rds_flush(struct out *o)
{
    struct rds *r = o->priv;
    if (!netq_sync(o))
        return -1;
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
    if (!netq_put(o, o->scratch, n)) {
        o->st.dropped++;
        r->episode_drops++;
    }
}

/* ---- open / close --------------------------------------------------------- */

/* The display name (metrics, logs) without the password. */
static char *rds_display(const struct rds_cfg *c)
{
    char d[600];
    snprintf(d, sizeof d, "%s://%s%s%s:%d/%d", c->tls.on ? "rediss" : "redis", c->user, c->user[0] ? "@" : "", c->host,
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
    r->batch = malloc(RDS_BATCH_BYTES);
    if (!o->path || !o->scratch || !r->batch || buf_init(&o->buf, r->cfg.queue) != 0) {
        snprintf(err, errlen, "redis: out of memory");
        return -1;
    }
    int e = rds_connect(r, false);  /* a down Redis is not fatal: queued, retried */
    if (netq_start(o, &r->q, rds_send, OUT_LIVE_KICK, e == 0) != 0) {
        snprintf(err, errlen, "redis: cannot start the sender thread");
        return -1;
    }
    if (e != 0)
        netq_fail(o, e > 0 ? e : ECONNREFUSED, r->why);
    return 0;
}

static void rds_close(struct out *o)
{
    struct rds *r = o->priv;
    if (!r)
        return;
    uint64_t left = netq_stop(o, o->blocking ? RDS_CLOSE_WAIT_MS : RDS_TIMEOUT_MS);
    o->st.dropped += left;
    r->episode_drops += left;
    if (o->path && o->buf.p) {
        net_log_drops(o, &r->episode_drops, "at exit (Redis unreachable)");
        net_summary(o);
    }
    rds_drop_conn(r);
    free(r->batch);
    free(r);
    o->priv = NULL;
    o->netq = NULL;
}

static bool rds_claims(const char *spec)
{
    return strncmp(spec, "redis://", 8) == 0 || strncmp(spec, "rediss://", 9) == 0;
}

const struct out_sink out_sink_redis = {
    .kind = "redis", .prefix = 0, .claims = rds_claims, .open = rds_open,
    .write = rds_write, .flush = rds_flush, .close = rds_close, .check = rds_check,
};
