/*
 * prom.c - Prometheus text exposition (xm_prom.h).
 */
#include "xm_prom.h"

#include <inttypes.h>

void xm_prom_head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void xm_prom_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n') {
            fputs("\\n", f);
            continue;
        }
        if (*s == '\\' || *s == '"')
            fputc('\\', f);
        fputc(*s, f);
    }
}

void xm_prom_sample(FILE *f, const char *name, const struct xm_prom_label *l, size_t n,
                    uint64_t v)
{
    fputs(name, f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%c%s=\"", i ? ',' : '{', l[i].name);
        xm_prom_escape(f, l[i].value);
        fputc('"', f);
    }
    fprintf(f, "%s %" PRIu64 "\n", n ? "}" : "", v);
}

void xm_prom_u64(FILE *f, const char *name, const char *label, const char *value, uint64_t v)
{
    struct xm_prom_label l = {label, value};
    xm_prom_sample(f, name, &l, label ? 1 : 0, v);
}

void xm_prom_fixed(FILE *f, const char *name, double v, int decimals)
{
    fprintf(f, "%s %.*f\n", name, decimals, v);
}

void xm_prom_metric(FILE *f, const char *name, const char *type, const char *help,
                    uint64_t v)
{
    xm_prom_head(f, name, type, help);
    xm_prom_u64(f, name, NULL, NULL, v);
}
