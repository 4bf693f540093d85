/*
 * sink_kafka.c - "kafka:BROKER[,BROKER...]/TOPIC[?opts]" (--kafka
 * BROKERS/TOPIC): every record is produced to one Kafka topic through
 * librdkafka, the value the compact JSON record (the file sink's line
 * without its '\n'), the key the record's local host (egress.local_ip of
 * flow records, else src_ip: the local host of host, host+destination,
 * process scope alerts and of incidents, the client of flow-scope alerts;
 * "" when neither) so one host's records land in one partition, in
 * order, and a header "event_type" (flow, alert, incident).  One topic
 * for every type: Suricata has no Kafka output of its own, and its
 * Kafka plugins write EVE to one topic; consumers split on event_type.
 *
 * BROKER is host[:port] or [v6addr][:port] (port default 9092).
 * Options: queue=BYTES (default 8 MiB: queue.buffering.max.kbytes),
 * messages=N (default 100000: queue.buffering.max.messages),
 * compression=none|gzip|snappy|lz4|zstd (default none), and librdkafka's
 * security.protocol, ssl.ca.location, sasl.mechanisms, sasl.username,
 * sasl.password (the password also from EXFILMON_KAFKA_PASSWORD), checked
 * together by kfk_sec_check and read back from the producer at open.
 * librdkafka has threads of its own, so this sink needs no sender thread:
 * produce only queues.
 *
 * Delivery: an idempotent producer (enable.idempotence: acks=all,
 * retries without duplicates or reordering within a partition) with no
 * message timeout, so a record waits in librdkafka's queue until a
 * broker takes it.  That queue is the bound: produce never blocks, a
 * record that finds it full (RD_KAFKA_RESP_ERR__QUEUE_FULL) is dropped
 * and counted, and the drops of an outage are logged in one line when a
 * broker takes records again (or at exit).  Blocking (replay) mode waits
 * for room instead, while the brokers keep taking records (a delivery
 * within KFK_STALL_MS and no "all brokers down"); once they stop it
 * drops as live mode does, until a delivery succeeds again.
 *
 * Callbacks (delivery reports, errors, librdkafka's log lines: log.queue)
 * run only inside rd_kafka_poll()/rd_kafka_flush() on the caller's
 * thread: each write, the 1-second flush tick and close.  At close the
 * queue is flushed for up to KFK_CLOSE_WAIT_MS (replay) or
 * KFK_LIVE_CLOSE_MS (live); what is still queued is purged and counted
 * as dropped, so records = written + dropped.
 *
 * Ownership: struct kfk (o->priv) owns the producer and topic handles;
 * kfk_close() destroys them.
 */
#include "sink.h"

#include "xm_log.h"
#include "xm_url.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define KFK_DEFAULT_MESSAGES 100000ul
#define KFK_MAX_MESSAGES     10000000ul
#define KFK_CLOSE_WAIT_MS    10000
#define KFK_LIVE_CLOSE_MS    1000
#define KFK_PURGE_WAIT_MS    1000      /* serving the purged records' reports */
#define KFK_STALL_MS         5000u     /* blocking: wait without a delivery */
#define KFK_POLL_MS          50
#define KFK_TOPIC_MAX        249       /* Kafka's topic name limit */

struct kfk_cfg {
    char brokers[1024];
    char proto[16];                 /* security.protocol; "" = plaintext */
    char ca[1024];                  /* ssl.ca.location; "" = the system's */
    char mech[16];                  /* sasl.mechanisms */
    char user[256], pass[256];      /* sasl.username, sasl.password */
    char topic[KFK_TOPIC_MAX + 1];
    char compression[8];
    size_t queue;                   /* bytes */
    unsigned long messages;
};

struct kfk {
    struct kfk_cfg cfg;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    uint64_t episode_drops;         /* dropped since the last drop log line */
    uint64_t last_ok_ms;            /* monotonic ms of the last delivery */
    bool down;                      /* "all brokers down", no delivery since */
    bool stalled;                   /* blocking wait gave up, no delivery since */
    char last_why[256];             /* librdkafka's latest error text */
};

/* ---- spec ----------------------------------------------------------------- */

/* Kafka topic names: [A-Za-z0-9._-], 1 to 249 bytes, not "." or "..". */
static bool kfk_topic_ok(const char *s, size_t n)
{
    if (n == 0 || n > KFK_TOPIC_MAX || (n <= 2 && strspn(s, ".") >= n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]))
            return false;
    return true;
}

static bool kfk_port_ok(const char *s, size_t n)
{
    unsigned long v;
    return xm_url_num(s, n, 1, 65535, &v) == 0;
}

/* One "host[:port]" or "[v6addr][:port]" of n bytes. */
static bool kfk_broker_ok(const char *s, size_t n)
{
    size_t h = 0;
    if (n > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb || rb == s + 1 || strspn(s + 1, "0123456789abcdefABCDEF:.") != (size_t)(rb - s - 1))
            return false;
        h = (size_t)(rb - s) + 1;
    } else {
        h = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
        h = h < n ? h : n;
        if (h == 0)
            return false;
    }
    if (h == n)
        return true;
    return s[h] == ':' && kfk_port_ok(s + h + 1, n - h - 1);
}

static int kfk_brokers(struct kfk_cfg *c, const char *s, size_t n, char *why, size_t wl)
{
    if (n == 0 || n >= sizeof c->brokers) {
        snprintf(why, wl, "missing or too long broker list");
        return -1;
    }
    for (size_t i = 0; i < n;) {
        size_t m = strcspn(s + i, ",/?");
        m = i + m > n ? n - i : m;
        if (!kfk_broker_ok(s + i, m)) {
            snprintf(why, wl, "bad broker '%.*s' (host[:port] or [v6addr][:port])", (int)m,
                     s + i);
            return -1;
        }
        i += m + 1;
    }
    memcpy(c->brokers, s, n);
    c->brokers[n] = '\0';
    return s[n - 1] == ',' ? (snprintf(why, wl, "empty broker"), -1) : 0;
}

static bool kfk_opt_num(const char *k, const char *v, const char *name, unsigned long long lo,
                        unsigned long long hi, unsigned long long *out)
{
    char *end;
    if (strcmp(k, name) != 0 || !*v)
        return false;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || x < lo || x > hi || *v == '-')
        return false;
    *out = x;
    return true;
}

/* One of the '|'-separated words of set (exact match). */
static bool kfk_word(const char *v, const char *set)
{
    size_t n = strlen(v);
    for (const char *w = set; *w; w += strcspn(w, "|") + (w[strcspn(w, "|")] == '|'))
        if (strcspn(w, "|") == n && !strncmp(w, v, n))
            return true;
    return false;
}

/* A string option: key k's value v copied to d (cap dl) when k is name;
 * non-empty, no control characters. */
static bool kfk_opt_str(const char *k, const char *v, const char *name, char *d, size_t dl)
{
    size_t n = strlen(v);
    if (strcmp(k, name) != 0 || n == 0 || n >= dl)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return false;
    memcpy(d, v, n + 1);
    return true;
}

/* security.protocol, ssl.ca.location, sasl.* (librdkafka's names). */
static bool kfk_opt_sec(struct kfk_cfg *c, const char *k, const char *v)
{
    if (!strcmp(k, "security.protocol"))
        return kfk_word(v, "plaintext|ssl|sasl_plaintext|sasl_ssl") &&
               kfk_opt_str(k, v, k, c->proto, sizeof c->proto);
    if (!strcmp(k, "sasl.mechanisms"))
        return kfk_word(v, "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512") &&
               kfk_opt_str(k, v, k, c->mech, sizeof c->mech);
    return kfk_opt_str(k, v, "ssl.ca.location", c->ca, sizeof c->ca) ||
           kfk_opt_str(k, v, "sasl.username", c->user, sizeof c->user) ||
           kfk_opt_str(k, v, "sasl.password", c->pass, sizeof c->pass);
}

static int kfk_opt(struct kfk_cfg *c, const char *kv, size_t n, char *why, size_t wl)
{
    char buf[1200];
    unsigned long long v;
    char *eq = n < sizeof buf ? memcpy(buf, kv, n) : NULL;
    if (eq) {
        buf[n] = '\0';
        eq = strchr(buf, '=');
    }
    if (eq)
        *eq++ = '\0';
    if (eq && kfk_opt_num(buf, eq, "queue", 1024, 1ull << 31, &v))
        c->queue = (size_t)v;
    else if (eq && kfk_opt_num(buf, eq, "messages", 1, KFK_MAX_MESSAGES, &v))
        c->messages = (unsigned long)v;
    else if (eq && !strcmp(buf, "compression") &&
             (!strcmp(eq, "none") || !strcmp(eq, "gzip") || !strcmp(eq, "snappy") ||
              !strcmp(eq, "lz4") || !strcmp(eq, "zstd")))
        strcpy(c->compression, eq);
    else if (!eq || !kfk_opt_sec(c, buf, eq)) {
        bool pw = n > 14 && !strncmp(kv, "sasl.password=", 14);
        snprintf(why, wl, "bad option '%.*s' (queue=BYTES 1024-2147483648, messages=N "
                 "1-10000000, compression=none|gzip|snappy|lz4|zstd, security.protocol="
                 "plaintext|ssl|sasl_plaintext|sasl_ssl, ssl.ca.location=FILE, "
                 "sasl.mechanisms=PLAIN|SCRAM-SHA-256|SCRAM-SHA-512, sasl.username=NAME, "
                 "sasl.password=SECRET)", pw ? 13 : (int)n, kv);
        return -1;
    }
    return 0;
}

/* The security options together: SASL needs a sasl_* protocol, a user
 * and a password (from the URL or EXFILMON_KAFKA_PASSWORD); a CA file
 * needs TLS and must be readable.  0, or -1 with why. */
static int kfk_sec_check(struct kfk_cfg *c, char *why, size_t wl)
{
    bool sasl = !strncmp(c->proto, "sasl_", 5), tls = strstr(c->proto, "ssl") != NULL;
    const char *env = getenv("EXFILMON_KAFKA_PASSWORD");
    if (sasl && !c->pass[0] && env && *env && strlen(env) < sizeof c->pass)
        strcpy(c->pass, env);
    if (sasl && !c->mech[0])
        strcpy(c->mech, "PLAIN");
    if (!sasl && (c->mech[0] || c->user[0] || c->pass[0]))
        return snprintf(why, wl, "sasl.* options need security.protocol=sasl_plaintext "
                        "or sasl_ssl"), -1;
    if (sasl && (!c->user[0] || !c->pass[0]))
        return snprintf(why, wl, "security.protocol=%s needs sasl.username and a password "
                        "(sasl.password in the configuration file, or "
                        "EXFILMON_KAFKA_PASSWORD)", c->proto), -1;
    if (c->ca[0] && !tls)
        return snprintf(why, wl, "ssl.ca.location needs security.protocol=ssl or "
                        "sasl_ssl"), -1;
    if (c->ca[0] && access(c->ca, R_OK) != 0)
        return snprintf(why, wl, "ssl.ca.location %.1100s: %s", c->ca, strerror(errno)), -1;
    return 0;
}

static int kfk_opts(struct kfk_cfg *c, const char *q, char *why, size_t wl)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (kfk_opt(c, q, n, why, wl) != 0)
            return -1;
        q += n + (q[n] == '&');
    }
    return 0;
}

/* Parses "kafka:BROKERS/TOPIC[?opts]" (syntax only, nothing resolved). */
static int kfk_parse(const char *spec, struct kfk_cfg *c, char *err, size_t errlen)
{
    char why[1600] = "";
    memset(c, 0, sizeof *c);
    c->queue = OUT_LIVE_BUF;
    c->messages = KFK_DEFAULT_MESSAGES;
    strcpy(c->compression, "none");
    const char *s = spec + strlen("kafka:");
    size_t bn = strcspn(s, "/?");
    const char *t = s[bn] == '/' ? s + bn + 1 : NULL;
    size_t tn = t ? strcspn(t, "?") : 0;
    const char *q = strchr(s, '?');
    if (kfk_brokers(c, s, bn, why, sizeof why) != 0 ||
        (!kfk_topic_ok(t ? t : "", tn) &&
         snprintf(why, sizeof why, "missing or bad topic ([A-Za-z0-9._-], 1-249 bytes)")) ||
        (q && kfk_opts(c, q + 1, why, sizeof why) != 0) ||
        kfk_sec_check(c, why, sizeof why) != 0) {
        snprintf(err, errlen, "--kafka: %.*s: %s (BROKER[,BROKER...]/TOPIC"
                 "[?queue=BYTES&messages=N&compression=C&security.protocol=P...])",
                 (int)(bn + (t ? tn + 1 : 0)), s, why);
        return -1;
    }
    memcpy(c->topic, t, tn);
    c->topic[tn] = '\0';
    return 0;
}

static int kfk_check(const char *spec, char *err, size_t errlen)
{
    struct kfk_cfg c;
    return kfk_parse(spec, &c, err, errlen);
}

/* ---- callbacks (inside rd_kafka_poll/flush, this thread) ----------------- */

/* Starts a failing episode: counted always, logged once per episode. */
static void kfk_fail(struct out *o, int err, const char *why)
{
    struct kfk *k = o->priv;
    o->st.errors++;
    if (o->failing)
        return;
    o->failing = true;
    o->fail_errno = err;
    xm_err("%s: %s%s%s; %llu records dropped so far", o->path, why,
           k->last_why[0] ? "; last error: " : "", k->last_why,
           (unsigned long long)o->st.dropped);
}

static void kfk_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct out *o = opaque;
    struct kfk *k = o->priv;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        k->down = true;
        kfk_fail(o, ECONNREFUSED, "all brokers down");
    } else if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[256];
        rd_kafka_fatal_error(rk, why, sizeof why);
        kfk_fail(o, EIO, why);
    } else {
        o->st.errors++;          /* a broker's error; the episode line cites it */
        snprintf(k->last_why, sizeof k->last_why, "%s", reason);
    }
}

/* A record the brokers took (written) or that failed for good (dropped:
 * purged at exit, refused, or a fatal producer error). */
static void kfk_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct out *o = opaque;
    struct kfk *k = o->priv;
    if (m->err) {
        o->st.dropped++;
        k->episode_drops++;
        if (m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && m->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
            kfk_fail(o, EIO, rd_kafka_err2str(m->err));
        return;
    }
    o->st.written++;
    o->st.bytes += m->len;
    k->last_ok_ms = net_now_ms();
    k->down = k->stalled = false;
    if (o->failing) {
        out_recovered(o);
        net_log_drops(o, &k->episode_drops, "(queue full) while Kafka was unreachable or slow");
    }
}

/* librdkafka's own log lines: only critical ones reach the operator (the
 * error callback's episodes summarise the rest). */
static void kfk_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const struct out *o = rd_kafka_opaque(rk);
    if (level <= 2)
        xm_err("%s: librdkafka %s: %s", o ? o->path : "kafka", fac, buf);
}

/* ---- producing ------------------------------------------------------------ */

/* key: the record's local host, the message key (see the head comment;
 * out_write_text finds it). */
static rd_kafka_resp_err_t kfk_produce(struct kfk *k, const char *type, const char *key,
                                       const char *p, size_t n)
{
    return rd_kafka_producev(k->rk, RD_KAFKA_V_RKT(k->rkt),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE((void *)p, n),
                             RD_KAFKA_V_KEY(key, strlen(key)),
                             RD_KAFKA_V_HEADER("event_type", *type ? type : "other", -1),
                             RD_KAFKA_V_END);
}

/* Blocking mode, queue full: serves delivery reports for KFK_POLL_MS.
 * True while the brokers still take records (not down, a delivery
 * within KFK_STALL_MS of max(t0, the last delivery)); false sets stalled,
 * so later records drop at once until a delivery succeeds. */
static bool kfk_wait(struct kfk *k, uint64_t t0)
{
    if (k->down || k->stalled)
        return false;
    rd_kafka_poll(k->rk, KFK_POLL_MS);
    uint64_t ref = k->last_ok_ms > t0 ? k->last_ok_ms : t0;
    k->stalled = k->down || net_now_ms() - ref >= KFK_STALL_MS;
    return !k->stalled;
}

static void kfk_write(struct out *o, const char *type, const char *key, const char *s,
                      size_t n)
{
    struct kfk *k = o->priv;
    if (n > OUT_SCRATCH) {
        o->st.dropped++;
        return;
    }
    rd_kafka_poll(k->rk, 0);        /* delivery reports as records go */
    uint64_t t0 = net_now_ms();
    rd_kafka_resp_err_t e;
    while ((e = kfk_produce(k, type, key, s, n)) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
           o->blocking && kfk_wait(k, t0))
        ;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    o->st.dropped++;
    k->episode_drops++;
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        kfk_fail(o, EIO, rd_kafka_err2str(e));
}

/* The 1-second tick: delivery reports, and the drop line once the
 * brokers take records again. */
static int kfk_flush(struct out *o)
{
    struct kfk *k = o->priv;
    rd_kafka_poll(k->rk, 0);
    if (!o->failing && !k->down)
        net_log_drops(o, &k->episode_drops, "(queue full) while Kafka was unreachable or slow");
    return o->failing ? -1 : 0;
}

/* ---- open / close --------------------------------------------------------- */

static int kfk_set(rd_kafka_conf_t *c, const char *key, const char *v, char *err, size_t errlen)
{
    char why[256];
    if (rd_kafka_conf_set(c, key, v, why, sizeof why) == RD_KAFKA_CONF_OK)
        return 0;
    snprintf(err, errlen, "--kafka: %s=%s: %s", key,
             strcmp(key, "sasl.password") ? v : "(hidden)", why);
    return -1;
}

/* Reads the security settings back from the producer (rd_kafka_conf_get)
 * and logs them (no password): what librdkafka will really use.  -1 when
 * one differs from what was asked. */
static int kfk_sec_applied(struct out *o, const struct kfk *k, char *err, size_t errlen)
{
    const char *keys[] = {"security.protocol", "ssl.ca.location", "sasl.mechanisms",
                          "sasl.username"};
    const char *want[] = {k->cfg.proto, k->cfg.ca, k->cfg.mech, k->cfg.user};
    char line[1600] = "", v[1100];
    const rd_kafka_conf_t *conf = rd_kafka_conf(k->rk);
    for (size_t i = 0; i < XM_ARRAY_LEN(keys); i++) {
        size_t n = sizeof v;
        if (!want[i][0])
            continue;
        if (rd_kafka_conf_get(conf, keys[i], v, &n) != RD_KAFKA_CONF_OK ||
            strcasecmp(v, want[i]) != 0) {
            snprintf(err, errlen, "--kafka: %s=%s not applied by librdkafka", keys[i],
                     want[i]);
            return -1;
        }
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s=%s",
                 line[0] ? ", " : "", keys[i], v);
    }
    if (line[0])
        xm_info("%s: %s%s", o->path, line, k->cfg.pass[0] ? ", sasl.password set" : "");
    return 0;
}

/* The producer's configuration (see the head comment); NULL on error. */
static rd_kafka_conf_t *kfk_conf(struct out *o, const struct kfk_cfg *c, char *err,
                                 size_t errlen)
{
    char kb[24], msgs[24];
    snprintf(kb, sizeof kb, "%zu", (c->queue + 1023) / 1024);
    snprintf(msgs, sizeof msgs, "%lu", c->messages);
    const char *kv[][2] = {
        {"bootstrap.servers", c->brokers}, {"client.id", "exfilmon"},
        {"enable.idempotence", "true"}, {"message.timeout.ms", "0"},
        {"queue.buffering.max.kbytes", kb}, {"queue.buffering.max.messages", msgs},
        {"compression.codec", c->compression},
        {"partitioner", "murmur2_random"},  /* a key's partition as Java clients pick it */
        {"log.queue", "true"},
    };
    const char *sec[][2] = {
        {"security.protocol", c->proto}, {"ssl.ca.location", c->ca},
        {"sasl.mechanisms", c->mech}, {"sasl.username", c->user},
        {"sasl.password", c->pass},
    };
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; conf && i < XM_ARRAY_LEN(kv) + XM_ARRAY_LEN(sec); i++) {
        const char *const *p = i < XM_ARRAY_LEN(kv) ? kv[i] : sec[i - XM_ARRAY_LEN(kv)];
        if (p[1][0] && kfk_set(conf, p[0], p[1], err, errlen) != 0) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_conf_set_opaque(conf, o);
    rd_kafka_conf_set_dr_msg_cb(conf, kfk_dr);
    rd_kafka_conf_set_error_cb(conf, kfk_error);
    rd_kafka_conf_set_log_cb(conf, kfk_log);
    return conf;
}

static int kfk_start(struct out *o, struct kfk *k, char *err, size_t errlen)
{
    char why[512];
    rd_kafka_conf_t *conf = kfk_conf(o, &k->cfg, err, errlen);
    if (!conf)
        return -1;
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!k->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "--kafka: %s", why);
        return -1;
    }
    rd_kafka_set_log_queue(k->rk, NULL);    /* log lines served by rd_kafka_poll */
    if (kfk_sec_applied(o, k, err, errlen) != 0)
        return -1;
    k->rkt = rd_kafka_topic_new(k->rk, k->cfg.topic, NULL);
    if (!k->rkt)
        snprintf(err, errlen, "--kafka: topic %s: %s", k->cfg.topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
    return k->rkt ? 0 : -1;
}

static int kfk_open(struct out *o, const char *spec, char *err, size_t errlen)
{
    struct kfk *k = calloc(1, sizeof *k);
    o->priv = k;
    if (!k || kfk_parse(spec, &k->cfg, err, errlen) != 0)
        return k ? -1 : (snprintf(err, errlen, "kafka: out of memory"), -1);
    char d[sizeof k->cfg.brokers + sizeof k->cfg.topic + 16];
    snprintf(d, sizeof d, "kafka:%s/%s", k->cfg.brokers, k->cfg.topic);
    free(o->path);
    o->path = strdup(d);                     /* display name: no options */
    if (!o->path) {
        snprintf(err, errlen, "kafka: out of memory");
        return -1;
    }
    return kfk_start(o, k, err, errlen);    /* a down broker is not fatal */
}

/* Flushes for a bounded time, then purges what is left: every record
 * gets its delivery report (written or dropped) before destroy. */
static void kfk_drain(struct out *o, struct kfk *k)
{
    rd_kafka_flush(k->rk, o->blocking ? KFK_CLOSE_WAIT_MS : KFK_LIVE_CLOSE_MS);
    rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(k->rk, KFK_PURGE_WAIT_MS);
    net_log_drops(o, &k->episode_drops, "at exit (Kafka unreachable)");
    net_summary(o);
}

static void kfk_close(struct out *o)
{
    struct kfk *k = o->priv;
    if (!k)
        return;
    if (k->rkt)
        kfk_drain(o, k);
    if (k->rkt)
        rd_kafka_topic_destroy(k->rkt);
    if (k->rk)
        rd_kafka_destroy(k->rk);
    free(k);
    o->priv = NULL;
}

static bool kfk_claims(const char *spec) { return strncmp(spec, "kafka:", 6) == 0; }

const struct out_sink out_sink_kafka = {
    .kind = "kafka", .prefix = 0, .claims = kfk_claims, .open = kfk_open,
    .write = kfk_write, .flush = kfk_flush, .close = kfk_close, .check = kfk_check,
};
