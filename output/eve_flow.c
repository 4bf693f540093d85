/*
 * eve_flow.c - EVE "flow" records and the header shared with alerts
 * (xm_eve.h; fields documented in docs/schema-flow.md).
 *
 * Keys are added in schema order with json_object_set_new; a failed
 * allocation is remembered in a sticky flag so builders stay linear and
 * fail once at the end.
 */
#include "xm_eve.h"

#include "xm_cid.h"

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

/* json_object_set_new that records failure (value NULL or set failed). */
static void put(json_t *o, const char *key, json_t *v, bool *bad)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        *bad = true;
}

static void put_addr(json_t *o, const char *key, const struct xm_addr *a, bool *bad)
{
    char buf[64];
    put(o, key, json_string(xm_addr_str(a, buf, sizeof buf)), bad);
}

static void put_time(json_t *o, const char *key, xm_time_t t, bool *bad)
{
    char buf[40];
    put(o, key, json_string(xm_time_iso(t, buf, sizeof buf)), bad);
}

static void put_u64(json_t *o, const char *key, uint64_t v, bool *bad)
{
    put(o, key, json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v), bad);
}

static void add_vlan(json_t *o, const struct xm_flow *f, bool *bad)
{
    if (!f->vlan)
        return;
    json_t *a = json_array();
    if (!a || json_array_append_new(a, json_integer(f->vlan)) != 0)
        *bad = true;
    put(o, "vlan", a, bad);
}

int eve_add_common(json_t *o, const struct xm_flow *f, xm_time_t ts,
                   const char *event_type)
{
    bool bad = false, ports = eve_proto_has_ports(f->proto);
    char pbuf[4], cid[XM_CID_LEN];
    put_time(o, "timestamp", ts, &bad);
    put_u64(o, "flow_id", f->flow_id, &bad);
    put(o, "event_type", json_string(event_type), &bad);
    put(o, "schema_version", json_string(XM_SCHEMA_VERSION), &bad);
    put_addr(o, "src_ip", &f->cli, &bad);
    if (ports)
        put(o, "src_port", json_integer(f->cli_port), &bad);
    put_addr(o, "dest_ip", &f->srv, &bad);
    if (ports)
        put(o, "dest_port", json_integer(f->srv_port), &bad);
    put(o, "proto", json_string(eve_proto_name(f->proto, pbuf, sizeof pbuf)), &bad);
    add_vlan(o, f, &bad);
    if (cid_flow(f, cid_seed, cid, sizeof cid) == 0)
        put(o, "community_id", json_string(cid), &bad);
    if (is_icmp(f->proto)) {
        put(o, "icmp_type", json_integer(f->icmp_type), &bad);
        put(o, "icmp_code", json_integer(f->icmp_code), &bad);
    }
    return bad ? -1 : 0;
}

static json_t *flow_part(const struct xm_flow *f, enum flow_end_reason r, bool alerted,
                         bool *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = true;
        return NULL;
    }
    put_u64(o, "pkts_toserver", f->pkts[0], bad);
    put_u64(o, "pkts_toclient", f->pkts[1], bad);
    put_u64(o, "bytes_toserver", f->bytes[0], bad);
    put_u64(o, "bytes_toclient", f->bytes[1], bad);
    put_time(o, "start", f->first, bad);
    put_time(o, "end", f->last, bad);
    put(o, "age", json_integer((f->last - f->first) / XM_USEC_PER_SEC), bad);
    put(o, "state", json_string(flow_state_name((enum flow_state)f->state)), bad);
    put(o, "reason", json_string(flow_reason_name(r)), bad);
    put(o, "alerted", json_boolean(alerted), bad);
    put(o, "interim", json_boolean(r == FLOW_END_ACTIVE), bad);
    return o;
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

static json_t *tcp_part(const struct xm_flow *f, bool *bad)
{
    static const struct { const char *name; uint8_t bit; } flags[] = {
        {"syn", 0x02}, {"fin", 0x01}, {"rst", 0x04}, {"psh", 0x08}, {"ack", 0x10},
    };
    json_t *o = json_object();
    if (!o) {
        *bad = true;
        return NULL;
    }
    char hx[3];
    uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
    put(o, "tcp_flags", json_string(hex8(all, hx)), bad);
    put(o, "tcp_flags_ts", json_string(hex8(f->tcp_flags[0], hx)), bad);
    put(o, "tcp_flags_tc", json_string(hex8(f->tcp_flags[1], hx)), bad);
    for (size_t i = 0; i < XM_ARRAY_LEN(flags); i++)
        if (all & flags[i].bit)
            put(o, flags[i].name, json_true(), bad);
    put(o, "state", json_string(flow_state_name((enum flow_state)f->state)), bad);
    return o;
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
static json_t *egress_part(const struct xm_flow *f, bool *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = true;
        return NULL;
    }
    bool inb = f->local == FLOW_LOCAL_SERVER, ports = eve_proto_has_ports(f->proto);
    int out = inb ? 1 : 0;   /* index of bytes sent by the local side */
    put(o, "direction", json_string(direction_name(f->local)), bad);
    if (f->local != FLOW_LOCAL_NONE) {
        put_addr(o, "local_ip", inb ? &f->srv : &f->cli, bad);
        if (ports)
            put(o, "local_port", json_integer(inb ? f->srv_port : f->cli_port), bad);
    }
    put_addr(o, "remote_ip", inb ? &f->cli : &f->srv, bad);
    if (ports)
        put(o, "remote_port", json_integer(inb ? f->cli_port : f->srv_port), bad);
    put_u64(o, "bytes_out", f->bytes[out], bad);
    put_u64(o, "bytes_in", f->bytes[1 - out], bad);
    put_u64(o, "pkts_out", f->pkts[out], bad);
    put_u64(o, "pkts_in", f->pkts[1 - out], bad);
    return o;
}

json_t *eve_flow_record(const struct xm_flow *f, enum flow_end_reason r, bool alerted)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    bool bad = false;
    xm_time_t ts = r == FLOW_END_ACTIVE ? f->last_interim : f->last;
    if (eve_add_common(o, f, ts, "flow") != 0)
        bad = true;
    put(o, "flow", flow_part(f, r, alerted, &bad), &bad);
    if (f->proto == 6)
        put(o, "tcp", tcp_part(f, &bad), &bad);
    put(o, "egress", egress_part(f, &bad), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
