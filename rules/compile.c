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
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "xm_config.h"
#include "xm_paths.h"


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
    for (size_t i = 0; i < n->nkid; i++)
        if (rp_check_node(p, r, n->kid[i]) != 0)
            return -1;
    if (!n->field)
        return 0;
    if (!(n->field->scopes & RULES_SCOPE_BIT(r->scope)))
        return lex_error(p->lx, n->line, n->col, "field '%s' is not available in scope %s",
                         n->text, rules_scope_name(r->scope));
    struct rules_set *s = p->set;
    uint32_t w = n->fref.window_s;
    if (w) {
        int res = rwin_pick_scope(w, r->scope);
        uint32_t len = w / rwin_res_s[res] + 1;
        if (len > s->ring_len[r->scope][res])
            s->ring_len[r->scope][res] = len;
        if (w > r->window_s)
            r->window_s = w;
    }
    if (n->fref.metric == RM_DST_COUNT)
        s->need_dset[r->scope] = true;
    if (n->fref.metric == RM_PKTS_OUT || n->fref.metric == RM_PKTS_IN ||
        n->fref.metric == RM_FLOWS)
        s->need_counts[r->scope] = true;
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
    rpre_free(set);
    free(set->lists);
    free(set->rules);
    free(set->used);
    free(set);
}

_Static_assert(RP_MAX_RULES <= RPRE_MAX_WORDS * 64u, "a scope's rules fit a prefilter mask");

/* Distinct fields of a set, for the value slots (rnode.vslot), and
 * the set's used-field list (rules_set_uses_fields). */
struct rvs { const struct rnode *rep[RSET_MAX_VSLOTS]; size_t n; int oom; };

/* Adds f to s->used unless it is there (compile time only). */
static void rvs_use(struct rvs *u, struct rules_set *s, const struct rules_field *f)
{
    for (size_t i = 0; i < s->n_used; i++)
        if (s->used[i] == f)
            return;
    const struct rules_field **nu = realloc(s->used, (s->n_used + 1) * sizeof *nu);
    if (!nu) {
        u->oom = 1;
        return;
    }
    s->used = nu;
    s->used[s->n_used++] = f;
}

static uint16_t rvs_slot(struct rvs *u, const struct rnode *n)
{
    if (n->field->type == RULES_T_STRING)
        return 0;
    for (size_t i = 0; i < u->n; i++) {
        const struct rnode *r = u->rep[i];
        if (r->field == n->field && r->fref.window_s == n->fref.window_s &&
            r->fref.metric == n->fref.metric && r->fref.user == n->fref.user)
            return (uint16_t)(i + 1);
    }
    if (u->n == RSET_MAX_VSLOTS)
        return 0;
    u->rep[u->n++] = n;
    return (uint16_t)u->n;
}

/* Recursion depth is the tree depth, bounded by the parser's nesting
 * limit (internal.h, struct rnode). */
static void rvs_walk(struct rvs *u, struct rules_set *s, struct rnode *n)
{
    if (n->field) {
        n->vslot = rvs_slot(u, n);
        rvs_use(u, s, n->field);
    }
    for (size_t i = 0; i < n->nkid; i++)
        rvs_walk(u, s, n->kid[i]);
}

static int rset_index(struct rules_set *s)
{
    struct rvs *u = calloc(1, sizeof *u);
    if (!u)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        rvs_walk(u, s, s->rules[i].cond);
        rnode_pick_guards(&s->rules[i]);
        s->rules[i].name_only =
            s->rules[i].scope == RULES_SCOPE_FLOW && rnode_name_only(s->rules[i].cond);
    }
    s->n_vslots = u->n;
    int oom = u->oom;
    free(u);
    if (oom)
        return -1;
    for (int sc = 0; sc < RULES_SCOPE_MAX; sc++) {
        s->by_scope[sc] = calloc(s->n ? s->n : 1, sizeof(size_t));
        if (!s->by_scope[sc])
            return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        enum rules_scope sc = s->rules[i].scope;
        s->by_scope[sc][s->n_scope[sc]++] = i;
    }
    return rpre_build(s);
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

bool rules_set_uses_fields(const struct rules_set *set, const struct xm_field_list *list)
{
    for (size_t i = 0; set && i < set->n_used; i++)
        if (rfield_in_list(set->used[i], list))
            return true;
    return false;
}

bool rules_set_uses_field(const struct rules_set *set, const char *name)
{
    for (size_t i = 0; set && i < set->n_used; i++)
        if (strcmp(set->used[i]->name, name) == 0)
            return true;
    return false;
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
