/*
 * lookalike.c - vendor look-alike verdicts; contract in
 * include/xm_lookalike.h.
 *
 * The verdict cache is direct-mapped by name id (a colliding name
 * replaces the slot, counted in `replaced`), not an LRU xm_tab: one
 * probe, no lists, and a stale slot is harmless (it is re-checked).
 */
#include "xm_lookalike.h"
#include "xm_psl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LK_DOMAIN_MAX 254
#define LK_LABEL_MAX 63
#define LK_TOKEN_SUBSTR 6     /* tokens this long match as substrings */
#define LK_TOKEN_MIN 4        /* shorter tokens are never matched */
#define LK_EDIT_MIN 5         /* shorter labels are not edit-compared */
#define LK_EDIT_LONG 8        /* from this length distance 2 is allowed */

struct lk_vendor {
    char domain[LK_DOMAIN_MAX];  /* registrable domain, lower case */
    char label[LK_LABEL_MAX + 1];/* its first label = the token */
    bool generic;                /* allow-list only */
};

struct lk_slot {
    uint64_t name_hash;
    uint32_t name_id;            /* 0 = empty */
    uint16_t vendor;             /* index + 1, 0 = none */
    uint8_t verdict, distance;
};

#define LK_MAX_EXEMPT 256

struct lookalike {
    struct regdom *psl;          /* owned (lib/psl.c) */
    struct lk_vendor *v;
    uint32_t nv;
    char (*exempt)[LK_LABEL_MAX + 1]; /* words that merely contain a token */
    uint32_t nexempt;
    struct lk_slot *slot;
    uint32_t nslot;              /* power of two */
    uint64_t seed;
    struct lookalike_stats st;
};

const char *lookalike_verdict_name(enum lookalike_verdict v)
{
    switch (v) {
    case LOOKALIKE_TOKEN: return "token";
    case LOOKALIKE_EDIT: return "edit";
    default: return "none";
    }
}

const struct lookalike_stats *lookalike_get_stats(const struct lookalike *lk) { return &lk->st; }

static unsigned lk_min3(unsigned a, unsigned b, unsigned c)
{
    unsigned m = a < b ? a : b;
    return m < c ? m : c;
}

unsigned lookalike_distance(const char *a, size_t an, const char *b, size_t bn)
{
    unsigned d[LK_LABEL_MAX + 1][LK_LABEL_MAX + 1];
    if (an > LK_LABEL_MAX || bn > LK_LABEL_MAX)
        return LK_LABEL_MAX + 1;
    for (size_t i = 0; i <= an; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= bn; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= an; i++) {
        for (size_t j = 1; j <= bn; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            d[i][j] = lk_min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    }
    return d[an][bn];
}

/* Lower-cases name into buf, without a trailing dot; false if too long. */
static bool lk_norm(const char *name, char *buf, size_t blen)
{
    size_t n = strlen(name);
    if (n == 0 || n >= blen)
        return false;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    if (buf[n - 1] == '.')
        n--;
    buf[n] = '\0';
    return n > 0;
}

/* Registrable domain of name into buf; false when it has none. */
static bool lk_registrable(const struct lookalike *lk, const char *name, char *buf, size_t blen)
{
    const char *r = regdom_of(lk->psl, name);
    if (!r || strlen(r) >= blen)
        return false;
    memcpy(buf, r, strlen(r) + 1);
    return true;
}

/* An "exempt" entry is a plain word (philanthropic) that contains a
 * token (anthropic) without imitating anyone. */
static int lk_add_exempt(struct lookalike *lk, const struct lists_entry *e)
{
    if (lk->nexempt >= LK_MAX_EXEMPT || strlen(e->text) > LK_LABEL_MAX)
        return -1;
    memcpy(lk->exempt[lk->nexempt++], e->text, strlen(e->text) + 1);
    return 0;
}

static int lk_add_vendor(struct lookalike *lk, const struct lists_entry *e)
{
    if (e->kind != LISTS_DOMAIN)
        return 0;
    if (strcmp(e->label, "exempt") == 0)
        return lk_add_exempt(lk, e);
    char reg[LK_DOMAIN_MAX];
    if (!lk_registrable(lk, e->text, reg, sizeof reg))
        return 0;
    for (uint32_t i = 0; i < lk->nv; i++)
        if (strcmp(lk->v[i].domain, reg) == 0)
            return 0;
    if (lk->nv >= LOOKALIKE_MAX_VENDORS)
        return -1;
    struct lk_vendor *v = &lk->v[lk->nv++];
    memcpy(v->domain, reg, strlen(reg) + 1);
    size_t ln = strcspn(reg, ".");
    memcpy(v->label, reg, ln);
    v->label[ln] = '\0';
    v->generic = strcmp(e->label, "generic") == 0;
    return 0;
}

static uint32_t lk_pow2(uint32_t n)
{
    uint32_t p = 64;
    while (p < n && p < (UINT32_C(1) << 24))
        p <<= 1;
    return p;
}

struct lookalike *lookalike_new(const struct lists_list *vendors, uint32_t cache_slots,
                                uint64_t seed, char *err, size_t errlen)
{
    struct lookalike *lk = calloc(1, sizeof *lk);
    if (!lk)
        goto oom;
    lk->seed = seed;
    lk->nslot = lk_pow2(cache_slots);
    lk->psl = regdom_open(NULL);
    lk->v = calloc(LOOKALIKE_MAX_VENDORS, sizeof *lk->v);
    lk->slot = calloc(lk->nslot, sizeof *lk->slot);
    lk->exempt = calloc(LK_MAX_EXEMPT, sizeof *lk->exempt);
    if (!lk->v || !lk->slot || !lk->exempt)
        goto oom;
    if (!lk->psl) {
        snprintf(err, errlen, "lookalike: no public suffix list available");
        goto fail;
    }
    for (uint32_t i = 0; i < lists_count(vendors); i++) {
        if (lk_add_vendor(lk, lists_entry_at(vendors, i)) != 0) {
            snprintf(err, errlen, "lookalike: %s: too many vendor domains or exempt "
                     "words (max %d / %d)", lists_name(vendors), LOOKALIKE_MAX_VENDORS,
                     LK_MAX_EXEMPT);
            goto fail;
        }
    }
    lk->st.vendors = lk->nv;
    return lk;
oom:
    snprintf(err, errlen, "lookalike: out of memory");
fail:
    lookalike_free(lk);
    return NULL;
}

void lookalike_free(struct lookalike *lk)
{
    if (!lk)
        return;
    regdom_close(lk->psl);
    free(lk->v);
    free(lk->slot);
    free(lk->exempt);
    free(lk);
}

/* name equals domain or ends with "." domain. */
static bool lk_within(const char *name, const char *domain)
{
    size_t n = strlen(name), d = strlen(domain);
    if (n < d || strcmp(name + n - d, domain) != 0)
        return false;
    return n == d || name[n - d - 1] == '.';
}

static bool lk_word_char(char ch) { return ch >= 'a' && ch <= 'z'; }

/* Token found in label: substring for long tokens, whole word else. */
static bool lk_has_token(const char *label, const char *tok)
{
    size_t tn = strlen(tok);
    if (tn < LK_TOKEN_MIN)
        return false;
    for (const char *p = strstr(label, tok); p; p = strstr(p + 1, tok)) {
        if (tn >= LK_TOKEN_SUBSTR)
            return true;
        bool left = p == label || !lk_word_char(p[-1]);
        bool right = !lk_word_char(p[tn]);
        if (left && right)
            return true;
    }
    return false;
}

/* Copies label with every exempt word blanked out by '-'. */
static void lk_mask_exempt(const struct lookalike *lk, const char *label, char *out)
{
    memcpy(out, label, strlen(label) + 1);
    for (uint32_t i = 0; i < lk->nexempt; i++) {
        size_t wn = strlen(lk->exempt[i]);
        for (char *p = strstr(out, lk->exempt[i]); p; p = strstr(p + wn, lk->exempt[i]))
            memset(p, '-', wn);
    }
}

/* Allowed distance, from the length of the imitated vendor label. */
static unsigned lk_edit_limit(size_t vendor_len)
{
    return vendor_len >= LK_EDIT_LONG ? 2 : 1;
}

/* Computes the verdict for a registrable domain; *vendor = index or -1. */
static enum lookalike_verdict lk_classify(const struct lookalike *lk, const char *reg,
                                          int *vendor, unsigned *dist)
{
    char label[LK_LABEL_MAX + 1];
    size_t ln = strcspn(reg, ".");
    if (ln > LK_LABEL_MAX)
        return LOOKALIKE_NONE;
    memcpy(label, reg, ln);
    label[ln] = '\0';
    char masked[LK_LABEL_MAX + 1];
    lk_mask_exempt(lk, label, masked);
    for (uint32_t i = 0; i < lk->nv; i++)
        if (!lk->v[i].generic && lk_has_token(masked, lk->v[i].label)) {
            *vendor = (int)i;
            return LOOKALIKE_TOKEN;
        }
    if (ln < LK_EDIT_MIN)
        return LOOKALIKE_NONE;
    for (uint32_t i = 0; i < lk->nv; i++) {
        const struct lk_vendor *v = &lk->v[i];
        size_t vn = strlen(v->label);
        if (v->generic || vn < LK_EDIT_MIN)
            continue;
        unsigned d = lookalike_distance(label, ln, v->label, vn);
        if (d > 0 && d <= lk_edit_limit(vn)) {
            *vendor = (int)i;
            *dist = d;
            return LOOKALIKE_EDIT;
        }
    }
    return LOOKALIKE_NONE;
}

/* Uncached verdict of a normalised name. */
static enum lookalike_verdict lk_verdict(const struct lookalike *lk, const char *name,
                                         int *vendor, unsigned *dist)
{
    char reg[LK_DOMAIN_MAX];
    *vendor = -1;
    *dist = 0;
    for (uint32_t i = 0; i < lk->nv; i++)
        if (lk_within(name, lk->v[i].domain))
            return LOOKALIKE_NONE;
    if (!lk_registrable(lk, name, reg, sizeof reg))
        return LOOKALIKE_NONE;
    return lk_classify(lk, reg, vendor, dist);
}

static void lk_fill(const struct lookalike *lk, enum lookalike_verdict v, int vendor,
                    unsigned dist, struct lookalike_result *out)
{
    out->verdict = v;
    out->vendor = vendor >= 0 ? lk->v[vendor].domain : NULL;
    out->token = vendor >= 0 ? lk->v[vendor].label : NULL;
    out->distance = v == LOOKALIKE_EDIT ? dist : 0;
}

enum lookalike_verdict lookalike_check(struct lookalike *lk, uint32_t name_id,
                                       const char *name, struct lookalike_result *out)
{
    char buf[LK_DOMAIN_MAX];
    lk->st.checks++;
    lk_fill(lk, LOOKALIKE_NONE, -1, 0, out);
    if (!name || !lk_norm(name, buf, sizeof buf))
        return LOOKALIKE_NONE;
    uint64_t h = xm_hash(buf, strlen(buf), lk->seed);
    struct lk_slot *s = NULL;
    if (name_id) {
        s = &lk->slot[xm_hash(&name_id, sizeof name_id, lk->seed) & (lk->nslot - 1)];
        if (s->name_id == name_id && s->name_hash == h) {
            lk->st.hits++;
            lk_fill(lk, s->verdict, (int)s->vendor - 1, s->distance, out);
            return out->verdict;
        }
    }
    lk->st.misses++;
    int vendor;
    unsigned dist;
    enum lookalike_verdict v = lk_verdict(lk, buf, &vendor, &dist);
    lk->st.token += v == LOOKALIKE_TOKEN;
    lk->st.edit += v == LOOKALIKE_EDIT;
    if (s) {
        lk->st.replaced += s->name_id != 0;
        *s = (struct lk_slot){h, name_id, (uint16_t)(vendor + 1), (uint8_t)v, (uint8_t)dist};
    }
    lk_fill(lk, v, vendor, dist, out);
    return v;
}
