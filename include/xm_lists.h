/*
 * xm_lists.h - named intelligence lists loaded from plain text files
 * (analysis/intel/lists.c): domains, addresses, CIDRs, ports and HTTP markers.
 *
 * File format (UTF-8/ASCII, one entry per line, LF or CRLF):
 *   # comment            '#' at line start or after white space
 *   models.litellm.cloud           domain, exact name only
 *   *.trycloudflare.com            domain, strict subdomains only
 *   .ngrok.io                      domain, the name itself and subdomains
 *   *-aiplatform.googleapis.com    domain glob: '*' matches 0+ characters
 *                                  inside ONE label (never a dot)
 *   83.142.209.203  2001:db8::1    address (exact)
 *   10.0.0.0/8  2001:db8::/32      CIDR (host bits must be zero)
 *   83.142.209.203:8080            address:port ([v6]:port for IPv6)
 *   11434   or   port:11434        port (any address)
 *   header:X-Filename: tpcp.tar.gz HTTP header; name case-insensitive,
 *                                  value exact (white space trimmed);
 *                                  "header:X-Foo" alone = header present
 *   ua:litellm/                    User-Agent contains (ASCII case-insens.)
 * Kinds are detected from the text or declared with a prefix (domain:,
 * suffix:, addr:, cidr:, port:, ua:, header:).  Every entry except ua:
 * and header: may carry ONE optional label after white space
 * ("api.openai.com openai"), returned with matches (evidence detail).
 * Errors name "FILE:LINE:COL: message"; loading stops at the first one.
 *
 * Matching cost: domains take one hash probe per label (exact set, then a
 * suffix walk label by label); addresses one probe per distinct prefix
 * length present; globs, ua: and header: entries are scanned linearly
 * and are capped at LISTS_MAX_SCAN entries per list.
 * CIDR matching is our own (hash per prefix length), pending a shared
 * include/xm_netset.h.
 *
 * Ownership: a list owns all its entries and strings; lists_free()
 * releases them.  Returned entries point into the list and live as long
 * as it.  Lists are immutable after loading and may be shared read-only.
 * Memory bound: LISTS_MAX_ENTRIES entries, lines up to LISTS_MAX_LINE.
 */
#ifndef XM_LISTS_H
#define XM_LISTS_H

#include "xm_common.h"

#define LISTS_MAX_ENTRIES (1u << 20)
#define LISTS_MAX_SCAN 4096
#define LISTS_MAX_LINE 1024
#define LISTS_NAME_LEN 64

enum lists_kind {
    LISTS_DOMAIN = 1,   /* exact / suffix / self+suffix, see flags */
    LISTS_GLOB,         /* domain with '*' inside a label */
    LISTS_ADDR,         /* exact address, optional port */
    LISTS_CIDR,
    LISTS_PORT,
    LISTS_UA,
    LISTS_HEADER,
};

/* LISTS_DOMAIN flags (one name can carry several) */
enum { LISTS_D_EXACT = 1, LISTS_D_SUB = 2 };

struct lists_entry {
    uint8_t kind;            /* enum lists_kind */
    uint8_t dflags;          /* LISTS_D_* for LISTS_DOMAIN */
    uint8_t plen;            /* prefix length for LISTS_ADDR/CIDR */
    uint16_t port;           /* host order; 0 = any */
    struct xm_addr addr;     /* LISTS_ADDR / LISTS_CIDR (masked) */
    uint32_t line;           /* source line, 1-based */
    const char *text;        /* normalised: lower-case domain/glob, UA
                                needle, header name; address text */
    const char *value;       /* header value, "" = any; else "" */
    const char *label;       /* optional label, "" when none */
};

struct lists_stats {
    uint32_t entries, domains, globs, addrs, cidrs, ports, uas, headers;
    uint32_t duplicates;     /* entries merged into an earlier one */
};

struct lists_list;

/*
 * Loads path as the list called name (NULL: the file's base name without
 * extension).  Returns 0 and *out, or -1 with err = "FILE:LINE:COL: msg"
 * (or "FILE: strerror").  seed: hash seed (xm_hash_random_seed()).
 */
int lists_load_file(const char *path, const char *name, uint64_t seed,
                    struct lists_list **out, char *err, size_t errlen);
/* Same from memory; origin names the source in errors. */
int lists_load_buf(const char *name, const char *origin, const char *buf, size_t len,
                   uint64_t seed, struct lists_list **out, char *err, size_t errlen);
void lists_free(struct lists_list *l);

const char *lists_name(const struct lists_list *l);
const struct lists_stats *lists_get_stats(const struct lists_list *l);
uint32_t lists_count(const struct lists_list *l);
const struct lists_entry *lists_entry_at(const struct lists_list *l, uint32_t i);

/* Matches a host name (any case, optional trailing dot).  The most
 * specific entry wins: exact name, then the closest parent suffix, then
 * globs.  NULL when nothing matches or the name is not a valid name. */
const struct lists_entry *lists_match_domain(const struct lists_list *l, const char *name);

/* Matches an address and port (port 0 = unknown): address:port entries
 * first, then exact address, then the longest CIDR. */
const struct lists_entry *lists_match_addr(const struct lists_list *l,
                                           const struct xm_addr *a, uint16_t port);

/* Matches a port entry (LISTS_PORT). */
const struct lists_entry *lists_match_port(const struct lists_list *l, uint16_t port);

/* One HTTP request header (NUL-terminated strings, borrowed). */
struct lists_http_hdr {
    const char *name;
    const char *value;
};
/* Matches ua: entries against the User-Agent header and header: entries
 * against all headers; first matching entry in file order. */
const struct lists_entry *lists_match_http(const struct lists_list *l,
                                           const struct lists_http_hdr *hdrs, size_t n);
/* Convenience: ua: entries against one User-Agent string. */
const struct lists_entry *lists_match_ua(const struct lists_list *l, const char *ua);

const char *lists_kind_name(enum lists_kind k);

#endif
