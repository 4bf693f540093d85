/*
 * report.c - `exfilmon report [-o FILE.html] RECORDS...`: reads incident,
 * alert and flow records (JSON lines as exfilmon writes them; `-` is
 * standard input) and writes one self-contained HTML file (inline CSS and
 * SVG, no script, nothing fetched) plus a plain-text summary on standard
 * output.  Incidents are ranked by severity, then score; each shows its
 * evidence, names, process, a chart of bytes out per minute (per hour
 * for incidents over a day) to its destinations from the flow records,
 * and the commands that reproduce it.
 *
 * Offline tool: allocation per record is fine here.  A line that is not
 * JSON is reported with file:line and skipped (counted); an unreadable
 * file or an unwritable output is an error (exit 1).
 */
#include "xm_report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#define RP_MAX_BUCKETS 1440

struct rp {
    json_t *incidents;     /* id (string) -> latest record */
    json_t *order;         /* ids in order of first appearance */
    json_t *flows;         /* flow_id (string) -> latest record */
    json_t *alerts;        /* signature -> count */
    uint64_t n_alerts, n_bad;
};

/* ---- reading ------------------------------------------------------------ */

static const char *rp_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Incident ids restart with every run: the key adds the host and the
 * opening time, so records of several runs can be read together. */
static void rp_take_incident(struct rp *r, json_t *rec)
{
    const json_t *inc = json_object_get(rec, "incident");
    char key[192];
    snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT " %s %s",
             json_integer_value(json_object_get(inc, "id")), rp_str(rec, "src_ip"),
             rp_str(inc, "first_seen"));
    if (!json_object_get(r->incidents, key))
        json_array_append_new(r->order, json_string(key));
    json_object_set(r->incidents, key, rec);
}

static void rp_take_alert(struct rp *r, const json_t *rec)
{
    const char *sig = rp_str(json_object_get(rec, "alert"), "signature");
    json_t *n = json_object_get(r->alerts, sig);
    json_object_set_new(r->alerts, sig, json_integer(json_integer_value(n) + 1));
    r->n_alerts++;
}

static void rp_take(struct rp *r, json_t *rec)
{
    const char *type = rp_str(rec, "event_type");
    char key[32];
    if (!strcmp(type, "incident")) {
        rp_take_incident(r, rec);
    } else if (!strcmp(type, "flow")) {
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(rec, "flow_id")));
        json_object_set(r->flows, key, rec);
    } else if (!strcmp(type, "alert")) {
        rp_take_alert(r, rec);
    }
}

static int rp_read(struct rp *r, const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    if (!f) {
        fprintf(stderr, "exfilmon report: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        json_t *rec = json_loads(line, 0, &jerr);
        lineno++;
        if (!json_is_object(rec)) {
            if (r->n_bad++ < 5)
                fprintf(stderr, "exfilmon report: %s:%lu: not a JSON record, skipped\n",
                        path, lineno);
        } else {
            rp_take(r, rec);
        }
        json_decref(rec);
    }
    free(line);
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad)
        fprintf(stderr, "exfilmon report: %s:%lu: read error\n", path, lineno);
    return bad ? -1 : 0;
}

/* ---- small helpers -------------------------------------------------------- */

static const json_t *rp_inc(const json_t *rec) { return json_object_get(rec, "incident"); }

static long long rp_int(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* "2026-03-24T09:10:00.010000+0000" -> seconds since the epoch (UTC). */
static double rp_time(const char *s)
{
    struct tm tm;
    double frac = 0;
    memset(&tm, 0, sizeof tm);
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    if (s[19] == '.')
        frac = strtod(s + 19, NULL);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + frac;
}

static void rp_bytes(double v, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void rp_html(FILE *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '&': fputs("&amp;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&#39;", o); break;
        default: fputc(*s, o);
        }
    }
}

/* ---- ranking -------------------------------------------------------------- */

static int rp_cmp(const void *pa, const void *pb)
{
    const json_t *a = rp_inc(*(json_t *const *)pa), *b = rp_inc(*(json_t *const *)pb);
    long long sa = rp_int(a, "severity"), sb = rp_int(b, "severity");
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (rp_int(a, "score") != rp_int(b, "score"))
        return rp_int(a, "score") > rp_int(b, "score") ? -1 : 1;
    return rp_int(a, "id") < rp_int(b, "id") ? -1 : 1;
}

/* The latest record of every incident, most severe first; *n set. */
static json_t **rp_ranked(const struct rp *r, size_t *n)
{
    *n = json_array_size(r->order);
    json_t **v = calloc(*n ? *n : 1, sizeof *v);
    for (size_t i = 0; v && i < *n; i++)
        v[i] = json_object_get(r->incidents, json_string_value(json_array_get(r->order, i)));
    if (v)
        qsort(v, *n, sizeof *v, rp_cmp);
    return v;
}

/* ---- chart ---------------------------------------------------------------- */

struct rp_chart {
    double t0, step;               /* seconds */
    size_t n;
    double bytes[RP_MAX_BUCKETS];
};

static bool rp_is_dest(const json_t *inc, const char *ip)
{
    const json_t *d;
    size_t i;
    json_array_foreach(json_object_get(inc, "destinations"), i, d)
        if (!strcmp(rp_str(d, "ip"), ip))
            return true;
    return false;
}

/* Spreads `bytes` evenly over [start, end] into the chart's buckets. */
static void rp_spread(struct rp_chart *c, double start, double end, double bytes)
{
    if (end < start)
        end = start;
    double span = end - start;
    for (size_t b = 0; b < c->n; b++) {
        double lo = c->t0 + (double)b * c->step, hi = lo + c->step;
        if (span <= 0) {
            if (start >= lo && start < hi)
                c->bytes[b] += bytes;
            continue;
        }
        double ov = (end < hi ? end : hi) - (start > lo ? start : lo);
        if (ov > 0)
            c->bytes[b] += bytes * ov / span;
    }
}

static void rp_chart_frame(struct rp_chart *c, const json_t *inc)
{
    double t0 = rp_time(rp_str(inc, "first_seen")), t1 = rp_time(rp_str(inc, "last_seen"));
    double span = t1 - t0 + 600;                   /* ten minutes either side */
    c->step = span > 86400 ? 3600 : 60;
    c->t0 = t0 - 600 - (double)((long long)(t0 - 600) % (long long)c->step);
    c->n = (size_t)((t1 + 600 - c->t0) / c->step) + 1;
    if (c->n > RP_MAX_BUCKETS)
        c->n = RP_MAX_BUCKETS;
}

static void rp_chart_fill(struct rp_chart *c, const struct rp *r, const json_t *rec)
{
    const json_t *inc = rp_inc(rec), *flow;
    const char *host = rp_str(rec, "src_ip"), *key;
    memset(c, 0, sizeof *c);
    rp_chart_frame(c, inc);
    json_object_foreach(r->flows, key, flow) {
        const json_t *eg = json_object_get(flow, "egress"), *fl = json_object_get(flow, "flow");
        if (strcmp(rp_str(eg, "local_ip"), host) || !rp_is_dest(inc, rp_str(eg, "remote_ip")))
            continue;
        rp_spread(c, rp_time(rp_str(fl, "start")), rp_time(rp_str(fl, "end")),
                  (double)rp_int(eg, "bytes_out"));
    }
}

static void rp_svg(FILE *o, const struct rp_chart *c)
{
    double max = 1;
    char lab[32], t0[32], t1[32];
    for (size_t i = 0; i < c->n; i++)
        if (c->bytes[i] > max)
            max = c->bytes[i];
    rp_bytes(max, lab, sizeof lab);
    time_t a = (time_t)c->t0, b = (time_t)(c->t0 + c->step * (double)c->n);
    strftime(t0, sizeof t0, "%Y-%m-%d %H:%M", gmtime(&a));
    strftime(t1, sizeof t1, "%Y-%m-%d %H:%M", gmtime(&b));
    fprintf(o, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" "
               "height=\"170\" role=\"img\"><title>bytes out per %s</title>\n",
            c->step > 60 ? "hour" : "minute");
    fprintf(o, "<line x1=\"40\" y1=\"140\" x2=\"750\" y2=\"140\" stroke=\"#888\"/>\n");
    double w = 710.0 / (double)c->n;
    for (size_t i = 0; i < c->n; i++) {
        double h = c->bytes[i] / max * 120;
        if (h > 0)
            fprintf(o, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>\n",
                    40 + w * (double)i, 140 - h, w > 1.5 ? w - 0.5 : w, h);
    }
    fprintf(o, "<text x=\"2\" y=\"24\">%s</text><text x=\"40\" y=\"160\">%s UTC</text>"
               "<text x=\"750\" y=\"160\" text-anchor=\"end\">%s UTC</text></svg>\n", lab, t0, t1);
}

/* ---- HTML ----------------------------------------------------------------- */

static const char rp_css[] =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "section.incident{border:1px solid #ccc;border-radius:6px;padding:1em;margin:1em 0}"
    ".sev-critical{border-left:8px solid #b00020!important}.sev-high{border-left:8px solid #e65100!important}"
    ".sev-medium{border-left:8px solid #f9a825!important}.sev-low{border-left:8px solid #9e9e9e!important}"
    "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}"
    "rect.bar{fill:#1565c0}svg text{font-size:11px;fill:#555}code{background:#f4f4f4;padding:2px 4px}";

static void rp_html_hits(FILE *o, const json_t *inc)
{
    const json_t *h;
    size_t i;
    fputs("<table class=\"hits\"><tr><th>rule</th><th>signature</th><th>severity</th>"
          "<th>count</th><th>first</th><th>last</th></tr>\n", o);
    json_array_foreach(json_object_get(inc, "hits"), i, h) {
        fprintf(o, "<tr><td>%lld</td><td>", rp_int(h, "signature_id"));
        rp_html(o, rp_str(h, "signature"));
        fprintf(o, "</td><td>%s</td><td>%lld</td><td>%s</td><td>%s</td></tr>\n",
                rp_str(h, "severity_name"), rp_int(h, "count"), rp_str(h, "first_seen"),
                rp_str(h, "last_seen"));
    }
    fputs("</table>\n", o);
}

static void rp_html_dests(FILE *o, const json_t *inc)
{
    const json_t *d, *q;
    size_t i;
    fputs("<p>Destinations: ", o);
    json_array_foreach(json_object_get(inc, "destinations"), i, d) {
        fputs(i ? ", <code>" : "<code>", o);
        rp_html(o, rp_str(d, "ip"));
        fputs("</code>", o);
        if (*rp_str(d, "name")) {
            fputs(" (", o);
            rp_html(o, rp_str(d, "name"));
            fprintf(o, ", %s)", rp_str(d, "source"));
        }
    }
    fputs("</p>\n", o);
    json_array_foreach(json_object_get(inc, "dns_queries"), i, q) {
        fputs(i ? ", " : "<p>DNS queries: ", o);
        rp_html(o, json_string_value(q));
    }
    if (json_array_size(json_object_get(inc, "dns_queries")))
        fputs("</p>\n", o);
}

static void rp_html_terms(FILE *o, const json_t *inc)
{
    const json_t *t;
    size_t i;
    fprintf(o, "<p>Score %lld = ", rp_int(inc, "score"));
    json_array_foreach(json_object_get(inc, "score_terms"), i, t)
        fprintf(o, "%s%s %+lld", i ? ", " : "", rp_str(t, "term"), rp_int(t, "points"));
    fputs("</p>\n", o);
}

static void rp_html_context(FILE *o, const json_t *rec)
{
    /* schema 2.0: local_host; 1.x records carried the object as host */
    const json_t *host = json_object_get(rec, "local_host"), *proc = json_object_get(rec, "process");
    const json_t *e;
    if (!host && json_is_object(json_object_get(rec, "host")))
        host = json_object_get(rec, "host");
    size_t i;
    if (json_is_true(json_object_get(host, "ai"))) {
        fputs("<p>AI-tooling host; evidence: ", o);
        json_array_foreach(json_object_get(host, "evidence"), i, e) {
            fprintf(o, "%s%s ", i ? ", " : "", rp_str(e, "kind"));
            rp_html(o, rp_str(e, "detail"));
        }
        fputs("</p>\n", o);
    }
    if (proc) {
        fprintf(o, "<p>Process: pid %lld <code>", rp_int(proc, "pid"));
        rp_html(o, rp_str(proc, "exe"));
        fputs("</code></p>\n", o);
    }
}

/* The commands that reproduce the incident from its inputs. */
static void rp_html_repro(FILE *o, const json_t *rec)
{
    const json_t *inc = rp_inc(rec), *d;
    size_t i;
    fprintf(o, "<p>Records: <code>jq -c 'select(.incident.id == %lld)' RECORDS.json</code><br>"
               "Traffic: <code>tcpdump -r CAPTURE -w incident-%lld.pcap 'host ",
            rp_int(inc, "id"), rp_int(inc, "id"));
    rp_html(o, rp_str(rec, "src_ip"));
    json_array_foreach(json_object_get(inc, "destinations"), i, d) {
        fputs(i ? " or " : " and (", o);
        rp_html(o, rp_str(d, "ip"));
    }
    fputs(json_array_size(json_object_get(inc, "destinations")) ? ")'</code></p>\n"
                                                                : "'</code></p>\n", o);
}

static void rp_html_incident(FILE *o, const struct rp *r, const json_t *rec, struct rp_chart *c)
{
    const json_t *inc = rp_inc(rec), *g = json_object_get(inc, "group");
    char out[32];
    rp_bytes((double)rp_int(inc, "bytes_out"), out, sizeof out);
    fprintf(o, "<section class=\"incident sev-%s\" data-incident=\"%lld\">\n"
               "<h2>Incident %lld: ", rp_str(inc, "severity_name"), rp_int(inc, "id"),
            rp_int(inc, "id"));
    rp_html(o, rp_str(rec, "src_ip"));
    fprintf(o, " &rarr; %s ", rp_str(g, "kind"));
    rp_html(o, rp_str(g, "value"));
    fprintf(o, "</h2>\n<p><b>%s</b>, %s out, %s to %s (%s)</p>\n", rp_str(inc, "severity_name"),
            out, rp_str(inc, "first_seen"), rp_str(inc, "last_seen"), rp_str(inc, "state"));
    rp_html_terms(o, inc);
    rp_chart_fill(c, r, rec);
    rp_svg(o, c);
    rp_html_hits(o, inc);
    rp_html_dests(o, inc);
    rp_html_context(o, rec);
    rp_html_repro(o, rec);
    fputs("</section>\n", o);
}

static void rp_html_alerts(FILE *o, const struct rp *r)
{
    const char *sig;
    const json_t *n;
    if (!r->n_alerts)
        return;
    fprintf(o, "<h2>Raw alerts (%" PRIu64 ")</h2>\n<table class=\"alerts\">", r->n_alerts);
    json_object_foreach(r->alerts, sig, n) {
        fputs("<tr><td>", o);
        rp_html(o, sig);
        fprintf(o, "</td><td>%lld</td></tr>\n", (long long)json_integer_value(n));
    }
    fputs("</table>\n", o);
}

static int rp_write_html(const struct rp *r, json_t **v, size_t n, const char *path)
{
    FILE *o = fopen(path, "w");
    struct rp_chart *c = malloc(sizeof *c);
    if (!o || !c) {
        fprintf(stderr, "exfilmon report: %s: %s\n", path, strerror(errno));
        if (o)
            fclose(o);
        free(c);
        return -1;
    }
    fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<title>exfilmon report</title><style>%s</style></head><body>\n"
               "<h1>exfilmon report: %zu incidents</h1>\n", rp_css, n);
    for (size_t i = 0; i < n; i++)
        rp_html_incident(o, r, v[i], c);
    rp_html_alerts(o, r);
    fputs("</body></html>\n", o);
    free(c);
    int bad = ferror(o);
    if (fclose(o) != 0 || bad) {
        fprintf(stderr, "exfilmon report: %s: write failed: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void rp_write_text(json_t **v, size_t n)
{
    printf("%zu incidents\n", n);
    for (size_t i = 0; i < n; i++) {
        const json_t *inc = rp_inc(v[i]), *g = json_object_get(inc, "group");
        char out[32];
        rp_bytes((double)rp_int(inc, "bytes_out"), out, sizeof out);
        printf("#%lld %-8s score %3lld  %s -> %s %s  %s out  %zu rules  %s .. %s\n",
               rp_int(inc, "id"), rp_str(inc, "severity_name"), rp_int(inc, "score"),
               rp_str(v[i], "src_ip"), rp_str(g, "kind"), rp_str(g, "value"), out,
               json_array_size(json_object_get(inc, "hits")), rp_str(inc, "first_seen"),
               rp_str(inc, "last_seen"));
    }
}

int report_main(int argc, char **argv)
{
    struct rp r = {json_object(), json_array(), json_object(), json_object(), 0, 0};
    const char *out = "exfilmon-report.html";
    int i = 1, rc = 0;
    if (i + 1 < argc && !strcmp(argv[i], "-o")) {
        out = argv[i + 1];
        i += 2;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: exfilmon report [-o FILE.html] RECORDS.json...\n");
        rc = 2;
        goto done;
    }
    for (; i < argc; i++)
        if (rp_read(&r, argv[i]) != 0)
            rc = 1;
    size_t n;
    json_t **v = rp_ranked(&r, &n);
    rp_write_text(v, n);
    if (rp_write_html(&r, v, n, out) != 0)
        rc = 1;
    free(v);
done:
    json_decref(r.incidents);
    json_decref(r.order);
    json_decref(r.flows);
    json_decref(r.alerts);
    return rc;
}
