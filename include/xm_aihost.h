/*
 * xm_aihost.h - which local hosts run AI tooling (analysis/intel/aihost.c).
 *
 * A local host gets the AI tag, with evidence, when it
 *   - connects to an LLM API endpoint (remote name or registrable domain
 *     in the endpoints list, data/ai/llm_endpoints.list)  llm_endpoint
 *   - sends an LLM SDK User-Agent in clear HTTP
 *     (data/ai/user_agents.list)                             user_agent
 *   - serves an AI tool port: an ESTABLISHED flow whose server side is
 *     the local host and whose port is in data/ai/ports.list serves_port
 *   - has a process known to be AI tooling (process attribution calls
 *     aihost_add_evidence)                                   process
 *   - is inside an operator inventory CIDR whose tags include "ai"
 *     (aihost_tag_inventory; reported as kind inventory, never decays).
 *
 * Evidence: at most AIHOST_MAX_EVIDENCE pieces per host; the same (kind,
 * detail) refreshes last-seen and count; a new piece on a full host
 * replaces the piece with the oldest last-seen (stats.evidence_replaced).
 * Decay (packet time): a piece lapses once MORE than `decay` has passed
 * since its last-seen (default 7 days: still tagged at last + 7 d
 * exactly, not 1 us later); the host is AI while any piece is live or an
 * inventory tag says so.  Lapsed pieces are dropped on the next touch.
 *
 * Table: max_hosts entries allocated at aihost_new(); only hosts with
 * evidence get an entry; when full, the least recently touched host is
 * evicted (stats.evicted).  Inventory: up to AIHOST_MAX_INVENTORY CIDRs,
 * longest prefix wins.  Observation costs a few hash probes and copies,
 * no allocation, no formatting; call it once per flow (when the flow's
 * name, UA or established state becomes known), not per packet.
 *
 * Ownership: the table owns its memory; the lists given in the config
 * are borrowed and must outlive it.  aihost_get() copies into caller
 * storage.  aihost_eve_add() allocates JSON owned by the object given.
 */
#ifndef XM_AIHOST_H
#define XM_AIHOST_H

#include <jansson.h>

#include "xm_common.h"
#include "xm_lists.h"

#define AIHOST_MAX_EVIDENCE 4
#define AIHOST_DETAIL_LEN 64
#define AIHOST_MAX_TAGS 8
#define AIHOST_TAG_LEN 32
#define AIHOST_MAX_INVENTORY 1024
#define AIHOST_DECAY_DEFAULT XM_SEC(7 * 86400)

enum aihost_kind {
    AIHOST_NONE = 0,
    AIHOST_LLM_ENDPOINT,
    AIHOST_USER_AGENT,
    AIHOST_SERVES_PORT,
    AIHOST_INVENTORY,
    AIHOST_PROCESS,
};

struct aihost_evidence {
    uint8_t kind;                     /* enum aihost_kind */
    char detail[AIHOST_DETAIL_LEN];   /* name, UA, "11434 ollama", ... */
    xm_time_t first, last;            /* packet time, usec */
    uint32_t count;                   /* observations */
};

struct aihost_view {
    bool ai;
    uint8_t n_evidence;               /* live pieces, oldest first */
    struct aihost_evidence ev[AIHOST_MAX_EVIDENCE];
    uint8_t n_tags;                   /* inventory tags */
    char tags[AIHOST_MAX_TAGS][AIHOST_TAG_LEN];
};

struct aihost_config {
    const struct lists_list *endpoints;    /* may be NULL */
    const struct lists_list *user_agents;  /* may be NULL */
    const struct lists_list *ports;        /* may be NULL */
    xm_time_t decay;                       /* usec; 0 = default */
    uint32_t max_hosts;                    /* 0 = 4096 */
    uint64_t seed;                         /* xm_hash_random_seed() */
};

struct aihost_obs {
    const struct xm_addr *local;  /* the home-side address of the flow */
    bool local_is_server;         /* local side is the flow's server */
    bool established;             /* the flow saw traffic both ways */
    uint16_t srv_port;            /* server port, host order */
    const char *name;             /* best remote name, NULL if unnamed */
    const char *domain;           /* its registrable domain, or NULL */
    const char *ua;               /* clear-HTTP User-Agent, or NULL */
    xm_time_t now;                /* packet time */
};

struct aihost_stats {
    uint64_t observations, evidence_added, evidence_refreshed;
    uint64_t evidence_replaced, evidence_lapsed;
    uint64_t evicted;
    uint32_t hosts, capacity, inventory;
};

struct aihost;

struct aihost *aihost_new(const struct aihost_config *cfg);
void aihost_free(struct aihost *ah);

/* Records the evidence one flow carries; returns the number of pieces
 * added or refreshed (0 when the flow says nothing about AI tooling). */
int aihost_observe_flow(struct aihost *ah, const struct aihost_obs *o);

/* Adds one piece of evidence directly (process attribution, tests).
 * Returns 0, or -1 for a bad kind or address. */
int aihost_add_evidence(struct aihost *ah, const struct xm_addr *host, enum aihost_kind kind,
                        const char *detail, xm_time_t now);

/* Another sensor's piece (--site-redis): merged as first = min, last =
 * max, count = max (the largest count one sensor saw); never shared
 * back.  0, or -1 for a bad kind, address or times. */
int aihost_merge(struct aihost *ah, const struct xm_addr *host, enum aihost_kind kind,
                 const char *detail, xm_time_t first, xm_time_t last, uint32_t count);
/* Shares every piece added or refreshed through site (borrowed, must
 * outlive ah; NULL = none): include/xm_site.h. */
struct site;
void aihost_set_site(struct aihost *ah, struct site *site);

/* Tags a CIDR ("10.1.0.0/16" or a bare address) with comma-separated
 * tags ("ai,gpu").  Returns 0, or -1 with err set. */
int aihost_tag_inventory(struct aihost *ah, const char *cidr, const char *tags,
                         char *err, size_t errlen);

/* Fills *out with the host's live evidence and inventory tags at packet
 * time now; returns out->ai. */
bool aihost_get(struct aihost *ah, const struct xm_addr *host, xm_time_t now,
                struct aihost_view *out);
/* Just the tag (same decay rule). */
bool aihost_is_ai(struct aihost *ah, const struct xm_addr *host, xm_time_t now);

/*
 * Adds "local_host": {"ai": BOOL, "evidence": [{"kind", "detail", "first_seen",
 * "last_seen", "count"}...], "tags": [...]} to obj when the host has live
 * evidence or inventory tags.  Returns 1 when added, 0 when nothing is
 * known, -1 on allocation failure.  For alerts only (formats times).
 */
int aihost_eve_add(struct aihost *ah, const struct xm_addr *host, xm_time_t now, json_t *obj);
/* The same "local_host" member written into the streaming writer w
 * (flow records), byte for byte json_dumpb's text of aihost_eve_add's;
 * -1 where aihost_eve_add fails on a string that is not valid UTF-8. */
struct evew;
int aihost_eve_write(struct aihost *ah, const struct xm_addr *host, xm_time_t now,
                     struct evew *w);

/* "llm_endpoint", "user_agent", "serves_port", "inventory", "process" */
const char *aihost_kind_name(enum aihost_kind k);

const struct aihost_stats *aihost_get_stats(const struct aihost *ah);

/* Learned state (include/xm_state.h), component "aihost": one line per
 * piece of evidence, hosts from least to most recently touched (LRU
 * order, independent of the hash seed).  Inventory tags come from the
 * configuration and are not saved.  save: 0 or -1; load: 1 absent, 0
 * loaded, -1 ignored or partly loaded (reported). */
int aihost_save(const struct aihost *ah, const char *dir);
int aihost_load(struct aihost *ah, const char *dir);

#endif
