/*
 * test_config.c - src/config.c: every setting lands in the right field,
 * relative paths resolve against the file's directory, errors carry exact
 * file:line:col messages with the source line, and a failed load leaves
 * the opts untouched (all-or-nothing).
 */
#include <stdlib.h>

#include "xm_config.h"
#include "xm_config_file.h"
#include "xm_test.h"

static void defaults(struct xm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->snaplen = 262144;
    o->buffer_kib = 65536;
    o->promisc = true;
    o->alerts_path = "-";
    o->max_flows = 1u << 20;
    o->max_hosts = 1u << 18;
    o->max_pairs = 1u << 18;
    o->timeouts = (struct flow_timeouts){ 60, 600, 10, 120, 60, 120, 1800 };
}

static const char full[] =
    "# exfilmon test config\n"
    "home_net = 10.0.0.0/8, 192.168.1.7, \"fd00::/8\"\n"
    "inventory {\n"
    "    \"10.0.0.23/32\" = ai, gpu;\n"
    "    10.0.5.0/24 = notebook\n"
    "    2001:db8::/64 = \"llm-gateway\"\n"
    "}\n"
    "outputs { alerts = \"alerts.json\"; flows = \"/var/log/f.json\"; syslog = exfilmon;\n"
    "          socket = \"unix.sock\" }\n"
    "rules = \"default.rules\", \"/etc/x/local.rules\";\n"
    "lists { llm_api = \"lists/llm.txt\"; bad_hosts = \"/abs/bad.txt\" }\n"
    "geoip = \"/geo/asn.mmdb\"\n"
    "limits { max_flows = 4096; max_hosts = 1000; max_names = 300000;\n"
    "         max_app_flows = 50000 }\n"
    "timeouts { tcp_new = 30s; tcp_established = 10m; udp = 2m; active = 0 }\n"
    "capture { interface = eth0; filter = \"not port 22\"; snaplen = 1500;\n"
    "          buffer = 128MiB; promisc = no }\n"
    "process { attribution = no; record = \"ledger.jsonl\" }\n"
    "user = exfilmon\n"
    "sensor = gw-1\n"
    "suppress = \"suppress.conf\"\n"
    "http = \"127.0.0.1:9464\"\n"
    "stats_interval = 5m;\n";

static void test_full(void)
{
    struct xm_opts o;
    struct config_store *st = NULL;
    char err[1024] = "";
    defaults(&o);
    int rc = config_load_text("/etc/exfilmon/exfilmon.conf", full, strlen(full), &o, &st,
                              err, sizeof err);
    CHECK_EQ_U64(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_STR(o.home_net, "10.0.0.0/8,192.168.1.7,fd00::/8");
    CHECK_STR(o.alerts_path, "/etc/exfilmon/alerts.json");
    CHECK_STR(o.flows_path, "/var/log/f.json");
    CHECK_STR(o.syslog_ident, "exfilmon");
    CHECK_STR(o.socket_path, "/etc/exfilmon/unix.sock");
    CHECK_EQ_U64(o.n_rule_files, 2);
    CHECK_STR(o.rule_files[0], "/etc/exfilmon/default.rules");
    CHECK_STR(o.rule_files[1], "/etc/x/local.rules");
    CHECK_EQ_U64(o.n_geoip, 1);
    CHECK_STR(o.geoip[0], "/geo/asn.mmdb");
    CHECK_EQ_U64(o.max_flows, 4096);
    CHECK_EQ_U64(o.max_hosts, 1000);
    CHECK_EQ_U64(o.max_names, 300000);
    CHECK_EQ_U64(o.max_app_flows, 50000);
    CHECK_EQ_U64(o.timeouts.tcp_new, 30);
    CHECK_EQ_U64(o.timeouts.tcp_established, 600);
    CHECK_EQ_U64(o.timeouts.udp, 120);
    CHECK_EQ_U64(o.timeouts.active, 0);
    CHECK_STR(o.iface, "eth0");
    CHECK_STR(o.bpf, "not port 22");
    CHECK_EQ_U64(o.snaplen, 1500);
    CHECK_EQ_U64(o.buffer_kib, 128 * 1024);
    CHECK(!o.promisc);
    CHECK(o.no_process);
    CHECK_STR(o.record_processes_path, "/etc/exfilmon/ledger.jsonl");
    CHECK_STR(o.user, "exfilmon");
    CHECK_STR(o.sensor, "gw-1");
    CHECK_STR(o.suppress_path, "/etc/exfilmon/suppress.conf");
    CHECK_STR(o.http_listen, "127.0.0.1:9464");
    CHECK_EQ_U64(o.stats_interval, 300);

    size_t n;
    const struct config_tag *inv = config_inventory(st, &n);
    CHECK_EQ_U64(n, 3);
    if (n == 3) {
        CHECK_STR(inv[0].cidr, "10.0.0.23/32");
        CHECK_STR(inv[0].tags, "ai,gpu");
        CHECK_STR(inv[1].cidr, "10.0.5.0/24");
        CHECK_STR(inv[1].tags, "notebook");
        CHECK_STR(inv[2].cidr, "2001:db8::/64");
        CHECK_STR(inv[2].tags, "llm-gateway");
        CHECK_EQ_U64(inv[1].line, 5);
    }
    const struct config_list *l = config_lists(st, &n);
    CHECK_EQ_U64(n, 2);
    if (n == 2) {
        CHECK_STR(l[0].name, "llm_api");
        CHECK_STR(l[0].path, "/etc/exfilmon/lists/llm.txt");
        CHECK_STR(l[1].path, "/abs/bad.txt");
    }

    /* --check output reads back to the same settings */
    char *dump = NULL;
    size_t dlen = 0;
    FILE *f = open_memstream(&dump, &dlen);
    config_dump(&o, st, f);
    fclose(f);
    struct xm_opts o2;
    struct config_store *st2 = NULL;
    defaults(&o2);
    int rc2 = config_load_text("/x/dump.conf", dump, dlen, &o2, &st2, err, sizeof err);
    CHECK_EQ_U64(rc2, 0);
    if (rc2 != 0)
        fprintf(stderr, "%s\n--- dump:\n%s", err, dump);
    CHECK_STR(o2.home_net, o.home_net);
    CHECK_STR(o2.bpf, "not port 22");
    CHECK_STR(o2.alerts_path, "/etc/exfilmon/alerts.json");
    CHECK_STR(o2.sensor, "gw-1");
    CHECK_STR(o2.suppress_path, "/etc/exfilmon/suppress.conf");
    CHECK_EQ_U64(o2.timeouts.tcp_established, 600);
    CHECK_EQ_U64(o2.buffer_kib, 128 * 1024);
    CHECK(o2.no_process && !o2.promisc);
    config_inventory(st2, &n);
    CHECK_EQ_U64(n, 3);
    free(dump);
    config_store_free(st2);
    config_store_free(st);
}

/* Loads text as "t.conf"; returns the error text ("" on success). */
static const char *load_err(const char *text)
{
    static char err[1024];
    struct xm_opts o, before;
    struct config_store *st = NULL;
    defaults(&o);
    before = o;
    err[0] = '\0';
    if (config_load_text("t.conf", text, strlen(text), &o, &st, err, sizeof err) == 0) {
        config_store_free(st);
        return "";
    }
    CHECK(memcmp(&o, &before, sizeof o) == 0);  /* all-or-nothing */
    CHECK(st == NULL);
    return err;
}

static void test_errors(void)
{
    CHECK_STR(load_err("user = nobody\nhom_net = 10.0.0.0/8\n"),
              "t.conf:2:1: error: unknown setting 'hom_net'\n"
              "    hom_net = 10.0.0.0/8\n"
              "    ^");
    CHECK_STR(load_err("limits { max_flows = 5 }\n"),
              "t.conf:1:22: error: max_flows must be a whole number from 16 to 67108864\n"
              "    limits { max_flows = 5 }\n"
              "                         ^");
    CHECK_STR(load_err("limits { max_names = 1048576 }\n"),
              "t.conf:1:22: error: max_names must be a whole number from 16 to 1048575\n"
              "    limits { max_names = 1048576 }\n"
              "                         ^");
    CHECK_STR(load_err("timeouts {\n  udp = 5MB\n}\n"),
              "t.conf:2:9: error: udp must be a duration from 1s to 2592000s, like 90s or 10m\n"
              "      udp = 5MB\n"
              "            ^");
    CHECK_STR(load_err("user = a\nuser = b\n"),
              "t.conf:2:1: error: 'user' is set twice\n"
              "    user = b\n"
              "    ^");
    CHECK_STR(load_err("outputs { alerts = alerts.json }"),
              "t.conf:1:20: error: expected a quoted path, got 'alerts.json'\n"
              "    outputs { alerts = alerts.json }\n"
              "                       ^");
    CHECK_STR(load_err("capture { buffer = 64 }"),
              "t.conf:1:20: error: buffer must be a size in whole KiB from 1KiB to 4GiB, "
              "like 64MiB\n"
              "    capture { buffer = 64 }\n"
              "                       ^");
    CHECK_STR(load_err("inventory { 10.0.0.1 = }"),
              "t.conf:1:24: error: expected a tag, got '}'\n"
              "    inventory { 10.0.0.1 = }\n"
              "                           ^");
    CHECK_STR(load_err("inventory { 10.0.0.300/8 = ai }"),
              "t.conf:1:13: error: malformed address '10.0.0.300/8'\n"
              "    inventory { 10.0.0.300/8 = ai }\n"
              "                ^");
    CHECK_STR(load_err("limits { max_flows = 100\n"),
              "t.conf:2:1: error: expected '}', got end of file\n"
              "    \n"
              "    ^");
    CHECK_STR(load_err("process { attribution = maybe }"),
              "t.conf:1:25: error: attribution must be yes or no\n"
              "    process { attribution = maybe }\n"
              "                            ^");
    CHECK_STR(load_err("user nobody"),
              "t.conf:1:6: error: expected '=', got 'nobody'\n"
              "    user nobody\n"
              "         ^");
    CHECK_STR(load_err("lists { a = \"x\"; a = \"y\" }"),
              "t.conf:1:18: error: list 'a' is set twice\n"
              "    lists { a = \"x\"; a = \"y\" }\n"
              "                     ^");
    CHECK_STR(load_err("user = \"\""),
              "t.conf:1:8: error: user must not be empty\n"
              "    user = \"\"\n"
              "           ^");
    /* a good first half is not applied when the second half is bad */
    CHECK_STR(load_err("user = exfilmon\nlimits { max_hosts = 20 }\nstats_interval = -1\n"),
              "t.conf:3:18: error: stats_interval must be a duration from 0s to 86400s, "
              "like 90s or 10m\n"
              "    stats_interval = -1\n"
              "                     ^");
}

/* A NUL byte inside a string would cut the value short: refused. */
static void test_nul(void)
{
    static const char text[] = "user = \"ab\0c\"\n";
    struct xm_opts o;
    struct config_store *st = NULL;
    char err[512];
    defaults(&o);
    CHECK(config_load_text("t.conf", text, sizeof text - 1, &o, &st, err, sizeof err) == -1);
    CHECK(strncmp(err, "t.conf:1:8: error: NUL byte in string\n", 38) == 0);
    CHECK(o.user == NULL);
}

static void test_files(void)
{
    struct xm_opts o;
    struct config_store *st = NULL;
    char err[512];
    defaults(&o);
    CHECK(config_load("/nonexistent/exfilmon.conf", &o, &st, err, sizeof err) == -1);
    CHECK_STR(err, "/nonexistent/exfilmon.conf: error: cannot read: No such file or directory");
    char path[] = "/tmp/xm_test_config.XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("rules = \"r.rules\"\n", f);
    fclose(f);
    CHECK_EQ_U64(config_load(path, &o, &st, err, sizeof err), 0);
    CHECK(o.n_rule_files == 1 && strcmp(o.rule_files[0], "/tmp/r.rules") == 0);
    config_store_free(st);
    remove(path);
}

/* The shipped example must load. */
static void test_dist_example(void)
{
    struct xm_opts o;
    struct config_store *st = NULL;
    char err[1024] = "";
    defaults(&o);
    int rc = config_load(XM_SOURCE_ROOT "/dist/exfilmon.conf", &o, &st, err, sizeof err);
    CHECK_EQ_U64(rc, 0);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    CHECK_STR(o.user, "exfilmon");
    CHECK_STR(o.http_listen, "127.0.0.1:9464");
    CHECK_STR(o.alerts_path, "/var/log/exfilmon/alerts.json");
    size_t n;
    config_inventory(st, &n);
    CHECK_EQ_U64(n, 2);
    config_store_free(st);
}

int main(void)
{
    test_full();
    test_dist_example();
    test_errors();
    test_nul();
    test_files();
    return xm_test_result();
}
