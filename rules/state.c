/*
 * state.c - the engine's learned state saved and loaded through
 * include/xm_state.h (component "rules"): the clock, first-seen pairs,
 * destination prevalence, cooldowns, and the per-key windows and
 * baselines of every scope.
 *
 * Lines (tables in LRU order, least recently touched first, so the order
 * never depends on the hash seed and loading restores the LRU order):
 *   clock NOW FIRST            packet times, usec
 *   layout SCOPE HEX           the per-key layout the keys were saved with
 *   k SCOPE HEX                one key's bytes after the table header
 *   s HEX / d HEX / u HEX      first-seen pair / destination / cooldown
 * Entry bytes are this build's in-memory layout (same machine, same
 * build); a key scope whose layout differs (another rule set, or another
 * RLAYOUT_VERSION: files of an older exfilmon) is skipped with one
 * warning, so windows and baselines restart for it.  Keys of
 * flow and process scope name run-local ids and are not saved.
 */
#include "engine.h"
#include "xm_log.h"
#include "xm_state.h"

#include <inttypes.h>
#include <stdlib.h>

#define ST_HDR sizeof(struct rtab_hdr)

static bool st_keep_scope(int s)
{
    return s == RULES_SCOPE_HOST || s == RULES_SCOPE_HOSTDST || s == RULES_SCOPE_SITE;
}

/* Cooldowns of flow and process keys name run-local ids: not saved. */
static bool st_keep(const struct rtab *t, const uint8_t *e, bool supp)
{
    const struct rsupp_key *k = (const void *)(e + ST_HDR);
    XM_UNUSED(t);
    return !supp || st_keep_scope(k->k.scope);
}

/* Top flows remember their flow's name as an id of this run's names
 * table, which is not saved: after a restart the id would name nothing or
 * another name, so a restored top flow is unnamed. */
static void st_forget_names(const struct rlayout *lay, void *top)
{
    struct rtop *t = top;
    struct rtop_pair *p = top;
    for (unsigned i = 0; i < RTOP_K; i++) {
        if (lay->top_dsts) {
            t->f[i].name_id = 0;
            t->f[i].name_src = 0;
        } else {
            struct rtop_pflow e;
            rtop_pair_get(p, i, &e);
            e.name_id = 0;
            e.name_src = 0;
            rtop_pair_set(p, i, &e);
        }
    }
}

/* lay: key tables only (their top flows' name ids are not saved); copy
 * holds one entry. */
static void st_save_tab(struct xm_state_w *w, const struct rtab *t, const char *tag,
                        char *hex, const struct rlayout *lay, uint8_t *copy)
{
    bool supp = tag[0] == 'u';
    for (const uint8_t *e = rtab_next(t, NULL); e; e = rtab_next(t, e)) {
        if (!st_keep(t, e, supp))
            continue;
        memcpy(copy, e, t->esize);
        if (lay && lay->off_top)
            st_forget_names(lay, rk_payload((const struct rkstate *)copy, lay->off_top));
        xm_state_line(w, "%s %s", tag, xm_state_hex(copy + ST_HDR, t->esize - ST_HDR, hex));
    }
}

static size_t st_max_esize(const struct rules_engine *eng)
{
    size_t m = sizeof(struct rlayout);
    const struct rtab *t[] = {&eng->seen, &eng->dsts, &eng->supp};
    for (size_t i = 0; i < XM_ARRAY_LEN(t); i++)
        m = t[i]->esize > m ? t[i]->esize : m;
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        m = eng->keys[s].esize > m ? eng->keys[s].esize : m;
    return m;
}

int rules_engine_save(const struct rules_engine *eng, const char *dir)
{
    struct xm_state_w w;
    char *hex = malloc(2 * st_max_esize(eng) + 1);
    uint8_t *copy = malloc(st_max_esize(eng));
    if (!hex || !copy || xm_state_begin(&w, dir, "rules") != 0) {
        free(hex);
        free(copy);
        return -1;
    }
    xm_state_line(&w, "clock %" PRId64 " %" PRId64, (int64_t)eng->now, (int64_t)eng->first);
    for (int s = 0; s < RULES_SCOPE_MAX; s++) {
        char tag[16];
        if (!st_keep_scope(s) || !eng->keys[s].cap)
            continue;
        xm_state_line(&w, "layout %d %s", s, xm_state_hex(&eng->lay[s], sizeof eng->lay[s], hex));
        snprintf(tag, sizeof tag, "k %d", s);
        st_save_tab(&w, &eng->keys[s], tag, hex, &eng->lay[s], copy);
    }
    st_save_tab(&w, &eng->seen, "s", hex, NULL, copy);
    st_save_tab(&w, &eng->dsts, "d", hex, NULL, copy);
    st_save_tab(&w, &eng->supp, "u", hex, NULL, copy);
    free(hex);
    free(copy);
    return xm_state_commit(&w);
}

struct st_load {
    struct rules_engine *eng;
    uint8_t *buf;
    bool lay_ok[RULES_SCOPE_MAX];
    bool warned[RULES_SCOPE_MAX];
};

/* The invariants the engine relies on when it indexes a key's
 * baselines (metrics.c): counts and positions within their history.
 * Ring heads are derived from last_update through reng_sec_of(), never
 * negative, so any value indexes a ring safely; last_update must not
 * be later than the file's clock (now), so that packets after the load
 * only move ring heads forward (engine.h, rings). */
static bool st_key_ok(const struct rlayout *lay, const uint8_t *k, xm_time_t now)
{
    static const uint16_t bl_n[2] = {RBL_N_1H, RBL_N_1D};
    xm_time_t last;
    memcpy(&last, k + offsetof(struct rkstate, last_update), sizeof last);
    if (last > now)
        return false;
    for (int w = 0; w < 2; w++) {
        const struct rbl *b = (const void *)(k + lay->off_bl[w]);
        if (lay->off_bl[w] && (b->n > bl_n[w] || b->pos >= bl_n[w] || b->period < 0))
            return false;
    }
    return true;
}


/* Parses hex of a whole entry (after the header) and stores it; lay
 * (key tables only) checks the per-key invariants first. */
static int st_put(struct st_load *l, struct rtab *t, const char *hex,
                  const struct rlayout *lay)
{
    size_t n = t->esize - ST_HDR;
    bool created;
    if (strlen(hex) != 2 * n || xm_state_unhex(hex, l->buf + ST_HDR, n) != 0)
        return -1;
    memset(l->buf, 0, ST_HDR);
    if (lay && !st_key_ok(lay, l->buf, l->eng->now))
        return -1;
    uint8_t *e = rtab_upsert(t, l->buf + ST_HDR, &created);
    if (!e)
        return 0;
    memcpy(e + ST_HDR + t->klen, l->buf + ST_HDR + t->klen, n - t->klen);
    if (lay && lay->off_top)
        st_forget_names(lay, rk_payload((const struct rkstate *)e, lay->off_top));
    /* A file of a version that kept no byte total has 0 there: raise it
     * to what the rings hold (a no-op for our own files, so a load and
     * save round trip stays byte-identical). */
    if (lay)
        reng_out_cover(lay, (struct rkstate *)(void *)e);
    return 0;
}

static int st_layout(struct st_load *l, int s, const char *hex)
{
    struct rlayout lay;
    if (s < 0 || s >= RULES_SCOPE_MAX || strlen(hex) != 2 * sizeof lay ||
        xm_state_unhex(hex, &lay, sizeof lay) != 0)
        return -1;
    l->lay_ok[s] = l->eng->keys[s].cap && reng_lay_equal(&lay, &l->eng->lay[s]);
    if (!l->lay_ok[s])
        xm_warn("state: rules: %s keys were saved with another rule set or by an older "
                "exfilmon (another key layout); their windows and baselines start empty",
                rules_scope_name((enum rules_scope)s));
    return 0;
}

static int st_line(void *ctx, char *line, char *err, size_t errlen)
{
    struct st_load *l = ctx;
    struct rules_engine *eng = l->eng;
    int64_t now, first;
    int s, off = 0, rc = -1;
    if (sscanf(line, "clock %" SCNd64 " %" SCNd64, &now, &first) == 2) {
        eng->now = (xm_time_t)now;
        eng->first = (xm_time_t)first;
        return 0;
    }
    if (sscanf(line, "layout %d %n", &s, &off) == 1 && off)
        rc = st_layout(l, s, line + off);
    else if (sscanf(line, "k %d %n", &s, &off) == 1 && off && s >= 0 && s < RULES_SCOPE_MAX)
        rc = l->lay_ok[s] ? st_put(l, &eng->keys[s], line + off, &eng->lay[s]) : 0;
    else if (line[0] && line[1] == ' ' && strchr("sdu", line[0]))
        rc = st_put(l, line[0] == 's' ? &eng->seen : line[0] == 'd' ? &eng->dsts : &eng->supp,
                    line + 2, NULL);
    if (rc != 0)
        snprintf(err, errlen, "not a rules state line");
    return rc;
}

int rules_engine_load(struct rules_engine *eng, const char *dir)
{
    struct st_load l = {.eng = eng};
    l.buf = calloc(1, st_max_esize(eng) + ST_HDR);
    if (!l.buf)
        return -1;
    int rc = xm_state_load(dir, "rules", st_line, &l);
    free(l.buf);
    return rc;
}
