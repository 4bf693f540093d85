/*
 * test_intel.c - the intel glue end to end: HTTP requests parsed by the
 * app layer name flows; the registered rule fields then see the TeamPCP
 * indicator, the exfil marker, the look-alike verdict and the AI-host tag,
 * and intel_eve_add() writes them.  Optional argv[1]: the directory of
 * the test MMDB files (tools/make_test_mmdb.pl) for dst.country/asn/org.
 */
#include <stdlib.h>

#include "xm_intel.h"
#include "xm_rules.h"
#include "xm_test.h"

#define T0 XM_SEC(1774347000)   /* 2026-03-24T10:10:00Z */

static struct lists_list *load(const char *path)
{
    char err[256];
    struct lists_list *l = NULL;
    if (lists_load_file(path, NULL, 9, &l, err, sizeof err) != 0)
        fprintf(stderr, "%s\n", err);
    CHECK(l != NULL);
    return l;
}

/* A client flow local -> remote:port carrying one HTTP request. */
static void http_flow(struct app_ctx *app, struct xm_flow *f, const char *remote,
                      uint16_t port, const char *request, xm_time_t t)
{
    memset(f, 0, sizeof *f);
    xm_addr_parse("10.0.0.5", &f->cli);
    xm_addr_parse(remote, &f->srv);
    f->cli_port = 40000;
    f->srv_port = port;
    f->proto = 6;
    f->local = FLOW_LOCAL_CLIENT;
    f->state = FLOW_STATE_ESTABLISHED;
    f->pkts[0] = f->pkts[1] = 3;
    f->first = f->last = t;
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.ts = t;
    p.ipver = 4;
    p.proto = 6;
    p.tcp_flags = 0x18;
    p.has_ports = true;
    p.src = f->cli;
    p.dst = f->srv;
    p.sport = f->cli_port;
    p.dport = port;
    p.l4_payload = (const uint8_t *)request;
    p.l4_caplen = p.l4_len = (uint32_t)strlen(request);
    app_on_packet(app, &p, f, 0);
}

static int get(const struct rules_registry *reg, const char *name, const struct xm_flow *f,
               xm_time_t now, union rules_value *v)
{
    const struct rules_field *fd = rules_field_find(reg, name);
    CHECK(fd != NULL);
    if (!fd)
        return -1;
    struct rules_key key;
    memset(&key, 0, sizeof key);
    struct rules_eval_ctx ctx = {NULL, RULES_SCOPE_FLOW, &key, f, NULL, now, NULL};
    struct rules_fref fr = {fd->arg, 0, fd->metric};
    memset(v, 0, sizeof *v);
    return fd->get(&ctx, &fr, v);
}

static void check_str_field(const struct rules_registry *reg, const char *name,
                            const struct xm_flow *f, const char *want)
{
    union rules_value v;
    int rc = get(reg, name, f, T0, &v);
    if (!want) {
        CHECK_EQ_U64(rc, 1);
        return;
    }
    CHECK_EQ_U64(rc, 0);
    if (rc == 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)v.str.len, v.str.s);
        CHECK_STR(buf, want);
    }
}

static void check_bool_field(const struct rules_registry *reg, const char *name,
                             const struct xm_flow *f, xm_time_t now, bool want)
{
    union rules_value v;
    CHECK_EQ_U64(get(reg, name, f, now, &v), 0);
    CHECK(v.b == want);
}

static const char stealer_post[] =
    "POST / HTTP/1.1\r\nHost: models.litellm.cloud\r\nUser-Agent: python-requests/2.32.3\r\n"
    "Content-Type: application/octet-stream\r\nX-Filename: tpcp.tar.gz\r\n"
    "Content-Length: 40960\r\n\r\n";
static const char openai_post[] =
    "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
    "User-Agent: OpenAI/Python 1.51.0\r\nContent-Length: 120\r\n\r\n";

int main(int argc, char **argv)
{
    struct intel_ctx *c = calloc(1, sizeof *c);
    char err[256];
    struct lists_list *ioc = load("data/ioc/teampcp.list");
    struct lists_list *vendors = load("data/vendors.list");
    struct lists_list *ep = load("data/ai/llm_endpoints.list");
    struct lists_list *ua = load("data/ai/user_agents.list");
    struct lists_list *po = load("data/ai/ports.list");
    struct app_limits al;
    app_limits_default(&al);
    struct app_ctx *app = app_new(&al, 5);
    CHECK(app != NULL);
    if (!c || !ioc || !vendors || !ep || !ua || !po || !app)
        return xm_test_result();
    c->ioc[c->n_ioc++] = ioc;
    c->lookalike = lookalike_new(vendors, 256, 3, err, sizeof err);
    struct aihost_config acfg = {ep, ua, po, 0, 64, 7};
    c->aihost = aihost_new(&acfg);
    c->app = app;
    if (argc > 1) {
        char p[600];
        c->geo = geo_new(64, 1);
        snprintf(p, sizeof p, "%s/test-country.mmdb", argv[1]);
        CHECK_EQ_U64(geo_open(c->geo, p, err, sizeof err), 0);
        snprintf(p, sizeof p, "%s/test-asn.mmdb", argv[1]);
        CHECK_EQ_U64(geo_open(c->geo, p, err, sizeof err), 0);
    }
    struct rules_registry *reg = rules_registry_new();
    CHECK_EQ_U64(rules_fields_add(reg, &intel_fields, c), 13);
    CHECK_EQ_U64(rules_fields_add(reg, &intel_fields, c), 0);   /* already there: skipped */

    /* 1. the host talks to OpenAI: AI evidence */
    struct xm_flow f1, f2;
    http_flow(app, &f1, "198.51.100.7", 80, openai_post, T0);
    intel_observe_flow(c, &f1, T0);
    check_bool_field(reg, "host.ai", &f1, T0, true);
    check_str_field(reg, "host.ai_evidence", &f1, "user_agent");
    /* api.openai.com is itself the host's AI evidence (llm_endpoint) */
    check_bool_field(reg, "dst.ai_evidence", &f1, T0, true);
    check_bool_field(reg, "dst.ioc", &f1, T0, false);
    check_str_field(reg, "dst.lookalike", &f1, "none");
    app_on_flow_end(app, &f1);

    /* 2. the stealer's POST */
    http_flow(app, &f2, "83.142.209.203", 8080, stealer_post, T0 + XM_SEC(5));
    check_bool_field(reg, "dst.ioc", &f2, T0, true);
    check_str_field(reg, "dst.ioc_list", &f2, "teampcp");
    check_str_field(reg, "dst.ioc_label", &f2, "litellm-exfil");   /* name beats address */
    check_bool_field(reg, "http.ioc", &f2, T0, true);
    check_str_field(reg, "dst.lookalike", &f2, "token");
    check_str_field(reg, "dst.lookalike_vendor", &f2, "litellm.ai");
    check_bool_field(reg, "host.ai", &f2, T0 + XM_SEC(5), true);
    /* an AI host, but the stealer's domain is not what made it one */
    check_bool_field(reg, "dst.ai_evidence", &f2, T0 + XM_SEC(5), false);
    check_str_field(reg, "host.tags", &f2, NULL);
    if (c->geo) {
        check_str_field(reg, "dst.country", &f2, "NL");
        check_str_field(reg, "dst.org", &f2, "Bulletproof Hosting B.V.");
        union rules_value v;
        CHECK_EQ_U64(get(reg, "dst.asn", &f2, T0, &v), 0);
        CHECK_EQ_U64((uint64_t)v.num, 64511);
    }

    json_t *rec = json_object();
    CHECK_EQ_U64(intel_eve_add(c, &f2, T0 + XM_SEC(5), rec), 0);
    json_t *in = json_object_get(rec, "intel");
    CHECK_STR(json_string_value(json_object_get(in, "ioc_list")), "teampcp");
    CHECK_STR(json_string_value(json_object_get(in, "ioc_label")), "litellm-exfil");
    CHECK_STR(json_string_value(json_object_get(in, "http_ioc_list")), "teampcp");
    CHECK_STR(json_string_value(json_object_get(in, "lookalike")), "token");
    json_t *host = json_object_get(rec, "local_host");
    CHECK(json_is_true(json_object_get(host, "ai")));
    CHECK_EQ_U64(json_array_size(json_object_get(host, "evidence")), 2);
    if (c->geo)
        CHECK_STR(json_string_value(json_object_get(json_object_get(rec, "dest_geo"), "country")),
                  "NL");
    json_decref(rec);

    /* the fields compile in the rule language */
    struct rules_set *set = NULL;
    struct rules_error rerr;
    int rc = rules_compile_string("t.rules",
        "rule 900001 \"campaign indicator\" {\n scope flow\n"
        " when dst.ioc or http.ioc or (dst.lookalike != \"none\" and host.ai)\n"
        " severity critical\n category \"x\"\n}\n", reg, &set, &rerr);
    if (rc != 0)
        rules_error_print(&rerr, stderr);
    CHECK_EQ_U64(rc, 0);
    rules_set_free(set);

    app_on_flow_end(app, &f2);
    rules_registry_free(reg);
    app_free(app);
    geo_free(c->geo);
    lookalike_free(c->lookalike);
    aihost_free(c->aihost);
    lists_free(ioc);
    lists_free(vendors);
    lists_free(ep);
    lists_free(ua);
    lists_free(po);
    free(c);
    return xm_test_result();
}
