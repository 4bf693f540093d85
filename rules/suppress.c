/*
 * suppress.c - alert suppression list: parser and matcher.  See
 * include/xm_suppress.h for the format and ownership, docs/suppress.md
 * for the user's view.  Loading happens at start-up and on SIGHUP; the
 * matcher runs only when a rule fires, never per packet.
 */
#include "xm_suppress.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xm_prom.h"
#include "xm_rd.h"

#define SUP_PROC_MAX 63
#define SUP_MAX_TOKENS 16

enum { SUP_SIG = 1, SUP_HOST = 2, SUP_DST = 4, SUP_DOMAIN = 8, SUP_PROCESS = 16,
       SUP_EXPIRES = 32 };

struct sup_cidr {
    struct xm_addr a;
    unsigned plen;
};

struct sup_entry {
    unsigned have;                      /* SUP_* bits given on the line */
    uint32_t sid;
    struct sup_cidr host, dst;
    char domain[SUPPRESS_NAME_MAX + 1];
    char process[SUP_PROC_MAX + 1];
    xm_time_t expires;
    int line;
    uint64_t hits;
};

struct suppress {
    struct sup_entry *e;
    size_t n;
};

/* One blank-separated token of a line: [off, off + len), col 1-based. */
struct sup_tok {
    const char *s;
    size_t len;
    int col;
};

/* ---- errors ---------------------------------------------------------- */

static int sup_fail(struct suppress_error *e, int col, const char *msg)
{
    e->col = col;
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    return -1;
}

void suppress_error_format(const struct suppress_error *e, char *buf, size_t len)
{
    if (e->line > 0)
        snprintf(buf, len, "%s:%d:%d: error: %s\n    %s\n    %*s^", e->file, e->line, e->col,
                 e->msg, e->src_line, e->col > 1 ? e->col - 1 : 0, "");
    else
        snprintf(buf, len, "%s: error: %s", e->file, e->msg);
}

/* ---- values ---------------------------------------------------------- */

static bool sup_tok_is(const struct sup_tok *t, const char *w)
{
    return t->len == strlen(w) && memcmp(t->s, w, t->len) == 0;
}

/* Copies a token into a NUL-terminated buffer; false when too long. */
static bool sup_tok_copy(const struct sup_tok *t, char *buf, size_t cap)
{
    if (t->len + 1 > cap)
        return false;
    memcpy(buf, t->s, t->len);
    buf[t->len] = '\0';
    return true;
}

static bool sup_digits(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return v <= max;
}

static int sup_sig(const struct sup_tok *t, struct sup_entry *en, struct suppress_error *e)
{
    uint64_t v = 0;
    if (!sup_digits(t->s, t->len, UINT32_MAX, &v) || v == 0)
        return sup_fail(e, t->col, "sig: expected a rule id from 1 to 4294967295");
    en->sid = (uint32_t)v;
    return 0;
}

static int sup_cidr(const struct sup_tok *t, struct sup_cidr *c, struct suppress_error *e)
{
    char buf[64];
    if (!sup_tok_copy(t, buf, sizeof buf))
        return sup_fail(e, t->col, "expected an address or CIDR");
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    memset(&c->a, 0, sizeof c->a);
    if (xm_addr_parse(buf, &c->a) != 0)
        return sup_fail(e, t->col, "expected an address or CIDR (10.0.0.0/8, 2001:db8::/32)");
    unsigned max = c->a.family == 4 ? 32 : 128;
    uint64_t plen = max;
    if (slash && !sup_digits(slash + 1, strlen(slash + 1), max, &plen))
        return sup_fail(e, t->col + (int)(slash - buf) + 1, "prefix length out of range");
    c->plen = (unsigned)plen;
    return 0;
}

static bool sup_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
}

/* Domain, lower-cased; "*.example.com" and ".example.com" mean the same
 * as "example.com" (the suffix match covers names below it anyway). */
static int sup_domain(const struct sup_tok *t, struct sup_entry *en, struct suppress_error *e)
{
    struct sup_tok v = *t;
    if (v.len >= 2 && v.s[0] == '*' && v.s[1] == '.')
        v.s += 2, v.len -= 2, v.col += 2;
    else if (v.len >= 1 && v.s[0] == '.')
        v.s += 1, v.len -= 1, v.col += 1;
    if (v.len == 0 || !sup_tok_copy(&v, en->domain, sizeof en->domain))
        return sup_fail(e, t->col, "domain: expected a name of 1 to 253 characters");
    for (size_t i = 0; i < v.len; i++) {
        char c = en->domain[i];
        en->domain[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (!sup_name_char(en->domain[i]))
            return sup_fail(e, v.col + (int)i, "domain: unexpected character");
    }
    return 0;
}

static int sup_process(const struct sup_tok *t, struct sup_entry *en,
                       struct suppress_error *e)
{
    if (!sup_tok_copy(t, en->process, sizeof en->process))
        return sup_fail(e, t->col, "process: name longer than 63 characters");
    for (size_t i = 0; i < t->len; i++)
        if ((unsigned char)t->s[i] < 0x21 || (unsigned char)t->s[i] > 0x7e || t->s[i] == '/')
            return sup_fail(e, t->col + (int)i, "process: expected a name without '/'");
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t sup_days(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool sup_num(const char *s, size_t at, size_t n, uint64_t lo, uint64_t hi,
                    uint64_t *out)
{
    return sup_digits(s + at, n, hi, out) && *out >= lo;
}

static unsigned sup_mdays(uint64_t y, uint64_t m)
{
    static const unsigned md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return md[m - 1] + (m == 2 && leap);
}

/* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC. */
static int sup_expires(const struct sup_tok *t, struct sup_entry *en,
                       struct suppress_error *e)
{
    const char *s = t->s;
    uint64_t y, mo, d, h = 0, mi = 0, sec = 0;
    bool date = t->len >= 10 && s[4] == '-' && s[7] == '-' &&
                sup_num(s, 0, 4, 1970, 9999, &y) && sup_num(s, 5, 2, 1, 12, &mo) &&
                sup_num(s, 8, 2, 1, 31, &d) && d <= sup_mdays(y, mo);
    bool ok = date && (t->len == 10 ||
              (t->len == 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' &&
               sup_num(s, 11, 2, 0, 23, &h) && sup_num(s, 14, 2, 0, 59, &mi) &&
               sup_num(s, 17, 2, 0, 59, &sec)));
    if (!ok)
        return sup_fail(e, t->col, "expires: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    int64_t secs = sup_days((int64_t)y, (unsigned)mo, (unsigned)d) * 86400 +
                   (int64_t)(h * 3600 + mi * 60 + sec);
    en->expires = (xm_time_t)secs * XM_USEC_PER_SEC;
    return 0;
}

/* ---- lines ----------------------------------------------------------- */

static const struct {
    const char *key;
    unsigned bit;
} sup_keys[] = {
    {"sig", SUP_SIG}, {"host", SUP_HOST}, {"dst", SUP_DST}, {"domain", SUP_DOMAIN},
    {"process", SUP_PROCESS}, {"expires", SUP_EXPIRES},
};

static int sup_value(unsigned bit, const struct sup_tok *v, struct sup_entry *en,
                     struct suppress_error *e)
{
    switch (bit) {
    case SUP_SIG: return sup_sig(v, en, e);
    case SUP_HOST: return sup_cidr(v, &en->host, e);
    case SUP_DST: return sup_cidr(v, &en->dst, e);
    case SUP_DOMAIN: return sup_domain(v, en, e);
    case SUP_PROCESS: return sup_process(v, en, e);
    default: return sup_expires(v, en, e);
    }
}

static int sup_pair(const struct sup_tok *k, const struct sup_tok *v, struct sup_entry *en,
                    struct suppress_error *e)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(sup_keys); i++) {
        if (!sup_tok_is(k, sup_keys[i].key))
            continue;
        if (en->have & sup_keys[i].bit)
            return sup_fail(e, k->col, "this criterion is given twice on the line");
        en->have |= sup_keys[i].bit;
        return sup_value(sup_keys[i].bit, v, en, e);
    }
    return sup_fail(e, k->col, "unknown criterion (sig, host, dst, domain, process, expires)");
}

/* Splits line[0, n) (comment already cut) into blank-separated tokens. */
static size_t sup_tokens(const char *line, size_t n, struct sup_tok *t, size_t cap,
                         bool *too_many)
{
    size_t k = 0, i = 0;
    *too_many = false;
    while (i < n) {
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        size_t start = i;
        while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            i++;
        if (i == start)
            break;
        if (k == cap) {
            *too_many = true;
            return k;
        }
        t[k++] = (struct sup_tok){line + start, i - start, (int)start + 1};
    }
    return k;
}

static int sup_line(const char *line, size_t n, struct sup_entry *en, struct suppress_error *e)
{
    struct sup_tok t[SUP_MAX_TOKENS];
    bool too_many;
    size_t k = sup_tokens(line, n, t, SUP_MAX_TOKENS, &too_many);
    memset(en, 0, sizeof *en);
    if (k == 0)
        return 0;
    if (too_many)
        return sup_fail(e, t[SUP_MAX_TOKENS - 1].col, "too many words on the line");
    if (!sup_tok_is(&t[0], "suppress"))
        return sup_fail(e, t[0].col, "expected 'suppress'");
    for (size_t i = 1; i < k; i += 2) {
        if (i + 1 == k)
            return sup_fail(e, t[i].col + (int)t[i].len, "a value is missing here");
        if (sup_pair(&t[i], &t[i + 1], en, e) != 0)
            return -1;
    }
    if (!(en->have & ~(unsigned)SUP_EXPIRES))
        return sup_fail(e, t[0].col + (int)t[0].len,
                        "suppress needs at least one of sig, host, dst, domain, process");
    return 1;
}

static void sup_keep_line(struct suppress_error *e, const char *line, size_t n)
{
    size_t take = n < sizeof e->src_line - 1 ? n : sizeof e->src_line - 1;
    for (size_t i = 0; i < take; i++)
        e->src_line[i] = (line[i] == '\t' || ((unsigned char)line[i] >= 0x20 &&
                          (unsigned char)line[i] < 0x7f)) ? line[i] : '?';
    e->src_line[take] = '\0';
}

static int sup_add(struct suppress *s, const struct sup_entry *en, struct suppress_error *e)
{
    if (s->n == SUPPRESS_MAX_ENTRIES)
        return sup_fail(e, 1, "more than 4096 entries");
    struct sup_entry *grown = realloc(s->e, (s->n + 1) * sizeof *grown);
    if (!grown)
        return sup_fail(e, 1, "out of memory");
    s->e = grown;
    s->e[s->n++] = *en;
    return 0;
}

/* One line of the file: text[0, n) including a trailing comment. */
static int sup_one(struct suppress *s, const char *text, size_t n, int lineno,
                   struct suppress_error *e)
{
    const char *hash = memchr(text, '#', n);
    size_t body = hash ? (size_t)(hash - text) : n;
    struct sup_entry en;
    e->line = lineno;
    sup_keep_line(e, text, n);
    if (memchr(text, '\0', n))
        return sup_fail(e, (int)((const char *)memchr(text, '\0', n) - text) + 1,
                        "NUL byte in the file");
    int rc = sup_line(text, body, &en, e);
    if (rc <= 0)
        return rc;
    en.line = lineno;
    return sup_add(s, &en, e);
}

int suppress_parse(const char *name, const char *text, size_t len, struct suppress **out,
                   struct suppress_error *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->file, sizeof e->file, "%s", name);
    *out = NULL;
    struct suppress *s = calloc(1, sizeof *s);
    if (!s)
        return sup_fail(e, 0, "out of memory");
    struct xm_rd r;
    xm_rd_init(&r, (const uint8_t *)text, len);
    int lineno = 0;
    while (xm_rd_left(&r) > 0) {
        size_t n = 0;
        uint8_t c = 0;
        while (xm_rd_peek8(&r, n, &c) && c != '\n')
            n++;
        struct xm_rd line;
        xm_rd_sub(&r, n, &line);
        xm_rd_skip(&r, 1);
        if (sup_one(s, (const char *)line.p, line.len, ++lineno, e) != 0) {
            suppress_free(s);
            return -1;
        }
    }
    e->line = 0;
    *out = s;
    return 0;
}

int suppress_load_file(const char *path, struct suppress **out, struct suppress_error *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->file, sizeof e->file, "%s", path);
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(e->msg, sizeof e->msg, "cannot open: %s", strerror(errno));
        return -1;
    }
    char *buf = malloc(SUPPRESS_MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, SUPPRESS_MAX_FILE + 1, f) : 0;
    bool err = !buf || ferror(f);
    fclose(f);
    int rc = -1;
    if (err)
        snprintf(e->msg, sizeof e->msg, "cannot read: %s", buf ? strerror(errno) : "out of memory");
    else if (n > SUPPRESS_MAX_FILE)
        snprintf(e->msg, sizeof e->msg, "larger than %u bytes", SUPPRESS_MAX_FILE);
    else
        rc = suppress_parse(path, buf, n, out, e);
    free(buf);
    return rc;
}

void suppress_free(struct suppress *s)
{
    if (!s)
        return;
    free(s->e);
    free(s);
}

/* ---- matching -------------------------------------------------------- */

static bool sup_in(const struct sup_cidr *c, const struct xm_addr *a)
{
    if (!a || a->family != c->a.family)
        return false;
    unsigned full = c->plen / 8, rest = c->plen % 8;
    if (memcmp(a->b, c->a.b, full) != 0)
        return false;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return rest == 0 || (a->b[full] & mask) == (c->a.b[full] & mask);
}

/* name == d, or name ends with "." d (ASCII case-insensitive). */
static bool sup_suffix(const char *name, const char *d)
{
    if (!name)
        return false;
    size_t n = strlen(name), k = strlen(d);
    if (n < k || (n > k && name[n - k - 1] != '.'))
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = name[n - k + i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != d[i])
            return false;
    }
    return true;
}

static bool sup_proc(const char *want, const char *comm, const char *exe)
{
    const char *base = exe ? strrchr(exe, '/') : NULL;
    base = base ? base + 1 : exe;
    return (comm && !strcmp(comm, want)) || (base && !strcmp(base, want));
}

static bool sup_entry_matches(const struct sup_entry *en, const struct suppress_subject *x)
{
    return (!(en->have & SUP_EXPIRES) || x->now < en->expires) &&
           (!(en->have & SUP_SIG) || en->sid == x->sid) &&
           (!(en->have & SUP_HOST) || sup_in(&en->host, x->host)) &&
           (!(en->have & SUP_DST) || sup_in(&en->dst, x->dst)) &&
           (!(en->have & SUP_DOMAIN) || sup_suffix(x->domain, en->domain)) &&
           (!(en->have & SUP_PROCESS) || sup_proc(en->process, x->process, x->exe));
}

size_t suppress_match(struct suppress *s, const struct suppress_subject *x)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (sup_entry_matches(&s->e[i], x)) {
            s->e[i].hits++;
            return i + 1;
        }
    }
    return 0;
}

size_t suppress_count(const struct suppress *s) { return s ? s->n : 0; }

uint64_t suppress_hits(const struct suppress *s, size_t i)
{
    return (s && i >= 1 && i <= s->n) ? s->e[i - 1].hits : 0;
}

int suppress_line(const struct suppress *s, size_t i)
{
    return (s && i >= 1 && i <= s->n) ? s->e[i - 1].line : 0;
}

void suppress_write_metrics(const struct suppress *s, FILE *f)
{
    static const char name[] = "exfilmon_suppress_hits_total";
    xm_prom_head(f, name, "counter",
                 "Alerts suppressed, by suppression entry (line of the file).");
    for (size_t i = 0; s && i < s->n; i++) {
        char line[16];
        snprintf(line, sizeof line, "%d", s->e[i].line);
        xm_prom_u64(f, name, "line", line, s->e[i].hits);
    }
}
