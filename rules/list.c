/*
 * list.c - rule lists: "list NAME = { ... }", "list NAME from FILE",
 * inline sets in conditions, and matching a value against a list
 * (numbers and ranges, CIDR blocks, strings with "*.suffix").
 */
#include "parse.h"
#include "xm_glob.h"
#include "xm_netset.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- lists ------------------------------------------------------------- */

void rlist_free(struct rlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i].str);
    free(l->e);
    free(l->name);
    free(l);
}

static struct rlist_entry *rlist_add(struct rlist *l)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        struct rlist_entry *ne = realloc(l->e, nc * sizeof *ne);
        if (!ne)
            return NULL;
        l->e = ne;
        l->cap = nc;
    }
    struct rlist_entry *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static bool rlist_entry_match(const struct rlist_entry *e, enum rules_type t,
                              const union rules_value *v)
{
    switch (e->kind) {
    case RLE_CIDR:
        return t == RULES_T_ADDR && xm_cidr_contains(&e->addr, e->prefix, &v->addr);
    case RLE_RANGE:
        return t != RULES_T_ADDR && t != RULES_T_STRING && t != RULES_T_BOOL &&
               v->num >= e->lo && v->num <= e->hi;
    default:
        return t == RULES_T_STRING && xm_glob(e->str, strlen(e->str), v->str.s, v->str.len);
    }
}

bool rlist_contains(const struct rlist *l, enum rules_type t, const union rules_value *v)
{
    for (size_t i = 0; i < l->n; i++)
        if (rlist_entry_match(&l->e[i], t, v))
            return true;
    return false;
}

/* Parses one entry of a list file line (already trimmed). */
static int rlist_parse_line(struct rlist *l, const char *s)
{
    struct rlist_entry *e = rlist_add(l);
    if (!e)
        return -1;
    unsigned plen;                  /* a bad length counts as a host prefix */
    if (xm_cidr_parse(s, strlen(s), &e->addr, &plen) != XM_CIDR_EADDR) {
        e->kind = RLE_CIDR;
        e->prefix = (uint8_t)plen;
        return 0;
    }
    char *end = NULL;
    double d = strtod(s, &end);
    if (end != s && *end == '\0' && isdigit((unsigned char)s[0])) {
        e->kind = RLE_RANGE;
        e->lo = e->hi = d;
        return 0;
    }
    e->kind = RLE_STRING;
    e->str = rp_strndup(s, strlen(s));
    if (!e->str)
        return -1;
    for (char *c = e->str; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return 0;
}

/* Loads "one entry per line, # comments" into l. */
static int rlist_load(struct rparse *p, struct rlist *l, const char *path,
                      const struct lex_token *at)
{
    size_t len = 0;
    int eno = 0;
    char *buf = rp_read_file(path, &len, &eno);
    if (!buf)
        return lex_error(p->lx, at->line, at->col, "cannot open list '%s': %s",
                         path, strerror(eno));
    int rc = 0;
    for (char *line = buf, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        while (isspace((unsigned char)*line))
            line++;
        size_t n = strlen(line);
        while (n && isspace((unsigned char)line[n - 1]))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (l->n >= RP_MAX_LIST)
            rc = lex_error(p->lx, at->line, at->col, "list '%s' exceeds %u entries",
                           l->name, RP_MAX_LIST);
        else if (rlist_parse_line(l, line) != 0)
            rc = rp_oom(p);
    }
    free(buf);
    return rc;
}

/* Inline entry: number, number-number, address, CIDR or string. */
int rlist_inline_entry(struct rparse *p, struct rlist *l, const struct lex_token *t)
{
    struct rlist_entry *e = rlist_add(l);
    if (!e)
        return rp_oom(p);
    if (t->kind == LEX_ADDR || t->kind == LEX_CIDR) {
        e->kind = RLE_CIDR;
        e->addr = t->addr;
        e->prefix = t->kind == LEX_CIDR ? t->prefix : (t->addr.family == 4 ? 32 : 128);
        return 0;
    }
    if (t->kind == LEX_STRING || t->kind == LEX_IDENT) {
        char buf[512];
        lex_text(t, buf, sizeof buf);
        e->kind = RLE_STRING;
        for (char *c = buf; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        e->str = rp_strndup(buf, strlen(buf));
        return e->str ? 0 : rp_oom(p);
    }
    if (t->kind != LEX_NUMBER)
        return rp_err_tok(p, t, "a list entry");
    e->kind = RLE_RANGE;
    e->lo = e->hi = t->num;
    if (rp_accept(p, LEX_MINUS)) {
        struct lex_token hi;
        if (rp_expect(p, LEX_NUMBER, "a number", &hi) != 0)
            return -1;
        if (hi.num < t->num)
            return lex_error(p->lx, hi.line, hi.col, "range end below its start");
        e->hi = hi.num;
    }
    return 0;
}

/* "{" [entry {"," entry}] [","] "}" - the "{" is already consumed. */
int rlist_inline(struct rparse *p, struct rlist *l)
{
    struct lex_token t;
    for (;;) {
        if (lex_next(p->lx, &t) != 0)
            return -1;
        if (t.kind == LEX_RBRACE)
            return 0;
        if (rlist_inline_entry(p, l, &t) != 0)
            return -1;
        if (lex_next(p->lx, &t) != 0)
            return -1;
        if (t.kind == LEX_RBRACE)
            return 0;
        if (t.kind != LEX_COMMA)
            return rp_err_tok(p, &t, "',' or '}'");
    }
}

const struct rlist *rp_find_list(const struct rparse *p, const char *name)
{
    for (size_t i = 0; i < p->set->nlists; i++)
        if (strcmp(p->set->lists[i]->name, name) == 0)
            return p->set->lists[i];
    return NULL;
}

static int rp_add_list(struct rparse *p, struct rlist *l)
{
    struct rules_set *s = p->set;
    struct rlist **nl = realloc(s->lists, (s->nlists + 1) * sizeof *nl);
    if (!nl)
        return -1;
    s->lists = nl;
    s->lists[s->nlists++] = l;
    s->list_entries += l->n;
    return 0;
}

int rp_list(struct rparse *p)
{
    struct lex_token name, t;
    if (rp_expect(p, LEX_IDENT, "a list name", &name) != 0)
        return -1;
    char nm[128];
    lex_text(&name, nm, sizeof nm);
    if (rp_find_list(p, nm))
        return lex_error(p->lx, name.line, name.col, "duplicate list '%s'", nm);
    struct rlist *l = calloc(1, sizeof *l);
    if (!l || !(l->name = rp_strndup(nm, strlen(nm)))) {
        free(l);
        return rp_oom(p);
    }
    int rc = -1;
    if (lex_next(p->lx, &t) != 0)
        goto fail;
    if (t.kind == LEX_ASSIGN) {
        if (rp_expect(p, LEX_LBRACE, "'{'", &t) != 0 || rlist_inline(p, l) != 0)
            goto fail;
    } else if (lex_is(&t, "from")) {
        char rel[1024];
        if (rp_expect(p, LEX_STRING, "a file name", &t) != 0)
            goto fail;
        lex_text(&t, rel, sizeof rel);
        char *path = rp_relpath(p->file, rel);
        rc = path ? rlist_load(p, l, path, &t) : rp_oom(p);
        free(path);
        if (rc != 0)
            goto fail;
    } else {
        rp_err_tok(p, &t, "'=' or 'from'");
        goto fail;
    }
    if (rp_add_list(p, l) == 0)
        return 0;
    rp_oom(p);
fail:
    rlist_free(l);
    return -1;
}
