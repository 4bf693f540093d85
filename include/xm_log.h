/*
 * xm_log.h - operator log lines on standard error (lib/log.c).
 *
 * Every line reads "2026-12-07T13:45:00.123Z exfilmon[PID]: LEVEL: message":
 * the WALL CLOCK in UTC (ISO 8601, milliseconds) and a level, for the
 * journal and for files an operator tails.  The wall clock is used for log
 * lines only, never in records (records carry packet time).  When standard
 * error is the systemd journal (JOURNAL_STREAM names it), each line also
 * starts with the sd-daemon priority prefix "<N>" so journalctl -p works.
 *
 * Not for the packet path: a log line formats and writes.  Start-up,
 * reload, errors by episode and statistics only.
 * Ownership: nothing is allocated; the module keeps two flags.
 */
#ifndef XM_LOG_H
#define XM_LOG_H

#include <stdarg.h>

enum xm_log_level { XM_LOG_ERR = 3, XM_LOG_WARN = 4, XM_LOG_NOTICE = 5, XM_LOG_INFO = 6 };

void xm_log(enum xm_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void xm_vlog(enum xm_log_level lv, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Re-reads JOURNAL_STREAM (tests; start-up calls it once implicitly). */
void xm_log_detect(void);

#define xm_err(...) xm_log(XM_LOG_ERR, __VA_ARGS__)
#define xm_warn(...) xm_log(XM_LOG_WARN, __VA_ARGS__)
#define xm_info(...) xm_log(XM_LOG_INFO, __VA_ARGS__)

#endif
