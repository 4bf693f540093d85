/*
 * prom_check.h - a strict validator for the Prometheus text exposition
 * format 0.0.4, used by test_http and (through prom_check_main.c) by the
 * live tests.
 *
 * Accepted lines: "# HELP name text", "# TYPE name counter|gauge|
 * histogram|summary|untyped", other "# ..." comments, blank lines, and
 * samples "name[{label="value",...}] value [timestamp_ms]".  A TYPE line
 * must come before the samples of its metric and at most once; every
 * sample of a metric family must be contiguous.  Returns the number of
 * samples, or -1 with why filled ("line N: reason").
 */
#ifndef PROM_CHECK_H
#define PROM_CHECK_H

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_MAX_FAMILIES 512

struct prom_state {
    char typed[PROM_MAX_FAMILIES][128];  /* names with a TYPE line */
    size_t n_typed;
    char done[PROM_MAX_FAMILIES][128];   /* families whose samples ended */
    size_t n_done;
    char cur[128];                       /* family of the last sample */
};

static bool prom_name_ch(int c, bool first)
{
    return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

/* Reads a metric or label name at *p; copies it into out. */
static bool prom_name(const char **p, char *out, size_t n, bool label)
{
    size_t i = 0;
    while (prom_name_ch((unsigned char)**p, i == 0) && !(label && **p == ':')) {
        if (i + 1 >= n)
            return false;
        out[i++] = *(*p)++;
    }
    out[i] = '\0';
    return i > 0;
}

static bool prom_in(char list[][128], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* {a="x",b="y"} with escapes \\ \" \n only. */
static bool prom_labels(const char **p)
{
    char name[128];
    if (**p != '{')
        return true;
    (*p)++;
    while (**p != '}') {
        if (!prom_name(p, name, sizeof name, true) || *(*p)++ != '=' || *(*p)++ != '"')
            return false;
        while (**p != '"') {
            if (**p == '\0' || **p == '\n')
                return false;
            if (**p == '\\' && strchr("\\\"n", (*p)[1]) == NULL)
                return false;
            *p += **p == '\\' ? 2 : 1;
        }
        (*p)++;
        if (**p == ',')
            (*p)++;
        else if (**p != '}')
            return false;
    }
    (*p)++;
    return true;
}

static bool prom_value(const char *s, const char **end)
{
    if (strncmp(s, "+Inf", 4) == 0 || strncmp(s, "-Inf", 4) == 0 || strncmp(s, "NaN", 3) == 0) {
        *end = s + (s[0] == 'N' ? 3 : 4);
        return true;
    }
    char *e = NULL;
    (void)strtod(s, &e);
    *end = e;
    return e != s && (isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.');
}

/* Family name of a sample: histogram/summary suffixes fold into it. */
static void prom_family(const char *name, char *fam, size_t n, struct prom_state *st)
{
    static const char *const sfx[] = { "_bucket", "_sum", "_count" };
    snprintf(fam, n, "%s", name);
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(name), k = strlen(sfx[i]);
        if (l > k && strcmp(name + l - k, sfx[i]) == 0) {
            char base[128];
            snprintf(base, sizeof base, "%.*s", (int)(l - k), name);
            if (prom_in(st->typed, st->n_typed, base))
                snprintf(fam, n, "%s", base);
        }
    }
}

static int prom_sample(const char *line, struct prom_state *st)
{
    char name[128], fam[128];
    const char *p = line, *e;
    if (!prom_name(&p, name, sizeof name, false) || !prom_labels(&p) || *p++ != ' ')
        return -1;
    if (!prom_value(p, &e))
        return -1;
    if (*e == ' ') {                    /* optional integer timestamp */
        char *te = NULL;
        (void)strtoll(e + 1, &te, 10);
        if (te == e + 1)
            return -1;
        e = te;
    }
    if (*e != '\0')
        return -1;
    prom_family(name, fam, sizeof fam, st);
    if (strcmp(fam, st->cur) != 0) {
        if (prom_in(st->done, st->n_done, fam) || st->n_done >= PROM_MAX_FAMILIES)
            return -2;                  /* family split in two runs */
        if (st->cur[0])
            snprintf(st->done[st->n_done++], 128, "%s", st->cur);
        snprintf(st->cur, sizeof st->cur, "%s", fam);
    }
    return 0;
}

static int prom_comment(const char *line, struct prom_state *st)
{
    char name[128];
    const char *p = line + 1;
    bool help = strncmp(p, " HELP ", 6) == 0, type = strncmp(p, " TYPE ", 6) == 0;
    if (!help && !type)
        return 0;
    p += 6;
    if (!prom_name(&p, name, sizeof name, false) || *p != ' ')
        return -1;
    if (help)
        return 0;
    p++;
    static const char *const types[] = { "counter", "gauge", "histogram", "summary", "untyped" };
    bool ok = false;
    for (size_t i = 0; i < 5; i++)
        ok |= strcmp(p, types[i]) == 0;
    if (!ok || prom_in(st->typed, st->n_typed, name) || st->n_typed >= PROM_MAX_FAMILIES ||
        prom_in(st->done, st->n_done, name) || strcmp(st->cur, name) == 0)
        return -1;                      /* bad, repeated or after its samples */
    snprintf(st->typed[st->n_typed++], 128, "%s", name);
    return 0;
}

static int prom_check(const char *text, char *why, size_t whylen)
{
    struct prom_state *st = calloc(1, sizeof *st);
    int samples = 0, lineno = 0, rc = 0;
    const char *p = text;
    if (!st)
        return -1;
    while (*p && rc == 0) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            snprintf(why, whylen, "line %d: no final newline", lineno + 1);
            rc = -1;
            break;
        }
        char line[4096];
        size_t len = (size_t)(nl - p) < sizeof line - 1 ? (size_t)(nl - p) : sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        lineno++;
        if (line[0] == '#')
            rc = prom_comment(line, st);
        else if (line[0] != '\0' && (rc = prom_sample(line, st)) == 0)
            samples++;
        if (rc != 0)
            snprintf(why, whylen, "line %d: %s: %.200s", lineno,
                     rc == -2 ? "metric family not contiguous" : "malformed", line);
        p = nl + 1;
    }
    free(st);
    return rc == 0 ? samples : -1;
}

#endif
