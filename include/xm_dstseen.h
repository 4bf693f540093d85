/*
 * xm_dstseen.h - first-seen and prevalence of registrable domains
 * (analysis/intel/dstseen.c), per (local host, domain) and site-wide.
 *
 * Ownership: dstseen_new() allocates both tables once (hard caps in
 * struct dstseen_limits); dstseen_free() releases them.  Nothing is
 * allocated after that.  The app ctx passed to dstseen_set_app()
 * is borrowed and must outlive the registry.
 *
 * When it is updated: dstseen_on_flow() is called by the pipeline when a
 * flow's name first becomes known (f->name_id changed during
 * app_on_packet) and again at flow end; it is idempotent for a flow.
 * Never per packet otherwise.  Time is the flow's FIRST packet time
 * (packet time, microseconds), so the result does not depend on when
 * the name arrived.
 *
 * Keys: a registrable domain is identified by a 64-bit digest keyed with
 * a secret drawn at start (no strings stored; two domains colliding has
 * probability ~n^2 / 2^65).  Bucket hashing uses the seed passed in.
 * Nothing printed depends on either.
 *
 * Tables and eviction: pairs (local host, domain), default cap 262144
 * (the program passes --max-pairs); domains, default cap 65536 (the
 * program passes --max-names).  Both are LRU (an observation refreshes an
 * entry); when full the least recently observed entry is dropped and
 * counted in `evicted`.  An evicted pair or domain LOOKS NEW AGAIN when it
 * comes back, and a host whose pair was evicted is counted twice in the
 * domain's prevalence (prevalence may overestimate after evictions; a
 * domain evicted and seen again restarts at 1).
 *
 * Rule fields (FLOW scope; not available for unnamed flows, flows with
 * no local side, or entries evicted meanwhile):
 *   dst.domain_first_seen_age   duration  flow start - when this local
 *                                         host first talked to the flow's
 *                                         registrable domain (0 for the
 *                                         flow that introduced it)
 *   dst.domain_prevalence       num       local hosts seen talking to it
 *   dst.domain_site_age         duration  flow start - when any local
 *                                         host first talked to it
 *   dst.domain_first_seen_site_age
 *                               duration  how long the tables had been
 *                                         observing (since the earliest
 *                                         flow start they saw) when this
 *                                         host first talked to the
 *                                         domain; use "> 1h" to ignore
 *                                         start-up, when all is new
 */
#ifndef XM_DSTSEEN_H
#define XM_DSTSEEN_H

#include "xm_app.h"
#include "xm_common.h"
#include "xm_flow.h"
#include "xm_field.h"
#include "xm_tab.h"

struct dstseen_limits {
    uint32_t max_pairs;     /* 0 = 262144 */
    uint32_t max_domains;   /* 0 = 65536 */
};


struct dstseen_stats {
    struct xm_tab_stats pairs, domains;   /* include/xm_tab.h */
    uint64_t pair_hits, domain_hits;      /* observations of known keys */
    uint64_t observed;      /* dstseen_observe() calls */
};

/* What the tables know about (host, domain). */
struct dstseen_view {
    bool pair_known, domain_known;
    xm_time_t pair_first;   /* earliest flow start of host -> domain */
    xm_time_t site_first;   /* earliest flow start of any host -> domain */
    uint32_t prevalence;    /* local hosts counted for the domain */
    xm_time_t t0;           /* earliest flow start ever observed */
};

struct dstseen;

/* NULL on allocation failure.  seed: xm_hash_random_seed(). */
struct dstseen *dstseen_new(const struct dstseen_limits *l, uint64_t seed);
void dstseen_free(struct dstseen *d);

/* Records that `local` talked to `domain` (any case, no trailing dot
 * expected) in a flow that started at t. */
void dstseen_observe(struct dstseen *d, const struct xm_addr *local, const char *domain,
                     xm_time_t t);
/* The same for another sensor's observation (--site-redis): merged
 * (first-seen = min, the host counted once), never shared back. */
void dstseen_merge(struct dstseen *d, const struct xm_addr *local, const char *domain,
                   xm_time_t t);
/* Shares new pairs (and earlier first-seen times) through site (borrowed,
 * must outlive d; NULL = none): include/xm_site.h. */
struct site;
void dstseen_set_site(struct dstseen *d, struct site *site);
/* Fills *v; false when neither the pair nor the domain is known. */
bool dstseen_get(const struct dstseen *d, const struct xm_addr *local, const char *domain,
                 struct dstseen_view *v);

/* Pipeline hook: observes f's (local host, registrable domain) if the
 * flow is named and has a local side.  app is borrowed for the call. */
void dstseen_on_flow(struct dstseen *d, const struct app_ctx *app, const struct xm_flow *f);

/* The local end of a flow: the server when only the server is local,
 * else the client.  false when no side is local. */
bool dstseen_flow_local(const struct xm_flow *f, struct xm_addr *out);

/* The fields above (include/xm_field.h); owner a const struct dstseen *,
 * which answers only once dstseen_set_app() gave it the names. */
extern const struct xm_field_list dstseen_fields;
void dstseen_set_app(struct dstseen *d, const struct app_ctx *app);

const struct dstseen_stats *dstseen_get_stats(const struct dstseen *d);

/* Learned state (include/xm_state.h), component "dstseen": the domain
 * digest secret, t0, then pairs and domains from least to most recently
 * observed (LRU order, independent of the hash seed).  Load only into a
 * fresh registry, before the first observation: it adopts the saved
 * digest secret so saved digests keep matching.  save: 0 or -1; load: 1
 * absent, 0 loaded, -1 ignored or partly loaded (reported). */
int dstseen_save(const struct dstseen *d, const char *dir);
int dstseen_load(struct dstseen *d, const char *dir);

#endif
