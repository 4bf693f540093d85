/*
 * fuzz_http.c - libFuzzer target for the HTTP/1.x request-head parser
 * (analysis/app/http.c).  The whole input is the client's first bytes,
 * copied to an exact-size buffer so ASan sees any over-read; the output
 * invariants (plain ASCII, NUL inside each field) are asserted with abort().
 */
#include "xm_http.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
    size_t n = strlen(s);
    if (n >= cap)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct http1_req q;
    enum http1_result r = http1_parse_request(buf, size, &q);
    check_text(q.method, sizeof q.method);
    check_text(q.host, sizeof q.host);
    check_text(q.user_agent, sizeof q.user_agent);
    check_text(q.content_type, sizeof q.content_type);
    check_text(q.x_filename, sizeof q.x_filename);
    if (r == HTTP1_OK && (q.head_len > size || q.head_len == 0))
        abort();
    http1_request_start(buf, size);
    check_text(q.url, sizeof q.url);
    struct http1_resp rs;             /* the same bytes as a response head */
    enum http1_result rr = http1_parse_response(buf, size, &rs);
    if ((rr == HTTP1_OK && (rs.status < 100 && rs.status != 0)) || rs.status > 999)
        abort();
    free(buf);
    return 0;
}
