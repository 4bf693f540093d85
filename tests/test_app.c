/*
 * test_app.c - the app-layer dispatcher (analysis/app/app.c) driven with
 * hand-built packets and flows: names from DNS, SNI over several
 * segments (in order, out of order, retransmitted with other bytes),
 * HTTP Host and X-Filename, unnamed reasons, DNS on another UDP port,
 * DNS over TCP across segments, EVE output and record release.
 */
#include <stdio.h>
#include <stdlib.h>

#include "app_build.h"
#include "xm_app.h"
#include "xm_test.h"
#include "../analysis/app/app_int.h"

static struct app_ctx *a;
static uint64_t next_flow_id = 100;

static struct xm_addr addr(const char *s)
{
    struct xm_addr x;
    xm_addr_parse(s, &x);
    return x;
}

static void flow_init(struct xm_flow *f, const char *cli, const char *srv, uint16_t cport,
                      uint16_t sport, uint8_t proto)
{
    memset(f, 0, sizeof *f);
    f->cli = addr(cli);
    f->srv = addr(srv);
    f->cli_port = cport;
    f->srv_port = sport;
    f->proto = proto;
    f->local = FLOW_LOCAL_CLIENT;
    f->flow_id = next_flow_id++;
}

/* Feeds one packet of flow f in direction dir (counts it like flow_update). */
static void feed(struct xm_flow *f, int dir, const uint8_t *pl, size_t n, uint32_t seq,
                 xm_time_t ts)
{
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.ts = ts;
    p.ipver = 4;
    p.proto = f->proto;
    p.has_ports = true;
    p.src = dir ? f->srv : f->cli;
    p.dst = dir ? f->cli : f->srv;
    p.sport = dir ? f->srv_port : f->cli_port;
    p.dport = dir ? f->cli_port : f->srv_port;
    p.tcp_seq = seq;
    uint8_t *copy = malloc(n ? n : 1);            /* exact size for ASan */
    if (n)
        memcpy(copy, pl, n);
    p.l4_payload = n ? copy : NULL;
    p.l4_caplen = p.l4_len = (uint32_t)n;
    f->pkts[dir]++;
    if (!f->first)
        f->first = ts;
    f->last = ts;
    app_on_packet(a, &p, f, dir);
    free(copy);
}

static void dns_answer(struct bb *w, const char *name, uint32_t ip, uint32_t ttl)
{
    w->n = 0;
    bb_dns_header(w, 0x77, 0x8180, 1, 1, 0, 0);
    bb_dname(w, name);
    bb_u16(w, DNS_T_A); bb_u16(w, 1);
    bb_u16(w, 0xC00C); bb_u16(w, DNS_T_A); bb_u16(w, 1); bb_u32(w, ttl); bb_u16(w, 4);
    bb_u32(w, ip);
}

static const char *eve_get(json_t *rec, const char *obj, const char *key)
{
    json_t *o = json_object_get(rec, obj);
    json_t *v = o ? json_object_get(o, key) : NULL;
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static void end_flow(struct xm_flow *f)
{
    app_on_flow_end(a, f);
}

static void test_dns_then_tls(void)
{
    struct xm_flow d, t;
    struct bb w;
    xm_time_t t0 = XM_SEC(1711270000);
    flow_init(&d, "10.0.0.5", "10.0.0.1", 40000, 53, 17);
    dns_answer(&w, "Models.LiteLLM.cloud", 0x53D2D1CB, 60);   /* 83.210.209.203 */
    feed(&d, 1, w.b, w.n, 0, t0);
    CHECK(app_flow_saw(&d, APP_P_DNS));
    CHECK(!(d.app_flags & APP_F_DONE));
    CHECK(app_last_dns_query(a) == NULL);                   /* a response */
    CHECK_EQ_U64(app_stats(a)->dns_responses, 1);

    /* a plain TCP flow to that address: named from DNS */
    flow_init(&t, "10.0.0.5", "83.210.209.203", 50000, 8443, 6);
    feed(&t, 0, NULL, 0, 1000, t0 + XM_SEC(1));             /* SYN */
    CHECK_EQ_U64(t.name_src, NAME_DNS);
    struct app_name nm;
    app_flow_name(a, &t, &nm);
    CHECK_STR(nm.name, "models.litellm.cloud");
    CHECK_STR(nm.source, "dns");
    CHECK_STR(nm.domain, "litellm.cloud");
    struct app_name only;
    app_flow_name_only(a, &t, &only);
    CHECK_STR(only.name, "models.litellm.cloud");
    CHECK_STR(only.source, "dns");
    CHECK_STR(only.domain, "litellm.cloud");
    CHECK(only.reason == NULL);

    /* its ClientHello in 3 segments; SNI wins over DNS */
    struct bb ch = {.n = 0};
    bb_client_hello(&ch, "sni.litellm.cloud", "\x02h2", 3, 4000, 0);
    uint32_t s = 1001;
    feed(&t, 0, ch.b, 1400, s, t0 + XM_SEC(2));
    CHECK(t.app_flags & APP_F_REASM);
    CHECK_EQ_U64(t.name_src, NAME_DNS);
    feed(&t, 1, NULL, 0, 0, t0 + XM_SEC(2));                /* ACK */
    feed(&t, 0, ch.b + 1400, 1400, s + 1400, t0 + XM_SEC(2));
    CHECK(!(t.app_flags & APP_F_DONE));
    feed(&t, 0, ch.b + 2800, ch.n - 2800, s + 2800, t0 + XM_SEC(2));
    CHECK(t.app_flags & APP_F_DONE);
    CHECK(!(t.app_flags & APP_F_REASM));
    CHECK_EQ_U64(t.name_src, NAME_SNI);
    CHECK_STR(app_flow_sni(a, &t), "sni.litellm.cloud");
    CHECK_STR(app_flow_alpn(a, &t), "h2");
    json_t *rec = json_object();
    app_eve_add(a, &t, rec);
    CHECK_STR(eve_get(rec, "dest_name", "name"), "sni.litellm.cloud");
    CHECK_STR(eve_get(rec, "dest_name", "source"), "sni");
    CHECK_STR(eve_get(rec, "dest_name", "domain"), "litellm.cloud");
    CHECK_STR(eve_get(rec, "tls", "sni"), "sni.litellm.cloud");
    CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(rec, "tls"),
                                                               "client_alpns"), 0)), "h2");
    CHECK_STR(json_string_value(json_object_get(rec, "app_proto")), "tls");
    CHECK(json_object_get(rec, "http") == NULL);
    json_decref(rec);
    CHECK_EQ_U64(app_reasm_stats(a)->opened, 1);
    CHECK_EQ_U64(app_reasm_stats(a)->closed, 1);
    end_flow(&t);
    end_flow(&d);
}

static void test_tls_out_of_order(void)
{
    struct xm_flow t;
    struct bb ch = {.n = 0};
    xm_time_t t0 = XM_SEC(1711271000);
    bb_client_hello(&ch, "right.example.com", NULL, 0, 2500, 0);
    flow_init(&t, "10.0.0.6", "198.51.100.20", 50001, 443, 6);
    uint32_t s = 0xFFFFFA00u;                    /* sequence wraps mid-hello */
    /* seg1, seg3, seg1 again with the SNI bytes changed, seg2 */
    feed(&t, 0, ch.b, 1000, s, t0);
    feed(&t, 0, ch.b + 2000, ch.n - 2000, s + 2000, t0);
    CHECK(!(t.app_flags & APP_F_DONE));
    struct bb evil = ch;
    char *hit = memmem(evil.b, 1000, "right", 5);
    CHECK(hit != NULL);
    if (hit)
        memcpy(hit, "wrong", 5);
    feed(&t, 0, evil.b, 1000, s, t0);
    feed(&t, 0, ch.b + 1000, 1000, s + 1000, t0);
    CHECK(t.app_flags & APP_F_DONE);
    CHECK_STR(app_flow_sni(a, &t), "right.example.com");
    end_flow(&t);

    /* a hello that never completes: what was parsed is kept after
     * max_segments client segments */
    flow_init(&t, "10.0.0.6", "198.51.100.21", 50002, 443, 6);
    feed(&t, 0, ch.b, 1000, 5000, t0);
    for (int i = 0; i < 10 && !(t.app_flags & APP_F_DONE); i++)
        feed(&t, 0, ch.b + 1000, 10, 9000 + (uint32_t)i * 10, t0);  /* beyond a gap */
    CHECK(t.app_flags & APP_F_DONE);
    CHECK_STR(app_flow_sni(a, &t), "right.example.com");
    CHECK_EQ_U64(t.name_src, NAME_SNI);
    CHECK(app_stats(a)->tls_partial >= 1);
    end_flow(&t);
}

static void test_http_and_unnamed(void)
{
    struct xm_flow h, u, e, x;
    xm_time_t t0 = XM_SEC(1711272000);
    const char *req = "POST /up HTTP/1.1\r\nHost: Exfil.Example.org:8080\r\n"
                      "User-Agent: curl/8.0\r\nContent-Type: application/gzip\r\n";
    const char *req2 = "Content-Length: 40960\r\nX-Filename: tpcp.tar.gz\r\n\r\n";
    flow_init(&h, "10.0.0.7", "83.142.209.203", 50003, 8080, 6);
    feed(&h, 0, (const uint8_t *)req, strlen(req), 1, t0);
    CHECK(!(h.app_flags & APP_F_DONE));
    feed(&h, 0, (const uint8_t *)req2, strlen(req2), 1 + (uint32_t)strlen(req), t0);
    CHECK(h.app_flags & APP_F_DONE);
    CHECK_EQ_U64(h.name_src, NAME_HTTP_HOST);
    const struct app_http *hp = app_flow_http(a, &h);
    CHECK(hp != NULL);
    if (hp) {
        CHECK_STR(hp->method, "POST");
        CHECK_STR(hp->host, "exfil.example.org");
        CHECK_STR(hp->x_filename, "tpcp.tar.gz");
        CHECK_EQ_U64(hp->content_length, 40960);
    }
    json_t *rec = json_object();
    app_eve_add(a, &h, rec);
    CHECK_STR(eve_get(rec, "dest_name", "source"), "http_host");
    CHECK_STR(eve_get(rec, "http", "hostname"), "exfil.example.org");
    CHECK_STR(eve_get(rec, "http", "http_method"), "POST");
    CHECK_STR(eve_get(rec, "http", "http_user_agent"), "curl/8.0");
    CHECK_STR(eve_get(rec, "http", "http_content_type"), "application/gzip");
    CHECK_STR(eve_get(rec, "http", "x_filename"), "tpcp.tar.gz");
    json_t *http = json_object_get(rec, "http");
    CHECK_EQ_U64(json_integer_value(json_object_get(http, "request_length")), 40960);
    CHECK_EQ_U64(json_integer_value(json_object_get(http, "url_length")), 3);
    json_decref(rec);
    end_flow(&h);

    /* no DNS, no payload */
    flow_init(&u, "10.0.0.7", "192.0.2.200", 50004, 443, 6);
    feed(&u, 0, NULL, 0, 1, t0);
    rec = json_object();
    app_eve_add(a, &u, rec);
    CHECK(json_is_null(json_object_get(json_object_get(rec, "dest_name"), "name")));
    CHECK_STR(eve_get(rec, "dest_name", "source"), "unnamed");
    CHECK_STR(eve_get(rec, "dest_name", "reason"), "no_dns_seen");
    json_decref(rec);
    end_flow(&u);

    /* ECH without SNI */
    struct bb ch = {.n = 0};
    bb_client_hello(&ch, NULL, NULL, 0, 0, 1);
    flow_init(&e, "10.0.0.7", "192.0.2.201", 50005, 443, 6);
    feed(&e, 0, ch.b, ch.n, 1, t0);
    struct app_name nm;
    app_flow_name(a, &e, &nm);
    CHECK(nm.name == NULL);
    CHECK_STR(nm.reason, "ech");
    CHECK(nm.ech);
    /* app_flow_name_only: the same answer without the reason */
    struct app_name no;
    app_flow_name_only(a, &e, &no);
    CHECK(no.name == NULL && no.reason == NULL && no.ech == nm.ech);
    CHECK_STR(no.source, nm.source);
    end_flow(&e);

    /* expired DNS answer */
    struct xm_flow d;
    struct bb w;
    flow_init(&d, "10.0.0.7", "10.0.0.1", 40001, 53, 17);
    dns_answer(&w, "old.example.net", 0xC00002CA, 10);        /* 192.0.2.202 */
    feed(&d, 1, w.b, w.n, 0, t0);
    flow_init(&x, "10.0.0.7", "192.0.2.202", 50006, 443, 6);
    feed(&x, 0, NULL, 0, 1, t0 + XM_SEC(10));
    app_flow_name(a, &x, &nm);
    CHECK_STR(nm.reason, "dns_expired");
    end_flow(&x);
    end_flow(&d);
}

static void test_connect_tunnel(void)
{
    struct xm_flow t;
    xm_time_t t0 = XM_SEC(1711272500);
    const char *req = "CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n";
    const char *ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    struct bb ch = {.n = 0};
    bb_client_hello(&ch, "inner.anthropic.com", "\x08http/1.1", 9, 0, 0);
    flow_init(&t, "10.0.0.7", "192.0.2.80", 50010, 3128, 6);
    uint32_t s = 100;
    feed(&t, 0, (const uint8_t *)req, strlen(req), s, t0);
    CHECK(!(t.app_flags & APP_F_DONE));
    CHECK_EQ_U64(t.name_src, NAME_HTTP_HOST);
    feed(&t, 1, (const uint8_t *)ok, strlen(ok), 9000, t0);
    s += (uint32_t)strlen(req);
    feed(&t, 0, ch.b, ch.n, s, t0);
    CHECK(t.app_flags & APP_F_DONE);
    CHECK_EQ_U64(t.name_src, NAME_SNI);
    CHECK_STR(app_flow_sni(a, &t), "inner.anthropic.com");
    const struct app_http *h = app_flow_http(a, &t);
    CHECK(h != NULL);
    if (h)
        CHECK_STR(h->method, "CONNECT");
    end_flow(&t);
}

static void test_dns_ports(void)
{
    struct xm_flow d, r;
    struct bb w;
    xm_time_t t0 = XM_SEC(1711273000);
    /* a query on port 8053: recognised, noted for the rules */
    w.n = 0;
    bb_dns_header(&w, 0x99, 0x0100, 1, 0, 0, 0);
    bb_dname(&w, "abcdefgh.tun.example.com");
    bb_u16(&w, DNS_T_TXT); bb_u16(&w, 1);
    flow_init(&d, "10.0.0.8", "10.0.0.1", 40002, 8053, 17);
    feed(&d, 0, w.b, w.n, 0, t0);
    CHECK(app_flow_saw(&d, APP_P_DNS));
    const struct app_dns_query *q = app_last_dns_query(a);
    CHECK(q != NULL);
    if (q) {
        CHECK_STR(q->qname, "abcdefgh.tun.example.com");
        CHECK_STR(q->domain, "example.com");
        CHECK_EQ_U64(q->qtype, DNS_T_TXT);
    }
    struct names_tunnel tn;
    struct xm_addr host = addr("10.0.0.8");
    CHECK(app_dns_stats(a, &host, "example.com", &tn));
    CHECK_EQ_U64(tn.queries, 1);
    CHECK_EQ_U64(app_stats(a)->dns_other_port_flows, 1);
    /* the same bytes on NetBIOS name service (137) are not probed */
    struct xm_flow nb;
    flow_init(&nb, "10.0.0.8", "10.0.0.255", 137, 137, 17);
    feed(&nb, 0, w.b, w.n, 0, t0);
    CHECK(!app_flow_saw(&nb, APP_P_DNS));
    CHECK(app_last_dns_query(a) == NULL);
    /* the dns.* fields read the evaluated flow's own query: the
     * NetBIOS flow has none, the DNS flow keeps its own (issue 13) */
    struct app_flow_dns fq;
    CHECK(!app_flow_dns_query(a, &nb, &fq));
    CHECK(app_flow_dns_query(a, &d, &fq));
    if (app_flow_dns_query(a, &d, &fq)) {
        CHECK_STR(fq.qname, "abcdefgh.tun.example.com");
        CHECK_STR(fq.domain, "example.com");
        CHECK_EQ_U64(fq.qtype, DNS_T_TXT);
    }
    end_flow(&nb);
    /* a QUIC v1 Initial: no name, reason "quic" */
    struct xm_flow qf;
    uint8_t qi[1252];
    memset(qi, 0, sizeof qi);
    qi[0] = 0xC3;
    qi[4] = 1;                                   /* version 1 */
    flow_init(&qf, "10.0.0.8", "192.0.2.77", 40005, 443, 17);
    feed(&qf, 0, qi, sizeof qi, 0, t0);
    CHECK(app_flow_saw(&qf, APP_P_QUIC));
    struct app_name qn;
    app_flow_name(a, &qf, &qn);
    CHECK_STR(qn.reason, "quic");
    end_flow(&qf);
    /* an unknown version (one that draws Version Negotiation) counts only
     * in a datagram of Initial size (1200+); a known one in any size (a
     * reordered 0-RTT may come first) */
    qi[1] = 0x1a, qi[2] = 0x2a, qi[3] = 0x3a, qi[4] = 0x4a;
    flow_init(&qf, "10.0.0.8", "192.0.2.77", 40006, 443, 17);
    feed(&qf, 0, qi, 600, 0, t0);
    CHECK(!app_flow_saw(&qf, APP_P_QUIC));
    end_flow(&qf);
    flow_init(&qf, "10.0.0.8", "192.0.2.77", 40007, 443, 17);
    feed(&qf, 0, qi, sizeof qi, 0, t0);
    CHECK(app_flow_saw(&qf, APP_P_QUIC));
    end_flow(&qf);
    /* random UDP is not DNS and is done after two packets */
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    flow_init(&r, "10.0.0.8", "192.0.2.50", 40003, 4444, 17);
    feed(&r, 0, junk, sizeof junk, 0, t0);
    CHECK(app_last_dns_query(a) == NULL);
    feed(&r, 1, junk, sizeof junk, 0, t0);
    CHECK(!app_flow_saw(&r, APP_P_DNS));
    CHECK(r.app_flags & APP_F_DONE);
    end_flow(&d);
    end_flow(&r);
}

static void test_dns_tcp(void)
{
    struct xm_flow d, t;
    struct bb m1, m2, s1;
    xm_time_t t0 = XM_SEC(1711274000);
    dns_answer(&m1, "one.tcp.example", 0xC6336401, 300);       /* 198.51.100.1 */
    dns_answer(&m2, "two.tcp.example", 0xC6336402, 300);       /* 198.51.100.2 */
    /* segment 1: [len m1][m1][len m2][first 10 octets of m2]
     * segment 2: rest of m2 (a continuation: skipped, not misparsed) */
    s1.n = 0;
    bb_u16(&s1, (unsigned)m1.n); bb_mem(&s1, m1.b, m1.n);
    bb_u16(&s1, (unsigned)m2.n); bb_mem(&s1, m2.b, 10);
    flow_init(&d, "10.0.0.9", "10.0.0.1", 40004, 53, 6);
    feed(&d, 1, s1.b, s1.n, 7000, t0);
    feed(&d, 1, m2.b + 10, m2.n - 10, 7000 + (uint32_t)s1.n, t0);
    CHECK_EQ_U64(app_stats(a)->dns_tcp_msgs, 2);
    CHECK_EQ_U64(app_stats(a)->dns_tcp_skipped, 1);
    /* then a whole message in the next segment, in sync again */
    struct bb s3 = {.n = 0};
    uint32_t next = 7000 + 2 + (uint32_t)m1.n + 2 + (uint32_t)m2.n;
    dns_answer(&m2, "three.tcp.example", 0xC6336403, 300);
    bb_u16(&s3, (unsigned)m2.n); bb_mem(&s3, m2.b, m2.n);
    feed(&d, 1, s3.b, s3.n, next, t0);
    CHECK_EQ_U64(app_stats(a)->dns_tcp_msgs, 3);
    uint32_t qid, cid;
    struct xm_addr three = addr("198.51.100.3"), two = addr("198.51.100.2");
    CHECK_EQ_U64(names_lookup_addr(app_names(a), &three, t0, &qid, &cid), NAMES_HIT);
    CHECK_STR(names_str(app_names(a), qid), "three.tcp.example");
    /* the cut message carried its question but no answer */
    CHECK_EQ_U64(names_lookup_addr(app_names(a), &two, t0, &qid, &cid), NAMES_MISS);
    flow_init(&t, "10.0.0.9", "198.51.100.1", 50007, 443, 6);
    feed(&t, 0, NULL, 0, 1, t0 + 1);
    struct app_name nm;
    app_flow_name(a, &t, &nm);
    CHECK_STR(nm.name, "one.tcp.example");
    end_flow(&t);
    end_flow(&d);
}

static void test_release(void)
{
    /* every flow above was ended: after one more call all records are free */
    struct xm_flow f;
    flow_init(&f, "10.0.0.10", "192.0.2.99", 1, 2, 1);   /* ICMP-ish */
    f.proto = 1;
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.proto = 1;
    app_on_packet(a, &p, &f, 0);
    CHECK(f.app_flags & APP_F_DONE);
    CHECK_EQ_U64(app_stats(a)->records_used, 0);
    CHECK_EQ_U64(app_stats(a)->records_full, 0);
}

/* Records are handed out lazily: released ones first, then never-used
 * slots in index order (the pool's pages are touched only as records
 * are needed); a full pool counts records_full; a released record is
 * reused. */
static void test_record_slots(void)
{
    struct app_limits l;
    app_limits_default(&l);
    l.max_records = 3;
    l.reasm_slots = 1;
    struct app_ctx *c = app_new(&l, 7);
    CHECK(c != NULL);
    if (!c)
        return;
    struct xm_flow f[4];
    for (int i = 0; i < 4; i++)
        flow_init(&f[i], "10.0.0.1", "192.0.2.1", (uint16_t)(1000 + i), 443, 6);
    for (int i = 0; i < 3; i++) {
        CHECK(app_rec_new(c, &f[i]) != NULL);
        CHECK_EQ_U64(f[i].app_slot, (uint64_t)i + 1);
    }
    CHECK(app_rec_new(c, &f[0]) == app_rec_get(c, &f[0]));   /* same flow: same record */
    CHECK(app_rec_new(c, &f[3]) == NULL);
    CHECK_EQ_U64(app_stats(c)->records_full, 1);
    CHECK_EQ_U64(app_stats(c)->records_used, 3);
    app_on_flow_end(c, &f[1]);
    app_release_deferred(c);
    CHECK_EQ_U64(app_stats(c)->records_used, 2);
    CHECK(app_rec_new(c, &f[3]) != NULL);
    CHECK_EQ_U64(f[3].app_slot, 2);
    app_free(c);
}

int main(void)
{
    struct app_limits l;
    app_limits_default(&l);
    l.max_records = 64;
    l.reasm_slots = 4;
    a = app_new(&l, 42);
    CHECK(a != NULL);
    if (!a)
        return xm_test_result();
    test_dns_then_tls();
    test_tls_out_of_order();
    test_http_and_unnamed();
    test_connect_tunnel();
    test_dns_ports();
    test_dns_tcp();
    test_release();
    test_record_slots();
    app_free(a);
    return xm_test_result();
}
