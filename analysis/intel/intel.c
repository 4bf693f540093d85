/*
 * intel.c - destination intelligence glue: flow -> (name, addresses,
 * HTTP fields) -> GeoIP / indicator lists / look-alikes / AI hosts, as
 * rule fields and EVE objects.  Contract in include/xm_intel.h.
 */
#include "xm_intel.h"
#include "xm_evew.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define S_FLOW XM_FS_BIT(XM_FS_FLOW)
#define S_HOST XM_FS_BIT(XM_FS_HOST)
#define S_PAIR XM_FS_BIT(XM_FS_HOSTDST)

/* ---- flow -> destination -------------------------------------------- */

static const char *in_nonempty(const char *s) { return s && s[0] ? s : NULL; }

static void in_http_of(const struct intel_ctx *c, const struct xm_flow *f, struct intel_dst *d)
{
    const struct app_http *h = c->app ? app_flow_http(c->app, f) : NULL;
    if (!h)
        return;
    d->ua = in_nonempty(h->user_agent);
    d->x_filename = h->has_x_filename ? h->x_filename : NULL;
}

void intel_dst_of(const struct intel_ctx *c, const struct xm_flow *f, struct intel_dst *d)
{
    memset(d, 0, sizeof *d);
    d->local_is_server = f->local == FLOW_LOCAL_SERVER;
    d->local = d->local_is_server ? f->srv : f->cli;
    d->remote = d->local_is_server ? f->cli : f->srv;
    d->remote_port = d->local_is_server ? f->cli_port : f->srv_port;
    if (c->app) {
        struct app_name an;
        app_flow_name_only(c->app, f, &an);
        d->name = an.name;
        d->domain = an.domain;
    }
    in_http_of(c, f, d);
}

/* ---- indicator lists ------------------------------------------------ */

static const struct lists_entry *in_ioc_one(const struct lists_list *l, const struct intel_dst *d)
{
    const struct lists_entry *e = NULL;
    if (d->name)
        e = lists_match_domain(l, d->name);
    if (!e && d->domain)
        e = lists_match_domain(l, d->domain);
    if (!e && d->remote.family)
        e = lists_match_addr(l, &d->remote, d->remote_port);
    return e;
}

const struct lists_entry *intel_ioc_dst(const struct intel_ctx *c, const struct intel_dst *d,
                                        const char **list)
{
    for (unsigned i = 0; i < c->n_ioc; i++) {
        const struct lists_entry *e = in_ioc_one(c->ioc[i], d);
        if (e) {
            *list = lists_name(c->ioc[i]);
            return e;
        }
    }
    return NULL;
}

const struct lists_entry *intel_ioc_http(const struct intel_ctx *c, const struct intel_dst *d,
                                         const char **list)
{
    struct lists_http_hdr h[2];
    size_t n = 0;
    if (d->ua)
        h[n++] = (struct lists_http_hdr){"User-Agent", d->ua};
    if (d->x_filename)
        h[n++] = (struct lists_http_hdr){"X-Filename", d->x_filename};
    for (unsigned i = 0; n && i < c->n_ioc; i++) {
        const struct lists_entry *e = lists_match_http(c->ioc[i], h, n);
        if (e) {
            *list = lists_name(c->ioc[i]);
            return e;
        }
    }
    return NULL;
}

/* ---- AI hosts ------------------------------------------------------- */

static void in_observe_side(struct intel_ctx *c, const struct xm_flow *f,
                            const struct intel_dst *d, bool as_server, xm_time_t now)
{
    const struct xm_addr *local = as_server ? &f->srv : &f->cli;
    struct aihost_obs o = {local, as_server, f->pkts[0] > 0 && f->pkts[1] > 0, f->srv_port,
                           d->name, d->domain, d->ua, now};
    aihost_observe_flow(c->aihost, &o);
}

void intel_observe_flow(struct intel_ctx *c, const struct xm_flow *f, xm_time_t now)
{
    if (!c->aihost || f->local == FLOW_LOCAL_NONE)
        return;
    struct intel_dst d;
    intel_dst_of(c, f, &d);
    if (f->local == FLOW_LOCAL_CLIENT || f->local == FLOW_LOCAL_BOTH)
        in_observe_side(c, f, &d, false, now);
    if (f->local == FLOW_LOCAL_SERVER || f->local == FLOW_LOCAL_BOTH)
        in_observe_side(c, f, &d, true, now);
}

/* ---- rule field getters --------------------------------------------- */

/* The registry hands back the ctx as const owner data; the GeoIP and
 * look-alike caches and the scratch buffers are mutable state. */
static struct intel_ctx *in_ctx(const void *arg)
{
    return (struct intel_ctx *)arg;
}

static int in_str(union xm_field_value *out, const char *s)
{
    if (!s)
        return 1;
    out->str.s = s;
    out->str.len = strlen(s);
    return 0;
}

/* Copies s into the next scratch buffer and returns it as the value. */
static int in_str_copy(struct intel_ctx *c, union xm_field_value *out, const char *s)
{
    char *buf = c->scratch_[c->scratch_next_++ % INTEL_SCRATCH];
    snprintf(buf, sizeof c->scratch_[0], "%s", s);
    return in_str(out, buf);
}

static bool in_flow_dst(const struct xm_field_ctx *ctx, struct intel_ctx *c,
                        struct intel_dst *d)
{
    if (!ctx->flow)
        return false;
    intel_dst_of(c, ctx->flow, d);
    return true;
}

static bool in_geo(const struct xm_field_ctx *ctx, struct intel_ctx *c, struct geo_result *r)
{
    struct intel_dst d;
    if (!c->geo || !in_flow_dst(ctx, c, &d))
        return false;
    return geo_lookup(c->geo, &d.remote, r);
}

static int in_get_country(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct intel_ctx *c = in_ctx(arg);
    struct geo_result r;
    if (!in_geo(ctx, c, &r) || !r.country[0])
        return 1;
    return in_str_copy(c, out, r.country);
}

static int in_get_asn(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct geo_result r;
    if (!in_geo(ctx, in_ctx(arg), &r) || !r.asn)
        return 1;
    out->num = r.asn;
    return 0;
}

static int in_get_org(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct intel_ctx *c = in_ctx(arg);
    struct geo_result r;
    if (!in_geo(ctx, c, &r) || !r.org[0])
        return 1;
    return in_str_copy(c, out, r.org);
}

static bool in_lookalike(const struct xm_field_ctx *ctx, struct intel_ctx *c,
                         struct lookalike_result *r)
{
    struct intel_dst d;
    if (!c->lookalike || !in_flow_dst(ctx, c, &d) || !(d.domain || d.name))
        return false;
    lookalike_check(c->lookalike, ctx->flow->name_id, d.domain ? d.domain : d.name, r);
    return true;
}

static int in_get_lookalike(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct lookalike_result r;
    if (!in_lookalike(ctx, in_ctx(arg), &r))
        return 1;
    return in_str(out, lookalike_verdict_name(r.verdict));
}

static int in_get_lookalike_vendor(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct lookalike_result r;
    if (!in_lookalike(ctx, in_ctx(arg), &r))
        return 1;
    return in_str(out, r.vendor);
}

/* which: 0 = bool, 1 = list name, 2 = entry label */
static int in_ioc_value(const struct xm_field_ctx *ctx, const void *arg,
                        union xm_field_value *out, int which)
{
    struct intel_ctx *c = in_ctx(arg);
    struct intel_dst d;
    const char *list = NULL;
    if (!in_flow_dst(ctx, c, &d))
        return 1;
    const struct lists_entry *e = intel_ioc_dst(c, &d, &list);
    if (which == 0) {
        out->b = e != NULL;
        return 0;
    }
    if (!e)
        return 1;
    return in_str(out, which == 1 ? list : (e->label[0] ? e->label : NULL));
}

static int in_get_ioc(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    return in_ioc_value(ctx, arg, out, 0);
}

static int in_get_ioc_list(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    return in_ioc_value(ctx, arg, out, 1);
}

static int in_get_ioc_label(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    return in_ioc_value(ctx, arg, out, 2);
}

static int in_get_http_ioc(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct intel_ctx *c = in_ctx(arg);
    struct intel_dst d;
    const char *list = NULL;
    if (!in_flow_dst(ctx, c, &d))
        return 1;
    out->b = intel_ioc_http(c, &d, &list) != NULL;
    return 0;
}

/* The local host of the evaluation: the key's for HOST/HOSTDST scope,
 * the flow's home side for FLOW scope. */
static bool in_local(const struct xm_field_ctx *ctx, struct xm_addr *a)
{
    if (ctx->scope != XM_FS_FLOW && ctx->local && ctx->local->family) {
        *a = *ctx->local;
        return true;
    }
    const struct xm_flow *f = ctx->flow;
    if (!f || f->local == FLOW_LOCAL_NONE)
        return false;
    *a = f->local == FLOW_LOCAL_SERVER ? f->srv : f->cli;   /* intel_dst_of's local */
    return true;
}

static bool in_view(const struct xm_field_ctx *ctx, struct intel_ctx *c, struct aihost_view *v)
{
    struct xm_addr a;
    if (!c->aihost || !in_local(ctx, &a))
        return false;
    aihost_get(c->aihost, &a, ctx->now, v);
    return true;
}

static int in_get_ai(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct aihost_view v;
    if (!in_view(ctx, in_ctx(arg), &v))
        return 1;
    out->b = v.ai;
    return 0;
}

static int in_get_ai_evidence(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct aihost_view v;
    if (!in_view(ctx, in_ctx(arg), &v) || !v.n_evidence)
        return 1;
    uint8_t newest = 0;
    for (uint8_t i = 1; i < v.n_evidence; i++)
        if (v.ev[i].last >= v.ev[newest].last)
            newest = i;
    return in_str(out, aihost_kind_name(v.ev[newest].kind));
}

/* a equals b, ASCII case folded, either may end in one root dot. */
static bool in_same_name(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    size_t la = strlen(a), lb = strlen(b);
    la -= la && a[la - 1] == '.';
    lb -= lb && b[lb - 1] == '.';
    return la == lb && la && strncasecmp(a, b, la) == 0;
}

/* dst.ai_evidence: the flow's remote name or registrable domain is the
 * detail of one of the local host's live llm_endpoint pieces, i.e. this
 * destination is (one of) the LLM API endpoint(s) that make the host an
 * AI host.  False for unnamed flows and hosts without such evidence. */
static int in_get_ai_dst(const void *arg, int id, const struct xm_field_ctx *ctx,
                         union xm_field_value *out)
{
    struct intel_ctx *c = in_ctx(arg);
    struct intel_dst d;
    struct aihost_view v;
    if (!in_flow_dst(ctx, c, &d) || !in_view(ctx, c, &v))
        return 1;
    out->b = false;
    for (uint8_t i = 0; i < v.n_evidence && !out->b; i++)
        out->b = v.ev[i].kind == AIHOST_LLM_ENDPOINT &&
                 (in_same_name(v.ev[i].detail, d.name) || in_same_name(v.ev[i].detail, d.domain));
    return 0;
}

static int in_get_tags(const void *arg, int id, const struct xm_field_ctx *ctx,
                      union xm_field_value *out)
{
    struct intel_ctx *c = in_ctx(arg);
    struct aihost_view v;
    if (!in_view(ctx, c, &v) || !v.n_tags)
        return 1;
    char joined[AIHOST_MAX_TAGS * AIHOST_TAG_LEN] = "";
    for (uint8_t i = 0; i < v.n_tags; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, v.tags[i]);
    }
    return in_str_copy(c, out, joined);
}

static const struct xm_field_desc intel_field_defs[] = {
    {"dst.country", XM_FT_STRING, S_FLOW, 0, in_get_country},
    {"dst.asn", XM_FT_NUM, S_FLOW, 0, in_get_asn},
    {"dst.org", XM_FT_STRING, S_FLOW, 0, in_get_org},
    {"dst.lookalike", XM_FT_STRING, S_FLOW, 0, in_get_lookalike},
    {"dst.lookalike_vendor", XM_FT_STRING, S_FLOW, 0, in_get_lookalike_vendor},
    {"dst.ioc", XM_FT_BOOL, S_FLOW, 0, in_get_ioc},          /* IN_ROW_IOC */
    {"dst.ioc_list", XM_FT_STRING, S_FLOW, 0, in_get_ioc_list},
    {"dst.ioc_label", XM_FT_STRING, S_FLOW, 0, in_get_ioc_label},
    {"http.ioc", XM_FT_BOOL, S_FLOW, 0, in_get_http_ioc},
    {"host.ai", XM_FT_BOOL, S_FLOW | S_HOST | S_PAIR, 0, in_get_ai},
    {"host.ai_evidence", XM_FT_STRING, S_FLOW | S_HOST | S_PAIR, 0, in_get_ai_evidence},
    {"dst.ai_evidence", XM_FT_BOOL, S_FLOW, 0, in_get_ai_dst},
    {"host.tags", XM_FT_STRING, S_FLOW | S_HOST | S_PAIR, 0, in_get_tags},
};

/* dst.ioc (row 5) is name-only (xm_field.h): the remote address, port
 * and name against the indicator lists, which are loaded once; a
 * forgotten name only removes matches.  http.ioc reads the HTTP record,
 * which a later request of the flow replaces: not name-only. */
enum { IN_ROW_IOC = 5 };
static const unsigned intel_flags[XM_ARRAY_LEN(intel_field_defs)] = {
    [IN_ROW_IOC] = XM_FF_NAME_ONLY,
};
const struct xm_field_list intel_fields = XM_FIELD_LIST_FLAGS(intel_field_defs, intel_flags);

/* ---- EVE ------------------------------------------------------------ */

static int in_eve_geo(struct intel_ctx *c, const struct intel_dst *d, json_t *rec)
{
    struct geo_result r;
    if (!c->geo || !geo_lookup(c->geo, &d->remote, &r))
        return 0;
    json_t *g = json_object();
    if (!g)
        return -1;
    if (r.country[0])
        json_object_set_new(g, "country", json_string(r.country));
    if (r.asn)
        json_object_set_new(g, "asn", json_integer(r.asn));
    if (r.org[0])
        json_object_set_new(g, "org", json_string(r.org));
    return json_object_set_new(rec, "dest_geo", g);
}

/* o, created on first use (NULL with *bad set when out of memory). */
static json_t *in_obj(json_t **o, bool *bad)
{
    if (!*o && !(*o = json_object()))
        *bad = true;
    return *o;
}

/* "intel": ioc_list/ioc_label, http_ioc_list, lookalike, lookalike_vendor.
 * The object is made only when one of them is there (most flows have
 * none). */
static int in_eve_intel(struct intel_ctx *c, const struct xm_flow *f,
                        const struct intel_dst *d, json_t *rec)
{
    json_t *o = NULL;
    bool bad = false;
    const char *list = NULL;
    const struct lists_entry *e = intel_ioc_dst(c, d, &list);
    if (e && in_obj(&o, &bad)) {
        json_object_set_new(o, "ioc_list", json_string(list));
        if (e->label[0])
            json_object_set_new(o, "ioc_label", json_string(e->label));
    }
    if (intel_ioc_http(c, d, &list) && in_obj(&o, &bad))
        json_object_set_new(o, "http_ioc_list", json_string(list));
    struct lookalike_result r;
    if (c->lookalike && (d->domain || d->name) &&
        lookalike_check(c->lookalike, f->name_id, d->domain ? d->domain : d->name, &r) &&
        r.vendor && in_obj(&o, &bad)) {
        json_object_set_new(o, "lookalike", json_string(lookalike_verdict_name(r.verdict)));
        json_object_set_new(o, "lookalike_vendor", json_string(r.vendor));
    }
    if (bad)
        return -1;
    return o ? json_object_set_new(rec, "intel", o) : 0;
}

/* ---- the same members streamed (flow records, no object tree) -------- */

static void in_evew_geo(struct intel_ctx *c, const struct intel_dst *d, struct evew *w)
{
    struct geo_result r;
    if (!c->geo || !geo_lookup(c->geo, &d->remote, &r))
        return;
    evew_key(w, "dest_geo");
    evew_obj_begin(w);
    if (r.country[0])
        evew_kstr(w, "country", r.country);
    if (r.asn)
        evew_kint(w, "asn", (int64_t)r.asn);
    if (r.org[0])
        evew_kstr(w, "org", r.org);
    evew_obj_end(w);
}

/* Opens "intel" before its first member (*open tracks it). */
static void in_evew_open(struct evew *w, bool *open)
{
    if (*open)
        return;
    *open = true;
    evew_key(w, "intel");
    evew_obj_begin(w);
}

static void in_evew_intel(struct intel_ctx *c, const struct xm_flow *f,
                          const struct intel_dst *d, struct evew *w)
{
    bool open = false;
    const char *list = NULL;
    const struct lists_entry *e = intel_ioc_dst(c, d, &list);
    if (e) {
        in_evew_open(w, &open);
        evew_kstr(w, "ioc_list", list);
        if (e->label[0])
            evew_kstr(w, "ioc_label", e->label);
    }
    if (intel_ioc_http(c, d, &list)) {
        in_evew_open(w, &open);
        evew_kstr(w, "http_ioc_list", list);
    }
    struct lookalike_result r;
    if (c->lookalike && (d->domain || d->name) &&
        lookalike_check(c->lookalike, f->name_id, d->domain ? d->domain : d->name, &r) &&
        r.vendor) {
        in_evew_open(w, &open);
        evew_kstr(w, "lookalike", lookalike_verdict_name(r.verdict));
        evew_kstr(w, "lookalike_vendor", r.vendor);
    }
    if (open)
        evew_obj_end(w);
}

void intel_eve_write(struct intel_ctx *c, const struct xm_flow *f, xm_time_t now,
                     struct evew *w)
{
    struct intel_dst d;
    intel_dst_of(c, f, &d);
    in_evew_geo(c, &d, w);
    in_evew_intel(c, f, &d, w);
    if (c->aihost && f->local != FLOW_LOCAL_NONE)
        (void)aihost_eve_write(c->aihost, &d.local, now, w);
}

int intel_eve_add(struct intel_ctx *c, const struct xm_flow *f, xm_time_t now, json_t *rec)
{
    struct intel_dst d;
    intel_dst_of(c, f, &d);
    if (in_eve_geo(c, &d, rec) != 0 || in_eve_intel(c, f, &d, rec) != 0)
        return -1;
    if (c->aihost && f->local != FLOW_LOCAL_NONE &&
        aihost_eve_add(c->aihost, &d.local, now, rec) < 0)
        return -1;
    return 0;
}
