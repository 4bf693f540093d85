/*
 * xm_proc.h - per-process attribution of flows on Linux endpoints
 * (analysis/proc*.c).
 *
 * Ownership: struct proc owns every table, socket and file it opens; all
 * tables are allocated once by proc_new() (hard caps in struct
 * proc_limits) and freed by proc_free().  A const struct proc_info *
 * returned by proc_get() is valid until the next call that may add a
 * process (proc_attribute, proc_on_connector_readable, proc_ledger_load).
 * proc_eve_add() copies every string into the json object.
 *
 * Live mode (proc_open_netlink succeeded): proc_attribute() asks the kernel
 * through NETLINK_SOCK_DIAG for the socket owning the flow's exact 5-tuple
 * (one syscall per NEW flow, never per packet), maps its inode to a pid
 * through a map built by scanning /proc/<pid>/fd, and returns an id into
 * the bounded process table.  The map is rebuilt on a miss at most once
 * per limits.refresh_min_ms of monotonic wall time; in between, processes
 * that the netlink process connector reported (fork/exec) since the last
 * full scan are scanned individually.  EXEC events capture comm, exe and
 * cmdline at once so a process that lives two seconds is still named in
 * the flow's records after it exited.
 *
 * Replay mode (proc_ledger_load succeeded): the kernel is never asked;
 * flows are matched against the ledger by 5-tuple and time (see
 * PROC_LEDGER_TOLERANCE_US).  Neither mode: proc_attribute returns 0.
 *
 * Clock: ledger times are packet time (the flow's first packet), so a
 * pcap recorded beside a ledger replays to identical attribution.
 * Process start times are epoch microseconds derived from
 * /proc/<pid>/stat (boot-relative clock ticks + boot time).
 */
#ifndef XM_PROC_H
#define XM_PROC_H

#include <jansson.h>
#include <stdio.h>

#include "xm_common.h"
#include "xm_field.h"
#include "xm_flow.h"
#include "xm_proc_hash.h"

/* Attribution confidence, stored in struct xm_flow.attribution. */
enum proc_attr {
    PROC_ATTR_NONE = 0,       /* "none": nothing owned the 5-tuple */
    PROC_ATTR_EXACT,          /* "exact": sock_diag exact 5-tuple match, inode
                                 resolved by a /proc scan made for it */
    PROC_ATTR_CACHED,         /* "cached_inode": exact socket, pid from the
                                 inode map built earlier (not re-verified) */
    PROC_ATTR_PORT_GUESS,     /* "port_guess": only the local port matched
                                 (listener, unconnected UDP socket) */
    PROC_ATTR_BPF,            /* "bpf": the eBPF source saw this socket's
                                 connect or first send in its process */
    PROC_ATTR_MAX
};
const char *proc_attr_name(unsigned conf);

#define PROC_COMM_LEN 16       /* kernel TASK_COMM_LEN incl. NUL */
#define PROC_PATH_LEN 256      /* exe path, truncated */
#define PROC_CMDLINE_LEN 256   /* cmdline, truncated, NULs shown as spaces */
#define PROC_ARGV_LEN 256      /* arguments, NUL-separated, truncated */
#define PROC_USER_LEN 33
#define PROC_EVIDENCE_LEN 64
#define PROC_CGROUP_LEN 96     /* leaf name of the cgroup v2, truncated */

/* Where a process record's details came from (struct proc_info.source). */
enum proc_source {
    PROC_SRC_PROC = 0,        /* /proc only (sock_diag source, or a ledger) */
    PROC_SRC_BPF_PROC,        /* "bpf+proc": eBPF event, then /proc in time */
    PROC_SRC_BPF,             /* "bpf": eBPF event only, /proc was too late:
                                 exe rebuilt from kernel dentries (relative
                                 to its mount), cmdline from process memory
                                 at connect (first 255 bytes), no ppid */
};

/* Container identity from /proc/<pid>/cgroup; empty strings = unknown. */
struct proc_container {
    char runtime[16];          /* "docker","containerd","cri-o","podman","kubernetes" */
    char id[65];               /* 64 lowercase hex */
    char pod[37];              /* Kubernetes pod UID, dashed 8-4-4-4-12 */
};

struct proc_info {
    uint32_t id;               /* table id, never reused within a run */
    uint32_t pid, ppid, uid;
    bool uid_known, exited;
    bool ai;                   /* AI tooling, see proc_ai_verdict() */
    char comm[PROC_COMM_LEN];
    char exe[PROC_PATH_LEN];
    char cmdline[PROC_CMDLINE_LEN];
    char argv[PROC_ARGV_LEN];  /* arguments separated by NUL (argv_len bytes) */
    uint16_t argv_len;
    bool has_sha256;           /* sha256 of the executable is known */
    uint8_t sha256[32];
    struct proc_exe_key exe_key; /* file identity the hash belongs to */
    char user[PROC_USER_LEN];
    char ai_evidence[PROC_EVIDENCE_LEN]; /* e.g. "cmdline:litellm" */
    xm_time_t start;           /* process start, epoch usec (0 unknown) */
    xm_time_t first_seen;      /* when exfilmon learned of it, epoch usec */
    struct proc_container container;
    uint8_t source;            /* enum proc_source */
    uint32_t netns;            /* network namespace inode (eBPF; 0 unknown) */
    uint64_t cgroup_id;        /* cgroup v2 id (eBPF; 0 unknown) */
    char cgroup[PROC_CGROUP_LEN]; /* cgroup v2 leaf name (eBPF) */
};

struct proc_limits {
    uint32_t max_procs;        /* process table slots (LRU eviction) */
    uint32_t max_inodes;       /* inode->pid map entries per scan */
    uint32_t refresh_min_ms;   /* min wall time between full /proc scans */
    uint32_t max_ledger;       /* ledger entries loaded */
    uint32_t max_pending;      /* connector-reported pids awaiting a scan */
};
/* Defaults: 4096 procs, 65536 inodes, 200 ms, 1<<20 ledger, 256 pending. */
void proc_limits_default(struct proc_limits *l);

/* Matching tolerance for replay: a ledger entry matches a flow with the
 * same 5-tuple (either orientation) whose first packet is within 5 s;
 * the nearest entry wins, ties go to the earlier ledger line. */
#define PROC_LEDGER_TOLERANCE_US XM_SEC(5)

struct proc_stats {
    uint64_t lookups;                  /* proc_attribute calls with a mode */
    uint64_t hits[PROC_ATTR_MAX];      /* by confidence; [NONE] = misses */
    uint64_t diag_queries, diag_errors;/* sock_diag requests, failures */
    uint64_t diag_not_found;           /* kernel knew no such socket */
    uint64_t orphan_sockets;           /* socket found without inode */
    uint64_t inode_unmapped;           /* inode not found in any fd table */
    uint64_t refreshes, refresh_skipped; /* full /proc scans, rate-limited */
    uint64_t targeted_scans;           /* per-pid scans from connector news */
    uint64_t inode_dropped;            /* map full during a scan */
    uint64_t scan_pids_dropped;        /* processes past 65536 in a scan */
    uint64_t pending_dropped;          /* pending pid ring full */
    uint64_t connector_events;         /* all process-connector events */
    uint64_t ev_fork, ev_exec, ev_exit, ev_comm;
    uint64_t connector_lost;           /* ENOBUFS overruns */
    uint64_t connector_unavailable;    /* 1 when the connector could not open */
    uint64_t procs_added, procs_evicted, procs_active;
    uint64_t proc_read_errors;         /* /proc/<pid> unreadable */
    uint64_t ledger_written, ledger_write_errors;
    uint64_t ledger_loaded, ledger_dropped; /* entries kept / over cap */
    uint64_t bpf_events;               /* ring-buffer records read */
    uint64_t bpf_connect, bpf_tuple, bpf_send, bpf_close; /* by type */
    uint64_t bpf_malformed;            /* records of the wrong size/type */
    uint64_t bpf_proc_late;            /* /proc gone: named from eBPF only */
    uint64_t bpf_late_joins;           /* flows named at their end */
    uint64_t bpf_socks_evicted;        /* socket table full: oldest dropped */
};

struct proc;

/* Allocates every table (l NULL = defaults).  NULL on allocation failure. */
struct proc *proc_new(const struct proc_limits *l);
void proc_free(struct proc *p);

/*
 * Opens the sock_diag socket and the process connector.  Call BEFORE
 * dropping privileges (the connector needs CAP_NET_ADMIN; reading other
 * users' /proc/<pid>/fd needs CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH).
 * Returns 0 when sock_diag works (live mode on; the connector may still be
 * unavailable, counted in connector_unavailable), -1 otherwise.
 */
int proc_open_netlink(struct proc *p);
/*
 * Loads and attaches the eBPF attribution programs (analysis/proc/proc_bpf.c,
 * analysis/proc/bpf/attrib.bpf.c).  Call BEFORE dropping privileges and
 * INSTEAD of proc_open_netlink.  Returns 0 when the eBPF source is
 * active; -1 (reason in why) when this build has no eBPF support or the
 * kernel refused: the caller then falls back to proc_open_netlink.
 */
int proc_open_bpf(struct proc *p, char *why, size_t whylen);
/* The active source, for the start-up line and /metrics: "ebpf (tp_btf)",
 * "ebpf (raw_tp)", "ebpf (raw_tp+kprobe)", "sock_diag", "ledger", "none". */
const char *proc_source_name(const struct proc *p);
/* Fd to register for EV_READ: the eBPF ring buffer's epoll fd when that
 * source is active, else the non-blocking process connector, else -1. */
int proc_connector_fd(const struct proc *p);
/* Drains at most a bounded batch of eBPF records or connector datagrams;
 * returns the number of events handled (call again while it returns > 0).
 * eBPF records are joined here, off the packet path: /proc/<pid>/exe,
 * cmdline and cgroup are read at the process's connect event. */
int proc_on_connector_readable(struct proc *p);

/*
 * Once per flow end (also interim, r_final false), before its record is
 * built: with the eBPF source, names a flow the ring buffer had not yet
 * reported when its first packet came (memory lookups only), finds the
 * socket's byte counts once the socket has closed (proc_flow_socket()),
 * and writes the flow's ledger line at its final end.  In replay the
 * byte counts come from the ledger.
 */
void proc_flow_end(struct proc *p, struct xm_flow *f, bool final);
/* The socket byte counts the last proc_flow_end() found for f: false
 * when none (or f was not the flow of the last call).  p keeps them
 * (not struct xm_flow) until the next proc_flow_end(). */
bool proc_flow_socket(const struct proc *p, const struct xm_flow *f, uint64_t *sent,
                      uint64_t *recv);
/* Adds "socket": {"bytes_sent","bytes_recv"} when proc_flow_socket() has
 * counts for f. */
void proc_eve_add_socket(const struct proc *p, const struct xm_flow *f, json_t *obj);

/*
 * Names the process owning flow f's local end (f->local must say which
 * end is local; FLOW_LOCAL_BOTH tries the client first).  Returns a proc
 * id (0 = none) and sets *confidence (enum proc_attr).  Store both in
 * f->proc_id / f->attribution.  Writes a ledger line when recording.
 */
uint32_t proc_attribute(struct proc *p, const struct xm_flow *f, uint8_t *confidence);
const struct proc_info *proc_get(const struct proc *p, uint32_t id);

/*
 * Adds "process": {"pid","ppid","name","exe","cmdline","user","uid",
 * "start","first_seen","container":{"runtime","id","pod"} (only when
 * known), "ai", "ai_evidence" (only when ai)} when id names a process,
 * and always "attribution": proc_attr_name(conf).
 */
void proc_eve_add(const struct proc *p, uint32_t id, uint8_t conf, json_t *obj);
const struct proc_stats *proc_get_stats(const struct proc *p);
/* Prometheus text exposition of the stats (exfilmon_proc_* counters,
 * attributions by confidence, procs_active gauge).  Not for the hot path. */
void proc_write_metrics(const struct proc *p, FILE *f);

/* The rule fields process.name, .exe, .cmdline, .user, .container,
 * .runtime, .ai, .age, .pid (FLOW and PROCESS scope) and
 * process.attribution (FLOW) - analysis/proc/proc_fields.c; owner a
 * const struct proc *, which may be NULL (no attribution: the fields are
 * never available).  See include/xm_field.h. */
extern const struct xm_field_list proc_fields;

/* Ledger: JSON lines, one per attributed flow (format in
 * docs/processes.md).  open_write appends; returns 0 or -1 (errno). */
int proc_ledger_open_write(struct proc *p, const char *path);
/* Loads a ledger and switches to replay mode.  On error returns -1 and
 * writes "FILE:LINE: reason" into errbuf; the proc state is unchanged
 * except for processes already added. */
int proc_ledger_load(struct proc *p, const char *path, char *errbuf, size_t errlen);
/* The same from memory (name is used in error messages); for fuzzing. */
int proc_ledger_load_buf(struct proc *p, const char *name, const char *buf, size_t len,
                         char *errbuf, size_t errlen);

/* ---- Parsers of untrusted text, exposed for tests and fuzzing. ---- */

/* Parses the whole text of /proc/<pid>/cgroup.  Returns true when a
 * container id or pod UID was found (out zeroed first). */
bool proc_cgroup_parse(const char *text, size_t len, struct proc_container *out);
/* Parses /proc/<pid>/stat: comm (between the first '(' and the LAST ')'),
 * ppid (field 4) and starttime (field 22, clock ticks since boot).
 * Returns 0 or -1 when malformed. */
int proc_stat_parse(const char *text, size_t len, char comm[PROC_COMM_LEN],
                    uint32_t *ppid, uint64_t *start_ticks);
/* Copies raw /proc/<pid>/cmdline into out (NULs and control bytes become
 * spaces, trailing spaces dropped, truncated to outlen-1). */
void proc_cmdline_clean(const uint8_t *raw, size_t len, char *out, size_t outlen);
/* /proc/PID/cmdline bytes -> arguments separated by single NULs in out
 * (cap bytes; cut at cap), bytes < 0x20 other than the separators and
 * 0x7f as '?', trailing NULs dropped.  Returns the bytes stored. */
size_t proc_cmdline_args(const uint8_t *raw, size_t len, char *out, size_t cap);
/* AI tooling verdict: a python interpreter (comm or exe basename starting
 * with "python") whose cmdline names litellm, openai, anthropic,
 * langchain, vllm, transformers, jupyter, ray or mlflow as a word; or an
 * executable/comm named ollama, jupyter*, ray, mlflow.  Writes the
 * evidence ("exe:ollama", "cmdline:litellm"). */
bool proc_ai_verdict(const char *comm, const char *exe, const char *cmdline,
                     char *evidence, size_t evlen);

/* One process-connector event, decoded (host order). */
struct proc_cn_event {
    uint32_t what;             /* PROC_EVENT_* from linux/cn_proc.h */
    uint32_t pid, tgid;        /* subject; for fork the CHILD */
    uint32_t ppid;             /* fork: parent tgid */
    char comm[PROC_COMM_LEN];  /* comm events */
    uint32_t ack_err;          /* PROC_EVENT_NONE (subscription ack): errno */
};
/* Decodes one netlink datagram from the connector into at most max
 * events; returns the count, or -1 when the datagram is malformed. */
int proc_cn_decode(const uint8_t *buf, size_t len, struct proc_cn_event *ev, int max);

/* Handles one eBPF ring-buffer record (struct xmb_event,
 * analysis/proc/bpf/attrib_event.h; shorter records are counted in
 * bpf_malformed) as if the ring buffer had delivered it.  Without a loaded
 * eBPF source it sets up the socket table only (no kernel involved), so
 * flows are then joined against fed records.  -1 when this build has no
 * eBPF support or on allocation failure.  For tests and fuzzing. */
int proc_bpf_feed(struct proc *p, const void *rec, size_t len);

/* The answer to one sock_diag request. */
struct proc_diag_sock {
    uint8_t family, state;
    uint16_t sport, dport;     /* host order, socket's own view */
    uint8_t src[16], dst[16];
    uint32_t uid;
    uint32_t inode;            /* 0 for orphaned / TIME_WAIT sockets */
    uint32_t seq;              /* nlmsg_seq of the reply */
};
/* Decodes a sock_diag reply: 1 = socket found, 0 = not found (ENOENT),
 * -1 = malformed or another error. */
int proc_diag_decode(const uint8_t *buf, size_t len, struct proc_diag_sock *out);

#endif
