/* test_prom.c - the Prometheus text writer (lib/prom.c): exact text,
 * label escaping, and the format checker of tests/prom_check.h. */
#include "xm_prom.h"
#include "xm_test.h"
#include "prom_check.h"

#include <stdlib.h>

static char *render(void (*fn)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fn(f);
    fclose(f);
    return text;
}

static void write_all(FILE *f)
{
    xm_prom_metric(f, "exfilmon_x_total", "counter", "Things counted.", 42);
    xm_prom_head(f, "exfilmon_y_total", "counter", "By reason.");
    xm_prom_u64(f, "exfilmon_y_total", "reason", "short", 3);
    xm_prom_u64(f, "exfilmon_y_total", "reason", "a\"b\\c\nd", 18446744073709551615ull);
    const struct xm_prom_label l[] = {{"output", "/tmp/x.json"}, {"kind", "file"}};
    xm_prom_head(f, "exfilmon_z", "gauge", "Two labels.");
    xm_prom_sample(f, "exfilmon_z", l, 2, 0);
    xm_prom_head(f, "exfilmon_up_seconds", "gauge", "Uptime.");
    xm_prom_fixed(f, "exfilmon_up_seconds", 1.23456, 3);
}

int main(void)
{
    char *t = render(write_all);
    CHECK(t != NULL);
    if (!t)
        return xm_test_result();
    CHECK_STR(t, "# HELP exfilmon_x_total Things counted.\n"
                 "# TYPE exfilmon_x_total counter\n"
                 "exfilmon_x_total 42\n"
                 "# HELP exfilmon_y_total By reason.\n"
                 "# TYPE exfilmon_y_total counter\n"
                 "exfilmon_y_total{reason=\"short\"} 3\n"
                 "exfilmon_y_total{reason=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n"
                 "# HELP exfilmon_z Two labels.\n"
                 "# TYPE exfilmon_z gauge\n"
                 "exfilmon_z{output=\"/tmp/x.json\",kind=\"file\"} 0\n"
                 "# HELP exfilmon_up_seconds Uptime.\n"
                 "# TYPE exfilmon_up_seconds gauge\n"
                 "exfilmon_up_seconds 1.235\n");
    char why[256] = "";
    CHECK_EQ_U64(prom_check(t, why, sizeof why), 5);
    if (why[0])
        fprintf(stderr, "prom_check: %s\n", why);
    free(t);
    return xm_test_result();
}
