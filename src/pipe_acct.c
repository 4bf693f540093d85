/*
 * pipe_acct.c - what of a flow's counters the pipeline has already added
 * to host totals (src/pipeline.c pipe_account_hosts; pipeline_int.h).
 *
 * Host totals (and the egress counters and open incidents fed with the
 * same deltas) get a flow's bytes and packets at each interim record
 * (the delta since the previous one) and at the flow's end (the rest).
 * A flow that never had an interim record has added nothing yet, so its
 * delta is its counters: no state is kept for it.  Only flows with an
 * interim record (f->interim_count != 0) keep their marks, in a side
 * table keyed by the flow's slab slot (flow_slot(): unique among live
 * flows), entered at the first interim and removed at the flow's end,
 * before the slot can be reused.  This keeps 32 bytes per flow out of
 * struct xm_flow: only long flows (older than the active timeout) pay,
 * 56 bytes of entry plus 8-16 of index each.
 *
 * Bounds: the table's cap is the flow table's, and it holds entries of
 * live flows only, so it never evicts.  Counters are 64-bit as in the
 * flow: no narrowing.  If the table cannot store an entry (its mapping
 * failed), the interim adds nothing and the flow's end adds everything:
 * host totals lag until the flow ends but stay exact.  Invariant: no
 * entry <=> nothing of the flow has been added yet.
 */
#include "pipeline_int.h"

struct pacct_ent {
    struct xm_tab_hdr tab_;
    uint32_t slot;                /* key: flow_slot() */
    uint32_t pad_;                /* zeroed: part of the hashed key */
    uint64_t bytes[2], pkts[2];   /* counters already added, per direction */
};

int pipe_acct_init(struct xm_pipeline *pl, uint32_t max_flows, uint64_t seed)
{
    return xm_tab_init(&pl->acct, max_flows, sizeof(struct pacct_ent),
                       2 * sizeof(uint32_t), seed);
}

void pipe_acct_free(struct xm_pipeline *pl)
{
    xm_tab_free(&pl->acct);
}

/* db/dp := f's counters minus m (NULL: minus nothing). */
static void pacct_sub(const struct xm_flow *f, const struct pacct_ent *m, uint64_t db[2],
                      uint64_t dp[2])
{
    for (int d = 0; d < 2; d++) {
        db[d] = f->bytes[d] - (m ? m->bytes[d] : 0);
        dp[d] = f->pkts[d] - (m ? m->pkts[d] : 0);
    }
}

void pipe_acct_delta(struct xm_pipeline *pl, const struct xm_flow *f, bool interim,
                     uint64_t db[2], uint64_t dp[2])
{
    if (!f->interim_count) {              /* no interim yet: nothing added */
        pacct_sub(f, NULL, db, dp);
        return;
    }
    uint32_t key[2] = {flow_slot(pl->flows, f), 0};
    if (!interim) {                       /* the end: the rest, then forget */
        struct pacct_ent *m = xm_tab_find(&pl->acct, key);
        pacct_sub(f, m, db, dp);
        if (m)
            xm_tab_remove(&pl->acct, m);
        return;
    }
    bool created = false;
    struct pacct_ent *m = xm_tab_upsert(&pl->acct, key, &created);
    if (!m) {                             /* unusable table: add it at the end */
        memset(db, 0, 2 * sizeof *db);
        memset(dp, 0, 2 * sizeof *dp);
        return;
    }
    pacct_sub(f, m, db, dp);              /* created: zeroed, nothing added yet */
    for (int d = 0; d < 2; d++) {
        m->bytes[d] = f->bytes[d];
        m->pkts[d] = f->pkts[d];
    }
}
