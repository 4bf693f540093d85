/*
 * app_fields.c - rule fields fed by the app-layer parsers and the name
 * cache (see app_register_fields in include/xm_app.h).
 *
 * All fields are FLOW scope: they describe the remote end of the flow
 * whose packet triggered the evaluation.  A getter returns 1 ("not
 * available", the comparison is false) when the flow carries no such
 * information.  Strings are borrowed from the app/name tables and stay
 * valid for the evaluation.
 *
 * DNS-tunnel fields look at the DNS query carried by the packet being
 * evaluated (app_last_dns_query) and report the statistics of its
 * (querying host, registrable domain) pair; resolvers see one flow per
 * query source port, so every query of a tunnel is evaluated.
 */

#include "xm_app.h"
#include "xm_rules.h"

enum app_field_id {
    AF_NAME, AF_DOMAIN, AF_NAMED, AF_NAME_SOURCE, AF_UNNAMED_REASON,
    AF_SNI, AF_ALPN, AF_ECH,
    AF_HTTP_METHOD, AF_HTTP_HOST, AF_HTTP_UA, AF_HTTP_CTYPE, AF_HTTP_XFILE,
    AF_HTTP_CLEN, AF_HTTP_URL_LEN,
    AF_DNS_DOMAIN, AF_DNS_UNIQUE, AF_DNS_LONGEST, AF_DNS_ENTROPY, AF_DNS_TXT,
    AF_DNS_QUERIES, AF_DNS_QPM,
    AF_MAX
};

/* The registry keeps `arg` pointers: one static slot per field. */
struct app_field_arg {
    const struct app_ctx *app;
    enum app_field_id id;
};
static struct app_field_arg app_field_args[AF_MAX];

static int app_str(const char *s, union rules_value *out)
{
    if (!s || !*s)
        return 1;
    out->str.s = s;
    out->str.len = strlen(s);
    return 0;
}

static int app_get_name(const struct app_ctx *app, const struct xm_flow *f,
                        enum app_field_id id, union rules_value *out)
{
    struct app_name n;
    app_flow_name(app, f, &n);
    switch (id) {
    case AF_NAME: return app_str(n.name, out);
    case AF_DOMAIN: return app_str(n.domain, out);
    case AF_NAMED: out->b = n.name != NULL; return 0;
    case AF_NAME_SOURCE: return app_str(n.source, out);
    case AF_UNNAMED_REASON: return app_str(n.name ? NULL : n.reason, out);
    case AF_ECH: out->b = n.ech; return 0;
    default: return 1;
    }
}

static int app_get_http(const struct app_ctx *app, const struct xm_flow *f,
                        enum app_field_id id, union rules_value *out)
{
    const struct app_http *h = app_flow_http(app, f);
    if (!h)
        return 1;
    switch (id) {
    case AF_HTTP_METHOD: return app_str(h->method, out);
    case AF_HTTP_HOST: return app_str(h->host, out);
    case AF_HTTP_UA: return app_str(h->user_agent, out);
    case AF_HTTP_CTYPE: return app_str(h->content_type, out);
    case AF_HTTP_XFILE: return app_str(h->has_x_filename ? h->x_filename : NULL, out);
    case AF_HTTP_CLEN:
        out->num = (double)h->content_length;
        return h->has_content_length ? 0 : 1;
    case AF_HTTP_URL_LEN: out->num = h->url_len; return 0;
    default: return 1;
    }
}

static int app_get_dns(const struct app_ctx *app, enum app_field_id id,
                       union rules_value *out)
{
    const struct app_dns_query *q = app_last_dns_query(app);
    struct names_tunnel t;
    if (!q)
        return 1;
    if (id == AF_DNS_DOMAIN)
        return app_str(q->domain, out);
    if (!app_dns_stats(app, &q->host, q->domain, &t))
        return 1;
    switch (id) {
    case AF_DNS_UNIQUE: out->num = t.unique_subdomains; return 0;
    case AF_DNS_LONGEST: out->num = t.longest_label; return 0;
    case AF_DNS_ENTROPY: out->num = t.entropy_max; return 0;
    case AF_DNS_TXT: out->num = (double)t.txt_bytes; return 0;
    case AF_DNS_QUERIES: out->num = (double)t.queries; return 0;
    case AF_DNS_QPM: out->num = t.queries_per_min; return 0;
    default: return 1;
    }
}

static int app_field_get(const struct rules_eval_ctx *ctx, const void *arg,
                         union rules_value *out)
{
    const struct rules_fref *ref = arg;
    const struct app_field_arg *a = ref->user;
    const struct xm_flow *f = ctx->flow;
    if (!f || !a->app)
        return 1;
    if (a->id <= AF_UNNAMED_REASON || a->id == AF_ECH)
        return app_get_name(a->app, f, a->id, out);
    if (a->id == AF_SNI)
        return app_str(app_flow_sni(a->app, f), out);
    if (a->id == AF_ALPN)
        return app_str(app_flow_alpn(a->app, f), out);
    if (a->id <= AF_HTTP_URL_LEN)
        return app_get_http(a->app, f, a->id, out);
    return app_get_dns(a->app, a->id, out);
}

static const struct { const char *name; enum rules_type type; enum app_field_id id; }
app_field_defs[] = {
    {"dst.name", RULES_T_STRING, AF_NAME},
    {"dst.domain", RULES_T_STRING, AF_DOMAIN},
    {"dst.named", RULES_T_BOOL, AF_NAMED},
    {"dst.name_source", RULES_T_STRING, AF_NAME_SOURCE},
    {"dst.unnamed_reason", RULES_T_STRING, AF_UNNAMED_REASON},
    {"tls.sni", RULES_T_STRING, AF_SNI},
    {"tls.alpn", RULES_T_STRING, AF_ALPN},
    {"tls.ech", RULES_T_BOOL, AF_ECH},
    {"http.method", RULES_T_STRING, AF_HTTP_METHOD},
    {"http.host", RULES_T_STRING, AF_HTTP_HOST},
    {"http.user_agent", RULES_T_STRING, AF_HTTP_UA},
    {"http.content_type", RULES_T_STRING, AF_HTTP_CTYPE},
    {"http.x_filename", RULES_T_STRING, AF_HTTP_XFILE},
    {"http.content_length", RULES_T_BYTES, AF_HTTP_CLEN},
    {"http.url_length", RULES_T_NUM, AF_HTTP_URL_LEN},
    {"dns.domain", RULES_T_STRING, AF_DNS_DOMAIN},
    {"dns.unique_subdomains", RULES_T_NUM, AF_DNS_UNIQUE},
    {"dns.longest_label", RULES_T_NUM, AF_DNS_LONGEST},
    {"dns.entropy", RULES_T_NUM, AF_DNS_ENTROPY},
    {"dns.txt_bytes", RULES_T_BYTES, AF_DNS_TXT},
    {"dns.queries", RULES_T_NUM, AF_DNS_QUERIES},
    {"dns.queries_per_min", RULES_T_NUM, AF_DNS_QPM},
};

int app_register_fields(struct rules_registry *reg, const struct app_ctx *app)
{
    int n = 0;
    for (size_t i = 0; i < XM_ARRAY_LEN(app_field_defs); i++) {
        struct app_field_arg *a = &app_field_args[app_field_defs[i].id];
        a->app = app;
        a->id = app_field_defs[i].id;
        struct rules_field def = {
            .name = app_field_defs[i].name, .type = app_field_defs[i].type,
            .scopes = RULES_SCOPE_BIT(RULES_SCOPE_FLOW), .windowed = false,
            .get = app_field_get, .arg = a, .metric = 0,
        };
        int added = rules_field_add(reg, &def);
        if (added < 0)
            return -1;
        n += added;
    }
    return n;
}
