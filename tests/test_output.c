/*
 * test_output.c - output/output.c: file writes, reopen after a logrotate
 * rename, a reopen that fails and recovers (health, counters, messages),
 * full disk (/dev/full), the live queue bound (a FIFO nobody reads), the
 * unix socket readers, RFC 5424 syslog framing and metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xm_out.h"
#include "xm_test.h"

static char tmpdir[] = "/tmp/xm_test_output.XXXXXX";

static json_t *rec(const char *type, int n)
{
    return json_pack("{s:s, s:i, s:s}", "event_type", type, "n", n, "pad", "x");
}

/* Reads a whole file into a static buffer; returns its length or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

static void test_file(void)
{
    char path[256], err[256], buf[4096];
    snprintf(path, sizeof path, "%s/alerts.json", tmpdir);
    struct out *o = out_open(path, true, err, sizeof err);
    CHECK(o != NULL);
    if (!o)
        return;
    out_write(o, rec("alert", 1));
    out_write(o, rec("flow", 2));
    CHECK_EQ_U64(out_flush(o), 0);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    CHECK_STR(buf, "{\"event_type\":\"alert\",\"n\":1,\"pad\":\"x\"}\n"
                   "{\"event_type\":\"flow\",\"n\":2,\"pad\":\"x\"}\n");
    const struct out_stats *st = out_get_stats(o);
    CHECK_EQ_U64(st->records, 2);
    CHECK_EQ_U64(st->written, 2);
    CHECK_EQ_U64(st->dropped, 0);
    CHECK_EQ_U64(st->bytes, strlen(buf));
    CHECK_STR(out_path(o), path);

    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640);

    /* logrotate: rename, reopen, later records go to the new file */
    char rotated[300];
    snprintf(rotated, sizeof rotated, "%s.1", path);
    CHECK(rename(path, rotated) == 0);
    out_write(o, rec("alert", 3));          /* queued before the reopen */
    CHECK_EQ_U64(out_reopen(o, err, sizeof err), 0);
    out_write(o, rec("alert", 4));
    out_close(o);
    CHECK(slurp(rotated, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "\"n\":3") != NULL);
    CHECK(strstr(buf, "\"n\":4") == NULL);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    CHECK_STR(buf, "{\"event_type\":\"alert\",\"n\":4,\"pad\":\"x\"}\n");
}

/* Many records through the 64 KiB replay buffer: none lost, in order. */
static void test_file_many(void)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/many.json", tmpdir);
    struct out *o = out_open(path, true, err, sizeof err);
    CHECK(o != NULL);
    if (!o)
        return;
    for (int i = 0; i < 20000; i++)
        out_write(o, rec("flow", i));
    json_t *big = json_object();
    char *blob = malloc(100000);
    memset(blob, 'a', 99999);
    blob[99999] = '\0';
    json_object_set_new(big, "blob", json_string(blob));
    out_write(o, big);                      /* larger than the buffer */
    free(blob);
    out_write(o, rec("flow", 20000));
    CHECK_EQ_U64(out_get_stats(o)->dropped, 0);
    out_close(o);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    int n = 0, bad = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (!j) {
            bad++;
        } else if (n != 20000) {
            json_t *jn = json_object_get(j, "n");
            if (jn && json_integer_value(jn) != (n < 20000 ? n : 20000))
                bad++;
        }
        json_decref(j);
        n++;
    }
    free(line);
    fclose(f);
    CHECK_EQ_U64(n, 20002);
    CHECK_EQ_U64(bad, 0);
}

/* Redirects stderr into a file while fn runs; returns what was printed. */
static void capture_stderr(void (*fn)(void *), void *ctx, char *out, size_t cap)
{
    char path[256];
    snprintf(path, sizeof path, "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    fn(ctx);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    if (slurp(path, out, cap) < 0)
        out[0] = '\0';
}

static void full_disk_run(void *ctx)
{
    struct out *o = ctx;
    for (int i = 0; i < 5000; i++)          /* > 64 KiB: forces writes */
        out_write(o, rec("alert", i));
    CHECK_EQ_U64(out_flush(o), (uint64_t)-1);
    CHECK_EQ_U64(out_flush(o), (uint64_t)-1);
}

static void test_full_disk(void)
{
    char err[256], msg[4096];
    struct out *o = out_open("/dev/full", true, err, sizeof err);
    CHECK(o != NULL);
    if (!o)
        return;
    capture_stderr(full_disk_run, o, msg, sizeof msg);
    const struct out_stats *st = out_get_stats(o);
    CHECK_EQ_U64(st->records, 5000);
    CHECK_EQ_U64(st->written, 0);
    CHECK(st->errors >= 3);
    CHECK(st->dropped > 0);
    /* one message per episode, naming the file and the errno text, as a
     * log line: "YYYY-MM-DDTHH:MM:SS.mmmZ exfilmon[PID]: error: ..." */
    CHECK(strlen(msg) > 25 && msg[4] == '-' && msg[10] == 'T' && msg[23] == 'Z');
    CHECK(strstr(msg, " exfilmon[") == msg + 24);
    CHECK(strstr(msg, "]: error: /dev/full: write failed: No space left on device; ") != NULL);
    CHECK(strstr(msg, " records dropped so far\n") != NULL);
    CHECK(strchr(msg, '\n') == msg + strlen(msg) - 1);
    char why[256];
    CHECK_EQ_U64(out_health(why, sizeof why), 1);
    CHECK_STR(why, "/dev/full: write failed: No space left on device");
    out_close(o);
    CHECK_EQ_U64(out_health(why, sizeof why), 0);
    CHECK_STR(why, "");
}

struct reopen_ctx {
    struct out *o;
    char dir[256], moved[300];
    int phase;
};

/* Phase 0: the log directory is replaced by a regular file, so the
 * reopen fails (ENOTDIR) and the retries too; phase 1: the directory is
 * back and the next flush reopens. */
static void reopen_run(void *arg)
{
    struct reopen_ctx *c = arg;
    char err[256];
    if (c->phase == 0) {
        CHECK(rename(c->dir, c->moved) == 0);
        FILE *f = fopen(c->dir, "w");
        if (f)
            fclose(f);
        CHECK_EQ_U64(out_reopen(c->o, err, sizeof err), (uint64_t)-1);
        CHECK(strstr(err, "/logs/flows.json: reopen failed: Not a directory") != NULL);
        out_write(c->o, rec("flow", 2));
        CHECK_EQ_U64(out_flush(c->o), 0);   /* written to the old file */
        CHECK_EQ_U64(out_reopen(c->o, err, sizeof err), (uint64_t)-1);
        return;
    }
    CHECK(unlink(c->dir) == 0 && mkdir(c->dir, 0750) == 0);
    out_write(c->o, rec("flow", 3));
    CHECK_EQ_U64(out_flush(c->o), 0);
}

static void test_reopen_failure(void)
{
    struct reopen_ctx c = { .phase = 0 };
    char path[300], err[256], msg[4096], why[512], buf[4096];
    snprintf(c.dir, sizeof c.dir, "%s/logs", tmpdir);
    snprintf(c.moved, sizeof c.moved, "%s/logs.old", tmpdir);
    snprintf(path, sizeof path, "%s/flows.json", c.dir);
    CHECK(mkdir(c.dir, 0750) == 0);
    c.o = out_open(path, false, err, sizeof err);
    CHECK(c.o != NULL);
    if (!c.o)
        return;
    out_write(c.o, rec("flow", 1));
    CHECK_EQ_U64(out_flush(c.o), 0);
    capture_stderr(reopen_run, &c, msg, sizeof msg);
    /* one message for the episode, naming the file and errno; every
     * failed attempt counted (reopen, the flush's retry, reopen again) */
    char want[512];
    snprintf(want, sizeof want, "]: error: %s: reopen failed: Not a directory; still "
             "writing to the previous file, retrying every second\n", path);
    CHECK(strstr(msg, " exfilmon[") == msg + 24 && strstr(msg, want) != NULL &&
          !strchr(msg, '\n')[1]);
    CHECK_EQ_U64(out_get_stats(c.o)->open_errors, 3);
    CHECK_EQ_U64(out_health(why, sizeof why), 1);
    snprintf(want, sizeof want, "%s: reopen failed: Not a directory", path);
    CHECK_STR(why, want);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    out_write_metrics(f);
    fclose(f);
    snprintf(want, sizeof want, "\nexfilmon_out_healthy{output=\"%s\",kind=\"file\"} 0\n", path);
    CHECK(strstr(text, want) != NULL);
    snprintf(want, sizeof want, "\nexfilmon_out_open_errors_total{output=\"%s\",kind=\"file\"} 3\n",
             path);
    CHECK(strstr(text, want) != NULL);
    free(text);
    char old[320];
    snprintf(old, sizeof old, "%s/flows.json", c.moved);
    CHECK(slurp(old, buf, sizeof buf) > 0 && strstr(buf, "\"n\":2") != NULL);

    c.phase = 1;                            /* the directory is back */
    capture_stderr(reopen_run, &c, msg, sizeof msg);
    snprintf(want, sizeof want, "]: info: %s: reopened after Not a directory\n", path);
    CHECK(strstr(msg, " exfilmon[") == msg + 24 && strstr(msg, want) != NULL &&
          !strchr(msg, '\n')[1]);
    CHECK_EQ_U64(out_health(why, sizeof why), 0);
    out_close(c.o);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    CHECK_STR(buf, "{\"event_type\":\"flow\",\"n\":3,\"pad\":\"x\"}\n");
    CHECK(slurp(old, buf, sizeof buf) > 0 && strstr(buf, "\"n\":3") == NULL);
}

/* Live: a FIFO whose reader never reads.  The queue is bounded; what does
 * not fit is dropped and counted; once the reader drains, everything that
 * was queued arrives whole. */
static void test_live_bound(void)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/fifo", tmpdir);
    CHECK(mkfifo(path, 0600) == 0);
    int rd = open(path, O_RDONLY | O_NONBLOCK);
    struct out *o = out_open(path, false, err, sizeof err);
    CHECK(o != NULL && rd >= 0);
    if (!o || rd < 0)
        return;
    char pad[1000];
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    const int total = 20000;                /* ~20 MB of records */
    for (int i = 0; i < total; i++)
        out_write(o, json_pack("{s:i, s:s}", "n", i, "pad", pad));
    const struct out_stats *st = out_get_stats(o);
    CHECK_EQ_U64(st->records, (uint64_t)total);
    CHECK(st->dropped > 0);
    CHECK(st->written < (uint64_t)total);
    uint64_t queued = st->records - st->written - st->dropped;
    CHECK(queued * 1000 <= 8u * 1024u * 1024u);   /* the 8 MiB bound */
    CHECK_EQ_U64(st->errors, 0);

    /* reader drains; every record not dropped arrives, whole */
    char *buf = malloc(1 << 16);
    uint64_t lines = 0;
    for (int spins = 0; spins < 100000; spins++) {
        ssize_t r = read(rd, buf, 1 << 16);
        if (r > 0) {
            for (ssize_t i = 0; i < r; i++)
                lines += buf[i] == '\n';
        }
        int rc = out_flush(o);
        if (rc == 0 && r <= 0 && st->written == st->records - st->dropped)
            break;
    }
    CHECK_EQ_U64(st->written, st->records - st->dropped);
    CHECK_EQ_U64(lines, st->written);
    free(buf);
    out_close(o);
    close(rd);
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads what is available now (non-blocking after the first read). */
static long read_avail(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, n ? MSG_DONTWAIT : 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return (long)n;
}

static void test_unix(void)
{
    char path[256], spec[300], err[256], buf[8192];
    snprintf(path, sizeof path, "%s/alerts.sock", tmpdir);
    snprintf(spec, sizeof spec, "unix:%s", path);
    struct out *o = out_open(spec, false, err, sizeof err);
    CHECK(o != NULL);
    if (!o)
        return;
    CHECK_STR(out_path(o), path);
    out_write(o, rec("alert", 0));          /* nobody listens yet */
    int a = connect_unix(path);
    CHECK(a >= 0);
    out_flush(o);                           /* accepts reader a */
    CHECK_EQ_U64(out_get_stats(o)->clients, 1);
    out_write(o, rec("alert", 1));
    int b = connect_unix(path);
    out_flush(o);                           /* sends 1 to a, accepts b */
    out_write(o, rec("alert", 2));
    out_flush(o);
    read_avail(a, buf, sizeof buf);
    CHECK_STR(buf, "{\"event_type\":\"alert\",\"n\":1,\"pad\":\"x\"}\n"
                   "{\"event_type\":\"alert\",\"n\":2,\"pad\":\"x\"}\n");
    read_avail(b, buf, sizeof buf);
    CHECK_STR(buf, "{\"event_type\":\"alert\",\"n\":2,\"pad\":\"x\"}\n");
    CHECK_EQ_U64(out_get_stats(o)->written, 3);

    /* b never reads again: its 1 MiB queue plus the socket buffer fill,
     * then its records drop; a keeps reading and loses nothing. */
    char pad[2000];
    memset(pad, 'q', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    uint64_t got_a = 0;
    for (int i = 0; i < 3000; i++) {
        out_write(o, json_pack("{s:i,s:s}", "n", i, "pad", pad));
        out_flush(o);
        ssize_t r;
        while ((r = recv(a, buf, sizeof buf, MSG_DONTWAIT)) > 0)
            for (ssize_t k = 0; k < r; k++)
                got_a += buf[k] == '\n';
    }
    CHECK_EQ_U64(got_a, 3000);
    CHECK(out_get_stats(o)->dropped > 0);
    CHECK(out_get_stats(o)->dropped < 3000);

    /* reader b hangs up: closed on the next flush */
    close(b);
    out_flush(o);
    CHECK_EQ_U64(out_get_stats(o)->clients, 1);
    close(a);
    out_write(o, rec("alert", 9));
    out_flush(o);
    CHECK_EQ_U64(out_get_stats(o)->clients, 0);
    out_close(o);
    CHECK(access(path, F_OK) != 0);         /* socket file removed */
}

static void test_syslog(void)
{
    char path[256], err[256], buf[4096];
    snprintf(path, sizeof path, "%s/log", tmpdir);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strcpy(sa.sun_path, path);
    int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(srv, (struct sockaddr *)&sa, sizeof sa) == 0);
    out_set_syslog_path(path);
    struct out *o = out_open("syslog:xmtest", false, err, sizeof err);
    CHECK(o != NULL);
    if (!o)
        return;
    out_write(o, rec("alert", 7));
    out_write(o, rec("flow", 8));
    ssize_t n = recv(srv, buf, sizeof buf - 1, 0);
    CHECK(n > 0);
    buf[n > 0 ? n : 0] = '\0';
    /* <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG; daemon.warning = 28 */
    CHECK(strncmp(buf, "<28>1 20", 8) == 0);
    char pid[64];
    snprintf(pid, sizeof pid, " xmtest %ld alert - {", (long)getpid());
    CHECK(strstr(buf, pid) != NULL);
    CHECK(strstr(buf, "Z ") != NULL);
    const char *msg = strchr(buf, '{');
    CHECK_STR(msg, "{\"event_type\":\"alert\",\"n\":7,\"pad\":\"x\"}");
    n = recv(srv, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(strncmp(buf, "<30>1 ", 6) == 0);   /* daemon.info for flows */
    CHECK_EQ_U64(out_get_stats(o)->written, 2);
    out_close(o);
    close(srv);
    out_set_syslog_path(NULL);
}

static void syslog_fallback_run(void *ctx)
{
    struct out *o = ctx;
    out_write(o, rec("alert", 5));
    out_write(o, rec("flow", 6));
}

/* No syslog daemon: the RFC 5424 lines go to stderr, LF-terminated. */
static void test_syslog_fallback(void)
{
    char err[256], msg[4096], path[256];
    snprintf(path, sizeof path, "%s/no-syslog-here", tmpdir);
    out_set_syslog_path(path);
    struct out *o = out_open("syslog", true, err, sizeof err);
    CHECK(o != NULL);
    if (!o)
        return;
    capture_stderr(syslog_fallback_run, o, msg, sizeof msg);
    CHECK(strncmp(msg, "<28>1 ", 6) == 0);
    char want[128];
    snprintf(want, sizeof want, " exfilmon %ld alert - {\"event_type\":\"alert\",\"n\":5,"
             "\"pad\":\"x\"}\n<30>1 ", (long)getpid());
    CHECK(strstr(msg, want) != NULL);
    CHECK(strstr(msg, " flow - {\"event_type\":\"flow\",\"n\":6,\"pad\":\"x\"}\n") != NULL);
    CHECK_EQ_U64(out_get_stats(o)->written, 2);
    out_close(o);
    out_set_syslog_path(NULL);
}

static void test_metrics_and_errors(void)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/m\"x.json", tmpdir);
    struct out *o = out_open(path, true, err, sizeof err);
    CHECK(o != NULL);
    out_write(o, rec("alert", 1));
    out_flush(o);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    out_write_metrics(f);
    fclose(f);
    char want[512];
    snprintf(want, sizeof want,
             "\nexfilmon_out_written_total{output=\"%s/m\\\"x.json\",kind=\"file\"} 1\n",
             tmpdir);
    CHECK(strstr(text, want) != NULL);
    CHECK(strstr(text, "# TYPE exfilmon_out_dropped_total counter\n") != NULL);
    free(text);
    out_close(o);

    CHECK(out_open("/nonexistent/dir/a.json", true, err, sizeof err) == NULL);
    CHECK_STR(err, "cannot open /nonexistent/dir/a.json: No such file or directory");
    CHECK(out_open("unix:/nonexistent/dir/a.sock", false, err, sizeof err) == NULL);
    CHECK_STR(err, "unix:/nonexistent/dir/a.sock: No such file or directory");
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_file();
    test_file_many();
    test_full_disk();
    test_reopen_failure();
    test_live_bound();
    test_unix();
    test_syslog();
    test_syslog_fallback();
    test_metrics_and_errors();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return xm_test_result();
}
