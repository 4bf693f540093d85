/*
 * test_suppress.c - the suppression list (xm_suppress.h): drives
 * tests/suppress/semantics.tsv (which entry suppresses which alert) and
 * tests/suppress/errors.tsv (file:line:col of every refusal), then the
 * alert-record glue (xm_suppress_alert.h), hit counters and metrics.
 */
#include "xm_test.h"

#include <jansson.h>
#include <stdlib.h>

#include "xm_suppress.h"
#include "xm_suppress_alert.h"

/* "\n", "\r", "\t", "\0" escapes; returns the decoded length. */
static size_t unescape(const char *in, char *out)
{
    size_t n = 0;
    for (const char *s = in; *s; s++) {
        if (s[0] == '\\' && s[1]) {
            s++;
            out[n++] = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' :
                       *s == '0' ? '\0' : *s;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return n;
}

/* Midday UTC of a YYYY-MM-DD day, through the parser's own date code. */
static xm_time_t day_time(const char *day)
{
    char text[96];
    snprintf(text, sizeof text, "suppress sig 1 expires %sT12:00:00Z", day);
    struct suppress *s = NULL;
    struct suppress_error e;
    CHECK(suppress_parse("day", text, strlen(text), &s, &e) == 0);
    /* the expiry instant is the first time the entry no longer matches */
    xm_time_t lo = 0, hi = XM_SEC(UINT64_C(4102444800));   /* 2100 */
    while (hi - lo > 1) {
        xm_time_t mid = lo + (hi - lo) / 2;
        struct suppress_subject x = {.sid = 1, .now = mid};
        if (suppress_match(s, &x))
            lo = mid;
        else
            hi = mid;
    }
    suppress_free(s);
    return hi;
}

struct subj {
    struct suppress_subject x;
    struct xm_addr host, dst;
    char domain[256], process[64], exe[256];
};

static void subject(char *words, struct subj *s)
{
    memset(s, 0, sizeof *s);
    s->x.now = day_time("2026-03-24");
    for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
        char *eq = strchr(w, '=');
        CHECK(eq != NULL);
        if (!eq)
            continue;
        *eq++ = '\0';
        if (!strcmp(w, "sid"))
            s->x.sid = (uint32_t)strtoul(eq, NULL, 10);
        else if (!strcmp(w, "host"))
            s->x.host = xm_addr_parse(eq, &s->host) == 0 ? &s->host : NULL;
        else if (!strcmp(w, "dst"))
            s->x.dst = xm_addr_parse(eq, &s->dst) == 0 ? &s->dst : NULL;
        else if (!strcmp(w, "domain"))
            snprintf(s->domain, sizeof s->domain, "%s", eq), s->x.domain = s->domain;
        else if (!strcmp(w, "process"))
            snprintf(s->process, sizeof s->process, "%s", eq), s->x.process = s->process;
        else if (!strcmp(w, "exe"))
            snprintf(s->exe, sizeof s->exe, "%s", eq), s->x.exe = s->exe;
        else if (!strcmp(w, "day"))
            s->x.now = day_time(eq);
        else
            CHECK(!"unknown subject word");
    }
}

/* Splits a TSV row in place into up to n fields; returns how many. */
static int fields(char *line, char **f, int n)
{
    int k = 0;
    line[strcspn(line, "\n")] = '\0';
    for (char *p = line; k < n; k++) {
        f[k] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            return k + 1;
        *tab = '\0';
        p = tab + 1;
    }
    return k;
}

static void run_semantics(void)
{
    FILE *fp = fopen("tests/suppress/semantics.tsv", "r");
    CHECK(fp != NULL);
    char line[1024], text[1024];
    int rows = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        char *f[4];
        if (line[0] == '#' || line[0] == '\n' || fields(line, f, 4) != 4)
            continue;
        rows++;
        size_t n = unescape(f[1], text);
        struct suppress *s = NULL;
        struct suppress_error e;
        int rc = suppress_parse(f[0], text, n, &s, &e);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", f[0], e.msg);
        CHECK(rc == 0);
        struct subj sj;
        subject(f[2], &sj);
        size_t i = suppress_match(s, &sj.x);
        char got[16];
        snprintf(got, sizeof got, "%d", i ? suppress_line(s, i) : 0);
        const char *want = strcmp(f[3], "none") ? f[3] : "0";
        if (strcmp(got, want))
            fprintf(stderr, "row %s: entry on line %s, expected %s\n", f[0], got, f[3]);
        CHECK_STR(got, want);
        CHECK_EQ_U64(i ? suppress_hits(s, i) : 0, i ? 1 : 0);
        suppress_free(s);
    }
    if (fp)
        fclose(fp);
    CHECK(rows >= 25);
}

static void run_errors(void)
{
    FILE *fp = fopen("tests/suppress/errors.tsv", "r");
    CHECK(fp != NULL);
    char line[1024], text[1024], where[64];
    int rows = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        char *f[3];
        if (line[0] == '#' || line[0] == '\n' || fields(line, f, 3) != 3)
            continue;
        rows++;
        size_t n = unescape(f[1], text);
        struct suppress *s = NULL;
        struct suppress_error e;
        CHECK(suppress_parse("x.conf", text, n, &s, &e) == -1);
        CHECK(s == NULL);
        snprintf(where, sizeof where, "%d:%d:", e.line, e.col);
        char *msg = strchr(strchr(f[2], ':') + 1, ':') + 1;
        if (strncmp(f[2], where, strlen(where)) || !strstr(e.msg, msg))
            fprintf(stderr, "row %s: got %s%s, expected %s\n", f[0], where, e.msg, f[2]);
        CHECK(strncmp(f[2], where, strlen(where)) == 0);
        CHECK(strstr(e.msg, msg) != NULL);
    }
    if (fp)
        fclose(fp);
    CHECK(rows >= 15);
}

/* The formatted error names file:line:col and shows the line with a caret. */
static void test_error_format(void)
{
    static const char text[] = "suppress sig 1\nsuppress host 10.0.0.0/40 # x\n";
    struct suppress *s = NULL;
    struct suppress_error e;
    char buf[512];
    CHECK(suppress_parse("/etc/exfilmon/suppress.conf", text, strlen(text), &s, &e) == -1);
    suppress_error_format(&e, buf, sizeof buf);
    CHECK_STR(buf, "/etc/exfilmon/suppress.conf:2:24: error: prefix length out of range\n"
                   "    suppress host 10.0.0.0/40 # x\n"
                   "                           ^");
    CHECK(suppress_load_file("/nonexistent/suppress.conf", &s, &e) == -1);
    suppress_error_format(&e, buf, sizeof buf);
    CHECK(strstr(buf, "/nonexistent/suppress.conf: error: cannot open") == buf);
}

/* An alert record: ends from the flow in hand (local side = host), name
 * and process from the record; counters and metrics. */
static void test_alert_glue(void)
{
    static const char text[] = "suppress sig 100001 host 10.0.0.0/24\n"
                               "suppress domain backup.example.net process rsync\n";
    struct suppress *s = NULL;
    struct suppress_error e;
    CHECK(suppress_parse("t", text, strlen(text), &s, &e) == 0);
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    xm_addr_parse("203.0.113.5", &f.cli);          /* inbound: server is local */
    xm_addr_parse("10.0.0.9", &f.srv);
    f.local = FLOW_LOCAL_SERVER;
    json_t *a = json_pack("{s:{s:i}}", "alert", "signature_id", 100001);
    CHECK_EQ_U64(suppress_alert(s, a, &f, 0), 1);
    f.local = FLOW_LOCAL_NONE;                     /* no local end: no host */
    CHECK_EQ_U64(suppress_alert(s, a, &f, 0), 0);
    json_decref(a);
    a = json_pack("{s:{s:i}, s:s, s:{s:s}, s:{s:s, s:s}}", "alert", "signature_id", 5,
                  "src_ip", "10.0.0.1", "dest_name", "name", "s3.backup.example.net",
                  "process", "name", "rsync-helper", "exe", "/usr/bin/rsync");
    CHECK_EQ_U64(suppress_alert(s, a, NULL, 0), 2);
    json_decref(a);
    a = json_pack("{s:{s:i}, s:{s:{s:s}}}", "alert", "signature_id", 100001, "exfil", "key",
                  "host", "10.0.0.200");           /* host scope, no flow */
    CHECK_EQ_U64(suppress_alert(s, a, NULL, 0), 1);
    json_decref(a);
    CHECK_EQ_U64(suppress_hits(s, 1), 2);
    CHECK_EQ_U64(suppress_hits(s, 2), 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    suppress_write_metrics(s, m);
    fclose(m);
    CHECK(strstr(buf, "exfilmon_suppress_hits_total{line=\"1\"} 2\n") != NULL);
    CHECK(strstr(buf, "exfilmon_suppress_hits_total{line=\"2\"} 1\n") != NULL);
    free(buf);
    suppress_free(s);
}

/* Caps: more than SUPPRESS_MAX_ENTRIES entries is an error, not a cut. */
static void test_caps(void)
{
    size_t cap = (SUPPRESS_MAX_ENTRIES + 1) * 32;
    char *text = malloc(cap);
    size_t n = 0;
    for (int i = 0; i <= SUPPRESS_MAX_ENTRIES; i++)
        n += (size_t)snprintf(text + n, cap - n, "suppress sig %d\n", i + 1);
    struct suppress *s = NULL;
    struct suppress_error e;
    CHECK(suppress_parse("big", text, n, &s, &e) == -1);
    CHECK_EQ_U64(e.line, SUPPRESS_MAX_ENTRIES + 1);
    CHECK(strstr(e.msg, "4096") != NULL);
    free(text);
}

int main(void)
{
    run_semantics();
    run_errors();
    test_error_format();
    test_alert_glue();
    test_caps();
    return xm_test_result();
}
