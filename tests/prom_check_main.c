/*
 * prom_check_main.c - validates Prometheus text on standard input (see
 * prom_check.h).  Prints the sample count; exit 0 valid, 1 invalid.
 * Used by tests/live/signals.sh on what curl fetched from /metrics.
 */
#include "prom_check.h"

int main(void)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf)
        return 1;
    buf[len] = '\0';
    char why[512] = "";
    int samples = prom_check(buf, why, sizeof why);
    free(buf);
    if (samples < 0) {
        fprintf(stderr, "prom_check: %s\n", why);
        return 1;
    }
    printf("%d samples\n", samples);
    return 0;
}
