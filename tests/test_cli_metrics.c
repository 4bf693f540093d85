/*
 * test_cli_metrics.c - the /metrics additions of issue 14 that the
 * pipeline computes, checked against an independent count:
 *   - egress bytes: replaying a capture through the pipeline must give, per
 *     direction, the sum of the IP bytes of every decoded packet between a
 *     home-net address and an outside one (computed here with the decoder
 *     and the default home set only, no flow table);
 *   - alerts by severity: the counters must equal the alerts written to the
 *     alerts file, counted here by their alert.metadata.severity_name;
 *   - the metrics text carries both and is valid Prometheus text.
 */
#include <stdlib.h>
#include <unistd.h>

#include "pipe_replay.h"
#include "prom_check.h"
#include "xm_netset.h"
#include "xm_pipeline.h"
#include "xm_source.h"
#include "xm_test.h"

/* The program's defaults (xm_opts_defaults lives in main.c). */
static void defaults(struct xm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->snaplen = 262144;
    o->buffer_kib = 65536;
    o->promisc = true;
    o->max_flows = 1u << 20;
    o->max_hosts = 1u << 18;
    o->max_pairs = 1u << 18;
    flow_timeouts_default(&o->timeouts);
}

struct expect {
    uint64_t out, in;
};

/* Egress by packet, with nothing but the decoder and the home set. */
static int expect_egress(const char *path, struct expect *e)
{
    char err[512];
    struct src *s = NULL;
    struct src_pkt p;
    struct dec_stats ds = {0};
    struct xm_pkt pkt;
    struct xm_netset *home = netset_default_home();
    memset(e, 0, sizeof *e);
    if (!home || src_open_files(&s, &path, 1, err, sizeof err) != 0)
        return -1;
    while (src_next(s, &p) == SRC_PKT) {
        if (dec_packet(p.dlt, p.ts, p.data, p.caplen, p.wirelen, &pkt, &ds) != DEC_OK)
            continue;
        bool sl = netset_contains(home, &pkt.src), dl = netset_contains(home, &pkt.dst);
        if (sl && !dl)
            e->out += pkt.ip_bytes;
        else if (dl && !sl)
            e->in += pkt.ip_bytes;
    }
    src_close(s);
    netset_free(home);
    return 0;
}

static void test_egress(const char *path)
{
    struct expect e;
    struct xm_opts o;
    defaults(&o);
    o.no_rules = true;
    o.alerts_path = "/dev/null";
    CHECK(expect_egress(path, &e) == 0);
    struct xm_pipeline *pl = pipe_replay(path, &o);
    CHECK(pl != NULL);
    if (!pl)
        return;
    const struct pipe_stats *st = pipe_get_stats(pl);
    printf("%s: egress out %llu in %llu (expected %llu / %llu)\n", path,
           (unsigned long long)st->egress_bytes_out, (unsigned long long)st->egress_bytes_in,
           (unsigned long long)e.out, (unsigned long long)e.in);
    CHECK_EQ_U64(st->egress_bytes_out, e.out);
    CHECK_EQ_U64(st->egress_bytes_in, e.in);
    CHECK(e.out + e.in > 0);
    pipe_free(pl);
}

/* Alerts in the file, by severity name (index as in pipe_stats). */
static void count_alerts(const char *file, uint64_t by[5])
{
    static const char *const names[] = {"critical", "high", "medium", "low"};
    FILE *f = fopen(file, "r");
    char line[1 << 16];
    while (f && fgets(line, sizeof line, f)) {
        size_t slot = 0;
        for (size_t i = 0; i < 4; i++) {
            char pat[64];
            snprintf(pat, sizeof pat, "\"severity_name\":[\"%s\"]", names[i]);
            if (strstr(line, pat))
                slot = i + 1;
        }
        by[slot]++;
    }
    if (f)
        fclose(f);
}

static void test_severity_and_text(const char *path)
{
    char file[] = "/tmp/xm-cli-metrics.XXXXXX";
    int fd = mkstemp(file);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    struct xm_opts o;
    defaults(&o);
    o.alerts_path = file;
    o.alert_mode = "alerts";     /* the counters count rule hits: one alert each */
    struct xm_pipeline *pl = pipe_replay(path, &o);
    CHECK(pl != NULL);
    if (!pl)
        return;
    pipe_flush_outputs(pl);
    uint64_t by[5] = {0}, sum = 0;
    count_alerts(file, by);
    const struct pipe_stats *st = pipe_get_stats(pl);
    for (size_t i = 0; i < 5; i++) {
        CHECK_EQ_U64(st->alerts_by_severity[i], by[i]);
        sum += st->alerts_by_severity[i];
    }
    CHECK_EQ_U64(sum, st->alerts);
    CHECK(st->alerts > 0);
    CHECK(pipe_rules_count(pl) > 10);
    char *text = pipe_metrics_text(pl);
    char want[128];
    snprintf(want, sizeof want, "\nexfilmon_egress_bytes_total{direction=\"out\"} %llu\n",
             (unsigned long long)st->egress_bytes_out);
    CHECK(strstr(text, want) != NULL);
    snprintf(want, sizeof want, "\nexfilmon_rules_loaded %zu\n", pipe_rules_count(pl));
    CHECK(strstr(text, want) != NULL);
    CHECK(strstr(text, "\nexfilmon_alerts_by_severity_total{severity=\"critical\"} ") != NULL);
    free(text);
    pipe_free(pl);
    unlink(file);
}

int main(void)
{
    test_egress("pcaps/eth.pcap");
    test_egress("pcaps/office_gateway.pcap");
    test_egress("pcaps/stealer.pcap");
    test_severity_and_text("pcaps/stealer.pcap");
    return xm_test_result();
}
