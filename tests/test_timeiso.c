/*
 * test_timeiso.c - xm_time_iso (lib/common.c) formats the date of a
 * cached day and the time of day by arithmetic; its text must be
 * gmtime_r + strftime's, byte for byte: days before and after 1970,
 * every second boundary of a day, alternating days (the cache changes
 * day on every call), random times, and every buffer length.
 */
#include <time.h>

#include "xm_common.h"
#include "xm_test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static int failures;

/* The reference text: strftime of gmtime, ".uuuuuu+0000", truncated as
 * snprintf would to len bytes. */
static void want_iso(xm_time_t t, char *buf, size_t len)
{
    time_t sec = (time_t)(t / XM_USEC_PER_SEC);
    long usec = (long)(t % XM_USEC_PER_SEC);
    if (usec < 0) {
        usec += 1000000;
        sec -= 1;
    }
    struct tm tm;
    char base[24] = "";
    if (!gmtime_r(&sec, &tm) || strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        base[0] = 0;
    snprintf(buf, len, "%s.%06ld+0000", base, usec);
}

static void check(xm_time_t t)
{
    static const size_t lens[] = {1, 5, 11, 20, 27, 32, 48};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char want[48], got[48];
        want_iso(t, want, lens[i]);
        memset(got, 'x', sizeof got);
        xm_time_iso(t, got, lens[i]);
        bool same = strcmp(got, want) == 0;
        if (!same && failures++ < 10)
            fprintf(stderr, "t %lld len %zu: got \"%s\", want \"%s\"\n", (long long)t,
                    lens[i], got, want);
        CHECK(same);
    }
}

int main(void)
{
    /* every second of a day around the epoch and of one in 2026 */
    for (int64_t s = -86400 - 5; s < 86400 + 5; s++)
        check(s * XM_USEC_PER_SEC + (s & 1 ? 999999 : 0));
    for (int64_t s = 0; s < 86400; s += 7)
        check((INT64_C(1796000000) + s) * XM_USEC_PER_SEC);
    /* negative microseconds, a flow's start and end days apart */
    check(-1);
    check(-XM_USEC_PER_SEC - 1);
    for (int i = 0; i < 20000; i++) {
        int64_t a = (int64_t)(rng() % UINT64_C(4102444800)) - INT64_C(2208988800);
        check(a * XM_USEC_PER_SEC + (int64_t)(rng() % 1000000));
        check((a + 86400 * 3 + 17) * XM_USEC_PER_SEC);
    }
    return xm_test_result();
}
