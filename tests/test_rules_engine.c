/*
 * test_rules_engine.c - the engine beyond the semantics table: the alert
 * JSON (key order, explanation values), window bucket bounds, hot swap,
 * table caps and eviction counters, first-seen eviction, seed
 * independence, the per-rule statistics, the window upper bound of
 * keys loaded from an older state file, prefetch hints that change
 * nothing, and the first-seen caps that follow --max-pairs.
 */
#include "xm_test.h"
#include "rules_synth.h"
#include "../rules/internal.h"
#include "../rules/engine.h"

#include <stddef.h>
#include <unistd.h>

#define T0 XM_SEC(1700006400)   /* 2023-11-15T00:00:00Z */

static struct rules_registry *reg;

static struct rules_set *compile(const char *text)
{
    struct rules_set *set = synth_compile(reg, "engine.rules", text);
    CHECK(set != NULL);
    return set;
}

static void start(struct synth *s, const char *text, const struct rules_limits *lim)
{
    struct rules_limits def = {.seed = 7};
    CHECK(synth_start(s, compile(text), lim ? lim : &def));
}

static char *dump(json_t *a)
{
    return json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static void test_flow_alert_json(void)
{
    struct synth s;
    start(&s, "rule 100001 \"Big upload\" { scope flow when not dst.home and "
              "flow.bytes_out > 100MB severity medium category \"Exfil\" mitre T1048, T1041 "
              "tags volume rev 3 }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, 60000000);
    synth_send(&s, 0, T0 + XM_SEC(2) + 5, 0, 50000000);
    synth_send(&s, 0, T0 + XM_SEC(3), 1, 1000);
    CHECK_EQ_U64(s.n_alerts, 1);
    if (s.n_alerts != 1) {
        synth_free(&s);
        return;
    }
    char *d = dump(s.alerts[0]);
    const char *want_head =
        "{\"timestamp\":\"2023-11-15T00:00:02.000005+0000\",\"flow_id\":1000,"
        "\"event_type\":\"alert\",\"schema_version\":\"";
    CHECK(strncmp(d, want_head, strlen(want_head)) == 0);
    CHECK(strstr(d, "\"src_ip\":\"10.0.0.5\",\"src_port\":40000,\"dest_ip\":\"203.0.113.9\","
                    "\"dest_port\":443,\"proto\":\"TCP\"") != NULL);
    CHECK(strstr(d, "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":100001,"
                    "\"rev\":3,\"signature\":\"Big upload\",\"category\":\"Exfil\","
                    "\"severity\":3,\"metadata\":{\"mitre_tactic_id\":[\"TA0010\"],"
                    "\"mitre_tactic_name\":[\"Exfiltration\"],"
                    "\"mitre_technique_id\":[\"T1048\",\"T1041\"],"
                    "\"tags\":[\"volume\"]") != NULL);
    CHECK(strstr(d, "\"exfil\":{\"scope\":\"flow\",\"key\":{\"flow_id\":1000},"
                    "\"escalation\":false,\"alert_count\":1,\"conditions\":["
                    "{\"field\":\"flow.bytes_out\",\"op\":\">\",\"value\":110000000,"
                    "\"threshold\":100000000}],\"duration_s\":2,\"bytes_out\":110000000,"
                    "\"bytes_in\":0,\"first_seen_age_s\":2,\"prevalence\":1") != NULL);
    free(d);
    synth_free(&s);
}

static void test_pair_alert_json(void)
{
    struct synth s;
    start(&s, "rule 7 \"pair\" { scope host, destination when bytes_out[1h] > 500MB "
              "and dst.first_seen_age < 1h severity high }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_flow(&s, 1, "10.0.0.5", "203.0.113.9", 8443, 0);
    synth_send(&s, 0, T0, 0, 300000000);
    synth_send(&s, 1, T0 + XM_SEC(30), 0, 400000000);
    CHECK_EQ_U64(s.n_alerts, 1);
    if (s.n_alerts != 1) {
        synth_free(&s);
        return;
    }
    char *d = dump(s.alerts[0]);
    CHECK(strstr(d, "{\"timestamp\":\"2023-11-15T00:00:30.000000+0000\",\"event_type\":"
                    "\"alert\"") == d);
    CHECK(strstr(d, "\"src_ip\":\"10.0.0.5\",\"dest_ip\":\"203.0.113.9\",\"alert\"") != NULL);
    CHECK(strstr(d, "\"key\":{\"host\":\"10.0.0.5\",\"dest\":\"203.0.113.9\"},"
                    "\"window\":\"1h\"") != NULL);
    CHECK(strstr(d, "{\"field\":\"bytes_out[1h]\",\"op\":\">\",\"value\":700000000,"
                    "\"threshold\":500000000},{\"field\":\"dst.first_seen_age\",\"op\":\"<\","
                    "\"value\":30,\"threshold\":3600}") != NULL);
    CHECK(strstr(d, "\"top_flows\":[{\"flow_id\":1001,\"dest_ip\":\"203.0.113.9\","
                    "\"dest_port\":8443,\"bytes_out\":400000000},{\"flow_id\":1000,") != NULL);
    free(d);
    synth_free(&s);
}

static void test_host_top(void)
{
    struct synth s;
    start(&s, "rule 8 \"host\" { scope host when bytes_out[10m] > 10MB severity low }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_flow(&s, 1, "10.0.0.5", "198.51.100.1", 443, 0);
    synth_send(&s, 0, T0, 0, 4000000);
    synth_send(&s, 1, T0 + XM_SEC(2), 0, 8000000);
    CHECK_EQ_U64(s.n_alerts, 1);
    if (s.n_alerts == 1) {
        char *d = dump(s.alerts[0]);
        CHECK(strstr(d, "\"top_destinations\":[{\"dest_ip\":\"198.51.100.1\",\"bytes_out\":"
                        "8000000},{\"dest_ip\":\"203.0.113.9\",\"bytes_out\":4000000}]") != NULL);
        CHECK(strstr(d, "\"bytes_out\":12000000,\"bytes_in\":0") != NULL);
        free(d);
    }
    synth_free(&s);
}

/* Top-5 flows: newcomers replace the smallest entry and count exactly;
 * host keys (struct rtop) and host+destination keys (struct rtop_pair,
 * whose flows take the key's remote) alike. */
static void top_replace(const char *scope)
{
    struct synth s;
    char text[160];
    snprintf(text, sizeof text,
             "rule 8 \"top\" { scope %s when bytes_out[10m] > 27MB severity low }", scope);
    start(&s, text, NULL);
    for (int i = 0; i < 7; i++) {
        synth_flow(&s, i, "10.0.0.5", "203.0.113.9", (uint16_t)(1000 + i), 0);
        synth_send(&s, i, T0 + XM_SEC(2 * i), 0, 1000000 * (uint64_t)(i + 1));
    }
    CHECK_EQ_U64(s.n_alerts, 1);
    if (s.n_alerts == 1) {
        json_t *tf = json_object_get(json_object_get(s.alerts[0], "exfil"), "top_flows");
        CHECK_EQ_U64(json_array_size(tf), 5);
        for (size_t i = 0; i < json_array_size(tf); i++) {
            json_t *e = json_array_get(tf, i);
            CHECK_EQ_U64(json_integer_value(json_object_get(e, "bytes_out")),
                         1000000 * (7 - i));
            CHECK_EQ_U64(json_integer_value(json_object_get(e, "dest_port")), 1006 - i);
            CHECK(strcmp(json_string_value(json_object_get(e, "dest_ip")),
                         "203.0.113.9") == 0);
        }
    }
    synth_free(&s);
}

static void test_top_replace(void)
{
    top_replace("host");
    top_replace("host, destination");
}

/* struct rtop_pair keeps each field of a top flow exactly, at the limits
 * of every field, and its entries do not overlap. */
static void test_pair_top_pack(void)
{
    struct rtop_pair t;
    memset(&t, 0xa5, sizeof t);
    struct rtop_pflow hi = {.flow_id = XM_FLOW_ID_MASK, .bytes = UINT64_MAX,
                            .name_id = UINT32_MAX, .port = UINT16_MAX, .name_src = UINT8_MAX};
    for (unsigned i = 0; i < RTOP_K; i++) {
        struct rtop_pflow v = {.flow_id = i % 2 ? 0 : XM_FLOW_ID_MASK - i,
                               .bytes = i % 2 ? 1 : UINT64_MAX - i, .name_id = i,
                               .port = (uint16_t)(i % 2 ? 0 : 65535 - i),
                               .name_src = (uint8_t)(i % 2 ? 0 : 255 - i)};
        rtop_pair_set(&t, i, i == 2 ? &hi : &v);
    }
    for (unsigned i = 0; i < RTOP_K; i++) {
        struct rtop_pflow g;
        rtop_pair_get(&t, i, &g);
        if (i == 2) {
            CHECK(g.flow_id == XM_FLOW_ID_MASK && g.bytes == UINT64_MAX &&
                  g.name_id == UINT32_MAX && g.port == UINT16_MAX && g.name_src == UINT8_MAX);
            continue;
        }
        CHECK_EQ_U64(g.flow_id, i % 2 ? 0 : XM_FLOW_ID_MASK - i);
        CHECK_EQ_U64(g.bytes, i % 2 ? 1 : UINT64_MAX - i);
        CHECK_EQ_U64(g.name_id, i);
        CHECK_EQ_U64(g.port, i % 2 ? 0 : 65535 - i);
        CHECK_EQ_U64(g.name_src, i % 2 ? 0 : 255 - i);
    }
}

/* A pair key's top flows carry the flow's id exactly (the largest 51-bit
 * id, next to the largest name_src in the same word) and an update of
 * the entry refreshes its bytes; the key costs its header, one ring and
 * the packed top flows (the ring has no header). */
static void test_pair_top_fields(void)
{
    struct synth s;
    start(&s, "rule 9 \"p\" { scope host, destination when bytes_out[1h] > 5MB "
              "severity low }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    s.flows[0].flow_id = XM_FLOW_ID_MASK;
    s.flows[0].name_src = UINT8_MAX;
    synth_send(&s, 0, T0, 0, 1000000);
    synth_send(&s, 0, T0 + XM_SEC(2), 0, 5000000);
    CHECK_EQ_U64(s.n_alerts, 1);
    const struct rules_engine_stats *st = rules_engine_stats(s.eng);
    CHECK_EQ_U64(st->bytes_per_key[RULES_SCOPE_HOSTDST],
                 sizeof(struct rkstate) + 13 * 16 + sizeof(struct rtop_pair));
    if (s.n_alerts == 1) {
        json_t *tf = json_object_get(json_object_get(s.alerts[0], "exfil"), "top_flows");
        json_t *e = json_array_get(tf, 0);
        CHECK_EQ_U64(json_array_size(tf), 1);
        CHECK_EQ_U64(json_integer_value(json_object_get(e, "flow_id")), XM_FLOW_ID_MASK);
        CHECK_EQ_U64(json_integer_value(json_object_get(e, "bytes_out")), 6000000);
        CHECK_EQ_U64(json_integer_value(json_object_get(e, "dest_port")), 443);
    }
    synth_free(&s);
}

/* A 10 s window with 1 s buckets: the sum covers 10 to 11 s. */
static void test_window_bounds(void)
{
    struct synth s;
    start(&s, "rule 1 \"w\" { scope host when bytes_out[10s] >= 2MB severity low }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0 + 500000, 0, 1000000);           /* bucket 0 */
    synth_send(&s, 0, T0 + XM_SEC(10) + 900000, 0, 1000000); /* bucket 10: 0 still in */
    CHECK_EQ_U64(s.n_alerts, 1);
    synth_free(&s);
    start(&s, "rule 1 \"w\" { scope host when bytes_out[10s] >= 2MB severity low }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0 + 500000, 0, 1000000);
    synth_send(&s, 0, T0 + XM_SEC(11), 0, 1000000);       /* bucket 11: 0 is out */
    synth_finish(&s);
    CHECK_EQ_U64(s.n_alerts, 0);
    synth_free(&s);
}

/* 8 h window: host+destination keys keep 1 h buckets (coarse rings),
 * host keys 5 min buckets.  1 MB at 0:30 and 1 MB at 8:50: the pair's
 * sum (hour buckets 0..8) covers both, the host's (5 min buckets from
 * 0:50) only the second; at 9:00 the pair's first hour is out too. */
static size_t pair_8h(const char *scope, xm_time_t second)
{
    char text[160];
    snprintf(text, sizeof text,
             "rule 1 \"w\" { scope %s when bytes_out[8h] >= 2MB severity low }", scope);
    struct synth s;
    start(&s, text, NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0 + XM_SEC(30 * 60), 0, 1000000);
    synth_send(&s, 0, second, 0, 1000000);
    synth_finish(&s);
    size_t n = s.n_alerts;
    synth_free(&s);
    return n;
}

static void test_pair_coarse_ring(void)
{
    CHECK_EQ_U64(pair_8h("host, destination", T0 + XM_SEC(8 * 3600 + 50 * 60)), 1);
    CHECK_EQ_U64(pair_8h("host, destination", T0 + XM_SEC(9 * 3600)), 0);
    CHECK_EQ_U64(pair_8h("host", T0 + XM_SEC(8 * 3600 + 50 * 60)), 0);
    CHECK_EQ_U64(pair_8h("host", T0 + XM_SEC(8 * 3600 + 25 * 60)), 1);
    /* Which resolution each scope picks (internal.h). */
    CHECK_EQ_U64(rwin_pick_scope(8 * 3600, RULES_SCOPE_HOSTDST), RWIN_1H);
    CHECK_EQ_U64(rwin_pick_scope(8 * 3600, RULES_SCOPE_HOST), RWIN_5M);
    CHECK_EQ_U64(rwin_pick_scope(3600, RULES_SCOPE_HOSTDST), RWIN_5M);
    CHECK_EQ_U64(rwin_pick_scope(30 * 60, RULES_SCOPE_HOSTDST), RWIN_1M);
    CHECK(rwin_pick_scope(1025, RULES_SCOPE_HOSTDST) < 0);
}

static void test_swap(void)
{
    struct synth s;
    start(&s, "rule 1 \"a\" { scope host when bytes_out[1h] > 100MB severity low }\n"
              "rule 2 \"b\" { scope host when bytes_out[1h] > 10MB severity low }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, 80000000);
    CHECK_EQ_U64(s.n_alerts, 1);   /* rule 2 */
    /* New layout (a 10m window added): window state is carried over. */
    struct rules_set *b = compile(
        "rule 2 \"b\" { scope host when bytes_out[1h] > 10MB severity low }\n"
        "rule 3 \"c\" { scope host when bytes_out[1h] > 100MB and bytes_out[10m] > 1MB "
        "severity low }");
    CHECK(rules_engine_swap(s.eng, b) == 0);
    synth_send(&s, 0, T0 + XM_SEC(60), 0, 30000000);
    /* rule 2 stays suppressed (kept state), rule 3 sees 110 MB. */
    CHECK_EQ_U64(s.n_alerts, 2);
    if (s.n_alerts == 2)
        CHECK_EQ_U64(synth_alert_sid(&s, 1), 3);
    /* Rule 2 vanishes and comes back: its suppression state is gone. */
    CHECK(rules_engine_swap(s.eng, compile("rule 9 \"z\" { scope flow when flow.age > 1d "
                                           "severity low }")) == 0);
    CHECK(rules_engine_swap(s.eng, compile("rule 2 \"b\" { scope host when bytes_out[1h] > "
                                           "10MB severity low }")) == 0);
    synth_send(&s, 0, T0 + XM_SEC(120), 0, 30000000);
    CHECK_EQ_U64(s.n_alerts, 3);
    const struct rules_engine_stats *st = rules_engine_stats(s.eng);
    CHECK_EQ_U64(st->n_rules, 1);
    CHECK_EQ_U64(st->rule_ids[0], 2);
    CHECK_EQ_U64(st->rule_alerts[0], 1);
    synth_free(&s);
}

static void test_caps(void)
{
    struct synth s;
    struct rules_limits lim = {.max_hosts = 2, .max_seen = 2, .seed = 9};
    start(&s, "rule 1 \"h\" { scope host when bytes_out[1m] > 1GB severity low }\n"
              "rule 2 \"f\" { scope flow when flow.bytes_out > 1GB severity low }", &lim);
    const char *hosts[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
    for (int i = 0; i < 3; i++) {
        synth_flow(&s, i, hosts[i], "203.0.113.9", 443, 0);
        synth_send(&s, i, T0 + XM_SEC(i), 0, 1000);
    }
    const struct rules_engine_stats *st = rules_engine_stats(s.eng);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_HOST].used, 2);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_HOST].evicted, 1);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_HOST].inserted, 3);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_FLOW].used, 3);
    CHECK_EQ_U64(st->seen.evicted, 1);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_HOSTDST].cap, 0);
    CHECK(st->bytes_per_key[RULES_SCOPE_HOST] > st->bytes_per_key[RULES_SCOPE_FLOW]);
    synth_end(&s, 0, FLOW_END_CLOSED);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->keys[RULES_SCOPE_FLOW].used, 2);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->evals, 7);
    synth_free(&s);
}

/* A flow caches its keys' table slots: after its host key was evicted
 * and the slot reused by another host, its next packet must count into
 * a re-created key of its own host, never into the slot's new owner. */
static void test_cached_slot_eviction(void)
{
    struct synth s;
    struct rules_limits lim = {.max_hosts = 1, .seed = 4};
    start(&s, "rule 1 \"h\" { scope host when bytes_out[1m] > 1500 severity low "
              "cooldown 1m }", &lim);
    synth_flow(&s, 0, "10.0.0.1", "203.0.113.9", 443, 0);
    synth_flow(&s, 1, "10.0.0.2", "203.0.113.9", 443, 0);
    for (int r = 0; r < 3; r++) {
        synth_send(&s, 0, T0 + XM_SEC(4 * r), 0, 1000);
        synth_send(&s, 1, T0 + XM_SEC(4 * r + 2), 0, 1000);
    }
    synth_finish(&s);
    const struct rules_engine_stats *st = rules_engine_stats(s.eng);
    CHECK_EQ_U64(s.n_alerts, 0);                 /* no key ever held 2 x 1000 */
    CHECK_EQ_U64(st->keys[RULES_SCOPE_HOST].inserted, 6);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_HOST].evicted, 5);
    synth_free(&s);
}

/* A swap that changes the key layout moves keys into a new table: a
 * flow's cached slot into the old table must not match there (keys are
 * re-placed in LRU order, so slot 1 now holds host 2), and its next
 * packet counts into its migrated key. */
static void test_cached_slot_swap(void)
{
    struct synth s;
    start(&s, "rule 1 \"h\" { scope host when bytes_out[1m] > 1500 severity low }", NULL);
    synth_flow(&s, 0, "10.0.0.1", "203.0.113.9", 443, 0);
    synth_flow(&s, 1, "10.0.0.2", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, 100);                /* host 1: slot 1 */
    synth_send(&s, 1, T0 + XM_SEC(1), 0, 100);    /* host 2: slot 2 */
    synth_send(&s, 0, T0 + XM_SEC(2), 0, 900);    /* LRU: host 2, host 1 */
    CHECK(rules_engine_swap(s.eng, compile("rule 2 \"h2\" { scope host when "
                                           "bytes_out[1m] > 1500 and pkts_out[1m] >= 1 "
                                           "severity low }")) == 0);
    synth_send(&s, 0, T0 + XM_SEC(3), 0, 1000);   /* 2000 in the migrated key */
    CHECK_EQ_U64(s.n_alerts, 1);
    synth_send(&s, 1, T0 + XM_SEC(5), 0, 100);    /* host 2: 200 */
    synth_finish(&s);
    CHECK_EQ_U64(s.n_alerts, 1);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->keys[RULES_SCOPE_HOST].used, 2);
    synth_free(&s);
}

/* One evaluation of a key reads each (field, window) once, however many
 * of its rules use it; the next evaluation reads it again. */
static unsigned counted_calls;
static int counted_get(const struct rules_eval_ctx *ctx, const void *arg,
                       union rules_value *out)
{
    (void)ctx;
    (void)arg;
    counted_calls++;
    out->num = 5;
    return 0;
}

static void test_value_memo(void)
{
    static const struct rules_field cf = {"test.counted", RULES_T_NUM,
                                          RULES_SCOPE_BIT(RULES_SCOPE_FLOW), false,
                                          counted_get, NULL, 0};
    CHECK(rules_field_register(reg, &cf) == 0);
    struct synth s;
    start(&s, "rule 1 \"a\" { scope flow when test.counted > 1 and flow.bytes_out > 1 "
              "severity low }\n"
              "rule 2 \"b\" { scope flow when test.counted > 9 severity low }\n"
              "rule 3 \"c\" { scope flow when not (test.counted < 2) severity low }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    counted_calls = 0;
    synth_send(&s, 0, T0, 0, 1000);              /* one evaluation */
    CHECK_EQ_U64(counted_calls, 1);
    CHECK_EQ_U64(s.n_alerts, 2);                 /* rules 1 and 3 */
    synth_send(&s, 0, T0 + XM_SEC(2), 0, 1000);  /* a second one */
    CHECK_EQ_U64(counted_calls, 2);
    synth_free(&s);
}

/* A flow's cooldowns go with it: at its end the suppression entries of
 * the flow rules that fired for it are dropped, those of other flows and
 * of host keys stay. */
static void test_flow_end_forgets_cooldowns(void)
{
    struct synth s;
    start(&s, "rule 1 \"f\" { scope flow when flow.bytes_out > 1000 severity low }\n"
              "rule 2 \"g\" { scope flow when flow.bytes_out > 5000 severity low }\n"
              "rule 3 \"h\" { scope host when bytes_out[1m] > 1000 severity low }", NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_flow(&s, 1, "10.0.0.6", "203.0.113.9", 443, 0);
    synth_flow(&s, 2, "10.0.0.7", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, 2000);               /* rules 1 and 3 */
    synth_send(&s, 1, T0, 0, 9000);               /* rules 1, 2 and 3 */
    synth_send(&s, 2, T0, 0, 10);                 /* nothing */
    CHECK_EQ_U64(s.n_alerts, 5);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->supp.used, 5);
    synth_end(&s, 1, FLOW_END_CLOSED);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->supp.used, 3);
    synth_end(&s, 2, FLOW_END_CLOSED);
    synth_end(&s, 0, FLOW_END_TIMEOUT);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->supp.used, 2);   /* the host keys' */
    synth_free(&s);
}

/* An evicted (host, destination) pair looks new again. */
static void test_first_seen_eviction(void)
{
    struct synth s;
    struct rules_limits lim = {.max_seen = 1, .seed = 3};
    start(&s, "rule 1 \"n\" { scope host, destination when dst.first_seen_age < 1h "
              "severity low cooldown 1m }", &lim);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_flow(&s, 1, "10.0.0.5", "198.51.100.1", 443, 0);
    synth_send(&s, 0, T0, 0, 1000);                        /* new: fires */
    synth_send(&s, 0, T0 + XM_SEC(7200), 0, 1000);         /* 2 h old: quiet */
    synth_send(&s, 1, T0 + XM_SEC(7201), 0, 1000);         /* evicts pair 0, fires */
    synth_send(&s, 0, T0 + XM_SEC(7300), 0, 1000);         /* pair 0 "new" again */
    CHECK_EQ_U64(s.n_alerts, 3);
    synth_free(&s);
}

/* Output never depends on the hash seed. */
static void test_seed_independence(void)
{
    char *out[2];
    for (int k = 0; k < 2; k++) {
        struct synth s;
        struct rules_limits lim = {.seed = k ? 0x1234567 : 99, .max_hosts = 3};
        start(&s, "rule 1 \"h\" { scope host when bytes_out[1m] > 1MB severity low }\n"
                  "rule 2 \"p\" { scope host, destination when bytes_out[1m] > 1MB "
                  "severity low }", &lim);
        for (int i = 0; i < 8; i++) {
            char host[32];
            snprintf(host, sizeof host, "10.0.0.%d", i + 1);
            synth_flow(&s, i, host, i % 2 ? "203.0.113.9" : "198.51.100.1", 443, 0);
            synth_send(&s, i, T0 + XM_SEC(i), 0, 2000000 + (uint64_t)i);
        }
        synth_finish(&s);
        size_t len = 0;
        char *buf = NULL;
        FILE *m = open_memstream(&buf, &len);
        for (size_t i = 0; i < s.n_alerts; i++)
            json_dumpf(s.alerts[i], m, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fclose(m);
        out[k] = buf;
        CHECK_EQ_U64(s.n_alerts, 16);
        synth_free(&s);
    }
    CHECK_STR(out[0], out[1]);
    free(out[0]);
    free(out[1]);
}

/* Window sums are skipped while a key's byte total (rkstate.out_hi/lo)
 * is at or below the threshold.  A state file written before that total
 * existed holds 0 there: loading it must raise the total to what the
 * rings hold, or history from the file could never fire a rule. */
static void zero_out_totals(const char *path)
{
    FILE *f = fopen(path, "r+");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[16384];
    size_t off = 2 * (offsetof(struct rkstate, out_hi) - sizeof(struct rtab_hdr));
    long pos = 0;
    while (fgets(line, sizeof line, f)) {
        long next = ftell(f);
        if (strncmp(line, "k 1 ", 4) == 0 && strlen(line) > 4 + off + 12) {
            fseek(f, pos + 4 + (long)off, SEEK_SET);
            fputs("000000000000", f);       /* out_hi and out_lo */
            fseek(f, next, SEEK_SET);
        }
        pos = next;
    }
    fclose(f);
}

static void test_out_bound_state(void)
{
    const char *rule = "rule 1 \"h\" { scope host when bytes_out[1h] > 1500 severity low }";
    char dir[] = "/tmp/xm-test-bound-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    struct synth s;
    start(&s, rule, NULL);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, 1000);
    CHECK(rules_engine_save(s.eng, dir) == 0);
    CHECK_EQ_U64(s.n_alerts, 0);
    synth_free(&s);
    snprintf(path, sizeof path, "%s/rules.state", dir);
    zero_out_totals(path);
    start(&s, rule, NULL);
    CHECK(rules_engine_load(s.eng, dir) == 0);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0 + XM_SEC(60), 0, 600);      /* 1600 in the hour */
    CHECK_EQ_U64(s.n_alerts, 1);
    synth_free(&s);
    unlink(path);
    rmdir(dir);
}

/* The first-seen and destination tables follow the pair cap unless
 * given their own: one flag (--max-pairs) sizes all three. */
static void test_seen_caps_follow_pairs(void)
{
    static const struct { uint32_t pairs, seen, dsts, want_seen, want_dsts; } c[] = {
        {0, 0, 0, 1u << 18, 1u << 17},
        {4, 0, 0, 4, 2},
        {1, 0, 0, 1, 1},
        {1u << 21, 0, 0, 1u << 21, 1u << 20},
        {4, 8, 3, 8, 3},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct synth s;
        struct rules_limits lim = {.max_pairs = c[i].pairs, .max_seen = c[i].seen,
                                   .max_dsts = c[i].dsts, .seed = 5};
        start(&s, "rule 1 \"n\" { scope host, destination when dst.prevalence <= 1 and "
                  "bytes_out[1m] > 100 severity low }", &lim);
        const struct rules_engine_stats *st = rules_engine_stats(s.eng);
        CHECK_EQ_U64(st->seen.cap, c[i].want_seen);
        CHECK_EQ_U64(st->dsts.cap, c[i].want_dsts);
        synth_free(&s);
    }
}

/* One run of a thrashing pair table (cap 2, 4 pairs, packets round
 * robin), with or without the feed's prefetch hints before each packet:
 * its alerts (JSON) and table counters. */
static void prefetch_run(bool hints, char **alerts, struct rules_engine_stats *st,
                         unsigned *stale)
{
    struct synth s;
    struct rules_limits lim = {.max_pairs = 2, .max_seen = 2, .max_dsts = 2, .seed = 11};
    start(&s, "rule 1 \"p\" { scope host, destination when bytes_out[1m] > 2500 "
              "severity low cooldown 1s }\n"
              "rule 2 \"h\" { scope host when bytes_out[1m] > 9000 severity low "
              "cooldown 1s }\n"
              "rule 3 \"n\" { scope host, destination when dst.first_seen_age < 1h and "
              "dst.prevalence <= 1 and bytes_out[1m] > 100 severity low cooldown 1m }", &lim);
    const char *dst[] = {"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"};
    *stale = 0;
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 4; i++) {
            struct xm_flow *f = &s.flows[i];
            if (r == 0)
                synth_flow(&s, i, "10.0.0.1", dst[i], 443, 0);
            if (hints && r == 0)
                rules_prefetch_new(s.eng, &f->cli, &f->srv, false, true);
            if (hints && r > 0) {
                rules_prefetch(s.eng, f, T0);
                rules_prefetch_stale(s.eng, f);
            }
            *stale += r > 0 && rules_pair_stale(s.eng, f);
            synth_send(&s, i, T0 + XM_SEC(r) + i, 0, 1000);
        }
    synth_finish(&s);
    json_t *arr = json_array();
    for (size_t i = 0; i < s.n_alerts; i++)
        json_array_append(arr, s.alerts[i]);
    *alerts = dump(arr);
    json_decref(arr);
    *st = *rules_engine_stats(s.eng);
    synth_free(&s);
}

/* The prefetch hints (rules/prefetch.c) change nothing: same alerts and
 * counters with and without them, also while the pair, first-seen and
 * destination tables evict on every packet; and the staleness guess
 * holds for flows whose pair key was evicted by >= cap insertions. */
static void test_prefetch_changes_nothing(void)
{
    char *a0 = NULL, *a1 = NULL;
    struct rules_engine_stats s0, s1;
    unsigned st0, st1;
    prefetch_run(false, &a0, &s0, &st0);
    prefetch_run(true, &a1, &s1, &st1);
    CHECK(a0 && a1 && strcmp(a0, a1) == 0);
    CHECK(a0 && strcmp(a0, "[]") != 0);               /* rule 3 fires */
    CHECK_EQ_U64(s0.alerts, s1.alerts);
    CHECK_EQ_U64(s0.evals, s1.evals);
    for (int sc = 0; sc < RULES_SCOPE_MAX; sc++) {
        CHECK_EQ_U64(s0.keys[sc].inserted, s1.keys[sc].inserted);
        CHECK_EQ_U64(s0.keys[sc].evicted, s1.keys[sc].evicted);
    }
    CHECK_EQ_U64(s0.keys[RULES_SCOPE_HOSTDST].evicted, 10);  /* 12 packets, 2 slots */
    CHECK_EQ_U64(s0.seen.evicted, s1.seen.evicted);
    CHECK_EQ_U64(s0.dsts.evicted, s1.dsts.evicted);
    CHECK_EQ_U64(st0, 8);                              /* every later packet */
    CHECK_EQ_U64(st1, 8);
    free(a0);
    free(a1);
}

int main(void)
{
    reg = rules_registry_new();
    test_flow_alert_json();
    test_pair_alert_json();
    test_host_top();
    test_top_replace();
    test_pair_top_pack();
    test_pair_top_fields();
    test_window_bounds();
    test_pair_coarse_ring();
    test_swap();
    test_caps();
    test_first_seen_eviction();
    test_cached_slot_eviction();
    test_cached_slot_swap();
    test_value_memo();
    test_flow_end_forgets_cooldowns();
    test_seed_independence();
    test_out_bound_state();
    test_prefetch_changes_nothing();
    test_seen_caps_follow_pairs();
    rules_registry_free(reg);
    return xm_test_result();
}
