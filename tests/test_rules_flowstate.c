/*
 * test_rules_flowstate.c - flow-scope rule state kept in the flow itself
 * (struct xm_flow rules_eval / rules_epoch, rules/engine.c "flow scope"):
 * evaluation cadence (first packet, >= 1 s of packet time later, a
 * closing TCP segment, interim and final flow end), the state's life
 * across rule swaps that keep, drop and restore the flow scope, and the
 * statistics that stand in for the old flow key table.
 */
#include "xm_test.h"
#include "rules_synth.h"

#define T0 XM_SEC(1700006400)   /* 2023-11-15T00:00:00Z */
#define MS(x) ((xm_time_t)(x) * 1000)

static struct rules_registry *reg;

static struct rules_set *compile(const char *text)
{
    struct rules_set *set = synth_compile(reg, "flowstate.rules", text);
    CHECK(set != NULL);
    return set;
}

static void start(struct synth *s, const char *text)
{
    struct rules_limits lim = {.seed = 3};
    CHECK(synth_start(s, compile(text), &lim));
}

/* One outbound packet of flow i with TCP flags at t. */
static void send_flags(struct synth *s, int i, xm_time_t t, uint8_t flags)
{
    struct xm_flow *f = &s->flows[i];
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.ts = t;
    p.ipver = 4;
    p.proto = 6;
    p.tcp_flags = flags;
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

static uint64_t evals(struct synth *s)
{
    return rules_engine_stats(s->eng)->evals;
}

static uint64_t flows_held(struct synth *s)
{
    return rules_engine_stats(s->eng)->keys[RULES_SCOPE_FLOW].used;
}

#define NEVER "rule 1 \"f\" { scope flow when flow.bytes_out > 1TB severity low }"

/* First packet, then at most once per second of packet time, always on
 * FIN/RST and at flow end (interim keeps the state, final drops it). */
static void test_cadence(void)
{
    struct synth s;
    start(&s, NEVER);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    CHECK_EQ_U64(flows_held(&s), 0);
    send_flags(&s, 0, T0, 0x02);
    CHECK_EQ_U64(evals(&s), 1);
    CHECK_EQ_U64(flows_held(&s), 1);
    CHECK(s.flows[0].rules_epoch != 0);
    CHECK_EQ_U64(s.flows[0].rules_eval, T0);
    send_flags(&s, 0, T0 + MS(999), 0x10);
    CHECK_EQ_U64(evals(&s), 1);
    send_flags(&s, 0, T0 + MS(1000), 0x10);   /* exactly 1 s on */
    CHECK_EQ_U64(evals(&s), 2);
    send_flags(&s, 0, T0 + MS(1200), 0x11);   /* FIN: at once */
    CHECK_EQ_U64(evals(&s), 3);
    send_flags(&s, 0, T0 + MS(1300), 0x04);   /* RST: at once */
    CHECK_EQ_U64(evals(&s), 4);
    synth_end(&s, 0, FLOW_END_ACTIVE);         /* interim: evaluated, kept */
    CHECK_EQ_U64(evals(&s), 5);
    CHECK_EQ_U64(flows_held(&s), 1);
    s.live[0] = true;
    send_flags(&s, 0, T0 + MS(1400), 0x10);   /* 0.1 s after the interim */
    CHECK_EQ_U64(evals(&s), 5);
    synth_end(&s, 0, FLOW_END_TIMEOUT);        /* final: evaluated, dropped */
    CHECK_EQ_U64(evals(&s), 6);
    CHECK_EQ_U64(flows_held(&s), 0);
    CHECK_EQ_U64(s.flows[0].rules_epoch, 0);
    rules_on_flow_end(s.eng, &s.flows[0], FLOW_END_TIMEOUT);   /* no state: nothing */
    CHECK_EQ_U64(evals(&s), 6);
    const struct rules_engine_stats *st = rules_engine_stats(s.eng);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_FLOW].inserted, 1);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_FLOW].evicted, 0);
    CHECK_EQ_U64(st->keys[RULES_SCOPE_FLOW].cap, 1u << 20);
    CHECK(st->bytes_per_key[RULES_SCOPE_FLOW] > 0 && st->bytes_per_key[RULES_SCOPE_FLOW] <= 16);
    synth_free(&s);
}

/* A packet time of 0 counts as "never evaluated", as a key's last_eval
 * of 0 did: the next packet is evaluated too. */
static void test_time_zero(void)
{
    struct synth s;
    start(&s, NEVER);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    send_flags(&s, 0, 0, 0x10);
    send_flags(&s, 0, 5, 0x10);
    CHECK_EQ_U64(evals(&s), 2);
    send_flags(&s, 0, 10, 0x10);
    CHECK_EQ_U64(evals(&s), 2);
    synth_free(&s);
}

/* Swaps: flow rules in both sets keep each flow's state; a set without
 * flow rules forgets it (the flow's end is not evaluated), and the flow
 * scope coming back starts every flow afresh. */
static void test_swap(void)
{
    struct synth s;
    start(&s, NEVER);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_flow(&s, 1, "10.0.0.6", "203.0.113.9", 443, 0);
    send_flags(&s, 0, T0, 0x10);
    send_flags(&s, 1, T0, 0x10);
    CHECK_EQ_U64(evals(&s), 2);
    CHECK(rules_engine_swap(s.eng, compile("rule 2 \"g\" { scope flow when flow.age > 1d "
                                           "severity low }")) == 0);
    CHECK_EQ_U64(flows_held(&s), 2);
    send_flags(&s, 0, T0 + MS(500), 0x10);    /* kept: within its second */
    CHECK_EQ_U64(evals(&s), 2);
    CHECK(rules_engine_swap(s.eng, compile("rule 3 \"h\" { scope host when bytes_out[1m] > "
                                           "1TB severity low }")) == 0);
    CHECK_EQ_U64(flows_held(&s), 0);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->keys[RULES_SCOPE_FLOW].cap, 0);
    uint64_t e = evals(&s);
    synth_end(&s, 1, FLOW_END_TIMEOUT);        /* no flow rules: nothing */
    CHECK_EQ_U64(evals(&s), e);
    CHECK(rules_engine_swap(s.eng, compile(NEVER)) == 0);
    CHECK_EQ_U64(flows_held(&s), 0);
    synth_flow(&s, 1, "10.0.0.6", "203.0.113.9", 443, 0);
    send_flags(&s, 0, T0 + MS(600), 0x10);    /* fresh state: evaluated */
    CHECK_EQ_U64(evals(&s), e + 1);
    CHECK_EQ_U64(flows_held(&s), 1);
    synth_end(&s, 1, FLOW_END_TIMEOUT);        /* never seen since: no state */
    CHECK_EQ_U64(evals(&s), e + 1);
    CHECK_EQ_U64(flows_held(&s), 1);
    synth_end(&s, 0, FLOW_END_TIMEOUT);
    CHECK_EQ_U64(evals(&s), e + 2);
    CHECK_EQ_U64(flows_held(&s), 0);
    synth_free(&s);
}

/* A flow rule's cooldown is keyed by the flow (flow_id): it holds for
 * the flow's later evaluations and goes with the flow, so a new flow
 * with the same id (a reused slot and 5-tuple) alerts again. */
static void test_cooldown_per_flow(void)
{
    struct synth s;
    start(&s, "rule 1 \"f\" { scope flow when flow.pkts_out > 1 severity low }");
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    send_flags(&s, 0, T0, 0x10);
    send_flags(&s, 0, T0 + MS(100), 0x10);
    send_flags(&s, 0, T0 + MS(1100), 0x10);   /* evaluated, true */
    send_flags(&s, 0, T0 + MS(2200), 0x10);   /* evaluated, suppressed */
    CHECK_EQ_U64(s.n_alerts, 1);
    CHECK_EQ_U64(rules_engine_stats(s.eng)->suppressed, 1);
    CHECK(s.flows[0].rule_fired != 0);
    synth_end(&s, 0, FLOW_END_CLOSED);         /* suppressed once more */
    CHECK_EQ_U64(rules_engine_stats(s.eng)->supp.used, 0);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    send_flags(&s, 0, T0 + MS(3000), 0x10);
    send_flags(&s, 0, T0 + MS(4000), 0x10);
    CHECK_EQ_U64(s.n_alerts, 2);
    synth_free(&s);
}

int main(void)
{
    reg = rules_registry_new();
    CHECK(reg != NULL);
    test_cadence();
    test_time_zero();
    test_swap();
    test_cooldown_per_flow();
    rules_registry_free(reg);
    return xm_test_result();
}
