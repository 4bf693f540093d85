/*
 * metrics_proc.c - build information and process resources for /metrics
 * (see xm_metrics_proc.h).
 */
#include "xm_metrics_proc.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "xm_prom.h"
#include "xm_version.h"

static void metrics_build_info(FILE *f)
{
    const struct xm_prom_label l[] = {
        {"version", xm_version()}, {"libpcap", xm_libpcap_version()},
        {"jansson", jansson_version_str()}, {"libevent", event_get_version()}};
    xm_prom_head(f, "exfilmon_build_info", "gauge",
                 "exfilmon's version and its libraries' versions.");
    xm_prom_sample(f, "exfilmon_build_info", l, XM_ARRAY_LEN(l), 1);
}

/* Resident set size in bytes from /proc/self/statm; 0 if unreadable. */
static unsigned long long metrics_rss(void)
{
    unsigned long long size = 0, resident = 0;
    FILE *s = fopen("/proc/self/statm", "r");
    if (!s)
        return 0;
    if (fscanf(s, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose(s);
    long page = sysconf(_SC_PAGESIZE);
    return resident * (unsigned long long)(page > 0 ? page : 4096);
}

/* Process start in Unix seconds, set by metrics_process_start(). */
static double metrics_started;

void metrics_process(FILE *f)
{
    struct rusage ru;
    double cpu = 0.0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    metrics_build_info(f);
    xm_prom_metric(f, "process_resident_memory_bytes", "gauge",
                   "Resident memory size in bytes.", metrics_rss());
    xm_prom_head(f, "process_cpu_seconds_total", "counter",
                 "Total user and system CPU time spent in seconds.");
    xm_prom_fixed(f, "process_cpu_seconds_total", cpu, 6);
    if (metrics_started > 0) {
        xm_prom_head(f, "process_start_time_seconds", "gauge",
                     "Start time of the process since the Unix epoch in seconds.");
        xm_prom_fixed(f, "process_start_time_seconds", metrics_started, 3);
    }
}

void metrics_process_start(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    metrics_started = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}
