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
#include "app_int.h"

#include <stdlib.h>

#define APP_OWNER_BIT (UINT64_C(1) << 63)   /* reassembly owner tags != 0 */

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

struct app_rec *app_rec_get(const struct app_ctx *a, const struct xm_flow *f)
{
    if (!f->app_slot || f->app_slot > a->lim.max_records)
        return NULL;
    struct app_rec *r = &a->rec[f->app_slot];
    return (r->in_use && r->owner == f && r->flow_id == f->flow_id) ? r : NULL;
}

struct app_rec *app_rec_new(struct app_ctx *a, struct xm_flow *f)
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

void app_set_name(struct xm_flow *f, uint32_t id, enum name_src src)
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

/* ---------- dispatch ---------- */

/* Offers the packet to the PACKET parsers for its transport, in table
 * order; true when one took it. */
static bool app_packet_parsers(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f,
                               int dir)
{
    for (size_t i = 0; i < app_parsers_len; i++) {
        const struct app_parser *ap = &app_parsers[i];
        if (ap->style == APP_STYLE_PACKET && (!ap->l4 || ap->l4 == p->proto) &&
            ap->packet(a, p, f, dir))
            return true;
    }
    return false;
}

/* UDP no parser took: after two packets the flow is done. */
static void app_udp(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    (void)a; (void)p; (void)dir;
    if (f->pkts[0] + f->pkts[1] >= 2)
        f->app_flags |= APP_F_DONE;
}

/* ---------- first client flight (FLIGHT parsers) ---------- */

/* kind: 1 + row of the FLIGHT parser (app_rec.kind). */
static bool app_parse(struct app_ctx *a, struct xm_flow *f, int kind, const uint8_t *d,
                      size_t n, bool last)
{
    return app_parsers[kind - 1].parse(a, f, d, n, last);
}

/* 1 + row of the FLIGHT parser whose protocol d starts, 0 for none. */
static int app_flight_kind(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < app_parsers_len; i++)
        if (app_parsers[i].style == APP_STYLE_FLIGHT && app_parsers[i].start(d, n))
            return (int)i + 1;
    return 0;
}

/* After an HTTP CONNECT (RFC 9110 9.3.6) the client's next bytes are the
 * tunnelled protocol (usually a ClientHello): inspect once more. */
static bool app_connect_tunnel(struct xm_flow *f)
{
    if ((f->app_flags & (APP_F_CONNECT | APP_F_TUNNEL)) != APP_F_CONNECT ||
        app_seen(f, APP_P_TLS))
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
    int kind = app_flight_kind(d, n);
    if (kind == 0 || app_parse(a, f, kind, d, n, app_seg_limit(a, f))) {
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
    if (p->proto != APP_PROTO_UDP && p->proto != APP_PROTO_TCP)
        f->app_flags |= APP_F_DONE;
    else if (app_packet_parsers(a, p, f, dir))
        return;
    else if (p->proto == APP_PROTO_UDP)
        app_udp(a, p, f, dir);
    else
        app_tcp(a, p, f, dir);
}

void app_on_flow_end(struct app_ctx *a, struct xm_flow *f)
{
    if (a->deferred_rec)
        app_release_deferred(a);
    if (f->app_flags & APP_F_REASM)
        app_reasm_step(a, f, true);
    if (f->name_src == NAME_NONE && !app_seen(f, APP_P_DNS))
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
    if (app_seen(f, APP_P_QUIC))
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

void app_eve_add(const struct app_ctx *a, const struct xm_flow *f, json_t *record)
{
    json_object_set_new(record, "dest_name", app_eve_name(a, f));
    for (size_t i = 0; i < app_parsers_len; i++)
        if (app_parsers[i].eve && app_seen(f, (unsigned)i))
            app_parsers[i].eve(a, f, record);
}
