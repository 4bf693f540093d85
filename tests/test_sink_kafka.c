/*
 * test_sink_kafka.c EXFILMON - output/sink_kafka.c on librdkafka's mock
 * cluster (three brokers in this process, listening on loopback ports):
 *   1. replay: the real binary replays pcaps/office_gateway.pcap and
 *      pcaps/stealer.pcap (merged) with --flows,
 *      --alerts and --kafka MOCK/exfilmon; a consumer reads the topic
 *      back: the same records as the files (as a multiset), every key
 *      the record's local host (egress.local_ip, else src_ip), one
 *      partition per key, and per key the records in file order;
 *   2. outage, live mode (?messages=100): 50 delivered, all brokers
 *      down, 300 written: exactly 200 dropped at once; brokers up: the
 *      100 queued are delivered, in order, none twice; one log line
 *      gives the 200, /metrics the 200 and 150;
 *   3. blocking (replay) mode (?messages=10): 500 records through a
 *      10-record queue, none dropped; with the brokers down, 30 written:
 *      exactly 20 dropped, the 10 queued delivered once they are up;
 *   4. security options (test_security).
 * test_sink_kafka --serve: prints the mock cluster's bootstrap list and
 * keeps it up until standard input closes (a broker for
 * test_sink_kafka_broker.py: XM_KAFKA_BROKERS=...).
 */
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xm_out.h"
#include "xm_test.h"

#define NPART 4
#define MAXMSG 4096

struct msg {
    char *key, *val, *type;
    int part;
};

static rd_kafka_mock_cluster_t *mc;
static const char *boot;
static char tmpdir[] = "/tmp/xm_test_kafka.XXXXXX";

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void msgs_free(struct msg *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].key);
        free(m[i].val);
        free(m[i].type);
    }
}

/* ---- consumer ------------------------------------------------------------ */

static rd_kafka_t *consumer_new(void)
{
    char e[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", boot, e, sizeof e) ||
        rd_kafka_conf_set(c, "group.id", "xm-test", e, sizeof e) ||
        rd_kafka_conf_set(c, "enable.auto.commit", "false", e, sizeof e) ||
        rd_kafka_conf_set(c, "enable.partition.eof", "true", e, sizeof e)) {
        fprintf(stderr, "consumer conf: %s\n", e);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof e);
    if (!rk)
        fprintf(stderr, "consumer: %s\n", e);
    return rk;
}

static void msg_take(struct msg *m, const rd_kafka_message_t *km)
{
    const void *hv = NULL;
    size_t hn = 0;
    rd_kafka_headers_t *h = NULL;
    m->key = strndup(km->key ? km->key : "", km->key_len);
    m->val = strndup(km->payload ? km->payload : "", km->len);
    if (rd_kafka_message_headers(km, &h) == RD_KAFKA_RESP_ERR_NO_ERROR)
        (void)rd_kafka_header_get_last(h, "event_type", &hv, &hn);
    m->type = strndup(hv ? hv : "", hn);
    m->part = km->partition;
}

/* Reads topic from the start to the end of every partition, in
 * partition then offset order; returns the count (at most cap). */
static size_t consume(const char *topic, struct msg *out, size_t cap)
{
    rd_kafka_t *rk = consumer_new();
    if (!rk)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(NPART);
    for (int p = 0; p < NPART; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    size_t n = 0;
    int eof = 0, idle = 0;
    while (eof < NPART && idle < 300) {
        rd_kafka_message_t *km = rd_kafka_consumer_poll(rk, 100);
        idle = km ? 0 : idle + 1;
        if (km && km->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            eof++;
        else if (km && km->err)
            fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(km));
        else if (km && n < cap)
            msg_take(&out[n++], km);
        if (km)
            rd_kafka_message_destroy(km);
    }
    CHECK_EQ_U64(eof, NPART);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

/* ---- replay through the binary ------------------------------------------ */

/* Lines of a file (without '\n') appended to v; returns the new count. */
static size_t read_lines(const char *path, char **v, size_t n, size_t cap)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t ln = 0;
    ssize_t r;
    while (f && (r = getline(&line, &ln, f)) > 0 && n < cap) {
        line[r - 1] = line[r - 1] == '\n' ? '\0' : line[r - 1];
        v[n++] = strdup(line);
    }
    free(line);
    if (f)
        fclose(f);
    return n;
}

static int run_replay(const char *exe, const char *fl, const char *al)
{
    char kafka[512];
    snprintf(kafka, sizeof kafka, "%s/exfilmon", boot);
    pid_t pid = fork();
    if (pid == 0) {
        execl(exe, exe, "-q", "--alert-mode", "both", "-r", "pcaps/office_gateway.pcap",
              "-r", "pcaps/stealer.pcap", "--flows", fl,
              "--alerts", al, "--kafka", kafka, (char *)NULL);
        _exit(127);
    }
    int st = -1;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The documented key of a record: egress.local_ip, else src_ip, else "". */
static const char *want_key(json_t *j)
{
    const char *k = json_string_value(json_object_get(json_object_get(j, "egress"),
                                                      "local_ip"));
    k = k ? k : json_string_value(json_object_get(j, "src_ip"));
    return k ? k : "";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every message: key and header as documented; all of a key's messages
 * in one partition.  Returns the number of distinct keys. */
static size_t check_keys(const struct msg *m, size_t n)
{
    size_t keys = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_loads(m[i].val, 0, NULL);
        const char *t = json_string_value(json_object_get(j, "event_type"));
        bad += !j || strcmp(m[i].key, want_key(j)) || !t || strcmp(t, m[i].type);
        json_decref(j);
        size_t first = 0;
        while (strcmp(m[first].key, m[i].key))
            first++;
        keys += first == i;
        bad += m[first].part != m[i].part;
    }
    CHECK_EQ_U64(bad, 0);
    return keys;
}

/* For each message's key: the key's records of one file (flows, or
 * alerts+incidents) come out of Kafka in that file's order. */
static void check_order(const struct msg *m, size_t n, char **file, size_t fn, bool flows)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (i != 0 && strcmp(m[i - 1].key, m[i].key) == 0)
            continue;               /* runs of one key: checked once */
        size_t fi = 0;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(m[k].key, m[i].key) || (strcmp(m[k].type, "flow") == 0) != flows)
                continue;
            json_t *j = NULL;
            while (fi < fn && (json_decref(j), j = json_loads(file[fi], 0, NULL)) &&
                   strcmp(want_key(j), m[i].key))
                fi++;
            json_decref(j);
            bad += fi >= fn || strcmp(file[fi], m[k].val) != 0;
            fi++;
        }
    }
    CHECK_EQ_U64(bad, 0);
}

static void test_replay(const char *exe)
{
    static char *fl_lines[MAXMSG], *al_lines[MAXMSG], *all[MAXMSG], *got[MAXMSG];
    static struct msg m[MAXMSG];
    char fl[300], al[300];
    snprintf(fl, sizeof fl, "%s/f.json", tmpdir);
    snprintf(al, sizeof al, "%s/a.json", tmpdir);
    CHECK_EQ_U64(run_replay(exe, fl, al), 0);
    size_t nf = read_lines(fl, fl_lines, 0, MAXMSG), na = read_lines(al, al_lines, 0, MAXMSG);
    size_t n = consume("exfilmon", m, MAXMSG);
    CHECK(nf > 0 && na > 0);
    CHECK_EQ_U64(n, nf + na);
    memcpy(all, fl_lines, nf * sizeof *all);
    memcpy(all + nf, al_lines, na * sizeof *all);
    for (size_t i = 0; i < n; i++)
        got[i] = m[i].val;
    qsort(all, nf + na, sizeof *all, cmp_str);
    qsort(got, n, sizeof *got, cmp_str);
    size_t diff = 0;
    for (size_t i = 0; i < n && n == nf + na; i++)
        diff += strcmp(all[i], got[i]) != 0;
    CHECK_EQ_U64(diff, 0);
    size_t keys = check_keys(m, n);
    check_order(m, n, fl_lines, nf, true);
    check_order(m, n, al_lines, na, false);
    printf("replay: %zu flow + %zu alert/incident lines in files, %zu in Kafka, %zu keys\n",
           nf, na, n, keys);
    CHECK(keys > 1);
    for (size_t i = 0; i < nf; i++)
        free(fl_lines[i]);
    for (size_t i = 0; i < na; i++)
        free(al_lines[i]);
    msgs_free(m, n);
}

/* ---- outages through the library ---------------------------------------- */

/* Keyed by src_ip 10.0.0.(i%5); every 7th an inbound flow whose local
 * host is egress.local_ip 10.0.1.(i%2), its src_ip remote. */
static json_t *rec(int i)
{
    char ip[32];
    if (i % 7 == 0) {
        snprintf(ip, sizeof ip, "10.0.1.%d", i % 2);
        return json_pack("{s:s, s:s, s:i, s:{s:s}}", "event_type", "flow", "src_ip",
                         "198.51.100.7", "n", i, "egress", "local_ip", ip);
    }
    snprintf(ip, sizeof ip, "10.0.0.%d", i % 5);
    return json_pack("{s:s, s:s, s:i}", "event_type", i % 3 ? "flow" : "alert",
                     "src_ip", ip, "n", i);
}

static void brokers(bool up)
{
    for (int b = 1; b <= 3; b++)
        if (up)
            rd_kafka_mock_broker_set_up(mc, b);
        else
            rd_kafka_mock_broker_set_down(mc, b);
}

/* Flushes (the live tick) until `written` reaches want, at most ~60 s. */
static void wait_written(struct out *o, uint64_t want)
{
    for (int i = 0; i < 600 && out_get_stats(o)->written < want; i++) {
        (void)out_flush(o);
        nap_ms(100);
    }
}

/* The n of every message: none twice, each key's n rising (Kafka order
 * within a partition is per-key order), keys as documented.  Returns
 * the count. */
static size_t check_ns(const char *topic, int *seen, size_t cap)
{
    static struct msg m[MAXMSG];
    static int nv[MAXMSG];
    size_t n = consume(topic, m, MAXMSG), bad = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_loads(m[i].val, 0, NULL);
        nv[i] = (int)json_integer_value(json_object_get(j, "n"));
        bad += strcmp(m[i].key, want_key(j)) != 0;
        json_decref(j);
        bad += nv[i] < 0 || (size_t)nv[i] >= cap || seen[nv[i]]++;
        size_t p = i;
        while (p > 0 && strcmp(m[p - 1].key, m[i].key))
            p--;
        bad += p > 0 && nv[p - 1] > nv[i];
    }
    CHECK_EQ_U64(bad, 0);
    msgs_free(m, n);
    return n;
}

/* Counts lines holding needle in path. */
static int count_in(const char *path, const char *needle)
{
    char line[1024];
    int c = 0;
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        c += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return c;
}

/* /metrics names the output with kind="kafka" and its 200 drops. */
static void check_metrics(const struct out *o)
{
    char *buf = NULL, want[1024];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f || !o)
        return;
    out_write_metrics(f);
    fclose(f);
    snprintf(want, sizeof want, "exfilmon_out_dropped_total{output=\"%s\",kind=\"kafka\"} 200\n",
             out_path(o));
    CHECK(strstr(buf, want) != NULL);
    snprintf(want, sizeof want, "exfilmon_out_written_total{output=\"%s\",kind=\"kafka\"} 150\n",
             out_path(o));
    CHECK(strstr(buf, want) != NULL);
    free(buf);
}

static void test_outage_live(void)
{
    char spec[512], err[256], logp[300];
    int seen[400] = {0};
    snprintf(spec, sizeof spec, "kafka:%s/fault?messages=100", boot);
    snprintf(logp, sizeof logp, "%s/live.log", tmpdir);
    int saved = dup(2), lf = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(lf, 2);
    struct out *o = out_open(spec, false, err, sizeof err);
    CHECK(o != NULL);
    for (int i = 0; o && i < 50; i++)
        out_write(o, rec(i));
    wait_written(o, 50);
    CHECK_EQ_U64(o ? out_get_stats(o)->written : 0, 50);
    brokers(false);
    for (int i = 50; o && i < 350; i++)
        out_write(o, rec(i));
    uint64_t dropped_down = o ? out_get_stats(o)->dropped : 0;
    brokers(true);
    wait_written(o, 150);
    check_metrics(o);
    const struct out_stats st = o ? *out_get_stats(o) : (struct out_stats){0};
    out_close(o);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(lf);
    CHECK_EQ_U64(dropped_down, 200);
    CHECK_EQ_U64(st.records, 350);
    CHECK_EQ_U64(st.written, 150);
    CHECK_EQ_U64(st.dropped, 200);
    size_t n = check_ns("fault", seen, 400);
    CHECK_EQ_U64(n, 150);
    for (int i = 0; i < 350; i++)
        CHECK(seen[i] == (i < 150));
    CHECK_EQ_U64(count_in(logp, "dropped (queue full)"), 1);
    CHECK_EQ_U64(count_in(logp, "200 records dropped (queue full)"), 1);
    printf("outage (live, 100-record queue): 350 written, %llu delivered, %llu dropped "
           "(%llu while down), %d drop log line(s)\n", (unsigned long long)st.written,
           (unsigned long long)st.dropped, (unsigned long long)dropped_down,
           count_in(logp, "dropped (queue full)"));
}

static void test_blocking(void)
{
    char spec[512], err[256];
    int seen[600] = {0};
    snprintf(spec, sizeof spec, "kafka:%s/block?messages=10", boot);
    struct out *o = out_open(spec, true, err, sizeof err);
    CHECK(o != NULL);
    for (int i = 0; o && i < 500; i++)
        out_write(o, rec(i));
    CHECK_EQ_U64(o ? out_get_stats(o)->dropped : 1, 0);
    out_close(o);
    CHECK_EQ_U64(check_ns("block", seen, 600), 500);

    snprintf(spec, sizeof spec, "kafka:%s/blockdown?messages=10", boot);
    o = out_open(spec, true, err, sizeof err);
    brokers(false);
    for (int i = 0; o && i < 30; i++)
        out_write(o, rec(i));
    uint64_t dropped = o ? out_get_stats(o)->dropped : 0;
    brokers(true);
    wait_written(o, 10);
    CHECK_EQ_U64(dropped, 20);
    CHECK_EQ_U64(o ? out_get_stats(o)->written : 0, 10);
    out_close(o);
    memset(seen, 0, sizeof seen);
    CHECK_EQ_U64(check_ns("blockdown", seen, 600), 10);
    printf("blocking: 500 through a 10-record queue, none dropped; brokers down: 30 "
           "written, %llu dropped, 10 delivered after\n", (unsigned long long)dropped);
}

/* 4. security options: what librdkafka really got (read back with
 * rd_kafka_conf_get by the sink and logged without the password), the
 * password taken from EXFILMON_KAFKA_PASSWORD, refusals naming the
 * option.  The mock cluster speaks plaintext only, so SASL is applied,
 * not exercised against a broker. */
static void test_security(void)
{
    char spec[512], err[512], logp[300], log[4096] = "";
    snprintf(logp, sizeof logp, "%s/sec.log", tmpdir);
    setenv("EXFILMON_KAFKA_PASSWORD", "pw-from-env", 1);
    snprintf(spec, sizeof spec, "kafka:%s/exfilmon?security.protocol=sasl_plaintext&"
             "sasl.mechanisms=SCRAM-SHA-256&sasl.username=sensor1", boot);
    int saved = dup(2), lf = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(lf, 2);
    struct out *o = out_open(spec, false, err, sizeof err);
    out_close(o);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(lf);
    CHECK(o != NULL);
    FILE *f = fopen(logp, "r");
    size_t n = f ? fread(log, 1, sizeof log - 1, f) : 0;
    log[n] = '\0';
    if (f)
        fclose(f);
    CHECK(strstr(log, "security.protocol=sasl_plaintext, sasl.mechanisms=SCRAM-SHA-256, "
                      "sasl.username=sensor1, sasl.password set") != NULL);
    CHECK(strstr(log, "pw-from-env") == NULL);
    snprintf(spec, sizeof spec, "kafka:%s/exfilmon?security.protocol=ssl&"
             "ssl.ca.location=/nonexistent/ca.pem", boot);
    CHECK(out_open(spec, false, err, sizeof err) == NULL);
    CHECK(strstr(err, "/exfilmon: ssl.ca.location /nonexistent/ca.pem: No such file") != NULL);
    unsetenv("EXFILMON_KAFKA_PASSWORD");
    snprintf(spec, sizeof spec, "kafka:%s/exfilmon?security.protocol=sasl_ssl&"
             "sasl.username=sensor1", boot);
    CHECK(out_open(spec, false, err, sizeof err) == NULL);
    CHECK(strstr(err, "needs sasl.username and a password") != NULL);
    snprintf(spec, sizeof spec, "kafka:%s/exfilmon?security.protocol=sasl_ssl&"
             "sasl.username=u&sasl.password=hunter2&sasl.mechanisms=GSSAPI", boot);
    CHECK(out_open(spec, false, err, sizeof err) == NULL);
    CHECK(strstr(err, "bad option 'sasl.mechanisms=GSSAPI'") && !strstr(err, "hunter2"));
    printf("ok   security options applied (read back), password from the environment, "
           "not logged; bad CA / no password / bad mechanism refused\n");
}

/* ---- main ------------------------------------------------------------------ */

static rd_kafka_t *mock_start(void)
{
    char e[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof e);
    mc = rk ? rd_kafka_mock_cluster_new(rk, 3) : NULL;
    if (!mc)
        return rk;
    boot = rd_kafka_mock_cluster_bootstraps(mc);
    const char *topics[] = {"exfilmon", "fault", "block", "blockdown"};
    for (size_t i = 0; i < sizeof topics / sizeof *topics; i++)
        rd_kafka_mock_topic_create(mc, topics[i], NPART, 3);
    return rk;
}

int main(int argc, char **argv)
{
    if (!mkdtemp(tmpdir))
        return 1;
    rd_kafka_t *rk = mock_start();
    if (!mc) {
        printf("SKIP: librdkafka's mock cluster did not start\n");
        return 77;
    }
    if (argc > 1 && !strcmp(argv[1], "--serve")) {
        printf("%s\n", boot);
        fflush(stdout);
        while (getchar() != EOF)
            ;
        argc = 0;
    }
    printf("mock cluster: %s\n", boot);
    if (argc > 1)
        test_replay(argv[1]);
    if (argc > 0) {
        test_outage_live();
        test_blocking();
        test_security();
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return xm_test_result();
}
