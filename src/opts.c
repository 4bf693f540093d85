/*
 * opts.c - the program's options: defaults, then the configuration file
 * (-c), then the command line, into a struct xm_opts (see xm_main.h and
 * xm_opts.h).  Used at start-up by main.c and on SIGHUP by run.c; calls
 * neither of them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xm_config.h"
#include "xm_config_file.h"
#include "xm_main.h"
#include "xm_log.h"
#include "xm_opts.h"
#include "xm_version.h"

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
"  -s, --snaplen BYTES     live snapshot length (default and 0: 262144)\n"
"  -B, --buffer-size KIB   live kernel buffer in KiB, as tcpdump (default 65536)\n"
"  -p, --no-promisc        do not put the interface in promiscuous mode\n"
"      --count N           stop after N packets (-c is the config file)\n"
"      --threads 0|1       1 (default): read and decode on a thread of their own\n"
"      --workers N         live: N capture handles in one PACKET_FANOUT group,\n"
"                          each with its reader thread (default 1)\n"
"  -D, --list-interfaces   list the interfaces capture can use, then exit\n"
"  -n                      accepted for tcpdump habit; exfilmon never resolves\n"
"\n"
"Accounting:\n"
"      --home-net CIDR[,CIDR...]  our addresses (default: private and local\n"
"                          ranges 10/8 172.16/12 192.168/16 100.64/10 127/8\n"
"                          169.254/16 fc00::/7 fe80::/10 ::1)\n"
"      --max-flows N       flow table cap (default 1048576)\n"
"      --max-hosts N       host table and rule host-key cap (default 262144)\n"
"      --max-pairs N       rule host+destination key cap, also of first-seen\n"
"                          pairs (destinations: N/2) (default 262144)\n"
"      --max-names N       names learned (DNS, SNI, Host) and DNS answer\n"
"                          addresses kept, each (default 65536, <= 1048575)\n"
"      --max-app-flows N   flows parsed at once for DNS/TLS/QUIC/HTTP state\n"
"                          (default 16384; a flow beyond it keeps only its name)\n"
"      --timeout CLASS=SEC idle timeout; CLASS is tcp-new, tcp-established,\n"
"                          tcp-closed, udp, icmp, other, or active (interim\n"
"                          record period of long flows; 0 = never)\n"
"\n";

/* Split in two: ISO C caps a string literal at 4095 bytes. */
static const char usage_text2[] =
"Rules and enrichment:\n"
"      --rules FILE        rule file (repeatable; default: the bundled pack)\n"
"      --no-rules          run without rules (flow accounting only)\n"
"      --geoip FILE        MaxMind DB file (repeatable)\n"
"      --suppress FILE     alert suppression list (see docs/suppress.md)\n"
"      --processes FILE    replay: per-process attribution from a ledger\n"
"      --record-processes FILE  live: write the socket-to-process ledger\n"
"      --no-process        live: no per-process attribution\n"
"      --no-ebpf           live: attribute with sock_diag, not the eBPF source\n"
"\n"
"Output:\n"
"      --alerts FILE       incidents/alerts as JSON lines (default '-', standard\n"
"                          output)\n"
"      --alert-mode MODE   incidents (one record per exfiltration episode, the\n"
"                          default; docs/schema-incident.md), alerts (one\n"
"                          record per rule hit) or both\n"
"      --flows FILE        flow records as JSON lines ('-' = standard output)\n"
"      --syslog IDENT      alerts also to syslog (RFC 5424, /dev/log)\n"
"      --socket PATH       alerts also to a Unix socket local readers follow\n"
"      --redis URL         every record also to Redis streams PREFIX:TYPE\n"
"                          (redis[s]://[user:pass@]host[:port][/db][?maxlen=N\n"
"                          &cacert=FILE]; rediss:// = TLS)\n"
"      --kafka BROKERS/TOPIC  every record also to a Kafka topic, key = local\n"
"                          host (host[:port],.../topic[?queue=BYTES&messages=N\n"
"                          &security.protocol=P&sasl.username=U...])\n"
"      --webhook URL       incident records (alerts with --alert-mode alerts)\n"
"                          POSTed as JSON to an http:// URL\n"
"      --webhook-format F  json (the record, default) or slack ({\"text\": ...})\n"
"      --webhook-rate N    at most N webhook posts per minute (default 60)\n"
"      --sensor NAME       sensor name, EVE \"host\" of every record\n"
"                          (default: this machine's host name)\n"
"  -q, --quiet             no progress display\n"
"\n"
"Operation:\n"
"  -c, --config FILE       configuration file (flags override it)\n"
"      --check             load config, rules and lists, check the user, output\n"
"                          directories and listen address, print, exit\n"
"      --user NAME         drop to this user after opening everything\n"
"      --http ADDR:PORT    serve /metrics, /healthz, /alerts (live)\n"
"      --stats-interval SEC  live: statistics line period (default 0 = off)\n"
"      --state DIR         load learned state (first-seen, prevalence, baselines,\n"
"                          AI-host evidence, open incidents) at start, save it\n"
"                          at exit and periodically (see docs/operations.md)\n"
"      --state-interval SEC  live: save the state this often (default 300)\n"
"      --site-redis URL    share first-seen, prevalence and AI-host evidence\n"
"                          with the site's other sensors through Redis\n"
"                          (redis[s]://host[:port][/db][?prefix=P&sync=N...])\n"
"  -h, --help              this text\n"
"  -V, --version           versions of exfilmon and its libraries\n"
"\n"
"Exit status: 0 success; 1 an input unreadable or cut short, or an output\n"
"not writable; 2 a usage or configuration error (nothing ran).\n";

enum {
    OPT_HOME_NET = 256, OPT_FLOWS, OPT_ALERTS, OPT_RULES, OPT_NO_RULES,
    OPT_GEOIP, OPT_CHECK, OPT_USER, OPT_HTTP, OPT_PROCESSES,
    OPT_RECORD_PROCESSES, OPT_MAX_FLOWS, OPT_MAX_HOSTS, OPT_MAX_PAIRS, OPT_MAX_NAMES, OPT_MAX_APP_FLOWS, OPT_TIMEOUT,
    OPT_STATS_INTERVAL, OPT_NO_PROCESS, OPT_SYSLOG, OPT_SOCKET, OPT_COUNT, OPT_ALERT_MODE,
    OPT_NO_EBPF, OPT_REDIS, OPT_KAFKA, OPT_SITE_REDIS, OPT_WEBHOOK, OPT_WEBHOOK_FORMAT,
    OPT_WEBHOOK_RATE,
    OPT_STATE, OPT_STATE_INTERVAL,
    OPT_SENSOR, OPT_SUPPRESS, OPT_THREADS, OPT_WORKERS,
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
    {"alert-mode", required_argument, NULL, OPT_ALERT_MODE},
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
    {"max-pairs", required_argument, NULL, OPT_MAX_PAIRS},
    {"max-names", required_argument, NULL, OPT_MAX_NAMES},
    {"max-app-flows", required_argument, NULL, OPT_MAX_APP_FLOWS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
    {"syslog", required_argument, NULL, OPT_SYSLOG},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"kafka", required_argument, NULL, OPT_KAFKA},
    {"site-redis", required_argument, NULL, OPT_SITE_REDIS},
    {"webhook", required_argument, NULL, OPT_WEBHOOK},
    {"webhook-format", required_argument, NULL, OPT_WEBHOOK_FORMAT},
    {"webhook-rate", required_argument, NULL, OPT_WEBHOOK_RATE},
    {"count", required_argument, NULL, OPT_COUNT},
    {"state", required_argument, NULL, OPT_STATE},
    {"state-interval", required_argument, NULL, OPT_STATE_INTERVAL},
    {"sensor", required_argument, NULL, OPT_SENSOR},
    {"suppress", required_argument, NULL, OPT_SUPPRESS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"list-interfaces", no_argument, NULL, 'D'},
    {NULL, 0, NULL, 0},
};

void xm_opts_defaults(struct xm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->snaplen = 262144;
    o->buffer_kib = 65536;
    o->promisc = true;
    o->alerts_path = "-";
    o->max_flows = 1u << 20;
    o->max_hosts = 1u << 18;
    o->max_pairs = 1u << 18;
    o->max_names = XM_MAX_NAMES_DEFAULT;
    o->max_app_flows = XM_MAX_APP_FLOWS_DEFAULT;
    o->state_interval = 300;
    o->threads = 1;
    o->workers = 1;
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
        xm_err("%s: '%s' is not a number from %u to %u", flag, s, lo, hi);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* -s 0 means the largest snapshot, as in tcpdump. */
static int main_parse_snaplen(const char *arg, int *out)
{
    uint32_t v = 0;
    if (strcmp(arg, "0") == 0) {
        *out = XM_SNAPLEN_MAX;
        return 0;
    }
    if (main_parse_u32("--snaplen (0 = maximum)", arg, 64, XM_SNAPLEN_MAX, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* --count N, N >= 1 (64-bit). */
static int main_parse_count(const char *arg, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end != '\0' || arg[0] == '-' || v == 0) {
        xm_err("--count: '%s' is not a whole number of packets (1 or more)", arg);
        return -1;
    }
    *out = v;
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
    xm_err("--timeout: '%s' is not CLASS=SECONDS with CLASS one of "
           "tcp-new, tcp-established, tcp-closed, udp, icmp, other, active", arg);
    return -1;
}

static int main_add(const char **arr, size_t *n, size_t cap, const char *flag, const char *v)
{
    if (*n >= cap) {
        xm_err("%s: at most %zu allowed", flag, cap);
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
    case 's': return main_parse_snaplen(arg, &o->snaplen);
    case 'B':
        return main_parse_u32("--buffer-size (KiB)", arg, 1, 4u << 20,
                              (uint32_t *)&o->buffer_kib);
    case 'D': o->list_ifaces = true; return 0;
    case 'n': return 0;                 /* tcpdump habit: nothing is resolved anyway */
    case 'p': o->promisc = false; return 0;
    case 'c': o->config_path = arg; return 0;
    case 'q': o->quiet = true; return 0;
    case 'h': fputs(usage_text, stdout); fputs(usage_text2, stdout); return 1;
    case 'V': xm_version_print(stdout); return 1;
    case OPT_HOME_NET: o->home_net = arg; return 0;
    case OPT_FLOWS: o->flows_path = arg; return 0;
    case OPT_ALERTS: o->alerts_path = arg; return 0;
    case OPT_ALERT_MODE: o->alert_mode = arg; return 0;
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
    case OPT_MAX_PAIRS: return main_parse_u32("--max-pairs", arg, 16, 1u << 24, &o->max_pairs);
    case OPT_MAX_NAMES:
        return main_parse_u32("--max-names", arg, 16, XM_MAX_NAMES_MAX, &o->max_names);
    case OPT_MAX_APP_FLOWS:
        return main_parse_u32("--max-app-flows", arg, 16, XM_MAX_APP_FLOWS_MAX, &o->max_app_flows);
    case OPT_TIMEOUT: return main_parse_timeout(arg, &o->timeouts);
    case OPT_SYSLOG: o->syslog_ident = arg; return 0;
    case OPT_SOCKET: o->socket_path = arg; return 0;
    case OPT_REDIS: o->redis_url = arg; return 0;
    case OPT_KAFKA: o->kafka = arg; return 0;
    case OPT_SITE_REDIS: o->site_redis = arg; return 0;
    case OPT_WEBHOOK: o->webhook_url = arg; return 0;
    case OPT_WEBHOOK_FORMAT: o->webhook_format = arg; return 0;
    case OPT_WEBHOOK_RATE:
        return main_parse_u32("--webhook-rate", arg, 1, 6000, &o->webhook_rate);
    case OPT_COUNT: return main_parse_count(arg, &o->count);
    case OPT_STATE: o->state_dir = arg; return 0;
    case OPT_STATE_INTERVAL:
        return main_parse_u32("--state-interval", arg, 1, 86400, &o->state_interval);
    case OPT_SENSOR: o->sensor = arg; return 0;
    case OPT_SUPPRESS: o->suppress_path = arg; return 0;
    case OPT_THREADS: return main_parse_u32("--threads", arg, 0, 1, &o->threads);
    case OPT_WORKERS: return main_parse_u32("--workers", arg, 1, XM_MAX_WORKERS, &o->workers);
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

/* getopt's complaint (opterr is 0), then where to look. */
static void main_getopt_error(int c, char **argv)
{
    const char *arg = argv[optind - 1];
    if (c == ':')
        xm_err("option %s needs a value; try 'exfilmon --help'", arg);
    else if (optopt)
        xm_err("unknown option -%c; try 'exfilmon --help'", optopt);
    else
        xm_err("unknown option %s; try 'exfilmon --help'", arg);
}

/* Parses argv over o (which may hold config-file values). */
static int main_parse_args(int argc, char **argv, struct xm_opts *o, char **filter_buf)
{
    int c;
    optind = 1;
    opterr = 0;                     /* our own message, with the pointer to --help */
    while ((c = getopt_long(argc, argv, ":r:i:f:s:B:pc:qhVDn", long_opts, NULL)) != -1) {
        if (c == '?' || c == ':') {
            main_getopt_error(c, argv);
            return -1;
        }
        int rc = main_apply_opt(o, c, optarg);
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        if (o->bpf) {
            xm_err("give the filter either with -f or as trailing arguments, not both "
                   "(see exfilmon --help)");
            return -1;
        }
        *filter_buf = main_join_filter(argc, argv, optind);
        o->bpf = *filter_buf;
    }
    return 0;
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

int main_load_config(const char *path, struct xm_opts *o, struct config_store **store)
{
    char err[2048];
    if (config_load(path, o, store, err, sizeof err) != 0) {
        xm_err("%s", err);
        if (path[0] && strspn(path, "0123456789") == strlen(path) && access(path, F_OK) != 0)
            xm_err("-c is the configuration file (as in Suricata); for a packet count "
                   "as tcpdump's -c, use --count %s", path);
        return -1;
    }
    o->config = *store;
    o->config_path = path;
    return 0;
}
