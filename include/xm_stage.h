/*
 * xm_stage.h - the analysis stage a flow's packets meet after the flow
 * table (analysis/stage.c): app-layer parsers and names, GeoIP, indicator
 * lists, look-alikes, AI-host tagging, per-process attribution and
 * metadata contacts, domain first-seen, beaconing and service categories.
 *
 * Configuration: the program loads what the options name (lists, GeoIP
 * databases, the process table) into a struct stage_config; the stage
 * builds the rest.  The stage includes no program header: everything it
 * is told comes through stage_config.
 *
 * Ownership: stage_new() takes ownership of every list, the geo handle
 * and the process table in cfg, also when it fails.  The stage owns every
 * table it builds and frees it all in stage_free().  Rule-field providers
 * (stage_field_sources) borrow the stage: free the rule registry, and the
 * engine and sets compiled against it, before stage_free().
 *
 * Per packet and per flow: no allocation beyond the modules' own
 * contracts; record enrichment runs only when a record is written.
 */
#ifndef XM_STAGE_H
#define XM_STAGE_H

#include <stdio.h>

#include <jansson.h>

#include "xm_aihost.h"
#include "xm_app.h"
#include "xm_field.h"
#include "xm_geo.h"
#include "xm_intel.h"
#include "xm_lists.h"
#include "xm_proc.h"

#define STAGE_MAX_IOC 8
#define STAGE_N_SERVICES 4

struct stage_config {
    uint64_t seed;                          /* hash seed of every table */
    struct lists_list *ioc[STAGE_MAX_IOC];  /* indicator lists, bundled first */
    unsigned n_ioc;
    struct lists_list *endpoints;           /* ai/llm_endpoints.list */
    struct lists_list *user_agents;         /* ai/user_agents.list */
    struct lists_list *ports;               /* ai/ports.list */
    struct lists_list *vendors;             /* vendors.list */
    struct lists_list *resolvers;           /* dns/resolvers.list (DoH/DoT, xm_privdns.h) */
    struct lists_list *ech_fronts;          /* ech_public_names.list */
    /* services/{filesharing,paste,tunnels,object_storage}.list */
    struct lists_list *services[STAGE_N_SERVICES];
    struct geo *geo;                        /* opened databases (maybe none) */
    struct proc *proc;                      /* NULL: no per-process attribution */
    uint32_t max_names;                     /* names, answer addresses and first-seen
                                               domains; 0 = default */
    uint32_t max_pairs;                     /* first-seen (host, domain) pairs; 0 = default */
    uint32_t max_app_flows;                 /* per-flow app records; 0 = default */
};

struct stage;

/* NULL on failure, err filled ("FILE: reason" or "out of memory"). */
struct stage *stage_new(struct stage_config *cfg, char *err, size_t errlen);
/* Frees what a config holds (for a program that fails before
 * stage_new()) and zeroes it. */
void stage_config_free(struct stage_config *c);
void stage_free(struct stage *st);

struct app_ctx *stage_app(struct stage *st);
struct intel_ctx *stage_intel(struct stage *st);
/* For the operator inventory (aihost_tag_inventory) at start-up. */
struct aihost *stage_aihost(struct stage *st);

/* --site-redis: domain first-seen and AI evidence are shared through
 * site (include/xm_site.h; borrowed, must outlive the stage's use of it):
 * local changes are noted, other sensors' deltas merged. */
struct site;
void stage_set_site(struct stage *st, struct site *site);
/* Which providers' fields the loaded rules read: uses(ctx, list) says
 * whether a loaded rule reads a field of the provider list `list` (the
 * program answers it from the rule set: rules_set_uses_fields).  State
 * that only such fields read is kept only while a loaded rule reads one
 * of them: beacon history (beacon.*).  Call after loading the rules and
 * after every reload: a reload that adds such a rule starts that history
 * at the reload; one that drops the last such rule forgets it.  Nothing
 * written (records, state files) depends on it.  Until the first call
 * everything is kept. */
typedef bool (*stage_uses_fn)(const void *ctx, const struct xm_field_list *list);
void stage_set_rule_use(struct stage *st, stage_uses_fn uses, const void *ctx);
/* No rule will ever be evaluated (--no-rules: no engine, none on reload):
 * stage_set_rule_use with no rule reading anything. */
void stage_set_no_rules(struct stage *st);

/* Learned state of the analysis stage in directory dir (include/xm_state.h):
 * domain first-seen and prevalence (dstseen) and AI-host evidence
 * (aihost).  save: 0, or -1 when a component failed (logged).  load: the
 * number of components loaded (absent or bad files are skipped, bad ones
 * reported with FILE:LINE). */
int stage_state_save(const struct stage *st, const char *dir);
int stage_state_load(struct stage *st, const char *dir);

/* One rule-field provider: its descriptor list and the owner its getters
 * receive (include/xm_field.h). */
struct stage_field_source {
    const struct xm_field_list *list;
    const void *owner;
};
/* The stage's providers in registration order (a name registered first
 * wins); returns how many (at most cap are written). */
size_t stage_field_sources(struct stage *st, struct stage_field_source *out, size_t cap);

/* Per packet after flow_update (attribution of new flows, app layer). */
void stage_on_packet(struct stage *st, const struct xm_pkt *p, struct xm_flow *f, int dir);
/* Flow end (interim records are ignored). */
void stage_on_flow_end(struct stage *st, struct xm_flow *f, enum flow_end_reason r);
/* Adds names, TLS/HTTP fields, geo, intel, host and process objects. */
void stage_record(struct stage *st, const struct xm_flow *f, xm_time_t now, json_t *rec);
/* The same members written into the streaming writer w (flow records),
 * byte for byte as json_dumpb would give stage_record's, in its order;
 * only the process object (live attribution) is still built as a tree. */
struct evew;
void stage_write(struct stage *st, const struct xm_flow *f, xm_time_t now, struct evew *w);
/* Alerts raised without a flow in hand (process scope from the tick):
 * adds "process" for exfil.key.process_id when known. */
void stage_alert_process(struct stage *st, json_t *alert);
/* Adds "dest_name" for a remote name (a flow's name_id / name_src) to an
 * alert that has none (host+destination alerts raised by the tick). */
void stage_alert_name(struct stage *st, json_t *alert, uint32_t name_id, uint8_t name_src);

/* Process connector descriptor for the live loop (-1 when none), and
 * its handler. */
int stage_proc_fd(const struct stage *st);
void stage_proc_readable(struct stage *st);
/* Prometheus text of the stage's counters. */
void stage_write_metrics(const struct stage *st, FILE *f);
/* The stage's bounded tables that hold state (not the caches): app
 * records and names (app_tables), domain first-seen pairs and domains,
 * beacon pairs and their probation (while kept), AI hosts; at most STAGE_TABLES rows into
 * out, returns how many. */
#define STAGE_TABLES (APP_TABLES + 5)
size_t stage_tables(const struct stage *st, struct xm_tab_row *out);
/* --check: what was loaded (lists, GeoIP databases). */
void stage_describe(const struct stage *st, FILE *f);

#endif
