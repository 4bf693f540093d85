/*
 * app.c - the app layer's shared state: per-flow records, the names a
 * flow gets, accessors and the name object of flow records.  The
 * per-packet dispatch over the parser table is dispatch.c; which packets
 * are examined, and the flow fields written, are described in
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

#include "xm_lists.h"
#include "xm_privdns.h"
#include "xm_quic.h"

void app_limits_default(struct app_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_records = APP_DEFAULT_RECORDS;
    l->reasm_slots = 256;
    l->reasm_bytes = 16384;
    l->max_segments = 8;
    l->quic_slots = 128;
    l->dns_any_udp_port = true;
    names_limits_default(&l->names);
}

struct app_ctx *app_new(const struct app_limits *l, uint64_t seed)
{
    if (!l->max_records || l->max_records > APP_MAX_RECORDS || l->max_segments > 15)
        return NULL;
    struct app_ctx *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->lim = *l;
    a->rd = regdom_open(l->psl_path);
    a->names = a->rd ? names_new(&l->names, a->rd, seed) : NULL;
    a->reasm = reasm_new(l->reasm_slots, l->reasm_bytes);
    a->quic = quic_new(l->quic_slots ? l->quic_slots : 1);
    a->pdns = pdns_new(4096, seed);
    a->rec = calloc((size_t)l->max_records + 1, sizeof *a->rec);
    if (!a->names || !a->reasm || !a->quic || !a->pdns || !a->rec) {
        app_free(a);
        return NULL;
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
    quic_free(a->quic);
    pdns_free(a->pdns);
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
    /* Released records first, then never-used ones in index order, so
     * the calloc'd array's pages are touched only as records are needed
     * (16,384 records are 20 MiB). */
    uint32_t id = a->free_rec;
    if (id)
        a->free_rec = a->rec[id].next_free;
    else if (a->fresh_rec < a->lim.max_records)
        id = ++a->fresh_rec;
    if (!id) {
        a->st.records_full++;
        return NULL;
    }
    r = &a->rec[id];
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

void app_release_deferred(struct app_ctx *a)
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

struct app_rec *app_hello_apply(struct app_ctx *a, struct xm_flow *f,
                                const struct tls_hello *h, bool complete,
                                enum name_src src)
{
    bool ech = h->has_ech || h->has_esni;
    bool hidden = ech && h->has_sni && a->ech_fronts && lists_match_domain(a->ech_fronts, h->sni);
    if (ech) {
        f->app_flags |= APP_F_ECH;
        a->st.tls_ech++;
    }
    if (hidden)
        f->app_flags |= APP_F_ECH_HIDDEN;
    uint32_t id = h->has_sni ? names_intern(a->names, h->sni, h->sni_len) : 0;
    if (id) {
        app_private_dns(a, f, names_str(a->names, id), f->last);
        a->st.tls_sni++;
        a->st.named_sni += !hidden;
        if (!hidden)
            app_set_name(f, id, src);
    } else if (complete) {
        f->app_flags |= APP_F_NO_SNI;
        a->st.tls_no_sni++;
    }
    struct app_rec *r = app_rec_new(a, f);
    if (!r)
        return NULL;
    r->sni_id = id;
    memcpy(r->alpn, h->alpn, sizeof r->alpn);
    return r;
}

/* ---------- private DNS (DoH, DoT, DoQ) ---------- */

void app_set_resolvers(struct app_ctx *a, const struct lists_list *resolvers)
{
    pdns_set_list(a->pdns, resolvers);
}

void app_set_ech_fronts(struct app_ctx *a, const struct lists_list *fronts)
{
    a->ech_fronts = fronts;
}

void app_private_dns(struct app_ctx *a, const struct xm_flow *f, const char *name,
                     xm_time_t now)
{
    if (f->local == FLOW_LOCAL_CLIENT)
        pdns_observe(a->pdns, &f->cli, &f->srv, f->srv_port, name, now);
}

void app_lookup(struct app_ctx *a, struct xm_flow *f, xm_time_t now)
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

/* ---------- accessors ---------- */

static const char *app_unnamed_reason(const struct app_ctx *a, const struct xm_flow *f)
{
    if (f->app_flags & APP_F_ECH && f->app_flags & (APP_F_NO_SNI | APP_F_ECH_HIDDEN))
        return "ech";
    if (f->name_id && !names_str(a->names, f->name_id))
        return "name_evicted";
    if (f->app_flags & APP_F_NO_SNI)
        return "tls_without_sni";
    if (app_seen(f, APP_P_QUIC))
        return "quic";
    if (f->app_flags & APP_F_DNS_EXPIRED)
        return "dns_expired";
    if (f->local == FLOW_LOCAL_CLIENT && pdns_is_private(a->pdns, &f->cli, f->last))
        return "private_dns";
    return "no_dns_seen";
}

/* want_reason: fill out->reason for an unnamed flow (a private-DNS
 * lookup among others). */
static void app_name_of(const struct app_ctx *a, const struct xm_flow *f, struct app_name *out,
                        bool want_reason)
{
    memset(out, 0, sizeof *out);
    out->ech = (f->app_flags & APP_F_ECH) != 0;
    const struct app_rec *r = (f->app_flags & APP_F_ECH_HIDDEN) ? app_rec_get(a, f) : NULL;
    if (r && (r->has_tls || r->has_quic))
        out->ech_outer = names_str(a->names, r->sni_id);
    out->name = f->name_src != NAME_NONE ? names_str(a->names, f->name_id) : NULL;
    if (!out->name) {
        out->source = "unnamed";
        out->reason = want_reason ? app_unnamed_reason(a, f) : NULL;
        return;
    }
    out->source = names_src_str((enum name_src)f->name_src);
    out->domain = names_domain(a->names, f->name_id);
}

void app_flow_name(const struct app_ctx *a, const struct xm_flow *f, struct app_name *out)
{
    app_name_of(a, f, out, true);
}

void app_flow_name_only(const struct app_ctx *a, const struct xm_flow *f, struct app_name *out)
{
    app_name_of(a, f, out, false);
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

size_t app_tables(const struct app_ctx *a, struct xm_tab_row *out)
{
    out[0] = (struct xm_tab_row){"app_flows", {.cap = a->lim.max_records,
                                               .used = (uint32_t)a->st.records_used,
                                               .failed = a->st.records_full}};
    return 1 + (a->names ? names_tables(a->names, out + 1) : 0);
}
const struct reasm_stats *app_reasm_stats(const struct app_ctx *a) { return reasm_stats(a->reasm); }
const struct quic_stats *app_quic_stats(const struct app_ctx *a) { return quic_stats(a->quic); }
const struct pdns_stats *app_private_dns_stats(const struct app_ctx *a) { return pdns_stats(a->pdns); }
struct names *app_names(struct app_ctx *a) { return a->names; }
const struct names *app_names_const(const struct app_ctx *a) { return a->names; }

/* ---------- EVE ---------- */

static json_t *app_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *app_eve_name(const struct app_ctx *a, const struct xm_flow *f)
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
    if (n.ech_outer)
        json_object_set_new(o, "ech_outer_name", json_string(n.ech_outer));
    return o;
}

void app_evew_name(const struct app_ctx *a, const struct xm_flow *f, struct evew *w)
{
    struct app_name n;
    app_flow_name(a, f, &n);
    evew_key(w, "dest_name");
    evew_obj_begin(w);
    evew_kstr_or_null(w, "name", n.name);
    evew_kstr(w, "source", n.source);
    if (n.name)
        evew_kstr_or_null(w, "domain", n.domain);
    else
        evew_kstr(w, "reason", n.reason);
    if (n.ech)
        evew_kbool(w, "ech", true);
    if (n.ech_outer)
        evew_kstr(w, "ech_outer_name", n.ech_outer);
    evew_obj_end(w);
}
