/*
 * record.c - the EVE incident record (event_type "incident"; field
 * reference in docs/schema-incident.md).  Built only when a record is
 * due (xm_incident.h), never per packet.  Key order is fixed and lists
 * keep the order in which their entries first appeared, so the output
 * depends only on the input.
 */
#include "inc_int.h"

#include <stdio.h>

#include "xm_evew.h"

static json_t *rec_time(xm_time_t t)
{
    char buf[40];
    return json_string(xm_time_iso(t, buf, sizeof buf));
}

static json_t *rec_addr(const struct xm_addr *a)
{
    char buf[64];
    return json_string(xm_addr_str(a, buf, sizeof buf));
}

static json_t *rec_hits(const struct inc *in)
{
    json_t *a = json_array();
    for (uint8_t i = 0; i < in->n_sig; i++) {
        const struct inc_sig *g = &in->sig[i];
        json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:i, s:s, s:I, s:o, s:o}",
            "signature_id", (json_int_t)g->sid, "signature", g->name, "category", g->category,
            "severity", g->sev, "severity_name", inc_sev_name(g->sev),
            "count", (json_int_t)g->count, "first_seen", rec_time(g->first),
            "last_seen", rec_time(g->last)));
    }
    return a;
}

static json_t *rec_dests(const struct inc *in)
{
    json_t *a = json_array();
    for (uint8_t i = 0; i < in->n_dst; i++) {
        const struct inc_dest *d = &in->dst[i];
        json_t *o = json_pack("{s:o}", "ip", rec_addr(&d->ip));
        json_object_set_new(o, "name", d->name[0] ? json_string(d->name) : json_null());
        if (d->source[0])
            json_object_set_new(o, "source", json_string(d->source));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *rec_strings(const char (*v)[INC_STR], uint8_t n)
{
    json_t *a = json_array();
    for (uint8_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *rec_cids(const struct inc *in)
{
    json_t *a = json_array();
    for (uint8_t i = 0; i < in->n_cid; i++)
        json_array_append_new(a, json_string(in->cid[i]));
    return a;
}

static json_t *rec_score(const struct inc *in, uint8_t *sev)
{
    struct inc_term t[INC_TERMS];
    size_t n;
    int score = inc_score(in, t, &n);
    json_t *terms = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(terms, json_pack("{s:s, s:i}", "term", t[i].name,
                                               "points", t[i].points));
    *sev = inc_severity(score);
    return json_pack("{s:i, s:o}", "score", score, "terms", terms);
}

static json_t *rec_group(const struct inc *in)
{
    json_t *g = json_pack("{s:s}", "kind", inc_group_name(in->gkind));
    json_object_set_new(g, "value", in->gval[0] ? json_string(in->gval) : json_null());
    return g;
}

/* What the new_destination term rests on (rules_novelty_basis). */
static json_t *rec_novelty(xm_time_t since, xm_time_t now)
{
    int64_t age;
    const char *basis = rules_novelty_basis(since, now, &age);
    return json_pack("{s:s, s:I, s:I}", "basis", basis, "history_s", (json_int_t)age,
                     "warmup_s", (json_int_t)(RULES_NOVELTY_WARMUP / XM_USEC_PER_SEC));
}

static json_t *rec_body(const struct inc *in, xm_time_t hist_since,
                        const char *state, const char *reason, xm_time_t now)
{
    uint8_t sev = 0;
    json_t *score = rec_score(in, &sev);
    uint64_t out = in->flow_bytes_out > in->ev.alert_bytes_out ? in->flow_bytes_out
                                                                : in->ev.alert_bytes_out;
    uint64_t inb = in->flow_bytes_in > in->ev.alert_bytes_in ? in->flow_bytes_in
                                                              : in->ev.alert_bytes_in;
    json_t *b = json_pack("{s:I, s:s, s:s, s:i, s:s}", "id", (json_int_t)in->id,
                          "state", state, "reason", reason, "severity", sev,
                          "severity_name", inc_sev_name(sev));
    json_object_set_new(b, "score", json_object_get(score, "score"));
    json_incref(json_object_get(score, "score"));
    json_object_set(b, "score_terms", json_object_get(score, "terms"));
    json_decref(score);
    json_object_set_new(b, "novelty", rec_novelty(hist_since, now));
    json_object_set_new(b, "group", rec_group(in));
    json_object_set_new(b, "first_seen", rec_time(in->first));
    json_object_set_new(b, "last_seen", rec_time(in->last));
    json_object_set_new(b, "duration_s", json_integer((json_int_t)((now - in->first) /
                                                                   XM_USEC_PER_SEC)));
    json_object_set_new(b, "bytes_out", json_integer((json_int_t)out));
    json_object_set_new(b, "bytes_in", json_integer((json_int_t)inb));
    json_object_set_new(b, "record", json_integer(in->records));
    json_object_set_new(b, "hits", rec_hits(in));
    json_object_set_new(b, "hits_dropped", json_integer(in->sig_dropped));
    json_object_set_new(b, "destinations", rec_dests(in));
    json_object_set_new(b, "destinations_dropped", json_integer(in->dst_dropped));
    if (in->n_qname)
        json_object_set_new(b, "dns_queries", rec_strings((const char (*)[INC_STR])in->qname,
                                                          in->n_qname));
    json_object_set_new(b, "community_ids", rec_cids(in));
    if (in->ioc[0])
        json_object_set_new(b, "indicator_list", json_string(in->ioc));
    if (in->lookalike_vendor[0])
        json_object_set_new(b, "lookalike_vendor", json_string(in->lookalike_vendor));
    return b;
}

json_t *inc_record(const struct inc *in, xm_time_t hist_since, const char *state,
                   const char *reason, xm_time_t now)
{
    json_t *r = json_object();
    if (!r)
        return NULL;
    json_object_set_new(r, "timestamp", rec_time(now));
    json_object_set_new(r, "event_type", json_string("incident"));
    json_object_set_new(r, "schema_version", json_string(XM_SCHEMA_VERSION));
    if (eve_sensor_name())
        json_object_set_new(r, "host", json_string(eve_sensor_name()));
    json_object_set_new(r, "src_ip", rec_addr(&in->host));
    if (in->n_dst)
        json_object_set_new(r, "dest_ip", rec_addr(&in->dst[0].ip));
    json_object_set_new(r, "incident", rec_body(in, hist_since, state, reason, now));
    if (in->host_obj)
        json_object_set(r, "local_host", in->host_obj);
    if (in->process)
        json_object_set(r, "process", in->process);
    return r;
}
