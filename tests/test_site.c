/*
 * test_site.c - --site-redis without a server (include/xm_site.h): URL
 * syntax, the merge rules of the local tables (dstseen_merge,
 * aihost_merge: what another sensor's delta does), the delta buffer's
 * bound, and an unreachable Redis (outage counted once, health reported,
 * nothing blocks).  tests/test_site_redis.py runs it against a server.
 */
#include "xm_aihost.h"
#include "xm_dstseen.h"
#include "xm_site.h"
#include "xm_test.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void t_urls(void)
{
    char err[512];
    const char *good[] = {"redis://127.0.0.1", "redis://h:6380/3", "redis://u:p@h:1/0",
                          "redis://pw@h", "redis://[::1]:6379", "redis://h/0?prefix=x:y&ttl=3600",
                          "redis://h?sync=2&wait=5&maxlen=1000"};
    const char *bad[] = {"http://h", "redis://", "redis://h:0", "redis://h:70000",
                         "redis://h/x", "redis://h?ttl=5", "redis://h?sync=65", "redis://h?foo=1",
                         "redis://[::1", "redis://h?prefix=a b"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(site_url_check(good[i], err, sizeof err) == 0);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(site_url_check(bad[i], err, sizeof err) == -1 && strstr(err, "--site-redis"));
}

static struct xm_addr ip4(uint8_t last)
{
    struct xm_addr a;
    memset(&a, 0, sizeof a);
    a.family = 4;
    a.b[0] = 10;
    a.b[3] = last;
    return a;
}

/* A merged pair counts its host once and moves first-seen to the min. */
static void t_dstseen_merge(void)
{
    struct dstseen *d = dstseen_new(NULL, 7);
    struct xm_addr h1 = ip4(1), h2 = ip4(2);
    struct dstseen_view v;
    dstseen_observe(d, &h1, "Example.NET", XM_SEC(100));
    dstseen_merge(d, &h2, "example.net", XM_SEC(50));
    dstseen_merge(d, &h2, "example.net", XM_SEC(80));
    dstseen_merge(d, &h1, "example.net", XM_SEC(90));
    CHECK(dstseen_get(d, &h1, "example.net", &v));
    CHECK_EQ_U64(v.prevalence, 2);
    CHECK_EQ_U64(v.site_first, XM_SEC(50));
    CHECK_EQ_U64(v.pair_first, XM_SEC(90));
    CHECK_EQ_U64(v.t0, XM_SEC(50));
    dstseen_free(d);
}

/* Evidence from another sensor: first min, last max, count max. */
static void t_aihost_merge(void)
{
    struct aihost_config c = {.seed = 3};
    struct aihost *ah = aihost_new(&c);
    struct xm_addr h = ip4(5);
    struct aihost_view v;
    CHECK(!aihost_is_ai(ah, &h, XM_SEC(10)));
    CHECK(aihost_merge(ah, &h, AIHOST_LLM_ENDPOINT, "api.openai.com", XM_SEC(5), XM_SEC(9),
                       3) == 0);
    CHECK(aihost_merge(ah, &h, AIHOST_LLM_ENDPOINT, "api.openai.com", XM_SEC(7), XM_SEC(8),
                       2) == 0);
    CHECK(aihost_merge(ah, &h, AIHOST_INVENTORY, "x", XM_SEC(7), XM_SEC(8), 1) == -1);
    CHECK(aihost_get(ah, &h, XM_SEC(10), &v));
    CHECK_EQ_U64(v.n_evidence, 1);
    CHECK_EQ_U64(v.ev[0].first, XM_SEC(5));
    CHECK_EQ_U64(v.ev[0].last, XM_SEC(9));
    CHECK_EQ_U64(v.ev[0].count, 3);
    aihost_free(ah);
}

/* A loopback port nothing listens on. */
static int closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, n) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &n) != 0)
        return 1;
    close(fd);
    return ntohs(a.sin_port);
}

static void t_unreachable(void)
{
    char url[64], err[256], why[256];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", closed_port());
    struct site_config c = {.url = url, .sensor = "t", .live = false};
    struct site *s = site_new(&c, err, sizeof err);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_EQ_U64(site_health(s, why, sizeof why), 0);   /* not tried yet */
    struct site_delta d = {.kind = SITE_K_DOMAIN, .host = ip4(1), .key = "a.example",
                           .first = XM_SEC(1)};
    for (unsigned i = 0; i < SITE_MAX_DELTAS + 5; i++)
        site_note(s, &d);
    CHECK_EQ_U64(site_get_stats(s)->dropped, 5);
    for (int i = 0; i < 10; i++)        /* backoff: one connect, then waits */
        site_tick(s, XM_SEC(2 + i), XM_SEC(2 + i));
    CHECK_EQ_U64(site_get_stats(s)->outages, 1);
    CHECK_EQ_U64(site_get_stats(s)->errors, 1);
    CHECK(!site_get_stats(s)->up);
    CHECK_EQ_U64(site_health(s, why, sizeof why), 1);
    CHECK(strstr(why, "site-redis") != NULL);
    site_finish(s, XM_SEC(20));
    CHECK_EQ_U64(site_get_stats(s)->dropped, 5 + SITE_MAX_DELTAS);
    site_free(s);
}

/* The EVAL reply handling (site_apply_resp), on the fuzz seed "full":
 * peers gw_a (two entries, the second's horizon beyond the clock) and
 * gw_b (one entry). */
static int n_dom, n_dst, n_ai, n_start;
static char last_ai[64];

static void t_count(void *ctx, const struct site_delta *d)
{
    (void)ctx;
    n_dom += d->kind == SITE_K_DOMAIN;
    n_dst += d->kind == SITE_K_DEST;
    n_ai += d->kind == SITE_K_AI;
    n_start += d->kind == SITE_K_START;
    if (d->kind == SITE_K_AI)
        snprintf(last_ai, sizeof last_ai, "%s %u", d->key, d->count);
}

static void t_reply(bool live, int dom, int dst)
{
    char err[256], buf[4096];
    FILE *f = fopen("fuzz/corpus/site/full", "rb");
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > 100);
    struct site_config c = {.url = "redis://127.0.0.1:1", .sensor = "me", .live = live};
    struct site *s = site_new(&c, err, sizeof err);
    CHECK(s != NULL);
    if (!s || n < 2)
        return;
    for (int k = 0; k < SITE_K_MAX; k++)
        site_set_apply(s, (enum site_kind)k, t_count, NULL);
    n_dom = n_dst = n_ai = n_start = 0;
    CHECK(site_apply_resp(s, buf + 1, n - 1, 1776153600000000) == 0);
    CHECK_EQ_U64((uint64_t)(n_dom + n_dst + n_ai + n_start), 0);  /* peers unknown yet */
    CHECK(site_apply_resp(s, buf + 1, n - 1, 1776153600000000) == 0);
    CHECK_EQ_U64((uint64_t)n_dom, (uint64_t)dom);
    CHECK_EQ_U64((uint64_t)n_dst, (uint64_t)dst);
    CHECK_EQ_U64((uint64_t)n_ai, 1);
    CHECK_EQ_U64((uint64_t)n_start, 1);
    CHECK(strcmp(last_ai, "api.openai.com 3") == 0);
    CHECK(site_apply_resp(s, buf + 1, n / 2, 1776153600000000) == -1);  /* cut */
    CHECK(site_apply_resp(s, "-ERR x\r\n", 8, 1776153600000000) == -1);
    site_free(s);
}

int main(void)
{
    t_reply(false, 1, 3);   /* gw_a's second entry waits for a later tick */
    t_reply(true, 2, 3);    /* live: no horizon filter */
    t_urls();
    t_dstseen_merge();
    t_aihost_merge();
    t_unreachable();
    return xm_test_result();
}
