/*
 * outnet.c - what the network sinks (sink_redis.c, sink_webhook.c)
 * share: a monotonic clock for retry schedules, exponential backoff, the
 * "[user[:pass]@]host[:port]" part of a URL, and the one log line per
 * episode that says how many records were dropped.
 */
#include "sink.h"

#include "xm_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NET_BACKOFF_MIN_MS 500u
#define NET_BACKOFF_MAX_MS 30000u

uint64_t net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void net_backoff(uint64_t *next_ms, uint64_t *delay_ms)
{
    if (*delay_ms < NET_BACKOFF_MIN_MS)
        *delay_ms = NET_BACKOFF_MIN_MS;
    else if (*delay_ms < NET_BACKOFF_MAX_MS)
        *delay_ms = *delay_ms * 2 > NET_BACKOFF_MAX_MS ? NET_BACKOFF_MAX_MS : *delay_ms * 2;
    *next_ms = net_now_ms() + *delay_ms;
}

/* Copies s[0, n) into d (cap dl, NUL-terminated); -1 if it does not fit. */
static int net_copy(char *d, size_t dl, const char *s, size_t n)
{
    if (n >= dl)
        return -1;
    memcpy(d, s, n);
    d[n] = '\0';
    return 0;
}

static int net_port(const char *s, size_t n, int *port)
{
    char buf[8];
    char *end;
    if (n == 0 || net_copy(buf, sizeof buf, s, n) != 0)
        return -1;
    long v = strtol(buf, &end, 10);
    if (*end || v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

static int net_userinfo(const char *s, size_t n, char *user, size_t ul, char *pass, size_t pl)
{
    const char *colon = memchr(s, ':', n);
    size_t un = colon ? (size_t)(colon - s) : n;
    if (net_copy(user, ul, s, un) != 0)
        return -1;
    return colon ? net_copy(pass, pl, colon + 1, n - un - 1) : net_copy(pass, pl, "", 0);
}

int net_authority(const char *s, size_t n, char *user, size_t ul, char *pass, size_t pl,
                  char *host, size_t hl, int *port, int dport, char *err, size_t errlen)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            at = s + i;             /* the last '@': passwords may hold one */
    user[0] = pass[0] = '\0';
    if (at && net_userinfo(s, (size_t)(at - s), user, ul, pass, pl) != 0) {
        snprintf(err, errlen, "user or password too long");
        return -1;
    }
    if (at) {
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    const char *colon = memchr(s, ':', n);
    size_t hn = colon ? (size_t)(colon - s) : n;
    *port = dport;
    if (hn == 0 || net_copy(host, hl, s, hn) != 0 || strpbrk(host, " /?#[]")) {
        snprintf(err, errlen, "missing or bad host");
        return -1;
    }
    if (colon && net_port(colon + 1, n - hn - 1, port) != 0) {
        snprintf(err, errlen, "bad port (1-65535)");
        return -1;
    }
    return 0;
}

void net_log_drops(struct out *o, uint64_t *episode_drops, const char *when)
{
    if (*episode_drops == 0)
        return;
    xm_warn("%s: %llu records dropped %s; %llu dropped in all", o->path,
            (unsigned long long)*episode_drops, when, (unsigned long long)o->st.dropped);
    *episode_drops = 0;
}

void net_summary(const struct out *o)
{
    xm_info("%s: %llu records, %llu delivered, %llu dropped", o->path,
            (unsigned long long)o->st.records, (unsigned long long)o->st.written,
            (unsigned long long)o->st.dropped);
}
