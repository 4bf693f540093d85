/*
 * app_int.h - internals shared by the app-layer dispatcher
 * (analysis/app/app.c) and its parsers (analysis/app/app_*.c).  Not a
 * public API: see include/xm_app.h for the contract.
 *
 * The parser table (analysis/app/parsers.c) lists every app-layer
 * protocol.  Two styles:
 *  - APP_STYLE_PACKET: packet() sees every packet of a flow that no
 *    parser has finished with (DNS, QUIC); it returns true when it took
 *    the packet, false to let the next row try.
 *  - APP_STYLE_FLIGHT: the client's first TCP data decides: start() says
 *    whether the bytes begin this protocol; parse() is then fed the first
 *    client flight, reassembled across up to max_segments segments, and
 *    returns true when it is finished with it (`last`: no more bytes will
 *    come, parse what there is).  TLS ClientHello, HTTP/1.x request head.
 * eve(), when set, adds the protocol's object to a flow record when the
 * flow saw the protocol (bit `row index` of f->app_seen).  end(), when
 * set, is called when a flow that saw the protocol ends (before its
 * record is built): a parser with pending per-flow state finishes it.
 * server(), when set, is given the server's first data segment once,
 * after parse() finished the client's flight and asked for it
 * (app_rec.srv_row): the negotiated TLS version, the HTTP response head.
 * It sees that one segment only (no reassembly).
 *
 * Adding a parser: one file analysis/app/app_X.c with its functions and
 * one row in app_parsers[] (parsers.c).  Per-protocol per-flow state lives
 * in the parser's part of struct app_rec or in its own bounded table, not
 * in f->app_flags (which holds only the dispatcher's state).
 */
#ifndef XM_APP_INT_H
#define XM_APP_INT_H

#include "xm_app.h"
#include "xm_evew.h"
#include "xm_dns.h"
#include "xm_http.h"
#include "xm_tls.h"

#define APP_PROTO_TCP 6
#define APP_PROTO_UDP 17

enum app_style { APP_STYLE_PACKET, APP_STYLE_FLIGHT };

struct app_parser {
    const char *name;
    uint8_t l4;                       /* APP_PROTO_TCP or APP_PROTO_UDP */
    enum app_style style;
    bool (*packet)(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir);
    bool (*start)(const uint8_t *d, size_t n);
    bool (*parse)(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n, bool last);
    void (*eve)(const struct app_ctx *a, const struct xm_flow *f, json_t *rec);
    void (*end)(struct app_ctx *a, struct xm_flow *f);
    void (*server)(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n);
    /* eve()'s member written into the streaming writer (flow records):
     * the same key and bytes json_dumpb would give eve()'s object. */
    void (*evew)(const struct app_ctx *a, const struct xm_flow *f, struct evew *w);
};

/* The table (parsers.c); rows of the built-in parsers: enum app_row. */
extern const struct app_parser app_parsers[];
extern const size_t app_parsers_len;

/* The built-in parsers' entry points (app_dns.c, app_quic.c, app_tls.c,
 * app_http.c), referenced by the table. */
bool app_dns_packet(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir);
bool app_quic_packet(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir);
void app_quic_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec);
void app_quic_end(struct app_ctx *a, struct xm_flow *f);
bool app_tls_start(const uint8_t *d, size_t n);
bool app_tls_parse(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n, bool last);
void app_tls_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec);
bool app_http_start(const uint8_t *d, size_t n);
bool app_http_parse(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n, bool last);
void app_http_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec);
void app_dns_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec);
void app_tls_server(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n);
void app_dns_evew(const struct app_ctx *a, const struct xm_flow *f, struct evew *w);
void app_quic_evew(const struct app_ctx *a, const struct xm_flow *f, struct evew *w);
void app_tls_evew(const struct app_ctx *a, const struct xm_flow *f, struct evew *w);
void app_http_evew(const struct app_ctx *a, const struct xm_flow *f, struct evew *w);
void app_http_server(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n);


/* Per-flow record (one per flow that needed one; see xm_app.h bounds). */
struct app_rec {
    const struct xm_flow *owner;
    uint64_t flow_id;
    uint32_t next_free;
    uint32_t reasm_id;
    uint8_t kind;                    /* 1 + row of the FLIGHT parser reassembling */
    uint8_t srv_row;                 /* 1 + row whose server() wants the server's
                                        first data segment; 0 = none */
    bool in_use;
    /* DNS over TCP (app_dns.c) */
    uint32_t dns_next_seq[2];        /* next message start, per direction */
    bool dns_sync[2];
    /* The flow's last DNS query (app_dns.c): lower-cased name, offset of
     * its registrable domain in it, type, querier. */
    bool has_dns_q;
    uint8_t dns_dom_off;
    uint16_t dns_qtype;
    struct xm_addr dns_host;
    char dns_qname[DNS_NAME_MAX + 1];
    /* TLS (app_tls.c) and QUIC (app_quic.c): the ClientHello */
    bool has_tls, has_quic;
    uint32_t sni_id;
    char alpn[TLS_ALPN_TEXT_MAX + 1];
    uint32_t quic_id;                /* QUIC CRYPTO slot (xm_quic.h), 0 = none */
    uint32_t quic_version;
    uint16_t tls_client_version;     /* highest offered in the ClientHello */
    uint16_t tls_version;            /* negotiated (ServerHello), 0 unknown */
    /* HTTP (app_http.c) */
    bool has_http, has_http_resp;
    struct app_http http;
    struct http1_resp resp;          /* valid when has_http_resp */
};

struct app_ctx {
    struct app_limits lim;
    struct regdom *rd;
    struct names *names;
    struct reasm_pool *reasm;
    struct quic *quic;               /* QUIC Initial decryption (app_quic.c) */
    struct pdns *pdns;               /* hosts resolving privately (xm_privdns.h) */
    const struct lists_list *ech_fronts;   /* known ECH public names, borrowed */
    struct app_rec *rec;             /* [1..max_records] */
    uint32_t free_rec, deferred_rec;
    uint32_t fresh_rec;          /* records 1..fresh_rec were ever handed out */
    bool dns_q_valid;
    struct app_dns_query dns_q;
    const struct xm_flow *dns_q_flow;  /* the flow dns_q came from */
    uint64_t dns_q_flow_id;
    app_dns_fn dns_fn;
    void *dns_fn_ctx;
    struct app_stats st;
    struct dns_msg msg;              /* scratch, ~17 KB */
};

/* Dispatcher services for the parsers (app.c). */
struct app_rec *app_rec_get(const struct app_ctx *a, const struct xm_flow *f);
/* The flow's record, allocated on first use; NULL when all are in use
 * (counted in records_full). */
struct app_rec *app_rec_new(struct app_ctx *a, struct xm_flow *f);
/* Frees the record of the flow that ended last (its record stayed
 * readable until the next call into the app layer). */
void app_release_deferred(struct app_ctx *a);
/* Consults the DNS names for the flow's remote end at `now`. */
void app_lookup(struct app_ctx *a, struct xm_flow *f, xm_time_t now);
/* The record's "dest_name" object (new reference). */
json_t *app_eve_name(const struct app_ctx *a, const struct xm_flow *f);
void app_evew_name(const struct app_ctx *a, const struct xm_flow *f, struct evew *w);
/* Offers a name for the remote end; kept when it ranks at least as high
 * as the current one (SNI, then HTTP Host, then DNS). */
void app_set_name(struct xm_flow *f, uint32_t id, enum name_src src);
/* Applies a parsed ClientHello (TLS: src NAME_SNI, QUIC: NAME_QUIC_SNI):
 * the SNI names the flow unless the hello carries ECH/ESNI and the SNI
 * is a known ECH public name (APP_F_ECH_HIDDEN; kept in the record as the
 * outer name); an ECH extension next to another SNI is GREASE; complete:
 * the whole hello was parsed (so "no SNI" is a fact).  Returns the flow's
 * record (sni_id and alpn set) or NULL when none is free. */
struct app_rec *app_hello_apply(struct app_ctx *a, struct xm_flow *f,
                                const struct tls_hello *h, bool complete,
                                enum name_src src);
/* A local client's flow to (f->srv, f->srv_port), named `name` or NULL:
 * marks the client as resolving privately when that is a DoH/DoT/DoQ
 * resolver (xm_privdns.h). */
void app_private_dns(struct app_ctx *a, const struct xm_flow *f, const char *name,
                     xm_time_t now);
/* Marks that the flow carried parser row `row` (f->app_seen). */
static inline void app_seen_set(struct xm_flow *f, unsigned row)
{
    f->app_seen = (uint8_t)(f->app_seen | 1u << row);
}
#define app_seen app_flow_saw

#endif
