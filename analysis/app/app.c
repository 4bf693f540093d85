/*
 * app.c - per-packet application-layer dispatcher.  Which packets are
 * examined, and the flow fields written, are described in
 * include/xm_app.h.
 *
 * Bounds: per-flow records (max_records; when all are in use a new flow
 * gets none - counted in records_full - and keeps only its name, since
 * evicting a live flow's record would lose what we know about it);
 * reassembly slots (xm_reasm.h, LRU).  Per packet: no allocation, no
 * formatting; the DNS message scratch lives in the context.
 */
#include "xm_app.h"

#include <stdlib.h>

#include "xm_dns.h"
#include "xm_http.h"
#include "xm_rd.h"
#include "xm_tls.h"

#define APP_PROTO_TCP 6
#define APP_PROTO_UDP 17
#define APP_OWNER_BIT (UINT64_C(1) << 63)   /* reassembly owner tags != 0 */

enum { APP_K_NONE = 0, APP_K_TLS, APP_K_HTTP };

struct app_rec {
    const struct xm_flow *owner;
    uint64_t flow_id;
    uint32_t next_free;
    uint32_t reasm_id;
    uint32_t sni_id;
    uint32_t dns_next_seq[2];        /* TCP DNS: next message start, per dir */
    bool dns_sync[2];
    bool in_use, has_tls, has_http;
    uint8_t kind;                    /* APP_K_*: what is being reassembled */
    char alpn[TLS_ALPN_TEXT_MAX + 1];
    struct app_http http;
};

struct app_ctx {
    struct app_limits lim;
    struct regdom *rd;
    struct names *names;
    struct reasm_pool *reasm;
    struct app_rec *rec;             /* [1..max_records] */
    uint32_t free_rec, deferred_rec;
    bool dns_q_valid;
    struct app_dns_query dns_q;
    app_dns_fn dns_fn;
    void *dns_fn_ctx;
    struct app_stats st;
    struct dns_msg msg;              /* scratch, ~17 KB */
};

void app_limits_default(struct app_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_records = 16384;
    l->reasm_slots = 256;
    l->reasm_bytes = 16384;
    l->max_segments = 8;
    l->dns_any_udp_port = true;
    names_limits_default(&l->names);
}

struct app_ctx *app_new(const struct app_limits *l, uint64_t seed)
{
    if (!l->max_records || l->max_segments > 15)
        return NULL;
    struct app_ctx *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->lim = *l;
    a->rd = regdom_open(l->psl_path);
    a->names = a->rd ? names_new(&l->names, a->rd, seed) : NULL;
    a->reasm = reasm_new(l->reasm_slots, l->reasm_bytes);
    a->rec = calloc((size_t)l->max_records + 1, sizeof *a->rec);
    if (!a->names || !a->reasm || !a->rec) {
        app_free(a);
        return NULL;
    }
    for (uint32_t i = l->max_records; i >= 1; i--) {
        a->rec[i].next_free = a->free_rec;
        a->free_rec = i;
    }
    return a;
}

void app_free(struct app_ctx *a)
{
    if (!a)
        return;
    names_free(a->names);
    regdom_close(a->rd);
    reasm_free(a->reasm);
    free(a->rec);
    free(a);
}

/* ---------- per-flow records ---------- */

static struct app_rec *app_rec_get(const struct app_ctx *a, const struct xm_flow *f)
{
    if (!f->app_slot || f->app_slot > a->lim.max_records)
        return NULL;
    struct app_rec *r = &a->rec[f->app_slot];
    return (r->in_use && r->owner == f && r->flow_id == f->flow_id) ? r : NULL;
}

static struct app_rec *app_rec_new(struct app_ctx *a, struct xm_flow *f)
{
    struct app_rec *r = app_rec_get(a, f);
    if (r)
        return r;
    uint32_t id = a->free_rec;
    if (!id) {
        a->st.records_full++;
        return NULL;
    }
    r = &a->rec[id];
    a->free_rec = r->next_free;
    memset(r, 0, sizeof *r);
    r->in_use = true;
    r->owner = f;
    r->flow_id = f->flow_id;
    f->app_slot = id;
    a->st.records_used++;
    return r;
}

static void app_rec_release(struct app_ctx *a, uint32_t id)
{
    struct app_rec *r = &a->rec[id];
    if (!r->in_use)
        return;
    r->in_use = false;
    r->owner = NULL;
    r->next_free = a->free_rec;
    a->free_rec = id;
    a->st.records_used--;
}

static void app_release_deferred(struct app_ctx *a)
{
    app_rec_release(a, a->deferred_rec);
    a->deferred_rec = 0;
}

/* ---------- names ---------- */

/* Precedence rank: lower wins (SNI, then HTTP Host, then DNS). */
static int app_rank(unsigned src)
{
    switch (src) {
    case NAME_SNI: case NAME_QUIC_SNI: return 0;
    case NAME_HTTP_HOST:               return 1;
    case NAME_DNS:                     return 2;
    default:                           return 3;
    }
}

static void app_set_name(struct xm_flow *f, uint32_t id, enum name_src src)
{
    if (id && app_rank(src) <= app_rank(f->name_src)) {
        f->name_id = id;
        f->name_src = (uint8_t)src;
    }
}

static const struct xm_addr *app_remote(const struct xm_flow *f)
{
    return f->local == FLOW_LOCAL_SERVER ? &f->cli : &f->srv;
}

static void app_lookup(struct app_ctx *a, struct xm_flow *f, xm_time_t now)
{
    uint32_t q, c;
    f->app_flags |= APP_F_LOOKED;
    switch (names_lookup_addr(a->names, app_remote(f), now, &q, &c)) {
    case NAMES_HIT:
        app_set_name(f, q, NAME_DNS);
        a->st.named_dns++;
        f->app_flags &= (uint16_t)~APP_F_DNS_EXPIRED;
        break;
    case NAMES_EXPIRED:
        f->app_flags |= APP_F_DNS_EXPIRED;
        a->st.dns_lookup_expired++;
        break;
    default:
        a->st.dns_lookup_miss++;
        break;
    }
}

/* ---------- DNS ---------- */

static bool app_dns_port(uint16_t port)
{
    return port == 53 || port == 5353 || port == 5355;
}

static void app_note_query(struct app_ctx *a, const struct dns_msg *m,
                           const struct xm_addr *host)
{
    const struct dns_name *q = &m->q[0].name;
    a->dns_q.host = *host;
    memcpy(a->dns_q.qname, q->s, (size_t)q->len + 1);
    a->dns_q.qtype = m->q[0].qtype;
    for (uint8_t i = 0; i <= q->len; i++) {
        char c = q->s[i];
        a->dns_q.domain[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    int off = names_reg_offset(a->names, a->dns_q.domain, q->len);
    if (off > 0)
        memmove(a->dns_q.domain, a->dns_q.domain + off, (size_t)(q->len - off) + 1);
    a->dns_q_valid = true;
}

/* Feeds one parsed message (res OK or TRUNCATED) to the names tables. */
static void app_dns_learn(struct app_ctx *a, const struct xm_pkt *p, enum dns_result res)
{
    const struct dns_msg *m = &a->msg;
    a->st.dns_msgs++;
    if (res == DNS_TRUNCATED)
        a->st.dns_truncated++;
    if (res == DNS_INVALID) {
        a->st.dns_invalid++;
        return;
    }
    const struct xm_addr *querier = m->is_response ? &p->dst : &p->src;
    if (m->is_response) {
        a->st.dns_responses++;
    } else {
        a->st.dns_queries++;
        if (m->n_q && m->q[0].name.len)
            app_note_query(a, m, querier);
    }
    names_learn_dns(a->names, m, querier, p->ts);
    if (a->dns_fn)
        a->dns_fn(a->dns_fn_ctx, m, p);
}

void app_set_dns_observer(struct app_ctx *a, app_dns_fn fn, void *ctx)
{
    a->dns_fn = fn;
    a->dns_fn_ctx = ctx;
}

static bool app_hostname_chars(const struct dns_name *n)
{
    if (n->len == 0)
        return false;
    for (uint8_t i = 0; i < n->len; i++) {
        char c = n->s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

/* Ports whose payload is DNS-shaped but not about host names: NetBIOS
 * name service (137, RFC 1002) and datagram service (138). */
static bool app_dns_excluded(const struct xm_pkt *p)
{
    return p->sport == 137 || p->dport == 137 || p->sport == 138 || p->dport == 138;
}

/* DNS on a non-standard UDP port: see the policy in xm_app.h. */
static bool app_dns_probe(struct app_ctx *a, const struct xm_pkt *p)
{
    const struct dns_msg *m = &a->msg;
    if (!dns_header_plausible(p->l4_payload, p->l4_caplen))
        return false;
    if (dns_parse(p->l4_payload, p->l4_caplen, &a->msg) != DNS_OK)
        return false;
    if (m->n_q != 1 || m->an_parsed != m->ancount || !app_hostname_chars(&m->q[0].name))
        return false;
    return m->consumed == p->l4_caplen || m->arcount || m->nscount;
}

/* QUIC long header (RFC 9000 17.2): form and fixed bits set, Initial
 * type (0 in v1/drafts, 1 in v2, RFC 9369), a known version, and a
 * datagram of at least 1200 octets (RFC 9000 14.1). */
static bool app_quic_initial(const struct xm_pkt *p)
{
    struct xm_rd r;
    uint8_t b0 = 0;
    uint32_t v = 0;
    xm_rd_init(&r, p->l4_payload, p->l4_caplen);
    if (p->l4_len < 1200 || !xm_rd_u8(&r, &b0) || !xm_rd_be32(&r, &v) || (b0 & 0xC0) != 0xC0)
        return false;
    unsigned type = (b0 >> 4) & 3;
    if (v == 0x6b3343cfu)
        return type == 1;
    return type == 0 && (v == 1 || (v & 0xFFFFFF00u) == 0xFF000000u);
}

static void app_udp(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    if (app_dns_port(p->sport) || app_dns_port(p->dport)) {
        f->app_flags |= APP_F_DNS;
        app_dns_learn(a, p, dns_parse(p->l4_payload, p->l4_caplen, &a->msg));
        return;
    }
    if (a->lim.dns_any_udp_port && f->pkts[dir] == 1 && !app_dns_excluded(p) &&
        app_dns_probe(a, p)) {
        f->app_flags |= APP_F_DNS;
        a->st.dns_other_port_flows++;
        app_dns_learn(a, p, DNS_OK);
        return;
    }
    if (dir == 0 && f->pkts[0] == 1 && app_quic_initial(p))
        f->app_flags |= APP_F_QUIC;
    if (f->pkts[0] + f->pkts[1] >= 2)
        f->app_flags |= APP_F_DONE;
}

/* Where in this segment the next DNS message starts (-1: none here). */
static long app_dns_tcp_start(struct app_ctx *a, const struct app_rec *r,
                              const struct xm_pkt *p, int dir)
{
    if (!r || !r->dns_sync[dir])
        return 0;
    int32_t d = (int32_t)(r->dns_next_seq[dir] - p->tcp_seq);
    if (d < 0 || (uint32_t)d >= p->l4_caplen) {
        a->st.dns_tcp_skipped++;
        return -1;
    }
    return d;
}

/* DNS over TCP (RFC 7766): every length-prefixed message in the segment. */
static void app_dns_tcp(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    if (p->l4_caplen == 0)
        return;
    struct app_rec *r = app_rec_new(a, f);
    long start = app_dns_tcp_start(a, r, p, dir);
    if (start < 0) {
        if (r && (int32_t)(r->dns_next_seq[dir] - p->tcp_seq) < 0)
            r->dns_sync[dir] = false;        /* gap: resync on the next segment */
        return;
    }
    size_t off = (size_t)start, n = p->l4_caplen;
    while (off + 2 <= n) {
        size_t mlen;
        enum dns_result res = dns_parse_tcp(p->l4_payload + off, n - off, &a->msg, &mlen);
        if (mlen == 0)
            break;
        a->st.dns_tcp_msgs++;
        app_dns_learn(a, p, res);
        off += 2 + mlen;
    }
    if (r) {
        r->dns_sync[dir] = true;
        r->dns_next_seq[dir] = p->tcp_seq + (uint32_t)off;
    }
}

/* ---------- TLS and HTTP ---------- */

/* complete: the whole ClientHello was parsed (so "no SNI" is a fact). */
static void app_tls_apply(struct app_ctx *a, struct xm_flow *f, const struct tls_hello *h,
                          bool complete)
{
    f->app_flags |= APP_F_TLS;
    if (h->has_ech || h->has_esni) {
        f->app_flags |= APP_F_ECH;
        a->st.tls_ech++;
    }
    uint32_t id = h->has_sni ? names_intern(a->names, h->sni, h->sni_len) : 0;
    if (id) {
        app_set_name(f, id, NAME_SNI);
        a->st.tls_sni++;
        a->st.named_sni++;
    } else if (complete) {
        f->app_flags |= APP_F_NO_SNI;
        a->st.tls_no_sni++;
    }
    struct app_rec *r = app_rec_new(a, f);
    if (!r)
        return;
    r->has_tls = true;
    r->sni_id = id;
    memcpy(r->alpn, h->alpn, sizeof r->alpn);
}

/* Parses a ClientHello; returns true when the flow is finished with. */
static bool app_tls(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n, bool last)
{
    struct tls_hello h;
    enum tls_result res = tls_parse_client_hello(d, n, &h);
    if (res == TLS_NEED_MORE && !last)
        return false;
    if (res == TLS_OK || res == TLS_NEED_MORE) {
        a->st.tls_hellos++;
        a->st.tls_partial += res == TLS_NEED_MORE;
        app_tls_apply(a, f, &h, res == TLS_OK);
    } else if (res == TLS_INVALID) {
        a->st.tls_invalid++;
    }
    return true;
}

static void app_http_copy(struct app_http *o, const struct http1_req *q)
{
    memcpy(o->method, q->method, sizeof o->method);
    memcpy(o->host, q->host, sizeof o->host);
    memcpy(o->user_agent, q->user_agent, sizeof o->user_agent);
    memcpy(o->content_type, q->content_type, sizeof o->content_type);
    memcpy(o->x_filename, q->x_filename, sizeof o->x_filename);
    o->url_len = q->url_len;
    o->content_length = q->content_length;
    o->has_content_length = q->has_content_length;
    o->has_x_filename = q->has_x_filename;
}

static void app_http_apply(struct app_ctx *a, struct xm_flow *f, const struct http1_req *q)
{
    struct xm_addr lit;
    if (!(f->app_flags & APP_F_HTTP) && !strcmp(q->method, "CONNECT"))
        f->app_flags |= APP_F_CONNECT;
    f->app_flags |= APP_F_HTTP;
    a->st.http_x_filename += q->has_x_filename;
    if (q->has_host && q->host[0] && xm_addr_parse(q->host, &lit) != 0) {
        app_set_name(f, names_intern(a->names, q->host, strlen(q->host)), NAME_HTTP_HOST);
        a->st.named_http++;
    }
    struct app_rec *r = app_rec_new(a, f);
    if (!r)
        return;
    r->has_http = true;
    app_http_copy(&r->http, q);
}

static bool app_http(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n, bool last)
{
    struct http1_req q;
    enum http1_result res = http1_parse_request(d, n, &q);
    if (res == HTTP1_NEED_MORE && !last)
        return false;
    if (res == HTTP1_OK || (res == HTTP1_NEED_MORE && q.method[0])) {
        a->st.http_requests++;
        a->st.http_partial += res == HTTP1_NEED_MORE;
        app_http_apply(a, f, &q);
    } else if (res == HTTP1_INVALID) {
        a->st.http_invalid++;
    }
    return true;
}

static bool app_parse(struct app_ctx *a, struct xm_flow *f, int kind, const uint8_t *d,
                      size_t n, bool last)
{
    return kind == APP_K_TLS ? app_tls(a, f, d, n, last) : app_http(a, f, d, n, last);
}

/* After an HTTP CONNECT (RFC 9110 9.3.6) the client's next bytes are the
 * tunnelled protocol (usually a ClientHello): inspect once more. */
static bool app_connect_tunnel(struct xm_flow *f)
{
    if ((f->app_flags & (APP_F_CONNECT | APP_F_TLS | APP_F_TUNNEL)) != APP_F_CONNECT)
        return false;
    f->app_flags = (uint16_t)((f->app_flags | APP_F_TUNNEL) & ~APP_F_SEG_MASK);
    return true;
}

static uint64_t app_owner(const struct xm_flow *f)
{
    return f->flow_id | APP_OWNER_BIT;
}

/* No more payload inspection; the reassembly slot goes back. */
static void app_finish(struct app_ctx *a, struct xm_flow *f)
{
    struct app_rec *r = app_rec_get(a, f);
    if (r && r->reasm_id) {
        reasm_close(a->reasm, r->reasm_id, app_owner(f));
        r->reasm_id = 0;
    }
    f->app_flags &= (uint16_t)~APP_F_REASM;
    if (!app_connect_tunnel(f))
        f->app_flags |= APP_F_DONE;
}

static unsigned app_segs(const struct xm_flow *f)
{
    return (unsigned)f->app_flags >> APP_F_SEG_SHIFT;
}

static bool app_seg_limit(const struct app_ctx *a, const struct xm_flow *f)
{
    return app_segs(f) >= a->lim.max_segments;
}

static void app_first_data(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f)
{
    const uint8_t *d = p->l4_payload;
    size_t n = p->l4_caplen;
    int kind = tls_record_start(d, n) ? APP_K_TLS : http1_request_start(d, n) ? APP_K_HTTP
                                                                            : APP_K_NONE;
    if (kind == APP_K_NONE || app_parse(a, f, kind, d, n, app_seg_limit(a, f))) {
        app_finish(a, f);
        return;
    }
    struct app_rec *r = app_rec_new(a, f);
    if (!r) {
        app_parse(a, f, kind, d, n, true);
        app_finish(a, f);
        return;
    }
    r->kind = (uint8_t)kind;
    r->reasm_id = reasm_open(a->reasm, app_owner(f), p->tcp_seq);
    reasm_add(a->reasm, r->reasm_id, app_owner(f), p->tcp_seq, d, n);
    f->app_flags |= APP_F_REASM;
}

/* Applies whatever a pending reassembly holds (last = give up after). */
static void app_reasm_step(struct app_ctx *a, struct xm_flow *f, bool last)
{
    struct app_rec *r = app_rec_get(a, f);
    size_t len = 0;
    const uint8_t *buf = r ? reasm_data(a->reasm, r->reasm_id, app_owner(f), &len) : NULL;
    if (!buf || app_parse(a, f, r->kind, buf, len, last))
        app_finish(a, f);
}

static void app_reasm_more(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f)
{
    struct app_rec *r = app_rec_get(a, f);
    enum reasm_result rr = REASM_STALE;
    if (r)
        rr = reasm_add(a->reasm, r->reasm_id, app_owner(f), p->tcp_seq, p->l4_payload,
                       p->l4_caplen);
    if (rr == REASM_STALE) {
        app_finish(a, f);
        return;
    }
    app_reasm_step(a, f, rr == REASM_FULL || app_seg_limit(a, f));
}

static void app_tcp(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    if (app_dns_port(p->sport) || app_dns_port(p->dport)) {
        f->app_flags |= APP_F_DNS;
        app_dns_tcp(a, p, f, dir);
        return;
    }
    if (p->l4_caplen == 0)
        return;
    if (app_segs(f) < 15)
        f->app_flags = (uint16_t)(f->app_flags + (1u << APP_F_SEG_SHIFT));
    if (dir != 0) {                      /* server data: wait for the client */
        if (app_seg_limit(a, f) && (f->app_flags & APP_F_REASM))
            app_reasm_step(a, f, true);
        else if (app_seg_limit(a, f))
            app_finish(a, f);
        return;
    }
    if (f->app_flags & APP_F_REASM)
        app_reasm_more(a, p, f);
    else
        app_first_data(a, p, f);
}

void app_on_packet(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    a->dns_q_valid = false;
    if (f->app_flags & APP_F_DONE)
        return;
    if (a->deferred_rec)
        app_release_deferred(a);
    a->st.packets++;
    if (!(f->app_flags & APP_F_LOOKED))
        app_lookup(a, f, p->ts);
    if (p->frag == XM_FRAG_LATER || !p->has_ports || !p->l4_payload) {
        if (p->proto != APP_PROTO_TCP && p->proto != APP_PROTO_UDP)
            f->app_flags |= APP_F_DONE;
        return;
    }
    if (p->proto == APP_PROTO_UDP)
        app_udp(a, p, f, dir);
    else if (p->proto == APP_PROTO_TCP)
        app_tcp(a, p, f, dir);
    else
        f->app_flags |= APP_F_DONE;
}

void app_on_flow_end(struct app_ctx *a, struct xm_flow *f)
{
    if (a->deferred_rec)
        app_release_deferred(a);
    if (f->app_flags & APP_F_REASM)
        app_reasm_step(a, f, true);
    if (f->name_src == NAME_NONE && !(f->app_flags & APP_F_DNS))
        app_lookup(a, f, f->last);
    struct app_rec *r = app_rec_get(a, f);
    if (r)
        a->deferred_rec = f->app_slot;
}

/* ---------- accessors ---------- */

static const char *app_unnamed_reason(const struct app_ctx *a, const struct xm_flow *f)
{
    if (f->app_flags & APP_F_ECH && f->app_flags & APP_F_NO_SNI)
        return "ech";
    if (f->name_id && !names_str(a->names, f->name_id))
        return "name_evicted";
    if (f->app_flags & APP_F_NO_SNI)
        return "tls_without_sni";
    if (f->app_flags & APP_F_QUIC)
        return "quic";
    if (f->app_flags & APP_F_DNS_EXPIRED)
        return "dns_expired";
    return "no_dns_seen";
}

void app_flow_name(const struct app_ctx *a, const struct xm_flow *f, struct app_name *out)
{
    memset(out, 0, sizeof *out);
    out->ech = (f->app_flags & APP_F_ECH) != 0;
    out->name = f->name_src != NAME_NONE ? names_str(a->names, f->name_id) : NULL;
    if (!out->name) {
        out->source = "unnamed";
        out->reason = app_unnamed_reason(a, f);
        return;
    }
    out->source = names_src_str((enum name_src)f->name_src);
    out->domain = names_domain(a->names, f->name_id);
}

const char *app_flow_sni(const struct app_ctx *a, const struct xm_flow *f)
{
    const struct app_rec *r = app_rec_get(a, f);
    if (r && r->has_tls)
        return names_str(a->names, r->sni_id);
    if (f->name_src == NAME_SNI)
        return names_str(a->names, f->name_id);
    return NULL;
}

const char *app_flow_alpn(const struct app_ctx *a, const struct xm_flow *f)
{
    const struct app_rec *r = app_rec_get(a, f);
    return (r && r->has_tls && r->alpn[0]) ? r->alpn : NULL;
}

const struct app_http *app_flow_http(const struct app_ctx *a, const struct xm_flow *f)
{
    const struct app_rec *r = app_rec_get(a, f);
    return (r && r->has_http) ? &r->http : NULL;
}

const struct app_dns_query *app_last_dns_query(const struct app_ctx *a)
{
    return a->dns_q_valid ? &a->dns_q : NULL;
}

bool app_dns_stats(const struct app_ctx *a, const struct xm_addr *host, const char *domain,
                   struct names_tunnel *out)
{
    return names_tunnel_get(a->names, host, domain, out);
}

const struct app_stats *app_stats(const struct app_ctx *a) { return &a->st; }
const struct reasm_stats *app_reasm_stats(const struct app_ctx *a) { return reasm_stats(a->reasm); }
struct names *app_names(struct app_ctx *a) { return a->names; }
const struct names *app_names_const(const struct app_ctx *a) { return a->names; }

/* ---------- EVE ---------- */

static json_t *app_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *app_eve_name(const struct app_ctx *a, const struct xm_flow *f)
{
    struct app_name n;
    app_flow_name(a, f, &n);
    json_t *o = json_object();
    json_object_set_new(o, "name", app_str_or_null(n.name));
    json_object_set_new(o, "source", json_string(n.source));
    if (n.name)
        json_object_set_new(o, "domain", app_str_or_null(n.domain));
    else
        json_object_set_new(o, "reason", json_string(n.reason));
    if (n.ech)
        json_object_set_new(o, "ech", json_true());
    return o;
}

static json_t *app_eve_tls(const struct app_ctx *a, const struct xm_flow *f)
{
    json_t *o = json_object();
    const char *sni = app_flow_sni(a, f), *alpn = app_flow_alpn(a, f);
    if (sni)
        json_object_set_new(o, "sni", json_string(sni));
    if (alpn)
        json_object_set_new(o, "alpn", json_string(alpn));
    if (f->app_flags & APP_F_ECH)
        json_object_set_new(o, "ech", json_true());
    return o;
}

static json_t *app_eve_http(const struct app_http *h)
{
    json_t *o = json_object();
    if (h->host[0])
        json_object_set_new(o, "hostname", json_string(h->host));
    json_object_set_new(o, "http_method", json_string(h->method));
    if (h->user_agent[0])
        json_object_set_new(o, "http_user_agent", json_string(h->user_agent));
    if (h->content_type[0])
        json_object_set_new(o, "http_content_type", json_string(h->content_type));
    if (h->has_content_length)
        json_object_set_new(o, "length", json_integer((json_int_t)h->content_length));
    if (h->has_x_filename)
        json_object_set_new(o, "x_filename", json_string(h->x_filename));
    json_object_set_new(o, "url_length", json_integer(h->url_len));
    return o;
}

void app_eve_add(const struct app_ctx *a, const struct xm_flow *f, json_t *record)
{
    json_object_set_new(record, "dest_name", app_eve_name(a, f));
    if (f->app_flags & APP_F_TLS)
        json_object_set_new(record, "tls", app_eve_tls(a, f));
    const struct app_http *h = app_flow_http(a, f);
    if (h)
        json_object_set_new(record, "http", app_eve_http(h));
}
