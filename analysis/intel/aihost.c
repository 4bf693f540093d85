/*
 * aihost.c - AI-tooling host tags with bounded evidence and decay;
 * contract in include/xm_aihost.h.
 *
 * Host table: slab of cap+1 entries (index 0 = nil), chained buckets
 * (power of two >= cap), LRU list with the most recently touched host at
 * the head.  Eviction policy: when full, the LRU tail is dropped.
 */
#include "xm_aihost.h"
#include "xm_evew.h"
#include "xm_netset.h"
#include "xm_site.h"
#include "xm_state.h"
#include "xm_tab.h"

#include <inttypes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ah_host {
    struct xm_tab_hdr hdr;            /* the key follows the header */
    struct xm_addr addr;
    struct aihost_evidence ev[AIHOST_MAX_EVIDENCE];
    uint8_t n;
};

struct ah_inv {
    struct xm_addr net;               /* masked */
    uint8_t plen, ntags;
    bool ai;                          /* tags include "ai" */
    char tags[AIHOST_MAX_TAGS][AIHOST_TAG_LEN];
};

struct aihost {
    struct aihost_config cfg;
    struct xm_tab hosts;              /* address -> evidence, LRU */
    struct ah_inv *inv;
    uint32_t ninv;
    struct aihost_stats st;
    struct site *site;                /* borrowed; NULL without --site-redis */
};

const char *aihost_kind_name(enum aihost_kind k)
{
    static const char *const names[] = {"none", "llm_endpoint", "user_agent",
                                        "serves_port", "inventory", "process"};
    return (unsigned)k < XM_ARRAY_LEN(names) ? names[k] : "none";
}

const struct aihost_stats *aihost_get_stats(const struct aihost *ah) { return &ah->st; }

struct aihost *aihost_new(const struct aihost_config *cfg)
{
    struct aihost *ah = calloc(1, sizeof *ah);
    if (!ah)
        return NULL;
    ah->cfg = *cfg;
    if (ah->cfg.decay <= 0)
        ah->cfg.decay = AIHOST_DECAY_DEFAULT;
    uint32_t cap = cfg->max_hosts ? cfg->max_hosts : 4096;
    ah->inv = calloc(AIHOST_MAX_INVENTORY, sizeof *ah->inv);
    if (!ah->inv || xm_tab_init(&ah->hosts, cap, sizeof(struct ah_host), sizeof(struct xm_addr),
                                ah->cfg.seed) != 0) {
        aihost_free(ah);
        return NULL;
    }
    ah->st.capacity = cap;
    return ah;
}

void aihost_free(struct aihost *ah)
{
    if (!ah)
        return;
    xm_tab_free(&ah->hosts);
    free(ah->inv);
    free(ah);
}

/* ---- host table ----------------------------------------------------- */

/* Finds or creates the host entry (evicting the LRU host when full). */
static struct ah_host *ah_touch(struct aihost *ah, const struct xm_addr *a)
{
    bool created;
    struct ah_host *h = xm_tab_upsert(&ah->hosts, a, &created);
    ah->st.evicted = ah->hosts.st.evicted;
    ah->st.hosts = ah->hosts.st.used;
    return h;
}

/* ---- evidence ------------------------------------------------------- */

static bool ah_lapsed(const struct aihost *ah, const struct aihost_evidence *e, xm_time_t now)
{
    return now - e->last > ah->cfg.decay;
}

/* Drops lapsed pieces, keeping the order of the rest. */
static void ah_prune(struct aihost *ah, struct ah_host *h, xm_time_t now)
{
    uint8_t k = 0;
    for (uint8_t i = 0; i < h->n; i++) {
        if (ah_lapsed(ah, &h->ev[i], now)) {
            ah->st.evidence_lapsed++;
            continue;
        }
        if (k != i)
            h->ev[k] = h->ev[i];
        k++;
    }
    h->n = k;
}

/* Copies at most dlen-1 bytes of src; always terminates. */
static void ah_copy(char *dst, size_t dlen, const char *src)
{
    size_t n = strlen(src);
    if (n >= dlen)
        n = dlen - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Slot for a new piece: a free one, else the oldest last-seen. */
static struct aihost_evidence *ah_slot(struct aihost *ah, struct ah_host *h)
{
    if (h->n < AIHOST_MAX_EVIDENCE)
        return &h->ev[h->n++];
    uint8_t old = 0;
    for (uint8_t i = 1; i < h->n; i++)
        if (h->ev[i].last < h->ev[old].last)
            old = i;
    ah->st.evidence_replaced++;
    /* keep pieces in first-seen order: move the victim to the end */
    memmove(&h->ev[old], &h->ev[old + 1], (size_t)(h->n - old - 1) * sizeof h->ev[0]);
    return &h->ev[h->n - 1];
}

/* Shares piece e of host a with the other sensors (--site-redis). */
static void ah_note(const struct aihost *ah, const struct xm_addr *a,
                    const struct aihost_evidence *e)
{
    if (!ah->site)
        return;
    struct site_delta d = {.kind = SITE_K_AI, .ai_kind = e->kind, .host = *a,
                           .key = e->detail, .first = e->first, .last = e->last,
                           .count = e->count};
    site_note(ah->site, &d);
}

/* The live piece (kind, d) of h, or NULL. */
static struct aihost_evidence *ah_piece(struct ah_host *h, enum aihost_kind kind,
                                        const char *d)
{
    for (uint8_t i = 0; i < h->n; i++)
        if (h->ev[i].kind == kind && strcmp(h->ev[i].detail, d) == 0)
            return &h->ev[i];
    return NULL;
}

/* A new piece on h (replacing the oldest when full), first = last = now. */
static struct aihost_evidence *ah_new_piece(struct aihost *ah, struct ah_host *h,
                                            enum aihost_kind kind, const char *d,
                                            xm_time_t now)
{
    struct aihost_evidence *e = ah_slot(ah, h);
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    memcpy(e->detail, d, AIHOST_DETAIL_LEN);
    e->first = e->last = now;
    e->count = 1;
    ah->st.evidence_added++;
    return e;
}

static void ah_record(struct aihost *ah, const struct xm_addr *a, enum aihost_kind kind,
                      const char *detail, xm_time_t now)
{
    char d[AIHOST_DETAIL_LEN];
    ah_copy(d, sizeof d, detail);
    struct ah_host *h = ah_touch(ah, a);
    if (!h)
        return;
    ah_prune(ah, h, now);
    struct aihost_evidence *e = ah_piece(h, kind, d);
    if (e) {
        if (now > e->last)
            e->last = now;
        e->count++;
        ah->st.evidence_refreshed++;
    } else {
        e = ah_new_piece(ah, h, kind, d, now);
    }
    ah_note(ah, a, e);
}

int aihost_merge(struct aihost *ah, const struct xm_addr *host, enum aihost_kind kind,
                 const char *detail, xm_time_t first, xm_time_t last, uint32_t count)
{
    char d[AIHOST_DETAIL_LEN];
    if ((host->family != 4 && host->family != 6) || kind == AIHOST_NONE ||
        kind == AIHOST_INVENTORY || kind > AIHOST_PROCESS || last < first)
        return -1;
    ah_copy(d, sizeof d, detail);
    struct ah_host *h = ah_touch(ah, host);
    if (!h)
        return -1;
    struct aihost_evidence *e = ah_piece(h, kind, d);
    if (!e)
        e = ah_new_piece(ah, h, kind, d, first);
    e->first = first < e->first ? first : e->first;
    e->last = last > e->last ? last : e->last;
    e->count = count > e->count ? count : e->count;
    return 0;
}

void aihost_set_site(struct aihost *ah, struct site *site) { ah->site = site; }

int aihost_add_evidence(struct aihost *ah, const struct xm_addr *host, enum aihost_kind kind,
                        const char *detail, xm_time_t now)
{
    if ((host->family != 4 && host->family != 6) || kind == AIHOST_NONE ||
        kind == AIHOST_INVENTORY || kind > AIHOST_PROCESS)
        return -1;
    ah_record(ah, host, kind, detail ? detail : "", now);
    return 0;
}

/* Writes the decimal port then " label" into buf (no printf family). */
static void ah_port_detail(char *buf, size_t blen, uint16_t port, const char *label)
{
    char num[6];
    int n = 0;
    do {
        num[n++] = (char)('0' + port % 10);
        port /= 10;
    } while (port);
    size_t k = 0;
    while (n && k + 1 < blen)
        buf[k++] = num[--n];
    if (label[0] && k + 2 < blen) {
        buf[k++] = ' ';
        size_t ln = strlen(label);
        if (ln > blen - k - 1)
            ln = blen - k - 1;
        memcpy(buf + k, label, ln);
        k += ln;
    }
    buf[k] = '\0';
}

/* Lower-cased name without a trailing dot, truncated to the buffer. */
static void ah_name_detail(char *buf, size_t blen, const char *name)
{
    size_t n = 0;
    for (; name[n] && n + 1 < blen; n++)
        buf[n] = (char)((name[n] >= 'A' && name[n] <= 'Z') ? name[n] + 32 : name[n]);
    if (n && buf[n - 1] == '.')
        n--;
    buf[n] = '\0';
}

static const struct lists_entry *ah_match_name(const struct lists_list *l, const struct aihost_obs *o,
                                               const char **which)
{
    const struct lists_entry *e = NULL;
    if (o->name && (e = lists_match_domain(l, o->name)))
        *which = o->name;
    else if (o->domain && (e = lists_match_domain(l, o->domain)))
        *which = o->domain;
    return e;
}

int aihost_observe_flow(struct aihost *ah, const struct aihost_obs *o)
{
    int n = 0;
    ah->st.observations++;
    if (!o->local || (o->local->family != 4 && o->local->family != 6))
        return 0;
    const char *which = NULL;
    if (!o->local_is_server && ah->cfg.endpoints && ah_match_name(ah->cfg.endpoints, o, &which)) {
        char d[AIHOST_DETAIL_LEN];
        ah_name_detail(d, sizeof d, which);
        ah_record(ah, o->local, AIHOST_LLM_ENDPOINT, d, o->now);
        n++;
    }
    if (!o->local_is_server && o->ua && ah->cfg.user_agents &&
        lists_match_ua(ah->cfg.user_agents, o->ua)) {
        ah_record(ah, o->local, AIHOST_USER_AGENT, o->ua, o->now);
        n++;
    }
    const struct lists_entry *pe;
    if (o->local_is_server && o->established && ah->cfg.ports &&
        (pe = lists_match_port(ah->cfg.ports, o->srv_port))) {
        char d[AIHOST_DETAIL_LEN];
        ah_port_detail(d, sizeof d, o->srv_port, pe->label);
        ah_record(ah, o->local, AIHOST_SERVES_PORT, d, o->now);
        n++;
    }
    return n;
}

/* ---- inventory ------------------------------------------------------ */

static bool ah_in(const struct ah_inv *v, const struct xm_addr *a)
{
    return xm_cidr_contains(&v->net, v->plen, a);
}

static int ah_parse_cidr(const char *cidr, struct ah_inv *v)
{
    unsigned plen;
    if (xm_cidr_parse(cidr, strlen(cidr), &v->net, &plen) != 0)
        return -1;
    v->plen = (uint8_t)plen;
    xm_cidr_mask(&v->net, plen);
    return 0;
}

static bool ah_tag_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.';
}

/* Splits "ai, gpu" into v->tags; -1 on a bad or too long tag. */
static int ah_parse_tags(const char *tags, struct ah_inv *v)
{
    const char *p = tags;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = 0;
        while (ah_tag_char(p[n]))
            n++;
        if (!n && !*p)
            break;
        if (!n || n >= AIHOST_TAG_LEN || v->ntags >= AIHOST_MAX_TAGS ||
            (p[n] && p[n] != ',' && p[n] != ' '))
            return -1;
        memcpy(v->tags[v->ntags], p, n);
        v->tags[v->ntags][n] = '\0';
        v->ai |= strcmp(v->tags[v->ntags], "ai") == 0;
        v->ntags++;
        p += n;
    }
    return 0;
}

int aihost_tag_inventory(struct aihost *ah, const char *cidr, const char *tags,
                         char *err, size_t errlen)
{
    struct ah_inv v;
    memset(&v, 0, sizeof v);
    if (ah->ninv >= AIHOST_MAX_INVENTORY) {
        snprintf(err, errlen, "inventory: too many entries (max %d)", AIHOST_MAX_INVENTORY);
        return -1;
    }
    if (ah_parse_cidr(cidr, &v) != 0) {
        snprintf(err, errlen, "inventory: bad CIDR '%s'", cidr);
        return -1;
    }
    if (ah_parse_tags(tags, &v) != 0) {
        snprintf(err, errlen, "inventory: bad tags '%s' (max %d tags of [A-Za-z0-9_.-], %d chars)",
                 tags, AIHOST_MAX_TAGS, AIHOST_TAG_LEN - 1);
        return -1;
    }
    ah->inv[ah->ninv++] = v;
    ah->st.inventory = ah->ninv;
    return 0;
}

/* Longest inventory prefix containing a, or NULL. */
static const struct ah_inv *ah_inventory(const struct aihost *ah, const struct xm_addr *a)
{
    const struct ah_inv *best = NULL;
    for (uint32_t i = 0; i < ah->ninv; i++)
        if (ah_in(&ah->inv[i], a) && (!best || ah->inv[i].plen > best->plen))
            best = &ah->inv[i];
    return best;
}

/* ---- queries -------------------------------------------------------- */

bool aihost_get(struct aihost *ah, const struct xm_addr *host, xm_time_t now,
                struct aihost_view *out)
{
    memset(out, 0, sizeof *out);
    struct ah_host *h = xm_tab_find(&ah->hosts, host);
    if (h) {
        ah_prune(ah, h, now);
        for (uint8_t k = 0; k < h->n; k++)
            out->ev[out->n_evidence++] = h->ev[k];
    }
    const struct ah_inv *v = ah_inventory(ah, host);
    if (v) {
        out->n_tags = v->ntags;
        memcpy(out->tags, v->tags, sizeof out->tags);
    }
    out->ai = out->n_evidence > 0 || (v && v->ai);
    return out->ai;
}

bool aihost_is_ai(struct aihost *ah, const struct xm_addr *host, xm_time_t now)
{
    const struct ah_host *h = xm_tab_find(&ah->hosts, host);
    for (uint8_t k = 0; h && k < h->n; k++)
        if (!ah_lapsed(ah, &h->ev[k], now))
            return true;
    const struct ah_inv *v = ah_inventory(ah, host);
    return v && v->ai;
}

static json_t *ah_eve_evidence(const struct aihost_evidence *e)
{
    char t1[40], t2[40];
    return json_pack("{s:s, s:s, s:s, s:s, s:I}", "kind", aihost_kind_name(e->kind),
                     "detail", e->detail, "first_seen", xm_time_iso(e->first, t1, sizeof t1),
                     "last_seen", xm_time_iso(e->last, t2, sizeof t2), "count",
                     (json_int_t)e->count);
}

static json_t *ah_eve_host(const struct aihost_view *v)
{
    json_t *host = json_object(), *ev = json_array(), *tags = json_array();
    if (!host) {
        json_decref(ev);
        json_decref(tags);
        return NULL;
    }
    /* set_new steals the references, also on failure */
    if ( json_object_set_new(host, "ai", json_boolean(v->ai)) != 0 ||
        json_object_set_new(host, "evidence", ev) != 0 ||
        json_object_set_new(host, "tags", tags) != 0)
        goto fail;
    for (uint8_t i = 0; i < v->n_evidence; i++)
        if (json_array_append_new(ev, ah_eve_evidence(&v->ev[i])) != 0)
            goto fail;
    for (uint8_t i = 0; i < v->n_tags; i++)
        if (json_array_append_new(tags, json_string(v->tags[i])) != 0)
            goto fail;
    return host;
fail:
    json_decref(host);
    return NULL;
}

int aihost_eve_add(struct aihost *ah, const struct xm_addr *host, xm_time_t now, json_t *obj)
{
    struct aihost_view v;
    aihost_get(ah, host, now, &v);
    if (!v.n_evidence && !v.n_tags)
        return 0;
    json_t *h = ah_eve_host(&v);
    if (!h || json_object_set_new(obj, "local_host", h) != 0)
        return -1;
    return 1;
}

/* ah_eve_host fails whole (no "local_host") when a detail or a tag is not
 * valid UTF-8 (json_pack / json_string refuse it): checked first here. */
static bool ah_view_utf8(const struct aihost_view *v)
{
    for (uint8_t i = 0; i < v->n_evidence; i++)
        if (!eve_utf8_valid(v->ev[i].detail, strlen(v->ev[i].detail)))
            return false;
    for (uint8_t i = 0; i < v->n_tags; i++)
        if (!eve_utf8_valid(v->tags[i], strlen(v->tags[i])))
            return false;
    return true;
}

static void ah_evew_evidence(struct evew *w, const struct aihost_evidence *e)
{
    char t[40];
    evew_obj_begin(w);
    evew_kstr(w, "kind", aihost_kind_name(e->kind));
    evew_kstr(w, "detail", e->detail);
    evew_kstr(w, "first_seen", xm_time_iso(e->first, t, sizeof t));
    evew_kstr(w, "last_seen", xm_time_iso(e->last, t, sizeof t));
    evew_kint(w, "count", (int64_t)e->count);
    evew_obj_end(w);
}

int aihost_eve_write(struct aihost *ah, const struct xm_addr *host, xm_time_t now,
                     struct evew *w)
{
    struct aihost_view v;
    aihost_get(ah, host, now, &v);
    if (!v.n_evidence && !v.n_tags)
        return 0;
    if (!ah_view_utf8(&v))
        return -1;
    evew_key(w, "local_host");
    evew_obj_begin(w);
    evew_kbool(w, "ai", v.ai);
    evew_key(w, "evidence");
    evew_arr_begin(w);
    for (uint8_t i = 0; i < v.n_evidence; i++)
        ah_evew_evidence(w, &v.ev[i]);
    evew_arr_end(w);
    evew_key(w, "tags");
    evew_arr_begin(w);
    for (uint8_t i = 0; i < v.n_tags; i++)
        evew_str(w, v.tags[i]);
    evew_arr_end(w);
    evew_obj_end(w);
    return 1;
}

/* ---- learned state (xm_state.h) -------------------------------------- */

int aihost_save(const struct aihost *ah, const char *dir)
{
    struct xm_state_w w;
    char ahex[2 * sizeof(struct xm_addr) + 1], dhex[2 * AIHOST_DETAIL_LEN + 1];
    if (xm_state_begin(&w, dir, "aihost") != 0)
        return -1;
    for (const struct ah_host *h = xm_tab_next(&ah->hosts, NULL); h;
         h = xm_tab_next(&ah->hosts, h))
        for (uint8_t i = 0; i < h->n; i++) {
            const struct aihost_evidence *e = &h->ev[i];
            xm_state_line(&w, "e %s %u %" PRId64 " %" PRId64 " %" PRIu32 " %s",
                          xm_state_hex(&h->addr, sizeof h->addr, ahex), e->kind,
                          (int64_t)e->first, (int64_t)e->last, e->count,
                          xm_state_hex(e->detail, strlen(e->detail), dhex));
        }
    return xm_state_commit(&w);
}

static int ah_load_line(void *ctx, char *line, char *err, size_t errlen)
{
    struct aihost *ah = ctx;
    char ahex[2 * sizeof(struct xm_addr) + 2], dhex[2 * AIHOST_DETAIL_LEN + 2] = "";
    struct aihost_evidence e;
    struct xm_addr a;
    unsigned kind;
    int64_t first, last;
    memset(&e, 0, sizeof e);
    int n = sscanf(line, "e %41s %u %" SCNd64 " %" SCNd64 " %" SCNu32 " %129s", ahex, &kind,
                   &first, &last, &e.count, dhex);
    size_t dl = strlen(dhex) / 2;
    if ((n != 5 && n != 6) || strlen(ahex) != 2 * sizeof a ||
        xm_state_unhex(ahex, &a, sizeof a) != 0 || kind == AIHOST_NONE ||
        kind > AIHOST_PROCESS || dl >= AIHOST_DETAIL_LEN || strlen(dhex) % 2 ||
        xm_state_unhex(dhex, e.detail, dl) != 0 || last < first) {
        snprintf(err, errlen, "not an aihost evidence line");
        return -1;
    }
    e.kind = (uint8_t)kind;
    e.first = (xm_time_t)first;
    e.last = (xm_time_t)last;
    struct ah_host *h = ah_touch(ah, &a);
    if (h && h->n < AIHOST_MAX_EVIDENCE)
        h->ev[h->n++] = e;
    return 0;
}

int aihost_load(struct aihost *ah, const char *dir)
{
    return xm_state_load(dir, "aihost", ah_load_line, ah);
}
