/*
 * xm_metrics_proc.h - process-level Prometheus metrics (src/metrics_proc.c):
 * build information and the process's own resources, read when /metrics
 * is served (never on the packet path).  Private to the program.
 *
 *   exfilmon_build_info{version,libpcap,jansson,libevent}  gauge, always 1
 *   process_resident_memory_bytes    gauge  (/proc/self/statm, resident pages)
 *   process_cpu_seconds_total        counter (user + system, getrusage)
 *   process_start_time_seconds       gauge  (Unix time the process started)
 * The process_* names are the ones Prometheus client libraries use, so
 * stock dashboards work.  Nothing is allocated or owned.
 */
#ifndef XM_METRICS_PROC_H
#define XM_METRICS_PROC_H

#include <stdio.h>

/* Notes the start time (call once at start-up). */
void metrics_process_start(void);
void metrics_process(FILE *f);

#endif
