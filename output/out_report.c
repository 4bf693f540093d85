/*
 * out_report.c - what the outputs tell the operator (include/xm_out.h):
 * Prometheus counters per output and the health /healthz reports.  Reads
 * the registry of output/output.c (sink.h); changes nothing.
 */
#include "sink.h"
#include "xm_common.h"
#include "xm_prom.h"

#include <stdio.h>
#include <string.h>

/* ---- health -------------------------------------------------------------- */

/* "PATH: OP failed: ERROR" of one failing output into buf (may be cut). */
static void out_reason(const struct out *o, char *buf, size_t len)
{
    if (o->reopen_errno)
        snprintf(buf, len, "%s: reopen failed: %s", o->path, strerror(o->reopen_errno));
    else
        snprintf(buf, len, "%s: write failed: %s", o->path, strerror(o->fail_errno));
}

static bool out_is_failing(const struct out *o)
{
    return o->failing || o->reopen_errno != 0;
}

size_t out_health(char *why, size_t len)
{
    size_t n = 0, used = 0;
    if (len)
        why[0] = '\0';
    for (const struct out *o = out_registry; o; o = o->next_) {
        if (!out_is_failing(o))
            continue;
        if (len > used + 3) {
            if (n)
                used += (size_t)snprintf(why + used, len - used, "; ");
            out_reason(o, why + used, len - used);
            used += strlen(why + used);
        }
        n++;
    }
    return n;
}

/* ---- metrics ------------------------------------------------------------- */

struct out_metric {
    const char *name, *type, *help;
    size_t off;             /* offset of the uint64_t in out_stats */
};

static const struct out_metric out_metrics[] = {
    { "exfilmon_out_records_total", "counter", "Records handed to the output.",
      offsetof(struct out_stats, records) },
    { "exfilmon_out_written_total", "counter", "Records written (unix: per reader).",
      offsetof(struct out_stats, written) },
    { "exfilmon_out_dropped_total", "counter", "Records dropped: queue full or write error.",
      offsetof(struct out_stats, dropped) },
    { "exfilmon_out_errors_total", "counter", "Write errors.",
      offsetof(struct out_stats, errors) },
    { "exfilmon_out_open_errors_total", "counter",
      "Failed reopens (SIGHUP, logrotate) and their retries.",
      offsetof(struct out_stats, open_errors) },
    { "exfilmon_out_bytes_total", "counter", "Bytes written.",
      offsetof(struct out_stats, bytes) },
    { "exfilmon_out_clients", "gauge", "Readers connected to a unix socket output.",
      offsetof(struct out_stats, clients) },
};

void out_write_metrics(FILE *f)
{
    for (size_t m = 0; m < XM_ARRAY_LEN(out_metrics); m++) {
        const struct out_metric *om = &out_metrics[m];
        xm_prom_head(f, om->name, om->type, om->help);
        for (const struct out *o = out_registry; o; o = o->next_) {
            uint64_t v;
            memcpy(&v, (const char *)&o->st + om->off, sizeof v);
            const struct xm_prom_label l[] = {{"output", o->path}, {"kind", o->sink->kind}};
            xm_prom_sample(f, om->name, l, 2, v);
        }
    }
    const char *healthy = "exfilmon_out_healthy";
    xm_prom_head(f, healthy, "gauge", "1 unless the output's last write or reopen failed.");
    for (const struct out *o = out_registry; o; o = o->next_) {
        const struct xm_prom_label l[] = {{"output", o->path}, {"kind", o->sink->kind}};
        xm_prom_sample(f, healthy, l, 2, out_is_failing(o) ? 0 : 1);
    }
}
