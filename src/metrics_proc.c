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

#include "xm_version.h"

/* A label value with \, " and newline escaped (exposition format 0.0.4). */
static void metrics_label(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', f);
        if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
}

static void metrics_build_info(FILE *f)
{
    fputs("# HELP exfilmon_build_info exfilmon's version and its libraries' versions.\n"
          "# TYPE exfilmon_build_info gauge\nexfilmon_build_info{version=\"", f);
    metrics_label(f, xm_version());
    fputs("\",libpcap=\"", f);
    metrics_label(f, xm_libpcap_version());
    fputs("\",jansson=\"", f);
    metrics_label(f, jansson_version_str());
    fputs("\",libevent=\"", f);
    metrics_label(f, event_get_version());
    fputs("\"} 1\n", f);
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
    fprintf(f, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
               "# TYPE process_resident_memory_bytes gauge\n"
               "process_resident_memory_bytes %llu\n", metrics_rss());
    fprintf(f, "# HELP process_cpu_seconds_total Total user and system CPU time spent "
               "in seconds.\n# TYPE process_cpu_seconds_total counter\n"
               "process_cpu_seconds_total %.6f\n", cpu);
    if (metrics_started > 0)
        fprintf(f, "# HELP process_start_time_seconds Start time of the process since "
                   "the Unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
                   "process_start_time_seconds %.3f\n", metrics_started);
}

void metrics_process_start(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    metrics_started = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}
