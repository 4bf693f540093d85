/*
 * dispatch.c - per-packet app-layer dispatch over the parser table
 * (analysis/app/parsers.c, contract in app_int.h): PACKET parsers first,
 * then, for TCP, the client's first flight reassembled for the FLIGHT
 * parser whose protocol it starts; flow end; the protocol objects of flow
 * records.  Policy in include/xm_app.h.
 */
#include "app_int.h"

#define APP_OWNER_BIT (UINT64_C(1) << 63)   /* reassembly owner tags != 0 */

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

/* A finished flow's server data: the first segment goes, once, to the
 * server() of the parser that asked for it (app_int.h). */
static void app_server_first(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f,
                             int dir)
{
    if (dir != 1 || !f->app_slot || p->proto != APP_PROTO_TCP || !p->l4_payload ||
        p->l4_caplen == 0 || p->frag == XM_FRAG_LATER)
        return;
    struct app_rec *r = app_rec_get(a, f);
    if (!r || !r->srv_row)
        return;
    unsigned row = r->srv_row - 1u;
    r->srv_row = 0;
    if (app_parsers[row].server)
        app_parsers[row].server(a, f, p->l4_payload, p->l4_caplen);
}

void app_on_packet(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    a->dns_q_valid = false;
    if (f->app_flags & APP_F_DONE) {
        app_server_first(a, p, f, dir);
        return;
    }
    if (a->deferred_rec)
        app_release_deferred(a);
    a->st.packets++;
    if (!(f->app_flags & APP_F_LOOKED)) {
        app_lookup(a, f, p->ts);
        app_private_dns(a, f, f->name_id ? names_str(a->names, f->name_id) : NULL, p->ts);
    }
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
    for (size_t i = 0; i < app_parsers_len; i++)
        if (app_parsers[i].end && app_seen(f, (unsigned)i))
            app_parsers[i].end(a, f);
    if (f->name_src == NAME_NONE && !app_seen(f, APP_P_DNS))
        app_lookup(a, f, f->last);
    struct app_rec *r = app_rec_get(a, f);
    if (r)
        a->deferred_rec = f->app_slot;
}

/* Suricata's app_proto: the row that says most about the flow (TLS, also
 * inside an HTTP CONNECT; then HTTP, QUIC, DNS); NULL when none. */
static const char *app_proto_name(const struct xm_flow *f)
{
    static const unsigned order[] = {APP_P_TLS, APP_P_HTTP, APP_P_QUIC, APP_P_DNS};
    for (size_t i = 0; i < XM_ARRAY_LEN(order); i++)
        if (app_seen(f, order[i]))
            return app_parsers[order[i]].name;
    return NULL;
}

void app_eve_add(const struct app_ctx *a, const struct xm_flow *f, json_t *record)
{
    const char *proto = app_proto_name(f);
    if (proto)
        json_object_set_new(record, "app_proto", json_string(proto));
    json_object_set_new(record, "dest_name", app_eve_name(a, f));
    for (size_t i = 0; i < app_parsers_len; i++)
        if (app_parsers[i].eve && app_seen(f, (unsigned)i))
            app_parsers[i].eve(a, f, record);
}

void app_eve_write(const struct app_ctx *a, const struct xm_flow *f, struct evew *w)
{
    evew_kstr(w, "app_proto", app_proto_name(f));   /* NULL: left out */
    app_evew_name(a, f, w);
    for (size_t i = 0; i < app_parsers_len; i++)
        if (app_parsers[i].evew && app_seen(f, (unsigned)i))
            app_parsers[i].evew(a, f, w);
}
