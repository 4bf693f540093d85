/*
 * test_pipe_acct.c - host totals of flows that run past the active
 * timeout (src/pipe_acct.c, src/pipeline.c pipe_account_hosts).
 *
 * Decoded UDP packets are fed to a pipeline with a 10 s active timeout,
 * a 4-flow table (so flows are evicted and slots reused, also by flows
 * that have interim records of their own) and packets of 1-3 GB each
 * (IP-layer bytes; every delta between two interim records and every
 * total is past 2^32).  At the end, and after every interim record,
 * the per-host totals (bytes and packets, out and in) and the egress
 * counters are compared with the sums of the packets fed here: a delta
 * counted twice, a mark kept past a flow's end (its slot's next flow
 * would subtract it) or a mark not kept (an interim record followed by
 * the flow's end would add the interim's part twice) fails.
 */
#include <stdlib.h>

#include "xm_host.h"
#include "xm_pipeline.h"
#include "xm_test.h"

#define NHOST 2
#define NFLOW 24

struct truth {
    struct xm_addr addr[NHOST];
    uint64_t v[NHOST][4];         /* bytes out, bytes in, pkts out, pkts in */
    uint64_t eg_out, eg_in;
};

static void defaults(struct xm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->snaplen = 262144;
    o->max_flows = 4;
    o->max_hosts = 64;
    o->max_pairs = 64;
    o->no_rules = true;
    o->alerts_path = "/dev/null";
    flow_timeouts_default(&o->timeouts);
    o->timeouts.active = 10;
    o->timeouts.udp = 30;
}

/* Flow k: local host k % 2, port 40000 + k, to 203.0.113.9:5555; from
 * second 6k for 12 + 9 (k % 4) seconds, one packet each way a second. */
static bool flow_live(int k, int t) { return t >= 6 * k && t < 6 * k + 12 + 9 * (k % 4); }

static void send(struct xm_pipeline *pl, struct truth *tr, int k, int t, int dir)
{
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.ts = XM_SEC(t) + k * 10 + dir;
    p.ipver = 4;
    p.proto = 17;
    p.has_ports = true;
    struct xm_addr remote;
    CHECK(xm_addr_parse("203.0.113.9", &remote) == 0);
    const struct xm_addr *local = &tr->addr[k % NHOST];
    p.src = dir ? remote : *local;
    p.dst = dir ? *local : remote;
    p.sport = dir ? 5555 : (uint16_t)(40000 + k);
    p.dport = dir ? (uint16_t)(40000 + k) : 5555;
    p.ip_bytes = dir ? 1000000000u + (uint32_t)t : 3000000000u + (uint32_t)k;
    p.caplen = p.wirelen = 64;
    p.len_from_wire = true;
    tr->v[k % NHOST][dir] += p.ip_bytes;
    tr->v[k % NHOST][2 + dir] += 1;
    *(dir ? &tr->eg_in : &tr->eg_out) += p.ip_bytes;
    pipe_decoded(pl, &p, DR_NONE);
}

struct got {
    const struct truth *tr;
    uint64_t v[NHOST][4];
};

static int add_host(void *ctx, const struct xm_host *h)
{
    struct got *g = ctx;
    for (int i = 0; i < NHOST; i++) {
        if (xm_addr_cmp(&h->addr, &g->tr->addr[i]) != 0)
            continue;
        g->v[i][0] += h->bytes_out;
        g->v[i][1] += h->bytes_in;
        g->v[i][2] += h->pkts_out;
        g->v[i][3] += h->pkts_in;
    }
    return 0;
}

/* Host totals: exactly the truth (final) or at most it (mid-run). */
static void check_hosts(struct xm_pipeline *pl, const struct truth *tr, bool final)
{
    struct got g = {.tr = tr};
    memset(g.v, 0, sizeof g.v);
    host_foreach_sorted(pipe_host_table(pl), add_host, &g);
    const struct pipe_stats *st = pipe_get_stats(pl);
    for (int i = 0; i < NHOST; i++)
        for (int j = 0; j < 4; j++) {
            if (final)
                CHECK_EQ_U64(g.v[i][j], tr->v[i][j]);
            else
                CHECK(g.v[i][j] <= tr->v[i][j]);
        }
    if (final) {
        CHECK_EQ_U64(st->egress_bytes_out, tr->eg_out);
        CHECK_EQ_U64(st->egress_bytes_in, tr->eg_in);
    } else {
        CHECK(st->egress_bytes_out <= tr->eg_out);
        CHECK(st->egress_bytes_in <= tr->eg_in);
    }
}

static void test_long_flows(void)
{
    struct xm_opts o;
    char err[512];
    defaults(&o);
    struct xm_pipeline *pl = pipe_new(&o, false, err, sizeof err);
    CHECK(pl != NULL);
    if (!pl) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    struct truth tr;
    memset(&tr, 0, sizeof tr);
    CHECK(xm_addr_parse("10.0.0.1", &tr.addr[0]) == 0);
    CHECK(xm_addr_parse("10.0.0.2", &tr.addr[1]) == 0);
    uint64_t interims = 0, mid_out = 0;
    for (int t = 0; t < 6 * NFLOW + 40; t++) {
        for (int k = 0; k < NFLOW; k++)
            for (int dir = 0; dir < 2; dir++)
                if (flow_live(k, t))
                    send(pl, &tr, k, t, dir);
        const struct flow_stats *fs = pipe_flow_stats(pl);
        if (fs->interim != interims) {
            interims = fs->interim;
            check_hosts(pl, &tr, false);
            mid_out = pipe_get_stats(pl)->egress_bytes_out;
        }
    }
    pipe_finish(pl);
    const struct flow_stats *fs = pipe_flow_stats(pl);
    printf("flows %llu, evicted %llu, interim records %llu, egress out %llu in %llu\n",
           (unsigned long long)fs->created, (unsigned long long)fs->evicted,
           (unsigned long long)fs->interim, (unsigned long long)tr.eg_out,
           (unsigned long long)tr.eg_in);
    CHECK(fs->interim >= NFLOW);        /* most flows have interim records */
    CHECK(fs->evicted > 0);             /* slots reused under pressure */
    CHECK(mid_out > (UINT64_C(1) << 32)); /* interims did add to totals */
    CHECK(tr.v[0][0] > (UINT64_C(1) << 36));
    check_hosts(pl, &tr, true);
    pipe_free(pl);
}

int main(void)
{
    test_long_flows();
    return xm_test_result();
}
