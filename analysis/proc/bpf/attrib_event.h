/*
 * attrib_event.h - the record the eBPF attribution programs
 * (analysis/proc/bpf/attrib.bpf.c) write into their ring buffer and
 * analysis/proc/proc_bpf.c reads.  Shared by the BPF object (types from
 * vmlinux.h) and user space (types from linux/types.h); fixed-width
 * fields only, no pointers, same layout on both sides.
 *
 * Byte order: ports are host order, addresses network order (as in the
 * kernel's struct sock_common).  Strings are NUL-terminated when shorter
 * than their array; args holds raw argv bytes (NUL-separated, args_len
 * bytes valid).  exe[i] is the i-th path component counted from the
 * executable's basename upwards (exe_depth components valid; the walk
 * stops at the root of the mount holding the executable).
 */
#ifndef XM_ATTRIB_EVENT_H
#define XM_ATTRIB_EVENT_H

#define XMB_COMM_LEN 16
#define XMB_ARGS_LEN 256        /* power of two: the BPF side masks with -1 */
#define XMB_EXE_PARTS 8
#define XMB_EXE_PART_LEN 64
#define XMB_CGROUP_LEN 96

enum xmb_event_type {
    XMB_EV_CONNECT = 1,         /* connect(): process context, tuple may lack sport */
    XMB_EV_TUPLE = 2,           /* SYN_SENT -> ESTABLISHED: tuple complete, no process */
    XMB_EV_SEND = 3,            /* first send of a socket: process context + tuple */
    XMB_EV_CLOSE = 4,           /* TCP socket reached CLOSE: byte counts final */
};

enum xmb_hook {                 /* which hook produced the event (diagnostics) */
    XMB_HOOK_SET_STATE = 1,
    XMB_HOOK_SEND_TP = 2,
    XMB_HOOK_SEND_KPROBE = 3,
};

struct xmb_event {
    __u64 sk;                   /* kernel socket address: join key only */
    __u64 cgroup_id;            /* cgroup v2 id of the task (0 softirq events) */
    __u64 start_boot_ns;        /* thread-group leader start, CLOCK_BOOTTIME ns */
    __u64 bytes_sent;           /* CLOSE: payload bytes the socket sent */
    __u64 bytes_recv;           /* CLOSE: payload bytes the socket received */
    __u32 type;                 /* enum xmb_event_type */
    __u32 hook;                 /* enum xmb_hook */
    __u32 pid, tgid, uid;       /* thread id, process id, real uid */
    __u32 netns;                /* network namespace inode */
    __u16 family, proto;        /* AF_INET/AF_INET6, IPPROTO_TCP/UDP */
    __u16 sport, dport;         /* host order */
    __u8 saddr[16], daddr[16];  /* network order; IPv4 in the first 4 bytes */
    __u32 args_len;             /* valid bytes of args */
    __u32 exe_depth;            /* valid components of exe */
    char comm[XMB_COMM_LEN];
    char cgroup[XMB_CGROUP_LEN];/* leaf name of the task's cgroup v2 */
    char args[XMB_ARGS_LEN];
    char exe[XMB_EXE_PARTS][XMB_EXE_PART_LEN];
};

#endif
