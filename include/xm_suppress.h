/*
 * xm_suppress.h - alert suppression list (rules/suppress.c; file format
 * in docs/suppress.md).  Analysts silence known-good alerts without
 * touching rules, as Suricata's threshold.config `suppress`.
 *
 * One entry per line:
 *     suppress [sig ID] [host CIDR] [dst CIDR] [domain NAME]
 *              [process NAME] [expires DATE]      # comment
 * All criteria given on a line must match (at least one criterion);
 * `host` is the local host, `dst` the remote address, `domain` matches the
 * destination name or any name below it, `process` the process name or
 * the base name of its executable; `expires` (YYYY-MM-DD or
 * YYYY-MM-DDTHH:MM:SSZ, UTC, packet time) ends the entry.
 *
 * Ownership: suppress_parse / suppress_load_file return a NEW list owned by
 * the caller (suppress_free).  The list copies what it needs from the
 * text.  A list is read-only after loading except for its hit counters,
 * which suppress_match updates (single-threaded, pipeline only).  At most
 * SUPPRESS_MAX_ENTRIES entries and SUPPRESS_MAX_FILE bytes.
 */
#ifndef XM_SUPPRESS_H
#define XM_SUPPRESS_H

#include <stdio.h>

#include "xm_common.h"

#define SUPPRESS_MAX_ENTRIES 4096
#define SUPPRESS_MAX_FILE (1u << 20)
#define SUPPRESS_NAME_MAX 253

struct suppress;

/* Where a file was refused: file:line:col, message, the line itself. */
struct suppress_error {
    char file[256];
    int line, col;              /* 1-based; 0 when not about one line */
    char msg[160];
    char src_line[160];
};

/* What an alert is about; NULL / 0 members are unknown (an entry that
 * needs an unknown member does not match). */
struct suppress_subject {
    uint32_t sid;
    const struct xm_addr *host;     /* the local host */
    const struct xm_addr *dst;      /* the remote address */
    const char *domain;             /* destination name */
    const char *process;            /* process name (comm) */
    const char *exe;                /* executable path */
    xm_time_t now;                  /* packet time */
};

int suppress_parse(const char *name, const char *text, size_t len, struct suppress **out,
                   struct suppress_error *e);
int suppress_load_file(const char *path, struct suppress **out, struct suppress_error *e);
/* "FILE:LINE:COL: error: MSG\n    LINE\n    ^" into buf. */
void suppress_error_format(const struct suppress_error *e, char *buf, size_t len);
void suppress_free(struct suppress *s);

/* 1-based index of the first active entry matching x (its hit counter
 * grows), or 0. */
size_t suppress_match(struct suppress *s, const struct suppress_subject *x);
size_t suppress_count(const struct suppress *s);
/* Hits of entry i (1-based) and its source line. */
uint64_t suppress_hits(const struct suppress *s, size_t i);
int suppress_line(const struct suppress *s, size_t i);
/* Prometheus text: exfilmon_suppress_hits_total{line="N"} per entry. */
void suppress_write_metrics(const struct suppress *s, FILE *f);

#endif
