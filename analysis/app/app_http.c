/*
 * app_http.c - the HTTP/1.x row of the app-layer parser table: the
 * client's first flight is a request head (RFC 9112 3); Host names the
 * flow (unless it is an address literal); method, user agent, content
 * type and length, X-Filename and the URL length are kept for the record.
 */
#include "app_int.h"

static void app_http_copy(struct app_http *o, const struct http1_req *q)
{
    memcpy(o->method, q->method, sizeof o->method);
    memcpy(o->host, q->host, sizeof o->host);
    memcpy(o->user_agent, q->user_agent, sizeof o->user_agent);
    memcpy(o->content_type, q->content_type, sizeof o->content_type);
    memcpy(o->x_filename, q->x_filename, sizeof o->x_filename);
    memcpy(o->url, q->url, sizeof o->url);
    o->url_len = q->url_len;
    o->content_length = q->content_length;
    o->has_content_length = q->has_content_length;
    o->has_x_filename = q->has_x_filename;
}

static void app_http_apply(struct app_ctx *a, struct xm_flow *f, const struct http1_req *q)
{
    struct xm_addr lit;
    if (!app_seen(f, APP_P_HTTP) && !strcmp(q->method, "CONNECT"))
        f->app_flags |= APP_F_CONNECT;
    app_seen_set(f, APP_P_HTTP);
    a->st.http_x_filename += q->has_x_filename;
    if (q->has_host && q->host[0] && xm_addr_parse(q->host, &lit) != 0) {
        app_set_name(f, names_intern(a->names, q->host, strlen(q->host)), NAME_HTTP_HOST);
        a->st.named_http++;
    }
    struct app_rec *r = app_rec_new(a, f);
    if (!r)
        return;
    r->has_http = true;
    r->srv_row = 1 + APP_P_HTTP;
    app_http_copy(&r->http, q);
}

/* Table row parse(): a request head; true when finished with. */
bool app_http_parse(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n, bool last)
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

bool app_http_start(const uint8_t *d, size_t n)
{
    return http1_request_start(d, n);
}

/* Table row server(): the response head in the server's first segment
 * (status, Content-Length: Suricata's http.status and http.length). */
void app_http_server(struct app_ctx *a, struct xm_flow *f, const uint8_t *d, size_t n)
{
    struct app_rec *r = app_rec_get(a, f);
    if (!r)
        return;
    enum http1_result res = http1_parse_response(d, n, &r->resp);
    r->has_http_resp = (res == HTTP1_OK || res == HTTP1_NEED_MORE) && r->resp.status;
    a->st.http_responses += r->has_http_resp;
}

static void app_eve_http_resp(json_t *o, const struct app_rec *r)
{
    if (!r || !r->has_http_resp)
        return;
    json_object_set_new(o, "status", json_integer(r->resp.status));
    if (r->resp.has_content_length)
        json_object_set_new(o, "length", json_integer((json_int_t)r->resp.content_length));
}

static json_t *app_eve_http(const struct app_http *h)
{
    json_t *o = json_object();
    if (h->host[0])
        json_object_set_new(o, "hostname", json_string(h->host));
    if (h->url[0])
        json_object_set_new(o, "url", json_string(h->url));
    json_object_set_new(o, "http_method", json_string(h->method));
    if (h->user_agent[0])
        json_object_set_new(o, "http_user_agent", json_string(h->user_agent));
    if (h->content_type[0])
        json_object_set_new(o, "http_content_type", json_string(h->content_type));
    if (h->has_content_length)
        json_object_set_new(o, "request_length", json_integer((json_int_t)h->content_length));
    if (h->has_x_filename)
        json_object_set_new(o, "x_filename", json_string(h->x_filename));
    json_object_set_new(o, "url_length", json_integer(h->url_len));
    return o;
}

void app_http_evew(const struct app_ctx *a, const struct xm_flow *f, struct evew *w)
{
    const struct app_http *h = app_flow_http(a, f);
    const struct app_rec *r = app_rec_get(a, f);
    if (!h)
        return;
    evew_key(w, "http");
    evew_obj_begin(w);
    if (h->host[0])
        evew_kstr(w, "hostname", h->host);
    if (h->url[0])
        evew_kstr(w, "url", h->url);
    evew_kstr(w, "http_method", h->method);
    if (h->user_agent[0])
        evew_kstr(w, "http_user_agent", h->user_agent);
    if (h->content_type[0])
        evew_kstr(w, "http_content_type", h->content_type);
    if (h->has_content_length)
        evew_kint(w, "request_length", (int64_t)h->content_length);
    if (h->has_x_filename)
        evew_kstr(w, "x_filename", h->x_filename);
    evew_kint(w, "url_length", h->url_len);
    if (r && r->has_http_resp) {
        evew_kint(w, "status", r->resp.status);
        if (r->resp.has_content_length)
            evew_kint(w, "length", (int64_t)r->resp.content_length);
    }
    evew_obj_end(w);
}

void app_http_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec)
{
    const struct app_http *h = app_flow_http(a, f);
    if (!h)
        return;
    json_t *o = app_eve_http(h);
    app_eve_http_resp(o, app_rec_get(a, f));
    json_object_set_new(rec, "http", o);
}
