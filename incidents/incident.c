/*
 * incident.c - the bounded table of open incidents: opening, adding hits
 * and traffic, deciding when a record is due, closing (contract in
 * include/xm_incident.h; internals in inc_int.h).
 *
 * Table: max_open slots allocated once (pages touched as slots are first
 * used), two chained hashes (by full key, by local host) and a list in
 * order of opening.  When the table is full the incident with the oldest
 * activity is closed (reason "evicted", counted) to make room; its record
 * still goes out.
 */
#include "inc_int.h"

#include <stdlib.h>
#include <string.h>

#define INC_GIB (UINT64_C(1) << 30)

void inc_limits_default(struct inc_limits *l)
{
    l->max_open = 4096;
    l->quiet_s = 3600;
}

static uint32_t inc_pow2(uint32_t n)
{
    uint32_t c = 16;
    while (c < n && c < (1u << 30))
        c <<= 1;
    return c;
}

struct inc_engine *inc_new(const struct inc_limits *l, const struct xm_netset *home,
                           inc_emit_fn emit, void *emit_ctx)
{
    struct inc_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    inc_limits_default(&e->lim);
    if (l && l->max_open)
        e->lim = *l;
    e->home = home;
    e->emit = emit;
    e->emit_ctx = emit_ctx;
    e->nbuckets = inc_pow2(e->lim.max_open);
    e->tab = calloc((size_t)e->lim.max_open + 1, sizeof *e->tab);
    e->kbucket = calloc(e->nbuckets, sizeof *e->kbucket);
    e->hbucket = calloc(e->nbuckets, sizeof *e->hbucket);
    if (!e->tab || !e->kbucket || !e->hbucket) {
        inc_free(e);
        return NULL;
    }
    e->seed = xm_hash_random_seed();
    e->next_id = 1;
    return e;
}

void inc_free(struct inc_engine *e)
{
    if (!e)
        return;
    for (uint32_t i = 1; e->tab && i <= e->fresh; i++) {
        json_decref(e->tab[i].host_obj);
        json_decref(e->tab[i].process);
    }
    free(e->tab);
    free(e->kbucket);
    free(e->hbucket);
    free(e);
}

const struct inc_stats *inc_get_stats(const struct inc_engine *e) { return &e->st; }

/* ---- hashing (seeded; never iterated, so the seed is never visible) ---- */

static uint32_t inc_hbucket(const struct inc_engine *e, const struct xm_addr *host)
{
    return (uint32_t)xm_hash(host, sizeof *host, e->seed) & (e->nbuckets - 1);
}

static uint32_t inc_kbucket(const struct inc_engine *e, const struct inc_hit *h)
{
    uint64_t x = xm_hash(&h->host, sizeof h->host, e->seed);
    x = xm_hash(h->gval, strlen(h->gval), x ^ h->gkind ^ ((uint64_t)h->pid << 8));
    return (uint32_t)x & (e->nbuckets - 1);
}

static bool inc_same(const struct inc *in, const struct inc_hit *h)
{
    return in->gkind == h->gkind && in->pid == h->pid && !xm_addr_cmp(&in->host, &h->host) &&
           !strcmp(in->gval, h->gval);
}

static uint32_t inc_find(const struct inc_engine *e, const struct inc_hit *h)
{
    for (uint32_t i = e->kbucket[inc_kbucket(e, h)]; i; i = e->tab[i].knext)
        if (inc_same(&e->tab[i], h))
            return i;
    return 0;
}

static void inc_chain_del(struct inc_engine *e, uint32_t *head, uint32_t s, bool by_key)
{
    for (uint32_t *p = head; *p; p = by_key ? &e->tab[*p].knext : &e->tab[*p].hnext)
        if (*p == s) {
            *p = by_key ? e->tab[s].knext : e->tab[s].hnext;
            return;
        }
}

/* ---- records ------------------------------------------------------------ */

static void inc_emit(struct inc_engine *e, struct inc *in, const char *state,
                     const char *reason, xm_time_t now)
{
    struct inc_term t[INC_TERMS];
    size_t n;
    json_t *rec;
    in->sev_reported = inc_severity(inc_score(in, t, &n));
    in->bytes_reported = in->flow_bytes_out > in->ev.alert_bytes_out ? in->flow_bytes_out
                                                                      : in->ev.alert_bytes_out;
    in->records++;
    rec = inc_record(in, e->hist_since, state, reason, now);
    if (!rec)
        return;
    e->st.records++;
    e->emit(e->emit_ctx, rec);
}

/* A record is due when the severity rose or bytes out reached ten times
 * the last reported volume (and at least 1 GiB). */
static void inc_maybe_update(struct inc_engine *e, struct inc *in, xm_time_t now)
{
    struct inc_term t[INC_TERMS];
    size_t n;
    uint8_t sev = inc_severity(inc_score(in, t, &n));
    uint64_t out = in->flow_bytes_out > in->ev.alert_bytes_out ? in->flow_bytes_out
                                                                : in->ev.alert_bytes_out;
    if (sev < in->sev_reported)
        inc_emit(e, in, "update", "severity", now);
    else if (out >= INC_GIB && out >= 10 * in->bytes_reported)
        inc_emit(e, in, "update", "volume", now);
}

static void inc_close(struct inc_engine *e, uint32_t s, const char *reason, xm_time_t now)
{
    struct inc *in = &e->tab[s];
    inc_emit(e, in, "closed", reason, now);
    inc_chain_del(e, &e->kbucket[in->kb], s, true);
    inc_chain_del(e, &e->hbucket[inc_hbucket(e, &in->host)], s, false);
    if (in->prev) e->tab[in->prev].next = in->next; else e->head = in->next;
    if (in->next) e->tab[in->next].prev = in->prev; else e->tail = in->prev;
    json_decref(in->host_obj);
    json_decref(in->process);
    memset(in, 0, sizeof *in);
    in->next = e->free_head;
    e->free_head = s;
    e->st.closed++;
}

/* ---- opening ------------------------------------------------------------ */

static void inc_evict_one(struct inc_engine *e, xm_time_t now)
{
    uint32_t victim = 0;
    for (uint32_t i = e->head; i; i = e->tab[i].next)
        if (!victim || e->tab[i].last < e->tab[victim].last)
            victim = i;
    if (victim) {
        e->st.evicted++;
        inc_close(e, victim, "evicted", now);
    }
}

static uint32_t inc_open(struct inc_engine *e, const struct inc_hit *h, xm_time_t now)
{
    /* Closed slots first, then never-used ones in index order (the
     * calloc'd table's pages are touched only as incidents open). */
    if (!e->free_head && e->fresh == e->lim.max_open)
        inc_evict_one(e, now);
    uint32_t s = e->free_head;
    if (s)
        e->free_head = e->tab[s].next;
    else
        s = ++e->fresh;
    struct inc *in = &e->tab[s];
    memset(in, 0, sizeof *in);
    in->used = true;
    in->id = e->next_id++;
    in->host = h->host;
    in->pid = h->pid;
    in->gkind = h->gkind;
    memcpy(in->gval, h->gval, sizeof in->gval);
    in->first = in->last = now;
    in->prev = e->tail;
    if (e->tail) e->tab[e->tail].next = s; else e->head = s;
    e->tail = s;
    in->kb = inc_kbucket(e, h);
    uint32_t *kb = &e->kbucket[in->kb], *hb = &e->hbucket[inc_hbucket(e, &h->host)];
    in->knext = *kb;
    *kb = s;
    in->hnext = *hb;
    *hb = s;
    e->st.opened++;
    return s;
}

uint32_t inc_restore(struct inc_engine *e, const struct inc *src, json_t *host_obj,
                     json_t *process)
{
    struct inc_hit h;
    if (!e->free_head && e->fresh == e->lim.max_open) {
        json_decref(host_obj);
        json_decref(process);
        return 0;
    }
    memset(&h, 0, sizeof h);
    h.host = src->host;
    h.pid = src->pid;
    h.gkind = src->gkind;
    memcpy(h.gval, src->gval, sizeof h.gval);
    h.gval[INC_STR - 1] = '\0';
    uint32_t s = inc_open(e, &h, src->first);
    struct inc *in = &e->tab[s];
    struct inc keep = *in;
    *in = *src;
    in->gval[INC_STR - 1] = '\0';
    in->used = true;
    in->prev = keep.prev;
    in->next = keep.next;
    in->knext = keep.knext;
    in->hnext = keep.hnext;
    in->kb = keep.kb;
    in->host_obj = host_obj;
    in->process = process;
    e->next_id--;                  /* inc_open numbered it; keep the saved id */
    e->st.opened--;                /* restored, not opened */
    return s;
}

/* ---- adding evidence ---------------------------------------------------- */

static void inc_add_sig(struct inc *in, const struct inc_hit *h, xm_time_t now)
{
    for (uint8_t i = 0; i < in->n_sig; i++)
        if (in->sig[i].sid == h->sid) {
            in->sig[i].count++;
            in->sig[i].last = now;
            return;
        }
    if (in->n_sig == INC_SIGS) {
        in->sig_dropped++;
        return;
    }
    struct inc_sig *g = &in->sig[in->n_sig++];
    g->sid = h->sid;
    g->sev = h->sev;
    g->count = 1;
    g->first = g->last = now;
    snprintf(g->name, sizeof g->name, "%s", h->signature ? h->signature : "");
    snprintf(g->category, sizeof g->category, "%s", h->category ? h->category : "");
}

static bool inc_has_dest(const struct inc *in, const struct xm_addr *a)
{
    for (uint8_t i = 0; i < in->n_dst; i++)
        if (!xm_addr_cmp(&in->dst[i].ip, a))
            return true;
    return false;
}

static void inc_add_dest(struct inc *in, const struct inc_hit *h)
{
    if (!h->dest.family || inc_has_dest(in, &h->dest))
        return;
    if (in->n_dst == INC_DESTS) {
        in->dst_dropped++;
        return;
    }
    struct inc_dest *d = &in->dst[in->n_dst++];
    d->ip = h->dest;
    snprintf(d->name, sizeof d->name, "%s", h->dest_name ? h->dest_name : "");
    snprintf(d->source, sizeof d->source, "%s", h->dest_source ? h->dest_source : "");
}

static void inc_add_str(char (*v)[INC_STR], uint8_t *n, uint8_t cap, const char *s)
{
    if (!s || !*s)
        return;
    for (uint8_t i = 0; i < *n; i++)
        if (!strcmp(v[i], s))
            return;
    if (*n < cap)
        snprintf(v[(*n)++], INC_STR, "%s", s);
}

static void inc_add_cid(struct inc *in, const char *cid)
{
    if (!cid)
        return;
    for (uint8_t i = 0; i < in->n_cid; i++)
        if (!strcmp(in->cid[i], cid))
            return;
    if (in->n_cid < INC_CIDS)
        snprintf(in->cid[in->n_cid++], sizeof in->cid[0], "%s", cid);
}

static void inc_keep(json_t **slot, const json_t *v)
{
    if (!v)
        return;
    json_decref(*slot);
    *slot = json_deep_copy(v);
}

static void inc_add_hit(struct inc *in, const struct inc_hit *h, xm_time_t now)
{
    in->last = now;
    inc_add_sig(in, h, now);
    inc_add_dest(in, h);
    inc_add_str(in->qname, &in->n_qname, INC_QNAMES, h->qname);
    inc_add_cid(in, h->community_id);
    if (h->ioc && !in->ioc[0])
        snprintf(in->ioc, sizeof in->ioc, "%s", h->ioc);
    if (h->lookalike_vendor && !in->lookalike_vendor[0])
        snprintf(in->lookalike_vendor, sizeof in->lookalike_vendor, "%s", h->lookalike_vendor);
    inc_keep(&in->host_obj, h->host_obj);
    inc_keep(&in->process, h->process);
    inc_evidence_merge(&in->ev, &h->ev);
}

void inc_on_alert(struct inc_engine *e, const json_t *alert, xm_time_t now)
{
    struct inc_hit h;
    if (inc_hit_read(alert, e->home, &h) != 0)
        return;
    e->st.hits++;
    uint32_t s = inc_find(e, &h);
    bool opened = !s;
    if (opened)
        s = inc_open(e, &h, now);
    inc_add_hit(&e->tab[s], &h, now);
    if (opened)
        inc_emit(e, &e->tab[s], "open", "opened", now);
    else
        inc_maybe_update(e, &e->tab[s], now);
}

uint32_t inc_flow_match(const struct inc_engine *e, const struct xm_addr *local,
                        const struct xm_addr *remote)
{
    for (uint32_t s = e->hbucket[inc_hbucket(e, local)]; s; s = e->tab[s].hnext)
        if (!xm_addr_cmp(&e->tab[s].host, local) && inc_has_dest(&e->tab[s], remote))
            return s;
    return 0;
}

void inc_flow_add(struct inc_engine *e, uint32_t handle, uint64_t bytes_out, uint64_t bytes_in,
                  const char *community_id, xm_time_t now)
{
    if (!handle || handle > e->lim.max_open || !e->tab[handle].used)
        return;
    struct inc *in = &e->tab[handle];
    in->flow_bytes_out += bytes_out;
    in->flow_bytes_in += bytes_in;
    in->last = now;
    inc_add_cid(in, community_id);
    e->st.flows_matched++;
    inc_maybe_update(e, in, now);
}

void inc_set_history(struct inc_engine *e, xm_time_t since)
{
    e->hist_since = since;
}

void inc_tick(struct inc_engine *e, xm_time_t now)
{
    xm_time_t quiet = XM_SEC(e->lim.quiet_s);
    for (uint32_t s = e->head, next; s; s = next) {
        next = e->tab[s].next;
        if (now - e->tab[s].last >= quiet)
            inc_close(e, s, "quiet", now);
    }
}

void inc_finish(struct inc_engine *e, xm_time_t now)
{
    while (e->head)
        inc_close(e, e->head, "end_of_input", now);
}
