/*
 * lex.c - the rule-language tokenizer (see lex.h).  Reads only
 * text[0, len); a NUL byte inside is an error.
 */
#include "lex.h"
#include "xm_netset.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void lex_init(struct lexer *lx, const char *file, const char *text, size_t len,
              struct rules_error *err)
{
    memset(lx, 0, sizeof *lx);
    lx->file = file;
    lx->text = text;
    lx->len = len;
    lx->line = 1;
    lx->col = 1;
    lx->err = err;
}

/* Copies source line `line` (1-based) into buf; returns the caret's
 * 1-based column in buf.  A line longer than buf that errs past its
 * first half is copied from "..." plus a window centred on col. */
static int lex_copy_line(const struct lexer *lx, int line, int col, char *buf, size_t n)
{
    size_t i = 0, o = 0, skip = 0;
    for (int l = 1; l < line && i < lx->len; i++)
        if (lx->text[i] == '\n')
            l++;
    if (col > 0 && (size_t)col > n / 2 + 1) {
        size_t end = i;
        while (end < lx->len && lx->text[end] != '\n')
            end++;
        if (end - i >= n) {
            skip = (size_t)col - 1 - n / 2 + 3;
            memcpy(buf, "...", 3);
            o = 3;
            i += skip;
        }
    }
    while (i < lx->len && lx->text[i] != '\n' && o + 1 < n) {
        char c = lx->text[i++];
        buf[o++] = c == '\t' ? ' ' : (c == '\r' ? ' ' : c);
    }
    buf[o] = '\0';
    return skip ? col - (int)skip + 3 : col;
}

int lex_error(struct lexer *lx, int line, int col, const char *fmt, ...)
{
    struct rules_error *e = lx->err;
    if (!e)
        return -1;
    memset(e, 0, sizeof *e);
    snprintf(e->file, sizeof e->file, "%s", lx->file ? lx->file : "<input>");
    e->line = line;
    e->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->src_col = lex_copy_line(lx, line, col, e->src_line, sizeof e->src_line);
    return -1;
}

void rules_error_print(const struct rules_error *e, FILE *f)
{
    if (e->line <= 0) {
        fprintf(f, "%s: error: %s\n", e->file, e->msg);
        return;
    }
    fprintf(f, "%s:%d:%d: error: %s\n    %s\n    %*s^\n", e->file, e->line,
            e->col, e->msg, e->src_line, e->src_col > 1 ? e->src_col - 1 : 0, "");
}

static int lex_ch(const struct lexer *lx, size_t ahead)
{
    size_t i = lx->pos + ahead;
    return i < lx->len ? (unsigned char)lx->text[i] : -1;
}

static void lex_adv(struct lexer *lx, size_t n)
{
    while (n-- && lx->pos < lx->len) {
        if (lx->text[lx->pos++] == '\n') {
            lx->line++;
            lx->col = 1;
        } else {
            lx->col++;
        }
    }
}

/* Skips blanks and '#' comments. */
static void lex_skip(struct lexer *lx)
{
    for (;;) {
        int c = lex_ch(lx, 0);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            lex_adv(lx, 1);
        } else if (c == '#') {
            while (lex_ch(lx, 0) != -1 && lex_ch(lx, 0) != '\n')
                lex_adv(lx, 1);
        } else {
            return;
        }
    }
}

static bool lex_word_ch(int c)
{
    return c != -1 && (isalnum(c) || c == '_' || c == '.' || c == ':' || c == '/');
}

static bool lex_ident_ch(int c)
{
    return c != -1 && (isalnum(c) || c == '_' || c == '.' || c == '-');
}

struct lex_unit_def { const char *name; enum lex_unit unit; double mult; };

static const struct lex_unit_def lex_units[] = {
    {"B", LEX_U_BYTES, 1}, {"KB", LEX_U_BYTES, 1e3}, {"MB", LEX_U_BYTES, 1e6},
    {"GB", LEX_U_BYTES, 1e9}, {"TB", LEX_U_BYTES, 1e12},
    {"KiB", LEX_U_BYTES, 1024.0}, {"MiB", LEX_U_BYTES, 1048576.0},
    {"GiB", LEX_U_BYTES, 1073741824.0}, {"TiB", LEX_U_BYTES, 1099511627776.0},
    {"s", LEX_U_SECONDS, 1}, {"m", LEX_U_SECONDS, 60}, {"h", LEX_U_SECONDS, 3600},
    {"d", LEX_U_SECONDS, 86400},
    {"bps", LEX_U_BPS, 1}, {"Kbps", LEX_U_BPS, 1e3}, {"Mbps", LEX_U_BPS, 1e6},
    {"Gbps", LEX_U_BPS, 1e9}, {"Tbps", LEX_U_BPS, 1e12},
};

static const struct lex_unit_def *lex_find_unit(const char *s, size_t n)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(lex_units); i++)
        if (strlen(lex_units[i].name) == n && memcmp(lex_units[i].name, s, n) == 0)
            return &lex_units[i];
    return NULL;
}

/* A number: digits, optional .digits, optional unit. */
static int lex_number(struct lexer *lx, struct lex_token *t)
{
    const char *s = t->text;
    size_t i = 0, n = t->len;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    t->integer = true;
    if (i < n && s[i] == '.') {
        t->integer = false;
        size_t d = ++i;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
        if (i == d)
            return lex_error(lx, t->line, t->col, "malformed number '%.*s'",
                             (int)n, s);
    }
    char num[64];
    if (i >= sizeof num)
        return lex_error(lx, t->line, t->col, "number too long");
    memcpy(num, s, i);
    num[i] = '\0';
    t->num = strtod(num, NULL);
    if (i == n)
        return 0;
    const struct lex_unit_def *u = lex_find_unit(s + i, n - i);
    if (!u)
        return lex_error(lx, t->line, t->col + (int)i, "unknown unit '%.*s'",
                         (int)(n - i), s + i);
    t->integer = false;
    t->unit = u->unit;
    t->num *= u->mult;
    if (!isfinite(t->num) || t->num > 1e18)
        return lex_error(lx, t->line, t->col, "number out of range '%.*s'",
                         (int)n, s);
    return 0;
}

/* An address or CIDR (text has ':' or '/' or is a dotted quad). */
static int lex_address(struct lexer *lx, struct lex_token *t)
{
    unsigned plen;
    int rc = xm_cidr_parse(t->text, t->len, &t->addr, &plen);
    if (rc == XM_CIDR_EADDR)
        return lex_error(lx, t->line, t->col, "malformed address '%.*s'",
                         (int)t->len, t->text);
    if (rc == XM_CIDR_EPLEN)
        return lex_error(lx, t->line, t->col, "bad prefix length in '%.*s'",
                         (int)t->len, t->text);
    t->kind = memchr(t->text, '/', t->len) ? LEX_CIDR : LEX_ADDR;
    t->prefix = (uint8_t)plen;
    return 0;
}

static bool lex_has(const struct lex_token *t, char c)
{
    return memchr(t->text, c, t->len) != NULL;
}

static size_t lex_count(const struct lex_token *t, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < t->len; i++)
        k += t->text[i] == c;
    return k;
}

/* Word starting with a digit or ':' - number, address or CIDR. */
static int lex_numeric_word(struct lexer *lx, struct lex_token *t)
{
    size_t n = 0;
    while (lex_word_ch(lex_ch(lx, n)))
        n++;
    t->len = n;
    lex_adv(lx, n);
    bool quad = lex_count(t, '.') == 3 && isdigit((unsigned char)t->text[t->len - 1]);
    if (lex_has(t, ':') || lex_has(t, '/') || quad)
        return lex_address(lx, t);
    t->kind = LEX_NUMBER;
    return lex_number(lx, t);
}

/* Identifier, or IPv6 written with a leading hex letter ("fe80::1"). */
static int lex_word(struct lexer *lx, struct lex_token *t)
{
    size_t n = 0;
    while (lex_ident_ch(lex_ch(lx, n)))
        n++;
    if (lex_ch(lx, n) == ':') {
        while (lex_word_ch(lex_ch(lx, n)))
            n++;
        t->len = n;
        lex_adv(lx, n);
        return lex_address(lx, t);
    }
    t->kind = LEX_IDENT;
    t->len = n;
    lex_adv(lx, n);
    return 0;
}

static int lex_string(struct lexer *lx, struct lex_token *t)
{
    size_t n = 1;
    for (;;) {
        int c = lex_ch(lx, n);
        if (c == -1 || c == '\n')
            return lex_error(lx, t->line, t->col, "unterminated string");
        if (c == '\\') {
            int e = lex_ch(lx, n + 1);
            if (e != '"' && e != '\\' && e != 'n' && e != 't')
                return lex_error(lx, t->line, t->col + (int)n, "bad escape in string");
            n += 2;
            continue;
        }
        n++;
        if (c == '"')
            break;
    }
    t->kind = LEX_STRING;
    t->len = n;
    lex_adv(lx, n);
    return 0;
}

struct lex_op { const char *s; enum lex_kind k; };

static const struct lex_op lex_ops[] = {
    {"<=", LEX_LE}, {">=", LEX_GE}, {"==", LEX_EQ}, {"!=", LEX_NE},
    {"<", LEX_LT}, {">", LEX_GT}, {"=", LEX_ASSIGN}, {"{", LEX_LBRACE},
    {"}", LEX_RBRACE}, {"(", LEX_LPAREN}, {")", LEX_RPAREN},
    {"[", LEX_LBRACKET}, {"]", LEX_RBRACKET}, {",", LEX_COMMA},
    {";", LEX_SEMI}, {"+", LEX_PLUS}, {"-", LEX_MINUS},
};

static int lex_operator(struct lexer *lx, struct lex_token *t)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(lex_ops); i++) {
        size_t n = strlen(lex_ops[i].s);
        if (lx->pos + n <= lx->len && memcmp(lx->text + lx->pos, lex_ops[i].s, n) == 0) {
            t->kind = lex_ops[i].k;
            t->len = n;
            lex_adv(lx, n);
            return 0;
        }
    }
    int c = lex_ch(lx, 0);
    if (isprint(c))
        return lex_error(lx, t->line, t->col, "unexpected character '%c'", c);
    return lex_error(lx, t->line, t->col, "unexpected byte 0x%02x", (unsigned)c);
}

static int lex_scan(struct lexer *lx, struct lex_token *t)
{
    lex_skip(lx);
    memset(t, 0, sizeof *t);
    t->line = lx->line;
    t->col = lx->col;
    t->text = lx->text + lx->pos;
    int c = lex_ch(lx, 0);
    if (c == -1)
        return 0;
    if (isdigit(c) || (c == ':' && lex_ch(lx, 1) == ':'))
        return lex_numeric_word(lx, t);
    if (isalpha(c) || c == '_')
        return lex_word(lx, t);
    if (c == '"')
        return lex_string(lx, t);
    return lex_operator(lx, t);
}

int lex_next(struct lexer *lx, struct lex_token *t)
{
    if (lx->has_peek) {
        *t = lx->peek;
        lx->has_peek = false;
        return 0;
    }
    return lex_scan(lx, t);
}

int lex_peek(struct lexer *lx, struct lex_token *t)
{
    if (!lx->has_peek) {
        if (lex_scan(lx, &lx->peek) != 0)
            return -1;
        lx->has_peek = true;
    }
    *t = lx->peek;
    return 0;
}

bool lex_is(const struct lex_token *t, const char *ident)
{
    return t->kind == LEX_IDENT && strlen(ident) == t->len &&
           memcmp(t->text, ident, t->len) == 0;
}

/* Unescapes a string token (without its quotes) into buf. */
static bool lex_unescape(const struct lex_token *t, char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 1; i + 1 < t->len; i++) {
        char c = t->text[i];
        if (c == '\\') {
            c = t->text[++i];
            c = c == 'n' ? '\n' : (c == 't' ? '\t' : c);
        }
        if (o + 1 >= len) {
            buf[o] = '\0';
            return false;
        }
        buf[o++] = c;
    }
    buf[o] = '\0';
    return true;
}

bool lex_text(const struct lex_token *t, char *buf, size_t len)
{
    if (len == 0)
        return false;
    if (t->kind == LEX_STRING)
        return lex_unescape(t, buf, len);
    size_t n = t->len < len - 1 ? t->len : len - 1;
    memcpy(buf, t->text, n);
    buf[n] = '\0';
    return n == t->len;
}

const char *lex_kind_name(enum lex_kind k)
{
    static const char *const names[] = {
        "end of file", "identifier", "string", "number", "address", "CIDR",
        "'<'", "'<='", "'>'", "'>='", "'=='", "'!='", "'='", "'{'", "'}'",
        "'('", "')'", "'['", "']'", "','", "';'", "'+'", "'-'",
    };
    return (size_t)k < XM_ARRAY_LEN(names) ? names[k] : "?";
}
