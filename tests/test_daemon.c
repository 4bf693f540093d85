/*
 * test_daemon.c - src/daemon.c live on the loopback interface (root only;
 * exit 77 otherwise).  The test process runs the daemon loop; a forked
 * child plays operator and traffic source:
 *   1. five UDP datagrams of 1000 bytes from five (ephemeral) source ports;
 *   2. waits for the 1 s timer to expire them (udp timeout 1 s): the
 *      records must appear although the wire is quiet;
 *   3. fetches /metrics (checked as Prometheus text), sends SIGUSR1;
 *   4. renames flows.json (logrotate) and sends SIGHUP;
 *   5. three more datagrams, then SIGTERM at once: those flows are still
 *      open and must be written to the NEW file with reason "shutdown".
 * Meanwhile the daemon notifies a fake service manager ($NOTIFY_SOCKET,
 * a datagram socket of the test): READY=1 first, WATCHDOG=1 pings,
 * RELOADING=1 then READY=1 around the SIGHUP, STOPPING=1 last.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "prom_check.h"
#include "xm_config.h"
#include "xm_daemon.h"
#include "xm_http_api.h"
#include "xm_test.h"

/* The UDP port the traffic goes to: the sink socket's, chosen by the
 * kernel, so runs side by side (several build trees) never see each
 * other's datagrams. */
static int PORT;

static char dir[] = "/tmp/xm_test_daemon.XXXXXX";

static void nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void send_udp(int n)
{
    char payload[1000];
    memset(payload, 'u', sizeof payload);
    struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PORT) };
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in src = dst;
        src.sin_port = 0;   /* a fresh ephemeral port per datagram: one flow each */
        if (bind(fd, (struct sockaddr *)&src, sizeof src) == 0)
            sendto(fd, payload, sizeof payload, 0, (struct sockaddr *)&dst, sizeof dst);
        close(fd);
    }
}

/* GET /metrics into dir/metrics.txt (body only). */
static void fetch_metrics(int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return;
    const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
    if (send(fd, req, sizeof req - 1, 0) < 0)
        return;
    static char buf[1 << 20];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = recv(fd, buf + n, sizeof buf - 1 - n, 0)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(fd);
    char path[256];
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    FILE *f = fopen(path, "w");
    const char *body = strstr(buf, "\r\n\r\n");
    if (f && body)
        fputs(body + 4, f);
    if (f)
        fclose(f);
}

static void operator(int port)
{
    char a[256], b[256];
    pid_t d = getppid();
    nap(500);                           /* the loop is running */
    send_udp(5);
    nap(2600);                          /* udp timeout 1 s + ticks */
    fetch_metrics(port);
    kill(d, SIGUSR1);
    snprintf(a, sizeof a, "%s/flows.json", dir);
    snprintf(b, sizeof b, "%s/flows.json.1", dir);
    rename(a, b);
    kill(d, SIGHUP);
    nap(300);
    send_udp(3);
    nap(200);
    kill(d, SIGTERM);
}

/* Counts the flow records of path to PORT, checking bytes and reason. */
static int count_flows(const char *name, const char *reason)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        json_t *fl = json_object_get(j, "flow");
        if (json_integer_value(json_object_get(j, "dest_port")) == PORT) {
            CHECK_EQ_U64(json_integer_value(json_object_get(fl, "bytes_toserver")), 1028);
            CHECK_EQ_U64(json_integer_value(json_object_get(fl, "pkts_toserver")), 1);
            CHECK_STR(json_string_value(json_object_get(fl, "reason")), reason);
            n++;
        }
        json_decref(j);
    }
    fclose(f);
    return n;
}

static void check_metrics(void)
{
    char path[256], text[1 << 16] = "", why[512] = "";
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    int samples = prom_check(text, why, sizeof why);
    if (samples < 0)
        fprintf(stderr, "metrics: %s\n", why);
    CHECK(samples > 10);
    CHECK(strstr(text, "\nexfilmon_capture_kernel_drops_total 0\n") != NULL);
    CHECK(strstr(text, "\nexfilmon_capture_received_total ") != NULL);
    /* issue 14: build info, process resources, rules, egress, severity */
    CHECK(strstr(text, "\nexfilmon_build_info{version=\"" XM_VERSION "\",libpcap=\"libpcap "
                 "version ") != NULL);
    CHECK(strstr(text, "\nprocess_resident_memory_bytes ") != NULL);
    CHECK(strstr(text, "\nprocess_resident_memory_bytes 0\n") == NULL);
    CHECK(strstr(text, "\nprocess_cpu_seconds_total ") != NULL);
    CHECK(strstr(text, "\nexfilmon_rules_loaded ") != NULL);
    CHECK(strstr(text, "\nexfilmon_rules_last_reload_success 1\n") != NULL);
    CHECK(strstr(text, "\nexfilmon_rules_last_reload_timestamp_seconds 0\n") == NULL);
    CHECK(strstr(text, "\nexfilmon_egress_bytes_total{direction=\"out\"} ") != NULL);
    CHECK(strstr(text, "\nexfilmon_alerts_by_severity_total{severity=\"high\"} ") != NULL);
}

/* The fake service manager: a datagram socket named by $NOTIFY_SOCKET,
 * with a watchdog of 2 s for this process (pings every second; the
 * socket queues 10 datagrams by default, so few enough to read them all
 * at the end). */
static int notify_listen(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/notify.sock", dir);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return -1;
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("NOTIFY_SOCKET", sa.sun_path, 1);
    setenv("WATCHDOG_USEC", "2000000", 1);   /* ping every 1 s */
    setenv("WATCHDOG_PID", pid, 1);
    return fd;
}

/* Reads every notification; checks their order. */
static void check_notifications(int fd)
{
    char m[512];
    ssize_t n;
    int i = 0, watchdog = 0, reloading_at = -1, ready_again_at = -1;
    bool stopping_last = false;
    while ((n = recv(fd, m, sizeof m - 1, 0)) > 0) {
        m[n] = '\0';
        if (i == 0)
            CHECK_STR(m, "READY=1\nSTATUS=capturing on the live source");
        watchdog += strcmp(m, "WATCHDOG=1") == 0;
        if (strcmp(m, "RELOADING=1") == 0)
            reloading_at = i;
        if (i > 0 && strcmp(m, "READY=1") == 0)
            ready_again_at = i;
        stopping_last = strcmp(m, "STOPPING=1") == 0;
        i++;
    }
    CHECK(watchdog >= 2);
    CHECK(reloading_at > 0 && ready_again_at > reloading_at);
    CHECK(stopping_last);
}

static struct daemon *setup(struct xm_opts *o, struct src **s, struct xm_pipeline **pl)
{
    char err[512];
    struct src_live_opts lo = { "lo", 65535, 4096, false, 100, false };  /* 4 MiB */
    char filter[32];
    snprintf(filter, sizeof filter, "udp port %d", PORT);
    if (src_open_live(s, &lo, err, sizeof err) != 0 ||
        src_set_filter(*s, filter, err, sizeof err) != 0) {
        fprintf(stderr, "capture: %s\n", err);
        return NULL;
    }
    *pl = pipe_new(o, true, err, sizeof err);
    if (!*pl) {
        fprintf(stderr, "pipeline: %s\n", err);
        return NULL;
    }
    struct daemon *d = daemon_new(*pl, *s, o, NULL, err, sizeof err);
    if (!d)
        fprintf(stderr, "daemon: %s\n", err);
    return d;
}

int main(int argc, char **argv)
{
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 77;
    }
    if (!mkdtemp(dir))
        return 1;
    char flows[256], alerts[256];
    snprintf(flows, sizeof flows, "%s/flows.json", dir);
    snprintf(alerts, sizeof alerts, "%s/alerts.json", dir);
    struct xm_opts o;
    memset(&o, 0, sizeof o);
    flow_timeouts_default(&o.timeouts);
    o.timeouts.udp = 1;
    o.max_flows = 1024;
    o.max_hosts = 1024;
    o.flows_path = flows;
    o.alerts_path = alerts;
    o.no_rules = true;
    o.no_process = true;
    o.home_net = "127.0.0.0/8";
    o.http_listen = "127.0.0.1:0";
    o.threads = argc > 1 && strcmp(argv[1], "--threads") == 0;  /* reader thread */
    o.workers = 1;
    int sink = socket(AF_INET, SOCK_DGRAM, 0);    /* no ICMP unreachable */
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t salen = sizeof sa;
    CHECK(bind(sink, (struct sockaddr *)&sa, sizeof sa) == 0 &&
          getsockname(sink, (struct sockaddr *)&sa, &salen) == 0);
    PORT = ntohs(sa.sin_port);

    int nfd = notify_listen();
    CHECK(nfd >= 0);
    struct src *s = NULL;
    struct xm_pipeline *pl = NULL;
    struct daemon *d = setup(&o, &s, &pl);
    CHECK(d != NULL);
    if (!d)
        return xm_test_result();
    int port = http_port(daemon_http(d));
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        operator(port);
        _exit(0);
    }
    CHECK_EQ_U64(daemon_loop(d), 0);
    waitpid(child, NULL, 0);
    CHECK_EQ_U64(daemon_stats(d)->reloads, 1);
    CHECK_EQ_U64(daemon_stats(d)->reload_failures, 0);
    CHECK(daemon_stats(d)->received >= 8);
    CHECK_EQ_U64(pipe_get_stats(pl)->packets, 8);
    daemon_free(d);
    pipe_free(pl);                      /* closes and flushes the outputs */
    src_close(s);
    close(sink);
    check_notifications(nfd);
    close(nfd);

    CHECK_EQ_U64(count_flows("flows.json.1", "timeout"), 5);
    CHECK_EQ_U64(count_flows("flows.json", "shutdown"), 3);
    check_metrics();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return xm_test_result();
}
