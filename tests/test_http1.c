/*
 * test_http1.c - HTTP/1.x request-head parser (analysis/app/http.c) on
 * hand-written requests: fields, every truncation point, CONNECT,
 * header-name case, over-long values, malformed heads.
 */
#include <stdio.h>
#include <stdlib.h>

#include "xm_http.h"
#include "xm_test.h"

static enum http1_result parse(const char *s, size_t n, struct http1_req *q)
{
    char *copy = malloc(n ? n : 1);               /* exact size for ASan */
    memcpy(copy, s, n);
    enum http1_result r = http1_parse_request((const uint8_t *)copy, n, q);
    free(copy);
    return r;
}

static const char stealer[] =
    "POST /v1/upload?x=1 HTTP/1.1\r\n"
    "Host: Models.LiteLLM.cloud:8080\r\n"
    "user-agent:   python-requests/2.31.0  \r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Length: 40960\r\n"
    "X-Filename: tpcp.tar.gz\r\n"
    "X-Other: 1\r\n"
    "\r\n"
    "BODYBYTES";

static void test_fields(void)
{
    struct http1_req q;
    size_t head = strlen(stealer) - strlen("BODYBYTES");
    CHECK_EQ_U64(parse(stealer, strlen(stealer), &q), HTTP1_OK);
    CHECK_STR(q.method, "POST");
    CHECK_STR(q.host, "models.litellm.cloud");
    CHECK_STR(q.user_agent, "python-requests/2.31.0");
    CHECK_STR(q.content_type, "application/octet-stream");
    CHECK(q.has_content_length);
    CHECK_EQ_U64(q.content_length, 40960);
    CHECK(q.has_x_filename);
    CHECK_STR(q.x_filename, "tpcp.tar.gz");
    CHECK_EQ_U64(q.url_len, strlen("/v1/upload?x=1"));
    CHECK_EQ_U64(q.version_minor, 1);
    CHECK_EQ_U64(q.n_headers, 6);
    CHECK_EQ_U64(q.head_len, head);
    CHECK(http1_request_start((const uint8_t *)stealer, 5));
    /* every cut before the end of the head needs more */
    int bad = 0;
    for (size_t cut = 0; cut < head; cut++) {
        enum http1_result r = parse(stealer, cut, &q);
        if (r != HTTP1_NEED_MORE) {
            fprintf(stderr, "cut %zu -> %s\n", cut, http1_result_name(r));
            bad++;
        }
    }
    CHECK(bad == 0);
    /* a cut after the Host line keeps the host */
    CHECK_EQ_U64(parse(stealer, 70, &q), HTTP1_NEED_MORE);
    CHECK_STR(q.host, "models.litellm.cloud");
}

static void test_variants(void)
{
    struct http1_req q;
    const char *connect = "CONNECT api.openai.com:443 HTTP/1.1\r\nUser-Agent: x\r\n\r\n";
    CHECK_EQ_U64(parse(connect, strlen(connect), &q), HTTP1_OK);
    CHECK(q.has_host);
    CHECK_STR(q.host, "api.openai.com");
    const char *connect2 = "CONNECT 1.2.3.4:443 HTTP/1.1\r\nHost: proxy.example:443\r\n\r\n";
    CHECK_EQ_U64(parse(connect2, strlen(connect2), &q), HTTP1_OK);
    CHECK_STR(q.host, "proxy.example");
    const char *v6 = "GET / HTTP/1.0\nHOST: [2001:db8::1]:8080\n\n";
    CHECK_EQ_U64(parse(v6, strlen(v6), &q), HTTP1_OK);
    CHECK_STR(q.host, "[2001:db8::1]");
    CHECK_EQ_U64(q.version_minor, 0);
    CHECK(!q.has_content_length);
    char longua[400];
    int n = snprintf(longua, sizeof longua, "GET /x HTTP/1.1\r\nUser-Agent: %0300d\r\n\r\n", 7);
    CHECK_EQ_U64(parse(longua, (size_t)n, &q), HTTP1_OK);
    CHECK(q.ua_cut);
    CHECK_EQ_U64(strlen(q.user_agent), HTTP1_UA_MAX);
    const char *bin = "GET / HTTP/1.1\r\nUser-Agent: a\x01\xff" "b\r\n\r\n";
    CHECK_EQ_U64(parse(bin, strlen(bin), &q), HTTP1_OK);
    CHECK_STR(q.user_agent, "a??b");
}

static void test_bad(void)
{
    struct http1_req q;
    const char *tls = "\x16\x03\x01\x00\x10";
    CHECK_EQ_U64(parse(tls, 5, &q), HTTP1_NOT_HTTP);
    CHECK(!http1_request_start((const uint8_t *)tls, 5));
    const char *ssh = "SSH-2.0-OpenSSH_9.2\r\n";
    CHECK_EQ_U64(parse(ssh, strlen(ssh), &q), HTTP1_NOT_HTTP);
    const char *v2 = "GET / HTTP/2.0\r\n\r\n";
    CHECK_EQ_U64(parse(v2, strlen(v2), &q), HTTP1_NOT_HTTP);
    const char *nover = "GET /\r\n\r\n";
    CHECK_EQ_U64(parse(nover, strlen(nover), &q), HTTP1_NOT_HTTP);
    const char *badcl = "POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n";
    CHECK_EQ_U64(parse(badcl, strlen(badcl), &q), HTTP1_INVALID);
    const char *bigcl = "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    CHECK_EQ_U64(parse(bigcl, strlen(bigcl), &q), HTTP1_INVALID);
    const char *nocolon = "GET / HTTP/1.1\r\nHost example\r\n\r\n";
    CHECK_EQ_U64(parse(nocolon, strlen(nocolon), &q), HTTP1_INVALID);
    const char *spname = "GET / HTTP/1.1\r\nHost : example\r\n\r\n";
    CHECK_EQ_U64(parse(spname, strlen(spname), &q), HTTP1_INVALID);
    /* a head with no end longer than HTTP1_HEAD_MAX is invalid */
    size_t n = HTTP1_HEAD_MAX + 100;
    char *big = malloc(n);
    memset(big, 'a', n);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    CHECK_EQ_U64(parse(big, n, &q), HTTP1_INVALID);
    free(big);
    CHECK_EQ_U64(parse("", 0, &q), HTTP1_NEED_MORE);
    CHECK_EQ_U64(parse("GETX", 4, &q), HTTP1_NEED_MORE);
    CHECK_EQ_U64(parse("Get ", 4, &q), HTTP1_NOT_HTTP);
}

static void test_response(void)
{
    static const char ok[] = "HTTP/1.1 201 Created\r\nServer: x\r\nCONTENT-LENGTH:  42 \r\n\r\nbody";
    struct http1_resp r;
    CHECK_EQ_U64(http1_parse_response((const uint8_t *)ok, strlen(ok), &r), HTTP1_OK);
    CHECK_EQ_U64(r.status, 201);
    CHECK(r.has_content_length);
    CHECK_EQ_U64(r.content_length, 42);
    CHECK_EQ_U64(http1_parse_response((const uint8_t *)ok, 30, &r), HTTP1_NEED_MORE);
    CHECK_EQ_U64(r.status, 201);
    CHECK(!r.has_content_length);
    static const char *const bad[] = {"HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 020 OK\r\n\r\n",
                                      "HTTP/1.1 200 OK\r\nContent-Length: 4a\r\n\r\n",
                                      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_U64(http1_parse_response((const uint8_t *)bad[i], strlen(bad[i]), &r),
                     HTTP1_INVALID);
    static const char *const nothttp[] = {"SSH-2.0-x\r\n", "HTTP/2 200\r\n\r\n", "\x16\x03\x03\x01\x10\x02"};
    for (size_t i = 0; i < sizeof nothttp / sizeof nothttp[0]; i++)
        CHECK_EQ_U64(http1_parse_response((const uint8_t *)nothttp[i], strlen(nothttp[i]), &r),
                     HTTP1_NOT_HTTP);
    static const char url[] = "GET /a/b?c=d HTTP/1.1\r\nHost: h\r\n\r\n";
    struct http1_req q;
    CHECK_EQ_U64(http1_parse_request((const uint8_t *)url, strlen(url), &q), HTTP1_OK);
    CHECK_STR(q.url, "/a/b?c=d");
    CHECK_EQ_U64(q.url_len, 8);
}

int main(void)
{
    test_response();
    test_fields();
    test_variants();
    test_bad();
    return xm_test_result();
}
