/*
 * xm_out.h - JSON-lines outputs (output/output.c).
 *
 * An output is a destination for one kind of record (alerts or flows):
 * a file (appended, reopened by out_reopen for logrotate), standard
 * output ("-"), syslog or a Unix socket.  out_write() takes ownership of
 * the json_t and never blocks the capture for long: in live mode each
 * output has a bounded queue and counts what it had to drop; a write error
 * (full disk) is reported once per episode with the file name and counted,
 * never fatal.  In replay mode (blocking=true) nothing is dropped.
 * Ownership: the output owns its buffer, queue and descriptor.
 */
#ifndef XM_OUT_H
#define XM_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct out;

struct out_stats {
    uint64_t records;    /* records handed to out_write */
    uint64_t written;    /* records fully written */
    uint64_t dropped;    /* records dropped (queue full or write error) */
    uint64_t errors;     /* write errors */
    uint64_t open_errors; /* failed reopens, retries included */
    uint64_t bytes;      /* bytes written */
    uint64_t clients;    /* unix: readers connected now */
    uint64_t clients_refused; /* unix: readers refused (cap reached) */
};

/* Opens "-" (stdout), "syslog" / "syslog:IDENT" (RFC 5424 to /dev/log),
 * "unix:/path.sock" (listening socket readers can follow) or a file path
 * for appending.  blocking: replay semantics (never drop).  Returns NULL
 * and fills err on failure. */
struct out *out_open(const char *path, bool blocking, char *err, size_t errlen);
/* Serialises and queues one record; takes ownership of rec. */
void out_write(struct out *o, json_t *rec);
/* out_write to each of the n outputs (NULL entries skipped), the record
 * serialised once (the text of several sinks is the same); takes
 * ownership of rec. */
void out_write_many(struct out *const *os, size_t n, json_t *rec);
/* Queues one record already serialised (the streaming EVE writer,
 * include/xm_evew.h): s is compact JSON text of n bytes with no newline,
 * type its event_type (redis streams, syslog MSGID), key its local host
 * (egress.local_ip, else src_ip; "" when none: the Kafka message key).
 * All stay the caller's (copied).  o NULL: nothing. */
void out_write_text(struct out *o, const char *type, const char *key, const char *s,
                    size_t n);
/* Writes out whatever is buffered; returns 0, or -1 on a write error. */
int out_flush(struct out *o);
/* Closes and reopens the file (after logrotate moved it).  On failure
 * the previous file stays in use, the output counts as failing, and
 * out_flush() retries the reopen until it works.  Returns 0, or -1 with
 * err filled the first time of an episode (reported once). */
int out_reopen(struct out *o, char *err, size_t errlen);
/* Health of every open output: how many are failing (last write or
 * reopen failed and nothing has succeeded since); why gets their reasons,
 * "PATH: write failed: ERROR; PATH: reopen failed: ERROR" (cut at len). */
size_t out_health(char *why, size_t len);
const struct out_stats *out_get_stats(const struct out *o);
const char *out_path(const struct out *o);
void out_close(struct out *o);
/* Prometheus text (0.0.4) for every output currently open: families
 * exfilmon_out_{records,written,dropped,errors,bytes}_total and
 * exfilmon_out_open_errors_total, exfilmon_out_clients and
 * exfilmon_out_healthy, labelled output="<path>",kind="file|stdout|
 * syslog|unix". */
void out_write_metrics(FILE *f);
/* fchown()s every open file output (and unix socket path) to uid:gid;
 * privs_drop() calls it so reopening works as the unprivileged user.
 * Returns 0, or -1 if any failed. */
int out_chown_all(uid_t uid, gid_t gid);
/* Checks the syntax of a spec without opening anything (--check):
 * redis and webhook URLs, kafka brokers/topic.  0, or -1 with err filled. */
int out_check_spec(const char *spec, char *err, size_t errlen);
/* Whether this build has the sink of that kind ("kafka" needs librdkafka
 * at build time, -Dkafka). */
bool out_sink_available(const char *kind);
/* Overrides the syslog socket path (default /dev/log); tests only. */
void out_set_syslog_path(const char *path);

#endif
