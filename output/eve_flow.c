/*
 * eve_flow.c - EVE "flow" records and the header shared with alerts
 * (xm_eve.h; fields documented in docs/schema-flow.md).
 *
 * Written with the streaming EVE writer (include/xm_evew.h): keys in
 * schema order straight into the caller's reusable buffer, no object
 * tree and no allocation per record; invalid UTF-8 is left out and a
 * failure is sticky, so builders stay linear and fail once at the end.
 * The jansson forms (eve_add_common for alerts, eve_flow_record for tests
 * and tools) parse that same text, so there is one builder per field.
 */
#include "xm_eve.h"

#include <string.h>

#include "xm_cid.h"
#include "xm_evew.h"

static uint16_t cid_seed;

void eve_set_community_id_seed(uint16_t seed)
{
    cid_seed = seed;
}

bool eve_proto_has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

static bool is_icmp(uint8_t proto)
{
    return proto == 1 || proto == 58;
}

/* Decimal text of v into buf (len >= 4). */
static const char *u8_str(uint8_t v, char *buf, size_t len)
{
    char tmp[4];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (len < n + 1)
        return "";
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return buf;
}

const char *eve_proto_name(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case 1: return "ICMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    }
    return u8_str(proto, buf, len);
}

/* ---- the streamed record (no object tree) ---------------------------- */

void eve_write_common(struct evew *w, const struct xm_flow *f, xm_time_t ts,
                      const char *event_type)
{
    bool ports = eve_proto_has_ports(f->proto);
    char pbuf[4], cid[XM_CID_LEN];
    evew_ktime(w, "timestamp", ts);
    evew_ku64(w, "flow_id", f->flow_id);
    evew_kstr(w, "event_type", event_type);
    evew_kstr(w, "schema_version", XM_SCHEMA_VERSION);
    evew_sensor(w);
    evew_kaddr(w, "src_ip", &f->cli);
    if (ports)
        evew_kint(w, "src_port", f->cli_port);
    evew_kaddr(w, "dest_ip", &f->srv);
    if (ports)
        evew_kint(w, "dest_port", f->srv_port);
    evew_kstr(w, "proto", eve_proto_name(f->proto, pbuf, sizeof pbuf));
    if (f->vlan) {
        evew_key(w, "vlan");
        evew_arr_begin(w);
        evew_int(w, f->vlan);
        evew_arr_end(w);
    }
    if (cid_flow(f, cid_seed, cid, sizeof cid) == 0)
        evew_kstr(w, "community_id", cid);
    if (is_icmp(f->proto)) {
        evew_kint(w, "icmp_type", f->icmp_type);
        evew_kint(w, "icmp_code", f->icmp_code);
    }
}

static void flow_part(struct evew *w, const struct xm_flow *f, enum flow_end_reason r,
                      bool alerted)
{
    evew_key(w, "flow");
    evew_obj_begin(w);
    evew_ku64(w, "pkts_toserver", f->pkts[0]);
    evew_ku64(w, "pkts_toclient", f->pkts[1]);
    evew_ku64(w, "bytes_toserver", f->bytes[0]);
    evew_ku64(w, "bytes_toclient", f->bytes[1]);
    evew_ktime(w, "start", f->first);
    evew_ktime(w, "end", f->last);
    evew_kint(w, "age", (f->last - f->first) / XM_USEC_PER_SEC);
    evew_kstr(w, "state", flow_state_name((enum flow_state)f->state));
    evew_kstr(w, "reason", flow_reason_name(r));
    evew_kbool(w, "alerted", alerted);
    evew_kbool(w, "interim", r == FLOW_END_ACTIVE);
    evew_obj_end(w);
}

/* Two lowercase hex digits, as Suricata prints TCP flags. */
static const char *hex8(uint8_t v, char buf[3])
{
    static const char d[] = "0123456789abcdef";
    buf[0] = d[v >> 4];
    buf[1] = d[v & 15];
    buf[2] = '\0';
    return buf;
}

static void tcp_part(struct evew *w, const struct xm_flow *f)
{
    static const struct { const char *name; uint8_t bit; } flags[] = {
        {"syn", 0x02}, {"fin", 0x01}, {"rst", 0x04}, {"psh", 0x08}, {"ack", 0x10},
    };
    char hx[3];
    uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
    evew_key(w, "tcp");
    evew_obj_begin(w);
    evew_kstr(w, "tcp_flags", hex8(all, hx));
    evew_kstr(w, "tcp_flags_ts", hex8(f->tcp_flags[0], hx));
    evew_kstr(w, "tcp_flags_tc", hex8(f->tcp_flags[1], hx));
    for (size_t i = 0; i < XM_ARRAY_LEN(flags); i++)
        if (all & flags[i].bit)
            evew_kbool(w, flags[i].name, true);
    evew_kstr(w, "state", flow_state_name((enum flow_state)f->state));
    evew_obj_end(w);
}

static const char *direction_name(uint8_t local)
{
    switch (local) {
    case FLOW_LOCAL_CLIENT: return "outbound";
    case FLOW_LOCAL_SERVER: return "inbound";
    case FLOW_LOCAL_BOTH: return "internal";
    }
    return "external";
}

/* Local side = the server for inbound flows, else the client. */
static void egress_part(struct evew *w, const struct xm_flow *f)
{
    bool inb = f->local == FLOW_LOCAL_SERVER, ports = eve_proto_has_ports(f->proto);
    int out = inb ? 1 : 0;   /* index of bytes sent by the local side */
    evew_key(w, "egress");
    evew_obj_begin(w);
    evew_kstr(w, "direction", direction_name(f->local));
    if (f->local != FLOW_LOCAL_NONE) {
        evew_kaddr(w, "local_ip", inb ? &f->srv : &f->cli);
        if (ports)
            evew_kint(w, "local_port", inb ? f->srv_port : f->cli_port);
    }
    evew_kaddr(w, "remote_ip", inb ? &f->cli : &f->srv);
    if (ports)
        evew_kint(w, "remote_port", inb ? f->cli_port : f->srv_port);
    evew_ku64(w, "bytes_out", f->bytes[out]);
    evew_ku64(w, "bytes_in", f->bytes[1 - out]);
    evew_ku64(w, "pkts_out", f->pkts[out]);
    evew_ku64(w, "pkts_in", f->pkts[1 - out]);
    evew_obj_end(w);
}

const char *eve_flow_local(const struct xm_flow *f, char *buf, size_t len)
{
    const struct xm_addr *a = f->local == FLOW_LOCAL_SERVER ? &f->srv : &f->cli;
    return xm_addr_str(a, buf, len);
}

void eve_flow_begin(struct evew *w, const struct xm_flow *f, enum flow_end_reason r,
                    bool alerted)
{
    evew_obj_begin(w);
    eve_write_common(w, f, r == FLOW_END_ACTIVE ? f->last_interim : f->last, "flow");
    flow_part(w, f, r, alerted);
    if (f->proto == 6)
        tcp_part(w, f);
    egress_part(w, f);
}

/* ---- the same as jansson objects (alerts, tests, tools) -------------- */

/* The finished text of w parsed back: a new object, or NULL. */
static json_t *parsed(struct evew *w)
{
    size_t n;
    const char *s = evew_text(w, &n);
    return s ? json_loadb(s, n, 0, NULL) : NULL;
}

int eve_add_common(json_t *o, const struct xm_flow *f, xm_time_t ts,
                   const char *event_type)
{
    struct evew w;
    evew_init(&w, 512, EVE_COMMON_MAX);
    evew_obj_begin(&w);
    eve_write_common(&w, f, ts, event_type);
    evew_obj_end(&w);
    json_t *h = parsed(&w);
    int rc = h && json_object_update(o, h) == 0 ? 0 : -1;
    json_decref(h);
    evew_free(&w);
    return rc;
}

json_t *eve_flow_record(const struct xm_flow *f, enum flow_end_reason r, bool alerted)
{
    struct evew w;
    evew_init(&w, 1024, EVE_COMMON_MAX);
    eve_flow_begin(&w, f, r, alerted);
    evew_obj_end(&w);
    json_t *o = parsed(&w);
    evew_free(&w);
    return o;
}
