/*
 * xm_rules.h - the rule language, its compiler and the rule engine
 * (rules/).  Reference: docs/rules.md; alert layout: docs/schema-alert.md.
 *
 * Ownership:
 *  - struct rules_registry owns copies of nothing: the `name` and `arg`
 *    of a registered struct rules_field, and the descriptor lists and
 *    owners given to rules_fields_add(), must outlive the registry
 *    (use string literals and static data).  The registry must outlive
 *    every set compiled against it.
 *  - A struct rules_set owns all of its memory (rule text, lists, the
 *    compiled conditions); rules_set_free() releases it.  A set handed to
 *    rules_engine_new()/rules_engine_swap() is owned by the engine from
 *    then on (do not free it yourself).
 *  - The engine allocates every table once in rules_engine_new() (and
 *    again only in rules_engine_swap()); nothing is allocated per packet.
 *    A firing rule is handed to the alert callback as a struct rules_hit
 *    (borrowed, valid during the call); the callback builds the record.
 *  - struct rules_error is caller storage, filled on failure.
 */
#ifndef XM_RULES_H
#define XM_RULES_H

#include <stdio.h>

#include "xm_common.h"
#include "xm_field.h"
#include "xm_flow.h"
#include "xm_pkt.h"
#include "xm_tab.h"

/* ---- errors --------------------------------------------------------- */

/* A compile error: where, what, and the offending source line. */
struct rules_error {
    char file[256];
    int line, col;           /* 1-based; 0 when the error has no place */
    char msg[256];           /* the exact message (tests compare it) */
    char src_line[256];      /* the source line, without its newline; a
                              * long line is cut to a window around col */
    int src_col;             /* 1-based column of the caret in src_line */
};

/* Most parentheses and 'not' a condition may nest (together, counted along
 * one path from the outside in); deeper input is a located compile error.
 * "and"/"or" chains are not nesting: a chain is one node, limited only by
 * the size of a rule file. */
#define RULES_MAX_NEST 64

/* Prints "file:line:col: error: msg", the source line and a caret. */
void rules_error_print(const struct rules_error *e, FILE *f);

/* ---- scopes, types, values ------------------------------------------ */

enum rules_scope {
    RULES_SCOPE_FLOW = 0,    /* one flow, key = flow_id */
    RULES_SCOPE_HOST,        /* one local address */
    RULES_SCOPE_HOSTDST,     /* local address + remote address */
    RULES_SCOPE_SITE,        /* the whole monitored site (one key) */
    RULES_SCOPE_PROCESS,     /* process table id (xm_flow.proc_id) */
    RULES_SCOPE_MAX
};
#define RULES_SCOPE_BIT(s) (1u << (s))

/* The key of a per-key state entry; zero every unused byte (hashed). */
struct rules_key {
    struct xm_addr local;    /* HOST, HOSTDST */
    struct xm_addr remote;   /* HOSTDST */
    uint64_t id;             /* FLOW: flow_id; PROCESS: proc_id */
    uint8_t scope;           /* enum rules_scope */
    uint8_t pad_[7];
};

enum rules_type {
    RULES_T_NUM = 0,         /* plain number (counts, ports, scores) */
    RULES_T_BYTES,           /* bytes; literals 500MB, 2GiB, or plain */
    RULES_T_DURATION,        /* seconds; literals 90s, 10m, 1h, 7d */
    RULES_T_RATE,            /* bits per second; literals 100Mbps */
    RULES_T_BOOL,
    RULES_T_STRING,
    RULES_T_ADDR,
    RULES_T_MAX
};

union rules_value {
    double num;              /* NUM, BYTES, DURATION (s), RATE (bit/s) */
    bool b;
    struct { const char *s; size_t len; } str;   /* borrowed */
    struct xm_addr addr;
};

struct rules_engine;

/* What a getter may look at.  Exactly the members of the key's scope are
 * set; flow is set for FLOW scope and, for other scopes, when the
 * evaluation was triggered by a packet of that flow (else NULL). */
struct rules_eval_ctx {
    const struct rules_engine *eng;
    enum rules_scope scope;
    const struct rules_key *key;
    const struct xm_flow *flow;
    const void *state;       /* engine-private per-key state */
    xm_time_t now;           /* packet time of the evaluation */
    struct rules_memo *memo; /* engine-private: field values already read
                              * in this evaluation (NULL: none) */
};

/* The `arg` a getter receives: built once at compile time for each use
 * of a field in a condition. */
struct rules_fref {
    const void *user;        /* struct rules_field.arg */
    uint32_t window_s;       /* window in seconds, 0 for unwindowed */
    int metric;              /* built-ins: engine metric id */
};

/* Returns 0 and fills *out, or 1 when the value is not available (warm-up,
 * unknown...): the comparison is then false. */
typedef int (*rules_get_fn)(const struct rules_eval_ctx *ctx, const void *arg,
                            union rules_value *out);

struct rules_field {
    const char *name;        /* "bytes_out", "dst.country", ... */
    enum rules_type type;
    unsigned scopes;         /* OR of RULES_SCOPE_BIT() providing it */
    bool windowed;           /* requires a [window] argument */
    rules_get_fn get;
    const void *arg;         /* passed back as rules_fref.user */
    int metric;              /* built-ins only; 0 for external fields */
};

struct rules_registry;

/* A new registry with every built-in field registered. */
struct rules_registry *rules_registry_new(void);
void rules_registry_free(struct rules_registry *reg);
/* Adds a field; returns 0, or -1 when the name exists or memory is out. */
int rules_field_register(struct rules_registry *reg, const struct rules_field *def);
/* Adds a field unless one of that name exists already (so a module can
 * register its fields into a registry that has some of them): returns 1
 * when added, 0 when skipped, -1 on allocation failure or a bad def. */
int rules_field_add(struct rules_registry *reg, const struct rules_field *def);
const struct rules_field *rules_field_find(const struct rules_registry *reg,
                                           const char *name);
/* The one registration call of a field provider: adds every descriptor
 * of list (include/xm_field.h) whose name is not registered yet, each
 * answering through list->f[i].get(owner, id, ...).  The registry keeps
 * the list and owner pointers (both must outlive it) and owns the small
 * adapter array it allocates here.  Returns the number added, or -1 on
 * allocation failure or a descriptor without name or getter. */
int rules_fields_add(struct rules_registry *reg, const struct xm_field_list *list,
                     const void *owner);

/* ---- compiling ------------------------------------------------------ */

struct rules_set;

/* All-or-nothing: on success *out is a new set and 0 is returned; on
 * failure -1, *out is untouched, err filled, nothing leaks. */
int rules_compile_file(const char *path, const struct rules_registry *reg,
                       struct rules_set **out, struct rules_error *err);
int rules_compile_files(const char *const *paths, size_t n,
                        const struct rules_registry *reg,
                        struct rules_set **out, struct rules_error *err);
/* `name` is used as the file name in errors and as the base for include
 * paths (relative to the current directory when it has no slash). */
int rules_compile_string(const char *name, const char *text,
                         const struct rules_registry *reg,
                         struct rules_set **out, struct rules_error *err);
void rules_set_free(struct rules_set *set);
size_t rules_set_count(const struct rules_set *set);
/* For `exfilmon --check`: one line per rule (id, severity, scope,
 * message), then counts of rules, lists and list entries. */
void rules_set_describe(const struct rules_set *set, FILE *f);
/* Which fields the loaded rules use: true when a condition of set reads a
 * field of the provider list `list` (as given to rules_fields_add(): a
 * descriptor of list whose name another provider registered first is
 * not this list's field).  Answered from the set's used-field list,
 * built at compile time; a reload compiles a new set, so ask again after
 * rules_engine_swap().  NULL set: false.  Callers switch off analysis
 * whose only consumer is such fields (analysis/stage.c, beacon history). */
bool rules_set_uses_fields(const struct rules_set *set, const struct xm_field_list *list);
/* Same for a field by its registered name ("beacon.count"). */
bool rules_set_uses_field(const struct rules_set *set, const char *name);

/* Finds the default pack: $XM_DATADIR/rules/default.rules, then, for a
 * binary run from its build tree only (xm_paths.h), SOURCE/rules/
 * default.rules.  Returns a static path or NULL. */
const char *rules_default_path(void);

/* ---- engine --------------------------------------------------------- */

/* Table caps.  0 means the default shown. */
struct rules_limits {
    uint32_t max_hosts;      /* HOST keys, default 262144 */
    uint32_t max_pairs;      /* HOSTDST keys, default 262144 */
    uint32_t max_flows;      /* FLOW eval state, default 1048576 */
    uint32_t max_procs;      /* PROCESS keys, default 16384 */
    uint32_t max_seen;       /* first-seen (host, dst) pairs, default max_pairs */
    uint32_t max_dsts;       /* prevalence (dst) entries, default max_pairs / 2 */
    uint32_t max_supp;       /* suppression entries, default 262144 */
    uint64_t seed;           /* hash seed; 0 = draw one */
};

/* ---- alerts: what a firing rule tells (rules/hit.c) ----------------- */

/* A rule that fired, handed to the alert callback.  Valid only during
 * the callback; read it through the accessors below.  The engine builds
 * no record: the callback (the program, with output/'s EVE writer) does. */
struct rules_hit;

/* The engine calls this once per alert (after suppression).  Called from
 * inside rules_on_packet/_on_flow_end/_tick/_flush; it must not call back
 * into the engine except through the rules_hit_* accessors. */
typedef void (*rules_alert_fn)(void *ctx, const struct rules_hit *hit);

#define RULES_HIT_MAX_TACTICS 8

struct rules_hit_rule {
    uint32_t id, rev;
    const char *msg;
    const char *category;        /* NULL: none given */
    int severity;                /* 1 critical .. 4 low */
    const char *severity_name;   /* "critical" .. "low" */
    enum rules_scope scope;
    uint32_t window_s;           /* largest window, 0 for none */
    char window[16];             /* window_s as written ("1h"), "" for none */
    char *const *mitre;
    size_t n_mitre;
    char *const *tags;
    size_t n_tags;
    /* ATT&CK tactics of the techniques above, in citation order, each
     * once (rules/mitre.c); static strings; n_tactics 0 when none known. */
    const char *tactic_id[RULES_HIT_MAX_TACTICS];     /* "TA0010" */
    const char *tactic_name[RULES_HIT_MAX_TACTICS];   /* "Exfiltration" */
    size_t n_tactics;
};

/* The condition terms that held, in evaluation order. */
enum rules_threshold_kind {
    RULES_THR_VALUE = 0,         /* a comparison: threshold is a value */
    RULES_THR_TRUE,              /* a bare boolean field */
    RULES_THR_TEXT,              /* in / matches: threshold_text */
};

struct rules_hit_cond {
    const char *field;           /* as written, "bytes_out[1h]" */
    const char *op;              /* "<", "<=", ">", ">=", "==", "!=", "in",
                                  * "matches", "is" */
    enum rules_type type;
    union rules_value value;     /* the value that held */
    enum rules_threshold_kind thr_kind;
    union rules_value threshold; /* RULES_THR_VALUE */
    const char *threshold_text;  /* RULES_THR_TEXT ("" when none) */
};

/* Baseline of the rule's first baseline field, for the key. */
struct rules_hit_baseline {
    int which;                   /* 0 hourly, 1 daily */
    bool ready;                  /* warmed up: median/mad are meaningful */
    double median_ln, mad_ln;    /* of ln(1 + bytes_out per period) */
    double current_bytes;        /* bytes out in the current period */
    unsigned periods;            /* finished periods kept */
};

#define RULES_TOP_K 5
/* Top-K of a keyed scope by bytes out, in table order (unsorted); entries
 * with bytes == 0 are empty. */
struct rules_top_dst { struct xm_addr a; uint64_t bytes; };
struct rules_top_flow {
    uint64_t flow_id;
    struct xm_addr remote;
    uint16_t port;
    uint8_t name_src;         /* f->name_src of the flow */
    uint32_t name_id;         /* f->name_id of the flow, 0 = unnamed */
    uint64_t bytes;           /* the flow's total bytes out when last seen */
};
struct rules_hit_top {
    struct rules_top_dst d[RULES_TOP_K];
    struct rules_top_flow f[RULES_TOP_K];
};

const struct rules_eval_ctx *rules_hit_ctx(const struct rules_hit *h);
void rules_hit_rule(const struct rules_hit *h, struct rules_hit_rule *out);
bool rules_hit_escalation(const struct rules_hit *h);
uint32_t rules_hit_fires(const struct rules_hit *h);   /* alerts of this key and rule */
size_t rules_hit_n_conditions(const struct rules_hit *h);
void rules_hit_condition(const struct rules_hit *h, size_t i, struct rules_hit_cond *out);
/* Bytes out/in: FLOW scope the flow's totals (and *duration_s its age
 * in whole seconds; returns 1); keyed scopes with a window the window
 * sums (returns 2); else 0 and nothing filled. */
int rules_hit_totals(const struct rules_hit *h, double *out, double *in, double *duration_s);
/* false when the rule uses no baseline field. */
bool rules_hit_baseline(const struct rules_hit *h, struct rules_hit_baseline *out);
/* FLOW and HOST_DESTINATION scope: the (host, destination) pair's first
 * sighting (the evaluation time when unseen) and the number of hosts
 * that contacted the destination; false for other scopes. */
bool rules_hit_first_seen(const struct rules_hit *h, xm_time_t *first, uint32_t *prevalence);
/* Keyed scopes: a copy of the key's top-K; false for FLOW scope.  A
 * host+destination key keeps no top destinations (d[] all empty): its
 * one destination is the key. */
bool rules_hit_top(const struct rules_hit *h, struct rules_hit_top *out);

/*
 * How long the engine has watched, which is what "first seen" and
 * prevalence can mean: a destination first seen less than the warm-up
 * after the history began may only be new to exfilmon, not to the host.
 * The history begins at the first packet the engine counted: this run's,
 * or the first of a history loaded with --state (rules_engine_load).
 * RULES_NOVELTY_WARMUP is one day, the period over which a site's
 * ordinary destinations recur (daily jobs, backups, a working day).
 */
#define RULES_NOVELTY_WARMUP XM_SEC(86400)
/* Packet time the history began; 0 before the first packet.  A run that
 * loaded day 1's state and one that read day 1 itself agree (records
 * do not say which, so both give the same day-2 records). */
xm_time_t rules_engine_history(const struct rules_engine *eng);
xm_time_t rules_hit_history(const struct rules_hit *h);
/* "warmup" while less than RULES_NOVELTY_WARMUP of history lies behind
 * now, else "history"; *history_s gets the whole seconds of history (0
 * before the first packet).  Records show both (docs/schema-*.md). */
const char *rules_novelty_basis(xm_time_t since, xm_time_t now, int64_t *history_s);

/* Takes ownership of set.  NULL on allocation failure (set freed). */
struct rules_engine *rules_engine_new(struct rules_set *set,
                                      const struct rules_limits *lim,
                                      rules_alert_fn cb, void *cb_ctx);
void rules_engine_free(struct rules_engine *eng);
/* Replaces the set (takes ownership; the old set is freed).  Window and
 * baseline state of keys present before is kept; suppression state of
 * rules whose id vanished is dropped.  Returns 0, or -1 on allocation
 * failure, in which case the old set stays active and newset is freed. */
int rules_engine_swap(struct rules_engine *eng, struct rules_set *newset);
/* The engine's current set (borrowed; replaced by rules_engine_swap). */
const struct rules_set *rules_engine_set(const struct rules_engine *eng);

/* Per packet, after flow_update(): counts the packet (dir as returned by
 * flow_update) and evaluates the touched keys at most once per second of
 * packet time each. */
void rules_on_packet(struct rules_engine *eng, const struct xm_pkt *p,
                     struct xm_flow *f, int dir);
/* A few packets before rules_on_packet() for flow f at packet time ts:
 * prefetches the cache lines of f's cached host, host+destination and
 * flow keys that the packet will update (header, current window buckets,
 * baselines, top-K).  Reads only f and the engine's layout; changes
 * nothing, so a wrong guess of f costs only memory traffic. */
void rules_prefetch(const struct rules_engine *eng, const struct xm_flow *f, xm_time_t ts);
/* For a packet whose flow does not exist yet: prefetches the probe-index
 * slots of the keys its flow's first packet looks up by hash (host
 * unless both ends are local (both), host+destination, and when the
 * packet leaves the local side (out) the first-seen pair and the
 * destination), and in full tables the entry an insertion would evict.
 * local/remote: the ends as the engine will see the flow (the server is
 * local only when the client is not).  rules/prefetch.c; changes
 * nothing. */
void rules_prefetch_new(const struct rules_engine *eng, const struct xm_addr *local,
                        const struct xm_addr *remote, bool both, bool out);
/* For a packet of flow f: when f's cached host+destination key was
 * probably evicted (full table), the same for that key.  Changes nothing. */
void rules_prefetch_stale(const struct rules_engine *eng, const struct xm_flow *f);
/* Flow end and interim records: evaluates flow-scope rules one last time
 * (not for FLOW_END_ACTIVE: that is an ordinary evaluation). */
void rules_on_flow_end(struct rules_engine *eng, struct xm_flow *f,
                       enum flow_end_reason r);
/* At least once per second of packet time (deterministic: driven by the
 * packet clock): evaluates keys counted since their last evaluation whose
 * second is over, so a burst followed by silence is still judged. */
void rules_tick(struct rules_engine *eng, xm_time_t now);
/* End of input: evaluates every key counted since its last evaluation.
 * Call after flow_flush() (whose end callbacks evaluate flow rules). */
void rules_flush(struct rules_engine *eng);

struct rules_engine_stats {
    struct xm_tab_stats keys[RULES_SCOPE_MAX];   /* include/xm_tab.h */
    struct xm_tab_stats seen, dsts, supp;
    uint64_t evals;          /* key evaluations */
    uint64_t alerts, escalations, suppressed;
    size_t n_rules;
    const uint32_t *rule_ids;     /* n_rules entries, set order */
    const uint64_t *rule_alerts;  /* alerts per rule, same order */
    size_t bytes_per_key[RULES_SCOPE_MAX];  /* fixed state per key */
};
/* Valid until the next call into the engine. */
const struct rules_engine_stats *rules_engine_stats(struct rules_engine *eng);

const char *rules_scope_name(enum rules_scope s);

/* Learned state (include/xm_state.h, component "rules", rules/state.c):
 * the clock, first-seen pairs and destination prevalence, cooldowns of
 * host/pair/site keys, and the windows and baselines of host, pair and
 * site keys (kept only when loaded with the same rule layout).  Load
 * into a fresh engine before the first packet.  save: 0 or -1; load: 1
 * absent, 0 loaded, -1 ignored or partly loaded (reported). */
int rules_engine_save(const struct rules_engine *eng, const char *dir);
int rules_engine_load(struct rules_engine *eng, const char *dir);

/* --site-redis (include/xm_site.h): new (host, destination address)
 * pairs are noted to site (borrowed, must outlive eng; NULL = none), and
 * rules_seen_merge() merges another sensor's pair (first-seen = min, the
 * host counted once in dst.prevalence), never shared back. */
struct site;
void rules_engine_set_site(struct rules_engine *eng, struct site *site);
void rules_seen_merge(struct rules_engine *eng, const struct xm_addr *local,
                      const struct xm_addr *remote, xm_time_t t);
/* Another sensor's first packet time t: the site's monitoring started at
 * the earliest (dst.first_seen_site_age, site.age count from it). */
void rules_site_start(struct rules_engine *eng, xm_time_t t);

#endif
