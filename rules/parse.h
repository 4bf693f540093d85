/*
 * parse.h - the rule compiler's shared parser state and helpers, private
 * to rules/.  The compiler is four files, called top-down only:
 *   compile.c  rules, files, includes and sets (entry points)
 *   expr.c     conditions ("when" expressions) -> struct rnode
 *   list.c     lists (named, inline, from files) and list matching
 *   parse.c    token helpers, error reporting, file reading
 * Ownership: struct rparse is the caller's, alive for one compilation;
 * everything it builds belongs to p->set.
 */
#ifndef RULES_PARSE_H
#define RULES_PARSE_H

#include "internal.h"
#include "lex.h"

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
    int depth;                       /* include depth */
    int nest;                        /* '(' and 'not' open, <= RULES_MAX_NEST */
    char *stack[RP_MAX_DEPTH + 1];   /* realpaths of files being read */
};


/* ---- parse.c ---------------------------------------------------------- */

bool rp_accept(struct rparse *p, enum lex_kind k);
bool rp_accept_word(struct rparse *p, const char *w);
int rp_err_tok(struct rparse *p, const struct lex_token *t, const char *what);
int rp_expect(struct rparse *p, enum lex_kind k, const char *what,
                     struct lex_token *t);
int rp_oom(struct rparse *p);
char *rp_read_file(const char *path, size_t *len, int *eno);
char *rp_relpath(const char *base, const char *rel);
char *rp_strndup(const char *s, size_t n);

/* ---- list.c ----------------------------------------------------------- */

int rlist_inline(struct rparse *p, struct rlist *l);
int rlist_inline_entry(struct rparse *p, struct rlist *l, const struct lex_token *t);
const struct rlist *rp_find_list(const struct rparse *p, const char *name);
int rp_list(struct rparse *p);

/* ---- expr.c ----------------------------------------------------------- */

int rp_expr(struct rparse *p, struct rnode **out);

#endif
