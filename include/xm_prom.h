/*
 * xm_prom.h - the one Prometheus text-format writer (lib/prom.c):
 * "# HELP" / "# TYPE" headers and samples with escaped label values
 * (exposition format 0.0.4: backslash, double quote and newline in a
 * label value are written as \\, \" and \n).
 *
 * Ownership: writes to a caller-owned FILE; keeps nothing.  Names and
 * help texts are written as given (callers pass valid metric names).
 * Write errors are left to the caller's ferror()/fclose().
 */
#ifndef XM_PROM_H
#define XM_PROM_H

#include <stdio.h>

#include "xm_common.h"

struct xm_prom_label {
    const char *name, *value;   /* value escaped on output */
};

/* "# HELP name help\n# TYPE name type\n". */
void xm_prom_head(FILE *f, const char *name, const char *type, const char *help);
/* "name{l0=\"v0\",...} v\n"; no braces when n is 0. */
void xm_prom_sample(FILE *f, const char *name, const struct xm_prom_label *l, size_t n,
                    uint64_t v);
/* One sample with at most one label (label NULL: none). */
void xm_prom_u64(FILE *f, const char *name, const char *label, const char *value, uint64_t v);
/* "name v\n" with v printed with `decimals` digits after the point. */
void xm_prom_fixed(FILE *f, const char *name, double v, int decimals);
/* Header plus one unlabelled sample. */
void xm_prom_metric(FILE *f, const char *name, const char *type, const char *help,
                    uint64_t v);
/* Writes a label value escaped (see above). */
void xm_prom_escape(FILE *f, const char *s);

#endif
