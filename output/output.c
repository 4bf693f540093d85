/*
 * output.c - JSON-lines outputs (include/xm_out.h): the generic part.
 * Each kind of output is a sink, one file with one row in out_sinks[]
 * below (struct out_sink, output/sink.h); nothing here switches on the
 * kind.
 *
 * Sinks, chosen by the spec given to out_open():
 *   "-"              standard output (sink_file.c)
 *   "syslog[:IDENT]" RFC 5424 messages to the local syslog socket
 *                    (/dev/log, datagram then stream); when no syslog
 *                    daemon listens the same lines go to standard error
 *                    (sink_syslog.c)
 *   "unix:PATH"      a listening Unix stream socket; every connected
 *                    reader follows the JSON lines from the moment it
 *                    connected (sink_socket.c)
 *   "redis://...", "webhook:...", "kafka:..."  network sinks with
 *                    bounded queues (sink_redis.c, sink_webhook.c,
 *                    sink_kafka.c: only built with librdkafka)
 *   anything else    a file, opened O_APPEND|O_CREAT, mode 0640
 *                    (sink_file.c)
 *
 * Queues (all allocated at open or accept, never per record):
 *   file/stdout, blocking (replay): 64 KiB buffer, written by a write(2)
 *     loop whenever the next record does not fit; nothing is dropped
 *     unless the write itself fails.
 *   file/stdout, live: 8 MiB queue, written when it passes 64 KiB and on
 *     out_flush(); a record that does not fit is dropped and counted.
 *   syslog: one datagram per record, sent at once; in live mode with
 *     MSG_DONTWAIT, so a full syslog socket drops (counted).
 *   unix: up to OUT_MAX_CLIENTS readers, 1 MiB queue each; a slow reader
 *     loses the records that do not fit in its queue (counted as dropped),
 *     a reader that hung up is closed.
 *
 * Write errors (ENOSPC, EIO, ...) are counted and reported on standard
 * error once per episode, naming the output; the unwritten bytes stay
 * queued and the write is retried on the next flush.
 *
 * Reopen errors (SIGHUP after logrotate; EACCES on a directory the user
 * cannot write): reported once per episode with the file and errno,
 * counted; records keep going to the previous file, and every later
 * flush (the live 1-second tick) tries the reopen again (sink_file.c).
 *
 * Health: an output is failing from a write or reopen error until a write
 * or the reopen succeeds; out_health() names the failing ones (/healthz,
 * out_report.c, which also writes the /metrics counters).
 */
#include "sink.h"
#include "xm_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Tried in order; the first that claims the spec opens it.  A new sink:
 * one file output/sink_X.c and one row here. */
static const struct out_sink *const out_sinks[] = {
    &out_sink_stdout,   /* "-" */
    &out_sink_syslog,   /* "syslog", "syslog:IDENT" */
    &out_sink_unix,     /* "unix:PATH" */
    &out_sink_redis,    /* "redis://[user:pass@]host[:port][/db][?opts]" */
    &out_sink_webhook,  /* "webhook:json|slack:http://host[:port]/path" */
#ifdef XM_HAVE_KAFKA
    &out_sink_kafka,    /* "kafka:BROKER[,BROKER...]/TOPIC[?opts]" (-Dkafka) */
#endif
    &out_sink_file,     /* anything else (last: claims everything) */
};

/* Every open output, newest first (metrics, health, out_chown_all). */
struct out *out_registry;

static void registry_add(struct out *o)
{
    o->next_ = out_registry;
    out_registry = o;
}

static void registry_del(struct out *o)
{
    for (struct out **pp = &out_registry; *pp; pp = &(*pp)->next_)
        if (*pp == o) {
            *pp = o->next_;
            return;
        }
}

static const struct out_sink *sink_of(const char *spec)
{
    size_t i = 0;
    while (i + 1 < XM_ARRAY_LEN(out_sinks) && !out_sinks[i]->claims(spec))
        i++;
    return out_sinks[i];
}

/* ---- public API ---------------------------------------------------------- */

struct out *out_open(const char *path, bool blocking, char *err, size_t errlen)
{
    struct out *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    o->sink = sink_of(path);
    o->blocking = blocking;
    o->fd = -1;
    o->stdout_fl = -1;
    evew_init(&o->txt, 4096, OUT_RECORD_MAX);
    for (size_t i = 0; i < OUT_MAX_CLIENTS; i++)
        o->cl[i].fd = -1;
    o->path = strdup(path + o->sink->prefix);
    if (!o->path || o->sink->open(o, path, err, errlen) != 0) {
        if (!o->path)
            snprintf(err, errlen, "%s: out of memory", path);
        out_close(o);
        return NULL;
    }
    registry_add(o);
    return o;
}

/* A record jansson cannot serialise (or longer than OUT_RECORD_MAX) is
 * counted as dropped, as a sink counts one it cannot queue. */
void out_write(struct out *o, json_t *rec)
{
    out_write_many(&o, 1, rec);
}

void out_write_many(struct out *const *os, size_t cnt, json_t *rec)
{
    struct out *first = NULL;
    for (size_t i = 0; i < cnt && !first; i++)
        first = os[i];
    if (!first || !rec) {
        json_decref(rec);
        return;
    }
    size_t n = 0;
    const char *type = json_string_value(json_object_get(rec, "event_type"));
    const char *key = json_string_value(json_object_get(json_object_get(rec, "egress"),
                                                        "local_ip"));
    if (!key)
        key = json_string_value(json_object_get(rec, "src_ip"));
    evew_reset(&first->txt);
    evew_json(&first->txt, rec);
    const char *s = evew_text(&first->txt, &n);   /* no sink's write touches txt */
    for (size_t i = 0; i < cnt; i++) {
        if (os[i] && s) {
            out_write_text(os[i], type ? type : "", key ? key : "", s, n);
        } else if (os[i]) {
            os[i]->st.records++;
            os[i]->st.dropped++;
        }
    }
    json_decref(rec);               /* type and key point into it */
}

void out_write_text(struct out *o, const char *type, const char *key, const char *s,
                    size_t n)
{
    if (!o)
        return;
    o->st.records++;
    o->sink->write(o, type, key, s, n);
}

int out_flush(struct out *o)
{
    if (!o || !o->sink->flush)
        return 0;
    return o->sink->flush(o);
}

int out_reopen(struct out *o, char *err, size_t errlen)
{
    if (!o || !o->sink->reopen)
        return 0;
    return o->sink->reopen(o, err, errlen);
}

const struct out_stats *out_get_stats(const struct out *o)
{
    return &o->st;
}

const char *out_path(const struct out *o)
{
    return o->path;
}

void out_close(struct out *o)
{
    if (!o)
        return;
    registry_del(o);
    if (o->sink->close)
        o->sink->close(o);
    if (o->fd > STDERR_FILENO)
        close(o->fd);
    buf_free(&o->buf);
    evew_free(&o->txt);
    free(o->scratch);
    free(o->ident);
    free(o->path);
    free(o);
}

bool out_sink_available(const char *kind)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(out_sinks); i++)
        if (!strcmp(out_sinks[i]->kind, kind))
            return true;
    return false;
}

int out_check_spec(const char *spec, char *err, size_t errlen)
{
    const struct out_sink *s = sink_of(spec);
    return s->check ? s->check(spec, err, errlen) : 0;
}

/* Hands every open file and socket path to the user the daemon is about
 * to become, so SIGHUP can reopen them after the privilege drop. */
int out_chown_all(uid_t uid, gid_t gid)
{
    int rc = 0;
    for (const struct out *o = out_registry; o; o = o->next_)
        if (o->sink->chown && o->sink->chown(o, uid, gid) != 0)
            rc = -1;
    return rc;
}
