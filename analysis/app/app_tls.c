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
    if (r)
        r->has_tls = true;
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

void app_tls_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec)
{
    json_object_set_new(rec, "tls", app_eve_tls(a, f));
}
