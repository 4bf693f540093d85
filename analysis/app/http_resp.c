/*
 * http_resp.c - HTTP/1.x response head (RFC 9112 4 status line, RFC 9110
 * 8.6 Content-Length) from the server's first bytes.  See
 * include/xm_http.h.  Reads only through struct xm_rd; nothing is
 * allocated or kept.
 */
#include "xm_http.h"
#include "xm_rd.h"

#include <string.h>

static char http1r_lower(uint8_t c) { return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c); }

/* "HTTP/1.x SP 3DIGIT" (the reason phrase is ignored); the first digit
 * is 1..9 (RFC 9110 15: 100..599, larger kept as sent). */
static enum http1_result http1r_status(struct xm_rd *line, struct http1_resp *s)
{
    char v[13] = {0};
    if (!xm_rd_copy(line, v, 12))
        return HTTP1_NOT_HTTP;
    if (memcmp(v, "HTTP/1.", 7) != 0 || v[7] < '0' || v[7] > '9' || v[8] != ' ')
        return HTTP1_NOT_HTTP;
    for (int i = 9; i < 12; i++)
        if (v[i] < '0' || v[i] > '9' || (i == 9 && v[i] == '0'))
            return HTTP1_INVALID;
    s->status = (uint16_t)((v[9] - '0') * 100 + (v[10] - '0') * 10 + (v[11] - '0'));
    return HTTP1_OK;
}

/* True when the line's header name is "content-length"; v then holds the
 * value (after the colon). */
static bool http1r_is_length(struct xm_rd *line)
{
    static const char want[] = "content-length:";
    for (size_t i = 0; i + 1 < sizeof want; i++) {
        uint8_t c = 0;
        if (!xm_rd_u8(line, &c) || http1r_lower(c) != want[i])
            return false;
    }
    return true;
}

static enum http1_result http1r_number(struct xm_rd *v, uint64_t *out)
{
    uint8_t c = 0;
    uint64_t n = 0;
    size_t digits = 0;
    while (xm_rd_peek8(v, 0, &c) && (c == ' ' || c == '\t'))
        xm_rd_skip(v, 1);
    while (xm_rd_u8(v, &c) && c >= '0' && c <= '9') {
        if (n > (UINT64_MAX - 9) / 10)
            return HTTP1_INVALID;
        n = n * 10 + (uint64_t)(c - '0');
        digits++;
    }
    if (digits == 0 || (c != ' ' && c != '\t' && (c < '0' || c > '9')))
        return HTTP1_INVALID;
    *out = n;
    return HTTP1_OK;
}

enum http1_result http1_parse_response(const uint8_t *p, size_t len, struct http1_resp *s)
{
    struct xm_rd r, line;
    memset(s, 0, sizeof *s);
    xm_rd_init(&r, p, len);
    enum http1_result res = http1_next_line(&r, &line);
    if (res == HTTP1_NEED_MORE && len >= 5 && memcmp(p, "HTTP/", 5) != 0)
        return HTTP1_NOT_HTTP;
    if (res == HTTP1_OK)
        res = http1r_status(&line, s);
    while (res == HTTP1_OK) {
        if ((res = http1_next_line(&r, &line)) != HTTP1_OK)
            break;
        if (xm_rd_left(&line) == 0)
            break;                          /* end of the head */
        if (!s->has_content_length && http1r_is_length(&line)) {
            res = http1r_number(&line, &s->content_length);
            s->has_content_length = res == HTTP1_OK;
        }
    }
    return res;
}
