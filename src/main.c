/*
 * main.c - exfilmon's command line: parse options, open every input and
 * output, drop privileges, then run either the replay loop (recorded
 * captures, packet time as the clock) or the live daemon.
 *
 * Exit status: 0 success; 1 an input was unreadable or cut short, or an
 * output failed (everything read before is still flushed); 2 usage or
 * configuration error (nothing was run).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "xm_config.h"
#include "xm_main.h"
#include "xm_opts.h"
#include "xm_pipeline.h"
#include "xm_source.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2

static const char usage_text[] =
"Usage: exfilmon [options] -r FILE [-r FILE ...] [BPF filter]\n"
"       exfilmon [options] -i IFACE [BPF filter]\n"
"       exfilmon --check [-c FILE] [--rules FILE ...]\n"
"\n"
"Watches outbound traffic and flags data exfiltration; alerts and flow\n"
"records are JSON lines in Suricata EVE style.\n"
"\n"
"Input:\n"
"  -r, --read FILE         replay a pcap/pcapng file; repeat to merge several in\n"
"                          timestamp order; '-' reads standard input\n"
"  -i, --interface IFACE   capture live on IFACE\n"
"  -f, --filter EXPR       BPF filter (tcpdump syntax; also as trailing args)\n"
"  -s, --snaplen BYTES     live snapshot length (default 262144)\n"
"  -B, --buffer-size MIB   live kernel buffer in MiB (default 64)\n"
"  -p, --no-promisc        do not put the interface in promiscuous mode\n"
"\n"
"Accounting:\n"
"      --home-net CIDR[,CIDR...]  our addresses (default: private and local\n"
"                          ranges 10/8 172.16/12 192.168/16 100.64/10 127/8\n"
"                          169.254/16 fc00::/7 fe80::/10 ::1)\n"
"      --max-flows N       flow table cap (default 1048576)\n"
"      --max-hosts N       host table cap (default 65536)\n"
"      --timeout CLASS=SEC idle timeout; CLASS is tcp-new, tcp-established,\n"
"                          tcp-closed, udp, icmp, other, or active (interim\n"
"                          record period of long flows; 0 = never)\n"
"\n"
"Rules and enrichment:\n"
"      --rules FILE        rule file (repeatable; default: the bundled pack)\n"
"      --no-rules          run without rules (flow accounting only)\n"
"      --geoip FILE        MaxMind DB file (repeatable)\n"
"      --processes FILE    replay: per-process attribution from a ledger\n"
"      --record-processes FILE  live: write the socket-to-process ledger\n"
"      --no-process        live: no per-process attribution\n"
"      --no-ebpf           live: attribute with sock_diag, not the eBPF source\n"
"\n"
"Output:\n"
"      --alerts FILE       alerts as JSON lines (default '-', standard output)\n"
"      --flows FILE        flow records as JSON lines ('-' = standard output)\n"
"      --syslog IDENT      alerts also to syslog (RFC 5424, /dev/log)\n"
"      --socket PATH       alerts also to a Unix socket local readers follow\n"
"  -q, --quiet             no progress display\n"
"\n"
"Operation:\n"
"  -c, --config FILE       configuration file (flags override it)\n"
"      --check             load config and rules, print them, exit\n"
"      --user NAME         drop to this user after opening everything\n"
"      --http ADDR:PORT    serve /metrics, /healthz, /alerts (live)\n"
"      --stats-interval SEC  live: statistics line period (default 0 = off)\n"
"  -h, --help              this text\n"
"  -V, --version           version\n";

enum {
    OPT_HOME_NET = 256, OPT_FLOWS, OPT_ALERTS, OPT_RULES, OPT_NO_RULES,
    OPT_GEOIP, OPT_CHECK, OPT_USER, OPT_HTTP, OPT_PROCESSES,
    OPT_RECORD_PROCESSES, OPT_MAX_FLOWS, OPT_MAX_HOSTS, OPT_TIMEOUT,
    OPT_STATS_INTERVAL, OPT_NO_PROCESS, OPT_NO_EBPF, OPT_SYSLOG, OPT_SOCKET,
};

static const struct option long_opts[] = {
    {"read", required_argument, NULL, 'r'},
    {"interface", required_argument, NULL, 'i'},
    {"filter", required_argument, NULL, 'f'},
    {"snaplen", required_argument, NULL, 's'},
    {"buffer-size", required_argument, NULL, 'B'},
    {"no-promisc", no_argument, NULL, 'p'},
    {"config", required_argument, NULL, 'c'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"home-net", required_argument, NULL, OPT_HOME_NET},
    {"flows", required_argument, NULL, OPT_FLOWS},
    {"alerts", required_argument, NULL, OPT_ALERTS},
    {"rules", required_argument, NULL, OPT_RULES},
    {"no-rules", no_argument, NULL, OPT_NO_RULES},
    {"geoip", required_argument, NULL, OPT_GEOIP},
    {"check", no_argument, NULL, OPT_CHECK},
    {"user", required_argument, NULL, OPT_USER},
    {"http", required_argument, NULL, OPT_HTTP},
    {"processes", required_argument, NULL, OPT_PROCESSES},
    {"record-processes", required_argument, NULL, OPT_RECORD_PROCESSES},
    {"no-process", no_argument, NULL, OPT_NO_PROCESS},
    {"no-ebpf", no_argument, NULL, OPT_NO_EBPF},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"max-hosts", required_argument, NULL, OPT_MAX_HOSTS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
    {"syslog", required_argument, NULL, OPT_SYSLOG},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {NULL, 0, NULL, 0},
};

void xm_opts_defaults(struct xm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->snaplen = 262144;
    o->buffer_mb = 64;
    o->promisc = true;
    o->alerts_path = "-";
    o->max_flows = 1u << 20;
    o->max_hosts = 65536;
    flow_timeouts_default(&o->timeouts);
}

/* Parses a whole decimal number in [lo, hi]; 0 on success. */
static int main_parse_u32(const char *flag, const char *s, uint32_t lo, uint32_t hi,
                          uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "exfilmon: %s: '%s' is not a number from %u to %u\n",
                flag, s, lo, hi);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* --timeout CLASS=SECONDS */
static int main_parse_timeout(const char *arg, struct flow_timeouts *t)
{
    static const struct { const char *name; size_t off; } classes[] = {
        {"tcp-new", offsetof(struct flow_timeouts, tcp_new)},
        {"tcp-established", offsetof(struct flow_timeouts, tcp_established)},
        {"tcp-closed", offsetof(struct flow_timeouts, tcp_closed)},
        {"udp", offsetof(struct flow_timeouts, udp)},
        {"icmp", offsetof(struct flow_timeouts, icmp)},
        {"other", offsetof(struct flow_timeouts, other)},
        {"active", offsetof(struct flow_timeouts, active)},
    };
    const char *eq = strchr(arg, '=');
    for (size_t i = 0; eq && i < XM_ARRAY_LEN(classes); i++) {
        size_t n = strlen(classes[i].name);
        if ((size_t)(eq - arg) == n && strncmp(arg, classes[i].name, n) == 0) {
            uint32_t *slot = (uint32_t *)((char *)t + classes[i].off);
            uint32_t lo = strcmp(classes[i].name, "active") == 0 ? 0 : 1;
            return main_parse_u32("--timeout", eq + 1, lo, 30u * 86400u, slot);
        }
    }
    fprintf(stderr, "exfilmon: --timeout: '%s' is not CLASS=SECONDS with CLASS one of "
            "tcp-new, tcp-established, tcp-closed, udp, icmp, other, active\n", arg);
    return -1;
}

static int main_add(const char **arr, size_t *n, size_t cap, const char *flag, const char *v)
{
    if (*n >= cap) {
        fprintf(stderr, "exfilmon: %s: at most %zu allowed\n", flag, cap);
        return -1;
    }
    arr[(*n)++] = v;
    return 0;
}

/* Applies one option; returns 0, 1 for "exit 0 now", -1 for usage error. */
static int main_apply_opt(struct xm_opts *o, int c, const char *arg)
{
    switch (c) {
    case 'r': return main_add(o->inputs, &o->n_inputs, XM_MAX_INPUTS, "-r", arg);
    case 'i': o->iface = arg; return 0;
    case 'f': o->bpf = arg; return 0;
    case 's': return main_parse_u32("--snaplen", arg, 64, 262144, (uint32_t *)&o->snaplen);
    case 'B': return main_parse_u32("--buffer-size", arg, 1, 4096, (uint32_t *)&o->buffer_mb);
    case 'p': o->promisc = false; return 0;
    case 'c': o->config_path = arg; return 0;
    case 'q': o->quiet = true; return 0;
    case 'h': fputs(usage_text, stdout); return 1;
    case 'V': printf("exfilmon %s\n", XM_VERSION); return 1;
    case OPT_HOME_NET: o->home_net = arg; return 0;
    case OPT_FLOWS: o->flows_path = arg; return 0;
    case OPT_ALERTS: o->alerts_path = arg; return 0;
    case OPT_RULES:
        return main_add(o->rule_files, &o->n_rule_files, XM_MAX_RULE_FILES, "--rules", arg);
    case OPT_NO_RULES: o->no_rules = true; return 0;
    case OPT_GEOIP: return main_add(o->geoip, &o->n_geoip, XM_MAX_GEOIP, "--geoip", arg);
    case OPT_CHECK: o->check = true; return 0;
    case OPT_USER: o->user = arg; return 0;
    case OPT_HTTP: o->http_listen = arg; return 0;
    case OPT_PROCESSES: o->processes_path = arg; return 0;
    case OPT_RECORD_PROCESSES: o->record_processes_path = arg; return 0;
    case OPT_NO_PROCESS: o->no_process = true; return 0;
    case OPT_NO_EBPF: o->no_ebpf = true; return 0;
    case OPT_MAX_FLOWS: return main_parse_u32("--max-flows", arg, 16, 1u << 26, &o->max_flows);
    case OPT_MAX_HOSTS: return main_parse_u32("--max-hosts", arg, 16, 1u << 24, &o->max_hosts);
    case OPT_TIMEOUT: return main_parse_timeout(arg, &o->timeouts);
    case OPT_SYSLOG: o->syslog_ident = arg; return 0;
    case OPT_SOCKET: o->socket_path = arg; return 0;
    case OPT_STATS_INTERVAL:
        return main_parse_u32("--stats-interval", arg, 0, 86400, &o->stats_interval);
    default: return -1;
    }
}

/* Joins trailing arguments into one BPF expression (tcpdump style). */
static char *main_join_filter(int argc, char **argv, int first)
{
    size_t len = 1;
    for (int i = first; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = calloc(1, len);
    if (!s)
        return NULL;
    for (int i = first; i < argc; i++) {
        if (i > first)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* Parses argv over o (which may hold config-file values). */
static int main_parse_args(int argc, char **argv, struct xm_opts *o, char **filter_buf)
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:i:f:s:B:pc:qhV", long_opts, NULL)) != -1) {
        if (c == '?')
            return -1;              /* getopt printed what was wrong */
        int rc = main_apply_opt(o, c, optarg);
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        if (o->bpf) {
            fprintf(stderr, "exfilmon: give the filter either with -f or as trailing "
                    "arguments, not both\n");
            return -1;
        }
        *filter_buf = main_join_filter(argc, argv, optind);
        o->bpf = *filter_buf;
    }
    return 0;
}

static int main_validate(const struct xm_opts *o)
{
    if (o->check)
        return 0;
    if (o->n_inputs && o->iface) {
        fprintf(stderr, "exfilmon: use -r or -i, not both\n");
        return -1;
    }
    if (!o->n_inputs && !o->iface) {
        fprintf(stderr, "exfilmon: nothing to read: give -r FILE or -i IFACE "
                "(see exfilmon --help)\n");
        return -1;
    }
    return 0;
}

/* --- progress display (replay on a terminal) --------------------------- */

struct progress {
    bool on;
    double t0, last;
    uint64_t pkts;
};

static double main_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_show(struct progress *pg, const struct src *s, bool final)
{
    double now = main_mono();
    if (!final && now - pg->last < 0.5)
        return;
    pg->last = now;
    uint64_t done, total;
    src_progress(s, &done, &total);
    double el = now - pg->t0 > 1e-6 ? now - pg->t0 : 1e-6;
    double rate = (double)pg->pkts / el;
    if (final) {
        fputs("\r\033[K", stderr);
    } else if (total) {
        double frac = (double)done / (double)total;
        double left = frac > 0.001 ? el * (1.0 - frac) / frac : 0.0;
        fprintf(stderr, "\r\033[Kexfilmon: %5.1f%% read, %.2f Mpkt/s, %.0f s left",
                100.0 * frac, rate / 1e6, left);
    } else {
        fprintf(stderr, "\r\033[Kexfilmon: %llu packets, %.2f Mpkt/s",
                (unsigned long long)pg->pkts, rate / 1e6);
    }
    fflush(stderr);
}

/* Reads every input to the end; returns 0, or EXIT_INPUT if one failed. */
static int main_replay(struct xm_pipeline *pl, struct src *s, bool show)
{
    struct progress pg = {.on = show, .t0 = main_mono()};
    struct src_pkt p;
    for (;;) {
        int rc = src_next(s, &p);
        if (rc == SRC_PKT) {
            pipe_packet(pl, p.dlt, p.ts, p.data, p.caplen, p.wirelen);
            if (pg.on && (++pg.pkts & 0xffff) == 0)
                progress_show(&pg, s, false);
            continue;
        }
        if (rc == SRC_ERR) {
            if (pg.on)
                progress_show(&pg, s, true);
            fprintf(stderr, "exfilmon: %s\n", src_error(s));
            continue;
        }
        break;
    }
    if (pg.on)
        progress_show(&pg, s, true);
    return src_failed(s) ? EXIT_INPUT : 0;
}

static int main_open_source(const struct xm_opts *o, struct src **s)
{
    char err[512];
    int rc;
    if (o->iface) {
        struct src_live_opts lo = {o->iface, o->snaplen, o->buffer_mb, o->promisc, 100,
                                   !o->no_process};
        rc = src_open_live(s, &lo, err, sizeof err);
    } else {
        rc = src_open_files(s, o->inputs, o->n_inputs, err, sizeof err);
    }
    if (rc == 0 && o->bpf && src_set_filter(*s, o->bpf, err, sizeof err) != 0) {
        src_close(*s);
        *s = NULL;
        rc = -1;
    }
    if (rc != 0)
        fprintf(stderr, "exfilmon: %s\n", err);
    return rc;
}

/* Builds opts from defaults, the config file, then the command line
 * (see xm_main.h).  Returns 0, 1 for "exit 0 now" (--help), -1 on error. */
int main_build_opts(int argc, char **argv, struct xm_opts *o, char **filter_buf,
                    struct config_store **store)
{
    xm_opts_defaults(o);
    int rc = main_parse_args(argc, argv, o, filter_buf);   /* finds -c */
    free(*filter_buf);
    *filter_buf = NULL;
    if (rc != 0)
        return rc;
    const char *cfg = o->config_path;
    xm_opts_defaults(o);
    if (cfg && main_load_config(cfg, o, store) != 0)
        return -1;
    return main_parse_args(argc, argv, o, filter_buf);
}

int main(int argc, char **argv)
{
    struct xm_opts o;
    struct main_ctx mc = {.argc = argc, .argv = argv};
    char *filter_buf = NULL;
    struct src *s = NULL;
    struct xm_pipeline *pl = NULL;
    char err[1024];
    int status = EXIT_USAGE;

    int rc = main_build_opts(argc, argv, &o, &filter_buf, &mc.config_store);
    if (rc != 0) {
        status = rc == 1 ? 0 : EXIT_USAGE;
        goto out;
    }
    if (o.check) {
        status = main_check(&o) == 0 ? 0 : EXIT_USAGE;
        goto out;
    }
    if (main_validate(&o) != 0)
        goto out;
    if (main_open_source(&o, &s) != 0) {
        status = EXIT_INPUT;
        goto out;
    }
    pl = pipe_new(&o, o.iface != NULL, err, sizeof err);
    if (!pl) {
        fprintf(stderr, "exfilmon: %s\n", err);
        goto out;
    }
    if (o.iface) {
        status = main_live(pl, s, &o, &mc);   /* drops privileges itself */
    } else {
        if (main_drop_privileges(&o) != 0)
            goto out;
        status = main_replay(pl, s, !o.quiet && isatty(STDERR_FILENO));
        pipe_finish(pl);
    }
    pipe_write_summary(pl, stderr);
    if (pipe_flush_outputs(pl) != 0 && status == 0)
        status = EXIT_INPUT;
out:
    pipe_free(pl);
    src_close(s);
    main_ctx_free(&mc);
    free(filter_buf);
    return status;
}
