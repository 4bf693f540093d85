/*
 * site.c - site-wide first-seen, prevalence and AI evidence through
 * Redis; contract, schema and consistency model in include/xm_site.h.
 *
 * Deltas are encoded when noted, as one line each in a fixed byte
 * buffer (wire) with their offsets (at most SITE_MAX_DELTAS lines and
 * SITE_ARENA bytes; beyond, dropped and counted).  A tick sends them as
 * the arguments of one EVAL (site_lua.h) which merges, logs, publishes
 * the clock and, without a barrier, returns the peers' new log entries
 * in the same round trip.  A blocking connection (lib/rconn.c: TCP or
 * TLS, hiredis's formatting and reply reader) with 1 s connect and
 * command timeouts.
 */
#include "site_int.h"
#include "site_lua.h"
#include "xm_log.h"
#include "xm_prom.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#define SITE_MAX_PEERS 64
#define SITE_PULL_COUNT 512
#define SITE_PULL_COUNT_S "512"
#define SITE_TIMEOUT_MS 1000
#define SITE_BACKOFF_MIN_MS 500u
#define SITE_BACKOFF_MAX_MS 30000u
#define SITE_FIXED_ARGS 12           /* EVAL, script, numkeys, ARGV[1..8], spare */
#define SITE_LINE_MAX (2 * SITE_KEY_MAX + 160)

struct site_peer {
    char name[72];
    char cursor[48];                /* "-" or "(ID" of the last applied entry */
    int64_t clock;
};

struct site {
    struct site_url u;
    char sensor[72];
    bool live, finished;
    struct xm_rconn *c;
    uint64_t next_try_ms, delay_ms, down_since_ms;
    bool down;                      /* in an outage (logged once) */
    char *wire;                     /* encoded deltas, '\0'-separated */
    size_t used;
    uint32_t *off;                  /* line offsets in wire */
    size_t n;
    const char **argv;              /* EVAL arguments (allocated once) */
    struct site_peer peers[SITE_MAX_PEERS];
    size_t npeers;
    site_apply_fn apply[SITE_K_MAX];
    void *apply_ctx[SITE_K_MAX];
    struct site_stats st;
};

static uint64_t site_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- life cycle ---------------------------------------------------------- */

struct site *site_new(const struct site_config *cfg, char *err, size_t errlen)
{
    struct site *s = calloc(1, sizeof *s);
    if (!s || site_url_parse(cfg->url, &s->u, err, errlen) != 0)
        goto fail;
    snprintf(s->sensor, sizeof s->sensor, "%s", cfg->sensor && *cfg->sensor ? cfg->sensor
                                                                                : "sensor");
    s->live = cfg->live;
    s->wire = malloc(SITE_ARENA);
    s->off = calloc(SITE_MAX_DELTAS, sizeof *s->off);
    s->argv = calloc(SITE_MAX_DELTAS + SITE_FIXED_ARGS + 2 * SITE_MAX_PEERS, sizeof *s->argv);
    if (s->wire && s->off && s->argv)
        return s;
    snprintf(err, errlen, "--site-redis: out of memory");
fail:
    site_free(s);
    return NULL;
}

void site_free(struct site *s)
{
    if (!s)
        return;
    xm_rconn_free(s->c);
    free(s->wire);
    free(s->off);
    free(s->argv);
    free(s);
}

void site_set_apply(struct site *s, enum site_kind k, site_apply_fn fn, void *ctx)
{
    s->apply[k] = fn;
    s->apply_ctx[k] = ctx;
}

const struct site_stats *site_get_stats(const struct site *s) { return &s->st; }

/* ---- notes ----------------------------------------------------------------- */

/* Copies key lower-cased, tabs and line breaks as spaces (wire syntax). */
static void site_clean(char *dst, size_t cap, const char *key)
{
    size_t n = 0;
    for (; key && key[n] && n + 1 < cap; n++) {
        char c = key[n];
        c = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        dst[n] = c == '\t' || c == '\n' || c == '\r' ? ' ' : c;
    }
    dst[n] = '\0';
}

/* Writes the wire line of d into buf; its length, or 0 when not encodable. */
static int site_encode(const struct site_delta *d, char *buf, size_t cap)
{
    char host[64], dst[64], key[SITE_KEY_MAX + 1];
    xm_addr_str(&d->host, host, sizeof host);
    site_clean(key, sizeof key, d->key);
    if (d->kind == SITE_K_DOMAIN)
        return snprintf(buf, cap, "d\t%s\t%s\t%" PRId64, host, key, (int64_t)d->first);
    if (d->kind == SITE_K_DEST)
        return snprintf(buf, cap, "a\t%s\t%s\t%" PRId64, host,
                        xm_addr_str(&d->dst, dst, sizeof dst), (int64_t)d->first);
    if (d->kind == SITE_K_START)
        return snprintf(buf, cap, "s\t%" PRId64, (int64_t)d->first);
    if (d->kind == SITE_K_AI)
        return snprintf(buf, cap, "e\t%s\t%u\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRIu32, host,
                        d->ai_kind, key, (int64_t)d->first, (int64_t)d->last, d->count);
    return 0;
}

void site_note(struct site *s, const struct site_delta *d)
{
    char line[SITE_LINE_MAX];
    if (!s)
        return;
    int n = site_encode(d, line, sizeof line);
    if (n <= 0 || (size_t)n >= sizeof line || s->n >= SITE_MAX_DELTAS ||
        s->used + (size_t)n + 1 > SITE_ARENA) {
        s->st.dropped++;
        return;
    }
    memcpy(s->wire + s->used, line, (size_t)n + 1);
    s->off[s->n++] = (uint32_t)s->used;
    s->used += (size_t)n + 1;
}

/* ---- connection ------------------------------------------------------------ */

/* Drops the connection and backs off; why may point into the context,
 * so it is copied first. */
static void site_outage(struct site *s, const char *why_in)
{
    char why[160];
    snprintf(why, sizeof why, "%s", why_in);
    xm_rconn_free(s->c);
    s->c = NULL;
    s->st.errors++;
    s->st.up = false;
    if (s->delay_ms < SITE_BACKOFF_MIN_MS)
        s->delay_ms = SITE_BACKOFF_MIN_MS;
    else
        s->delay_ms = s->delay_ms * 2 > SITE_BACKOFF_MAX_MS ? SITE_BACKOFF_MAX_MS
                                                             : s->delay_ms * 2;
    s->next_try_ms = site_now_ms() + s->delay_ms;
    if (s->down)
        return;
    s->down = true;
    s->down_since_ms = site_now_ms();
    s->st.outages++;
    xm_warn("--site-redis %s://%s:%d: %s; working on local state, retrying with backoff",
            s->u.tls.on ? "rediss" : "redis", s->u.host, s->u.port, why);
}

/* One command that must not fail (AUTH, SELECT); 0 or -1. */
static int site_cmd(struct site *s, int argc, const char **argv)
{
    redisReply *r = xm_rconn_cmd(s->c, argc, argv, NULL);
    int ok = r && r->type != REDIS_REPLY_ERROR;
    freeReplyObject(r);
    return ok ? 0 : -1;
}

static int site_login(struct site *s)
{
    char db[16];
    snprintf(db, sizeof db, "%d", s->u.db);
    const char *auth2[] = {"AUTH", s->u.user, s->u.pass}, *auth1[] = {"AUTH", s->u.pass};
    const char *sel[] = {"SELECT", db};
    if (s->u.pass[0] && site_cmd(s, s->u.user[0] ? 3 : 2, s->u.user[0] ? auth2 : auth1) != 0)
        return -1;
    return s->u.db ? site_cmd(s, 2, sel) : 0;
}

/* Connected (0), or -1 while down or backing off. */
static int site_connect(struct site *s)
{
    if (s->c)
        return 0;
    if (site_now_ms() < s->next_try_ms)
        return -1;
    char why[256] = "";
    s->c = xm_rconn_connect(s->u.host, s->u.port, &s->u.tls, SITE_TIMEOUT_MS, why, sizeof why);
    if (!s->c || site_login(s) != 0) {
        site_outage(s, s->c && xm_rconn_failed(s->c) ? xm_rconn_error(s->c) :
                       why[0] ? why : "login failed");
        return -1;
    }
    s->delay_ms = 0;
    s->st.up = true;
    if (s->down)
        xm_info("--site-redis %s:%d: reachable again after %.1f s", s->u.host, s->u.port,
                (double)(site_now_ms() - s->down_since_ms) / 1000.0);
    s->down = false;
    return 0;
}

/* ---- the exchange --------------------------------------------------------- */

/* Fills the fixed EVAL arguments and the peer cursors; returns argc. */
static int site_args(struct site *s, char num[5][24], int64_t clock, xm_time_t horizon,
                     bool pull)
{
    static const char *const k0 = "EVAL";
    snprintf(num[0], 24, "%u", s->u.ttl);
    snprintf(num[1], 24, "%" PRId64, clock);
    snprintf(num[2], 24, "%" PRId64, (int64_t)horizon);
    snprintf(num[3], 24, "%lu", s->u.maxlen);
    snprintf(num[4], 24, "%zu", s->npeers);
    const char *fixed[] = {k0, site_lua, "0", s->u.prefix, num[0], s->sensor, num[1], num[2],
                           num[3], pull ? SITE_PULL_COUNT_S : "0", num[4], NULL};
    int argc = 0;
    for (; fixed[argc]; argc++)
        s->argv[argc] = fixed[argc];
    for (size_t i = 0; i < s->npeers; i++) {
        s->argv[argc++] = s->peers[i].name;
        s->argv[argc++] = s->peers[i].cursor;
    }
    return argc;
}

/* Adds the buffered deltas to the arguments. */
static int site_args_deltas(struct site *s, int argc)
{
    for (size_t i = 0; i < s->n; i++)
        s->argv[argc++] = s->wire + s->off[i];
    return argc;
}

/* Finds or adds peer name; NULL when the table is full or it is us. */
static struct site_peer *site_peer(struct site *s, const char *name, size_t n)
{
    if (n == strlen(s->sensor) && !memcmp(name, s->sensor, n))
        return NULL;
    for (size_t i = 0; i < s->npeers; i++)
        if (strlen(s->peers[i].name) == n && !memcmp(s->peers[i].name, name, n))
            return &s->peers[i];
    if (s->npeers == SITE_MAX_PEERS || n >= sizeof s->peers[0].name)
        return NULL;
    struct site_peer *p = &s->peers[s->npeers];
    memcpy(p->name, name, n);
    p->name[n] = '\0';
    strcpy(p->cursor, "-");
    p->clock = 0;
    return s->npeers++ < SITE_MAX_PEERS ? p : NULL;
}

/* Reads HGETALL P:clock (flat name, clock pairs): updates the peers'
 * clocks; returns how many sensors (us included) are registered. */
static size_t site_clocks(struct site *s, const redisReply *r)
{
    size_t n = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        struct site_peer *p = site_peer(s, k->str, k->len);
        if (p)
            p->clock = strtoll(v->str, NULL, 10);
        n++;
    }
    return n;
}

/* Hands one wire line (modified in place) to its apply callback. */
static void site_apply_line(struct site *s, char *line)
{
    char *f[8];
    size_t n = 0;
    for (char *p = line; n < 8; p++) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p = '\0';
    }
    struct site_delta d;
    memset(&d, 0, sizeof d);
    if (n == 2 && f[0][0] == 's' && s->apply[SITE_K_START]) {
        d.kind = SITE_K_START;
        d.key = "";
        d.first = d.last = strtoll(f[1], NULL, 10);
        s->apply[SITE_K_START](s->apply_ctx[SITE_K_START], &d);
        s->st.applied++;
        return;
    }
    bool ai = n == 7 && f[0][0] == 'e', pair = n == 4 && (f[0][0] == 'd' || f[0][0] == 'a');
    if ((!ai && !pair) || xm_addr_parse(f[1], &d.host) != 0)
        return;
    d.kind = ai ? SITE_K_AI : f[0][0] == 'd' ? SITE_K_DOMAIN : SITE_K_DEST;
    if (d.kind == SITE_K_DEST && xm_addr_parse(f[2], &d.dst) != 0)
        return;
    d.key = ai ? f[3] : f[2];
    d.ai_kind = ai ? (uint8_t)atoi(f[2]) : 0;
    d.first = strtoll(f[ai ? 4 : 3], NULL, 10);
    d.last = ai ? strtoll(f[5], NULL, 10) : d.first;
    d.count = ai ? (uint32_t)strtoul(f[6], NULL, 10) : 0;
    if (s->apply[d.kind]) {
        s->apply[d.kind](s->apply_ctx[d.kind], &d);
        s->st.applied++;
    }
}

/* Applies one log entry [id, [h, H, d, LINES]]; false when its horizon
 * is beyond clock (it waits for a later tick). */
static bool site_apply_entry(struct site *s, struct site_peer *p, const redisReply *e,
                             int64_t clock)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING ||
        e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements != 4)
        return true;
    const redisReply *f = e->element[1];
    for (size_t i = 0; i < 4; i++)
        if (f->element[i]->type != REDIS_REPLY_STRING)
            return true;
    if (!s->live && strtoll(f->element[1]->str, NULL, 10) > clock)
        return false;
    for (char *l = f->element[3]->str, *nl; l; l = nl) {
        nl = strchr(l, '\n');
        if (nl)
            *nl++ = '\0';
        site_apply_line(s, l);
    }
    snprintf(p->cursor, sizeof p->cursor, "(%s", e->element[0]->str);
    return true;
}

/* Applies a peer's XRANGE reply; true when it may have more (full page,
 * all applied). */
static bool site_apply_range(struct site *s, struct site_peer *p, const redisReply *r,
                             int64_t clock)
{
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return false;
    for (size_t i = 0; i < r->elements; i++)
        if (!site_apply_entry(s, p, r->element[i], clock))
            return false;
    return r->elements == SITE_PULL_COUNT;
}

/* Applies the script's reply {clocks, range peer 1, ...} (r an array
 * of at least one element); true when a peer may have more. */
static bool site_apply_reply(struct site *s, const redisReply *r, size_t npeers, int64_t clock)
{
    bool more = false;
    for (size_t i = 0; i < npeers && i + 1 < r->elements; i++)
        more |= site_apply_range(s, &s->peers[i], r->element[i + 1], clock);
    site_clocks(s, r->element[0]);
    return more;
}

/* One EVAL: pushes the buffered deltas (when push), publishes clock,
 * pulls when pull.  0, or -1 after an outage began. */
static int site_eval(struct site *s, int64_t clock, xm_time_t horizon, bool push, bool pull,
                     bool *more)
{
    char num[5][24];
    size_t npeers = s->npeers;
    int argc = site_args(s, num, clock, horizon, pull);
    if (push)
        argc = site_args_deltas(s, argc);
    redisReply *r = xm_rconn_cmd(s->c, argc, s->argv, NULL);
    s->st.round_trips++;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
        site_outage(s, r && r->type == REDIS_REPLY_ERROR ? r->str :
                       xm_rconn_failed(s->c) ? xm_rconn_error(s->c) : "bad reply");
        freeReplyObject(r);
        return -1;
    }
    if (push) {
        s->st.pushed += s->n;
        s->n = s->used = 0;
    }
    *more = site_apply_reply(s, r, npeers, clock);
    freeReplyObject(r);
    return 0;
}

int site_apply_resp(struct site *s, const void *buf, size_t n, xm_time_t clock)
{
    redisReader *rd = redisReaderCreate();
    void *rep = NULL;
    int rc = -1;
    if (rd && redisReaderFeed(rd, buf, n) == REDIS_OK &&
        redisReaderGetReply(rd, &rep) == REDIS_OK && rep) {
        const redisReply *r = rep;
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
            (void)site_apply_reply(s, r, s->npeers, clock);
            rc = 0;
        }
    }
    freeReplyObject(rep);
    redisReaderFree(rd);
    return rc;
}

/* Sensors registered with a clock >= clock (us included). */
static bool site_ready(const struct site *s, size_t registered, int64_t clock)
{
    if (registered < s->u.sync)
        return false;
    for (size_t i = 0; i < s->npeers; i++)
        if (s->peers[i].clock < clock)
            return false;
    return true;
}

/* Replay barrier: polls the clocks until ?sync sensors reached clock,
 * at most ?wait seconds.  0, or -1 after an outage began. */
static int site_barrier(struct site *s, int64_t clock)
{
    const char *argv[] = {"HGETALL", NULL};
    char key[96];
    snprintf(key, sizeof key, "%s:clock", s->u.prefix);
    argv[1] = key;
    uint64_t until = site_now_ms() + 1000u * s->u.wait;
    for (;;) {
        redisReply *r = xm_rconn_cmd(s->c, 2, argv, NULL);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            site_outage(s, xm_rconn_failed(s->c) ? xm_rconn_error(s->c) : "bad reply");
            return -1;
        }
        bool ok = site_ready(s, site_clocks(s, r), clock);
        freeReplyObject(r);
        if (ok)
            return 0;
        if (site_now_ms() > until) {
            if (!s->st.barrier_timeouts++)
                xm_warn("--site-redis: sensors missing after %u s at the replay barrier "
                        "(?sync=%u); going on without them", s->u.wait, s->u.sync);
            return 0;
        }
        struct timespec ts = {0, 200 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void site_exchange(struct site *s, int64_t clock, xm_time_t horizon)
{
    bool more = false, sync = s->u.sync && !s->live;
    if (site_connect(s) != 0 || site_eval(s, clock, horizon, true, !sync, &more) != 0)
        return;
    if (sync && (site_barrier(s, clock) != 0 ||
                 site_eval(s, clock, horizon, false, true, &more) != 0))
        return;
    for (int i = 0; more && i < 64; i++)
        if (site_eval(s, clock, horizon, false, true, &more) != 0)
            return;
}

void site_tick(struct site *s, xm_time_t clock, xm_time_t horizon)
{
    if (s && !s->finished)
        site_exchange(s, clock, horizon);
}

void site_finish(struct site *s, xm_time_t horizon)
{
    if (!s || s->finished)
        return;
    bool more;
    s->next_try_ms = 0;             /* one last try, whatever the backoff */
    if (site_connect(s) == 0)
        (void)site_eval(s, INT64_MAX, horizon, true, false, &more);
    if (s->n)
        xm_warn("--site-redis: %zu deltas not shared at exit (Redis unreachable)", s->n);
    s->st.dropped += s->n;
    s->n = s->used = 0;
    s->finished = true;
}

/* ---- reporting -------------------------------------------------------------- */

size_t site_health(const struct site *s, char *why, size_t len)
{
    if (!s || s->st.up || (!s->down && !s->st.errors))
        return 0;
    snprintf(why, len, "site-redis %s:%d unreachable, novelty judged on local state",
             s->u.host, s->u.port);
    return 1;
}

void site_write_metrics(const struct site *s, FILE *f)
{
    if (!s)
        return;
    xm_prom_metric(f, "exfilmon_site_redis_up", "gauge",
                   "1 while the --site-redis server answers.", s->st.up);
    xm_prom_metric(f, "exfilmon_site_redis_outages_total", "counter",
                   "Outages of the --site-redis server (one log line each).", s->st.outages);
    xm_prom_metric(f, "exfilmon_site_redis_errors_total", "counter",
                   "Failed connects and exchanges with the --site-redis server.", s->st.errors);
    xm_prom_metric(f, "exfilmon_site_redis_round_trips_total", "counter",
                   "Round trips to the --site-redis server.", s->st.round_trips);
    xm_prom_metric(f, "exfilmon_site_redis_deltas_pushed_total", "counter",
                   "Local first-seen and AI deltas shared.", s->st.pushed);
    xm_prom_metric(f, "exfilmon_site_redis_deltas_applied_total", "counter",
                   "Other sensors' deltas applied to the local tables.", s->st.applied);
    xm_prom_metric(f, "exfilmon_site_redis_deltas_dropped_total", "counter",
                   "Local deltas dropped (buffer full, or Redis down at exit).", s->st.dropped);
    xm_prom_metric(f, "exfilmon_site_redis_barrier_timeouts_total", "counter",
                   "Replay barriers (?sync) that gave up waiting.", s->st.barrier_timeouts);
}
