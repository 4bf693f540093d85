/*
 * prefetch.c - prefetch hints for the keys a packet a few places ahead in
 * the feed (src/feed.c) will look up by hash: the host, host+destination,
 * first-seen and destination keys of a flow its packet creates, and the
 * host+destination key of a flow whose cached key was probably evicted
 * (a full table: every such packet creates the key again).  What costs
 * there is the miss on the probe-index slot (xm_tab_prefetch_key) and,
 * in a full table, on the entry evicted for the new key
 * (xm_tab_prefetch_victim).  The flow-scope key is not touched here.
 *
 * Contract: reads the engine's tables and the given flow only, changes
 * nothing; a wrong guess costs only memory traffic.  No allocation.
 */
#include "engine.h"

/* Feed distance of these hints (src/feed.c FEED_RULE): in a table that
 * evicts on every packet, the entry evicted for this packet is that many
 * places after the oldest one. */
#define PF_AHEAD 2u

static void pf_scope(const struct rules_engine *eng, enum rules_scope s,
                     const struct xm_addr *local, const struct xm_addr *remote,
                     unsigned ahead)
{
    const struct xm_tab *t = &eng->keys[s];
    if (!eng->set->n_scope[s] || !t->slab)
        return;
    struct rkey k;                  /* as engine.c key_get builds it */
    rkey_make(&k, s, local, remote, 0);
    xm_tab_prefetch_key(t, &k);
    xm_tab_prefetch_victim(t, ahead);
}

void rules_prefetch_new(const struct rules_engine *eng, const struct xm_addr *local,
                        const struct xm_addr *remote, bool both, bool out)
{
    if (!eng->set->n)
        return;
    if (!both)
        pf_scope(eng, RULES_SCOPE_HOST, local, remote, 0);
    /* A full pair table evicts for about every packet, not only for new
     * flows: the victim of this one is as far on as a stale flow's. */
    pf_scope(eng, RULES_SCOPE_HOSTDST, local, remote, PF_AHEAD);
    if (!out)
        return;
    struct rseen_key sk;
    memset(&sk, 0, sizeof sk);
    sk.local = *local;
    sk.remote = *remote;
    xm_tab_prefetch_key(&eng->seen, &sk);
    xm_tab_prefetch_victim(&eng->seen, 0);
    xm_tab_prefetch_key(&eng->dsts, remote);
    xm_tab_prefetch_victim(&eng->dsts, 0);
}

/* True when the flow's cached host+destination key has probably been
 * evicted: the table is full and at least cap keys were inserted since
 * the flow's key was (a guess: a key touched since may live on). */
bool rules_pair_stale(const struct rules_engine *eng, const struct xm_flow *f)
{
    const struct xm_tab *t = &eng->keys[RULES_SCOPE_HOSTDST];
    const struct xm_tab_ref *ref = &f->rules_ref[1];
    return ref->gen && xm_tab_full(t) && t->gen - ref->gen >= t->cap;
}

void rules_prefetch_stale(const struct rules_engine *eng, const struct xm_flow *f)
{
    if (!eng->set->n_scope[RULES_SCOPE_HOSTDST] || !rules_pair_stale(eng, f))
        return;
    /* key_get checks the cached slot's generation first (not its entry). */
    xm_tab_prefetch_ref(&eng->keys[RULES_SCOPE_HOSTDST], f->rules_ref[1].slot);
    struct xm_addr local, remote;
    uint16_t lport, rport;
    int od;
    reng_flow_sides(f, &local, &remote, &lport, &rport, &od);
    pf_scope(eng, RULES_SCOPE_HOSTDST, &local, &remote, PF_AHEAD);
}
