/*
 * test_rules_prefilter.c - the per-scope prefilter (rules/prefilter.c):
 * an evaluation drops the rules one of whose conjuncts it proves false
 * before visiting them.  A drop that is wrong suppresses an alert, so
 * every case here checks which rules fire and in which order: thresholds
 * at their boundary (> and >=), `not` conjuncts, provider first conjuncts
 * (read only where the rule would read them: getter call counts), other
 * provider conjuncts judged from the memo (including "not available"
 * under `not`, which is true), windowed bounds that are not the value,
 * and scopes with more than 64 rules (several mask words).
 */
#include "xm_test.h"
#include "rules_synth.h"

#define T0 XM_SEC(1700006400)

static unsigned flag_calls, num_calls;
static bool flag_ok = true, flag_val;
static double num_val;

static int flag_get(const void *owner, int id, const struct xm_field_ctx *c,
                    union xm_field_value *out)
{
    (void)owner, (void)id, (void)c;
    flag_calls++;
    out->b = flag_val;
    return flag_ok ? 0 : 1;
}

static int num_get(const void *owner, int id, const struct xm_field_ctx *c,
                   union xm_field_value *out)
{
    (void)owner, (void)id, (void)c;
    num_calls++;
    out->num = num_val;
    return 0;
}

static const struct xm_field_desc defs[] = {
    {"test.flag", XM_FT_BOOL, XM_FS_BIT(XM_FS_FLOW), 0, flag_get},
    {"test.num", XM_FT_NUM, XM_FS_BIT(XM_FS_FLOW), 1, num_get},
};
static const struct xm_field_list list = XM_FIELD_LIST(defs);

static struct rules_registry *reg;

static void start(struct synth *s, const char *text)
{
    struct rules_limits lim = {.seed = 5};
    CHECK(synth_start(s, synth_compile(reg, "prefilter.rules", text), &lim));
}

/* The signature ids of s's alerts, in order, as "1,2,3". */
static const char *sids(const struct synth *s)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < s->n_alerts && n < sizeof buf - 16; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%d", i ? "," : "",
                              synth_alert_sid(s, i));
    return buf;
}

/* Flow thresholds at their boundary, `not dst.home`, rule order. */
static void test_flow_thresholds(void)
{
    struct synth s;
    start(&s, "rule 1 \"gt\" { scope flow when flow.bytes_out > 1000 severity low }\n"
              "rule 2 \"ge\" { scope flow when flow.bytes_out >= 1000 severity low }\n"
              "rule 3 \"ext\" { scope flow when not dst.home and flow.bytes_out >= 1000 "
              "and flow.ratio > 1 severity low }\n"
              "rule 4 \"age\" { scope flow when flow.age >= 2s and flow.pkts_out > 1 "
              "severity low }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    synth_send(&s, 0, T0, 0, 1000);
    CHECK_STR(sids(&s), "2,3");
    synth_send(&s, 0, T0 + XM_SEC(2), 0, 1);      /* 1001 bytes, age 2 s */
    CHECK_STR(sids(&s), "2,3,1,4");
    synth_flow(&s, 1, "10.0.0.5", "10.0.0.9", 22, 0);  /* internal peer */
    synth_send(&s, 1, T0 + XM_SEC(3), 0, 5000);
    CHECK_STR(sids(&s), "2,3,1,4,1,2");
    synth_free(&s);
}

/* Provider conjuncts: read by the prefilter only where a rule would read
 * them, judged from the memo elsewhere; not available under `not` is
 * true. */
static void test_provider(void)
{
    static const char *text =
        "rule 10 \"f\" { scope flow when test.flag and flow.bytes_out > 100 severity low }\n"
        "rule 11 \"nf\" { scope flow when flow.bytes_out > 50 and not test.flag "
        "severity low }\n"
        "rule 12 \"pf\" { scope flow when flow.pkts_out >= 1 and test.flag severity low }\n"
        "rule 13 \"n\" { scope flow when test.num > 5 severity low }\n";
    struct synth s;
    start(&s, text);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    flag_ok = true, flag_val = false, num_val = 5;
    flag_calls = num_calls = 0;
    synth_send(&s, 0, T0, 0, 60);       /* 10 dropped by bytes: flag read for 11 */
    CHECK_STR(sids(&s), "11");
    CHECK_EQ_U64(flag_calls, 1);
    CHECK_EQ_U64(num_calls, 1);
    synth_free(&s);

    start(&s, text);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    flag_val = true;                    /* 10 dropped, flag not read early: 12 reads it */
    flag_calls = 0;
    synth_send(&s, 0, T0, 0, 60);
    CHECK_STR(sids(&s), "12");
    CHECK_EQ_U64(flag_calls, 1);
    synth_free(&s);

    start(&s, text);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    flag_val = true, num_val = 6;
    flag_calls = num_calls = 0;
    synth_send(&s, 0, T0, 0, 200);
    CHECK_STR(sids(&s), "10,12,13");
    CHECK_EQ_U64(flag_calls, 1);        /* one read per evaluation (memo) */
    CHECK_EQ_U64(num_calls, 1);
    synth_free(&s);

    start(&s, text);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    flag_ok = false;                    /* not available: `not test.flag` holds */
    flag_calls = 0;
    synth_send(&s, 0, T0, 0, 200);
    CHECK_STR(sids(&s), "11,13");
    CHECK_EQ_U64(flag_calls, 1);
    flag_ok = true;
    synth_free(&s);

    start(&s, "rule 14 \"late\" { scope flow when flow.bytes_out > 100 and test.flag "
              "severity low }\n"          /* not first: never read early */
              "rule 15 \"first\" { scope flow when test.flag and flow.bytes_out > 1000 "
              "severity low }\n"          /* first, but its rule is dropped */
              "rule 16 \"third\" { scope flow when flow.bytes_out > 10 and test.num > 5 "
              "and test.flag severity low }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    flag_calls = num_calls = 0;
    num_val = 0;
    synth_send(&s, 0, T0, 0, 50);
    CHECK_EQ_U64(flag_calls, 0);
    CHECK_EQ_U64(num_calls, 1);
    synth_send(&s, 0, T0 + XM_SEC(2), 0, 100);
    CHECK_EQ_U64(flag_calls, 1);
    CHECK_STR(sids(&s), "14");
    synth_free(&s);

    /* A provider conjunct after a false one, or a first one whose rule
     * has a guard the prefilter does not judge (dst.first_seen_age), is
     * not read: the rule would not read it. */
    start(&s, "rule 17 \"mid\" { scope flow when flow.bytes_out > 10 and test.flag "
              "and test.num > 7 severity low }\n"
              "rule 18 \"seen\" { scope flow when test.flag and dst.first_seen_age > 1h "
              "severity low }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    flag_val = false;
    flag_calls = num_calls = 0;
    synth_send(&s, 0, T0, 0, 50);
    CHECK_EQ_U64(flag_calls, 1);
    CHECK_EQ_U64(num_calls, 0);
    CHECK_EQ_U64(s.n_alerts, 0);
    synth_free(&s);
    start(&s, "rule 18 \"seen\" { scope flow when test.flag and dst.first_seen_age > 1h "
              "severity low }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    flag_val = true;
    flag_calls = 0;
    synth_send(&s, 0, T0, 0, 50);
    CHECK_EQ_U64(flag_calls, 0);
    synth_free(&s);
}

/* Host scope: the upper bound drops a rule only when it proves it false;
 * a bound above the threshold is not taken for the value. */
static void test_bounds(void)
{
    struct synth s;
    start(&s, "rule 20 \"b\" { scope host when bytes_out[1m] > 1000 severity low "
              "escalate off }\n"
              "rule 21 \"ge\" { scope host when rate_out[10s] >= 800bps severity low "
              "escalate off }\n"
              "rule 22 \"gt\" { scope host when rate_out[10s] > 800bps severity low "
              "escalate off }\n"
              "rule 23 \"w\" { scope host when bytes_out[1m] > 3000 severity low "
              "cooldown 0s }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    synth_send(&s, 0, T0, 0, 1000);
    CHECK_STR(sids(&s), "21");
    synth_send(&s, 0, T0 + XM_SEC(2), 0, 1);
    CHECK_STR(sids(&s), "21,20,22");
    synth_send(&s, 0, T0 + XM_SEC(4), 0, 4000);
    CHECK_STR(sids(&s), "21,20,22,23");
    synth_send(&s, 0, T0 + XM_SEC(200), 0, 10);   /* 5011 in all, 10 in the window */
    CHECK_STR(sids(&s), "21,20,22,23");
    synth_free(&s);
}

/* 70 flow rules (two mask words): every rule below the flow's volume
 * fires, in rule order, across the word boundary. */
static void test_many_rules(void)
{
    char *text = malloc(70 * 96);
    CHECK(text != NULL);
    if (!text)
        return;
    size_t n = 0;
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(text + n, 96, "rule %d \"r\" { scope flow when "
                              "flow.bytes_out > %d severity low }\n", 100 + i, i * 10);
    struct synth s;
    start(&s, text);
    free(text);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    synth_send(&s, 0, T0, 0, 405);
    CHECK_EQ_U64(s.n_alerts, 41);
    synth_send(&s, 0, T0 + XM_SEC(2), 0, 250);    /* 655: up to rule 165 */
    CHECK_EQ_U64(s.n_alerts, 66);
    bool ordered = true;
    for (size_t i = 0; i < s.n_alerts; i++)
        ordered &= synth_alert_sid(&s, i) == 100 + (int)i;
    CHECK(ordered);
    synth_free(&s);
}

int main(void)
{
    reg = rules_registry_new();
    CHECK(reg != NULL);
    if (!reg)
        return xm_test_result();
    CHECK(rules_fields_add(reg, &list, NULL) == 2);
    test_flow_thresholds();
    test_provider();
    test_bounds();
    test_many_rules();
    rules_registry_free(reg);
    return xm_test_result();
}
