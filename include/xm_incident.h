/*
 * xm_incident.h - incidents: rule hits grouped into one story per
 * exfiltration episode (incidents/incident.c, evidence.c, record.c).
 *
 * Ownership: inc_new() allocates the whole bounded table once; inc_free()
 * releases it.  Alerts handed to inc_on_alert() are only read (borrowed for
 * the call).  Records handed to the emit callback are NEW references owned
 * by the callee.  Work happens per alert, per ended flow and once per
 * second of packet time - never per packet.
 *
 * Grouping.  An incident is keyed by (local host, process id or 0,
 * destination group).  The destination group of a hit is, first match:
 *   campaign    the destination matched an indicator list (its name);
 *   dns_tunnel  a DNS-tunnel rule: the registrable domain queried;
 *   domain      the registrable domain of the destination's name;
 *   asn         the destination's autonomous system (GeoIP ASN data);
 *   net         the destination's /24 (IPv4) or /48 (IPv6);
 *   host        host-scope rules, which name no destination.
 * Cooldown per (rule, incident) follows from the grouping: a rule that
 * fires again for the same incident only adds to its count.
 *
 * Records (event_type "incident", docs/schema-incident.md) are emitted
 *   - when an incident opens (its first hit),
 *   - when its severity rises,
 *   - when its bytes out reach ten times what was last reported (and at
 *     least 1 GiB: smaller steps say nothing new to an analyst),
 *   - when it closes: no hit and no traffic for `quiet` seconds of packet
 *     time, evicted from a full table, or at the end of input.
 *
 * Severity is computed from combined evidence, every term shown in the
 * record (see inc_score in evidence.c and the schema document).
 *
 * Determinism: incident ids are a sequence number in order of opening;
 * nothing depends on the hash seed (tables are keyed, never iterated in
 * hash order: closing walks the open list in order of opening).
 */
#ifndef XM_INCIDENT_H
#define XM_INCIDENT_H

#include <jansson.h>

#include "xm_common.h"
#include "xm_netset.h"
#include "xm_rules.h"

struct inc_limits {
    uint32_t max_open;     /* open incidents (default 4096); oldest quiet first out */
    uint32_t quiet_s;      /* close after this long without hit or traffic (3600) */
};
void inc_limits_default(struct inc_limits *l);

struct inc_stats {
    uint64_t hits;             /* alerts fed in */
    uint64_t opened, closed, evicted;
    uint64_t records;          /* incident records emitted */
    uint64_t flows_matched;    /* ended flows added to an open incident */
};

/* Receives each incident record (a new reference). */
typedef void (*inc_emit_fn)(void *ctx, json_t *record);

struct inc_engine;

/* home: the home network (borrowed, must outlive the engine); NULL on
 * allocation failure. */
struct inc_engine *inc_new(const struct inc_limits *l, const struct xm_netset *home,
                           inc_emit_fn emit, void *emit_ctx);
void inc_free(struct inc_engine *e);

/* One alert record (EVE event_type "alert", as written by output/) at
 * packet time now.  Alerts that name no local host are ignored. */
void inc_on_alert(struct inc_engine *e, const json_t *alert, xm_time_t now);

/* A flow between local host `local` and `remote`: the open incident of
 * that host whose destinations include `remote`, as a handle (0: none).
 * Cheap (one hash chain); call it before computing anything for the add. */
uint32_t inc_flow_match(const struct inc_engine *e, const struct xm_addr *local,
                        const struct xm_addr *remote);
/* Adds a matched flow's bytes out/in (IP layer) since its last report;
 * community_id may be NULL.  May emit a volume or severity record. */
void inc_flow_add(struct inc_engine *e, uint32_t handle, uint64_t bytes_out, uint64_t bytes_in,
                  const char *community_id, xm_time_t now);

/* The rule engine's history (rules_engine_history), shown in every
 * record as incident.novelty; call before the calls that may emit
 * (cheap: a copy).  Until called, the history is empty ("warmup"). */
void inc_set_history(struct inc_engine *e, xm_time_t since);

/* Once per second of packet time: closes quiet incidents. */
void inc_tick(struct inc_engine *e, xm_time_t now);

/* End of input: closes every open incident (reason "end_of_input"). */
void inc_finish(struct inc_engine *e, xm_time_t now);

const struct inc_stats *inc_get_stats(const struct inc_engine *e);

/* Learned state (include/xm_state.h, component "incidents",
 * incidents/state.c): the next incident id and every open incident, in
 * order of opening, so an incident open when the program stopped goes
 * on (same id, counts, reported severity) instead of reopening.  With
 * state, the end of input saves open incidents instead of closing them
 * (the caller skips inc_finish).  Load into a fresh engine before the
 * first alert.  save: 0 or -1; load: 1 absent, 0 loaded, -1 ignored or
 * partly loaded (reported). */
int inc_save(const struct inc_engine *e, const char *dir);
int inc_load(struct inc_engine *e, const char *dir);

#endif
