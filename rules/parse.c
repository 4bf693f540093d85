/*
 * parse.c - token helpers, error reporting and file reading shared by the
 * rule compiler (rules/parse.h).  Calls only the lexer.
 */
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- small helpers ---------------------------------------------------- */

char *rp_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int rp_oom(struct rparse *p)
{
    return lex_error(p->lx, 0, 0, "out of memory");
}

int rp_err_tok(struct rparse *p, const struct lex_token *t, const char *what)
{
    if (t->kind == LEX_EOF)
        return lex_error(p->lx, t->line, t->col, "expected %s, got end of file", what);
    return lex_error(p->lx, t->line, t->col, "expected %s, got '%.*s'", what,
                     (int)t->len, t->text);
}

int rp_expect(struct rparse *p, enum lex_kind k, const char *what,
                     struct lex_token *t)
{
    if (lex_next(p->lx, t) != 0)
        return -1;
    return t->kind == k ? 0 : rp_err_tok(p, t, what);
}

bool rp_accept(struct rparse *p, enum lex_kind k)
{
    struct lex_token t;
    if (lex_peek(p->lx, &t) != 0 || t.kind != k)
        return false;
    lex_next(p->lx, &t);
    return true;
}

bool rp_accept_word(struct rparse *p, const char *w)
{
    struct lex_token t;
    if (lex_peek(p->lx, &t) != 0 || !lex_is(&t, w))
        return false;
    lex_next(p->lx, &t);
    return true;
}

/* Reads a whole file (at most RP_MAX_FILE bytes); caller frees. */
char *rp_read_file(const char *path, size_t *len, int *eno)
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
char *rp_relpath(const char *base, const char *rel)
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
