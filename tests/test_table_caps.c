/*
 * test_table_caps.c - the caps of the names tables and of the per-flow
 * app-layer records come from the flags (--max-names, --max-app-flows),
 * and what they drop is counted in /metrics and in the summary line.
 *
 * The same capture is replayed with the default caps and with caps of 16:
 *   - the flow records that carry app-layer members (dns_query, tls,
 *     http, quic) are counted in the records themselves: fewer with the
 *     small cap, and the app_flows refusals are non-zero; with the
 *     defaults nothing is refused or evicted in any table;
 *   - exfilmon_table_capacity reports the caps given, entries never
 *     exceed them, every app record is released once every flow ended;
 *   - the summary line names the refusals with the same count as
 *     /metrics, and says nothing about tables when nothing was dropped;
 *   - the metrics text is valid Prometheus text.
 * Then DNS answers for 40 distinct names and addresses are fed to a
 * pipeline with --max-names 16: both names tables hold 16 and evicted
 * exactly 24, as the summary line says.
 */
#include <stdlib.h>
#include <unistd.h>

#include "app_build.h"
#include "pipe_replay.h"
#include "prom_check.h"
#include "xm_pipeline.h"
#include "xm_source.h"
#include "xm_test.h"

#define CAPTURE "pcaps/office_gateway.pcap"

static void defaults(struct xm_opts *o, const char *flows)
{
    memset(o, 0, sizeof *o);
    o->snaplen = 262144;
    o->promisc = true;
    o->max_flows = 1u << 20;
    o->max_hosts = 1u << 18;
    o->max_pairs = 1u << 18;
    o->alerts_path = "/dev/null";
    o->flows_path = flows;
    flow_timeouts_default(&o->timeouts);
}

static struct xm_pipeline *replay(struct xm_opts *o)
{
    struct xm_pipeline *pl = pipe_replay(CAPTURE, o);
    if (pl)
        pipe_flush_outputs(pl);
    return pl;
}

/* Flow records in file with an app-layer member, and all flow records. */
static void count_app_records(const char *file, size_t *app, size_t *all)
{
    static const char *const members[] = {"\"dns_query\":", "\"tls\":", "\"http\":",
                                          "\"quic\":"};
    char line[1 << 16];
    FILE *f = fopen(file, "r");
    *app = *all = 0;
    while (f && fgets(line, sizeof line, f)) {
        (*all)++;
        for (size_t i = 0; i < sizeof members / sizeof *members; i++)
            if (strstr(line, members[i])) {
                (*app)++;
                break;
            }
    }
    if (f)
        fclose(f);
}

/* The value of family{table="name"} in text, or -1 when absent. */
static long long table_value(const char *text, const char *family, const char *name)
{
    char pat[160];
    snprintf(pat, sizeof pat, "\n%s{table=\"%s\"} ", family, name);
    const char *p = strstr(text, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static char *summary_text(const struct xm_pipeline *pl)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    pipe_write_summary(pl, m);
    fclose(m);
    return text;
}

/* Every row: entries <= capacity; with `clean`, nothing dropped. */
static void check_rows(const char *text, bool clean)
{
    static const char *const tables[] = {"app_flows", "dns_names", "dns_addresses",
                                         "dns_tunnel", "domain_first_seen_pairs",
                                         "domain_first_seen_domains", "ai_hosts",
                                         "rule_first_seen_pairs", "rule_destinations"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        long long used = table_value(text, "exfilmon_table_entries", tables[i]);
        long long cap = table_value(text, "exfilmon_table_capacity", tables[i]);
        CHECK(used >= 0 && cap > 0 && used <= cap);
        if (clean) {
            CHECK_EQ_U64(table_value(text, "exfilmon_table_evicted_total", tables[i]), 0);
            CHECK_EQ_U64(table_value(text, "exfilmon_table_refused_total", tables[i]), 0);
        }
    }
}

static void test_caps(void)
{
    char fa[] = "/tmp/xm-caps-a.XXXXXX", fb[] = "/tmp/xm-caps-b.XXXXXX";
    int da = mkstemp(fa), db = mkstemp(fb);
    CHECK(da >= 0 && db >= 0);
    close(da);
    close(db);
    struct xm_opts o;
    defaults(&o, fa);
    struct xm_pipeline *big = replay(&o);
    defaults(&o, fb);
    o.max_names = 16;
    o.max_app_flows = 16;
    o.max_pairs = 1000;
    struct xm_pipeline *small = replay(&o);
    CHECK(big && small);
    if (!big || !small)
        goto out;
    size_t app_a, all_a, app_b, all_b;
    count_app_records(fa, &app_a, &all_a);
    count_app_records(fb, &app_b, &all_b);
    printf("records with app members: %zu of %zu (defaults), %zu of %zu (caps 16)\n",
           app_a, all_a, app_b, all_b);
    CHECK_EQ_U64(all_a, all_b);
    CHECK(app_a > 16 && app_b < app_a);

    char *ta = pipe_metrics_text(big), *tb = pipe_metrics_text(small);
    char *sa = summary_text(big), *sb = summary_text(small);
    check_rows(ta, true);
    check_rows(tb, false);
    CHECK(strstr(sa, "tables at their cap") == NULL);
    CHECK_EQ_U64(table_value(tb, "exfilmon_table_capacity", "app_flows"), 16);
    CHECK_EQ_U64(table_value(tb, "exfilmon_table_capacity", "dns_names"), 16);
    CHECK_EQ_U64(table_value(tb, "exfilmon_table_capacity", "dns_addresses"), 16);
    /* Every flow ended; the last one's record is released at the next
     * packet (app_on_flow_end defers it while its record is written). */
    CHECK(table_value(tb, "exfilmon_table_entries", "app_flows") <= 1);
    CHECK_EQ_U64(table_value(ta, "exfilmon_table_capacity", "app_flows"), 16384);
    CHECK_EQ_U64(table_value(ta, "exfilmon_table_capacity", "dns_names"), 65536);
    /* first-seen domains follow --max-names, their (host, domain) pairs
     * --max-pairs */
    CHECK_EQ_U64(table_value(tb, "exfilmon_table_capacity", "domain_first_seen_domains"), 16);
    CHECK_EQ_U64(table_value(ta, "exfilmon_table_capacity", "domain_first_seen_domains"),
                 65536);
    CHECK_EQ_U64(table_value(tb, "exfilmon_table_capacity", "domain_first_seen_pairs"),
                 o.max_pairs);
    long long refused = table_value(tb, "exfilmon_table_refused_total", "app_flows");
    CHECK(refused > 0);
    char want[128];
    snprintf(want, sizeof want, "; tables at their cap: app_flows %lld refused", refused);
    CHECK(strstr(sb, want) != NULL);
    printf("summary: %s", sb);
    free(ta);
    free(tb);
    free(sa);
    free(sb);
out:
    pipe_free(big);
    pipe_free(small);
    unlink(fa);
    unlink(fb);
}

/* Ethernet + IPv4 + UDP frame around payload pl (IPv4 checksum left 0:
 * the decoder does not verify it). */
static void udp_frame(struct bb *w, const uint8_t src[4], const uint8_t dst[4],
                      unsigned sport, unsigned dport, const struct bb *pl)
{
    w->n = 0;
    bb_fill(w, 0x02, 12);
    bb_u16(w, 0x0800);
    bb_u8(w, 0x45);
    bb_u8(w, 0);
    bb_u16(w, (unsigned)(20 + 8 + pl->n));
    bb_u32(w, 0);
    bb_u8(w, 64);
    bb_u8(w, 17);
    bb_u16(w, 0);
    bb_mem(w, src, 4);
    bb_mem(w, dst, 4);
    bb_u16(w, sport);
    bb_u16(w, dport);
    bb_u16(w, (unsigned)(8 + pl->n));
    bb_u16(w, 0);
    bb_mem(w, pl->b, pl->n);
}

/* A response: name -> addr (one A record, TTL 300). */
static void dns_answer(struct bb *w, unsigned id, const char *name, const uint8_t addr[4])
{
    w->n = 0;
    bb_dns_header(w, id, 0x8180, 1, 1, 0, 0);
    bb_dname(w, name);
    bb_u16(w, 1);
    bb_u16(w, 1);
    bb_u16(w, 0xC00C);
    bb_u16(w, 1);
    bb_u16(w, 1);
    bb_u32(w, 300);
    bb_u16(w, 4);
    bb_mem(w, addr, 4);
}

static void test_names_cap(void)
{
    static const uint8_t resolver[4] = {8, 8, 8, 8}, client[4] = {192, 168, 1, 10};
    char err[512];
    struct xm_opts o;
    defaults(&o, "/dev/null");
    o.max_names = 16;
    struct xm_pipeline *pl = pipe_new(&o, false, err, sizeof err);
    CHECK(pl != NULL);
    if (!pl)
        return;
    static struct bb dns, frame;
    for (unsigned i = 0; i < 40; i++) {
        char name[64];
        uint8_t addr[4] = {93, 184, 7, (uint8_t)(i + 1)};
        snprintf(name, sizeof name, "n%u.example.com", i);
        dns_answer(&dns, i + 1, name, addr);
        udp_frame(&frame, resolver, client, 53, 40000 + i, &dns);
        xm_time_t ts = XM_SEC(1700000000) + (xm_time_t)i * 1000;
        pipe_packet(pl, DLT_EN10MB, ts, frame.b, (uint32_t)frame.n, (uint32_t)frame.n);
    }
    pipe_finish(pl);
    char *t = pipe_metrics_text(pl), *sum = summary_text(pl);
    CHECK_EQ_U64(table_value(t, "exfilmon_table_entries", "dns_names"), 16);
    CHECK_EQ_U64(table_value(t, "exfilmon_table_evicted_total", "dns_names"), 24);
    CHECK_EQ_U64(table_value(t, "exfilmon_table_entries", "dns_addresses"), 16);
    CHECK_EQ_U64(table_value(t, "exfilmon_table_evicted_total", "dns_addresses"), 24);
    CHECK(strstr(sum, "; tables at their cap: dns_names 24 evicted, dns_addresses 24 "
                      "evicted\n") != NULL);
    printf("summary: %s", sum);
    free(t);
    free(sum);
    pipe_free(pl);
}

int main(void)
{
    test_caps();
    test_names_cap();
    return xm_test_result();
}
