/*
 * app_fields.c - rule fields fed by the app-layer parsers and the name
 * cache (app_fields in include/xm_app.h).
 *
 * All fields are FLOW scope: they describe the remote end of the flow
 * whose packet triggered the evaluation.  A getter returns 1 ("not
 * available", the comparison is false) when the flow carries no such
 * information.  Strings are borrowed from the app/name tables and stay
 * valid for the evaluation.
 *
 * DNS-tunnel fields look at the last DNS query of the flow being
 * evaluated (app_flow_dns_query, kept in the flow's app record) and report
 * the statistics of its (querying host, registrable domain) pair; a flow
 * that carried no query (NetBIOS, an answer-only capture) has none.
 * Resolvers see one flow per query source port, so every query of a
 * tunnel is evaluated.
 */

#include "xm_app.h"
#include "xm_field.h"

enum app_field_id {
    AF_NAME, AF_DOMAIN, AF_NAMED, AF_NAME_SOURCE, AF_UNNAMED_REASON,
    AF_SNI, AF_ALPN, AF_ECH,
    AF_HTTP_METHOD, AF_HTTP_HOST, AF_HTTP_UA, AF_HTTP_CTYPE, AF_HTTP_XFILE,
    AF_HTTP_CLEN, AF_HTTP_URL_LEN,
    AF_DNS_DOMAIN, AF_DNS_UNIQUE, AF_DNS_LONGEST, AF_DNS_SUBLEN, AF_DNS_ENTROPY, AF_DNS_TXT,
    AF_DNS_QUERIES, AF_DNS_QPM,
    AF_MAX
};

#define app_str xm_field_str

static int app_get_name(const struct app_ctx *app, const struct xm_flow *f,
                        enum app_field_id id, union xm_field_value *out)
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
                        enum app_field_id id, union xm_field_value *out)
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

static int app_get_dns(const struct app_ctx *app, const struct xm_flow *f,
                       enum app_field_id id, union xm_field_value *out)
{
    struct app_flow_dns q;
    struct names_tunnel t;
    if (!app_flow_dns_query(app, f, &q))
        return 1;
    if (id == AF_DNS_DOMAIN)
        return app_str(q.domain, out);
    if (!app_dns_stats(app, q.host, q.domain, &t))
        return 1;
    switch (id) {
    case AF_DNS_UNIQUE: out->num = t.unique_subdomains; return 0;
    case AF_DNS_LONGEST: out->num = t.longest_label; return 0;
    case AF_DNS_SUBLEN: out->num = t.longest_subdomain; return 0;
    case AF_DNS_ENTROPY: out->num = t.entropy_max; return 0;
    case AF_DNS_TXT: out->num = (double)t.txt_bytes; return 0;
    case AF_DNS_QUERIES: out->num = (double)t.queries; return 0;
    case AF_DNS_QPM: out->num = t.queries_per_min; return 0;
    default: return 1;
    }
}

static int app_field_get(const void *owner, int fid, const struct xm_field_ctx *c,
                         union xm_field_value *out)
{
    const struct app_ctx *app = owner;
    const struct xm_flow *f = c->flow;
    enum app_field_id id = (enum app_field_id)fid;
    if (!f || !app)
        return 1;
    if (id <= AF_UNNAMED_REASON || id == AF_ECH)
        return app_get_name(app, f, id, out);
    if (id == AF_SNI)
        return app_str(app_flow_sni(app, f), out);
    if (id == AF_ALPN)
        return app_str(app_flow_alpn(app, f), out);
    if (id <= AF_HTTP_URL_LEN)
        return app_get_http(app, f, id, out);
    return app_get_dns(app, f, id, out);
}

#define AF_FLOW XM_FS_BIT(XM_FS_FLOW)

static const struct xm_field_desc app_field_defs[] = {
    {"dst.name", XM_FT_STRING, AF_FLOW, AF_NAME, app_field_get},
    {"dst.domain", XM_FT_STRING, AF_FLOW, AF_DOMAIN, app_field_get},
    {"dst.named", XM_FT_BOOL, AF_FLOW, AF_NAMED, app_field_get},
    {"dst.name_source", XM_FT_STRING, AF_FLOW, AF_NAME_SOURCE, app_field_get},
    {"dst.unnamed_reason", XM_FT_STRING, AF_FLOW, AF_UNNAMED_REASON, app_field_get},
    {"tls.sni", XM_FT_STRING, AF_FLOW, AF_SNI, app_field_get},
    {"tls.alpn", XM_FT_STRING, AF_FLOW, AF_ALPN, app_field_get},
    {"tls.ech", XM_FT_BOOL, AF_FLOW, AF_ECH, app_field_get},
    {"http.method", XM_FT_STRING, AF_FLOW, AF_HTTP_METHOD, app_field_get},
    {"http.host", XM_FT_STRING, AF_FLOW, AF_HTTP_HOST, app_field_get},
    {"http.user_agent", XM_FT_STRING, AF_FLOW, AF_HTTP_UA, app_field_get},
    {"http.content_type", XM_FT_STRING, AF_FLOW, AF_HTTP_CTYPE, app_field_get},
    {"http.x_filename", XM_FT_STRING, AF_FLOW, AF_HTTP_XFILE, app_field_get},
    {"http.content_length", XM_FT_BYTES, AF_FLOW, AF_HTTP_CLEN, app_field_get},
    {"http.url_length", XM_FT_NUM, AF_FLOW, AF_HTTP_URL_LEN, app_field_get},
    {"dns.domain", XM_FT_STRING, AF_FLOW, AF_DNS_DOMAIN, app_field_get},
    {"dns.unique_subdomains", XM_FT_NUM, AF_FLOW, AF_DNS_UNIQUE, app_field_get},
    {"dns.longest_label", XM_FT_NUM, AF_FLOW, AF_DNS_LONGEST, app_field_get},
    {"dns.subdomain_length", XM_FT_NUM, AF_FLOW, AF_DNS_SUBLEN, app_field_get},
    {"dns.entropy", XM_FT_NUM, AF_FLOW, AF_DNS_ENTROPY, app_field_get},
    {"dns.txt_bytes", XM_FT_BYTES, AF_FLOW, AF_DNS_TXT, app_field_get},
    {"dns.queries", XM_FT_NUM, AF_FLOW, AF_DNS_QUERIES, app_field_get},
    {"dns.queries_per_min", XM_FT_NUM, AF_FLOW, AF_DNS_QPM, app_field_get},
};

const struct xm_field_list app_fields = XM_FIELD_LIST(app_field_defs);
