/*
 * xm_http.h - HTTP/1.x request-head parser (RFC 9112 3 and 5; header
 * names compared case-insensitively, RFC 9110 5.1).  analysis/app/http.c.
 *
 * Pure parser over the client's first bytes: reads only through struct
 * xm_rd, never allocates, writes into the caller's struct http1_req.
 * Ownership: the caller owns input and output; nothing is kept.
 *
 * Only the first request of a connection is parsed.  Header values are
 * trimmed of surrounding blanks, cut to the field size (the *_cut flag
 * says so), and bytes outside 0x20..0x7e become '?' so the text is
 * plain ASCII.  `host` is the Host header lower-cased without ":port";
 * for CONNECT without a Host header the authority of the request target
 * is used.
 */
#ifndef XM_HTTP1_H
#define XM_HTTP1_H

#include "xm_common.h"

#define HTTP1_METHOD_MAX 15
#define HTTP1_HOST_MAX 253
#define HTTP1_UA_MAX 127
#define HTTP1_CTYPE_MAX 63
#define HTTP1_FILENAME_MAX 63
#define HTTP1_URL_MAX 255        /* request target kept (url_cut when longer) */
#define HTTP1_HEAD_MAX 16384      /* a head longer than this is invalid */

enum http1_result {
    HTTP1_OK = 0,      /* request line and all headers up to CRLF CRLF */
    HTTP1_NEED_MORE,   /* bytes end before the end of the head (truncated) */
    HTTP1_NOT_HTTP,    /* does not start with "METHOD SP target SP HTTP/" */
    HTTP1_INVALID,     /* malformed line, over-long head, bad number */
    HTTP1_RESULT_MAX
};

struct http1_req {
    char method[HTTP1_METHOD_MAX + 1];
    char host[HTTP1_HOST_MAX + 1];
    char user_agent[HTTP1_UA_MAX + 1];
    char content_type[HTTP1_CTYPE_MAX + 1];
    char x_filename[HTTP1_FILENAME_MAX + 1];
    char url[HTTP1_URL_MAX + 1];   /* request target, cut, odd bytes '?' */
    uint32_t url_len;          /* octets of the request target (whole) */
    uint64_t content_length;   /* valid when has_content_length */
    uint8_t version_minor;     /* 0 or 1 for HTTP/1.0, HTTP/1.1 */
    bool has_host, has_user_agent, has_content_type, has_x_filename;
    bool has_content_length;
    bool ua_cut, ctype_cut, filename_cut, host_cut, url_cut;
    uint16_t n_headers;
    uint32_t head_len;         /* octets including the final CRLF CRLF */
};

/* Parses the request head at p[0, len).  Always initialises *q. */
enum http1_result http1_parse_request(const uint8_t *p, size_t len, struct http1_req *q);

/* True when p starts with an upper-case token and a space (cheap test
 * used to decide whether to look further). */
bool http1_request_start(const uint8_t *p, size_t len);

const char *http1_result_name(enum http1_result r);

/*
 * Carves the next line (without CR LF) of a request or response head out
 * of r into *line (a view into r's bytes) and moves r past its LF.
 * NEED_MORE when no LF is present yet; INVALID once the head passes
 * HTTP1_HEAD_MAX bytes (RFC 9112 2.2 lets a recipient bound it).
 */
struct xm_rd;
enum http1_result http1_next_line(struct xm_rd *r, struct xm_rd *line);

/*
 * Response head (analysis/app/http_resp.c) from the server's first bytes:
 * status code and Content-Length.  Always initialises *s.  HTTP1_OK when
 * the head ended (CRLF CRLF); NEED_MORE when the bytes end inside it (what
 * was parsed is kept); NOT_HTTP when they do not start "HTTP/1.x ".
 */
struct http1_resp {
    uint16_t status;           /* 100..999, 0 when the line was not read */
    uint64_t content_length;   /* valid when has_content_length */
    bool has_content_length;
};
enum http1_result http1_parse_response(const uint8_t *p, size_t len, struct http1_resp *s);

#endif
