/*
 * test_lists.c - list file parsing (errors with file:line:col), domain
 * exact/suffix/glob matching, addresses, CIDRs, ports, HTTP markers, and
 * the shipped data files.  Runs with the source root as working dir.
 */
#include "xm_lists.h"
#include "xm_test.h"

static struct lists_list *load_str(const char *text, char *err, size_t errlen)
{
    struct lists_list *l = NULL;
    err[0] = '\0';
    if (lists_load_buf("t", "t.list", text, strlen(text), 42, &l, err, errlen) != 0)
        return NULL;
    return l;
}

/* Expects text to fail with exactly msg. */
static void expect_err(const char *text, const char *msg)
{
    char err[256];
    struct lists_list *l = load_str(text, err, sizeof err);
    CHECK(l == NULL);
    CHECK_STR(err, msg);
    lists_free(l);
}

static void test_errors(void)
{
    expect_err("good.com\nbad..com\n", "t.list:2:5: invalid domain name 'bad..com'");
    expect_err("# c\n\n  10.0.0.1/8\n", "t.list:3:3: host bits set in CIDR '10.0.0.1/8'");
    expect_err("10.0.0.0/33", "t.list:1:10: invalid prefix length '33'");
    expect_err("1.2.3.4:99999", "t.list:1:9: invalid port '99999'");
    expect_err("1.2.3.4.5:80", "t.list:1:1: invalid address '1.2.3.4.5'");
    expect_err("example.com label extra", "t.list:1:19: unexpected text after label");
    expect_err("example.com l@bel", "t.list:1:13: invalid label 'l@bel'");
    expect_err("ok.org\r\nua:   \n", "t.list:2:4: empty user-agent marker");
    expect_err("header:X Bad: v", "t.list:1:9: invalid header name");
    expect_err("ex_ample.com\nwww.exa$mple.com", "t.list:2:8: invalid domain name 'www.exa$mple.com'");
    expect_err("port:0", "t.list:1:6: invalid port '0'");
    expect_err("*.*.example.com", "t.list:1:3: invalid domain name '*.*.example.com'");
    expect_err("cidr:10.0.0.0", "t.list:1:6: CIDR needs /prefix: '10.0.0.0'");

    char err[256];
    struct lists_list *l = NULL;
    CHECK(lists_load_file("tests/no-such-file.list", NULL, 1, &l, err, sizeof err) == -1);
    CHECK_STR(err, "tests/no-such-file.list: No such file or directory");
    CHECK(l == NULL);
}

static const char *match_label(const struct lists_list *l, const char *name)
{
    const struct lists_entry *e = lists_match_domain(l, name);
    return e ? e->label : "(none)";
}

static void test_domains(void)
{
    char err[256];
    struct lists_list *l = load_str(
        "example.com exact\n"
        "*.trycloudflare.com tunnel\n"
        ".ngrok.io ngrok\n"
        "suffix:paste.example self-and-sub\n"
        "*-aiplatform.googleapis.com vertex\n"
        "bedrock-runtime.*.amazonaws.com bedrock\n"
        "deep.sub.example.com deep\n"
        ".sub.example.com sub\n", err, sizeof err);
    CHECK(l != NULL);
    if (!l) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_STR(match_label(l, "example.com"), "exact");
    CHECK_STR(match_label(l, "EXAMPLE.com."), "exact");
    CHECK_STR(match_label(l, "www.example.com"), "(none)");
    CHECK_STR(match_label(l, "a.trycloudflare.com"), "tunnel");
    CHECK_STR(match_label(l, "x.y.trycloudflare.com"), "tunnel");
    CHECK_STR(match_label(l, "trycloudflare.com"), "(none)");
    CHECK_STR(match_label(l, "ngrok.io"), "ngrok");
    CHECK_STR(match_label(l, "abc.ngrok.io"), "ngrok");
    CHECK_STR(match_label(l, "notngrok.io"), "(none)");
    CHECK_STR(match_label(l, "paste.example"), "self-and-sub");
    CHECK_STR(match_label(l, "a.paste.example"), "self-and-sub");
    CHECK_STR(match_label(l, "us-central1-aiplatform.googleapis.com"), "vertex");
    CHECK_STR(match_label(l, "aiplatform.googleapis.com"), "(none)");
    CHECK_STR(match_label(l, "x.us-central1-aiplatform.googleapis.com"), "(none)");
    CHECK_STR(match_label(l, "bedrock-runtime.us-east-1.amazonaws.com"), "bedrock");
    CHECK_STR(match_label(l, "bedrock-runtime.amazonaws.com"), "(none)");
    CHECK_STR(match_label(l, "bedrock-runtime.a.b.amazonaws.com"), "(none)");
    /* most specific wins: exact deep entry over the .sub suffix */
    CHECK_STR(match_label(l, "deep.sub.example.com"), "deep");
    CHECK_STR(match_label(l, "x.deep.sub.example.com"), "sub");
    CHECK_STR(match_label(l, ""), "(none)");
    CHECK_STR(match_label(l, "."), "(none)");
    const struct lists_stats *st = lists_get_stats(l);
    CHECK_EQ_U64(st->domains, 6);
    CHECK_EQ_U64(st->globs, 2);
    CHECK_EQ_U64(st->entries, 8);
    lists_free(l);

    /* duplicates merge their flags */
    l = load_str("dup.org\n*.dup.org\ndup.org\n", err, sizeof err);
    CHECK(l != NULL);
    if (l) {
        CHECK_EQ_U64(lists_get_stats(l)->duplicates, 2);
        CHECK_EQ_U64(lists_count(l), 1);
        CHECK(lists_match_domain(l, "dup.org") != NULL);
        CHECK(lists_match_domain(l, "a.dup.org") != NULL);
        lists_free(l);
    }
}

static void test_addrs(void)
{
    char err[256];
    struct lists_list *l = load_str(
        "10.0.0.0/8 wide\n10.1.0.0/16 narrow\n10.1.2.3 host\n10.1.2.3:443 hostport\n"
        "2001:db8::/32 v6net\n[2001:db8::1]:8443 v6port\naddr:192.0.2.7\n"
        "0.0.0.0/0 all4\n11434 ollama\nport:8888 jupyter\n", err, sizeof err);
    CHECK(l != NULL);
    if (!l) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    struct xm_addr a;
    const struct lists_entry *e;
    xm_addr_parse("10.1.2.3", &a);
    e = lists_match_addr(l, &a, 443);
    CHECK(e && strcmp(e->label, "hostport") == 0 && e->port == 443);
    e = lists_match_addr(l, &a, 80);
    CHECK(e && strcmp(e->label, "host") == 0);
    xm_addr_parse("10.1.9.9", &a);
    e = lists_match_addr(l, &a, 0);
    CHECK(e && strcmp(e->label, "narrow") == 0 && e->kind == LISTS_CIDR && e->plen == 16);
    xm_addr_parse("10.200.0.1", &a);
    e = lists_match_addr(l, &a, 0);
    CHECK(e && strcmp(e->label, "wide") == 0);
    xm_addr_parse("8.8.8.8", &a);
    e = lists_match_addr(l, &a, 0);
    CHECK(e && strcmp(e->label, "all4") == 0);
    xm_addr_parse("192.0.2.7", &a);
    e = lists_match_addr(l, &a, 0);
    CHECK(e && e->kind == LISTS_ADDR && e->line == 7);
    xm_addr_parse("2001:db8::1", &a);
    e = lists_match_addr(l, &a, 8443);
    CHECK(e && strcmp(e->label, "v6port") == 0);
    e = lists_match_addr(l, &a, 443);
    CHECK(e && strcmp(e->label, "v6net") == 0);
    xm_addr_parse("2001:db9::1", &a);
    CHECK(lists_match_addr(l, &a, 0) == NULL);
    e = lists_match_port(l, 11434);
    CHECK(e && strcmp(e->label, "ollama") == 0);
    e = lists_match_port(l, 8888);
    CHECK(e && strcmp(e->label, "jupyter") == 0);
    CHECK(lists_match_port(l, 8080) == NULL);
    CHECK_EQ_U64(lists_get_stats(l)->cidrs, 4);
    CHECK_EQ_U64(lists_get_stats(l)->addrs, 4);
    CHECK_EQ_U64(lists_get_stats(l)->ports, 2);
    lists_free(l);
}

static void test_http(void)
{
    char err[256];
    struct lists_list *l = load_str("header:X-Filename: tpcp.tar.gz\nheader:X-Exfil\n"
                                    "ua:litellm/\n", err, sizeof err);
    CHECK(l != NULL);
    if (!l)
        return;
    struct lists_http_hdr h[3] = {{"Host", "models.litellm.cloud"},
                                  {"x-filename", "  tpcp.tar.gz "},
                                  {"User-Agent", "python-requests/2.31"}};
    const struct lists_entry *e = lists_match_http(l, h, 3);
    CHECK(e && e->kind == LISTS_HEADER && strcmp(e->value, "tpcp.tar.gz") == 0);
    h[1].value = "other.tar.gz";
    CHECK(lists_match_http(l, h, 3) == NULL);
    h[1].name = "X-Exfil";
    e = lists_match_http(l, h, 3);
    CHECK(e && e->line == 2);
    CHECK(lists_match_ua(l, "Mozilla/5.0 LiteLLM/1.82.8") != NULL);
    CHECK(lists_match_ua(l, "litellm") == NULL);
    CHECK(lists_match_ua(l, NULL) == NULL);
    lists_free(l);
}

static struct lists_list *load_data(const char *path)
{
    char err[512];
    struct lists_list *l = NULL;
    if (lists_load_file(path, NULL, 7, &l, err, sizeof err) != 0)
        fprintf(stderr, "%s\n", err);
    CHECK(l != NULL);
    return l;
}

static void test_teampcp(void)
{
    struct lists_list *l = load_data("data/ioc/teampcp.list");
    if (!l)
        return;
    CHECK_STR(lists_name(l), "teampcp");
    CHECK_STR(match_label(l, "models.litellm.cloud"), "litellm-exfil");
    CHECK_STR(match_label(l, "checkmarx.zone"), "kics-c2");
    CHECK_STR(match_label(l, "scan.aquasecurtiy.org"), "trivy-exfil");
    CHECK_STR(match_label(l, "litellm.ai"), "(none)");
    CHECK_STR(match_label(l, "checkmarx.com"), "(none)");
    struct xm_addr a;
    xm_addr_parse("83.142.209.203", &a);
    const struct lists_entry *e = lists_match_addr(l, &a, 8080);
    CHECK(e && e->port == 8080 && strcmp(e->label, "telnyx-c2") == 0);
    e = lists_match_addr(l, &a, 443);
    CHECK(e && e->port == 0);
    xm_addr_parse("83.142.209.204", &a);
    CHECK(lists_match_addr(l, &a, 8080) == NULL);
    struct lists_http_hdr h = {"X-Filename", "tpcp.tar.gz"};
    CHECK(lists_match_http(l, &h, 1) != NULL);
    lists_free(l);
}

static void test_ai_data(void)
{
    struct lists_list *ep = load_data("data/ai/llm_endpoints.list");
    struct lists_list *ua = load_data("data/ai/user_agents.list");
    struct lists_list *po = load_data("data/ai/ports.list");
    struct lists_list *ve = load_data("data/vendors.list");
    if (ep) {
        CHECK_STR(match_label(ep, "api.openai.com"), "openai");
        CHECK_STR(match_label(ep, "europe-west4-aiplatform.googleapis.com"), "vertex");
        CHECK_STR(match_label(ep, "myres.openai.azure.com"), "azure-openai");
        CHECK_STR(match_label(ep, "bedrock-runtime.eu-west-1.amazonaws.com"), "bedrock");
        CHECK_STR(match_label(ep, "cdn-lfs-us-1.hf.co"), "huggingface");
        CHECK_STR(match_label(ep, "openai.com"), "(none)");
        CHECK_STR(match_label(ep, "s3.amazonaws.com"), "(none)");
    }
    if (ua) {
        CHECK(lists_match_ua(ua, "OpenAI/Python 1.51.0") != NULL);
        CHECK(lists_match_ua(ua, "ollama-python/0.3.3 (x86_64 linux) Python/3.11") != NULL);
        CHECK(lists_match_ua(ua, "python-requests/2.31.0") == NULL);
    }
    if (po) {
        const struct lists_entry *e = lists_match_port(po, 11434);
        CHECK(e && strcmp(e->label, "ollama") == 0);
        CHECK(lists_match_port(po, 443) == NULL);
    }
    CHECK(ve != NULL);
    lists_free(ep);
    lists_free(ua);
    lists_free(po);
    lists_free(ve);
}

int main(void)
{
    test_errors();
    test_domains();
    test_addrs();
    test_http();
    test_teampcp();
    test_ai_data();
    return xm_test_result();
}
