/*
 * xm_app.h - the per-packet application-layer dispatcher
 * (analysis/app/app.c): DNS, TLS ClientHello and HTTP/1.x request parsing
 * wired to the names cache, per-flow app records, and EVE output.
 *
 * Ownership: app_new() allocates everything once (names tables, the
 * per-flow record table, the reassembly pool) and app_free() releases
 * it; nothing is allocated per packet.  Strings returned by accessors
 * point into app/names storage: valid until the flow ends (records) or
 * the name is evicted (names), so copy them if they must live longer.
 *
 * Wiring (pipeline):
 *   a = app_new(&limits, xm_hash_random_seed());
 *   per decoded packet, after flow_update():  app_on_packet(a, p, f, dir);
 *   in the flow end callback, for every NON-interim end:
 *       app_on_flow_end(a, f);            (before the record is built)
 *       app_eve_add(a, f, record);        (also fine for interim records)
 *   app_on_flow_end() finishes any pending reassembly, retries the DNS
 *   lookup and releases the reassembly slot; the flow's app record stays
 *   readable until the next app_on_flow_end()/app_on_packet() call, which
 *   frees it (so the record can be written in between, and nothing leaks).
 *
 * Flow fields written: f->name_id / f->name_src (best name for the remote
 * end: SNI, then HTTP Host, then DNS), f->app_flags (APP_F_* below),
 * f->app_seen (protocols seen, one bit per parser-table row) and
 * f->app_slot (index of the per-flow record, 0 = none).
 *
 * Which packets are looked at:
 *  - UDP and TCP port 53, 5353 (mDNS) and 5355 (LLMNR): every packet, as
 *    DNS (TCP with the RFC 7766 length prefix, resynchronised on message
 *    boundaries per direction).
 *  - any other UDP port: the first packet of each direction is tested
 *    with dns_header_plausible() (12 header octets, no name decoding) and
 *    only if that passes is it parsed; it counts as DNS only if the parse
 *    is clean, every answer was walked and the question name is made of
 *    hostname characters [A-Za-z0-9_-.].  After two packets a non-DNS
 *    UDP flow is marked done.
 *  - TCP client data (dir 0): the first data segment decides: a TLS
 *    handshake record -> ClientHello; "METHOD SP" -> HTTP request head;
 *    anything else -> done.  A hello/head that spans segments is
 *    reassembled (xm_reasm.h, first client flight only) for at most
 *    max_segments data segments; then what was parsed is kept.  After an
 *    HTTP CONNECT request the tunnel's first client bytes are inspected
 *    the same way (so the SNI inside a proxy tunnel is found).
 *  - UDP ports 137/138 (NetBIOS, DNS-shaped) are never probed.
 *  - a UDP flow whose first client datagram is a QUIC long-header packet
 *    (form and fixed bits; a version quic.c decrypts - 1, 2, drafts
 *    23-32, T050/T051 - in any size, any other version in a datagram of
 *    1200+ octets) is QUIC: the client's datagrams are decrypted and
 *    their CRYPTO frames reassembled (xm_quic.h, a pooled slot per flow)
 *    until the ClientHello is whole, for at most 12 client datagrams;
 *    its SNI names the flow with source NAME_QUIC_SNI.
 *  - After that the flow is marked done and costs one branch per packet.
 */
#ifndef XM_APP_H
#define XM_APP_H

#include <jansson.h>

#include "xm_common.h"
#include "xm_field.h"
#include "xm_flow.h"
#include "xm_http.h"
#include "xm_names.h"
#include "xm_pkt.h"
#include "xm_reasm.h"

/* struct xm_flow.app_flags bits: the dispatcher's state, plus a few bits
 * owned by one parser each (marked).  Which protocols a flow carried is
 * f->app_seen, one bit per row of the parser table (analysis/app/parsers.c). */
enum {
    APP_F_DONE = 0x0001,        /* no more payload inspection */
    APP_F_ECH_HIDDEN = 0x0002,  /* tls/quic: the SNI is a known ECH outer name */
    APP_F_ECH = 0x0010,         /* tls: ClientHello had encrypted_client_hello/ESNI */
    APP_F_NO_SNI = 0x0020,      /* tls: ClientHello without server_name */
    APP_F_LOOKED = 0x0040,      /* DNS cache consulted for the remote end */
    APP_F_DNS_EXPIRED = 0x0080, /* ... and the answer had expired */
    APP_F_REASM = 0x0100,       /* first-flight reassembly in progress */
    APP_F_CONNECT = 0x0200,     /* http: first request was an HTTP CONNECT */
    APP_F_TUNNEL = 0x0400,      /* ... and the tunnel's first bytes are next */
    APP_F_SEG_SHIFT = 12,       /* bits 12..15: data segments seen */
    APP_F_SEG_MASK = 0xF000,
};

/* Rows of the app-layer parser table (analysis/app/parsers.c), which are
 * also the bits of f->app_seen. */
enum app_row { APP_P_DNS = 0, APP_P_QUIC, APP_P_TLS, APP_P_HTTP, APP_P_MAX };
/* True when the flow carried the protocol of parser row `row`. */
static inline bool app_flow_saw(const struct xm_flow *f, unsigned row)
{
    return (f->app_seen >> row) & 1u;
}

/* Per-flow records: 16,384 by default (about 1.3 KB each, committed as
 * used); at most APP_MAX_RECORDS (the array is reserved up front). */
#define APP_DEFAULT_RECORDS 16384u
#define APP_MAX_RECORDS (1u << 21)

struct app_limits {
    uint32_t max_records;      /* per-flow app records, <= APP_MAX_RECORDS */
    uint32_t reasm_slots;      /* reassembly slots (default 256) */
    uint32_t reasm_bytes;      /* octets per slot (default 16384) */
    uint32_t max_segments;     /* client data segments inspected, <= 15 (8) */
    uint32_t quic_slots;       /* QUIC CRYPTO reassembly slots (128), xm_quic.h */
    bool dns_any_udp_port;     /* probe other UDP ports for DNS (true) */
    const char *psl_path;      /* NULL: system PSL, else a .dat/.dafsa */
    struct names_limits names;
};
void app_limits_default(struct app_limits *l);

struct app_stats {
    uint64_t packets;              /* app_on_packet calls that looked at payload */
    uint64_t dns_msgs, dns_queries, dns_responses, dns_truncated, dns_invalid;
    uint64_t dns_tcp_msgs, dns_tcp_skipped, dns_other_port_flows;
    uint64_t tls_hellos, tls_partial, tls_invalid, tls_sni, tls_no_sni, tls_ech;
    uint64_t http_requests, http_partial, http_invalid, http_x_filename;
    uint64_t http_responses;       /* response heads read (status known) */
    uint64_t tls_server_hellos;    /* ServerHellos read (version known) */
    uint64_t records_used, records_full;  /* records_used = live now */
    uint64_t named_sni, named_http, named_dns, dns_lookup_miss, dns_lookup_expired;
};

/* HTTP request fields kept for a flow (first request only). */
struct app_http {
    char method[16];
    char host[254];
    char user_agent[128];
    char content_type[64];
    char x_filename[64];
    char url[HTTP1_URL_MAX + 1];  /* request target, cut at HTTP1_URL_MAX */
    uint32_t url_len;
    uint64_t content_length;
    bool has_content_length, has_x_filename;
};

/* Best name of a flow's remote end.  name NULL means unnamed; then
 * source is "unnamed" and reason one of:
 *   "ech"             ClientHello with Encrypted Client Hello / ESNI whose
 *                     SNI is absent or a known ECH public name
 *                     (app_set_ech_fronts; ech_outer), never used as the
 *                     name; only DNS or HTTP can name it.  With any other
 *                     SNI the extension is taken as GREASE (RFC 9849
 *                     6.2) and the SNI names the flow (ech still true),
 *   "tls_without_sni" ClientHello without server_name,
 *   "quic"            QUIC (RFC 9000) Initial seen but no SNI could be
 *                     decrypted from it (unknown version, Initial not
 *                     captured, no server_name), and no DNS answer,
 *   "dns_expired"     an answer for the address was seen, TTL ran out,
 *   "name_evicted"    a name was known but left the bounded intern table,
 *   "private_dns"     no DNS answer seen for the address, and the local
 *                     host talks to a DoH/DoT/DoQ resolver (xm_privdns.h,
 *                     app_set_resolvers), so its answers are invisible,
 *   "no_dns_seen"     no DNS answer seen for the address (resolved
 *                     before the capture, hard-coded address, or a
 *                     private resolver not on the list). */
struct app_name {
    const char *name, *source, *domain, *reason;
    const char *ech_outer;     /* the hidden flow's outer SNI (public name), or NULL */
    bool ech;                  /* an ECH/ESNI extension was present */
};

/* QUIC fields of a flow whose client Initial was decrypted. */
struct app_quic {
    uint32_t version;          /* QUIC version of the decrypted Initial */
    const char *sni, *alpn;    /* NULL when absent (sni: with ECH the outer name) */
};

/* One DNS query seen by the last app_on_packet() call (for the rules). */
struct app_dns_query {
    struct xm_addr host;       /* querier */
    char domain[DNS_NAME_MAX + 1];  /* registrable domain (or the name) */
    char qname[DNS_NAME_MAX + 1];
    uint16_t qtype;
};

struct app_ctx;

/* The rule fields fed by this module (analysis/app/app_fields.c), owner
 * a const struct app_ctx * (include/xm_field.h):
 * dst.name, dst.domain, dst.named, dst.name_source, dst.unnamed_reason,
 * tls.sni, tls.alpn, tls.ech, http.method, http.host, http.user_agent,
 * http.content_type, http.x_filename, http.content_length,
 * http.url_length, dns.domain, dns.unique_subdomains, dns.longest_label,
 * dns.subdomain_length,
 * dns.entropy, dns.txt_bytes, dns.queries, dns.queries_per_min (FLOW
 * scope).  The app ctx must outlive the registry they are added to. */
extern const struct xm_field_list app_fields;

/* NULL on allocation failure or when no PSL could be loaded. */
struct app_ctx *app_new(const struct app_limits *l, uint64_t seed);
void app_free(struct app_ctx *a);

void app_on_packet(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir);
/* Ends the flow's app state: applies what a pending reassembly holds,
 * releases the reassembly slot, retries the DNS lookup at f->last for a
 * flow still unnamed, and schedules the record to be freed at the next
 * app_on_flow_end()/app_on_packet() call. */
void app_on_flow_end(struct app_ctx *a, struct xm_flow *f);

void app_flow_name(const struct app_ctx *a, const struct xm_flow *f, struct app_name *out);
/* The same without out->reason (NULL): for callers that read only the
 * name, domain and source (rule field getters, evaluated often), as the
 * unnamed reason costs lookups (private DNS, ECH record). */
void app_flow_name_only(const struct app_ctx *a, const struct xm_flow *f, struct app_name *out);
const char *app_flow_sni(const struct app_ctx *a, const struct xm_flow *f);   /* or NULL */
const char *app_flow_alpn(const struct app_ctx *a, const struct xm_flow *f);  /* or NULL */
const struct app_http *app_flow_http(const struct app_ctx *a, const struct xm_flow *f);
/* False (and *out zeroed) unless a QUIC ClientHello was decrypted. */
bool app_flow_quic(const struct app_ctx *a, const struct xm_flow *f, struct app_quic *out);
/* The DNS query carried by the packet of the last app_on_packet() call,
 * or NULL. */
const struct app_dns_query *app_last_dns_query(const struct app_ctx *a);
/* The last DNS query carried by flow f (kept per flow in its app record;
 * the name lower-cased), or false when the flow carried none.  When no
 * record was free (app_stats.records_full) only the query of the packet
 * in hand is known (its name as sent), and only while that packet is
 * processed. */
struct app_flow_dns {
    const struct xm_addr *host;   /* querier */
    const char *qname, *domain;   /* domain: registrable domain (or the name) */
    uint16_t qtype;
};
bool app_flow_dns_query(const struct app_ctx *a, const struct xm_flow *f,
                        struct app_flow_dns *out);
/* Optional observer called for every DNS message parsed (DNS_OK or
 * DNS_TRUNCATED), after the names tables learned from it.  The message
 * and packet are borrowed for the duration of the call.  NULL disables. */
typedef void (*app_dns_fn)(void *ctx, const struct dns_msg *m, const struct xm_pkt *p);
void app_set_dns_observer(struct app_ctx *a, app_dns_fn fn, void *ctx);

/* DNS-tunnel statistics of (host, registrable domain). */
bool app_dns_stats(const struct app_ctx *a, const struct xm_addr *host, const char *domain,
                   struct names_tunnel *out);

/* Adds "dest_name", and "tls" / "quic" / "http" / "dns" when seen, to an
 * EVE record (alerts; flow records use app_eve_write). */
void app_eve_add(const struct app_ctx *a, const struct xm_flow *f, json_t *record);
/* The same members written into the streaming writer w (flow records;
 * include/xm_evew.h), in the same order and bytes as json_dumpb of
 * app_eve_add's, with no object tree. */
struct evew;
void app_eve_write(const struct app_ctx *a, const struct xm_flow *f, struct evew *w);

const struct app_stats *app_stats(const struct app_ctx *a);
/* Occupancy and drops of the per-flow records ("app_flows": a flow that
 * finds every record in use gets none, st.failed = records_full) and of
 * the names tables (names_tables); returns the rows written, at most
 * APP_TABLES. */
#define APP_TABLES (1 + NAMES_TABLES)
size_t app_tables(const struct app_ctx *a, struct xm_tab_row *out);
const struct reasm_stats *app_reasm_stats(const struct app_ctx *a);
struct quic_stats;
const struct quic_stats *app_quic_stats(const struct app_ctx *a);
struct pdns_stats;
const struct pdns_stats *app_private_dns_stats(const struct app_ctx *a);
/* The DoH/DoT resolver list (data/dns/resolvers.list), borrowed: it must
 * outlive the app ctx.  Without it only port 853 marks a host. */
struct lists_list;
void app_set_resolvers(struct app_ctx *a, const struct lists_list *resolvers);
/* Public names of ECH client-facing servers (data/ech_public_names.list),
 * borrowed like the resolvers.  Without it an ECH extension next to an
 * SNI is always taken as GREASE. */
void app_set_ech_fronts(struct app_ctx *a, const struct lists_list *fronts);
struct names *app_names(struct app_ctx *a);
const struct names *app_names_const(const struct app_ctx *a);

#endif
