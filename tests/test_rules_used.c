/*
 * test_rules_used.c - "which fields do the loaded rules use"
 * (rules_set_uses_fields / rules_set_uses_field, include/xm_rules.h) and
 * what the analysis stage does with it (stage_set_rule_use,
 * include/xm_stage.h): beacon history is kept only while a loaded rule
 * reads a beacon.* field, and a reload that adds such a rule starts the
 * history at the reload.
 */
#include <stdio.h>
#include <stdlib.h>

#include "xm_beacon.h"
#include "xm_rules.h"
#include "xm_stage.h"
#include "xm_test.h"
#include "flow_fixture.h"
#include "../src/xm_enrich.h"

#define T0 XM_SEC(1700006400)

static const char *const NO_BEACON =
    "rule 1 \"ioc\" { scope flow when dst.ioc severity low }\n"
    "rule 2 \"vol\" { scope host when bytes_out[1h] > 1MB severity low }\n";
static const char *const WITH_BEACON =
    "rule 1 \"ioc\" { scope flow when dst.ioc severity low }\n"
    "rule 3 \"bc\" { scope flow when not dst.home and (flow.age > 1h or "
    "not (beacon.jitter < 0.1)) severity low }\n";

static struct rules_set *compile(struct rules_registry *reg, const char *text)
{
    struct rules_set *set = NULL;
    struct rules_error err;
    if (rules_compile_string("used.rules", text, reg, &set, &err) != 0)
        rules_error_print(&err, stderr);
    CHECK(set != NULL);
    return set;
}

/* A provider list registered after the beacon module with one name of
 * its own and one that beacon already registered (which stays beacon's). */
static int fake_get(const void *owner, int id, const struct xm_field_ctx *c,
                    union xm_field_value *out)
{
    (void)owner, (void)id, (void)c;
    out->num = 1;
    return 0;
}
static const struct xm_field_desc fake_defs[] = {
    {"test.own", XM_FT_NUM, XM_FS_BIT(XM_FS_FLOW), 0, fake_get},
    {"beacon.count", XM_FT_NUM, XM_FS_BIT(XM_FS_FLOW), 1, fake_get},
};
static const struct xm_field_list fake_fields = XM_FIELD_LIST(fake_defs);

static bool uses_set(const void *set, const struct xm_field_list *l)
{
    return rules_set_uses_fields(set, l);
}

static void test_query(struct rules_registry *reg)
{
    CHECK(rules_fields_add(reg, &fake_fields, NULL) == 1);
    struct rules_set *a = compile(reg, NO_BEACON);
    struct rules_set *b = compile(reg, WITH_BEACON);
    struct rules_set *c = compile(reg, "rule 9 \"c\" { scope flow when test.own > 0 and "
                                       "beacon.count >= 6 severity low }\n");
    if (!a || !b || !c)
        return;
    CHECK(!rules_set_uses_fields(a, &beacon_fields));
    CHECK(rules_set_uses_field(a, "dst.ioc"));
    CHECK(rules_set_uses_field(a, "bytes_out"));
    CHECK(!rules_set_uses_field(a, "beacon.jitter"));
    CHECK(rules_set_uses_fields(b, &beacon_fields));   /* under not and or */
    CHECK(rules_set_uses_field(b, "beacon.jitter"));
    CHECK(!rules_set_uses_field(b, "beacon.count"));
    CHECK(!rules_set_uses_fields(b, &fake_fields));
    CHECK(rules_set_uses_fields(c, &fake_fields));     /* test.own */
    CHECK(rules_set_uses_fields(c, &beacon_fields));   /* beacon.count: beacon's */
    CHECK(!rules_set_uses_fields(NULL, &beacon_fields));
    rules_set_free(c);

    /* Through the engine, across reloads (rules_engine_swap). */
    struct rules_limits lim = {.seed = 5};
    struct rules_engine *eng = rules_engine_new(a, &lim, NULL, NULL);
    CHECK(eng != NULL);
    if (!eng) {
        rules_set_free(b);
        return;
    }
    CHECK(!rules_set_uses_fields(rules_engine_set(eng), &beacon_fields));
    CHECK(rules_engine_swap(eng, b) == 0);
    CHECK(rules_set_uses_fields(rules_engine_set(eng), &beacon_fields));
    CHECK(rules_engine_swap(eng, compile(reg, NO_BEACON)) == 0);
    CHECK(!rules_set_uses_fields(rules_engine_set(eng), &beacon_fields));
    rules_engine_free(eng);
}

/* beacon.count of the live flow `live` through the stage's provider. */
static double beacon_count(struct stage *st, const struct xm_flow *live)
{
    struct stage_field_source src[16];
    size_t n = stage_field_sources(st, src, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        if (src[i].list != &beacon_fields)
            continue;
        struct xm_field_ctx c = {.scope = XM_FS_FLOW, .flow = live, .now = live->last};
        union xm_field_value v = {0};
        if (src[i].list->f[0].get(src[i].owner, src[i].list->f[0].id, &c, &v) != 0)
            return 0;
        return v.num;
    }
    return -1;
}

/* One ended outbound flow 10.0.0.1 -> 203.0.113.9:443 starting at t. */
static void end_flow(struct stage *st, uint64_t id, xm_time_t t)
{
    struct xm_flow f;
    xm_test_flow(&f, 6, "10.0.0.1", 40000, "203.0.113.9", 443, FLOW_LOCAL_CLIENT, t);
    f.flow_id = id;
    f.bytes[0] = 100;
    stage_on_flow_end(st, &f, FLOW_END_TIMEOUT);
}

static void test_stage(struct enrich *e)
{
    struct rules_registry *reg = enrich_rules_registry(e);
    struct stage *st = enrich_stage(e);
    struct rules_set *a = compile(reg, NO_BEACON);
    struct rules_set *b = compile(reg, WITH_BEACON);
    struct xm_flow live;
    xm_test_flow(&live, 6, "10.0.0.1", 40100, "203.0.113.9", 443, FLOW_LOCAL_CLIENT,
                 T0 + XM_SEC(600));
    live.flow_id = 100;
    if (!a || !b)
        goto out;
    end_flow(st, 1, T0);                     /* before any call: kept */
    CHECK(beacon_count(st, &live) == 2);
    stage_set_rule_use(st, uses_set, a);     /* no beacon.* rule: forgotten */
    CHECK(beacon_count(st, &live) == 1);
    end_flow(st, 2, T0 + XM_SEC(60));        /* not kept */
    CHECK(beacon_count(st, &live) == 1);
    stage_set_rule_use(st, uses_set, b);     /* reload adds one: from now */
    end_flow(st, 3, T0 + XM_SEC(120));
    CHECK(beacon_count(st, &live) == 2);
    end_flow(st, 4, T0 + XM_SEC(180));
    CHECK(beacon_count(st, &live) == 3);
    stage_set_rule_use(st, uses_set, b);     /* same set again: history kept */
    CHECK(beacon_count(st, &live) == 3);
    stage_set_no_rules(st);
    CHECK(beacon_count(st, &live) == 1);
out:
    rules_set_free(a);
    rules_set_free(b);
}

int main(void)
{
    struct xm_opts o;
    memset(&o, 0, sizeof o);
    char err[512] = "";
    struct enrich *e = enrich_new(&o, err, sizeof err);
    if (!e) {
        printf("SKIP: cannot set up the analysis stage: %s\n", err);
        return 77;
    }
    test_stage(e);
    test_query(enrich_rules_registry(e));
    enrich_free(e);
    return xm_test_result();
}
