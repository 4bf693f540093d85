/*
 * xm_http.h - HTTP/1.x request-head parser (RFC 9112 3 and 5; header
 * names compared case-insensitively, RFC 9110 5.1).  analysis/http.c.
 *
 * Pure parser over the client's first bytes: reads only through struct
 * xm_rd, never allocates, writes into the caller's struct http_req.
 * Ownership: the caller owns input and output; nothing is kept.
 *
 * Only the first request of a connection is parsed.  Header values are
 * trimmed of surrounding blanks, cut to the field size (the *_cut flag
 * says so), and bytes outside 0x20..0x7e become '?' so the text is
 * plain ASCII.  `host` is the Host header lower-cased without ":port";
 * for CONNECT without a Host header the authority of the request target
 * is used.
 */
#ifndef XM_HTTP_H
#define XM_HTTP_H

#include "xm_common.h"

#define HTTP_METHOD_MAX 15
#define HTTP_HOST_MAX 253
#define HTTP_UA_MAX 127
#define HTTP_CTYPE_MAX 63
#define HTTP_FILENAME_MAX 63
#define HTTP_HEAD_MAX 16384      /* a head longer than this is invalid */

enum http_result {
    HTTP_OK = 0,      /* request line and all headers up to CRLF CRLF */
    HTTP_NEED_MORE,   /* bytes end before the end of the head (truncated) */
    HTTP_NOT_HTTP,    /* does not start with "METHOD SP target SP HTTP/" */
    HTTP_INVALID,     /* malformed line, over-long head, bad number */
    HTTP_RESULT_MAX
};

struct http_req {
    char method[HTTP_METHOD_MAX + 1];
    char host[HTTP_HOST_MAX + 1];
    char user_agent[HTTP_UA_MAX + 1];
    char content_type[HTTP_CTYPE_MAX + 1];
    char x_filename[HTTP_FILENAME_MAX + 1];
    uint32_t url_len;          /* octets of the request target */
    uint64_t content_length;   /* valid when has_content_length */
    uint8_t version_minor;     /* 0 or 1 for HTTP/1.0, HTTP/1.1 */
    bool has_host, has_user_agent, has_content_type, has_x_filename;
    bool has_content_length;
    bool ua_cut, ctype_cut, filename_cut, host_cut;
    uint16_t n_headers;
    uint32_t head_len;         /* octets including the final CRLF CRLF */
};

/* Parses the request head at p[0, len).  Always initialises *q. */
enum http_result http_parse_request(const uint8_t *p, size_t len, struct http_req *q);

/* True when p starts with an upper-case token and a space (cheap test
 * used to decide whether to look further). */
bool http_request_start(const uint8_t *p, size_t len);

const char *http_result_name(enum http_result r);

#endif
