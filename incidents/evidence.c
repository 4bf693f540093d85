/*
 * evidence.c - what one alert says (inc_hit_read) and what the evidence
 * of an incident is worth (inc_score).
 *
 * The alert is read as written (docs/schema-alert.md), so the incident
 * layer depends on the record contract only, never on engine internals.
 *
 * Score terms (points; the record lists the terms that applied):
 *   rule_severity     most severe rule hit: critical 70, high 50,
 *                     medium 30, low 10
 *   indicator         the destination is on an indicator list      +30
 *   lookalike         its name imitates a vendor domain            +15
 *   ai_host           the local host runs AI tooling               +10
 *   new_destination   first seen under an hour before the hit,
 *                     by this host and by the site                 +10
 *   unnamed           no DNS answer, SNI or Host names it           +5
 *   process           a process rule matched                        +5
 *   corroborated      three or more distinct rules                  +5
 *   volume            bytes out: >= 100 MB +5, >= 1 GiB +15,
 *                     >= 10 GiB +25
 *   expected_llm      the destination is an LLM API endpoint that is
 *                     itself the host's AI evidence: -40, or -20 once
 *                     more than 1 GiB went there
 * Severity: >= 80 critical, >= 60 high, >= 30 medium, else low.  So an
 * indicator hit is critical on its own (70 + 30), a multi-GiB upload from
 * an AI host to a new destination is at least high from a medium rule
 * (30 + 10 + 10 + 15), and traffic to the LLM API that made the host an
 * AI host stays low unless it is huge.
 */
#include "inc_int.h"

#include <stdio.h>
#include <string.h>

#define INC_MB UINT64_C(1000000)
#define INC_GIB (UINT64_C(1) << 30)

static const char *js(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const json_t *jo(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_object(v) ? v : NULL;
}

static bool inc_addr(const json_t *o, const char *key, struct xm_addr *out)
{
    const char *s = js(o, key);
    memset(out, 0, sizeof *out);
    return s && xm_addr_parse(s, out) == 0;
}

static bool inc_home(const struct xm_netset *home, const struct xm_addr *a)
{
    return a->family && netset_contains(home, a);
}

/* The local host: the key's host, else whichever end is in the home
 * network (the client first); dest is the other end. */
static int inc_hit_ends(const json_t *alert, const struct xm_netset *home, struct inc_hit *h)
{
    struct xm_addr src, dst;
    bool has_src = inc_addr(alert, "src_ip", &src), has_dst = inc_addr(alert, "dest_ip", &dst);
    const json_t *key = jo(jo(alert, "exfil"), "key");
    if (key && inc_addr(key, "host", &h->host)) {
        if (has_dst && xm_addr_cmp(&dst, &h->host) != 0)
            h->dest = dst;
        return 0;
    }
    if (has_src && inc_home(home, &src)) {
        h->host = src;
        if (has_dst)
            h->dest = dst;
        return 0;
    }
    if (has_dst && inc_home(home, &dst)) {
        h->host = dst;
        if (has_src)
            h->dest = src;
        return 0;
    }
    return -1;
}

static void inc_net_prefix(const struct xm_addr *a, char *out, size_t len)
{
    struct xm_addr p = *a;
    char buf[64];
    unsigned bits = a->family == 4 ? 24 : 48;
    for (unsigned i = bits / 8; i < 16; i++)
        p.b[i] = 0;
    snprintf(out, len, "%s/%u", xm_addr_str(&p, buf, sizeof buf), bits);
}

static void inc_set_group(struct inc_hit *h, uint8_t kind, const char *val)
{
    h->gkind = kind;
    snprintf(h->gval, sizeof h->gval, "%s", val ? val : "");
}

/* Destination group, first match (xm_incident.h). */
static void inc_hit_group(const json_t *alert, struct inc_hit *h)
{
    const json_t *name = jo(alert, "dest_name"), *geo = jo(alert, "dest_geo");
    const char *cat = js(jo(alert, "alert"), "category"), *domain = js(name, "domain");
    json_int_t asn = json_integer_value(json_object_get(geo, "asn"));
    if (h->ioc)
        inc_set_group(h, INC_G_CAMPAIGN, h->ioc);
    else if (cat && !strcmp(cat, "DNS Tunnel") && (js(jo(alert, "dns_query"), "domain") || domain))
        inc_set_group(h, INC_G_DNS_TUNNEL, js(jo(alert, "dns_query"), "domain") ?
                      js(jo(alert, "dns_query"), "domain") : domain);
    else if (domain)
        inc_set_group(h, INC_G_DOMAIN, domain);
    else if (asn > 0)
        snprintf(h->gval, sizeof h->gval, "AS%lld", (long long)asn), h->gkind = INC_G_ASN;
    else if (h->dest.family)
        h->gkind = INC_G_NET, inc_net_prefix(&h->dest, h->gval, sizeof h->gval);
    else
        inc_set_group(h, INC_G_HOST, "");
}

static bool inc_has_tag(const json_t *alert, const char *tag)
{
    const json_t *tags = json_object_get(jo(jo(alert, "alert"), "metadata"), "tags");
    size_t i;
    const json_t *t;
    json_array_foreach(tags, i, t)
        if (json_string_value(t) && !strcmp(json_string_value(t), tag))
            return true;
    return false;
}

/* The destination's name is one of the LLM endpoints that are this
 * host's AI evidence (host.evidence[].kind == "llm_endpoint"). */
static bool inc_expected_llm(const json_t *host, const char *dest_name)
{
    const json_t *evidence = json_object_get(host, "evidence"), *e;
    size_t i;
    if (!dest_name)
        return false;
    json_array_foreach(evidence, i, e) {
        const char *kind = js(e, "kind"), *detail = js(e, "detail");
        if (kind && detail && !strcmp(kind, "llm_endpoint") && !strcmp(detail, dest_name))
            return true;
    }
    return false;
}

static void inc_hit_evidence(const json_t *alert, struct inc_hit *h)
{
    const json_t *exfil = jo(alert, "exfil");
    json_int_t age = json_integer_value(json_object_get(exfil, "first_seen_age_s"));
    json_int_t prev = json_integer_value(json_object_get(exfil, "prevalence"));
    struct inc_evidence *ev = &h->ev;
    ev->max_sev = h->sev;
    ev->ai_host = json_is_true(json_object_get(h->host_obj, "ai"));
    ev->indicator = h->ioc != NULL;
    ev->lookalike = h->lookalike_vendor != NULL;
    ev->new_dest = json_object_get(exfil, "first_seen_age_s") && age < 3600 && prev <= 1 &&
                   h->dest.family;
    ev->unnamed = h->dest.family && h->dest_source && !strcmp(h->dest_source, "unnamed");
    ev->process = inc_has_tag(alert, "process");
    ev->expected_llm = inc_expected_llm(h->host_obj, h->dest_name);
    ev->alert_bytes_out = (uint64_t)json_integer_value(json_object_get(exfil, "bytes_out"));
    ev->alert_bytes_in = (uint64_t)json_integer_value(json_object_get(exfil, "bytes_in"));
}

int inc_hit_read(const json_t *alert, const struct xm_netset *home, struct inc_hit *h)
{
    const json_t *a = jo(alert, "alert"), *name = jo(alert, "dest_name");
    const json_t *intel = jo(alert, "intel");
    memset(h, 0, sizeof *h);
    if (!a || inc_hit_ends(alert, home, h) != 0)
        return -1;
    h->sid = (uint32_t)json_integer_value(json_object_get(a, "signature_id"));
    json_int_t sev = json_integer_value(json_object_get(a, "severity"));
    h->sev = (uint8_t)(sev >= INC_SEV_CRITICAL && sev <= INC_SEV_LOW ? sev : INC_SEV_LOW);
    h->signature = js(a, "signature");
    h->category = js(a, "category");
    h->dest_name = js(name, "name");
    h->dest_source = js(name, "source");
    h->qname = js(jo(alert, "dns_query"), "query");
    h->community_id = js(alert, "community_id");
    h->ioc = js(intel, "ioc_list");
    h->lookalike_vendor = js(intel, "lookalike_vendor");
    h->host_obj = jo(alert, "local_host");
    h->process = jo(alert, "process");
    h->pid = (uint32_t)json_integer_value(json_object_get(h->process, "pid"));
    inc_hit_group(alert, h);
    inc_hit_evidence(alert, h);
    return 0;
}

void inc_evidence_merge(struct inc_evidence *into, const struct inc_evidence *from)
{
    if (!into->max_sev || (from->max_sev && from->max_sev < into->max_sev))
        into->max_sev = from->max_sev;
    into->ai_host |= from->ai_host;
    into->indicator |= from->indicator;
    into->lookalike |= from->lookalike;
    into->new_dest |= from->new_dest;
    into->unnamed |= from->unnamed;
    into->process |= from->process;
    into->expected_llm |= from->expected_llm;
    if (from->alert_bytes_out > into->alert_bytes_out)
        into->alert_bytes_out = from->alert_bytes_out;
    if (from->alert_bytes_in > into->alert_bytes_in)
        into->alert_bytes_in = from->alert_bytes_in;
}

static void inc_term_add(struct inc_term *t, size_t *n, const char *name, int points)
{
    if (*n < INC_TERMS)
        t[(*n)++] = (struct inc_term){name, points};
}

static int inc_volume_points(uint64_t out)
{
    return out >= 10 * INC_GIB ? 25 : out >= INC_GIB ? 15 : out >= 100 * INC_MB ? 5 : 0;
}

int inc_score(const struct inc *in, struct inc_term *t, size_t *n)
{
    static const int base[] = {0, 70, 50, 30, 10};
    const struct inc_evidence *ev = &in->ev;
    uint64_t out = in->flow_bytes_out > ev->alert_bytes_out ? in->flow_bytes_out
                                                            : ev->alert_bytes_out;
    *n = 0;
    inc_term_add(t, n, "rule_severity", base[ev->max_sev <= INC_SEV_LOW ? ev->max_sev : 0]);
    if (ev->indicator) inc_term_add(t, n, "indicator", 30);
    if (ev->lookalike) inc_term_add(t, n, "lookalike", 15);
    if (ev->ai_host) inc_term_add(t, n, "ai_host", 10);
    if (ev->new_dest) inc_term_add(t, n, "new_destination", 10);
    if (ev->unnamed) inc_term_add(t, n, "unnamed", 5);
    if (ev->process) inc_term_add(t, n, "process", 5);
    if (in->n_sig >= 3) inc_term_add(t, n, "corroborated", 5);
    if (inc_volume_points(out)) inc_term_add(t, n, "volume", inc_volume_points(out));
    if (ev->expected_llm) inc_term_add(t, n, "expected_llm", out > INC_GIB ? -20 : -40);
    int score = 0;
    for (size_t i = 0; i < *n; i++)
        score += t[i].points;
    return score;
}

uint8_t inc_severity(int score)
{
    return score >= 80 ? INC_SEV_CRITICAL : score >= 60 ? INC_SEV_HIGH
         : score >= 30 ? INC_SEV_MEDIUM : INC_SEV_LOW;
}

const char *inc_sev_name(uint8_t sev)
{
    static const char *const names[] = {"none", "critical", "high", "medium", "low"};
    return sev <= INC_SEV_LOW ? names[sev] : "none";
}

const char *inc_group_name(uint8_t g)
{
    static const char *const names[INC_G_MAX] = {
        "host", "campaign", "dns_tunnel", "domain", "asn", "net",
    };
    return g < INC_G_MAX ? names[g] : "host";
}
