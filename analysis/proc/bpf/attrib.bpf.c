// SPDX-License-Identifier: BSD-2-Clause
/*
 * attrib.bpf.c - eBPF side of per-process attribution (user space:
 * analysis/proc/proc_bpf.c; record layout: attrib_event.h).
 *
 * Hooks (CO-RE against the running kernel's BTF, all reads through
 * BPF_CORE_READ so one body serves tp_btf and raw_tp):
 *   inet_sock_set_state  -> SYN_SENT: connect(), in the connecting task:
 *                           remember the owner, emit CONNECT;
 *                           SYN_SENT->ESTABLISHED: emit TUPLE (softirq);
 *                           ->CLOSE: emit CLOSE with the byte counts.
 *   sock_send_length     -> every send: count bytes; the first send of a
 *                           socket emits SEND in the sending task.
 *   sock_recv_length     -> every receive: count bytes.
 *   kprobe tcp_sendmsg / udp_sendmsg / udpv6_sendmsg: the send hook on
 *                           kernels without sock_send_length (< 6.3);
 *                           counts requested, not accepted, bytes.
 * User space picks one variant per hook (autoload) before loading.
 *
 * Bounds: owners is an LRU hash of 65536 sockets (an evicted socket is
 * re-learnt at its next send); ring is 4 MiB; a full ring drops the
 * event and counts it in stats[0].
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "attrib_event.h"

#define XM_AF_INET 2
#define XM_AF_INET6 10
#define XM_TCP 6
#define XM_UDP 17
#define XM_TCP_ESTABLISHED 1
#define XM_TCP_SYN_SENT 2
#define XM_TCP_CLOSE 7

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct owner {
    __u64 sent, recv;
    __u32 tgid;
    __u32 announced;            /* a SEND event was emitted */
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, __u64);
    __type(value, struct owner);
} owners SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 << 20);
} ring SEC(".maps");

/* stats[0]: events dropped (ring full); stats[1]: events emitted. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 i)
{
    __u64 *v = bpf_map_lookup_elem(&stats, &i);
    if (v)
        *v += 1;
}

static __always_inline int sk_wanted(const struct sock *sk)
{
    __u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
    __u16 proto = BPF_CORE_READ(sk, sk_protocol);
    return (fam == XM_AF_INET || fam == XM_AF_INET6) && (proto == XM_TCP || proto == XM_UDP);
}

static __always_inline void fill_tuple(struct xmb_event *e, const struct sock *sk)
{
    e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
    e->proto = BPF_CORE_READ(sk, sk_protocol);
    e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
    if (e->family == XM_AF_INET) {
        __u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
        __u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
        __builtin_memcpy(e->saddr, &s, 4);
        __builtin_memcpy(e->daddr, &d, 4);
    } else {
        BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
        BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
    }
}

/* Executable path components, basename first, up to the mount root. */
static __always_inline void fill_exe(struct xmb_event *e, struct task_struct *t)
{
    struct dentry *d = BPF_CORE_READ(t, mm, exe_file, f_path.dentry);
    __u32 n = 0;
    for (int i = 0; i < XMB_EXE_PARTS; i++) {
        if (!d)
            break;
        struct dentry *up = BPF_CORE_READ(d, d_parent);
        const unsigned char *name = BPF_CORE_READ(d, d_name.name);
        if (up == d)
            break;              /* the mount root: its name is "/" */
        bpf_probe_read_kernel_str(e->exe[i], XMB_EXE_PART_LEN, name);
        n = i + 1;
        d = up;
    }
    e->exe_depth = n;
}

static __always_inline void fill_task(struct xmb_event *e)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    __u64 id = bpf_get_current_pid_tgid();
    e->pid = (__u32)id;
    e->tgid = id >> 32;
    e->uid = (__u32)bpf_get_current_uid_gid();
    e->cgroup_id = bpf_get_current_cgroup_id();
    e->start_boot_ns = BPF_CORE_READ(t, group_leader, start_boottime);
    bpf_get_current_comm(e->comm, sizeof e->comm);
    const char *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, name);
    if (cg)
        bpf_probe_read_kernel_str(e->cgroup, sizeof e->cgroup, cg);
    unsigned long a0 = BPF_CORE_READ(t, mm, arg_start);
    unsigned long a1 = BPF_CORE_READ(t, mm, arg_end);
    __u64 len = a1 > a0 ? a1 - a0 : 0;
    if (len > XMB_ARGS_LEN - 1)
        len = XMB_ARGS_LEN - 1;
    asm volatile("" : "+r"(len));  /* keep the mask below on the register */
    len &= XMB_ARGS_LEN - 1;
    if (len && bpf_probe_read_user(e->args, len, (const void *)a0) == 0)
        e->args_len = (__u32)len;
    fill_exe(e, t);
}

static __always_inline struct xmb_event *reserve(__u32 type, __u32 hook, const struct sock *sk)
{
    struct xmb_event *e = bpf_ringbuf_reserve(&ring, sizeof *e, 0);
    if (!e) {
        count(0);
        return 0;
    }
    __builtin_memset(e, 0, sizeof *e);
    e->type = type;
    e->hook = hook;
    e->sk = (__u64)sk;
    count(1);
    return e;
}

static __always_inline void on_set_state(const struct sock *sk, int old, int new)
{
    __u64 key = (__u64)sk;
    if (!sk_wanted(sk))
        return;
    if (new == XM_TCP_SYN_SENT) {
        struct owner o = {.tgid = bpf_get_current_pid_tgid() >> 32};
        bpf_map_update_elem(&owners, &key, &o, BPF_ANY);
        struct xmb_event *e = reserve(XMB_EV_CONNECT, XMB_HOOK_SET_STATE, sk);
        if (!e)
            return;
        fill_tuple(e, sk);
        fill_task(e);
        bpf_ringbuf_submit(e, 0);
    } else if (new == XM_TCP_ESTABLISHED && old == XM_TCP_SYN_SENT) {
        struct xmb_event *e = reserve(XMB_EV_TUPLE, XMB_HOOK_SET_STATE, sk);
        if (!e)
            return;
        fill_tuple(e, sk);
        bpf_ringbuf_submit(e, 0);
    } else if (new == XM_TCP_CLOSE) {
        struct owner *o = bpf_map_lookup_elem(&owners, &key);
        if (!o)
            return;
        struct xmb_event *e = reserve(XMB_EV_CLOSE, XMB_HOOK_SET_STATE, sk);
        if (e) {
            fill_tuple(e, sk);
            e->bytes_sent = o->sent;
            e->bytes_recv = o->recv;
            bpf_ringbuf_submit(e, 0);
        }
        bpf_map_delete_elem(&owners, &key);
    }
}

/* Counts n sent bytes; the socket's first send announces its sender. */
static __always_inline void on_send(const struct sock *sk, long n, __u32 hook)
{
    __u64 key = (__u64)sk;
    if (n <= 0 || !sk_wanted(sk))
        return;
    struct owner *o = bpf_map_lookup_elem(&owners, &key);
    if (!o) {
        struct owner fresh = {.tgid = bpf_get_current_pid_tgid() >> 32};
        bpf_map_update_elem(&owners, &key, &fresh, BPF_NOEXIST);
        o = bpf_map_lookup_elem(&owners, &key);
        if (!o)
            return;
    }
    __sync_fetch_and_add(&o->sent, n);
    if (o->announced)
        return;
    o->announced = 1;
    struct xmb_event *e = reserve(XMB_EV_SEND, hook, sk);
    if (!e)
        return;
    fill_tuple(e, sk);
    fill_task(e);
    bpf_ringbuf_submit(e, 0);
}

static __always_inline void on_recv(const struct sock *sk, long n)
{
    __u64 key = (__u64)sk;
    if (n <= 0)
        return;
    struct owner *o = bpf_map_lookup_elem(&owners, &key);
    if (o)
        __sync_fetch_and_add(&o->recv, n);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(xm_state_btf, const struct sock *sk, int old, int new)
{
    on_set_state(sk, old, new);
    return 0;
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(xm_state_raw, const struct sock *sk, int old, int new)
{
    on_set_state(sk, old, new);
    return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(xm_send_btf, struct sock *sk, int ret, int flags)
{
    on_send(sk, ret, XMB_HOOK_SEND_TP);
    return 0;
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(xm_send_raw, struct sock *sk, int ret, int flags)
{
    on_send(sk, ret, XMB_HOOK_SEND_TP);
    return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(xm_recv_btf, struct sock *sk, int ret, int flags)
{
    on_recv(sk, ret);
    return 0;
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(xm_recv_raw, struct sock *sk, int ret, int flags)
{
    on_recv(sk, ret);
    return 0;
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(xm_tcp_sendmsg_kp, struct sock *sk, struct msghdr *msg, size_t size)
{
    on_send(sk, (long)size, XMB_HOOK_SEND_KPROBE);
    return 0;
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(xm_udp_sendmsg_kp, struct sock *sk, struct msghdr *msg, size_t size)
{
    on_send(sk, (long)size, XMB_HOOK_SEND_KPROBE);
    return 0;
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(xm_udp6_sendmsg_kp, struct sock *sk, struct msghdr *msg, size_t size)
{
    on_send(sk, (long)size, XMB_HOOK_SEND_KPROBE);
    return 0;
}
