/*
 * internal.h - structures shared inside rules/ (compiler, fields, engine,
 * alerts).  Not a public header.
 *
 * Ownership: a struct rules_set owns its rules, nodes, lists and strings
 * (all allocated at compile time, freed by rules_set_free()).
 */
#ifndef RULES_INTERNAL_H
#define RULES_INTERNAL_H

#include "xm_rules.h"

/* ---- windows ---------------------------------------------------------- */

/* Bucket resolutions (seconds).  A window w uses the coarsest resolution
 * r that divides w with w/r >= RWIN_MIN_BUCKETS (else the finest that
 * divides w); the sum covers between w and w + r seconds of history.
 * Host+destination keys (the most numerous keyed scope) use coarse rings:
 * w/r >= RWIN_MIN_BUCKETS_PAIR, so r <= w/8 (8 h: 1 h buckets, not 5 min). */
enum { RWIN_1S = 0, RWIN_10S, RWIN_1M, RWIN_5M, RWIN_1H, RWIN_NRES };
#define RWIN_MIN_BUCKETS 12u
#define RWIN_MIN_BUCKETS_PAIR 8u
#define RWIN_MAX_BUCKETS 1024u
#define RWIN_MIN_S 1u
#define RWIN_MAX_S (7u * 86400u)
extern const uint32_t rwin_res_s[RWIN_NRES];

/* Returns the resolution index for window w (seconds) or -1: rwin_pick
 * with RWIN_MIN_BUCKETS (any scope: the window's validity), rwin_pick_scope
 * with the scope's minimum (what compile.c allocates and metrics.c reads;
 * both must agree, so both call this), rwin_pick_min with min_buckets. */
int rwin_pick(uint32_t w);
int rwin_pick_scope(uint32_t w, enum rules_scope s);
int rwin_pick_min(uint32_t w, uint32_t min_buckets);

/* Built-in metric ids (struct rules_field.metric). */
enum rmetric {
    RM_NONE = 0,
    /* windowed, HOST/HOSTDST/SITE/PROCESS */
    RM_BYTES_OUT, RM_BYTES_IN, RM_PKTS_OUT, RM_PKTS_IN, RM_FLOWS,
    RM_RATE_OUT, RM_RATE_IN, RM_RATE_OUT_MIN, RM_RATIO, RM_DST_COUNT,
    /* flow */
    RM_FLOW_BYTES_OUT, RM_FLOW_BYTES_IN, RM_FLOW_PKTS_OUT, RM_FLOW_PKTS_IN,
    RM_FLOW_AGE, RM_FLOW_RATE_OUT, RM_FLOW_RATIO, RM_FLOW_PROTO,
    RM_FLOW_DST_PORT, RM_FLOW_SRC_PORT,
    /* addresses and destinations */
    RM_HOST_IP, RM_DST_IP, RM_DST_HOME, RM_DST_FIRST_SEEN_AGE, RM_DST_FIRST_SEEN_SITE_AGE,
    RM_DST_PREVALENCE,
    RM_SITE_AGE,
    /* baselines */
    RM_BL_1H_Z, RM_BL_1H_MULT, RM_BL_1D_Z, RM_BL_1D_MULT,
    RM_MAX
};

static inline bool rmetric_windowed(int m) { return m >= RM_BYTES_OUT && m <= RM_DST_COUNT; }
static inline bool rmetric_baseline(int m) { return m >= RM_BL_1H_Z && m <= RM_BL_1D_MULT; }

/* ---- compiled sets --------------------------------------------------- */

enum rlist_kind { RLE_RANGE = 0, RLE_CIDR, RLE_STRING };

struct rlist_entry {
    uint8_t kind;             /* enum rlist_kind */
    uint8_t prefix;           /* RLE_CIDR */
    struct xm_addr addr;      /* RLE_CIDR */
    double lo, hi;            /* RLE_RANGE, inclusive */
    char *str;                /* RLE_STRING, lower-case; "*.x" = suffix */
};

struct rlist {
    char *name;
    struct rlist_entry *e;
    size_t n, cap;
};

enum rnode_op { RN_AND = 0, RN_OR, RN_NOT, RN_CMP, RN_IN, RN_MATCH, RN_BOOL };

struct rnode {
    uint8_t op;               /* enum rnode_op */
    uint8_t cmp;              /* enum lex_kind of the comparison */
    const struct rules_field *field;
    struct rules_fref fref;
    union rules_value lit;    /* threshold; str points into `owned` */
    char *owned;              /* literal string storage */
    char *text;               /* field as written, "bytes_out[1h]" */
    char *lit_text;           /* literal as written, "500MB" */
    const struct rlist *list; /* RN_IN */
    struct rlist *inline_list;/* RN_IN with { ... } or a CIDR: owned */
    /* RN_AND/RN_OR: nkid >= 2 operands, evaluated in order (a flat chain
     * "a or b or c" is one node); RN_NOT: nkid == 1.  The tree is at most
     * about 3 * RULES_MAX_NEST deep (parser limit), so walks may recurse. */
    struct rnode **kid;
    size_t nkid, kcap;
    int line, col;
    /* Leaves: 1-based value slot shared by every use of the same field
     * (and window) in the set, so one evaluation of a key reads each
     * field once (struct rules_memo); 0 = not cached (strings, whose
     * borrowed storage may be reused by the next getter call). */
    uint16_t vslot;
};

struct rrule {
    uint32_t id, rev;
    char *msg, *category;
    int severity;             /* 1 critical .. 4 low */
    enum rules_scope scope;
    struct rnode *cond;
    uint32_t cooldown_s;
    double escalate;          /* factor >= 1; default 2; 0 = off */
    char **mitre, **tags;
    size_t n_mitre, n_tags;
    uint32_t window_s;        /* largest window in the condition */
    char *file;
    int line;
    /* Conjuncts of a top-level `and` that are cheap to read and usually
     * false (rnode_pick_guards): when one is false the rule is, so the
     * engine skips the full evaluation.  Borrowed from cond. */
    const struct rnode *guard[2];
    uint8_t n_guard;
    /* Flow scope: the condition is and/or (no not) of name-only bool
     * fields (rnode_name_only): false stays false while the flow's name
     * is unchanged (rules/engine.c "name-only rules"). */
    bool name_only;
};

/* A scope's prefilter (prefilter.c), compiled once per set: conjuncts
 * of the scope's rules (of a top-level `and`, or a condition that is one
 * leaf, optionally under `not`) whose falseness one evaluation can
 * establish cheaply, grouped by value slot, so an evaluation reads each
 * such field once and marks every rule with a false conjunct dead before
 * any rule is visited.  Kinds (run in this order):
 *   RPRE_EXACT    a built-in read that is cheap and pure (the flow's
 *                 counters, dst.home, site.age);
 *   RPRE_BOUND    a windowed bytes_out/rate_out/rate_out_min judged on
 *                 its upper bound only (reng_upper: no window is summed);
 *   RPRE_PROVIDER a provider field that is its rule's first conjunct,
 *                 read only while a rule it belongs to is alive after the
 *                 kinds above, and only for rules whose guards other than
 *                 it are all RPRE_EXACT (its getter is then called only
 *                 where the evaluation without prefilter calls it too);
 *   RPRE_MEMO     a provider conjunct anywhere, judged only when the
 *                 evaluation's memo holds its value already (read by a
 *                 RPRE_PROVIDER group): never a getter call. */
enum rpre_kind { RPRE_EXACT = 0, RPRE_BOUND, RPRE_PROVIDER, RPRE_MEMO };
struct rpre_item {
    double t;                 /* threshold (numeric comparisons) */
    uint16_t idx;             /* the rule's index within its scope */
    uint8_t ge;               /* >= (else >); unused for bools */
    uint8_t neg;              /* the conjunct is `not` of the leaf */
};
struct rpre_group {
    const struct rnode *n;    /* a leaf of the slot (field, window) */
    uint8_t kind;             /* enum rpre_kind */
    uint8_t is_bool;          /* bool leaves (else numeric > or >=) */
    uint32_t first, n_it;     /* items [first, first + n_it) of struct rpre */
};
/* Words of a per-scope rule bit mask (RP_MAX_RULES rules at most). */
#define RPRE_MAX_WORDS 64u
struct rpre {
    struct rpre_group *g;     /* in the order of the kinds */
    size_t ng;
    struct rpre_item *it;
    size_t nit;
    /* 3 * nw words per group: the rules of its items, of those without
     * `not`, of those under `not` (a bool group is judged with these
     * two masks, without a loop over its items). */
    uint64_t *gmask;
    uint64_t *bare;           /* nw words: rules whose guards are all exact
                               * items, so a live rule needs no guard test */
    size_t nw;                /* (rules of the scope + 63) / 64 */
};

struct rules_set {
    struct rrule *rules;
    size_t n, cap;
    struct rlist **lists;
    size_t nlists, list_entries;
    /* What the engine must keep per key, derived from the rules. */
    uint32_t ring_len[RULES_SCOPE_MAX][RWIN_NRES];
    bool need_dset[RULES_SCOPE_MAX];
    bool need_counts[RULES_SCOPE_MAX];     /* pkts_out/pkts_in/flows used */
    bool need_bl[RULES_SCOPE_MAX][2];      /* [0] 1h, [1] 1d */
    bool need_seen;                        /* first-seen / prevalence used */
    size_t n_scope[RULES_SCOPE_MAX];       /* rules per scope */
    size_t *by_scope[RULES_SCOPE_MAX];     /* rule indices per scope */
    size_t n_files;
    size_t n_vslots;                       /* value slots (rnode.vslot) */
    struct rpre pre[RULES_SCOPE_MAX];      /* per-scope prefilters */
    /* Distinct fields read by any condition (rules_set_uses_fields),
     * collected once at compile time; owned. */
    const struct rules_field **used;
    size_t n_used;
};

/* Value slots per set; further distinct fields are read uncached. */
#define RSET_MAX_VSLOTS 256u

/* Field values read during one key evaluation: entry i is valid when
 * its epoch equals the memo's (the engine bumps it per evaluation). */
struct rules_memo_ent { uint32_t epoch; int rc; union rules_value v; };
struct rules_memo {
    uint32_t epoch;
    struct rules_memo_ent e[RSET_MAX_VSLOTS];
};

/* ---- evaluation ------------------------------------------------------ */

#define RTRACE_MAX 8
struct rtrace_item { const struct rnode *n; union rules_value v; };
struct rtrace { struct rtrace_item it[RTRACE_MAX]; size_t n; };

/* Evaluates a condition; records true comparisons in tr (may be NULL). */
bool rnode_eval(const struct rnode *n, const struct rules_eval_ctx *ctx,
                struct rtrace *tr);
/* Picks r->guard (at compile time) and tests them: false when a guard
 * is false, i.e. the condition is false whatever its other terms; true
 * says nothing.  Guards are built-in numeric thresholds (pure reads of
 * the engine's state) and a first conjunct, which a full evaluation
 * reads anyway, so testing them first changes no outcome. */
void rnode_pick_guards(struct rrule *r);
bool rnode_guards_hold(const struct rrule *r, const struct rules_eval_ctx *ctx);
/* True when n is a name-only bool field (rfield_name_only) or an and/or
 * of such nodes; no not, no comparison. */
bool rnode_name_only(const struct rnode *n);
/* How good a guard leaf n is (0 = not one; eval.c rnode_pick_guards):
 * first says whether n is its rule's first conjunct. */
int rnode_guard_rank(const struct rnode *n, bool first);
/* Whether the leaf's value was read already in this evaluation. */
static inline bool rnode_memo_has(const struct rnode *n, const struct rules_eval_ctx *ctx)
{
    const struct rules_memo *m = ctx->memo;
    return m && n->vslot && m->e[n->vslot - 1].epoch == m->epoch;
}

/* The leaf's value: from the evaluation's memo when this field was read
 * already in it, else from the getter (then remembered); returns 0 or
 * the getter's "not available" 1. */
static inline int rnode_leaf_value(const struct rnode *n, const struct rules_eval_ctx *ctx,
                                   union rules_value *v)
{
    struct rules_memo *m = ctx->memo;
    struct rules_memo_ent *e = m && n->vslot ? &m->e[n->vslot - 1] : NULL;
    if (e && e->epoch == m->epoch) {
        *v = e->v;
        return e->rc;
    }
    memset(v, 0, sizeof *v);
    int rc = n->field->get(ctx, &n->fref, v);
    if (e)
        *e = (struct rules_memo_ent){m->epoch, rc, *v};
    return rc;
}
/* prefilter.c: builds every scope's prefilter of s (compile time, after
 * guards and by_scope); frees them. */
int rpre_build(struct rules_set *s);
void rpre_free(struct rules_set *s);
/* Sets in dead (p->nw words, cleared first) the rules of the scope that
 * one of their prefilter conjuncts makes false in this evaluation
 * (ctx: its memo already moved to this evaluation). */
void rpre_run(const struct rpre *p, const struct rules_eval_ctx *ctx, uint64_t *dead);
static inline bool rpre_bit(const uint64_t *m, size_t i)
{
    return (m[i >> 6] >> (i & 63)) & 1u;
}
bool rlist_contains(const struct rlist *l, enum rules_type t,
                    const union rules_value *v);
void rnode_free(struct rnode *n);
void rlist_free(struct rlist *l);

/* The built-in getter (engine.c); metric from rules_fref.metric. */
int reng_get(const struct rules_eval_ctx *ctx, const void *arg,
             union rules_value *out);
/* An upper bound of what reng_get() would return for fr in this
 * evaluation, without reading the windows (INFINITY: no bound known):
 * a comparison "field > t" with bound <= t is false. */
double reng_upper(const struct rules_eval_ctx *ctx, const struct rules_fref *fr);
/* Whether f answers through a descriptor of provider list l (fields.c). */
bool rfield_in_list(const struct rules_field *f, const struct xm_field_list *l);
/* Whether f is a provider's bool field flagged XM_FF_NAME_ONLY. */
bool rfield_name_only(const struct rules_field *f);
const char *rtype_name(enum rules_type t);
const char *rsev_name(int sev);
/* Formats seconds as the shortest exact duration ("90s", "1h", "7d"). */
void rdur_str(uint32_t s, char *buf, size_t len);

#endif
