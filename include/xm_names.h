/*
 * xm_names.h - names for addresses, learned from the traffic itself
 * (analysis/intel/names.c); registrable domains come from lib/psl.c
 * (include/xm_psl.h).  No resolver is ever called.
 *
 * Ownership: names_new() allocates every table once (hard caps in struct
 * names_limits) and names_free() releases them; nothing is allocated per
 * packet.  Strings returned by names_str()/names_domain() point into the
 * intern table and stay valid until that name is evicted: copy them if
 * they must outlive the next names_* call that can intern.  The regdom
 * handle passed to names_new() is borrowed (the caller closes it after
 * names_free()).
 *
 * Three bounded tables, each with LRU eviction and counters:
 *  - intern table: lower-cased names -> uint32 name_id (0 = none).  An id
 *    carries a generation, so an id whose name was evicted is detected
 *    (names_str() returns NULL) rather than aliased.  The registrable
 *    domain is computed once per interned name, never per packet.
 *  - address cache: address -> (queried name, canonical name), expiring
 *    at answer time + TTL (+ ttl_grace_s) in PACKET time.  An entry is
 *    valid while now < expiry; at exactly answer time + TTL it has
 *    expired.  TTL 0 answers are not cached.  One entry per address: the
 *    latest answer wins (CDN addresses shared by several names map to
 *    the most recently resolved one).
 *  - DNS-tunnel statistics per (querying host, registrable domain) over
 *    a window of tunnel_window_s (default 86400 s) that restarts when it
 *    has passed.  Unique subdomains are estimated with a 256-register
 *    HyperLogLog (linear counting below 640): standard error about 6.5%
 *    (1.04 / sqrt(256)), a few % below 200 distinct names.
 *    The HLL hashes with XM_HASH_FIXED_SEED so printed counts never
 *    depend on the run's random seed.
 */
#ifndef XM_NAMES_H
#define XM_NAMES_H

#include "xm_common.h"
#include "xm_dns.h"
#include "xm_psl.h"
#include "xm_tab.h"

/* Where a flow's name came from (struct xm_flow.name_src). */
enum name_src { NAME_NONE = 0, NAME_SNI, NAME_HTTP_HOST, NAME_DNS, NAME_QUIC_SNI, NAME_SRC_MAX };
/* "none", "sni", "http_host", "dns", "quic_sni". */
const char *names_src_str(enum name_src s);

/* ---- names ---- */
#define NAMES_DEFAULT_CAP 65536u  /* max_names and max_addrs by default */
#define NAMES_MAX_CAP 1048575u    /* ids keep 20 bits for the slot */
struct names_limits {
    uint32_t max_names;        /* intern table, <= NAMES_MAX_CAP */
    uint32_t max_addrs;        /* address cache */
    uint32_t max_tunnel;       /* DNS-tunnel stat entries (default 16384) */
    uint32_t ttl_grace_s;      /* added to every TTL (default 0) */
    uint32_t tunnel_window_s;  /* statistics window (default 86400) */
};
void names_limits_default(struct names_limits *l);

struct names_stats {
    uint64_t interned, intern_hits, intern_evicted, intern_rejected;
    uint64_t addr_inserted, addr_updated, addr_expired, addr_evicted;
    uint64_t addr_hits, addr_misses, addr_stale;
    uint64_t tunnel_created, tunnel_evicted, tunnel_window_resets;
    uint64_t dns_queries, dns_responses, cname_loops;
    uint64_t psl_lookups, psl_cache_hits;   /* names_reg_offset() */
};

enum names_lookup {
    NAMES_HIT = 0,
    NAMES_MISS,      /* no answer ever seen (or evicted) */
    NAMES_EXPIRED,   /* an answer was seen but its TTL has run out */
};

struct names_tunnel {
    char domain[DNS_NAME_MAX + 1];   /* registrable domain */
    struct xm_addr host;             /* the querying host */
    uint64_t queries;                /* in the current window */
    uint32_t unique_subdomains;      /* HLL estimate, see above */
    uint8_t longest_label;           /* octets of the longest label below the
                                        registrable domain (any position) */
    uint8_t longest_subdomain;       /* octets of the longest subdomain (all
                                        labels below the registrable domain,
                                        dots included) */
    char longest_label_text[64];
    double entropy_max;              /* bits per character, of the subdomain */
    double entropy_mean;             /* over queries that had a subdomain */
    uint64_t txt_bytes;              /* TXT RDATA octets in answers */
    xm_time_t window_start, first, last;
    double queries_per_min;          /* queries / window span (>= 1 min) */
};

struct names;

struct names *names_new(const struct names_limits *l, struct regdom *rd, uint64_t seed);
void names_free(struct names *n);

/* Interns name[0,len) lower-cased; returns its id, 0 for empty/too long. */
uint32_t names_intern(struct names *n, const char *name, size_t len);
/* The name of id, or NULL when id is 0 or was evicted. */
const char *names_str(const struct names *n, uint32_t id);
/* Registrable domain of id (a suffix of names_str), or NULL. */
const char *names_domain(const struct names *n, uint32_t id);

/* Offset of the registrable domain in lower[0,len) (lower-case, NUL-
 * terminated), or -1.  For per-packet paths: a bounded parent cache
 * (see names.c) answers most calls without consulting libpsl. */
int names_reg_offset(struct names *n, const char *lower, size_t len);

/* Learns from one DNS message.  `querier` is the host that asked (the
 * source of a query, the destination of a response); `now` packet time. */
void names_learn_dns(struct names *n, const struct dns_msg *m,
                     const struct xm_addr *querier, xm_time_t now);

/* Looks up the name for addr at packet time now.  On NAMES_HIT sets
 * *queried (the first name of the CNAME chain, what the client asked
 * for) and *canonical (the final owner name; equal to *queried when
 * there was no CNAME). */
enum names_lookup names_lookup_addr(struct names *n, const struct xm_addr *addr,
                                    xm_time_t now, uint32_t *queried, uint32_t *canonical);

/* DNS-tunnel statistics for (host, registrable domain); false if none.
 * `domain` is matched case-insensitively. */
bool names_tunnel_get(const struct names *n, const struct xm_addr *host,
                      const char *domain, struct names_tunnel *out);

const struct names_stats *names_stats(const struct names *n);
/* The three tables' occupancy and drops, as out[0..2] (dns_names,
 * dns_addresses, dns_tunnel); returns NAMES_TABLES. */
#define NAMES_TABLES 3
size_t names_tables(const struct names *n, struct xm_tab_row *out);

#endif
