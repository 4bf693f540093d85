/*
 * test_incident.c - incidents/: grouping of rule hits into incidents,
 * severity from combined evidence, when records are emitted, closing,
 * eviction from a full table.  Alerts are written here the way output/
 * writes them (docs/schema-alert.md), trimmed to the fields read.
 */
#include <stdlib.h>

#include "xm_evew.h"
#include "xm_incident.h"
#include "xm_test.h"

#define T0 XM_SEC(1774343400)           /* 2026-03-24T09:10:00Z */
#define GIB (UINT64_C(1) << 30)

static json_t *recs[64];
static size_t n_recs;

static void t_emit(void *ctx, json_t *rec)
{
    (void)ctx;
    if (n_recs < 64)
        recs[n_recs++] = rec;
    else
        json_decref(rec);
}

static void t_reset(void)
{
    for (size_t i = 0; i < n_recs; i++)
        json_decref(recs[i]);
    n_recs = 0;
}

static const char *t_inc_str(size_t i, const char *key)
{
    return json_string_value(json_object_get(json_object_get(recs[i], "incident"), key));
}

static long long t_inc_int(size_t i, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(recs[i], "incident"), key));
}

/* A flow-scope alert from 10.0.0.23:50000 to dst. */
static json_t *t_alert(int sid, int sev, const char *dst, const char *name, const char *domain,
                       long long bytes_out, long long age)
{
    json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:s, s:s, s:i, s:{s:[s]}}, s:{s:s, s:I, s:I, s:I, s:i}}",
        "host", "sensor-a", "src_ip", "10.0.0.23", "dest_ip", dst, "community_id", "1:abc=",
        "alert", "signature_id", sid, "signature", "rule", "category", "Exfiltration",
        "severity", sev, "metadata", "tags", "volume",
        "exfil", "scope", "flow", "bytes_out", (json_int_t)bytes_out, "bytes_in", (json_int_t)0,
        "first_seen_age_s", (json_int_t)age, "prevalence", 1);
    json_t *dn = json_pack("{s:s}", "source", name ? "sni" : "unnamed");
    json_object_set_new(dn, "name", name ? json_string(name) : json_null());
    if (domain)
        json_object_set_new(dn, "domain", json_string(domain));
    json_object_set_new(a, "dest_name", dn);
    return a;
}

static void t_ai(json_t *a, const char *llm)
{
    json_object_set_new(a, "local_host", json_pack("{s:b, s:[{s:s, s:s}]}", "ai", 1, "evidence",
                                             "kind", "llm_endpoint", "detail", llm));
}

static struct inc_engine *t_engine(struct xm_netset **home, uint32_t max_open)
{
    struct inc_limits l;
    char err[128];
    inc_limits_default(&l);
    if (max_open)
        l.max_open = max_open;
    *home = netset_new();
    netset_parse(*home, "10.0.0.0/8", err, sizeof err);
    return inc_new(&l, *home, t_emit, NULL);
}

/* Hits of several rules to one registrable domain over several addresses
 * are one incident: one "open" record, updates only when something new. */
static void test_grouping(void)
{
    struct xm_netset *home;
    struct inc_engine *e = t_engine(&home, 0);
    for (int i = 0; i < 60; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "52.1.%d.%d", i / 10, i % 10 + 1);
        json_t *a = t_alert(100120, 3, ip, "b.s3.example-store.com", "example-store.com", 1000, 10);
        inc_on_alert(e, a, T0 + XM_SEC(i));
        json_decref(a);
    }
    CHECK_EQ_U64(n_recs, 1);
    CHECK_STR(t_inc_str(0, "state"), "open");
    const json_t *g = json_object_get(json_object_get(recs[0], "incident"), "group");
    CHECK_STR(json_string_value(json_object_get(g, "kind")), "domain");
    CHECK_STR(json_string_value(json_object_get(g, "value")), "example-store.com");
    inc_finish(e, T0 + XM_SEC(100));
    CHECK_EQ_U64(n_recs, 2);
    CHECK_STR(t_inc_str(1, "state"), "closed");
    CHECK_STR(t_inc_str(1, "reason"), "end_of_input");
    const json_t *hits = json_object_get(json_object_get(recs[1], "incident"), "hits");
    CHECK_EQ_U64(json_array_size(hits), 1);
    CHECK_EQ_U64(json_integer_value(json_object_get(json_array_get(hits, 0), "count")), 60);
    CHECK_EQ_U64(t_inc_int(1, "destinations_dropped"), 52);     /* 60 - 8 kept */
    CHECK_EQ_U64(inc_get_stats(e)->opened, 1);
    t_reset();
    inc_free(e);
    netset_free(home);
}

/* An indicator hit is critical by itself; a medium volume rule from an
 * AI host to a new destination becomes high once a GiB went out, and the
 * record says so with its terms. */
static void test_severity(void)
{
    struct xm_netset *home;
    struct inc_engine *e = t_engine(&home, 0);
    json_t *a = t_alert(100100, 1, "185.193.126.41", "models.litellm.cloud", "litellm.cloud", 42000, 0);
    json_object_set_new(a, "intel", json_pack("{s:s}", "ioc_list", "teampcp"));
    inc_on_alert(e, a, T0);
    json_decref(a);
    CHECK_EQ_U64(n_recs, 1);
    CHECK_STR(t_inc_str(0, "severity_name"), "critical");
    const json_t *g = json_object_get(json_object_get(recs[0], "incident"), "group");
    CHECK_STR(json_string_value(json_object_get(g, "kind")), "campaign");

    a = t_alert(100002, 3, "104.21.33.7", NULL, NULL, 50 * 1000 * 1000, 100);
    t_ai(a, "api.openai.com");
    inc_on_alert(e, a, T0 + XM_SEC(5));
    json_decref(a);
    CHECK_EQ_U64(n_recs, 2);
    CHECK_STR(t_inc_str(1, "severity_name"), "medium");   /* 30 + 10 + 10 + 5 */
    /* EVE 2.0: host is the sensor name, the AI evidence is local_host */
    CHECK_STR(json_string_value(json_object_get(recs[1], "host")), "sensor-a");
    CHECK(json_is_true(json_object_get(json_object_get(recs[1], "local_host"), "ai")));
    /* the upload goes on: 2 GiB more through the flow table */
    struct xm_addr l, r;
    xm_addr_parse("10.0.0.23", &l);
    xm_addr_parse("104.21.33.7", &r);
    inc_flow_add(e, inc_flow_match(e, &l, &r), 2 * GIB, 1000, "1:x=", T0 + XM_SEC(600));
    CHECK_EQ_U64(n_recs, 3);
    CHECK_STR(t_inc_str(2, "state"), "update");
    CHECK_STR(t_inc_str(2, "reason"), "severity");
    CHECK_STR(t_inc_str(2, "severity_name"), "high");
    CHECK_EQ_U64(t_inc_int(2, "bytes_out"), 2 * GIB);
    /* 30 more GiB: severity critical now (volume 25), one more record */
    inc_flow_add(e, inc_flow_match(e, &l, &r), 30 * GIB, 1000, "1:y=", T0 + XM_SEC(1200));
    CHECK_EQ_U64(n_recs, 4);
    CHECK_STR(t_inc_str(3, "severity_name"), "critical");
    /* a small flow adds bytes without a record */
    inc_flow_add(e, inc_flow_match(e, &l, &r), 1000, 10, NULL, T0 + XM_SEC(1300));
    CHECK_EQ_U64(n_recs, 4);
    t_reset();
    inc_free(e);
    netset_free(home);
}

/* Traffic to the LLM endpoint that made the host an AI host is expected:
 * low severity even when a rule called it medium. */
static void test_expected_llm(void)
{
    struct xm_netset *home;
    struct inc_engine *e = t_engine(&home, 0);
    json_t *a = t_alert(100130, 3, "162.159.140.245", "api.openai.com", "openai.com", 300000000, 60);
    t_ai(a, "api.openai.com");
    inc_on_alert(e, a, T0);
    json_decref(a);
    CHECK_EQ_U64(n_recs, 1);
    CHECK_STR(t_inc_str(0, "severity_name"), "low");
    t_reset();
    inc_free(e);
    netset_free(home);
}

/* Quiet incidents close after quiet_s of packet time; a full table
 * closes the least recently active one (reason "evicted"). */
static void test_close_and_evict(void)
{
    struct xm_netset *home;
    struct inc_engine *e = t_engine(&home, 2);
    const char *doms[3] = {"a.example", "b.example", "c.example"};
    for (int i = 0; i < 3; i++) {
        json_t *a = t_alert(100001, 3, i == 0 ? "198.51.100.1" : i == 1 ? "198.51.100.2"
                                                                         : "198.51.100.3",
                            doms[i], doms[i], 1000, 10);
        inc_on_alert(e, a, T0 + XM_SEC(i));
        json_decref(a);
    }
    /* open a, open b, close a (evicted), open c */
    CHECK_EQ_U64(n_recs, 4);
    CHECK_STR(t_inc_str(2, "state"), "closed");
    CHECK_STR(t_inc_str(2, "reason"), "evicted");
    CHECK_EQ_U64(t_inc_int(2, "id"), 1);
    CHECK_EQ_U64(inc_get_stats(e)->evicted, 1);
    inc_tick(e, T0 + XM_SEC(3600));     /* b is quiet for 3599 s: stays */
    CHECK_EQ_U64(n_recs, 4);
    inc_tick(e, T0 + XM_SEC(3601));
    CHECK_EQ_U64(n_recs, 5);
    CHECK_STR(t_inc_str(4, "reason"), "quiet");
    CHECK_EQ_U64(t_inc_int(4, "id"), 2);
    t_reset();
    inc_free(e);
    netset_free(home);
}

/* incident.novelty: "warmup" until a full day of history lies behind
 * the record (none before inc_set_history), then "history". */
static const char *t_basis(size_t i, long long *history_s)
{
    json_t *n = json_object_get(json_object_get(recs[i], "incident"), "novelty");
    *history_s = json_integer_value(json_object_get(n, "history_s"));
    CHECK_EQ_U64(json_integer_value(json_object_get(n, "warmup_s")), 86400);
    return json_string_value(json_object_get(n, "basis"));
}

static void test_novelty(void)
{
    struct xm_netset *home;
    struct inc_engine *e = t_engine(&home, 0);
    long long h = -1;
    const char *dst[3] = {"198.51.100.1", "203.0.113.2", "192.0.2.3"};  /* three groups */
    const xm_time_t since[3] = {0, T0 - XM_SEC(86399), T0 - XM_SEC(86400)};
    for (int i = 0; i < 3; i++) {
        if (i)
            inc_set_history(e, since[i]);
        json_t *a = t_alert(100001, 3, dst[i], NULL, NULL, 1000, 10);
        inc_on_alert(e, a, T0);
        json_decref(a);
    }
    CHECK_EQ_U64(n_recs, 3);
    CHECK_STR(t_basis(0, &h), "warmup");        /* no history at all */
    CHECK_EQ_U64(h, 0);
    CHECK_STR(t_basis(1, &h), "warmup");        /* a second short of a day */
    CHECK_EQ_U64(h, 86399);
    CHECK_STR(t_basis(2, &h), "history");
    CHECK_EQ_U64(h, 86400);
    t_reset();
    inc_free(e);
    netset_free(home);
}

/* An alert naming no local host (both ends outside the home network)
 * opens nothing. */
static void test_foreign(void)
{
    struct xm_netset *home;
    struct inc_engine *e = t_engine(&home, 0);
    json_t *a = t_alert(100001, 3, "198.51.100.1", NULL, NULL, 1, 1);
    json_object_set_new(a, "src_ip", json_string("203.0.113.9"));
    inc_on_alert(e, a, T0);
    json_decref(a);
    CHECK_EQ_U64(n_recs, 0);
    CHECK_EQ_U64(inc_get_stats(e)->hits, 0);
    inc_free(e);
    netset_free(home);
}

int main(void)
{
    CHECK(eve_set_sensor_name("sensor-a") == 0);
    test_grouping();
    test_severity();
    test_expected_llm();
    test_close_and_evict();
    test_foreign();
    test_novelty();
    return xm_test_result();
}
