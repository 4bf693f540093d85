/*
 * xm_config_file.h - the -c configuration file (src/config.c).
 *
 * Syntax: the rule language's tokens (rules/lex.h: '#' comments, "strings",
 * numbers with units 500MB 64MiB 90s 10m 1h 7d, addresses and CIDRs).
 * A file is a sequence of settings `name = value [, value ...] [;]` and
 * blocks `name { ... }`.  Relative paths are relative to the directory of
 * the config file.  Reference: docs/man/exfilmon.conf.5 and
 * dist/exfilmon.conf.
 *
 *   home_net = 10.0.0.0/8, 192.168.0.0/16, fd00::/8
 *   inventory { "10.0.0.23/32" = ai, gpu;  10.0.5.0/24 = notebook }
 *   outputs { alerts = "alerts.json"; flows = "flows.json";
 *             syslog = "exfilmon"; socket = "/run/exfilmon/alerts.sock" }
 *   rules = "default.rules", "local.rules"
 *   lists { llm_api = "lists/llm-api.txt" }
 *   geoip = "/var/lib/GeoIP/GeoLite2-ASN.mmdb"
 *   limits { max_flows = 1048576; max_hosts = 65536 }
 *   timeouts { tcp_new = 60s; tcp_established = 10m; tcp_closed = 10s;
 *              udp = 2m; icmp = 1m; other = 2m; active = 30m }
 *   capture { interface = eth0; filter = "not port 22"; snaplen = 262144;
 *             buffer = 64MiB; promisc = yes }
 *   process { attribution = yes; record = "ledger.jsonl" }
 *   user = exfilmon
 *   http = "127.0.0.1:9464"
 *   stats_interval = 5m
 *
 * Ownership: every string config_load() stores into the opts, and every
 * inventory and list entry, is owned by the struct config_store it
 * returns; the store must outlive the opts.  config_store_free() releases
 * it.
 */
#ifndef XM_CONFIG_FILE_H
#define XM_CONFIG_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "xm_opts.h"

#define CONFIG_MAX_BYTES (1u << 20)     /* largest config file */
#define CONFIG_MAX_ENTRIES 4096         /* inventory + lists entries */

struct config_store;

/* One inventory entry, in the form aihost_tag_inventory(cidr, tags)
 * takes: cidr "10.0.0.23/32" (or a bare address), tags "ai,gpu". */
struct config_tag {
    const char *cidr;
    const char *tags;
    int line;                   /* where it was set, for messages */
};

/* A named list file (lists { NAME = "path" }). */
struct config_list {
    const char *name;
    const char *path;           /* resolved against the config directory */
    int line;
};

/*
 * Reads path and applies its settings over *o (which holds defaults).
 * All-or-nothing: on error *o and *store are untouched and err holds
 * "FILE:LINE:COL: error: MESSAGE", then the source line and a caret line
 * (errors without a place: "FILE: error: MESSAGE").  Returns 0 or -1.
 */
int config_load(const char *path, struct xm_opts *o, struct config_store **store,
                char *err, size_t errlen);
/* Same, from text in memory (file names the source in messages). */
int config_load_text(const char *file, const char *text, size_t len,
                     struct xm_opts *o, struct config_store **store,
                     char *err, size_t errlen);

const struct config_tag *config_inventory(const struct config_store *st, size_t *n);
const struct config_list *config_lists(const struct config_store *st, size_t *n);
/* Writes the effective settings back in config syntax (--check). */
void config_dump(const struct xm_opts *o, const struct config_store *st, FILE *f);
void config_store_free(struct config_store *st);

#endif
