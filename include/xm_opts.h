/*
 * xm_opts.h - run-time settings: filled from defaults, then the config
 * file (-c), then command-line flags (which win).  src/main.c owns the
 * struct; strings point into argv or into storage owned by the config
 * loader and live for the whole run.
 */
#ifndef XM_OPTS_H
#define XM_OPTS_H

#include "xm_common.h"
#include "xm_app.h"
#include "xm_flow.h"

struct config_store;

#define XM_MAX_INPUTS 64
#define XM_MAX_GEOIP 8
#define XM_MAX_RULE_FILES 16
#define XM_MAX_WORKERS 16                 /* --workers */
#define XM_SNAPLEN_MAX 262144             /* -s 0 means this */
#define XM_MAX_NAMES_DEFAULT NAMES_DEFAULT_CAP      /* --max-names */
#define XM_MAX_NAMES_MAX NAMES_MAX_CAP
#define XM_MAX_APP_FLOWS_DEFAULT APP_DEFAULT_RECORDS /* --max-app-flows */
#define XM_MAX_APP_FLOWS_MAX APP_MAX_RECORDS

struct xm_opts {
    const char *inputs[XM_MAX_INPUTS]; /* -r FILE ... ("-" = stdin) */
    size_t n_inputs;
    const char *iface;                 /* -i IFACE */
    const char *bpf;                   /* -f EXPR or trailing args */
    int snaplen;                       /* --snaplen, default 262144 */
    int buffer_kib;                    /* -B/--buffer-size KiB (tcpdump's unit),
                                          default 65536 (64 MiB) */
    bool promisc;                      /* default true; -p turns it off */

    const char *home_net;              /* --home-net CIDR,...; NULL = default */
    const char *flows_path;            /* --flows FILE|- ; NULL = off */
    const char *alerts_path;           /* --alerts FILE|- ; default "-" */
    const char *alert_mode;            /* --alert-mode incidents|alerts|both */
    const char *rule_files[XM_MAX_RULE_FILES]; /* --rules FILE ... */
    size_t n_rule_files;
    bool no_rules;                     /* --no-rules */
    const char *geoip[XM_MAX_GEOIP];   /* --geoip FILE ... */
    size_t n_geoip;
    const char *config_path;           /* -c FILE */
    const struct config_store *config; /* its contents (inventory, lists) */
    const char *user;                  /* --user NAME */
    const char *http_listen;           /* --http ADDR:PORT */
    const char *processes_path;        /* --processes FILE (replay) */
    const char *record_processes_path; /* --record-processes FILE (live) */
    const char *syslog_ident;          /* --syslog IDENT: alerts to syslog too */
    const char *socket_path;           /* --socket PATH: alerts to a unix socket */
    const char *redis_url;             /* --redis URL: every record to Redis streams */
    const char *kafka;                 /* --kafka BROKERS/TOPIC[?opts]: every record */
    const char *webhook_url;           /* --webhook URL: incidents POSTed */
    const char *webhook_format;        /* --webhook-format json|slack; NULL = json */
    uint32_t webhook_rate;             /* --webhook-rate posts/minute; 0 = default */
    const char *site_redis;            /* --site-redis URL: site-wide first-seen (xm_site.h) */
    const char *state_dir;             /* --state DIR: learned state; NULL = none */
    uint32_t state_interval;           /* --state-interval SEC (live), default 300 */
    const char *sensor;                /* --sensor NAME: EVE "host"; NULL = host name */
    const char *suppress_path;         /* --suppress FILE: alert suppression list */

    uint32_t max_flows;                /* --max-flows, default 1048576 */
    uint32_t max_hosts;                /* --max-hosts, default 262144 (tables
                                          commit memory only as keys arrive) */
    uint32_t max_pairs;                /* --max-pairs: rule host+destination
                                          keys, default 262144 */
    uint32_t max_names;                /* --max-names: DNS names and answer
                                          addresses, default 65536 (0 = that) */
    uint32_t max_app_flows;            /* --max-app-flows: flows with app-layer
                                          state at once, default 16384 (0 = that) */
    struct flow_timeouts timeouts;     /* --timeout CLASS=SECONDS */
    uint32_t stats_interval;           /* --stats-interval SECONDS (live) */
    uint64_t count;                    /* --count N: stop after N packets; 0 = all */
    uint32_t threads;                  /* --threads 0|1: reader thread (default 1) */
    uint32_t workers;                  /* --workers N: live capture handles in one
                                          PACKET_FANOUT group (default 1) */

    bool quiet;                        /* -q: no progress */
    bool check;                        /* --check: validate and exit */
    bool no_process;                   /* --no-process: no attribution */
    bool list_ifaces;                  /* -D: list interfaces and exit */
    bool no_ebpf;                      /* --no-ebpf: sock_diag source only */
};

void xm_opts_defaults(struct xm_opts *o);

#endif
