/*
 * expr.c - conditions of rules ("when" expressions) into struct rnode
 * trees: fields with windows, comparisons, "in" sets, "matches", and/or/not
 * (grammar in compile.c).
 */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- expressions ------------------------------------------------------ */

void rnode_free(struct rnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkid; i++)
        rnode_free(n->kid[i]);
    free(n->kid);
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

/* Appends an empty operand slot to n and returns it (NULL: out of
 * memory, error set).  The slot stays valid until the next append. */
static struct rnode **rp_kid_slot(struct rparse *p, struct rnode *n)
{
    if (n->nkid == n->kcap) {
        size_t cap = n->kcap ? n->kcap * 2 : 2;
        struct rnode **k = realloc(n->kid, cap * sizeof *k);
        if (!k) {
            rp_oom(p);
            return NULL;
        }
        n->kid = k;
        n->kcap = cap;
    }
    n->kid[n->nkid] = NULL;
    return &n->kid[n->nkid++];
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
    struct rnode **slot = rp_kid_slot(p, x);
    if (!slot) {
        free(x);
        return -1;
    }
    *slot = *n;
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

static int rp_unary(struct rparse *p, struct rnode **out);

/* An operand that is not "not" or "(": a predicate on a field. */
static int rp_operand(struct rparse *p, struct rnode **out, const struct lex_token *t)
{
    static const char *const words[] = {"and", "or", "in", "scope", "when", "severity",
                                        "category", "mitre", "tags", "cooldown",
                                        "escalate", "rev"};
    bool reserved = false;
    for (size_t i = 0; i < XM_ARRAY_LEN(words); i++)
        reserved = reserved || lex_is(t, words[i]);
    if (t->kind != LEX_IDENT || reserved)
        return rp_err_tok(p, t, "a condition");
    return rp_predicate(p, out, t);
}

/* "not" unary | "(" expr ")": one nesting level, already counted. */
static int rp_nested(struct rparse *p, struct rnode **out, const struct lex_token *t)
{
    struct lex_token close;
    if (t->kind == LEX_LPAREN)
        return rp_expr(p, out) != 0 ? -1 : rp_expect(p, LEX_RPAREN, "')'", &close);
    struct rnode *n = rp_node(RN_NOT, t);
    if (!n)
        return rp_oom(p);
    *out = n;
    struct rnode **slot = rp_kid_slot(p, n);
    return slot ? rp_unary(p, slot) : -1;
}

/* The parser recurses once per "(" or "not", so it stops at
 * RULES_MAX_NEST levels with an error at the token that goes deeper. */
static int rp_unary(struct rparse *p, struct rnode **out)
{
    struct lex_token t;
    if (lex_next(p->lx, &t) != 0)
        return -1;
    if (!lex_is(&t, "not") && t.kind != LEX_LPAREN)
        return rp_operand(p, out, &t);
    if (p->nest >= RULES_MAX_NEST)
        return lex_error(p->lx, t.line, t.col,
                         "condition nested too deeply (at most %d levels of '(' and 'not')",
                         RULES_MAX_NEST);
    p->nest++;
    int rc = rp_nested(p, out, &t);
    p->nest--;
    return rc;
}

/* A chain of `word`-separated operands of `sub`: one n-ary node (built
 * in a loop, so its length costs no stack), or the single operand. */
static int rp_chain(struct rparse *p, struct rnode **out, const char *word,
                    enum rnode_op op, int (*sub)(struct rparse *, struct rnode **))
{
    if (sub(p, out) != 0)
        return -1;
    struct lex_token t;
    struct rnode *n = NULL, **slot;
    while (lex_peek(p->lx, &t) == 0 && lex_is(&t, word)) {
        lex_next(p->lx, &t);
        if (!n) {
            if (!(n = rp_node(op, &t)))
                return rp_oom(p);
            if (!(slot = rp_kid_slot(p, n))) {
                free(n);
                return -1;
            }
            *slot = *out;
            *out = n;
        }
        if (!(slot = rp_kid_slot(p, n)) || sub(p, slot) != 0)
            return -1;
    }
    return p->lx->err && p->lx->err->msg[0] ? -1 : 0;
}

static int rp_and(struct rparse *p, struct rnode **out)
{
    return rp_chain(p, out, "and", RN_AND, rp_unary);
}

int rp_expr(struct rparse *p, struct rnode **out)
{
    return rp_chain(p, out, "or", RN_OR, rp_and);
}
