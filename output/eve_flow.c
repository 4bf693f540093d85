/*
 * eve_flow.c - EVE "flow" records and the header shared with alerts
 * (xm_eve.h; fields documented in docs/schema-flow.md).
 *
 * Keys are added in schema order with the EVE writer's helpers
 * (include/xm_evew.h: sticky out-of-memory flag, invalid UTF-8 left out),
 * so builders stay linear and fail once at the end.
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

static void add_vlan(json_t *o, const struct xm_flow *f, bool *bad)
{
    if (!f->vlan)
        return;
    json_t *a = eve_arr(bad);
    eve_append(a, json_integer(f->vlan), bad);
    eve_put(o, "vlan", a, bad);
}

int eve_add_common(json_t *o, const struct xm_flow *f, xm_time_t ts,
                   const char *event_type)
{
    bool bad = false, ports = eve_proto_has_ports(f->proto);
    char pbuf[4], cid[XM_CID_LEN];
    eve_put_time(o, "timestamp", ts, &bad);
    eve_put_u64(o, "flow_id", f->flow_id, &bad);
    eve_put_str(o, "event_type", event_type, &bad);
    eve_put_str(o, "schema_version", XM_SCHEMA_VERSION, &bad);
    eve_put_sensor(o, &bad);
    eve_put_addr(o, "src_ip", &f->cli, &bad);
    if (ports)
        eve_put_int(o, "src_port", f->cli_port, &bad);
    eve_put_addr(o, "dest_ip", &f->srv, &bad);
    if (ports)
        eve_put_int(o, "dest_port", f->srv_port, &bad);
    eve_put_str(o, "proto", eve_proto_name(f->proto, pbuf, sizeof pbuf), &bad);
    add_vlan(o, f, &bad);
    if (cid_flow(f, cid_seed, cid, sizeof cid) == 0)
        eve_put_str(o, "community_id", cid, &bad);
    if (is_icmp(f->proto)) {
        eve_put_int(o, "icmp_type", f->icmp_type, &bad);
        eve_put_int(o, "icmp_code", f->icmp_code, &bad);
    }
    return bad ? -1 : 0;
}

static json_t *flow_part(const struct xm_flow *f, enum flow_end_reason r, bool alerted,
                         bool *bad)
{
    json_t *o = eve_obj(bad);
    if (!o)
        return NULL;
    eve_put_u64(o, "pkts_toserver", f->pkts[0], bad);
    eve_put_u64(o, "pkts_toclient", f->pkts[1], bad);
    eve_put_u64(o, "bytes_toserver", f->bytes[0], bad);
    eve_put_u64(o, "bytes_toclient", f->bytes[1], bad);
    eve_put_time(o, "start", f->first, bad);
    eve_put_time(o, "end", f->last, bad);
    eve_put_int(o, "age", (f->last - f->first) / XM_USEC_PER_SEC, bad);
    eve_put_str(o, "state", flow_state_name((enum flow_state)f->state), bad);
    eve_put_str(o, "reason", flow_reason_name(r), bad);
    eve_put_bool(o, "alerted", alerted, bad);
    eve_put_bool(o, "interim", r == FLOW_END_ACTIVE, bad);
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
    json_t *o = eve_obj(bad);
    if (!o)
        return NULL;
    char hx[3];
    uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
    eve_put_str(o, "tcp_flags", hex8(all, hx), bad);
    eve_put_str(o, "tcp_flags_ts", hex8(f->tcp_flags[0], hx), bad);
    eve_put_str(o, "tcp_flags_tc", hex8(f->tcp_flags[1], hx), bad);
    for (size_t i = 0; i < XM_ARRAY_LEN(flags); i++)
        if (all & flags[i].bit)
            eve_put(o, flags[i].name, json_true(), bad);
    eve_put_str(o, "state", flow_state_name((enum flow_state)f->state), bad);
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
    json_t *o = eve_obj(bad);
    if (!o)
        return NULL;
    bool inb = f->local == FLOW_LOCAL_SERVER, ports = eve_proto_has_ports(f->proto);
    int out = inb ? 1 : 0;   /* index of bytes sent by the local side */
    eve_put_str(o, "direction", direction_name(f->local), bad);
    if (f->local != FLOW_LOCAL_NONE) {
        eve_put_addr(o, "local_ip", inb ? &f->srv : &f->cli, bad);
        if (ports)
            eve_put_int(o, "local_port", inb ? f->srv_port : f->cli_port, bad);
    }
    eve_put_addr(o, "remote_ip", inb ? &f->cli : &f->srv, bad);
    if (ports)
        eve_put_int(o, "remote_port", inb ? f->cli_port : f->srv_port, bad);
    eve_put_u64(o, "bytes_out", f->bytes[out], bad);
    eve_put_u64(o, "bytes_in", f->bytes[1 - out], bad);
    eve_put_u64(o, "pkts_out", f->pkts[out], bad);
    eve_put_u64(o, "pkts_in", f->pkts[1 - out], bad);
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
    eve_put(o, "flow", flow_part(f, r, alerted, &bad), &bad);
    if (f->proto == 6)
        eve_put(o, "tcp", tcp_part(f, &bad), &bad);
    eve_put(o, "egress", egress_part(f, &bad), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
