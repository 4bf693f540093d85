/*
 * http.c - HTTP/1.x request-head parser.  See include/xm_http.h.
 * No allocation; lines are walked with xm_rd peeks.
 */
#include "xm_http.h"
#include "xm_rd.h"

#define HTTP1_NAME_MAX 31   /* header names we compare are shorter */

const char *http1_result_name(enum http1_result r)
{
    static const char *const names[HTTP1_RESULT_MAX] = {
        "ok", "need_more", "not_http", "invalid"};
    return (unsigned)r < HTTP1_RESULT_MAX ? names[r] : "unknown";
}

static bool http1_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
static bool http1_blank(uint8_t c) { return c == ' ' || c == '\t'; }
static char http1_lower(uint8_t c) { return (char)(http1_upper(c) ? c + 32 : c); }

bool http1_request_start(const uint8_t *p, size_t len)
{
    struct xm_rd r;
    uint8_t c = 0;
    size_t n = 0;
    xm_rd_init(&r, p, len);
    while (xm_rd_peek8(&r, n, &c) && http1_upper(c) && n <= HTTP1_METHOD_MAX)
        n++;
    return n >= 3 && n <= HTTP1_METHOD_MAX && xm_rd_peek8(&r, n, &c) && c == ' ';
}

/* True when every byte present could still begin "METHOD SP". */
static bool http1_method_prefix(const struct xm_rd *r)
{
    uint8_t c = 0;
    size_t n = 0;
    while (xm_rd_peek8(r, n, &c) && http1_upper(c))
        n++;
    return n == xm_rd_left(r) && n <= HTTP1_METHOD_MAX;
}

/* Contract in include/xm_http.h (shared with http_resp.c). */
enum http1_result http1_next_line(struct xm_rd *r, struct xm_rd *line)
{
    size_t n = 0;
    uint8_t c = 0;
    while (xm_rd_peek8(r, n, &c) && c != '\n')
        n++;
    if (c != '\n')
        return r->off + n > HTTP1_HEAD_MAX ? HTTP1_INVALID : HTTP1_NEED_MORE;
    xm_rd_sub(r, n, line);
    xm_rd_skip(r, 1);
    if (n > 0 && xm_rd_peek8(line, n - 1, &c) && c == '\r')
        xm_rd_init(line, line->p, n - 1);
    return r->off > HTTP1_HEAD_MAX ? HTTP1_INVALID : HTTP1_OK;
}

/* Copies the rest of `v` (trimmed) as text into dst[cap]; returns cut. */
static bool http1_copy_value(struct xm_rd *v, char *dst, size_t cap, bool lower)
{
    uint8_t c = 0;
    while (xm_rd_peek8(v, 0, &c) && http1_blank(c))
        xm_rd_skip(v, 1);
    size_t n = xm_rd_left(v);
    while (n > 0 && xm_rd_peek8(v, n - 1, &c) && http1_blank(c))
        n--;
    bool cut = n > cap - 1;
    size_t take = cut ? cap - 1 : n;
    for (size_t i = 0; i < take; i++) {
        xm_rd_u8(v, &c);
        c = (c < 0x20 || c > 0x7e) ? '?' : c;
        dst[i] = lower ? http1_lower(c) : (char)c;
    }
    dst[take] = '\0';
    return cut;
}

/* Removes ":port" from a host (keeps "[v6]" literals whole). */
static void http1_strip_port(char *h)
{
    char *end = h[0] == '[' ? strchr(h, ']') : h;
    char *colon = end ? strchr(end, ':') : NULL;
    if (colon)
        *colon = '\0';
}

/* Decimal Content-Length (RFC 9110 8.6); false on junk or overflow. */
static bool http1_number(struct xm_rd *v, uint64_t *out)
{
    char buf[24];
    if (http1_copy_value(v, buf, sizeof buf, false) || buf[0] == '\0')
        return false;
    uint64_t n = 0;
    for (const char *s = buf; *s; s++) {
        if (*s < '0' || *s > '9' || n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    *out = n;
    return true;
}

static enum http1_result http1_header_value(const char *name, struct xm_rd *v,
                                          struct http1_req *q)
{
    if (!strcmp(name, "host") && !q->has_host) {
        q->host_cut = http1_copy_value(v, q->host, sizeof q->host, true);
        http1_strip_port(q->host);
        q->has_host = true;
    } else if (!strcmp(name, "user-agent") && !q->has_user_agent) {
        q->ua_cut = http1_copy_value(v, q->user_agent, sizeof q->user_agent, false);
        q->has_user_agent = true;
    } else if (!strcmp(name, "content-type") && !q->has_content_type) {
        q->ctype_cut = http1_copy_value(v, q->content_type, sizeof q->content_type, false);
        q->has_content_type = true;
    } else if (!strcmp(name, "x-filename") && !q->has_x_filename) {
        q->filename_cut = http1_copy_value(v, q->x_filename, sizeof q->x_filename, false);
        q->has_x_filename = true;
    } else if (!strcmp(name, "content-length") && !q->has_content_length) {
        if (!http1_number(v, &q->content_length))
            return HTTP1_INVALID;
        q->has_content_length = true;
    }
    return HTTP1_OK;
}

/* One "name: value" line; names longer than HTTP1_NAME_MAX are skipped. */
static enum http1_result http1_header(struct xm_rd *line, struct http1_req *q)
{
    char name[HTTP1_NAME_MAX + 1];
    size_t n = 0;
    uint8_t c = 0;
    if (xm_rd_peek8(line, 0, &c) && http1_blank(c))
        return HTTP1_OK;                      /* obs-fold continuation */
    while (xm_rd_u8(line, &c) && c != ':') {
        if (http1_blank(c) || c < 0x21 || c > 0x7e)
            return HTTP1_INVALID;
        if (n < HTTP1_NAME_MAX)
            name[n] = http1_lower(c);
        n++;
    }
    if (c != ':' || n == 0)
        return HTTP1_INVALID;
    q->n_headers++;
    if (n > HTTP1_NAME_MAX)
        return HTTP1_OK;
    name[n] = '\0';
    return http1_header_value(name, line, q);
}

/* "METHOD SP" into q->method. */
static enum http1_result http1_method(struct xm_rd *line, struct http1_req *q)
{
    size_t n = 0;
    uint8_t c = 0;
    while (xm_rd_u8(line, &c) && http1_upper(c) && n < HTTP1_METHOD_MAX)
        q->method[n++] = (char)c;
    q->method[n] = '\0';
    return (c == ' ' && n >= 3) ? HTTP1_OK : HTTP1_NOT_HTTP;
}

/* CONNECT authority-form target "host:port" -> q->host when no Host. */
static void http1_connect_host(const struct xm_rd *target, struct http1_req *q)
{
    struct xm_rd t = *target;
    http1_copy_value(&t, q->host, sizeof q->host, true);
    http1_strip_port(q->host);
}

/* "target SP HTTP/1.x" after the method. */
static enum http1_result http1_target_version(struct xm_rd *line, struct http1_req *q)
{
    size_t n = 0;
    uint8_t c = 0;
    while (xm_rd_peek8(line, n, &c) && c != ' ')
        n++;
    struct xm_rd target;
    xm_rd_sub(line, n, &target);
    q->url_len = (uint32_t)n;
    struct xm_rd url = target;
    q->url_cut = http1_copy_value(&url, q->url, sizeof q->url, false);
    char ver[9] = {0};
    if (n == 0 || !xm_rd_skip(line, 1) || xm_rd_left(line) != 8 || !xm_rd_copy(line, ver, 8))
        return HTTP1_NOT_HTTP;
    if (memcmp(ver, "HTTP/1.", 7) != 0 || ver[7] < '0' || ver[7] > '9')
        return HTTP1_NOT_HTTP;
    q->version_minor = (uint8_t)(ver[7] - '0');
    if (!strcmp(q->method, "CONNECT"))
        http1_connect_host(&target, q);
    return HTTP1_OK;
}

static enum http1_result http1_request_line(struct xm_rd *r, struct http1_req *q)
{
    struct xm_rd line;
    enum http1_result res = http1_next_line(r, &line);
    if (res == HTTP1_NEED_MORE && !http1_request_start(r->p, r->len) &&
        !http1_method_prefix(r))
        return HTTP1_NOT_HTTP;
    if (res != HTTP1_OK)
        return res;
    res = http1_method(&line, q);
    return res == HTTP1_OK ? http1_target_version(&line, q) : res;
}

enum http1_result http1_parse_request(const uint8_t *p, size_t len, struct http1_req *q)
{
    struct xm_rd r, line;
    memset(q, 0, sizeof *q);
    xm_rd_init(&r, p, len);
    enum http1_result res = http1_request_line(&r, q);
    while (res == HTTP1_OK) {
        res = http1_next_line(&r, &line);
        if (res != HTTP1_OK)
            break;
        if (xm_rd_left(&line) == 0) {
            q->head_len = (uint32_t)r.off;
            break;
        }
        res = http1_header(&line, q);
    }
    if (!q->has_host && q->host[0])      /* CONNECT target, no Host header */
        q->has_host = true;
    return res;
}
