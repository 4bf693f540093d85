/*
 * bench_flow.c - micro-benchmark of flow_update(): N_UPDATES packets
 * spread over N_FLOWS distinct TCP flows (both directions, random order,
 * no evictions), then a full flush.  Prints ns/update (wall and CPU
 * time: on a loaded machine only the CPU figure means anything) and
 * memory per flow.  With burst > 1 every chosen flow gets that many
 * consecutive packets (closer to real traffic than uniform random).
 * Usage: bench_flow [flows] [updates] [burst]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xm_flow.h"

static double now_sec(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(struct xm_pkt *p, uint32_t i, bool reply, xm_time_t ts)
{
    memset(&p->src, 0, sizeof p->src);
    memset(&p->dst, 0, sizeof p->dst);
    struct xm_addr *cli = reply ? &p->dst : &p->src, *srv = reply ? &p->src : &p->dst;
    cli->family = srv->family = 4;
    cli->b[0] = 10;
    cli->b[1] = (uint8_t)(i >> 16);
    cli->b[2] = (uint8_t)(i >> 8);
    cli->b[3] = (uint8_t)i;
    srv->b[0] = 93;
    srv->b[3] = (uint8_t)(i % 7);
    uint16_t cp = (uint16_t)(32768 + (i >> 24)), sp = 443;
    p->sport = reply ? sp : cp;
    p->dport = reply ? cp : sp;
    p->tcp_flags = 0x10;
    p->ts = ts;
}

static unsigned long ended;
static void on_end(void *ctx, struct xm_flow *f, enum flow_end_reason r)
{
    (void)ctx;
    (void)f;
    (void)r;
    ended++;
}

int main(int argc, char **argv)
{
    uint32_t nflows = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
    uint64_t nupd = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
    uint64_t burst = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (burst == 0)
        burst = 1;
    struct flow_table *ft = flow_table_new(nflows, NULL, xm_hash_random_seed(), on_end, NULL);
    if (!ft)
        return 1;
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.ipver = 4;
    p.proto = 6;
    p.has_ports = true;
    p.ip_bytes = 1500;
    xm_time_t t0 = XM_SEC(1700000000);
    uint64_t x = 88172645463325252ULL, sink = 0;
    int dir;
    double a = now_sec(CLOCK_MONOTONIC), ac = now_sec(CLOCK_PROCESS_CPUTIME_ID);
    uint32_t i = 0;
    for (uint64_t n = 0; n < nupd; n++) {
        if (n % burst == 0) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            i = n < nflows ? (uint32_t)n : (uint32_t)(x % nflows);
        }
        fill(&p, i, (x >> 40) & 1, t0 + (xm_time_t)n);
        struct xm_flow *f = flow_update(ft, &p, NULL, NULL, &dir);
        sink += f ? f->pkts[0] : 0;
    }
    double b = now_sec(CLOCK_MONOTONIC), bc = now_sec(CLOCK_PROCESS_CPUTIME_ID);
    flow_flush(ft);
    double c = now_sec(CLOCK_MONOTONIC);
    const struct flow_stats *st = flow_table_stats(ft);
    uint32_t nb = 1;
    while (nb < nflows)
        nb <<= 1;
    printf("flows=%u updates=%llu created=%llu evicted=%llu ended=%lu sink=%llu\n",
           nflows, (unsigned long long)nupd, (unsigned long long)st->created,
           (unsigned long long)st->evicted, ended, (unsigned long long)sink);
    printf("update: %.1f ns/update wall, %.1f ns/update CPU (burst %llu, incl. packet "
           "synthesis)\n", (b - a) * 1e9 / (double)nupd, (bc - ac) * 1e9 / (double)nupd,
           (unsigned long long)burst);
    printf("flush: %.1f ns/flow\n", (c - b) * 1e9 / (double)nflows);
    printf("memory: sizeof(struct xm_flow)=%zu + buckets %.2f B/flow = %.1f B/flow\n",
           sizeof(struct xm_flow), 4.0 * nb / nflows,
           (double)sizeof(struct xm_flow) + 4.0 * nb / nflows);
    flow_table_free(ft);
    return 0;
}
