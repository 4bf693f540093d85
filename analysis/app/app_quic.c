/*
 * app_quic.c - the QUIC row of the app-layer parser table.  A UDP flow
 * whose first client datagram is a QUIC long-header packet is QUIC; the
 * client's Initials are then decrypted and their CRYPTO frames
 * reassembled by analysis/app/quic.c (xm_quic.h) in a pooled slot
 * (app_rec.quic_id), for at most APP_QUIC_DGRAMS client datagrams, until
 * the ClientHello is whole.  Its SNI names the flow (NAME_QUIC_SNI, not
 * with ECH); SNI, ALPN and version go to the record's "quic" object.
 * Server datagrams are only counted (Retry, Version Negotiation).
 */
#include "app_int.h"

#include "xm_quic.h"
#include "xm_rd.h"

#define APP_QUIC_DGRAMS 12                  /* client datagrams searched */
#define APP_QUIC_OWNER_BIT (UINT64_C(1) << 63)  /* slot owner tags != 0 */

/* A client's first QUIC datagram (RFC 9000 17.2): form and fixed bits
 * set, and either a version whose Initials quic.c decrypts (any packet
 * type: a reordered 0-RTT may come first) or, for any other version (one
 * that draws a Version Negotiation), a datagram of at least 1200 octets,
 * the size of a client Initial (RFC 9000 14.1). */
static bool app_quic_initial(const struct xm_pkt *p)
{
    struct xm_rd r;
    uint8_t b0 = 0;
    uint32_t v = 0;
    xm_rd_init(&r, p->l4_payload, p->l4_caplen);
    if (!xm_rd_u8(&r, &b0) || !xm_rd_be32(&r, &v) || (b0 & 0xC0) != 0xC0 || v == 0)
        return false;
    return quic_version_known(v) || p->l4_len >= 1200;
}

static uint64_t app_quic_owner(const struct xm_flow *f)
{
    return f->flow_id | APP_QUIC_OWNER_BIT;
}

static void app_quic_apply(struct app_ctx *a, struct xm_flow *f, enum quic_result res,
                           const struct tls_hello *h, uint32_t version)
{
    if (res != QUIC_HELLO && res != QUIC_PARTIAL)
        return;
    struct app_rec *r = app_hello_apply(a, f, h, res == QUIC_HELLO, NAME_QUIC_SNI);
    if (!r)
        return;
    r->has_quic = true;
    r->quic_version = version;
}

/* No more QUIC inspection: the slot goes back, the flow is done. */
static void app_quic_done(struct app_ctx *a, struct xm_flow *f, struct app_rec *r)
{
    if (r && r->quic_id) {
        quic_close(a->quic, r->quic_id, app_quic_owner(f));
        r->quic_id = 0;
    }
    f->app_flags |= APP_F_DONE;
}

/* Table row end(): parses what the CRYPTO stream holds when nothing was
 * final yet, then releases the slot. */
void app_quic_end(struct app_ctx *a, struct xm_flow *f)
{
    struct app_rec *r = app_rec_get(a, f);
    struct tls_hello h;
    uint32_t v = 0;
    if (!r || !r->quic_id)
        return;
    app_quic_apply(a, f, quic_finish(a->quic, r->quic_id, app_quic_owner(f), &h, &v), &h, v);
    app_quic_done(a, f, r);
}

/* Opens the flow's QUIC state on its first client datagram. */
static struct app_rec *app_quic_start(struct app_ctx *a, const struct xm_pkt *p,
                                      struct xm_flow *f, int dir)
{
    if (dir != 0 || f->pkts[0] != 1 || !app_quic_initial(p))
        return NULL;
    app_seen_set(f, APP_P_QUIC);
    struct app_rec *r = app_rec_new(a, f);
    if (r)
        r->quic_id = quic_open(a->quic, app_quic_owner(f));
    return r;
}

/* Table row packet(): takes every packet of a QUIC flow whose ClientHello
 * is still being looked for; false otherwise (the generic UDP policy). */
bool app_quic_packet(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    if (p->proto != APP_PROTO_UDP)
        return false;
    struct app_rec *r = app_seen(f, APP_P_QUIC) ? app_rec_get(a, f) : app_quic_start(a, p, f, dir);
    if (!r || !r->quic_id)
        return false;
    if (dir != 0) {
        quic_server_datagram(a->quic, p->l4_payload, p->l4_caplen);
        return true;
    }
    struct tls_hello h;
    uint32_t v = 0;
    enum quic_result res = quic_datagram(a->quic, r->quic_id, app_quic_owner(f), p->l4_payload,
                                         p->l4_caplen, &h, &v);
    if (res == QUIC_MORE && f->pkts[0] < APP_QUIC_DGRAMS)
        return true;
    if (res == QUIC_MORE)
        app_quic_end(a, f);
    else {
        app_quic_apply(a, f, res, &h, v);
        app_quic_done(a, f, r);
    }
    return true;
}

bool app_flow_quic(const struct app_ctx *a, const struct xm_flow *f, struct app_quic *out)
{
    const struct app_rec *r = app_rec_get(a, f);
    memset(out, 0, sizeof *out);
    if (!r || !r->has_quic)
        return false;
    out->version = r->quic_version;
    out->sni = names_str(a->names, r->sni_id);
    out->alpn = r->alpn[0] ? r->alpn : NULL;
    return true;
}

void app_quic_evew(const struct app_ctx *a, const struct xm_flow *f, struct evew *w)
{
    struct app_quic q;
    char vbuf[16];
    if (!app_flow_quic(a, f, &q))
        return;
    evew_key(w, "quic");
    evew_obj_begin(w);
    evew_kstr(w, "version", quic_version_str(q.version, vbuf, sizeof vbuf));
    evew_kstr(w, "sni", q.sni);          /* NULL: left out */
    evew_kstr(w, "alpn", q.alpn);
    if (f->app_flags & APP_F_ECH)
        evew_kbool(w, "ech", true);
    evew_obj_end(w);
}

/* Table row eve(): {"version", "sni", "alpn", "ech"} once a ClientHello
 * was decrypted. */
void app_quic_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec)
{
    struct app_quic q;
    char vbuf[16];
    if (!app_flow_quic(a, f, &q))
        return;
    json_t *o = json_object();
    json_object_set_new(o, "version", json_string(quic_version_str(q.version, vbuf,
                                                                     sizeof vbuf)));
    if (q.sni)
        json_object_set_new(o, "sni", json_string(q.sni));
    if (q.alpn)
        json_object_set_new(o, "alpn", json_string(q.alpn));
    if (f->app_flags & APP_F_ECH)
        json_object_set_new(o, "ech", json_true());
    json_object_set_new(rec, "quic", o);
}
