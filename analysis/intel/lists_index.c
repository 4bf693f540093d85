/*
 * lists_index.c - the hash index of a loaded list and the matchers
 * (include/xm_lists.h; loading is lists.c).  The index is one
 * open-addressing table (power-of-two slots, load <= 1/2, linear
 * probing) of entry numbers + 1; it only grows while loading.
 */
#include "lists_int.h"
#include "xm_glob.h"
#include "xm_netset.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- keys and the hash index ---------------------------------------- */

struct lists_akey {                /* hashed as bytes: keep it zeroed */
    uint8_t b[16];
    uint8_t family, plen;
    uint16_t port;
};

static uint64_t lists_hash_name(const struct lists_list *l, const char *s, size_t n)
{
    return xm_hash(s, n, l->seed ^ 0x646f6dULL);
}

static uint64_t lists_hash_addr(const struct lists_list *l, const struct lists_akey *k)
{
    return xm_hash(k, sizeof *k, l->seed ^ 0x616464ULL);
}

static bool lists_is_named(const struct lists_entry *e) { return e->kind == LISTS_DOMAIN; }

static void lists_akey_of(const struct lists_entry *e, struct lists_akey *k)
{
    memset(k, 0, sizeof *k);
    memcpy(k->b, e->addr.b, 16);
    k->family = e->addr.family;
    k->plen = e->plen;
    k->port = e->port;
}

static uint64_t lists_hash_entry(const struct lists_list *l, const struct lists_entry *e)
{
    if (lists_is_named(e))
        return lists_hash_name(l, e->text, strlen(e->text));
    struct lists_akey k;
    lists_akey_of(e, &k);
    return lists_hash_addr(l, &k);
}

/* Finds a domain entry of exactly n bytes of name. */
static const struct lists_entry *lists_find_name(const struct lists_list *l,
                                                 const char *name, size_t n)
{
    if (!l->nslot)
        return NULL;
    uint32_t mask = l->nslot - 1;
    for (uint32_t i = (uint32_t)lists_hash_name(l, name, n) & mask; l->slot[i]; i = (i + 1) & mask) {
        const struct lists_entry *e = &l->ent[l->slot[i] - 1];
        if (lists_is_named(e) && strncmp(e->text, name, n) == 0 && e->text[n] == '\0')
            return e;
    }
    return NULL;
}

static const struct lists_entry *lists_find_addr(const struct lists_list *l,
                                                 const struct lists_akey *k)
{
    if (!l->nslot)
        return NULL;
    uint32_t mask = l->nslot - 1;
    for (uint32_t i = (uint32_t)lists_hash_addr(l, k) & mask; l->slot[i]; i = (i + 1) & mask) {
        const struct lists_entry *e = &l->ent[l->slot[i] - 1];
        struct lists_akey ek;
        if (lists_is_named(e))
            continue;
        lists_akey_of(e, &ek);
        if (memcmp(&ek, k, sizeof ek) == 0)
            return e;
    }
    return NULL;
}

void lists_slot_put(struct lists_list *l, uint32_t idx)
{
    uint32_t mask = l->nslot - 1;
    uint32_t i = (uint32_t)lists_hash_entry(l, &l->ent[idx]) & mask;
    while (l->slot[i])
        i = (i + 1) & mask;
    l->slot[i] = idx + 1;
}

/* Doubles the index when it would pass half full; -1 on OOM. */
int lists_slot_grow(struct lists_list *l)
{
    if (l->nslot && (l->st.entries + 1) * 2 <= l->nslot)
        return 0;
    uint32_t n = l->nslot ? l->nslot * 2 : 64;
    uint32_t *ns = calloc(n, sizeof *ns);
    if (!ns)
        return -1;
    uint32_t *old = l->slot, oldn = l->nslot;
    l->slot = ns;
    l->nslot = n;
    for (uint32_t i = 0; i < oldn; i++)
        if (old[i])
            lists_slot_put(l, old[i] - 1);
    free(old);
    return 0;
}

const struct lists_entry *lists_find_entry(const struct lists_list *l,
                                           const struct lists_entry *e)
{
    if (lists_is_named(e))
        return lists_find_name(l, e->text, strlen(e->text));
    struct lists_akey k;
    lists_akey_of(e, &k);
    return lists_find_addr(l, &k);
}

/* ---- matching ------------------------------------------------------- */

/* Lower-cases name into buf without a trailing dot; length or 0. */
static size_t lists_norm_name(const char *name, char *buf, size_t blen)
{
    size_t n = 0;
    for (; name[n]; n++) {
        if (n + 1 >= blen)
            return 0;
        buf[n] = (char)tolower((unsigned char)name[n]);
    }
    if (n && buf[n - 1] == '.')
        n--;
    buf[n] = '\0';
    return n;
}

/* Glob over a whole name: labels must pair up one to one, each matched
 * by xm_glob() (patterns are validated to [a-z0-9_*-], so '*' is the
 * only wildcard and '*' never crosses a dot). */
static bool lists_glob(const char *p, const char *s)
{
    for (;;) {
        size_t pn = strcspn(p, "."), sn = strcspn(s, ".");
        if (!xm_glob(p, pn, s, sn))
            return false;
        if (!p[pn] || !s[sn])
            return !p[pn] && !s[sn];
        p += pn + 1;
        s += sn + 1;
    }
}

const struct lists_entry *lists_match_domain(const struct lists_list *l, const char *name)
{
    char buf[LISTS_DOMAIN_MAX + 2];
    size_t n = lists_norm_name(name, buf, sizeof buf);
    if (!n)
        return NULL;
    const struct lists_entry *e = lists_find_name(l, buf, n);
    if (e && (e->dflags & LISTS_D_EXACT))
        return e;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '.')
            continue;
        e = lists_find_name(l, buf + i + 1, n - i - 1);
        if (e && (e->dflags & LISTS_D_SUB))
            return e;
    }
    for (uint32_t i = 0; i < l->nscan; i++) {
        e = &l->ent[l->scan[i]];
        if (e->kind == LISTS_GLOB && lists_glob(e->text, buf))
            return e;
    }
    return NULL;
}

static bool lists_has_len(const struct lists_list *l, unsigned family, unsigned plen)
{
    if (family == 4)
        return (l->v4len >> plen) & 1;
    return (l->v6len[plen / 64] >> (plen % 64)) & 1;
}

const struct lists_entry *lists_match_addr(const struct lists_list *l,
                                           const struct xm_addr *a, uint16_t port)
{
    if (a->family != 4 && a->family != 6)
        return NULL;
    unsigned max = a->family == 4 ? 32 : 128;
    struct lists_akey k;
    memset(&k, 0, sizeof k);
    memcpy(k.b, a->b, 16);
    k.family = a->family;
    k.plen = (uint8_t)max;
    const struct lists_entry *e;
    if (port) {
        k.port = port;
        if ((e = lists_find_addr(l, &k)))
            return e;
        k.port = 0;
    }
    for (int plen = (int)max; plen >= 0; plen--) {
        if (!lists_has_len(l, a->family, (unsigned)plen))
            continue;
        struct xm_addr m = *a;
        xm_cidr_mask(&m, (unsigned)plen);
        memcpy(k.b, m.b, 16);
        k.plen = (uint8_t)plen;
        if ((e = lists_find_addr(l, &k)))
            return e;
    }
    return NULL;
}

const struct lists_entry *lists_match_port(const struct lists_list *l, uint16_t port)
{
    struct lists_akey k;
    memset(&k, 0, sizeof k);
    k.port = port;
    return port ? lists_find_addr(l, &k) : NULL;
}

/* Header value equal to want, ignoring surrounding white space. */
static bool lists_value_eq(const char *have, const char *want)
{
    while (lists_space(*have))
        have++;
    size_t n = strlen(have), w = strlen(want);
    while (n && lists_space(have[n - 1]))
        n--;
    return n == w && memcmp(have, want, n) == 0;
}

static bool lists_http_hit(const struct lists_entry *e, const struct lists_http_hdr *h)
{
    if (!h->name || !h->value)
        return false;
    if (e->kind == LISTS_UA)
        return strcasecmp(h->name, "User-Agent") == 0 && strcasestr(h->value, e->text);
    return strcasecmp(h->name, e->text) == 0 && (!e->value[0] || lists_value_eq(h->value, e->value));
}

const struct lists_entry *lists_match_http(const struct lists_list *l,
                                           const struct lists_http_hdr *hdrs, size_t n)
{
    for (uint32_t i = 0; i < l->nscan; i++) {
        const struct lists_entry *e = &l->ent[l->scan[i]];
        if (e->kind != LISTS_UA && e->kind != LISTS_HEADER)
            continue;
        for (size_t j = 0; j < n; j++)
            if (lists_http_hit(e, &hdrs[j]))
                return e;
    }
    return NULL;
}

const struct lists_entry *lists_match_ua(const struct lists_list *l, const char *ua)
{
    struct lists_http_hdr h = {"User-Agent", ua};
    return ua ? lists_match_http(l, &h, 1) : NULL;
}
