/*
 * test_aihost.c - AI-tooling host tags: evidence from flows, bounded
 * evidence, decay at exact packet times, inventory tags, LRU eviction and
 * the EVE "local_host" object.  Uses the shipped data/ai lists.
 */
#include <stdlib.h>

#include "xm_aihost.h"
#include "xm_test.h"

#define T0 XM_SEC(1774347000)   /* 2026-03-24T10:10:00Z */
#define DAY XM_SEC(86400)

static struct lists_list *ep, *ua, *po;

static struct lists_list *load(const char *path)
{
    char err[256];
    struct lists_list *l = NULL;
    if (lists_load_file(path, NULL, 9, &l, err, sizeof err) != 0)
        fprintf(stderr, "%s\n", err);
    CHECK(l != NULL);
    return l;
}

static struct aihost *make(uint32_t max_hosts)
{
    struct aihost_config cfg = {ep, ua, po, 0, max_hosts, 11};
    return aihost_new(&cfg);
}

static struct xm_addr addr(const char *s)
{
    struct xm_addr a;
    xm_addr_parse(s, &a);
    return a;
}

static int flow(struct aihost *ah, const struct xm_addr *local, bool srv, bool est,
                uint16_t port, const char *name, const char *uas, xm_time_t now)
{
    struct aihost_obs o = {local, srv, est, port, name, NULL, uas, now};
    return aihost_observe_flow(ah, &o);
}

static void test_evidence(void)
{
    struct aihost *ah = make(16);
    struct xm_addr h = addr("10.0.0.5");
    struct aihost_view v;
    CHECK(!aihost_is_ai(ah, &h, T0));
    CHECK_EQ_U64(flow(ah, &h, false, true, 443, "www.example.com", NULL, T0), 0);
    CHECK(!aihost_get(ah, &h, T0, &v));
    CHECK_EQ_U64(aihost_get_stats(ah)->hosts, 0);   /* no entry without evidence */

    CHECK_EQ_U64(flow(ah, &h, false, true, 443, "api.openai.com", NULL, T0), 1);
    CHECK_EQ_U64(flow(ah, &h, false, true, 443, "API.OpenAI.com.", NULL, T0 + XM_SEC(10)), 1);
    CHECK_EQ_U64(flow(ah, &h, false, true, 80, "llm.internal", "litellm/1.82.8",
                      T0 + XM_SEC(20)), 1);
    /* serving 11434: only established inbound flows count */
    CHECK_EQ_U64(flow(ah, &h, true, false, 11434, NULL, NULL, T0 + XM_SEC(30)), 0);
    CHECK_EQ_U64(flow(ah, &h, false, true, 11434, NULL, NULL, T0 + XM_SEC(30)), 0);
    CHECK_EQ_U64(flow(ah, &h, true, true, 11434, NULL, NULL, T0 + XM_SEC(30)), 1);
    /* a UA seen on an inbound flow is the remote client's, not ours */
    CHECK_EQ_U64(flow(ah, &h, true, true, 80, NULL, "OpenAI/Python 1.51.0", T0), 0);

    CHECK(aihost_get(ah, &h, T0 + XM_SEC(40), &v));
    CHECK_EQ_U64(v.n_evidence, 3);
    CHECK_EQ_U64(v.ev[0].kind, AIHOST_LLM_ENDPOINT);
    CHECK_STR(v.ev[0].detail, "api.openai.com");
    CHECK_EQ_U64(v.ev[0].count, 2);
    CHECK_EQ_U64(v.ev[0].first, T0);
    CHECK_EQ_U64(v.ev[0].last, T0 + XM_SEC(10));
    CHECK_EQ_U64(v.ev[1].kind, AIHOST_USER_AGENT);
    CHECK_STR(v.ev[1].detail, "litellm/1.82.8");
    CHECK_EQ_U64(v.ev[2].kind, AIHOST_SERVES_PORT);
    CHECK_STR(v.ev[2].detail, "11434 ollama");
    CHECK_EQ_U64(v.n_tags, 0);

    /* a fifth distinct piece replaces the one with the oldest last-seen */
    CHECK_EQ_U64(aihost_add_evidence(ah, &h, AIHOST_PROCESS, "ollama serve", T0 + XM_SEC(50)), 0);
    CHECK_EQ_U64(aihost_add_evidence(ah, &h, AIHOST_PROCESS, "vllm", T0 + XM_SEC(60)), 0);
    CHECK(aihost_get(ah, &h, T0 + XM_SEC(60), &v));
    CHECK_EQ_U64(v.n_evidence, AIHOST_MAX_EVIDENCE);
    CHECK_EQ_U64(v.ev[0].kind, AIHOST_USER_AGENT);      /* openai piece (last T0+10) gone */
    CHECK_STR(v.ev[3].detail, "vllm");
    CHECK_EQ_U64(aihost_get_stats(ah)->evidence_replaced, 1);
    CHECK_EQ_U64(aihost_add_evidence(ah, &h, AIHOST_INVENTORY, "x", T0), -1);
    aihost_free(ah);
}

static void test_decay(void)
{
    struct aihost *ah = make(16);
    struct xm_addr h = addr("2001:db8::7");
    struct aihost_view v;
    CHECK_EQ_U64(flow(ah, &h, false, true, 443, "api.anthropic.com", NULL, T0), 1);
    CHECK(aihost_is_ai(ah, &h, T0 + 7 * DAY));           /* exactly 7 days: still AI */
    CHECK(!aihost_is_ai(ah, &h, T0 + 7 * DAY + 1));      /* 1 us later: lapsed */
    CHECK(aihost_get(ah, &h, T0 + 7 * DAY, &v));
    CHECK_EQ_U64(v.n_evidence, 1);
    CHECK(!aihost_get(ah, &h, T0 + 7 * DAY + 1, &v));
    CHECK_EQ_U64(v.n_evidence, 0);
    CHECK_EQ_U64(aihost_get_stats(ah)->evidence_lapsed, 1);
    /* new evidence after the lapse starts afresh */
    CHECK_EQ_U64(flow(ah, &h, false, true, 443, "api.anthropic.com", NULL, T0 + 8 * DAY), 1);
    CHECK(aihost_get(ah, &h, T0 + 8 * DAY, &v));
    CHECK_EQ_U64(v.ev[0].first, T0 + 8 * DAY);
    CHECK_EQ_U64(v.ev[0].count, 1);
    aihost_free(ah);

    /* a configured decay of one hour */
    struct aihost_config cfg = {ep, ua, po, XM_SEC(3600), 16, 1};
    ah = aihost_new(&cfg);
    CHECK(ah != NULL);
    CHECK_EQ_U64(flow(ah, &h, false, true, 443, "api.x.ai", NULL, T0), 1);
    CHECK(aihost_is_ai(ah, &h, T0 + XM_SEC(3600)));
    CHECK(!aihost_is_ai(ah, &h, T0 + XM_SEC(3600) + 1));
    aihost_free(ah);
}

static void test_inventory_eve(void)
{
    struct aihost *ah = make(16);
    char err[128];
    CHECK_EQ_U64(aihost_tag_inventory(ah, "10.9.0.0/16", "ai, gpu", err, sizeof err), 0);
    CHECK_EQ_U64(aihost_tag_inventory(ah, "10.8.0.0/16", "lab", err, sizeof err), 0);
    CHECK_EQ_U64(aihost_tag_inventory(ah, "10.9.1.0/24", "ai,ml-train", err, sizeof err), 0);
    CHECK_EQ_U64(aihost_tag_inventory(ah, "10.9.0.0/40", "ai", err, sizeof err), -1);
    CHECK_STR(err, "inventory: bad CIDR '10.9.0.0/40'");
    CHECK_EQ_U64(aihost_tag_inventory(ah, "10.7.0.0/16", "a b!", err, sizeof err), -1);
    CHECK_STR(err, "inventory: bad tags 'a b!' (max 8 tags of [A-Za-z0-9_.-], 31 chars)");

    struct xm_addr a = addr("10.9.1.1"), b = addr("10.8.0.1"), c = addr("10.9.200.1");
    struct xm_addr d = addr("192.168.1.1");
    struct aihost_view v;
    CHECK(aihost_get(ah, &a, T0, &v));
    CHECK_EQ_U64(v.n_tags, 2);
    CHECK_STR(v.tags[1], "ml-train");                   /* longest prefix wins */
    CHECK(aihost_is_ai(ah, &c, T0 + 365 * DAY));        /* inventory never decays */
    CHECK(!aihost_get(ah, &b, T0, &v));
    CHECK_EQ_U64(v.n_tags, 1);

    json_t *o = json_object();
    CHECK_EQ_U64(aihost_eve_add(ah, &d, T0, o), 0);
    CHECK_EQ_U64(aihost_eve_add(ah, &b, T0, o), 1);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(s, "{\"local_host\":{\"ai\":false,\"evidence\":[],\"tags\":[\"lab\"]}}");
    free(s);
    CHECK_EQ_U64(flow(ah, &a, false, true, 443, "api.groq.com", NULL, T0 + 1500000), 1);
    CHECK_EQ_U64(aihost_eve_add(ah, &a, T0 + XM_SEC(2), o), 1);
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(s, "{\"local_host\":{\"ai\":true,\"evidence\":[{\"count\":1,\"detail\":\"api.groq.com\","
                 "\"first_seen\":\"2026-03-24T10:10:01.500000+0000\",\"kind\":\"llm_endpoint\","
                 "\"last_seen\":\"2026-03-24T10:10:01.500000+0000\"}],\"tags\":[\"ai\",\"ml-train\"]}}");
    free(s);
    json_decref(o);
    aihost_free(ah);
}

static void test_eviction(void)
{
    struct aihost *ah = make(2);
    struct xm_addr a = addr("10.0.0.1"), b = addr("10.0.0.2"), c = addr("10.0.0.3");
    flow(ah, &a, false, true, 443, "api.openai.com", NULL, T0);
    flow(ah, &b, false, true, 443, "api.openai.com", NULL, T0 + 1);
    flow(ah, &a, false, true, 443, "api.openai.com", NULL, T0 + 2);  /* a is now newest */
    flow(ah, &c, false, true, 443, "api.openai.com", NULL, T0 + 3);  /* evicts b */
    CHECK_EQ_U64(aihost_get_stats(ah)->evicted, 1);
    CHECK_EQ_U64(aihost_get_stats(ah)->hosts, 2);
    CHECK(aihost_is_ai(ah, &a, T0 + 4));
    CHECK(!aihost_is_ai(ah, &b, T0 + 4));
    CHECK(aihost_is_ai(ah, &c, T0 + 4));
    aihost_free(ah);
}

int main(void)
{
    ep = load("data/ai/llm_endpoints.list");
    ua = load("data/ai/user_agents.list");
    po = load("data/ai/ports.list");
    if (ep && ua && po) {
        test_evidence();
        test_decay();
        test_inventory_eve();
        test_eviction();
    }
    lists_free(ep);
    lists_free(ua);
    lists_free(po);
    return xm_test_result();
}
