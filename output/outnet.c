/*
 * outnet.c - what the network sinks (sink_redis.c, sink_webhook.c)
 * share: a monotonic clock for retry schedules, exponential backoff, the
 * "[user[:pass]@]host[:port]" part of a URL (lib/url.c into the
 * sink's buffers), and the one log line per
 * episode that says how many records were dropped.
 */
#include "sink.h"

#include "xm_log.h"
#include "xm_url.h"

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

/* Copies src into d (cap dl); -1 if it does not fit. */
static int net_copy(char *d, size_t dl, const char *src)
{
    size_t n = strlen(src);
    if (n >= dl)
        return -1;
    memcpy(d, src, n + 1);
    return 0;
}

int net_authority(const char *s, size_t n, int flags, char *user, size_t ul, char *pass,
                  size_t pl, char *host, size_t hl, int *port, int dport, char *err,
                  size_t errlen)
{
    struct xm_url_auth a;
    if (xm_url_authority(s, n, dport, flags, &a, err, errlen) != 0)
        return -1;
    if (net_copy(user, ul, a.user) != 0 || net_copy(pass, pl, a.pass) != 0) {
        snprintf(err, errlen, "user or password too long");
        return -1;
    }
    if (net_copy(host, hl, a.host) != 0) {
        snprintf(err, errlen, "missing or bad host");
        return -1;
    }
    *port = a.port;
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
