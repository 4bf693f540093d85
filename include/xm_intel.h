/*
 * xm_intel.h - destination intelligence glue (analysis/intel/intel.c): ties the
 * GeoIP resolver, indicator lists, look-alike checker and AI-host table
 * to flows and to the rule engine's field registry.
 *
 * Ownership: struct intel_ctx is caller storage holding BORROWED
 * pointers (geo, lookalike, aihost, app, lists); all of them, and the ctx
 * itself, must outlive the rules registry the fields are registered in
 * and every set compiled against it.  Any member may be NULL: its fields
 * then report "not available" (comparisons are false).
 *
 * Fields published in intel_fields (FLOW scope unless noted;
 * the remote end is the side that is not FLOW_LOCAL_*):
 *   dst.country          string  ISO code from GeoIP (cached per address)
 *   dst.asn              num     AS number
 *   dst.org              string  AS organisation
 *   dst.lookalike        string  "none", "token" or "edit" (named flows)
 *   dst.lookalike_vendor string  vendor domain imitated ("litellm.ai")
 *   dst.ioc              bool    name, registrable domain or address:port
 *                                is in an indicator list
 *   dst.ioc_list         string  that list's name ("teampcp")
 *   dst.ioc_label        string  the entry's label ("telnyx-c2")
 *   http.ioc             bool    an HTTP marker of an indicator list
 *                                (X-Filename / User-Agent) matched
 *   host.ai              bool    local host runs AI tooling (FLOW, HOST,
 *                                HOSTDST)
 *   host.ai_evidence     string  kind of its newest live evidence
 *   dst.ai_evidence      bool    the flow's remote name or registrable
 *                                domain is an llm_endpoint piece of the
 *                                local host's live AI evidence: the LLM
 *                                API that makes the host an AI host
 *   host.tags            string  inventory tags, comma-joined
 * Fields that already exist in the registry are left alone (skipped).
 *
 * Costs: GeoIP is cached per address; look-alike verdicts per name id;
 * list matching is a few hash probes.  Getters run at rule evaluation
 * (at most once per key per second of packet time), not per packet.
 */
#ifndef XM_INTEL_H
#define XM_INTEL_H

#include <jansson.h>

#include "xm_aihost.h"
#include "xm_app.h"
#include "xm_geo.h"
#include "xm_lists.h"
#include "xm_lookalike.h"
#include "xm_field.h"

#define INTEL_MAX_LISTS 16
#define INTEL_SCRATCH 4            /* string getter buffers in rotation */

struct intel_ctx {
    struct geo *geo;
    struct lookalike *lookalike;
    struct aihost *aihost;
    const struct app_ctx *app;                    /* names, SNI, HTTP */
    const struct lists_list *ioc[INTEL_MAX_LISTS];  /* checked in order */
    unsigned n_ioc;
    /* getter scratch (host.tags): a returned string stays valid for the
     * next INTEL_SCRATCH-1 string getter calls */
    char scratch_[INTEL_SCRATCH][AIHOST_MAX_TAGS * AIHOST_TAG_LEN];
    unsigned scratch_next_;
};

/* The fields above (include/xm_field.h); owner a struct intel_ctx *. */
extern const struct xm_field_list intel_fields;

/* What a flow tells about its remote end, resolved once. */
struct intel_dst {
    const char *name, *domain;   /* best name and registrable domain, or NULL */
    struct xm_addr local, remote;
    uint16_t remote_port;
    bool local_is_server;
    const char *ua, *x_filename; /* clear-HTTP request fields, or NULL */
};
void intel_dst_of(const struct intel_ctx *c, const struct xm_flow *f, struct intel_dst *d);

/* First indicator-list entry for the destination (name, then domain,
 * then address:port); sets *list to the list's name.  NULL if none. */
const struct lists_entry *intel_ioc_dst(const struct intel_ctx *c, const struct intel_dst *d,
                                        const char **list);
/* First indicator-list HTTP marker in the destination's HTTP fields. */
const struct lists_entry *intel_ioc_http(const struct intel_ctx *c, const struct intel_dst *d,
                                         const char **list);

/* Feeds the AI-host table with one flow (call when the flow ends, and
 * optionally once it is established and named). */
void intel_observe_flow(struct intel_ctx *c, const struct xm_flow *f, xm_time_t now);

/* Adds "dest_geo" {country, asn, org} and, when anything matched,
 * "intel" {ioc_list, ioc_label, lookalike, lookalike_vendor} to an EVE
 * record, and the AI-host object (aihost_eve_add) for the local host.
 * For alerts (allocates JSON; flow records use intel_eve_write).  0,
 * or -1 on OOM. */
int intel_eve_add(struct intel_ctx *c, const struct xm_flow *f, xm_time_t now, json_t *rec);
/* The same members written into the streaming writer w (flow records):
 * the bytes json_dumpb gives intel_eve_add's, with no object tree. */
struct evew;
void intel_eve_write(struct intel_ctx *c, const struct xm_flow *f, xm_time_t now,
                     struct evew *w);

#endif
