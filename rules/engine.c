/*
 * engine.c - the rule engine's life cycle: tables, which keys a packet
 * touches, evaluation cadence, firing and suppression, rule swaps and
 * statistics.  The per-key state itself (windows, baselines, top-K,
 * first-seen) is metrics.c; a rule that fires is handed to the alert
 * callback as a struct rules_hit (hit.c), never built into a record here.
 *
 * Hot path (rules_on_packet): hash lookups and counter updates in tables
 * allocated at start; no allocation, no formatting.  A key's rules are
 * evaluated at most once per second of packet time (so an alert may
 * trail the packet that made its condition true by up to 1 s of packet
 * time; the alert carries the time of the evaluating packet), on every
 * TCP segment with FIN or RST (flow scope: a short upload is judged at its
 * close, not when the closed flow expires), and once more at flow end
 * (flow scope) or at rules_flush().
 */
#include "engine.h"

#include <stdlib.h>

#define ENG_EVAL_EVERY XM_USEC_PER_SEC

/* ---- tables ------------------------------------------------------------------- */

static uint32_t lim_or(uint32_t v, uint32_t def)
{
    return v ? v : def;
}

/* Caps (struct rules_limits, 0 = these defaults).  Tables commit memory
 * only as keys arrive (xm_tab.h), so a large cap costs nothing unused. */
#define ENG_DEF_FLOWS (1u << 20)
#define ENG_DEF_HOSTS (1u << 18)
#define ENG_DEF_PAIRS (1u << 18)
#define ENG_DEF_PROCS (1u << 14)
#define ENG_DEF_SUPP (1u << 18)

static uint32_t scope_cap(const struct rules_limits *l, enum rules_scope s)
{
    switch (s) {
    case RULES_SCOPE_FLOW: return lim_or(l->max_flows, ENG_DEF_FLOWS);
    case RULES_SCOPE_HOST: return lim_or(l->max_hosts, ENG_DEF_HOSTS);
    case RULES_SCOPE_HOSTDST: return lim_or(l->max_pairs, ENG_DEF_PAIRS);
    case RULES_SCOPE_SITE: return 1;
    default: return lim_or(l->max_procs, ENG_DEF_PROCS);
    }
}

/* A key table for scope s with layout size esize; its generations start
 * above those of every earlier table of the scope (gen_floor). */
static int keys_tab_init(struct rules_engine *eng, enum rules_scope s, struct rtab *t,
                         size_t esize)
{
    int rc = rtab_init(t, scope_cap(&eng->lim, s), esize, sizeof(struct rkey),
                       eng->lim.seed);
    uint32_t g = eng->keys[s].gen;
    t->gen = g > eng->gen_floor[s] ? g : eng->gen_floor[s];
    return rc;
}

/* Frees the key table of scope s, remembering its last generation. */
static void keys_retire(struct rules_engine *eng, enum rules_scope s)
{
    if (eng->keys[s].gen > eng->gen_floor[s])
        eng->gen_floor[s] = eng->keys[s].gen;
    rtab_free(&eng->keys[s]);
}

static int keys_init(struct rules_engine *eng, enum rules_scope s)
{
    reng_lay_build(&eng->lay[s], eng->set, s);
    if (!eng->set->n_scope[s] || s == RULES_SCOPE_FLOW)   /* flow: in the flow */
        return 0;
    return keys_tab_init(eng, s, &eng->keys[s], eng->lay[s].size);
}

static int rule_stats_init(struct rules_engine *eng)
{
    size_t n = eng->set->n ? eng->set->n : 1;
    free(eng->rule_alerts);
    free(eng->rule_ids);
    eng->rule_alerts = calloc(n, sizeof *eng->rule_alerts);
    eng->rule_ids = calloc(n, sizeof *eng->rule_ids);
    if (!eng->rule_alerts || !eng->rule_ids)
        return -1;
    for (size_t i = 0; i < eng->set->n; i++)
        eng->rule_ids[i] = eng->set->rules[i].id;
    return 0;
}

struct rules_engine *rules_engine_new(struct rules_set *set, const struct rules_limits *lim,
                                      rules_alert_fn cb, void *cb_ctx)
{
    struct rules_engine *eng = calloc(1, sizeof *eng);
    if (!eng)
        goto fail;
    eng->set = set;
    if (lim)
        eng->lim = *lim;
    if (!eng->lim.seed)
        eng->lim.seed = xm_hash_random_seed();
    eng->cb = cb;
    eng->cb_ctx = cb_ctx;
    eng->flow_epoch = 1;
    eng->flow_valid_from = 1;
    eng->flow_st.cap = scope_cap(&eng->lim, RULES_SCOPE_FLOW);
    eng->memo = calloc(1, sizeof *eng->memo);
    if (!eng->memo)
        goto fail;
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        if (keys_init(eng, (enum rules_scope)s) != 0)
            goto fail;
    /* First-seen pairs are (host, destination) pairs: their default cap
     * follows the pair cap (--max-pairs), destinations half of it, so one
     * flag sizes all three (defaults 262,144 and 131,072). */
    uint32_t pairs = scope_cap(&eng->lim, RULES_SCOPE_HOSTDST);
    if (rtab_init(&eng->seen, lim_or(eng->lim.max_seen, pairs), sizeof(struct rseen),
                  sizeof(struct rseen_key), eng->lim.seed) != 0 ||
        rtab_init(&eng->dsts, lim_or(eng->lim.max_dsts, pairs / 2 ? pairs / 2 : 1),
                  sizeof(struct rdst),
                  sizeof(struct xm_addr), eng->lim.seed) != 0 ||
        rtab_init(&eng->supp, lim_or(eng->lim.max_supp, ENG_DEF_SUPP), sizeof(struct rsupp),
                  sizeof(struct rsupp_key), eng->lim.seed) != 0 ||
        rule_stats_init(eng) != 0)
        goto fail;
    return eng;
fail:
    if (eng)
        rules_engine_free(eng);
    else
        rules_set_free(set);
    return NULL;
}

void rules_engine_free(struct rules_engine *eng)
{
    if (!eng)
        return;
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        keys_retire(eng, (enum rules_scope)s);
    rtab_free(&eng->seen);
    rtab_free(&eng->dsts);
    rtab_free(&eng->supp);
    rules_set_free(eng->set);
    free(eng->rule_alerts);
    free(eng->rule_ids);
    free(eng->memo);
    free(eng);
}

/* ---- firing -------------------------------------------------------------------- */

/* The value escalation compares: the first volume (bytes or rate)
 * comparison that held, else the first numeric one. */
static double primary_value(const struct rtrace *tr)
{
    for (size_t i = 0; i < tr->n; i++) {
        enum rules_type t = tr->it[i].n->field->type;
        if (t == RULES_T_BYTES || t == RULES_T_RATE)
            return tr->it[i].v.num;
    }
    for (size_t i = 0; i < tr->n; i++) {
        enum rules_type t = tr->it[i].n->field->type;
        if (t != RULES_T_BOOL && t != RULES_T_STRING && t != RULES_T_ADDR)
            return tr->it[i].v.num;
    }
    return 0;
}

/* f->rule_fired (flow.alerted): bit 0 set when a flow-scope rule fires
 * for the flow, bit 1 when a host, host+destination, site or process
 * rule fires on an evaluation triggered by one of the flow's packets.
 * Evaluations with no flow in hand (the tick, rules_flush) mark
 * nothing.  Only "non-zero" is read (the record, flow_forget). */
static void mark_flow(struct rules_engine *eng, const struct rules_eval_ctx *ctx)
{
    struct xm_flow *f = eng->cur_flow;
    if (!f || ctx->flow != f)
        return;
    f->rule_fired |= ctx->scope == RULES_SCOPE_FLOW ? 1u : 2u;
}

static void rule_fire(struct rules_engine *eng, size_t ri, const struct rules_eval_ctx *ctx,
                      const struct rtrace *tr)
{
    const struct rrule *r = &eng->set->rules[ri];
    struct rsupp_key sk;
    memset(&sk, 0, sizeof sk);
    sk.rule_id = r->id;
    sk.k = *ctx->key;
    double v = primary_value(tr);
    bool esc = false, created;
    struct rsupp *s = rtab_find(&eng->supp, &sk);
    if (s && ctx->now - s->last_fire < XM_SEC(r->cooldown_s)) {
        esc = r->escalate > 0 && v > 0 && s->last_value > 0 &&
              v >= s->last_value * r->escalate;
        if (!esc) {
            eng->st.suppressed++;
            return;
        }
    }
    s = rtab_upsert(&eng->supp, &sk, &created);
    if (s) {
        s->last_fire = ctx->now;
        s->last_value = v;
        s->fires++;
    }
    eng->st.alerts++;
    eng->st.escalations += esc;
    eng->rule_alerts[ri]++;
    mark_flow(eng, ctx);
    struct rules_hit hit = {eng, r, ctx, tr, esc, s ? s->fires : 1};
    if (eng->cb)
        eng->cb(eng->cb_ctx, &hit);
}

/* Evaluates rule i of scope sc (alive after the prefilter) and fires it
 * when it holds; returns true when it held.  A rule whose guards are all
 * exact prefilter conjuncts (pre->bare) has them known true already. */
static bool eval_rule(struct rules_engine *eng, enum rules_scope sc, size_t i,
                      const struct rules_eval_ctx *ctx)
{
    const struct rules_set *set = eng->set;
    size_t ri = set->by_scope[sc][i];
    const struct rrule *r = &set->rules[ri];
    struct rtrace tr;
    tr.n = 0;
    if ((rpre_bit(set->pre[sc].bare, i) || rnode_guards_hold(r, ctx)) &&
        rnode_eval(r->cond, ctx, &tr)) {
        rule_fire(eng, ri, ctx, &tr);
        return true;
    }
    return false;
}

/* Runs the rules of scope sc on one key (state: its struct rkstate, NULL
 * for the flow scope, whose state is the flow), in rule order, visiting
 * only the rules the scope's prefilter (prefilter.c) left alive: the
 * others are false in this evaluation.  skip_name: the flow's name-only
 * rules are known false (flow_eval) and are not evaluated.  Returns true
 * when a name-only rule held (fired or was suppressed). */
static bool eval_rules(struct rules_engine *eng, enum rules_scope sc,
                       const struct rules_key *key, const void *state,
                       const struct xm_flow *f, xm_time_t now, bool skip_name)
{
    const struct rules_set *set = eng->set;
    struct rules_eval_ctx ctx = {eng, sc, key, f, state, now, eng->memo};
    if (!++eng->memo->epoch) {         /* wrapped: forget every entry */
        memset(eng->memo, 0, sizeof *eng->memo);
        eng->memo->epoch = 1;
    }
    eng->st.evals++;
    bool name_held = false;
    const struct rpre *pre = &set->pre[sc];
    uint64_t dead[RPRE_MAX_WORDS];
    rpre_run(pre, &ctx, dead);
    size_t n = set->n_scope[sc];
    for (size_t w = 0; w < pre->nw; w++) {
        uint64_t live = ~dead[w];
        if (n - w * 64 < 64)
            live &= (UINT64_C(1) << (n - w * 64)) - 1;
        for (; live; live &= live - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(live);
            bool name = set->rules[set->by_scope[sc][i]].name_only;
            if (!(skip_name && name) && eval_rule(eng, sc, i, &ctx))
                name_held |= name;
        }
    }
    return name_held;
}

static void eval_key(struct rules_engine *eng, enum rules_scope sc, struct rkstate *k,
                     const struct xm_flow *f, xm_time_t now)
{
    struct rules_key key;
    rkey_full(&k->key, sc, &key);
    k->last_eval = now;
    k->dirty = 0;
    (void)eval_rules(eng, sc, &key, k, f, now, false);
}

static void maybe_eval(struct rules_engine *eng, enum rules_scope sc, struct rkstate *k,
                       const struct xm_flow *f, xm_time_t now)
{
    if (k->last_eval && now - k->last_eval < ENG_EVAL_EVERY)
        return;
    eval_key(eng, sc, k, f, now);
}

/* ---- flow scope: state in the flow ------------------------------------------- */

/* A flow's flow-scope state is f->rules_eval (packet time of its last
 * evaluation, 0 = none yet), valid while f->rules_epoch equals the
 * engine's flow_epoch; the epoch moves when a rule swap drops or starts
 * the flow scope, which forgets every flow's state at once, as dropping
 * a key table did.  No table entry, hash or LRU per flow: the key of a
 * flow rule (cooldowns, hits) is built on the stack from f->flow_id. */
static bool flow_has_state(const struct rules_engine *eng, const struct xm_flow *f)
{
    uint32_t e = f->rules_epoch & FLOW_RULES_EPOCH_MASK;
    return e >= eng->flow_valid_from && e <= eng->flow_epoch;
}

/* Starts the flow's state on its first packet seen by the rules. */
static void flow_state_start(struct rules_engine *eng, struct xm_flow *f)
{
    if (flow_has_state(eng, f))
        return;
    f->rules_epoch = eng->flow_epoch;
    f->rules_eval = 0;
    eng->flow_st.used++;
    eng->flow_st.inserted++;
}

static void flow_rkey_of(const struct xm_flow *f, struct rules_key *k)
{
    memset(k, 0, sizeof *k);
    k->scope = RULES_SCOPE_FLOW;
    k->id = f->flow_id;
}

/* Name-only rules (struct rrule name_only: and/or of fields that depend
 * on the flow's addresses and name only, XM_FF_NAME_ONLY) are skipped
 * when, at the flow's last evaluation under this set (its epoch is the
 * current one), all of them were false and the flow's name has not
 * changed since (FLOW_RULES_NAME_FALSE, cleared by flow_name_changed):
 * their inputs are the same, or the name was forgotten, which only
 * removes matches, so they are false again.  Skipping a false rule
 * changes no outcome and no counter. */
static void flow_eval(struct rules_engine *eng, struct xm_flow *f, xm_time_t now)
{
    struct rules_key key;
    flow_rkey_of(f, &key);
    f->rules_eval = now;
    bool skip = f->rules_epoch == (eng->flow_epoch | FLOW_RULES_NAME_FALSE);
    bool held = eval_rules(eng, RULES_SCOPE_FLOW, &key, NULL, f, now, skip);
    f->rules_epoch = eng->flow_epoch | (held ? 0 : FLOW_RULES_NAME_FALSE);
}

/* The flow scope's part of a packet: evaluated when its last evaluation
 * is >= 1 s of packet time old (or none yet), and on a closing segment. */
static void flow_on_packet(struct rules_engine *eng, struct xm_flow *f, bool closing,
                           xm_time_t now)
{
    flow_state_start(eng, f);
    if (closing || !f->rules_eval || now - f->rules_eval >= ENG_EVAL_EVERY)
        flow_eval(eng, f, now);
}


/* Where the key of scope s for flow f is cached: in the flow for host
 * and host+destination keys, in the engine for the one site key;
 * NULL for process keys (found by hash: proc_id may be set late). */
static struct xm_tab_ref *key_ref(struct rules_engine *eng, enum rules_scope s,
                                  struct xm_flow *f)
{
    switch (s) {
    case RULES_SCOPE_HOST: return &f->rules_ref[0];
    case RULES_SCOPE_HOSTDST: return &f->rules_ref[1];
    case RULES_SCOPE_SITE: return &eng->site_ref;
    default: return NULL;
    }
}

/* The key of scope s (not the flow scope) for the packet, touched (most
 * recently used) and created when absent (evicting the least recently
 * used key when the table is full).  The cached reference is tried first, so a flow's
 * keys are hashed on its first packet only, and again only after their
 * key was evicted (the generation no longer matches). */
static struct rkstate *key_get(struct rules_engine *eng, enum rules_scope s,
                               struct xm_flow *f, const struct pkt_info *pi)
{
    struct rtab *t = &eng->keys[s];
    struct xm_tab_ref *ref = key_ref(eng, s, f);
    struct rkstate *k = ref ? xm_tab_at_gen(t, ref->slot, ref->gen) : NULL;
    if (k) {
        rtab_touch(t, k);
        return k;
    }
    struct rkey key;
    rkey_make(&key, s, &pi->local, &pi->remote, pi->f->proc_id);
    bool created;
    k = rtab_upsert(t, &key, &created);
    if (k && ref)
        *ref = (struct xm_tab_ref){xm_tab_index(t, k), xm_tab_gen(k)};
    return k;
}

void rules_on_packet(struct rules_engine *eng, const struct xm_pkt *p, struct xm_flow *f,
                     int dir)
{
    if (!eng->set->n || !f)
        return;
    xm_time_t now = p->ts > eng->now ? p->ts : eng->now;
    eng->now = now;
    if (!eng->first)
        reng_set_first(eng, now);
    eng->cur_flow = f;
    struct pkt_info pi = {.f = f, .bytes = p->ip_bytes, .now = now,
                          .now_s = reng_sec_of(now)};
    int od;
    reng_flow_sides(f, &pi.local, &pi.remote, &pi.lport, &pi.rport, &od);
    pi.out = dir == od;
    pi.new_flow = f->pkts[0] + f->pkts[1] == 1;
    /* First-seen is kept per flow start: once per flow, on its first
     * packet from the local side. */
    if (pi.out && f->pkts[od] == 1)
        reng_seen_update(eng, &pi.local, &pi.remote, now);
    for (int s = RULES_SCOPE_HOST; s < RULES_SCOPE_MAX; s++) {
        if (!eng->set->n_scope[s] || (s == RULES_SCOPE_PROCESS && !f->proc_id))
            continue;
        /* Host, site and process scopes count egress only. */
        if (s != RULES_SCOPE_HOSTDST && f->local == FLOW_LOCAL_BOTH)
            continue;
        struct rkstate *k = key_get(eng, (enum rules_scope)s, f, &pi);
        if (!k)
            continue;
        k->dirty = 1;
        k->remote_home = f->local == FLOW_LOCAL_BOTH;
        reng_account(&eng->lay[s], k, &pi);
        maybe_eval(eng, (enum rules_scope)s, k, f, now);
    }
    /* A TCP segment with FIN or RST closes the flow: evaluate it now, not
     * when the closed flow expires (tcp_closed timeout) or a second on. */
    bool closing = p->proto == 6 && (p->tcp_flags & 0x05);
    if (eng->set->n_scope[RULES_SCOPE_FLOW])
        flow_on_packet(eng, f, closing, now);
    eng->cur_flow = NULL;
}

void rules_prefetch(const struct rules_engine *eng, const struct xm_flow *f, xm_time_t ts)
{
    static const enum rules_scope sc[2] = {RULES_SCOPE_HOST, RULES_SCOPE_HOSTDST};
    int64_t now_s = reng_sec_of(ts);
    for (int i = 0; i < 2; i++) {
        if (!eng->set->n_scope[sc[i]])
            continue;
        const struct rkstate *k = xm_tab_addr(&eng->keys[sc[i]], f->rules_ref[i].slot);
        if (sc[i] == RULES_SCOPE_HOSTDST && rules_pair_stale(eng, f))
            continue;                   /* rules_prefetch_stale's case */
        xm_tab_prefetch_ref(&eng->keys[sc[i]], f->rules_ref[i].slot);
        if (k)
            reng_prefetch(&eng->lay[sc[i]], k, now_s);
    }
}

/* Drops the flow's eval state and the suppression state of its rules.
 * Suppression entries of a flow exist only for rules that fired for it,
 * and every such fire marked f->rule_fired (mark_flow: flow rules are
 * evaluated only with their flow in hand), so a flow that never fired
 * costs no lookup. */
static void flow_forget(struct rules_engine *eng, struct xm_flow *f)
{
    const struct rules_set *set = eng->set;
    for (size_t i = 0; f->rule_fired && i < set->n_scope[RULES_SCOPE_FLOW]; i++) {
        struct rsupp_key sk;
        memset(&sk, 0, sizeof sk);
        sk.rule_id = set->rules[set->by_scope[RULES_SCOPE_FLOW][i]].id;
        flow_rkey_of(f, &sk.k);
        struct rsupp *s = rtab_find(&eng->supp, &sk);
        if (s)
            rtab_remove(&eng->supp, s);
    }
    f->rules_epoch = 0;
    eng->flow_st.used--;
}

void rules_on_flow_end(struct rules_engine *eng, struct xm_flow *f, enum flow_end_reason r)
{
    if (!eng->set->n_scope[RULES_SCOPE_FLOW] || !flow_has_state(eng, f))
        return;
    xm_time_t now = f->last > eng->now ? f->last : eng->now;
    eng->cur_flow = f;
    flow_eval(eng, f, now);
    eng->cur_flow = NULL;
    if (r != FLOW_END_ACTIVE)
        flow_forget(eng, f);
}

/* Keys updated after their last evaluation get evaluated once their
 * second is over, even when no further packet comes.  Walks the LRU from
 * the newest entry and stops at keys idle for over TICK_HORIZON: with a
 * tick at least every second, older keys were already evaluated. */
#define TICK_HORIZON XM_SEC(3)

void rules_tick(struct rules_engine *eng, xm_time_t now)
{
    if (now > eng->now)
        eng->now = now;
    for (int s = RULES_SCOPE_HOST; s < RULES_SCOPE_MAX; s++) {
        struct rtab *t = &eng->keys[s];
        for (struct rkstate *k = rtab_prev(t, NULL); k; k = rtab_prev(t, k)) {
            if (k->last_update < eng->now - TICK_HORIZON)
                break;
            if (k->dirty && eng->now - k->last_eval >= ENG_EVAL_EVERY)
                eval_key(eng, (enum rules_scope)s, k, NULL, eng->now);
        }
    }
}

void rules_flush(struct rules_engine *eng)
{
    for (int s = RULES_SCOPE_HOST; s < RULES_SCOPE_MAX; s++) {
        struct rtab *t = &eng->keys[s];
        for (struct rkstate *k = rtab_next(t, NULL); k; k = rtab_next(t, k))
            if (k->dirty)
                eval_key(eng, (enum rules_scope)s, k, NULL, eng->now);
    }
}

/* Builds the new table of scope s for newset, carrying matching keys. */
static int swap_scope(struct rules_engine *eng, const struct rules_set *ns, enum rules_scope s,
                      struct rtab *nt, struct rlayout *nl)
{
    reng_lay_build(nl, ns, s);
    memset(nt, 0, sizeof *nt);
    if (!ns->n_scope[s] || s == RULES_SCOPE_FLOW)   /* flow: flow_swap() */
        return 0;
    if (eng->keys[s].slab && reng_lay_equal(nl, &eng->lay[s])) {
        *nt = eng->keys[s];
        memset(&eng->keys[s], 0, sizeof eng->keys[s]);
        return 0;
    }
    if (keys_tab_init(eng, s, nt, nl->size) != 0)
        return -1;
    const struct rtab *ot = &eng->keys[s];
    for (const struct rkstate *k = rtab_next(ot, NULL); k; k = rtab_next(ot, k)) {
        bool created;
        struct rkstate *d = rtab_upsert(nt, &k->key, &created);
        if (d)
            reng_key_migrate(d, nl, k, &eng->lay[s]);
    }
    return 0;
}

static bool set_has_rule(const struct rules_set *s, uint32_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->rules[i].id == id)
            return true;
    return false;
}

static void supp_prune(struct rules_engine *eng)
{
    struct rsupp *s = rtab_next(&eng->supp, NULL);
    while (s) {
        struct rsupp *next = rtab_next(&eng->supp, s);
        if (!set_has_rule(eng->set, s->key.rule_id))
            rtab_remove(&eng->supp, s);
        s = next;
    }
}

/* Flow-scope state survives a swap when both sets have flow rules (as
 * the flow key table did: its layout never changes): the epoch moves and
 * the valid range keeps the older epochs, so only name-only verdicts
 * (flow_eval) are forgotten.  Otherwise every flow's state is forgotten
 * by moving the start of the range too.  0 is never used; the 31-bit
 * epoch wraps after 2^31 swaps, forgetting every flow's state then. */
static void flow_swap(struct rules_engine *eng, const struct rules_set *ns)
{
    bool keep = eng->set->n_scope[RULES_SCOPE_FLOW] && ns->n_scope[RULES_SCOPE_FLOW];
    eng->flow_epoch = (eng->flow_epoch + 1) & FLOW_RULES_EPOCH_MASK;
    if (!eng->flow_epoch) {
        eng->flow_epoch = 1;
        keep = false;
    }
    if (keep)
        return;
    eng->flow_valid_from = eng->flow_epoch;
    eng->flow_st = (struct xm_tab_stats){.cap = eng->flow_st.cap};
}

int rules_engine_swap(struct rules_engine *eng, struct rules_set *ns)
{
    struct rtab nt[RULES_SCOPE_MAX];
    struct rlayout nl[RULES_SCOPE_MAX];
    uint64_t *alerts = calloc(ns->n ? ns->n : 1, sizeof *alerts);
    uint32_t *ids = calloc(ns->n ? ns->n : 1, sizeof *ids);
    int s = 0;
    if (!alerts || !ids)
        goto fail;
    for (s = 0; s < RULES_SCOPE_MAX; s++)
        if (swap_scope(eng, ns, (enum rules_scope)s, &nt[s], &nl[s]) != 0)
            goto fail;
    for (s = 0; s < RULES_SCOPE_MAX; s++) {
        keys_retire(eng, (enum rules_scope)s);
        eng->keys[s] = nt[s];
        eng->lay[s] = nl[s];
    }
    flow_swap(eng, ns);
    rules_set_free(eng->set);
    eng->set = ns;
    supp_prune(eng);
    free(eng->rule_alerts);
    free(eng->rule_ids);
    eng->rule_alerts = alerts;
    eng->rule_ids = ids;
    for (size_t i = 0; i < ns->n; i++)
        ids[i] = ns->rules[i].id;
    return 0;
fail:
    free(alerts);
    free(ids);
    /* Tables moved over unchanged go back; new ones are dropped. */
    for (int i = 0; i < s; i++) {
        if (!eng->keys[i].slab && nt[i].slab && reng_lay_equal(&nl[i], &eng->lay[i]))
            eng->keys[i] = nt[i];
        else
            rtab_free(&nt[i]);
    }
    rules_set_free(ns);
    return -1;
}

const struct rules_set *rules_engine_set(const struct rules_engine *eng) { return eng->set; }

/* ---- stats ------------------------------------------------------------------------- */

const struct rules_engine_stats *rules_engine_stats(struct rules_engine *eng)
{
    struct rules_engine_stats *st = &eng->st;
    for (int s = 0; s < RULES_SCOPE_MAX; s++) {
        st->keys[s] = eng->keys[s].st;
        st->bytes_per_key[s] = eng->keys[s].slab ? eng->keys[s].esize : 0;
    }
    bool fl = eng->set->n_scope[RULES_SCOPE_FLOW] != 0;   /* state in struct xm_flow */
    st->keys[RULES_SCOPE_FLOW] = fl ? eng->flow_st : (struct xm_tab_stats){0};
    st->bytes_per_key[RULES_SCOPE_FLOW] = fl ? RULES_FLOW_STATE_BYTES : 0;
    st->seen = eng->seen.st;
    st->dsts = eng->dsts.st;
    st->supp = eng->supp.st;
    st->n_rules = eng->set->n;
    st->rule_ids = eng->rule_ids;
    st->rule_alerts = eng->rule_alerts;
    return st;
}
