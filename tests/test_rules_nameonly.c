/*
 * test_rules_nameonly.c - name-only flow rules (rules/engine.c
 * "name-only rules", XM_FF_NAME_ONLY in include/xm_field.h): a rule made
 * only of name-only bool fields is not evaluated again while it was
 * false and the flow's name is unchanged; it is evaluated again (the
 * getter called, the rule fired) as soon as the name changes
 * (flow_name_changed), after a rule swap, and never skipped when it is
 * not name-only (a `not`) or when it held.
 */
#include "xm_test.h"
#include "rules_synth.h"

#define T0 XM_SEC(1700006400)
#define MSEC(x) ((xm_time_t)(x) * 1000)

static unsigned calls;            /* getter calls of test.named */

/* true when the flow's name id is 7 (a stand-in for "the name is on an
 * indicator list"). */
static int named_get(const void *owner, int id, const struct xm_field_ctx *c,
                     union xm_field_value *out)
{
    (void)owner, (void)id;
    calls++;
    if (!c->flow)
        return 1;
    out->b = c->flow->name_id == 7;
    return 0;
}

static const struct xm_field_desc defs[] = {
    {"test.named", XM_FT_BOOL, XM_FS_BIT(XM_FS_FLOW), 0, named_get},
    {"test.named_plain", XM_FT_BOOL, XM_FS_BIT(XM_FS_FLOW), 1, named_get},
};
static const unsigned flags[] = {XM_FF_NAME_ONLY, 0};
static const struct xm_field_list list = XM_FIELD_LIST_FLAGS(defs, flags);

static struct rules_registry *reg;

static struct rules_set *compile(const char *text)
{
    struct rules_set *set = synth_compile(reg, "nameonly.rules", text);
    CHECK(set != NULL);
    return set;
}

static void start(struct synth *s, const char *text)
{
    struct rules_limits lim = {.seed = 9};
    CHECK(synth_start(s, compile(text), &lim));
}

/* One outbound 100-byte packet (TCP ACK) of flow 0 at t. */
static void send(struct synth *s, xm_time_t t)
{
    struct xm_flow *f = &s->flows[0];
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.ts = t;
    p.ipver = 4;
    p.proto = 6;
    p.tcp_flags = 0x10;
    p.ip_bytes = 100;
    p.src = f->cli;
    p.dst = f->srv;
    if (!f->first)
        f->first = t;
    f->last = t;
    f->pkts[0]++;
    f->bytes[0] += 100;
    rules_on_packet(s->eng, &p, f, 0);
}

static void stop(struct synth *s)
{
    rules_engine_free(s->eng);
    for (size_t i = 0; i < s->n_alerts; i++)
        json_decref(s->alerts[i]);
}

/* Skipped while false and unnamed; the name change makes it evaluate
 * (getter called) and fire at that evaluation. */
static void test_skip_and_change(void)
{
    struct synth s;
    start(&s, "rule 1 \"n\" { scope flow when test.named severity low cooldown 1h }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    calls = 0;
    send(&s, T0);                           /* first evaluation: called */
    CHECK_EQ_U64(calls, 1);
    send(&s, T0 + XM_SEC(2));               /* evaluated, rule skipped */
    send(&s, T0 + XM_SEC(4));
    CHECK_EQ_U64(calls, 1);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->evals, 3);
    s.flows[0].name_id = 5;                 /* a name, not the bad one */
    s.flows[0].name_src = 2;
    flow_name_changed(&s.flows[0]);
    send(&s, T0 + XM_SEC(6));
    CHECK_EQ_U64(calls, 2);
    send(&s, T0 + XM_SEC(8));
    CHECK_EQ_U64(calls, 2);
    s.flows[0].name_id = 7;                 /* the input changed: must fire */
    flow_name_changed(&s.flows[0]);
    send(&s, T0 + XM_SEC(8) + MSEC(500)); /* < 1 s: no evaluation yet */
    CHECK_EQ_U64(calls, 2);
    CHECK_EQ_U64(s.n_alerts, 0);
    send(&s, T0 + XM_SEC(10));
    CHECK_EQ_U64(calls, 3);
    CHECK_EQ_U64(s.n_alerts, 1);
    send(&s, T0 + XM_SEC(12));              /* held: never skipped */
    CHECK_EQ_U64(calls, 4);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->suppressed, 1);
    rules_on_flow_end(s.eng, &s.flows[0], FLOW_END_CLOSED);
    CHECK_EQ_U64(calls, 5);
    stop(&s);
}

/* A rule with `not`, or with a field not flagged name-only, is always
 * evaluated; and a flow end after a name change found at the end. */
static void test_not_name_only(void)
{
    struct synth s;
    start(&s, "rule 2 \"p\" { scope flow when test.named_plain severity low }\n"
              "rule 3 \"n\" { scope flow when not test.named and flow.bytes_out > 1GB "
              "severity low }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    calls = 0;
    send(&s, T0);
    send(&s, T0 + XM_SEC(2));
    CHECK_EQ_U64(calls, 2);                 /* rule 2 each time; rule 3 guarded */
    stop(&s);

    start(&s, "rule 4 \"n\" { scope flow when test.named or test.named severity low }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    calls = 0;
    send(&s, T0);
    send(&s, T0 + XM_SEC(2));
    CHECK_EQ_U64(calls, 1);                 /* memo: one call per evaluation */
    s.flows[0].name_id = 7;                 /* learned at the flow's end */
    flow_name_changed(&s.flows[0]);
    rules_on_flow_end(s.eng, &s.flows[0], FLOW_END_TIMEOUT);
    CHECK_EQ_U64(calls, 2);
    CHECK_EQ_U64(s.n_alerts, 1);
    stop(&s);
}

/* A swap that keeps the flow scope keeps the flow's state (cadence) but
 * not its name-only verdict: the new set's rules are evaluated once. */
static void test_swap(void)
{
    struct synth s;
    start(&s, "rule 1 \"n\" { scope flow when test.named severity low }\n");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.7", 443, 0);
    calls = 0;
    send(&s, T0);
    send(&s, T0 + XM_SEC(2));
    CHECK_EQ_U64(calls, 1);
    CHECK(rules_engine_swap(s.eng, compile("rule 5 \"n\" { scope flow when test.named "
                                           "severity low }\n")) == 0);
    send(&s, T0 + XM_SEC(2) + MSEC(500)); /* state kept: < 1 s, no evaluation */
    CHECK_EQ_U64(rules_engine_stats(s.eng)->evals, 2);
    send(&s, T0 + XM_SEC(4));
    CHECK_EQ_U64(calls, 2);
    send(&s, T0 + XM_SEC(6));
    CHECK_EQ_U64(calls, 2);
    stop(&s);
}

int main(void)
{
    reg = rules_registry_new();
    CHECK(reg != NULL);
    if (!reg)
        return xm_test_result();
    CHECK(rules_fields_add(reg, &list, NULL) == 2);
    test_skip_and_change();
    test_not_name_only();
    test_swap();
    rules_registry_free(reg);
    return xm_test_result();
}
