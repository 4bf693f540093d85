/*
 * xm_eve.h - EVE (Suricata-style) JSON records: flows
 * (output/eve_flow.c, docs/schema-flow.md) and alerts (output/eve_alert.c,
 * docs/schema-alert.md), built with the EVE writer's helpers
 * (include/xm_evew.h).
 *
 * Ownership: the streaming writers write into the caller's struct evew;
 * every json_t builder returns a NEW reference owned by the caller
 * (json_decref when done), NULL on allocation failure.  The flow is only
 * read.  Key order is fixed (schema order).  Nothing here depends on a
 * hash seed.
 */
#ifndef XM_EVE_H
#define XM_EVE_H

#include <jansson.h>

#include "xm_evew.h"
#include "xm_flow.h"


/* Community ID seed used by every record (default 0, as Suricata). */
void eve_set_community_id_seed(uint16_t seed);


/* Bound of the streamed header / flow record core (bytes). */
#define EVE_COMMON_MAX (64u * 1024u)

/*
 * Writes the header shared by flow and alert records into w, as members
 * of the object being written, in this order: timestamp (ts, ISO),
 * flow_id, event_type, schema_version, host (the sensor name, when set),
 * src_ip, src_port, dest_ip, dest_port (ports only for TCP/UDP/SCTP),
 * proto, vlan ([id], only when non-zero), community_id, icmp_type,
 * icmp_code (ICMP/ICMPv6 only).  Failures are w's sticky outcome.
 */
void eve_write_common(struct evew *w, const struct xm_flow *f, xm_time_t ts,
                      const char *event_type);
/* The same header added to the jansson object o (alerts).  Returns 0, or
 * -1 if any allocation failed. */
int eve_add_common(json_t *o, const struct xm_flow *f, xm_time_t ts,
                   const char *event_type);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP", "SCTP", else the decimal number;
 * buf (>= 4 bytes) is used for the number. */
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

/* Whether the protocol carries ports in the flow key (TCP, UDP, SCTP). */
bool eve_proto_has_ports(uint8_t proto);

/*
 * The flow record (event_type "flow", docs/schema-flow.md) streamed into
 * w: '{', the header, "flow", "tcp" (TCP only) and "egress", leaving the
 * object open for the stage's members (names, app, intel, process); the
 * caller ends it with evew_obj_end.  Its timestamp is f->last, or
 * f->last_interim for an interim record (r == FLOW_END_ACTIVE).  w is
 * reset by the caller; no allocation once w's buffer has grown.
 */
void eve_flow_begin(struct evew *w, const struct xm_flow *f, enum flow_end_reason r,
                    bool alerted);
/* The flow record's local host as text into buf (len >= 64):
 * egress.local_ip when the flow has a local side, else src_ip (the
 * client) - the record's key for sinks that partition by host. */
const char *eve_flow_local(const struct xm_flow *f, char *buf, size_t len);
/* The same record, closed, as a new jansson object (tests, tools). */
json_t *eve_flow_record(const struct xm_flow *f, enum flow_end_reason r, bool alerted);

/*
 * The alert record (event_type "alert", docs/schema-alert.md) of a rule
 * that fired (output/eve_alert.c), read through the rules_hit_*
 * accessors of include/xm_rules.h.  Call it from the engine's alert
 * callback (the hit is valid only there).
 */
struct rules_hit;
json_t *eve_alert_record(const struct rules_hit *hit);

#endif
