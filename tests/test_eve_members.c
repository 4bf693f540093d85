/*
 * test_eve_members.c - the stage's flow-record members written into the
 * streaming EVE writer (app_eve_write, intel_eve_write, aihost_eve_write)
 * against json_dumpb(JSON_COMPACT) of the jansson forms the alerts still
 * use (app_eve_add, intel_eve_add, aihost_eve_add): byte for byte, over
 * edge values that reach the text (quotes, backslashes, control bytes,
 * non-ASCII UTF-8, bytes that are not UTF-8, empty and missing fields,
 * unnamed flows, unknown DNS types), starting from a tiny buffer so every
 * member also crosses a buffer growth.  argv[1]: the directory of the
 * test MMDBs (dest_geo), optional.
 */
#include <stdio.h>
#include <stdlib.h>

#include "app_build.h"
#include "xm_aihost.h"
#include "xm_app.h"
#include "xm_evew.h"
#include "xm_intel.h"
#include "xm_test.h"

#define T0 XM_SEC(1774347000)   /* 2026-03-24T10:10:00Z */

static struct app_ctx *app;
static struct intel_ctx *ic;
static unsigned compared;

static void flow_init(struct xm_flow *f, const char *srv, uint16_t sport, uint8_t proto)
{
    static uint16_t next_port = 40000;
    memset(f, 0, sizeof *f);
    xm_addr_parse("10.0.0.5", &f->cli);
    xm_addr_parse(srv, &f->srv);
    f->cli_port = next_port++;
    f->srv_port = sport;
    f->proto = proto;
    f->local = FLOW_LOCAL_CLIENT;
    f->state = FLOW_STATE_ESTABLISHED;
}

/* One packet of f in direction dir, counted as flow_update would. */
static void feed(struct xm_flow *f, int dir, const void *pl, size_t n, uint32_t seq)
{
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.ts = T0;
    p.ipver = 4;
    p.proto = f->proto;
    p.tcp_flags = 0x18;
    p.has_ports = true;
    p.src = dir ? f->srv : f->cli;
    p.dst = dir ? f->cli : f->srv;
    p.sport = dir ? f->srv_port : f->cli_port;
    p.dport = dir ? f->cli_port : f->srv_port;
    p.tcp_seq = seq;
    uint8_t *copy = malloc(n ? n : 1);            /* exact size for ASan */
    if (n)
        memcpy(copy, pl, n);
    p.l4_payload = n ? copy : NULL;
    p.l4_caplen = p.l4_len = (uint32_t)n;
    f->pkts[dir]++;
    if (!f->first)
        f->first = T0;
    f->last = T0;
    app_on_packet(app, &p, f, dir);
    free(copy);
}

/* The members streamed into a fresh writer (16 bytes to start). */
static char *streamed(const struct xm_flow *f)
{
    struct evew w;
    size_t n;
    evew_init(&w, 16, 1 << 20);
    evew_obj_begin(&w);
    app_eve_write(app, f, &w);
    intel_eve_write(ic, f, T0, &w);
    evew_obj_end(&w);
    const char *s = evew_text(&w, &n);
    char *out = s ? strdup(s) : NULL;
    evew_free(&w);
    return out;
}

/* The same members as a jansson tree, dumped as the old records were. */
static char *tree(const struct xm_flow *f)
{
    json_t *o = json_object();
    app_eve_add(app, f, o);
    intel_eve_add(ic, f, T0, o);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* Streamed == tree, and the text contains must (the edge value reached
 * the record; NULL: no such check), and lacks must_not. */
static void compare(const struct xm_flow *f, const char *must, const char *must_not)
{
    char *got = streamed(f), *want = tree(f);
    compared++;
    if (getenv("EVE_MEMBERS_SHOW"))
        printf("%s\n", got ? got : "(null)");
    CHECK(got != NULL && want != NULL);
    if (got && want && strcmp(got, want) != 0)
        fprintf(stderr, "streamed: %s\njansson:  %s\n", got, want);
    CHECK(got && want && strcmp(got, want) == 0);
    if (must && !(got && strstr(got, must)))
        fprintf(stderr, "missing %s in %s\n", must, got ? got : "(null)");
    CHECK(!must || (got && strstr(got, must)));
    CHECK(!must_not || (got && !strstr(got, must_not)));
    free(got);
    free(want);
}

static void http_case(const char *req, const char *resp, const char *must, const char *must_not)
{
    struct xm_flow f;
    flow_init(&f, "198.51.100.9", 80, 6);
    feed(&f, 0, req, strlen(req), 1);
    if (resp)
        feed(&f, 1, resp, strlen(resp), 1);
    compare(&f, must, must_not);
    app_on_flow_end(app, &f);
}

static void test_http(void)
{
    /* escapes: quote, backslash, tab, a control byte, DEL and '/' */
    http_case("POST /a\"b\\c/d HTTP/1.1\r\nHost: up.example.org\r\n"
              "User-Agent: x\t\"q\"\\\x01\x7f/y\r\nContent-Type: a/b\r\n"
              "Content-Length: 0\r\nX-Filename: \"f\\n\".tgz\r\n\r\n",
              "HTTP/1.1 201 Created\r\nContent-Length: 18446744073709551615\r\n\r\n",
              "\"x_filename\":\"\\\"f\\\\n\\\".tgz\"", NULL);
    /* non-ASCII UTF-8 in the agent and file name (the parser keeps
     * printable ASCII only: '?'), no Host (unnamed) */
    http_case("PUT /\xc3\xa9t\xc3\xa9 HTTP/1.1\r\nUser-Agent: \xe6\x97\xa5\xe6\x9c\xac\r\n"
              "X-Filename: \xf0\x9f\x93\x81.zip\r\n\r\n", NULL,
              "\"url\":\"/??t??\"", "\"hostname\"");
    /* bytes that are not UTF-8 (made '?' by the parser), a response */
    http_case("GET /ok HTTP/1.1\r\nHost: h.example.com\r\nUser-Agent: bad\xff\xfe\r\n"
              "Content-Type: \xc3\x28\r\nX-Filename: \xed\xa0\x80\r\n\r\n",
              "HTTP/1.1 404 Not Found\r\n\r\n", "\"status\":404", "\"length\"");
    /* empty values: Host and User-Agent present but empty */
    http_case("GET / HTTP/1.0\r\nHost:\r\nUser-Agent: \r\n\r\n", NULL, "\"url\":\"/\"", NULL);
}

static void tls_case(const char *sni, const char *alpn_wire, size_t alpn_len, int ech,
                     const char *must, const char *must_not)
{
    struct xm_flow f;
    struct bb ch = {.n = 0};
    flow_init(&f, "203.0.113.20", 443, 6);
    bb_client_hello(&ch, sni, alpn_wire, alpn_len, 0, ech);
    feed(&f, 0, ch.b, ch.n, 1);
    compare(&f, must, must_not);
    app_on_flow_end(app, &f);
}

static void test_tls(void)
{
    tls_case("www.example.com", "\x02h2\x08http/1.1", 12, 0,
             "\"client_alpns\":[\"h2\",\"http/1.1\"]", NULL);
    tls_case(NULL, NULL, 0, 0, "\"reason\"", "\"sni\"");                  /* no SNI, no ALPN */
    /* ALPN names with a quote, a backslash, non-ASCII bytes ('?') and a
     * comma (the text list splits it: two elements in both forms) */
    tls_case("alpn.example.net", "\x03\"a\\\x02\xc3\xa9\x03" "a,b\x01x", 13, 0,
             "[\"\\\"a\\\\\",\"??\",\"a\",\"b\",\"x\"]", NULL);
    tls_case("cover.example.org", "\x02h3", 3, 1, "\"ech\":true", NULL);
}

static void dns_case(const char *qname, unsigned qtype, const char *must, const char *must_not)
{
    struct xm_flow f;
    struct bb w = {.n = 0};
    flow_init(&f, "192.0.2.53", 53, 17);
    bb_dns_header(&w, 0x1234, 0x0100, 1, 0, 0, 0);
    bb_dname(&w, qname);
    bb_u16(&w, qtype);
    bb_u16(&w, 1);
    feed(&f, 0, w.b, w.n, 0);
    compare(&f, must, must_not);
    app_on_flow_end(app, &f);
}

static void test_dns(void)
{
    dns_case("Www.Example.COM", 1, "\"qtype\":\"A\"", NULL);
    dns_case("x.example.org", 999, "\"qtype\":\"TYPE999\"", NULL);
    dns_case("q\"u\\o.example.org", 16, "\"dns_query\"", NULL);
    dns_case("\xc3\xa9t\xc3\xa9.example.org", 28, "\"dns_query\"", NULL);
    dns_case("bad\xff.example.org", 65, NULL, NULL);    /* whatever the names do with it */
    dns_case("a\x01" "b.example.org", 1, NULL, NULL);
}

/* An unnamed flow (name null), then AI-host evidence with edge details
 * on the local host of every later record; an invalid detail takes the
 * whole "local_host" with it in both forms. */
static void test_unnamed_and_aihost(void)
{
    struct xm_flow f;
    flow_init(&f, "192.0.2.200", 443, 6);
    feed(&f, 0, NULL, 0, 1);
    compare(&f, "\"name\":null", "local_host");
    struct xm_addr h = f.cli;
    aihost_add_evidence(ic->aihost, &h, AIHOST_PROCESS, "tool \"x\" \\ \t\xc3\xa9", T0);
    aihost_add_evidence(ic->aihost, &h, AIHOST_USER_AGENT, "", T0 + XM_SEC(1));
    compare(&f, "\"local_host\":{\"ai\":true", NULL);
    struct xm_addr h2;
    xm_addr_parse("10.0.0.6", &h2);
    aihost_add_evidence(ic->aihost, &h2, AIHOST_PROCESS, "bad\xff", T0);
    f.cli = h2;
    compare(&f, "\"dest_name\"", "local_host");
    app_on_flow_end(app, &f);
}

/* The intel members of the stealer's request: ioc, http ioc, lookalike. */
static void test_intel(void)
{
    http_case("POST / HTTP/1.1\r\nHost: models.litellm.cloud\r\n"
              "User-Agent: python-requests/2.32.3\r\nContent-Length: 40960\r\n\r\n", NULL,
              "\"intel\":{\"ioc_list\"", NULL);
}

/* The comparison can fail: two different flows' texts differ. */
static void test_negative_control(void)
{
    struct xm_flow a, b;
    flow_init(&a, "192.0.2.1", 443, 6);
    flow_init(&b, "192.0.2.1", 80, 6);
    const char *req = "GET /x HTTP/1.1\r\nHost: a.example.com\r\n\r\n";
    feed(&b, 0, req, strlen(req), 1);
    char *s = streamed(&a), *t = tree(&b);
    CHECK(s && t && strcmp(s, t) != 0);
    free(s);
    free(t);
    app_on_flow_end(app, &b);
}

static struct lists_list *load(const char *path)
{
    char err[256];
    struct lists_list *l = NULL;
    if (lists_load_file(path, NULL, 9, &l, err, sizeof err) != 0)
        fprintf(stderr, "%s\n", err);
    CHECK(l != NULL);
    return l;
}

static void open_geo(const char *dir)
{
    char p[600], err[256];
    ic->geo = geo_new(64, 1);
    snprintf(p, sizeof p, "%s/test-country.mmdb", dir);
    CHECK_EQ_U64(geo_open(ic->geo, p, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s/test-asn.mmdb", dir);
    CHECK_EQ_U64(geo_open(ic->geo, p, err, sizeof err), 0);
}

int main(int argc, char **argv)
{
    char err[256];
    struct app_limits al;
    app_limits_default(&al);
    app = app_new(&al, 5);
    ic = calloc(1, sizeof *ic);
    struct lists_list *ioc = load("data/ioc/teampcp.list"), *vendors = load("data/vendors.list");
    if (!app || !ic || !ioc || !vendors)
        return xm_test_result();
    ic->ioc[ic->n_ioc++] = ioc;
    ic->lookalike = lookalike_new(vendors, 256, 3, err, sizeof err);
    struct aihost_config acfg = {NULL, NULL, NULL, 0, 64, 7};
    ic->aihost = aihost_new(&acfg);
    ic->app = app;
    if (argc > 1)
        open_geo(argv[1]);
    test_http();
    test_tls();
    test_dns();
    test_intel();
    test_unnamed_and_aihost();
    test_negative_control();
    printf("%u member sets compared%s\n", compared, ic->geo ? " (with dest_geo)" : "");
    geo_free(ic->geo);
    lookalike_free(ic->lookalike);
    aihost_free(ic->aihost);
    lists_free(ioc);
    lists_free(vendors);
    app_free(app);
    free(ic);
    return xm_test_result();
}
