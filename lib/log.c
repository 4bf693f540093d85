/*
 * log.c - timestamped, levelled log lines on standard error (xm_log.h).
 */
#include "xm_log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static bool log_detected, log_journal;

/* JOURNAL_STREAM is "DEV:INODE" of the journal's stream socket; stderr is
 * the journal only if it is that very socket (systemd.exec(5)). */
void xm_log_detect(void)
{
    unsigned long long dev = 0, ino = 0;
    const char *js = getenv("JOURNAL_STREAM");
    struct stat st;
    log_detected = true;
    log_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
                  fstat(STDERR_FILENO, &st) == 0 &&
                  (unsigned long long)st.st_dev == dev &&
                  (unsigned long long)st.st_ino == ino;
}

static const char *log_level_name(enum xm_log_level lv)
{
    switch (lv) {
    case XM_LOG_ERR: return "error";
    case XM_LOG_WARN: return "warning";
    case XM_LOG_NOTICE: return "notice";
    default: return "info";
    }
}

/* "2026-12-07T13:45:00.123Z" (UTC, wall clock); buf needs 32 bytes. */
static void log_stamp(char *buf, size_t len)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    time_t sec = tv.tv_sec;
    gmtime_r(&sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

void xm_vlog(enum xm_log_level lv, const char *fmt, va_list ap)
{
    char stamp[32], msg[2048];
    if (!log_detected)
        xm_log_detect();
    log_stamp(stamp, sizeof stamp);
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    char pri[8] = "";
    if (log_journal)
        snprintf(pri, sizeof pri, "<%d>", (int)lv);
    /* One fprintf per line so lines from one process do not interleave. */
    fprintf(stderr, "%s%s exfilmon[%ld]: %s: %s\n", pri, stamp, (long)getpid(),
            log_level_name(lv), msg);
    fflush(stderr);
}

void xm_log(enum xm_log_level lv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xm_vlog(lv, fmt, ap);
    va_end(ap);
}
