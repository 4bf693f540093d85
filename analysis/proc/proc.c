/*
 * proc.c - the bounded process table, EVE fields and statistics (see
 * xm_proc.h; internals in proc_int.h).  The attribution entry point and
 * the life cycle of struct proc are in attribute.c.
 */
#include "proc_int.h"
#include "xm_prom.h"

#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *const proc_attr_names[PROC_ATTR_MAX] = {
    "none", "exact", "cached_inode", "port_guess", "bpf",
};
static const char *const proc_source_names[] = {"proc", "bpf+proc", "bpf"};

const char *proc_attr_name(unsigned conf)
{
    return conf < PROC_ATTR_MAX ? proc_attr_names[conf] : "none";
}

void proc_limits_default(struct proc_limits *l)
{
    l->max_procs = 4096;
    l->max_inodes = 65536;
    l->refresh_min_ms = 200;
    l->max_ledger = 1u << 20;
    l->max_pending = 256;
}

xm_time_t proc_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (xm_time_t)ts.tv_sec * XM_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static uint32_t proc_pow2(uint32_t n)
{
    uint32_t c = 16;
    while (c < n && c < (1u << 30))
        c <<= 1;
    return c;
}

int proc_tab_alloc(struct proc *p)
{
    const struct proc_limits *l = &p->lim;
    p->nbuckets = proc_pow2(l->max_procs);
    p->icap = proc_pow2(l->max_inodes * 2);
    p->pid_bucket = calloc(p->nbuckets, sizeof *p->pid_bucket);
    p->imap = calloc(p->icap, sizeof *p->imap);
    p->pending = calloc(l->max_pending ? l->max_pending : 1, sizeof *p->pending);
    p->scan_pids = calloc(PROC_SCAN_PIDS, sizeof *p->scan_pids);
    if (!p->pid_bucket || !p->imap || !p->pending || !p->scan_pids)
        return -1;
    return xm_tab_init(&p->procs, l->max_procs, sizeof(struct proc_slot), sizeof(uint32_t),
                       p->seed);
}

void proc_tab_release(struct proc *p)
{
    xm_tab_free(&p->procs);
    free(p->pid_bucket);
    free(p->imap);
    free(p->pending);
    free(p->scan_pids);
}

/* ---- table ----------------------------------------------------------- */

static uint32_t proc_bucket(const struct proc *p, uint32_t key)
{
    return (uint32_t)xm_hash(&key, sizeof key, p->seed) & (p->nbuckets - 1);
}

static struct proc_slot *proc_slot_at(const struct proc *p, uint32_t s)
{
    return xm_tab_at(&p->procs, s);
}

/* Removes e from its pid chain. */
static void proc_pid_unchain(struct proc *p, struct proc_slot *e)
{
    uint32_t s = xm_tab_index(&p->procs, e);
    uint32_t *link = &p->pid_bucket[proc_bucket(p, e->info.pid)];
    while (*link && *link != s)
        link = &proc_slot_at(p, *link)->pid_next;
    if (*link)
        *link = e->pid_next;
}

/* Drops the least recently used record (the table is full). */
static void proc_evict(struct proc *p, struct proc_slot *e)
{
    proc_pid_unchain(p, e);
    xm_tab_remove(&p->procs, e);
    p->st.procs_evicted++;
    p->st.procs_active--;
}

/* Never NULL: the table was mapped by proc_new(). */
struct proc_info *proc_tab_add(struct proc *p, uint32_t pid, xm_time_t now)
{
    struct proc_slot *victim = xm_tab_victim(&p->procs);
    if (victim)
        proc_evict(p, victim);
    uint32_t id = p->next_id++;
    if (p->next_id == 0)
        p->next_id = 1;              /* 2^32 processes later: wrap, skip 0 */
    bool created;
    struct proc_slot *e = xm_tab_upsert(&p->procs, &id, &created);
    e->info.id = id;
    e->info.pid = pid;
    e->info.first_seen = now;
    uint32_t *pb = &p->pid_bucket[proc_bucket(p, pid)];
    e->pid_next = *pb;
    *pb = xm_tab_index(&p->procs, e);
    p->st.procs_added++;
    p->st.procs_active++;
    return &e->info;
}

/* Newest record (highest id) for pid; pid chains are short. */
struct proc_info *proc_tab_by_pid(struct proc *p, uint32_t pid)
{
    struct proc_info *best = NULL;
    for (uint32_t s = p->pid_bucket[proc_bucket(p, pid)]; s; s = proc_slot_at(p, s)->pid_next) {
        struct proc_info *pi = &proc_slot_at(p, s)->info;
        if (pi->pid == pid && (!best || pi->id > best->id))
            best = pi;
    }
    return best;
}

struct proc_info *proc_tab_by_id(const struct proc *p, uint32_t id)
{
    struct proc_slot *e = id ? xm_tab_find(&p->procs, &id) : NULL;
    return e ? &e->info : NULL;
}

void proc_tab_touch(struct proc *p, uint32_t id)
{
    struct proc_slot *e = id ? xm_tab_find(&p->procs, &id) : NULL;
    if (e)
        xm_tab_touch(&p->procs, e);
}

const struct proc_info *proc_get(const struct proc *p, uint32_t id)
{
    return p ? proc_tab_by_id(p, id) : NULL;
}

const struct proc_stats *proc_get_stats(const struct proc *p)
{
    return &p->st;
}

struct proc_metric {
    const char *name, *help;
    size_t off;
};

#define PM(f, h) {#f, h, offsetof(struct proc_stats, f)}
static const struct proc_metric proc_metrics[] = {
    PM(lookups, "Flows offered to process attribution."),
    PM(diag_queries, "sock_diag requests sent."),
    PM(diag_errors, "sock_diag requests that failed."),
    PM(diag_not_found, "Flow ends the kernel knew no socket for."),
    PM(orphan_sockets, "Sockets found without an inode (closed)."),
    PM(inode_unmapped, "Socket inodes not found in any process."),
    PM(refreshes, "Full /proc fd scans."),
    PM(refresh_skipped, "Full scans skipped by the rate limit."),
    PM(targeted_scans, "Scans of connector-reported and recent pids."),
    PM(inode_dropped, "Socket inodes dropped: inode map full."),
    PM(scan_pids_dropped, "Processes left out of a full scan (over 65536)."),
    PM(pending_dropped, "Connector pids dropped: pending list full."),
    PM(connector_events, "Process connector events."),
    PM(ev_fork, "Connector fork events."),
    PM(ev_exec, "Connector exec events."),
    PM(ev_exit, "Connector exit events."),
    PM(ev_comm, "Connector comm events."),
    PM(connector_lost, "Connector receive overruns (ENOBUFS)."),
    PM(procs_added, "Process records created."),
    PM(procs_evicted, "Process records evicted (LRU)."),
    PM(proc_read_errors, "Processes gone before /proc could be read."),
    PM(ledger_written, "Ledger lines written."),
    PM(ledger_write_errors, "Ledger lines that failed to write."),
    PM(ledger_dropped, "Ledger lines ignored past the cap."),
    PM(bpf_events, "eBPF ring-buffer records read."),
    PM(bpf_connect, "eBPF connect records."),
    PM(bpf_tuple, "eBPF established (5-tuple) records."),
    PM(bpf_send, "eBPF first-send records."),
    PM(bpf_close, "eBPF socket-close records (byte counts)."),
    PM(bpf_malformed, "eBPF records of unexpected size or type."),
    PM(bpf_proc_late, "Processes gone before /proc was read: named from eBPF data only."),
    PM(bpf_late_joins, "Flows named by eBPF at their end, not their first packet."),
    PM(bpf_socks_evicted, "eBPF socket records evicted (table full)."),
};

void proc_stats_write(const struct proc *p, FILE *f)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(proc_metrics); i++) {
        const struct proc_metric *m = &proc_metrics[i];
        uint64_t v;
        memcpy(&v, (const char *)&p->st + m->off, sizeof v);
        char name[96];
        snprintf(name, sizeof name, "exfilmon_proc_%s_total", m->name);
        xm_prom_metric(f, name, "counter", m->help, v);
    }
    xm_prom_head(f, "exfilmon_proc_attributions_total", "counter",
                 "Flows by attribution confidence.");
    for (unsigned c = 0; c < PROC_ATTR_MAX; c++)
        xm_prom_u64(f, "exfilmon_proc_attributions_total", "confidence", proc_attr_name(c),
                    p->st.hits[c]);
    xm_prom_metric(f, "exfilmon_proc_table_active", "gauge", "Process records held.",
                   p->st.procs_active);
    xm_prom_metric(f, "exfilmon_proc_connector_available", "gauge",
                   "Process connector open (0/1).", p->cn_fd >= 0);
    proc_hash_write_metrics(p->hash, f);
}

void proc_sha256_refresh(const struct proc *p, struct proc_info *pi)
{
    if (pi && !pi->has_sha256 && p->hash)
        pi->has_sha256 = proc_hash_get(p->hash, &pi->exe_key, pi->sha256);
}

/* ---- EVE ------------------------------------------------------------- */

static void proc_json_time(json_t *o, const char *key, xm_time_t t)
{
    char buf[40];
    if (t > 0)
        json_object_set_new(o, key, json_string(xm_time_iso(t, buf, sizeof buf)));
}

static json_t *proc_container_json(const struct proc_container *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "runtime", json_string(c->runtime));
    if (c->id[0])
        json_object_set_new(o, "id", json_string(c->id));
    if (c->pod[0])
        json_object_set_new(o, "pod", json_string(c->pod));
    return o;
}

/* Strings from /proc may hold any bytes; jansson rejects invalid UTF-8,
 * so fall back to a lossy copy (bytes >= 0x80 become '?'). */
static json_t *proc_jstr(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char tmp[PROC_PATH_LEN > PROC_CMDLINE_LEN ? PROC_PATH_LEN : PROC_CMDLINE_LEN];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof tmp; i++)
        tmp[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    tmp[i] = '\0';
    return json_string(tmp);
}

/* The eBPF source's fields, only for records it made. */
static void proc_info_json_bpf(const struct proc_info *pi, json_t *o)
{
    if (pi->source == PROC_SRC_PROC || pi->source >= XM_ARRAY_LEN(proc_source_names))
        return;
    json_object_set_new(o, "source", json_string(proc_source_names[pi->source]));
    if (pi->cgroup_id)
        json_object_set_new(o, "cgroup_id", json_integer((json_int_t)pi->cgroup_id));
    if (pi->cgroup[0])
        json_object_set_new(o, "cgroup", proc_jstr(pi->cgroup));
    if (pi->netns)
        json_object_set_new(o, "netns", json_integer(pi->netns));
}

/* The arguments as a JSON array (boundaries kept). */
static json_t *proc_argv_json(const struct proc_info *pi)
{
    json_t *a = json_array();
    size_t i = 0;
    while (a && i < pi->argv_len) {
        char arg[PROC_ARGV_LEN + 1];
        size_t n = strnlen(pi->argv + i, pi->argv_len - i);
        memcpy(arg, pi->argv + i, n);
        arg[n] = '\0';
        json_array_append_new(a, proc_jstr(arg));
        i += n + 1;
    }
    return a;
}

json_t *proc_info_json(const struct proc_info *pi, bool ledger)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "pid", json_integer(pi->pid));
    json_object_set_new(o, "ppid", json_integer(pi->ppid));
    json_object_set_new(o, "name", proc_jstr(pi->comm));
    if (pi->exe[0] || ledger)   /* absent when unknown (process gone first) */
        json_object_set_new(o, "exe", proc_jstr(pi->exe));
    if (pi->has_sha256) {
        char hex[2 * XM_SHA256_LEN + 1];
        xm_sha256_hex(pi->sha256, hex);
        json_object_set_new(o, "sha256", json_string(hex));
    }
    if (pi->argv_len || ledger)
        json_object_set_new(o, "cmdline", proc_argv_json(pi));
    if (pi->user[0] || ledger)
        json_object_set_new(o, "user", proc_jstr(pi->user));
    if (pi->uid_known)
        json_object_set_new(o, "uid", json_integer(pi->uid));
    proc_json_time(o, "start", pi->start);
    proc_json_time(o, "first_seen", pi->first_seen);
    if (pi->container.runtime[0] || pi->container.pod[0])
        json_object_set_new(o, "container", proc_container_json(&pi->container));
    json_object_set_new(o, "ai", json_boolean(pi->ai));
    if (pi->ai)
        json_object_set_new(o, "ai_evidence", json_string(pi->ai_evidence));
    proc_info_json_bpf(pi, o);
    if (ledger) {
        json_object_set_new(o, "start_us", json_integer(pi->start));
        json_object_set_new(o, "first_seen_us", json_integer(pi->first_seen));
        json_object_set_new(o, "exited", json_boolean(pi->exited));
    }
    return o;
}

void proc_eve_add(const struct proc *p, uint32_t id, uint8_t conf, json_t *obj)
{
    struct proc_info *pi = id ? proc_tab_by_id(p, id) : NULL;
    proc_sha256_refresh(p, pi);
    if (pi)
        json_object_set_new(obj, "process", proc_info_json(pi, false));
    json_object_set_new(obj, "attribution", json_string(proc_attr_name(pi ? conf : 0)));
}
