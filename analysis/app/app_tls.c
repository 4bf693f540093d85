/*
 * app_tls.c - the TLS row of the app-layer parser table: the client's
 * first flight is a TLS handshake record carrying a ClientHello (RFC 8446
 * 4.1.2); SNI names the flow, ALPN and ECH are kept for the record.
 */
#include "app_int.h"

/* complete: the whole ClientHello was parsed (so "no SNI" is a fact).
 * With ECH the SNI is the outer name and does not name the flow. */
static void app_tls_apply(struct app_ctx *a, struct xm_flow *f, const struct tls_hello *h,
                          bool complete)
{
    app_seen_set(f, APP_P_TLS);
    struct app_rec *r = app_hello_apply(a, f, h, complete, NAME_SNI);
    if (!r)
        return;
    r->has_tls = true;
    r->srv_row = 1 + APP_P_TLS;
    r->tls_client_version = h->max_version;
}

/* Table row parse(): a ClientHello; true when the flow is finished with. */
bool app_tls_parse(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n, bool last)
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

bool app_tls_start(const uint8_t *d, size_t n)
{
    return tls_record_start(d, n);
}

/* Table row server(): the server's first segment holds the ServerHello;
 * its negotiated version goes into the record. */
void app_tls_server(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n)
{
    struct app_rec *r = app_rec_get(a, f);
    uint16_t v = 0;
    if (r && tls_parse_server_hello(d, n, &v) == TLS_OK) {
        r->tls_version = v;
        a->st.tls_server_hellos++;
    }
}

/* "h2,http/1.1" -> ["h2", "http/1.1"] (Suricata's tls.client_alpns). */
static json_t *app_eve_alpns(const char *alpn)
{
    json_t *arr = json_array();
    const char *s = alpn;
    while (arr && *s) {
        size_t n = strcspn(s, ",");
        json_array_append_new(arr, json_stringn(s, n));
        s += n + (s[n] == ',');
    }
    return arr;
}

static json_t *app_eve_tls(const struct app_ctx *a, const struct xm_flow *f)
{
    json_t *o = json_object();
    const char *sni = app_flow_sni(a, f), *alpn = app_flow_alpn(a, f);
    const struct app_rec *r = app_rec_get(a, f);
    char vb[8];
    if (sni)
        json_object_set_new(o, "sni", json_string(sni));
    if (r && r->has_tls && r->tls_version)
        json_object_set_new(o, "version", json_string(tls_version_name(r->tls_version, vb,
                                                                        sizeof vb)));
    if (r && r->has_tls && r->tls_client_version)
        json_object_set_new(o, "client_handshake",
                            json_pack("{s:s}", "version",
                                      tls_version_name(r->tls_client_version, vb, sizeof vb)));
    if (alpn)
        json_object_set_new(o, "client_alpns", app_eve_alpns(alpn));
    if (f->app_flags & APP_F_ECH)
        json_object_set_new(o, "ech", json_true());
    return o;
}

void app_tls_evew(const struct app_ctx *a, const struct xm_flow *f, struct evew *w)
{
    const char *sni = app_flow_sni(a, f), *alpn = app_flow_alpn(a, f);
    const struct app_rec *r = app_rec_get(a, f);
    char vb[8];
    evew_key(w, "tls");
    evew_obj_begin(w);
    evew_kstr(w, "sni", sni);            /* NULL: left out */
    if (r && r->has_tls && r->tls_version)
        evew_kstr(w, "version", tls_version_name(r->tls_version, vb, sizeof vb));
    if (r && r->has_tls && r->tls_client_version) {
        evew_key(w, "client_handshake");
        evew_obj_begin(w);
        evew_kstr(w, "version", tls_version_name(r->tls_client_version, vb, sizeof vb));
        evew_obj_end(w);
    }
    if (alpn) {
        evew_key(w, "client_alpns");
        evew_arr_begin(w);
        for (const char *s = alpn; *s;) {
            size_t n = strcspn(s, ",");
            evew_strn(w, s, n);
            s += n + (s[n] == ',');
        }
        evew_arr_end(w);
    }
    if (f->app_flags & APP_F_ECH)
        evew_kbool(w, "ech", true);
    evew_obj_end(w);
}

void app_tls_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec)
{
    json_object_set_new(rec, "tls", app_eve_tls(a, f));
}
