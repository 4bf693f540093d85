/*
 * app_dns.c - the DNS row of the app-layer parser table: DNS over UDP on
 * ports 53, 5353 (mDNS) and 5355 (LLMNR), probed on other UDP ports, and
 * DNS over TCP (RFC 7766).  Every parsed message feeds the names tables;
 * the query of the packet being processed is kept for the rules.  Policy
 * in include/xm_app.h.
 */
#include "app_int.h"

static bool app_dns_port(uint16_t port)
{
    return port == 53 || port == 5353 || port == 5355;
}

static void app_note_query(struct app_ctx *a, const struct dns_msg *m,
                           const struct xm_addr *host)
{
    const struct dns_name *q = &m->q[0].name;
    a->dns_q.host = *host;
    memcpy(a->dns_q.qname, q->s, (size_t)q->len + 1);
    a->dns_q.qtype = m->q[0].qtype;
    for (uint8_t i = 0; i <= q->len; i++) {
        char c = q->s[i];
        a->dns_q.domain[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    int off = names_reg_offset(a->names, a->dns_q.domain, q->len);
    if (off > 0)
        memmove(a->dns_q.domain, a->dns_q.domain + off, (size_t)(q->len - off) + 1);
    a->dns_q_valid = true;
}

/* Keeps the query just noted (a->dns_q) in the flow's record: the rules
 * and records of this flow read it, never another flow's. */
static void app_keep_query(struct app_ctx *a, struct xm_flow *f)
{
    a->dns_q_flow = f;
    a->dns_q_flow_id = f->flow_id;
    struct app_rec *r = app_rec_new(a, f);
    if (!r)
        return;
    size_t qlen = strlen(a->dns_q.qname), dlen = strlen(a->dns_q.domain);
    for (size_t i = 0; i <= qlen; i++) {
        char c = a->dns_q.qname[i];
        r->dns_qname[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    r->dns_dom_off = (uint8_t)(dlen <= qlen ? qlen - dlen : 0);
    r->dns_qtype = a->dns_q.qtype;
    r->dns_host = a->dns_q.host;
    r->has_dns_q = true;
}

/* Feeds one parsed message (res OK or TRUNCATED) to the names tables. */
static void app_dns_learn(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f,
                          enum dns_result res)
{
    const struct dns_msg *m = &a->msg;
    a->st.dns_msgs++;
    if (res == DNS_TRUNCATED)
        a->st.dns_truncated++;
    if (res == DNS_INVALID) {
        a->st.dns_invalid++;
        return;
    }
    const struct xm_addr *querier = m->is_response ? &p->dst : &p->src;
    if (m->is_response) {
        a->st.dns_responses++;
    } else {
        a->st.dns_queries++;
        if (m->n_q && m->q[0].name.len) {
            app_note_query(a, m, querier);
            app_keep_query(a, f);
        }
    }
    names_learn_dns(a->names, m, querier, p->ts);
    if (a->dns_fn)
        a->dns_fn(a->dns_fn_ctx, m, p);
}

void app_set_dns_observer(struct app_ctx *a, app_dns_fn fn, void *ctx)
{
    a->dns_fn = fn;
    a->dns_fn_ctx = ctx;
}

static bool app_hostname_chars(const struct dns_name *n)
{
    if (n->len == 0)
        return false;
    for (uint8_t i = 0; i < n->len; i++) {
        char c = n->s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

/* Ports whose payload is DNS-shaped but not about host names: NetBIOS
 * name service (137, RFC 1002) and datagram service (138). */
static bool app_dns_excluded(const struct xm_pkt *p)
{
    return p->sport == 137 || p->dport == 137 || p->sport == 138 || p->dport == 138;
}

/* DNS on a non-standard UDP port: see the policy in xm_app.h. */
static bool app_dns_probe(struct app_ctx *a, const struct xm_pkt *p)
{
    const struct dns_msg *m = &a->msg;
    if (!dns_header_plausible(p->l4_payload, p->l4_caplen))
        return false;
    if (dns_parse(p->l4_payload, p->l4_caplen, &a->msg) != DNS_OK)
        return false;
    if (m->n_q != 1 || m->an_parsed != m->ancount || !app_hostname_chars(&m->q[0].name))
        return false;
    return m->consumed == p->l4_caplen || m->arcount || m->nscount;
}

/* Where in this segment the next DNS message starts (-1: none here). */
static long app_dns_tcp_start(struct app_ctx *a, const struct app_rec *r,
                              const struct xm_pkt *p, int dir)
{
    if (!r || !r->dns_sync[dir])
        return 0;
    int32_t d = (int32_t)(r->dns_next_seq[dir] - p->tcp_seq);
    if (d < 0 || (uint32_t)d >= p->l4_caplen) {
        a->st.dns_tcp_skipped++;
        return -1;
    }
    return d;
}

/* DNS over TCP (RFC 7766): every length-prefixed message in the segment. */
static void app_dns_tcp(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    if (p->l4_caplen == 0)
        return;
    struct app_rec *r = app_rec_new(a, f);
    long start = app_dns_tcp_start(a, r, p, dir);
    if (start < 0) {
        if (r && (int32_t)(r->dns_next_seq[dir] - p->tcp_seq) < 0)
            r->dns_sync[dir] = false;        /* gap: resync on the next segment */
        return;
    }
    size_t off = (size_t)start, n = p->l4_caplen;
    while (off + 2 <= n) {
        size_t mlen;
        enum dns_result res = dns_parse_tcp(p->l4_payload + off, n - off, &a->msg, &mlen);
        if (mlen == 0)
            break;
        a->st.dns_tcp_msgs++;
        app_dns_learn(a, p, f, res);
        off += 2 + mlen;
    }
    if (r) {
        r->dns_sync[dir] = true;
        r->dns_next_seq[dir] = p->tcp_seq + (uint32_t)off;
    }
}

/* Table row (APP_STYLE_PACKET): takes DNS ports, and the first packet of
 * each direction of other UDP flows when it parses as a clean query. */
bool app_dns_packet(struct app_ctx *a, const struct xm_pkt *p, struct xm_flow *f, int dir)
{
    if (app_dns_port(p->sport) || app_dns_port(p->dport)) {
        app_seen_set(f, APP_P_DNS);
        if (p->proto == APP_PROTO_TCP)
            app_dns_tcp(a, p, f, dir);
        else
            app_dns_learn(a, p, f, dns_parse(p->l4_payload, p->l4_caplen, &a->msg));
        return true;
    }
    if (p->proto != APP_PROTO_UDP || !a->lim.dns_any_udp_port || f->pkts[dir] != 1 ||
        app_dns_excluded(p) || !app_dns_probe(a, p))
        return false;
    app_seen_set(f, APP_P_DNS);
    a->st.dns_other_port_flows++;
    app_dns_learn(a, p, f, DNS_OK);
    return true;
}

const struct app_dns_query *app_last_dns_query(const struct app_ctx *a)
{
    return a->dns_q_valid ? &a->dns_q : NULL;
}

bool app_flow_dns_query(const struct app_ctx *a, const struct xm_flow *f,
                        struct app_flow_dns *out)
{
    const struct app_rec *r = app_rec_get(a, f);
    if (!r || !r->has_dns_q) {
        /* No record free: the query of the packet in hand, if it is f's. */
        if (!a->dns_q_valid || a->dns_q_flow != f || a->dns_q_flow_id != f->flow_id)
            return false;
        *out = (struct app_flow_dns){&a->dns_q.host, a->dns_q.qname, a->dns_q.domain,
                                     a->dns_q.qtype};
        return true;
    }
    *out = (struct app_flow_dns){&r->dns_host, r->dns_qname, r->dns_qname + r->dns_dom_off,
                                 r->dns_qtype};
    return true;
}

/* Query type mnemonic (RFC 1035 3.2.2, RFC 3596, RFC 9460), else
 * "TYPEn" (RFC 3597 section 5). */
static void app_qtype_name(uint16_t t, char *buf, size_t len)
{
    static const struct { uint16_t t; const char *s; } known[] = {
        {1, "A"}, {2, "NS"}, {5, "CNAME"}, {6, "SOA"}, {10, "NULL"}, {12, "PTR"},
        {15, "MX"}, {16, "TXT"}, {28, "AAAA"}, {33, "SRV"}, {64, "SVCB"}, {65, "HTTPS"},
        {255, "ANY"},
    };
    for (size_t i = 0; i < XM_ARRAY_LEN(known); i++)
        if (known[i].t == t) {
            snprintf(buf, len, "%s", known[i].s);
            return;
        }
    snprintf(buf, len, "TYPE%u", (unsigned)t);
}

/* Table row eve(): "dns_query": {"query", "domain", "qtype"} of the flow's last
 * query (records and alerts of DNS flows; absent for answer-only flows). */
void app_dns_eve(const struct app_ctx *a, const struct xm_flow *f, json_t *rec)
{
    struct app_flow_dns q;
    char t[16];
    if (!app_flow_dns_query(a, f, &q))
        return;
    app_qtype_name(q.qtype, t, sizeof t);
    json_t *o = json_pack("{s:s, s:s, s:s}", "query", q.qname, "domain", q.domain, "qtype", t);
    if (o)
        json_object_set_new(rec, "dns_query", o);
}

/* json_pack's "{s:s, s:s, s:s}" fails whole when a string is NULL or not
 * valid UTF-8: then no "dns_query" at all, as in app_dns_eve. */
void app_dns_evew(const struct app_ctx *a, const struct xm_flow *f, struct evew *w)
{
    struct app_flow_dns q;
    char t[16];
    if (!app_flow_dns_query(a, f, &q) || !q.qname || !q.domain ||
        !eve_utf8_valid(q.qname, strlen(q.qname)) || !eve_utf8_valid(q.domain, strlen(q.domain)))
        return;
    app_qtype_name(q.qtype, t, sizeof t);
    evew_key(w, "dns_query");
    evew_obj_begin(w);
    evew_kstr(w, "query", q.qname);
    evew_kstr(w, "domain", q.domain);
    evew_kstr(w, "qtype", t);
    evew_obj_end(w);
}

bool app_dns_stats(const struct app_ctx *a, const struct xm_addr *host, const char *domain,
                   struct names_tunnel *out)
{
    return names_tunnel_get(a->names, host, domain, out);
}
