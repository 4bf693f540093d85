/*
 * lists.c - intelligence list files: the parser and loader.  The file
 * format and matching order are documented in include/xm_lists.h; the
 * index and the matchers are in lists_index.c.
 *
 * Index: one open-addressing table (power-of-two slots, load <= 1/2,
 * linear probing) of entry numbers (+1, 0 = empty) holding every domain,
 * address, CIDR and port entry.  It is built while loading and never
 * changes afterwards, so no eviction is needed: the caps are
 * LISTS_MAX_ENTRIES entries and LISTS_MAX_SCAN linearly scanned entries
 * (globs, ua:, header:), and loading fails with an error past them.
 */
#include "lists_int.h"
#include "xm_netset.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define LISTS_FILE_MAX (64u << 20)   /* bytes */
#define LISTS_LABEL_MAX 63


/* Parser state for one load. */
struct lists_ctx {
    struct lists_list *l;
    const char *origin;
    uint32_t line;
    char *err;
    size_t errlen;
};

/* ---- small helpers -------------------------------------------------- */

static void lists_err(struct lists_ctx *c, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void lists_err(struct lists_ctx *c, size_t col, const char *fmt, ...)
{
    if (!c->err || !c->errlen)
        return;
    int n = snprintf(c->err, c->errlen, "%s:%u:%zu: ", c->origin, c->line, col + 1);
    if (n < 0 || (size_t)n >= c->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static char *lists_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}


static bool lists_all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Parses a decimal port 1..65535; 0 on error. */
static uint16_t lists_port(const char *s)
{
    if (!lists_all_digits(s) || strlen(s) > 5)
        return 0;
    long v = strtol(s, NULL, 10);
    return v >= 1 && v <= 65535 ? (uint16_t)v : 0;
}

const char *lists_kind_name(enum lists_kind k)
{
    static const char *const names[] = {"?", "domain", "glob", "addr", "cidr",
                                        "port", "ua", "header"};
    return (unsigned)k < XM_ARRAY_LEN(names) ? names[k] : "?";
}

/* ---- adding entries ------------------------------------------------- */

static void lists_entry_free(struct lists_entry *e)
{
    free((void *)e->text);
    free((void *)e->value);
    free((void *)e->label);
}

/* Appends *e (taking its strings); returns its index or -1 (strings freed). */
static int64_t lists_append(struct lists_ctx *c, struct lists_entry *e)
{
    struct lists_list *l = c->l;
    if (l->n >= LISTS_MAX_ENTRIES) {
        lists_err(c, 0, "too many entries (max %u)", LISTS_MAX_ENTRIES);
        goto fail;
    }
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 64;
        struct lists_entry *ne = realloc(l->ent, (size_t)nc * sizeof *ne);
        if (!ne)
            goto oom;
        l->ent = ne;
        l->cap = nc;
    }
    e->line = c->line;
    l->ent[l->n] = *e;
    return l->n++;
oom:
    lists_err(c, 0, "out of memory");
fail:
    lists_entry_free(e);
    return -1;
}

static void lists_note_len(struct lists_list *l, const struct lists_entry *e)
{
    if (e->addr.family == 4)
        l->v4len |= UINT64_C(1) << e->plen;
    else
        l->v6len[e->plen / 64] |= UINT64_C(1) << (e->plen % 64);
}

static void lists_count_kind(struct lists_list *l, const struct lists_entry *e)
{
    switch (e->kind) {
    case LISTS_DOMAIN: l->st.domains++; break;
    case LISTS_GLOB: l->st.globs++; break;
    case LISTS_ADDR: l->st.addrs++; break;
    case LISTS_CIDR: l->st.cidrs++; break;
    case LISTS_PORT: l->st.ports++; break;
    case LISTS_UA: l->st.uas++; break;
    case LISTS_HEADER: l->st.headers++; break;
    default: break;
    }
    l->st.entries++;
}

/* Adds an indexed entry (domain, addr, cidr, port); merges duplicates. */
static int lists_add_indexed(struct lists_ctx *c, struct lists_entry *e)
{
    struct lists_list *l = c->l;
    struct lists_entry *dup = (struct lists_entry *)lists_find_entry(l, e);
    if (dup) {
        dup->dflags |= e->dflags;
        l->st.duplicates++;
        lists_entry_free(e);
        return 0;
    }
    if (lists_slot_grow(l) != 0) {
        lists_err(c, 0, "out of memory");
        lists_entry_free(e);
        return -1;
    }
    int64_t idx = lists_append(c, e);
    if (idx < 0)
        return -1;
    lists_slot_put(l, (uint32_t)idx);
    if (e->kind == LISTS_ADDR || e->kind == LISTS_CIDR)
        lists_note_len(l, e);
    lists_count_kind(l, e);
    return 0;
}

static int lists_add_scanned(struct lists_ctx *c, struct lists_entry *e)
{
    struct lists_list *l = c->l;
    if (l->nscan >= LISTS_MAX_SCAN) {
        lists_err(c, 0, "too many glob/ua/header entries (max %u)", LISTS_MAX_SCAN);
        lists_entry_free(e);
        return -1;
    }
    if (!l->scan && !(l->scan = calloc(LISTS_MAX_SCAN, sizeof *l->scan))) {
        lists_err(c, 0, "out of memory");
        lists_entry_free(e);
        return -1;
    }
    int64_t idx = lists_append(c, e);
    if (idx < 0)
        return -1;
    l->scan[l->nscan++] = (uint32_t)idx;
    lists_count_kind(l, e);
    return 0;
}

/* ---- per-kind parsers ----------------------------------------------- */

/*
 * Validates and lower-cases a domain (or glob) in place.  Returns -1 when
 * valid, else the offset of the first bad character.  Labels: 1..63 of
 * [a-z0-9_-] (plus '*' when glob_ok); whole name <= 253 bytes.
 */
static long lists_check_domain(char *s, bool glob_ok)
{
    size_t n = strlen(s), lab = 0;
    if (n == 0)
        return 0;
    if (n > LISTS_DOMAIN_MAX)
        return LISTS_DOMAIN_MAX;
    for (size_t i = 0; i < n; i++) {
        char ch = (char)tolower((unsigned char)s[i]);
        s[i] = ch;
        if (ch == '.') {
            if (lab == 0)
                return (long)i;
            lab = 0;
            continue;
        }
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                  ch == '_' || (glob_ok && ch == '*');
        if (!ok || ++lab > LISTS_LABEL_MAX)
            return (long)i;
    }
    return lab == 0 ? (long)n - 1 : -1;
}

static int lists_parse_domain(struct lists_ctx *c, char *tok, size_t col, struct lists_entry *e)
{
    size_t skip = 0;
    e->kind = LISTS_DOMAIN;
    e->dflags = LISTS_D_EXACT;
    if (strncmp(tok, "*.", 2) == 0) {
        skip = 2;
        e->dflags = LISTS_D_SUB;
    } else if (tok[0] == '.') {
        skip = 1;
        e->dflags = LISTS_D_EXACT | LISTS_D_SUB;
    }
    char *name = tok + skip;
    size_t n = strlen(name);
    if (n > 1 && name[n - 1] == '.')
        name[n - 1] = '\0';
    bool glob = strchr(name, '*') != NULL;
    long bad = lists_check_domain(name, glob && skip == 0);
    if (bad >= 0) {
        lists_err(c, col + skip + (size_t)bad, "invalid domain name '%s'", tok);
        return -1;
    }
    if (glob)
        e->kind = LISTS_GLOB;
    e->text = strdup(name);
    return e->text ? 0 : -1;
}

static int lists_parse_cidr(struct lists_ctx *c, char *tok, size_t col, struct lists_entry *e)
{
    char *slash = strchr(tok, '/');
    unsigned plen;
    int rc = xm_cidr_parse(tok, strlen(tok), &e->addr, &plen);
    *slash = '\0';
    if (rc == XM_CIDR_EADDR) {
        lists_err(c, col, "invalid address '%s'", tok);
        return -1;
    }
    if (rc == XM_CIDR_EPLEN) {
        lists_err(c, col + (size_t)(slash + 1 - tok), "invalid prefix length '%s'", slash + 1);
        return -1;
    }
    if (!xm_cidr_mask(&e->addr, plen)) {
        lists_err(c, col, "host bits set in CIDR '%s/%u'", tok, plen);
        return -1;
    }
    e->kind = plen == (e->addr.family == 4 ? 32u : 128u) ? LISTS_ADDR : LISTS_CIDR;
    e->plen = (uint8_t)plen;
    *slash = '/';
    e->text = strdup(tok);
    return e->text ? 0 : -1;
}

/* "a.b.c.d", "v6", "a.b.c.d:port" or "[v6]:port". */
static int lists_parse_addr(struct lists_ctx *c, char *tok, size_t col, struct lists_entry *e)
{
    char *host = tok, *port = NULL;
    if (tok[0] == '[') {
        char *rb = strchr(tok, ']');
        if (!rb || rb[1] != ':') {
            lists_err(c, col, "invalid [address]:port '%s'", tok);
            return -1;
        }
        *rb = '\0';
        host = tok + 1;
        port = rb + 2;
    } else if (xm_addr_parse(tok, &e->addr) != 0) {
        char *colon = strrchr(tok, ':');
        if (colon && colon == strchr(tok, ':')) {
            *colon = '\0';
            port = colon + 1;
        }
    }
    if (xm_addr_parse(host, &e->addr) != 0) {
        lists_err(c, col, "invalid address '%s'", host);
        return -1;
    }
    if (port && !(e->port = lists_port(port))) {
        lists_err(c, col + (size_t)(port - tok), "invalid port '%s'", port);
        return -1;
    }
    e->kind = LISTS_ADDR;
    e->plen = e->addr.family == 4 ? 32 : 128;
    e->text = strdup(host);
    return e->text ? 0 : -1;
}

static int lists_parse_portent(struct lists_ctx *c, char *tok, size_t col, struct lists_entry *e)
{
    e->kind = LISTS_PORT;
    if (!(e->port = lists_port(tok))) {
        lists_err(c, col, "invalid port '%s'", tok);
        return -1;
    }
    e->text = strdup(tok);
    return e->text ? 0 : -1;
}

/* Kind of an undeclared token: CIDR, port, address(:port) or domain. */
static int lists_detect(const char *tok)
{
    struct xm_addr a;
    if (strchr(tok, '/'))
        return LISTS_CIDR;
    if (lists_all_digits(tok))
        return LISTS_PORT;
    if (xm_addr_parse(tok, &a) == 0 || strchr(tok, ':') || tok[0] == '[')
        return LISTS_ADDR;
    return LISTS_DOMAIN;
}

/* Chooses the parser for an address/domain/port token. */
static int lists_parse_token(struct lists_ctx *c, char *tok, size_t col, struct lists_entry *e)
{
    static const struct { const char *pfx; int kind; } decl[] = {
        {"domain:", LISTS_DOMAIN}, {"suffix:", -LISTS_DOMAIN}, {"addr:", LISTS_ADDR},
        {"cidr:", LISTS_CIDR}, {"port:", LISTS_PORT}};
    int kind = 0;
    for (size_t i = 0; i < XM_ARRAY_LEN(decl) && !kind; i++) {
        size_t n = strlen(decl[i].pfx);
        if (strncmp(tok, decl[i].pfx, n) == 0) {
            kind = decl[i].kind;
            tok += n;
            col += n;
        }
    }
    if (!*tok) {
        lists_err(c, col, "empty entry");
        return -1;
    }
    if (!kind)
        kind = lists_detect(tok);
    switch (kind) {
    case LISTS_CIDR:
        if (!strchr(tok, '/')) {
            lists_err(c, col, "CIDR needs /prefix: '%s'", tok);
            return -1;
        }
        return lists_parse_cidr(c, tok, col, e);
    case LISTS_PORT: return lists_parse_portent(c, tok, col, e);
    case LISTS_ADDR: return lists_parse_addr(c, tok, col, e);
    case -LISTS_DOMAIN:
        if (tok[0] != '.' && tok[0] != '*') {
            tok--;              /* reuse the ':' of "suffix:" as a '.' */
            col--;
            tok[0] = '.';
        }
        return lists_parse_domain(c, tok, col, e);
    default: return lists_parse_domain(c, tok, col, e);
    }
}

static bool lists_label_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && !strchr("_.+/-", s[n]))
            return false;
    return n > 0 && n <= LISTS_LABEL_MAX;
}

/* "ua:NEEDLE" - the rest of the line, lower-cased. */
static int lists_parse_ua(struct lists_ctx *c, char *rest, size_t col)
{
    struct lists_entry e;
    memset(&e, 0, sizeof e);
    while (lists_space(*rest)) {
        rest++;
        col++;
    }
    if (!*rest) {
        lists_err(c, col, "empty user-agent marker");
        return -1;
    }
    for (char *p = rest; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    e.kind = LISTS_UA;
    e.text = strdup(rest);
    e.value = strdup("");
    e.label = strdup("");
    if (!e.text || !e.value || !e.label) {
        lists_entry_free(&e);
        return -1;
    }
    return lists_add_scanned(c, &e);
}

static bool lists_tchar(char ch)
{
    return isalnum((unsigned char)ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* "header:NAME[: VALUE]" - RFC 9110 token name, value to end of line. */
static int lists_parse_header(struct lists_ctx *c, char *rest, size_t col)
{
    struct lists_entry e;
    memset(&e, 0, sizeof e);
    size_t n = 0;
    while (lists_tchar(rest[n]))
        n++;
    if (n == 0 || (rest[n] && rest[n] != ':')) {
        lists_err(c, col + n, "invalid header name");
        return -1;
    }
    const char *val = rest[n] ? rest + n + 1 : "";
    while (lists_space(*val))
        val++;
    e.kind = LISTS_HEADER;
    e.text = lists_strndup(rest, n);
    e.value = strdup(val);
    e.label = strdup("");
    if (!e.text || !e.value || !e.label) {
        lists_entry_free(&e);
        return -1;
    }
    return lists_add_scanned(c, &e);
}

/* "TOKEN [LABEL]" */
static int lists_parse_plain(struct lists_ctx *c, char *s, size_t col)
{
    struct lists_entry e;
    memset(&e, 0, sizeof e);
    char *tok = s, *label = NULL;
    char *sp = tok + strcspn(tok, " \t");
    if (*sp) {
        *sp++ = '\0';
        while (lists_space(*sp))
            sp++;
        label = sp;
        size_t ln = strcspn(label, " \t"), extra = ln;
        while (lists_space(label[extra]))
            extra++;
        if (label[ln]) {
            lists_err(c, col + (size_t)(label + extra - s), "unexpected text after label");
            return -1;
        }
        if (!lists_label_ok(label)) {
            lists_err(c, col + (size_t)(label - s), "invalid label '%s'", label);
            return -1;
        }
    }
    if (lists_parse_token(c, tok, col, &e) != 0 || !(e.value = strdup("")) ||
        !(e.label = strdup(label ? label : ""))) {
        lists_entry_free(&e);
        return -1;
    }
    return e.kind == LISTS_GLOB ? lists_add_scanned(c, &e) : lists_add_indexed(c, &e);
}

/* Cuts the comment ('#' at start or after white space) and trailing
 * white space; returns the offset of the first non-blank or -1. */
static long lists_strip(char *s)
{
    for (size_t i = 0; s[i]; i++)
        if (s[i] == '#' && (i == 0 || lists_space(s[i - 1]))) {
            s[i] = '\0';
            break;
        }
    size_t n = strlen(s);
    while (n && (lists_space(s[n - 1]) || s[n - 1] == '\r'))
        s[--n] = '\0';
    size_t i = 0;
    while (lists_space(s[i]))
        i++;
    return s[i] ? (long)i : -1;
}

static int lists_parse_line(struct lists_ctx *c, char *s)
{
    long off = lists_strip(s);
    if (off < 0)
        return 0;
    char *p = s + off;
    if (strncasecmp(p, "ua:", 3) == 0)
        return lists_parse_ua(c, p + 3, (size_t)off + 3);
    if (strncasecmp(p, "header:", 7) == 0)
        return lists_parse_header(c, p + 7, (size_t)off + 7);
    return lists_parse_plain(c, p, (size_t)off);
}

/* ---- loading -------------------------------------------------------- */

static int lists_parse_buf(struct lists_ctx *c, const char *buf, size_t len)
{
    char line[LISTS_MAX_LINE + 1];
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        c->line++;
        if (n > LISTS_MAX_LINE) {
            lists_err(c, LISTS_MAX_LINE, "line too long (max %u bytes)", LISTS_MAX_LINE);
            return -1;
        }
        memcpy(line, buf + pos, n);
        line[n] = '\0';
        if (strlen(line) != n) {
            lists_err(c, strlen(line), "NUL byte");
            return -1;
        }
        if (lists_parse_line(c, line) != 0)
            return -1;
        pos += n + 1;
    }
    return 0;
}

int lists_load_buf(const char *name, const char *origin, const char *buf, size_t len,
                   uint64_t seed, struct lists_list **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    struct lists_list *l = calloc(1, sizeof *l);
    if (!l) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", origin);
        return -1;
    }
    snprintf(l->name, sizeof l->name, "%s", name ? name : origin);
    l->seed = seed;
    struct lists_ctx c = {.l = l, .origin = origin, .line = 0, .err = err, .errlen = errlen};
    if (lists_parse_buf(&c, buf, len) != 0) {
        if (err && errlen && !err[0])
            snprintf(err, errlen, "%s:%u:1: out of memory", origin, c.line);
        lists_free(l);
        return -1;
    }
    *out = l;
    return 0;
}

/* Base name without directory and extension. */
static void lists_default_name(const char *path, char *dst, size_t dlen)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strcspn(b, ".");
    if (n >= dlen)
        n = dlen - 1;
    memcpy(dst, b, n);
    dst[n] = '\0';
}

/* Reads a whole regular file of at most LISTS_FILE_MAX bytes. */
static char *lists_read(const char *path, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f || fstat(fileno(f), &st) != 0)
        goto ioerr;
    if (st.st_size < 0 || (uint64_t)st.st_size > LISTS_FILE_MAX) {
        snprintf(err, errlen, "%s: file too large (max %u bytes)", path, LISTS_FILE_MAX);
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        goto ioerr;
    *len = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f))
        goto ioerr;
    fclose(f);
    return buf;
ioerr:
    snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
    if (f)
        fclose(f);
    free(buf);
    return NULL;
}

int lists_load_file(const char *path, const char *name, uint64_t seed,
                    struct lists_list **out, char *err, size_t errlen)
{
    char dflt[LISTS_NAME_LEN], dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    *out = NULL;
    size_t len = 0;
    char *buf = lists_read(path, &len, err, errlen);
    if (!buf)
        return -1;
    lists_default_name(path, dflt, sizeof dflt);
    int rc = lists_load_buf(name ? name : dflt, path, buf, len, seed, out, err, errlen);
    free(buf);
    return rc;
}

void lists_free(struct lists_list *l)
{
    if (!l)
        return;
    for (uint32_t i = 0; i < l->n; i++)
        lists_entry_free(&l->ent[i]);
    free(l->ent);
    free(l->slot);
    free(l->scan);
    free(l);
}

const char *lists_name(const struct lists_list *l) { return l->name; }
const struct lists_stats *lists_get_stats(const struct lists_list *l) { return &l->st; }
uint32_t lists_count(const struct lists_list *l) { return l->n; }

const struct lists_entry *lists_entry_at(const struct lists_list *l, uint32_t i)
{
    return i < l->n ? &l->ent[i] : NULL;
}
