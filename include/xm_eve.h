/*
 * xm_eve.h - EVE (Suricata-style) JSON records for flows
 * (output/eve_flow.c); field reference in docs/schema-flow.md.
 *
 * Ownership: every builder returns a NEW json_t reference owned by the
 * caller (json_decref when done); NULL on allocation failure.  The flow
 * is only read.  Key order is fixed (keys are added in schema order), so
 * dumping with JSON_PRESERVE_ORDER gives stable output.  Nothing here
 * depends on a hash seed.
 */
#ifndef XM_EVE_H
#define XM_EVE_H

#include <jansson.h>

#include "xm_flow.h"

/* Contract version of every EVE record exfilmon writes ("schema_version").
 * Bump the minor for added fields, the major for renamed/removed ones. */
#define XM_SCHEMA_VERSION "1.1"

/* Community ID seed used by every record (default 0, as Suricata). */
void eve_set_community_id_seed(uint16_t seed);

/*
 * Adds the header shared by flow and alert records, in this order:
 * timestamp (ts, ISO), flow_id, event_type, schema_version, src_ip,
 * src_port, dest_ip, dest_port (ports only for TCP/UDP/SCTP), proto,
 * vlan ([id], only when non-zero), community_id, icmp_type, icmp_code
 * (ICMP/ICMPv6 only).  Returns 0, or -1 if any json allocation failed.
 */
int eve_add_common(json_t *o, const struct xm_flow *f, xm_time_t ts,
                   const char *event_type);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP", "SCTP", else the decimal number;
 * buf (>= 4 bytes) is used for the number. */
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

/* Whether the protocol carries ports in the flow key (TCP, UDP, SCTP). */
bool eve_proto_has_ports(uint8_t proto);

/*
 * The whole flow record (event_type "flow").  Its timestamp is f->last,
 * or f->last_interim for an interim record (r == FLOW_END_ACTIVE).
 */
json_t *eve_flow_record(const struct xm_flow *f, enum flow_end_reason r, bool alerted);

#endif
