/*
 * compile.c - parser and compiler of rule files into a struct rules_set.
 *
 * Grammar (docs/rules.md has the reference):
 *   file    := { "include" STRING | list | rule }
 *   list    := "list" IDENT ( "=" "{" [entry {"," entry}] "}" | "from" STRING )
 *   rule    := "rule" NUMBER STRING "{" { stmt [";"] } "}"
 *   stmt    := scope | "when" expr | "severity" IDENT | "category" STRING
 *            | "mitre" IDENT {"," IDENT} | "tags" IDENT {"," IDENT}
 *            | "cooldown" DURATION | "escalate" (NUMBER | "off") | "rev" NUMBER
 *   expr    := and {"or" and};  and := not {"and" not};
 *   not     := "not" not | "(" expr ")" | pred
 *   pred    := field [ cmp literal | ["not"] "in" set | "matches" STRING ]
 *   field   := IDENT [ "[" DURATION "]" ]
 * Compilation is all-or-nothing: any error frees the partial set.
 */
#include "internal.h"
#include "lex.h"
#include "xm_glob.h"
#include "xm_netset.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "xm_config.h"
#include "xm_paths.h"

#define RP_MAX_DEPTH 8
#define RP_MAX_FILE (16u << 20)      /* bytes per rule or list file */
#define RP_MAX_LIST 1000000u         /* entries per list */
#define RP_MAX_RULES 4096u

struct rparse {
    const struct rules_registry *reg;
    struct rules_set *set;
    struct rules_error *err;
    struct lexer *lx;
    const char *file;
    int depth;
    char *stack[RP_MAX_DEPTH + 1];   /* realpaths of files being read */
};

static int rp_expr(struct rparse *p, struct rnode **out);

/* ---- small helpers ---------------------------------------------------- */

static char *rp_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int rp_oom(struct rparse *p)
{
    return lex_error(p->lx, 0, 0, "out of memory");
}

static int rp_err_tok(struct rparse *p, const struct lex_token *t, const char *what)
{
    if (t->kind == LEX_EOF)
        return lex_error(p->lx, t->line, t->col, "expected %s, got end of file", what);
    return lex_error(p->lx, t->line, t->col, "expected %s, got '%.*s'", what,
                     (int)t->len, t->text);
}

static int rp_expect(struct rparse *p, enum lex_kind k, const char *what,
                     struct lex_token *t)
{
    if (lex_next(p->lx, t) != 0)
        return -1;
    return t->kind == k ? 0 : rp_err_tok(p, t, what);
}

static bool rp_accept(struct rparse *p, enum lex_kind k)
{
    struct lex_token t;
    if (lex_peek(p->lx, &t) != 0 || t.kind != k)
        return false;
    lex_next(p->lx, &t);
    return true;
}

static bool rp_accept_word(struct rparse *p, const char *w)
{
    struct lex_token t;
    if (lex_peek(p->lx, &t) != 0 || !lex_is(&t, w))
        return false;
    lex_next(p->lx, &t);
    return true;
}

/* Reads a whole file (at most RP_MAX_FILE bytes); caller frees. */
static char *rp_read_file(const char *path, size_t *len, int *eno)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) {
        *eno = errno;
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        *eno = errno;
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > RP_MAX_FILE) {
        *eno = S_ISDIR(st.st_mode) ? EISDIR : EFBIG;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        *eno = ENOMEM;
        goto out;
    }
    *len = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
        *eno = EIO;
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[*len] = '\0';
out:
    fclose(f);
    return buf;
}

/* Path of `rel` relative to the directory of `base`. */
static char *rp_relpath(const char *base, const char *rel)
{
    const char *slash = strrchr(base, '/');
    if (rel[0] == '/' || !slash)
        return rp_strndup(rel, strlen(rel));
    size_t dl = (size_t)(slash - base) + 1, rl = strlen(rel);
    char *d = malloc(dl + rl + 1);
    if (d) {
        memcpy(d, base, dl);
        memcpy(d + dl, rel, rl + 1);
    }
    return d;
}

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
static int rlist_inline_entry(struct rparse *p, struct rlist *l, const struct lex_token *t)
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
static int rlist_inline(struct rparse *p, struct rlist *l)
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

static const struct rlist *rp_find_list(const struct rparse *p, const char *name)
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

static int rp_list(struct rparse *p)
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

/* ---- expressions ------------------------------------------------------ */

void rnode_free(struct rnode *n)
{
    if (!n)
        return;
    rnode_free(n->a);
    rnode_free(n->b);
    rlist_free(n->inline_list);
    free(n->owned);
    free(n->text);
    free(n->lit_text);
    free(n);
}

static struct rnode *rp_node(enum rnode_op op, const struct lex_token *at)
{
    struct rnode *n = calloc(1, sizeof *n);
    if (n) {
        n->op = (uint8_t)op;
        n->line = at->line;
        n->col = at->col;
    }
    return n;
}

/* "[" DURATION "]" after a windowed field; fills n->fref.window_s. */
static int rp_window(struct rparse *p, struct rnode *n, char *text, size_t tl)
{
    struct lex_token w;
    if (lex_next(p->lx, &w) != 0)
        return -1;
    if (w.kind != LEX_NUMBER || (w.unit != LEX_U_SECONDS && w.unit != LEX_U_NONE))
        return rp_err_tok(p, &w, "a window duration such as 10m");
    if (w.num != (double)(uint64_t)w.num)
        return lex_error(p->lx, w.line, w.col, "window must be whole seconds");
    if (w.num < RWIN_MIN_S || w.num > RWIN_MAX_S)
        return lex_error(p->lx, w.line, w.col, "window %.*s is out of range (1s to 7d)",
                         (int)w.len, w.text);
    if (rwin_pick((uint32_t)w.num) < 0)
        return lex_error(p->lx, w.line, w.col,
                         "window %.*s is not a whole number of buckets "
                         "(1s, 10s, 1m, 5m or 1h, at most %u)", (int)w.len, w.text,
                         RWIN_MAX_BUCKETS - 1);
    n->fref.window_s = (uint32_t)w.num;
    size_t used = strlen(text);
    snprintf(text + used, tl - used, "[%.*s]", (int)w.len, w.text);
    struct lex_token t;
    return rp_expect(p, LEX_RBRACKET, "']'", &t);
}

/* IDENT [ "[" window "]" ], resolved through the registry. */
static int rp_field(struct rparse *p, struct rnode *n, const struct lex_token *id)
{
    char name[128], text[160];
    if (!lex_text(id, name, sizeof name))
        return lex_error(p->lx, id->line, id->col, "field name too long");
    const struct rules_field *f = rules_field_find(p->reg, name);
    if (!f)
        return lex_error(p->lx, id->line, id->col, "unknown field '%s'", name);
    n->field = f;
    n->fref.user = f->arg;
    n->fref.metric = f->metric;
    snprintf(text, sizeof text, "%s", name);
    bool has_win = rp_accept(p, LEX_LBRACKET);
    if (has_win && !f->windowed)
        return lex_error(p->lx, id->line, id->col, "field '%s' takes no window", name);
    if (!has_win && f->windowed)
        return lex_error(p->lx, id->line, id->col,
                         "field '%s' needs a window, e.g. %s[1h]", name, name);
    if (has_win && rp_window(p, n, text, sizeof text) != 0)
        return -1;
    n->text = rp_strndup(text, strlen(text));
    return n->text ? 0 : rp_oom(p);
}

static const char *rp_lit_type(const struct lex_token *t)
{
    switch (t->kind) {
    case LEX_NUMBER:
        return t->unit == LEX_U_BYTES ? "bytes" : t->unit == LEX_U_SECONDS ? "duration" :
               t->unit == LEX_U_BPS ? "rate" : "number";
    case LEX_STRING: return "string";
    case LEX_ADDR: return "address";
    case LEX_CIDR: return "CIDR";
    case LEX_IDENT: return "identifier";
    default: return lex_kind_name(t->kind);
    }
}

/* Whether literal t may be compared with a field of type ty. */
static bool rp_lit_fits(enum rules_type ty, const struct lex_token *t)
{
    static const enum lex_unit want[] = {
        [RULES_T_NUM] = LEX_U_NONE, [RULES_T_BYTES] = LEX_U_BYTES,
        [RULES_T_DURATION] = LEX_U_SECONDS, [RULES_T_RATE] = LEX_U_BPS,
    };
    switch (ty) {
    case RULES_T_NUM: case RULES_T_BYTES: case RULES_T_DURATION: case RULES_T_RATE:
        return t->kind == LEX_NUMBER && (t->unit == LEX_U_NONE || t->unit == want[ty]);
    case RULES_T_BOOL:
        return lex_is(t, "true") || lex_is(t, "false");
    case RULES_T_STRING:
        return t->kind == LEX_STRING;
    case RULES_T_ADDR:
        return t->kind == LEX_ADDR;
    default:
        return false;
    }
}

static bool rp_is_cmp(enum lex_kind k)
{
    return k == LEX_LT || k == LEX_LE || k == LEX_GT || k == LEX_GE ||
           k == LEX_EQ || k == LEX_NE;
}

/* field <op> literal */
static int rp_compare(struct rparse *p, struct rnode *n, const struct lex_token *op)
{
    struct lex_token lit;
    enum rules_type ty = n->field->type;
    n->op = RN_CMP;
    n->cmp = (uint8_t)op->kind;
    if (lex_next(p->lx, &lit) != 0)
        return -1;
    bool ordered = op->kind != LEX_EQ && op->kind != LEX_NE;
    if (ordered && (ty == RULES_T_BOOL || ty == RULES_T_STRING || ty == RULES_T_ADDR))
        return lex_error(p->lx, op->line, op->col,
                         "operator '%.*s' does not apply to %s field '%s'",
                         (int)op->len, op->text, rtype_name(ty), n->text);
    if (!rp_lit_fits(ty, &lit))
        return lex_error(p->lx, lit.line, lit.col,
                         "type mismatch: '%s' is %s, '%.*s' is %s", n->text,
                         rtype_name(ty), (int)lit.len, lit.text, rp_lit_type(&lit));
    n->lit_text = rp_strndup(lit.text, lit.len);
    if (!n->lit_text)
        return rp_oom(p);
    if (ty == RULES_T_STRING) {
        char buf[512];
        lex_text(&lit, buf, sizeof buf);
        if (!(n->owned = rp_strndup(buf, strlen(buf))))
            return rp_oom(p);
        n->lit.str.s = n->owned;
        n->lit.str.len = strlen(buf);
    } else if (ty == RULES_T_ADDR) {
        n->lit.addr = lit.addr;
    } else if (ty == RULES_T_BOOL) {
        n->lit.b = lex_is(&lit, "true");
    } else {
        n->lit.num = lit.num;
    }
    return 0;
}

/* field ["not"] in ( LISTNAME | "{" ... "}" | CIDR ) */
static int rp_in(struct rparse *p, struct rnode *n)
{
    struct lex_token t;
    n->op = RN_IN;
    if (lex_next(p->lx, &t) != 0)
        return -1;
    if (n->field->type == RULES_T_BOOL)
        return lex_error(p->lx, t.line, t.col, "'in' does not apply to bool field '%s'",
                         n->text);
    if (t.kind == LEX_IDENT) {
        char nm[128];
        lex_text(&t, nm, sizeof nm);
        n->list = rp_find_list(p, nm);
        if (!n->list)
            return lex_error(p->lx, t.line, t.col, "unknown list '%s'", nm);
        n->lit_text = rp_strndup(nm, strlen(nm));
        return n->lit_text ? 0 : rp_oom(p);
    }
    n->inline_list = calloc(1, sizeof *n->inline_list);
    if (!n->inline_list)
        return rp_oom(p);
    n->list = n->inline_list;
    const char *start = t.text;
    int rc;
    if (t.kind == LEX_LBRACE)
        rc = rlist_inline(p, n->inline_list);
    else if (t.kind == LEX_CIDR && n->field->type == RULES_T_ADDR)
        rc = rlist_inline_entry(p, n->inline_list, &t);
    else
        return rp_err_tok(p, &t, "a list name, '{' or a CIDR");
    if (rc != 0)
        return -1;
    size_t len = (size_t)(p->lx->text + p->lx->pos - start);
    n->lit_text = rp_strndup(start, len > 200 ? 200 : len);
    return n->lit_text ? 0 : rp_oom(p);
}

static int rp_matches(struct rparse *p, struct rnode *n)
{
    struct lex_token t;
    n->op = RN_MATCH;
    if (n->field->type != RULES_T_STRING) {
        lex_peek(p->lx, &t);
        return lex_error(p->lx, t.line, t.col, "'matches' needs a string field, '%s' is %s",
                         n->text, rtype_name(n->field->type));
    }
    if (rp_expect(p, LEX_STRING, "a glob pattern string", &t) != 0)
        return -1;
    char buf[512];
    lex_text(&t, buf, sizeof buf);
    n->owned = rp_strndup(buf, strlen(buf));
    n->lit_text = rp_strndup(t.text, t.len);
    return n->owned && n->lit_text ? 0 : rp_oom(p);
}

/* Wraps n into a NOT node. */
static int rp_negate(struct rparse *p, struct rnode **n)
{
    struct lex_token at = {.line = (*n)->line, .col = (*n)->col};
    struct rnode *x = rp_node(RN_NOT, &at);
    if (!x)
        return rp_oom(p);
    x->a = *n;
    *n = x;
    return 0;
}

static int rp_predicate(struct rparse *p, struct rnode **out, const struct lex_token *id)
{
    struct rnode *n = rp_node(RN_BOOL, id);
    struct lex_token t;
    if (!n)
        return rp_oom(p);
    *out = n;
    if (rp_field(p, n, id) != 0 || lex_peek(p->lx, &t) != 0)
        return -1;
    if (rp_is_cmp(t.kind)) {
        lex_next(p->lx, &t);
        return rp_compare(p, n, &t);
    }
    if (lex_is(&t, "in")) {
        lex_next(p->lx, &t);
        return rp_in(p, n);
    }
    if (lex_is(&t, "not")) {
        lex_next(p->lx, &t);
        if (!rp_accept_word(p, "in")) {
            lex_peek(p->lx, &t);
            return rp_err_tok(p, &t, "'in' after 'not'");
        }
        return rp_in(p, n) != 0 ? -1 : rp_negate(p, out);
    }
    if (lex_is(&t, "matches")) {
        lex_next(p->lx, &t);
        return rp_matches(p, n);
    }
    if (n->field->type != RULES_T_BOOL)
        return lex_error(p->lx, id->line, id->col,
                         "'%s' is %s, not a condition: compare it (e.g. '> 10MB')",
                         n->text, rtype_name(n->field->type));
    return 0;
}

static int rp_unary(struct rparse *p, struct rnode **out)
{
    struct lex_token t;
    if (lex_next(p->lx, &t) != 0)
        return -1;
    if (lex_is(&t, "not")) {
        struct rnode *n = rp_node(RN_NOT, &t);
        if (!n)
            return rp_oom(p);
        *out = n;
        return rp_unary(p, &n->a);
    }
    if (t.kind == LEX_LPAREN) {
        if (rp_expr(p, out) != 0)
            return -1;
        return rp_expect(p, LEX_RPAREN, "')'", &t);
    }
    static const char *const words[] = {"and", "or", "in", "scope", "when", "severity",
                                        "category", "mitre", "tags", "cooldown",
                                        "escalate", "rev"};
    bool reserved = false;
    for (size_t i = 0; i < XM_ARRAY_LEN(words); i++)
        reserved = reserved || lex_is(&t, words[i]);
    if (t.kind != LEX_IDENT || reserved)
        return rp_err_tok(p, &t, "a condition");
    return rp_predicate(p, out, &t);
}

/* Left-assoc chain of `word`-separated operands of `sub`. */
static int rp_chain(struct rparse *p, struct rnode **out, const char *word,
                    enum rnode_op op, int (*sub)(struct rparse *, struct rnode **))
{
    if (sub(p, out) != 0)
        return -1;
    struct lex_token t;
    while (lex_peek(p->lx, &t) == 0 && lex_is(&t, word)) {
        lex_next(p->lx, &t);
        struct rnode *n = rp_node(op, &t);
        if (!n)
            return rp_oom(p);
        n->a = *out;
        *out = n;
        if (sub(p, &n->b) != 0)
            return -1;
    }
    return p->lx->err && p->lx->err->msg[0] ? -1 : 0;
}

static int rp_and(struct rparse *p, struct rnode **out)
{
    return rp_chain(p, out, "and", RN_AND, rp_unary);
}

static int rp_expr(struct rparse *p, struct rnode **out)
{
    return rp_chain(p, out, "or", RN_OR, rp_and);
}

/* ---- rules ------------------------------------------------------------ */

static void rrule_free(struct rrule *r)
{
    rnode_free(r->cond);
    free(r->msg);
    free(r->category);
    free(r->file);
    for (size_t i = 0; i < r->n_mitre; i++)
        free(r->mitre[i]);
    for (size_t i = 0; i < r->n_tags; i++)
        free(r->tags[i]);
    free(r->mitre);
    free(r->tags);
}

/* IDENT {"," IDENT} into a string array. */
static int rp_words(struct rparse *p, char ***arr, size_t *n)
{
    struct lex_token t;
    do {
        if (rp_expect(p, LEX_IDENT, "an identifier", &t) != 0)
            return -1;
        char **na = realloc(*arr, (*n + 1) * sizeof *na);
        if (!na)
            return rp_oom(p);
        *arr = na;
        if (!(na[*n] = rp_strndup(t.text, t.len)))
            return rp_oom(p);
        (*n)++;
    } while (rp_accept(p, LEX_COMMA));
    return 0;
}

static int rp_scope(struct rparse *p, struct rrule *r)
{
    struct lex_token t;
    if (rp_expect(p, LEX_IDENT, "a scope", &t) != 0)
        return -1;
    if (lex_is(&t, "host") && rp_accept(p, LEX_COMMA)) {
        struct lex_token d;
        if (rp_expect(p, LEX_IDENT, "'destination'", &d) != 0)
            return -1;
        if (!lex_is(&d, "destination"))
            return rp_err_tok(p, &d, "'destination'");
        r->scope = RULES_SCOPE_HOSTDST;
        return 0;
    }
    static const char *const names[] = {"flow", "host", "destination", "site", "process"};
    for (size_t i = 0; i < XM_ARRAY_LEN(names); i++) {
        if (lex_is(&t, names[i])) {
            r->scope = (enum rules_scope)i;
            return 0;
        }
    }
    return lex_error(p->lx, t.line, t.col,
                     "unknown scope '%.*s' (expected flow, host, \"host, destination\", "
                     "site or process)", (int)t.len, t.text);
}

static int rp_severity(struct rparse *p, struct rrule *r)
{
    struct lex_token t;
    if (rp_expect(p, LEX_IDENT, "a severity", &t) != 0)
        return -1;
    for (int s = 1; s <= 4; s++) {
        if (lex_is(&t, rsev_name(s))) {
            r->severity = s;
            return 0;
        }
    }
    return lex_error(p->lx, t.line, t.col,
                     "unknown severity '%.*s' (expected critical, high, medium or low)",
                     (int)t.len, t.text);
}

static int rp_number(struct rparse *p, enum lex_unit unit, const char *what,
                     double *v, struct lex_token *t)
{
    if (lex_next(p->lx, t) != 0)
        return -1;
    if (t->kind != LEX_NUMBER || (t->unit != unit && t->unit != LEX_U_NONE))
        return rp_err_tok(p, t, what);
    *v = t->num;
    return 0;
}

static int rp_cooldown(struct rparse *p, struct rrule *r)
{
    struct lex_token t;
    double v = 0;
    if (rp_number(p, LEX_U_SECONDS, "a duration", &v, &t) != 0)
        return -1;
    if (v < 0 || v > RWIN_MAX_S * 4.0)
        return lex_error(p->lx, t.line, t.col, "cooldown out of range (0s to 28d)");
    r->cooldown_s = (uint32_t)v;
    return 0;
}

static int rp_stmt_num(struct rparse *p, struct rrule *r, const struct lex_token *kw)
{
    struct lex_token t;
    double v = 0;
    if (lex_is(kw, "escalate")) {
        if (rp_accept_word(p, "off")) {
            r->escalate = 0;
            return 0;
        }
        if (rp_number(p, LEX_U_NONE, "a factor or 'off'", &v, &t) != 0)
            return -1;
        if (v < 1.0 || v > 1e6)
            return lex_error(p->lx, t.line, t.col, "escalate factor must be at least 1");
        r->escalate = v;
        return 0;
    }
    if (rp_number(p, LEX_U_NONE, "a revision number", &v, &t) != 0)
        return -1;
    if (!t.integer || v < 1 || v > UINT32_MAX)
        return lex_error(p->lx, t.line, t.col, "bad revision number");
    r->rev = (uint32_t)v;
    return 0;
}

static int rp_stmt(struct rparse *p, struct rrule *r, const struct lex_token *kw)
{
    struct lex_token t;
    if (lex_is(kw, "scope"))
        return rp_scope(p, r);
    if (lex_is(kw, "when")) {
        if (r->cond)
            return lex_error(p->lx, kw->line, kw->col, "duplicate 'when'");
        return rp_expr(p, &r->cond);
    }
    if (lex_is(kw, "severity"))
        return rp_severity(p, r);
    if (lex_is(kw, "mitre"))
        return rp_words(p, &r->mitre, &r->n_mitre);
    if (lex_is(kw, "tags"))
        return rp_words(p, &r->tags, &r->n_tags);
    if (lex_is(kw, "cooldown"))
        return rp_cooldown(p, r);
    if (lex_is(kw, "escalate") || lex_is(kw, "rev"))
        return rp_stmt_num(p, r, kw);
    if (lex_is(kw, "category")) {
        if (rp_expect(p, LEX_STRING, "a category string", &t) != 0)
            return -1;
        free(r->category);
        char buf[256];
        lex_text(&t, buf, sizeof buf);
        r->category = rp_strndup(buf, strlen(buf));
        return r->category ? 0 : rp_oom(p);
    }
    return rp_err_tok(p, kw, "a rule setting (scope, when, severity, category, mitre, "
                      "tags, cooldown, escalate, rev)");
}

/* Checks every field of the condition against the rule's scope and
 * records what per-key state the engine will need. */
static int rp_check_node(struct rparse *p, struct rrule *r, const struct rnode *n)
{
    if (!n)
        return 0;
    if (rp_check_node(p, r, n->a) != 0 || rp_check_node(p, r, n->b) != 0)
        return -1;
    if (!n->field)
        return 0;
    if (!(n->field->scopes & RULES_SCOPE_BIT(r->scope)))
        return lex_error(p->lx, n->line, n->col, "field '%s' is not available in scope %s",
                         n->text, rules_scope_name(r->scope));
    struct rules_set *s = p->set;
    uint32_t w = n->fref.window_s;
    if (w) {
        int res = rwin_pick(w);
        uint32_t len = w / rwin_res_s[res] + 1;
        if (len > s->ring_len[r->scope][res])
            s->ring_len[r->scope][res] = len;
        if (w > r->window_s)
            r->window_s = w;
    }
    if (n->fref.metric == RM_DST_COUNT)
        s->need_dset[r->scope] = true;
    if (n->fref.metric == RM_DST_FIRST_SEEN_AGE || n->fref.metric == RM_DST_PREVALENCE ||
        n->fref.metric == RM_DST_FIRST_SEEN_SITE_AGE)
        s->need_seen = true;
    if (n->fref.metric == RM_BL_1H_Z || n->fref.metric == RM_BL_1H_MULT)
        s->need_bl[r->scope][0] = true;
    if (n->fref.metric == RM_BL_1D_Z || n->fref.metric == RM_BL_1D_MULT)
        s->need_bl[r->scope][1] = true;
    return 0;
}

static int rp_rule_check(struct rparse *p, struct rrule *r, const struct lex_token *at)
{
    if (!r->cond)
        return lex_error(p->lx, at->line, at->col, "rule %u has no condition ('when')",
                         r->id);
    if (r->scope == RULES_SCOPE_MAX)
        return lex_error(p->lx, at->line, at->col, "rule %u has no scope", r->id);
    if (!r->severity)
        return lex_error(p->lx, at->line, at->col, "rule %u has no severity", r->id);
    return rp_check_node(p, r, r->cond);
}

static int rp_rule_head(struct rparse *p, struct rrule *r, struct lex_token *idt)
{
    struct lex_token t;
    char buf[512];
    if (rp_expect(p, LEX_NUMBER, "a rule id", idt) != 0)
        return -1;
    if (!idt->integer || idt->num < 1 || idt->num > UINT32_MAX)
        return lex_error(p->lx, idt->line, idt->col, "bad rule id '%.*s'",
                         (int)idt->len, idt->text);
    r->id = (uint32_t)idt->num;
    for (size_t i = 0; i < p->set->n; i++)
        if (p->set->rules[i].id == r->id)
            return lex_error(p->lx, idt->line, idt->col, "duplicate rule id %u", r->id);
    if (rp_expect(p, LEX_STRING, "the rule message", &t) != 0)
        return -1;
    lex_text(&t, buf, sizeof buf);
    r->msg = rp_strndup(buf, strlen(buf));
    r->file = rp_strndup(p->file, strlen(p->file));
    if (!r->msg || !r->file)
        return rp_oom(p);
    return rp_expect(p, LEX_LBRACE, "'{'", &t);
}

static int rp_rule_body(struct rparse *p, struct rrule *r, const struct lex_token *idt)
{
    struct lex_token t;
    for (;;) {
        if (lex_next(p->lx, &t) != 0)
            return -1;
        if (t.kind == LEX_RBRACE)
            return rp_rule_check(p, r, idt);
        if (t.kind == LEX_SEMI)
            continue;
        if (t.kind != LEX_IDENT)
            return rp_err_tok(p, &t, "a rule setting or '}'");
        if (rp_stmt(p, r, &t) != 0)
            return -1;
    }
}

static int rp_rule(struct rparse *p)
{
    struct rules_set *s = p->set;
    struct lex_token idt;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        struct rrule *nr = realloc(s->rules, nc * sizeof *nr);
        if (!nr)
            return rp_oom(p);
        s->rules = nr;
        s->cap = nc;
    }
    struct rrule *r = &s->rules[s->n];
    memset(r, 0, sizeof *r);
    r->scope = RULES_SCOPE_MAX;
    r->rev = 1;
    r->escalate = 2.0;
    r->cooldown_s = 3600;
    int rc = rp_rule_head(p, r, &idt);
    if (rc == 0) {
        r->line = idt.line;
        rc = rp_rule_body(p, r, &idt);
    }
    if (rc == 0 && s->n >= RP_MAX_RULES)
        rc = lex_error(p->lx, idt.line, idt.col, "more than %u rules", RP_MAX_RULES);
    if (rc != 0) {
        rrule_free(r);
        return -1;
    }
    s->n++;
    return 0;
}

/* ---- files ------------------------------------------------------------ */

static int rp_text(struct rparse *p, const char *name, const char *text, size_t len);

static int rp_file(struct rparse *p, const char *path, const struct lex_token *at)
{
    struct lexer *outer = p->lx;
    int line = at ? at->line : 0, col = at ? at->col : 0;
    if (p->depth >= RP_MAX_DEPTH)
        return lex_error(outer, line, col, "includes nested deeper than %d", RP_MAX_DEPTH);
    char *real = realpath(path, NULL);
    for (int i = 0; real && i < p->depth; i++) {
        if (strcmp(p->stack[i], real) == 0) {
            free(real);
            return lex_error(outer, line, col, "include cycle: '%s' is already being read",
                             path);
        }
    }
    size_t len = 0;
    int eno = ENOENT;
    char *text = real ? rp_read_file(path, &len, &eno) : NULL;
    if (!text) {
        free(real);
        if (outer)
            return lex_error(outer, line, col, "cannot open '%s': %s", path, strerror(eno));
        snprintf(p->err->file, sizeof p->err->file, "%s", path);
        snprintf(p->err->msg, sizeof p->err->msg, "cannot open '%s': %s", path,
                 strerror(eno));
        return -1;
    }
    p->stack[p->depth++] = real;
    int rc = rp_text(p, path, text, len);
    p->stack[--p->depth] = NULL;
    free(real);
    free(text);
    return rc;
}

static int rp_include(struct rparse *p)
{
    struct lex_token t;
    char rel[1024];
    if (rp_expect(p, LEX_STRING, "a file name", &t) != 0)
        return -1;
    lex_text(&t, rel, sizeof rel);
    char *path = rp_relpath(p->file, rel);
    if (!path)
        return rp_oom(p);
    int rc = rp_file(p, path, &t);
    free(path);
    return rc;
}

static int rp_top(struct rparse *p, const struct lex_token *t)
{
    if (lex_is(t, "include"))
        return rp_include(p);
    if (lex_is(t, "list"))
        return rp_list(p);
    if (lex_is(t, "rule"))
        return rp_rule(p);
    return rp_err_tok(p, t, "'rule', 'list' or 'include'");
}

static int rp_text(struct rparse *p, const char *name, const char *text, size_t len)
{
    struct lexer lx, *outer = p->lx;
    const char *outer_file = p->file;
    lex_init(&lx, name, text, len, p->err);
    p->lx = &lx;
    p->file = name;
    p->set->n_files++;
    int rc = 0;
    if (memchr(text, '\0', len))
        rc = lex_error(&lx, 1, 1, "file contains a NUL byte");
    for (struct lex_token t; rc == 0;) {
        if (lex_next(&lx, &t) != 0)
            rc = -1;
        else if (t.kind == LEX_EOF)
            break;
        else
            rc = rp_top(p, &t);
    }
    p->lx = outer;
    p->file = outer_file;
    return rc;
}

/* ---- sets -------------------------------------------------------------- */

void rules_set_free(struct rules_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        rrule_free(&set->rules[i]);
    for (size_t i = 0; i < set->nlists; i++)
        rlist_free(set->lists[i]);
    for (int s = 0; s < RULES_SCOPE_MAX; s++)
        free(set->by_scope[s]);
    free(set->lists);
    free(set->rules);
    free(set);
}

static int rset_index(struct rules_set *s)
{
    for (int sc = 0; sc < RULES_SCOPE_MAX; sc++) {
        s->by_scope[sc] = calloc(s->n ? s->n : 1, sizeof(size_t));
        if (!s->by_scope[sc])
            return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        enum rules_scope sc = s->rules[i].scope;
        s->by_scope[sc][s->n_scope[sc]++] = i;
    }
    return 0;
}

typedef int (*rp_body_fn)(struct rparse *p, const void *arg);

static int rp_run(const struct rules_registry *reg, struct rules_set **out,
                  struct rules_error *err, rp_body_fn body, const void *arg)
{
    struct rules_error scratch;
    struct rparse p = {.reg = reg, .err = err ? err : &scratch};
    memset(p.err, 0, sizeof *p.err);
    p.set = calloc(1, sizeof *p.set);
    if (!p.set) {
        snprintf(p.err->msg, sizeof p.err->msg, "out of memory");
        return -1;
    }
    int rc = body(&p, arg);
    if (rc == 0 && rset_index(p.set) != 0) {
        snprintf(p.err->msg, sizeof p.err->msg, "out of memory");
        rc = -1;
    }
    if (rc != 0) {
        rules_set_free(p.set);
        return -1;
    }
    *out = p.set;
    return 0;
}

struct rp_files { const char *const *paths; size_t n; };

static int rp_body_files(struct rparse *p, const void *arg)
{
    const struct rp_files *f = arg;
    for (size_t i = 0; i < f->n; i++)
        if (rp_file(p, f->paths[i], NULL) != 0)
            return -1;
    return 0;
}

struct rp_string { const char *name, *text; };

static int rp_body_string(struct rparse *p, const void *arg)
{
    const struct rp_string *s = arg;
    return rp_text(p, s->name, s->text, strlen(s->text));
}

int rules_compile_files(const char *const *paths, size_t n,
                        const struct rules_registry *reg,
                        struct rules_set **out, struct rules_error *err)
{
    struct rp_files f = {paths, n};
    return rp_run(reg, out, err, rp_body_files, &f);
}

int rules_compile_file(const char *path, const struct rules_registry *reg,
                       struct rules_set **out, struct rules_error *err)
{
    return rules_compile_files(&path, 1, reg, out, err);
}

int rules_compile_string(const char *name, const char *text,
                         const struct rules_registry *reg,
                         struct rules_set **out, struct rules_error *err)
{
    struct rp_string s = {name ? name : "<string>", text};
    return rp_run(reg, out, err, rp_body_string, &s);
}

size_t rules_set_count(const struct rules_set *set)
{
    return set ? set->n : 0;
}

void rules_set_describe(const struct rules_set *set, FILE *f)
{
    size_t per[RULES_SCOPE_MAX] = {0};
    for (size_t i = 0; i < set->n; i++) {
        const struct rrule *r = &set->rules[i];
        per[r->scope]++;
        fprintf(f, "rule %u rev %u %-8s %-16s \"%s\"\n", r->id, r->rev,
                rsev_name(r->severity), rules_scope_name(r->scope), r->msg);
    }
    fprintf(f, "%zu rules (flow %zu, host %zu, host_destination %zu, site %zu, "
            "process %zu), %zu lists with %zu entries, %zu files\n", set->n,
            per[0], per[1], per[2], per[3], per[4], set->nlists, set->list_entries,
            set->n_files);
}

const char *rules_default_path(void)
{
    static char built[1100];
    const char *src = paths_source_root();     /* uninstalled binary only */
    const char *cands[2] = { XM_DATADIR "/rules/default.rules", NULL };
    if (src) {
        snprintf(built, sizeof built, "%s/rules/default.rules", src);
        cands[1] = built;
    }
    for (size_t i = 0; i < XM_ARRAY_LEN(cands) && cands[i]; i++) {
        FILE *f = fopen(cands[i], "r");
        if (f) {
            fclose(f);
            return cands[i];
        }
    }
    return NULL;
}
