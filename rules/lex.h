/*
 * lex.h - tokenizer for the rule language, reusable by the config-file
 * parser.
 *
 * Tokens: identifiers (letters, digits, '_', '.', '-' inside, e.g.
 * dst.first_seen_age), "strings" (escapes \" \\ \n \t), numbers with an
 * optional unit, IPv4/IPv6 addresses and CIDRs, the operators
 * < <= > >= == != = + - and { } ( ) [ ] , ;  '#' starts a comment to end of
 * line.  Units (case-sensitive): B KB MB GB TB (1000-based) KiB MiB GiB
 * TiB (1024-based); s m h d (seconds); bps Kbps Mbps Gbps Tbps (bits/s,
 * 1000-based).
 *
 * Ownership: the lexer borrows `text` and `file` for its whole life;
 * token text points into `text`.  Nothing is allocated.
 */
#ifndef RULES_LEX_H
#define RULES_LEX_H

#include "xm_rules.h"

enum lex_kind {
    LEX_EOF = 0, LEX_IDENT, LEX_STRING, LEX_NUMBER, LEX_ADDR, LEX_CIDR,
    LEX_LT, LEX_LE, LEX_GT, LEX_GE, LEX_EQ, LEX_NE, LEX_ASSIGN,
    LEX_LBRACE, LEX_RBRACE, LEX_LPAREN, LEX_RPAREN, LEX_LBRACKET,
    LEX_RBRACKET, LEX_COMMA, LEX_SEMI, LEX_PLUS, LEX_MINUS,
};

enum lex_unit { LEX_U_NONE = 0, LEX_U_BYTES, LEX_U_SECONDS, LEX_U_BPS };

struct lex_token {
    enum lex_kind kind;
    const char *text;        /* into the source; not NUL-terminated */
    size_t len;
    int line, col;           /* 1-based */
    double num;              /* LEX_NUMBER: value in base units */
    enum lex_unit unit;
    bool integer;            /* LEX_NUMBER written without '.' or unit */
    struct xm_addr addr;     /* LEX_ADDR, LEX_CIDR */
    uint8_t prefix;          /* LEX_CIDR prefix length */
};

struct lexer {
    const char *file;
    const char *text;
    size_t len, pos;
    int line, col;
    struct lex_token peek;
    bool has_peek;
    struct rules_error *err;
};

void lex_init(struct lexer *lx, const char *file, const char *text, size_t len,
              struct rules_error *err);
/* Next token; returns 0, or -1 with *err filled. */
int lex_next(struct lexer *lx, struct lex_token *t);
int lex_peek(struct lexer *lx, struct lex_token *t);
/* Fills *err for a position; returns -1 (for `return lex_error(...)`). */
int lex_error(struct lexer *lx, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool lex_is(const struct lex_token *t, const char *ident);
/* Copies the token text (strings: unescaped) into buf; false if cut. */
bool lex_text(const struct lex_token *t, char *buf, size_t len);
const char *lex_kind_name(enum lex_kind k);

#endif
