/*
 * proc_int.h - internals shared by analysis/proc*.c (not a public API).
 *
 * Process table: the base library's keyed table (xm_tab.h) keyed by
 * record id, plus chains by pid through the table's slot numbers
 * (pid_bucket, pid_next; 0 = nil).  Eviction policy: when every slot is used the least
 * recently attributed/created record is dropped (procs_evicted); a flow
 * still holding its id then gets NULL from proc_get().
 *
 * Inode map: open addressing, capacity a power of two >= 2*max_inodes.
 * A full /proc scan clears and refills it; entries past max_inodes are
 * dropped and counted (inode_dropped).  Targeted scans add to it.
 */
#ifndef XM_PROC_INT_H
#define XM_PROC_INT_H

#include <stdio.h>

#include "xm_proc.h"
#include "xm_tab.h"

#define PROC_SCAN_PIDS 65536       /* processes one full scan reads */

struct proc_slot {
    struct xm_tab_hdr h;
    uint32_t id;                   /* key: info.id */
    uint32_t pid_next;             /* pid chain: slot number, 0 = end */
    struct proc_info info;
};

struct proc_inode {
    uint64_t inode;                /* 0 = empty */
    uint32_t pid;
};

/* Canonical 5-tuple for the ledger: (a, ap) <= (b, bp). */
struct proc_tuple {
    struct xm_addr a, b;
    uint16_t ap, bp;
    uint8_t proto;
    uint8_t pad_[3];
};

struct proc_lentry {
    struct proc_tuple key;
    xm_time_t ts;                  /* flow first packet, usec */
    uint32_t proc_id;
    uint32_t next;                 /* bucket chain, index + 1 (0 = end) */
    uint8_t conf;
    bool bytes_known;              /* eBPF socket counts recorded */
    uint64_t bytes_sent, bytes_recv;
};

struct proc_bpf;                   /* analysis/proc/proc_bpf.c */

struct proc {
    struct proc_limits lim;
    uint64_t seed;
    struct proc_stats st;

    struct xm_tab procs;           /* id -> struct proc_slot, LRU */
    uint32_t *pid_bucket;          /* heads of the pid chains */
    uint32_t nbuckets;             /* power of two */
    uint32_t next_id;

    struct proc_inode *imap;
    uint32_t icap, icount;

    uint32_t *scan_pids;           /* PROC_SCAN_PIDS, full-scan order */
    uint32_t *pending;             /* connector-reported pids to scan */
    uint32_t npending;

    int diag_fd, cn_fd;
    uint32_t diag_seq;
    int64_t last_refresh_ms;       /* CLOCK_MONOTONIC; <0 = never */
    xm_time_t boot_us;             /* epoch usec of boot */
    long clk_tck;

    struct { uint32_t uid; bool used; char name[PROC_USER_LEN]; } ucache[32];

    struct proc_hash *hash;        /* live only: executable SHA-256 */

    FILE *ledger_out;
    struct proc_lentry *ledger;
    uint32_t nledger, ledger_cap;
    uint32_t *lbucket, nlbuckets;  /* chains of ledger indexes + 1 */
    bool replay;
    struct proc_bpf *bpf;          /* eBPF source, NULL when not active */
    /* Socket byte counts proc_flow_end() found for the flow it handled
     * last (flow, flow_id; flow NULL = none), read while that flow's
     * record is built: they are not kept in struct xm_flow. */
    struct { const struct xm_flow *flow; uint64_t flow_id, sent, recv; } sock;
};

/* proc.c: table. */
/* Allocates / releases the table arrays sized by p->lim (0 / -1). */
int proc_tab_alloc(struct proc *p);
void proc_tab_release(struct proc *p);
struct proc_info *proc_tab_add(struct proc *p, uint32_t pid, xm_time_t now);
struct proc_info *proc_tab_by_pid(struct proc *p, uint32_t pid);
struct proc_info *proc_tab_by_id(const struct proc *p, uint32_t id);
void proc_tab_touch(struct proc *p, uint32_t id);
json_t *proc_info_json(const struct proc_info *pi, bool ledger);
/* Copies a finished executable hash into pi when one became known. */
void proc_sha256_refresh(const struct proc *p, struct proc_info *pi);
xm_time_t proc_wall_us(void);

/* proc_live.c: kernel side. */
uint32_t proc_live_attribute(struct proc *p, const struct xm_flow *f, uint8_t *conf);
void proc_user_name(struct proc *p, uint32_t uid, char *out, size_t outlen);

/* Reads exe, cmdline, cgroup and ppid of pi->pid from /proc into pi when
 * the process there is still the one that started at start_us (epoch
 * usec, within two clock ticks); -1 when it is gone (exe unreadable). */
int proc_live_read_details(struct proc *p, struct proc_info *pi, xm_time_t start_us);

/* proc_live.c: the process connector (proc_connector_fd and
 * proc_on_connector_readable in attribute.c choose the source). */
int proc_live_cn_fd(const struct proc *p);
int proc_live_cn_readable(struct proc *p);
/* proc.c: every counter of struct proc_stats as Prometheus text. */
void proc_stats_write(const struct proc *p, FILE *f);

/* proc_bpf.c: the eBPF source (stubs without XM_HAVE_BPF). */
void proc_bpf_free(struct proc *p);
int proc_bpf_fd(const struct proc *p);
int proc_bpf_poll(struct proc *p);
uint32_t proc_bpf_attribute(struct proc *p, const struct xm_flow *f, uint8_t *conf);
const char *proc_bpf_mode(const struct proc *p);
void proc_bpf_write_metrics(const struct proc *p, FILE *f);

/* proc_ledger.c */
void proc_tuple_make(struct proc_tuple *t, uint8_t proto, const struct xm_addr *x,
                     uint16_t xp, const struct xm_addr *y, uint16_t yp);
uint32_t proc_ledger_match(struct proc *p, const struct xm_flow *f, uint8_t *conf);
/* The matched entry's eBPF socket counts; false when it has none. */
bool proc_ledger_bytes(struct proc *p, const struct xm_flow *f, uint64_t *sent, uint64_t *recv);
/* proc_bpf.c: the socket counts of the flow being ended (struct proc
 * sock): set for f, or from the ledger (replay; needs f->proc_id). */
void proc_sock_set(struct proc *p, const struct xm_flow *f, uint64_t sent, uint64_t recv);
void proc_sock_from_ledger(struct proc *p, const struct xm_flow *f);
/* sock: the flow's socket byte counts {sent, recv}, NULL = none. */
void proc_ledger_write(struct proc *p, const struct xm_flow *f, uint32_t id, uint8_t conf,
                       const uint64_t *sock);
void proc_ledger_free(struct proc *p);

#endif
