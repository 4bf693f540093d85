/*
 * proc_live.c - the kernel side of process attribution: sock_diag exact
 * 5-tuple lookups (linux/inet_diag.h), the inode->pid map from
 * /proc/<pid>/fd, process records from /proc/<pid>/{stat,exe,cmdline,
 * status,cgroup} and the netlink process connector (linux/cn_proc.h).
 *
 * Cost: everything here runs once per NEW flow (live only) or once per
 * connector event, never per packet.  On an inode miss, the pids the
 * connector reported since the last full scan and the 16 most recently
 * attributed live processes are scanned first; a full /proc scan follows
 * only if that failed, at most once per lim.refresh_min_ms
 * (CLOCK_MONOTONIC).
 */
#include "proc_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROC_RECENT_SCAN 16     /* LRU-head processes scanned on a skip */
#define PROC_CN_BATCH 64        /* datagrams per proc_live_cn_readable */
#define PROC_TCP_LISTEN 10      /* TCP_LISTEN in the kernel's state enum */

/* ---- small file helpers ---------------------------------------------- */

/* Reads at most cap-1 bytes of /proc/<pid>/<name>; returns length or -1. */
static ssize_t pl_read(uint32_t pid, const char *name, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%u/%s", pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return (ssize_t)n;
}

static int64_t pl_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void proc_user_name(struct proc *p, uint32_t uid, char *out, size_t outlen)
{
    size_t k = uid % XM_ARRAY_LEN(p->ucache);
    if (!p->ucache[k].used || p->ucache[k].uid != uid) {
        struct passwd pw, *res = NULL;
        char buf[1024];
        p->ucache[k].used = true;
        p->ucache[k].uid = uid;
        if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
            snprintf(p->ucache[k].name, sizeof p->ucache[k].name, "%s", pw.pw_name);
        else
            snprintf(p->ucache[k].name, sizeof p->ucache[k].name, "%u", uid);
    }
    snprintf(out, outlen, "%s", p->ucache[k].name);
}

/* ---- process records ------------------------------------------------- */

static int pl_stat(struct proc *p, uint32_t pid, char comm[PROC_COMM_LEN],
                   uint32_t *ppid, xm_time_t *start)
{
    char buf[1024];
    uint64_t ticks = 0;
    ssize_t n = pl_read(pid, "stat", buf, sizeof buf);
    if (n <= 0 || proc_stat_parse(buf, (size_t)n, comm, ppid, &ticks) != 0)
        return -1;
    *start = p->boot_us + (xm_time_t)(ticks * (uint64_t)XM_USEC_PER_SEC / (uint64_t)p->clk_tck);
    return 0;
}

static void pl_uid(struct proc *p, struct proc_info *pi)
{
    char buf[2048];
    ssize_t n = pl_read(pi->pid, "status", buf, sizeof buf);
    const char *u = n > 0 ? strstr(buf, "\nUid:") : NULL;
    if (!u)
        return;
    pi->uid = (uint32_t)strtoul(u + 5, NULL, 10);
    pi->uid_known = true;
    proc_user_name(p, pi->uid, pi->user, sizeof pi->user);
}

static void pl_exe_cmdline(struct proc_info *pi)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%u/exe", pi->pid);
    ssize_t n = readlink(path, pi->exe, sizeof pi->exe - 1);
    pi->exe[n > 0 ? n : 0] = '\0';
    n = pl_read(pi->pid, "cmdline", buf, sizeof buf);
    proc_cmdline_clean((const uint8_t *)buf, n > 0 ? (size_t)n : 0, pi->cmdline,
                       sizeof pi->cmdline);
    pi->argv_len = (uint16_t)proc_cmdline_args((const uint8_t *)buf, n > 0 ? (size_t)n : 0,
                                               pi->argv, sizeof pi->argv);
}

static void pl_cgroup(struct proc_info *pi)
{
    char buf[4096];
    ssize_t n = pl_read(pi->pid, "cgroup", buf, sizeof buf);
    if (n > 0)
        proc_cgroup_parse(buf, (size_t)n, &pi->container);
}

/* Fills every field of pi from /proc/<pid>; -1 when the process is gone. */
static int pl_fill(struct proc *p, struct proc_info *pi)
{
    if (pl_stat(p, pi->pid, pi->comm, &pi->ppid, &pi->start) != 0) {
        p->st.proc_read_errors++;
        return -1;
    }
    pl_exe_cmdline(pi);
    pl_uid(p, pi);
    pl_cgroup(pi);
    pi->ai = proc_ai_verdict(pi->comm, pi->exe, pi->cmdline, pi->ai_evidence,
                             sizeof pi->ai_evidence);
    return 0;
}

int proc_live_read_details(struct proc *p, struct proc_info *pi, xm_time_t start_us)
{
    char comm[PROC_COMM_LEN], path[64], exe[PROC_PATH_LEN], buf[4096];
    uint32_t ppid = 0;
    xm_time_t st = 0, tick = XM_USEC_PER_SEC / p->clk_tck;
    if (pl_stat(p, pi->pid, comm, &ppid, &st) != 0 || st > start_us + 2 * tick ||
        st + 2 * tick < start_us)
        return -1;                     /* gone, or the pid is reused */
    snprintf(path, sizeof path, "/proc/%u/exe", pi->pid);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    if (n <= 0)
        return -1;                     /* a zombie has no exe any more */
    exe[n] = '\0';
    memcpy(pi->exe, exe, sizeof pi->exe);
    n = pl_read(pi->pid, "cmdline", buf, sizeof buf);
    if (n > 0)                         /* empty once the mm is gone */
        proc_cmdline_clean((const uint8_t *)buf, (size_t)n, pi->cmdline, sizeof pi->cmdline);
    pi->ppid = ppid;
    pl_cgroup(pi);
    return 0;
}

/* A new record for pid read from /proc (NULL when it is gone). */
static struct proc_info *pl_load(struct proc *p, uint32_t pid)
{
    struct proc_info tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.pid = pid;
    if (pl_fill(p, &tmp) != 0)
        return NULL;
    struct proc_info *pi = proc_tab_add(p, pid, proc_wall_us());
    tmp.id = pi->id;
    tmp.first_seen = pi->first_seen;
    *pi = tmp;
    return pi;
}

/* The current record for pid: the newest one if its start time and comm
 * still match /proc (pid reuse, exec without connector), else a new one. */
static struct proc_info *pl_current(struct proc *p, uint32_t pid)
{
    struct proc_info *pi = proc_tab_by_pid(p, pid);
    char comm[PROC_COMM_LEN];
    uint32_t ppid;
    xm_time_t start;
    if (pl_stat(p, pid, comm, &ppid, &start) != 0)
        return pi;                       /* gone: keep what we knew */
    if (pi && pi->start == start && strcmp(pi->comm, comm) == 0)
        return pi;
    return pl_load(p, pid);
}

/* ---- inode map ------------------------------------------------------- */

static uint32_t pl_islot(const struct proc *p, uint64_t inode)
{
    return (uint32_t)xm_hash(&inode, sizeof inode, p->seed) & (p->icap - 1);
}

static void pl_imap_put(struct proc *p, uint64_t inode, uint32_t pid)
{
    uint32_t i = pl_islot(p, inode);
    while (p->imap[i].inode && p->imap[i].inode != inode)
        i = (i + 1) & (p->icap - 1);
    if (!p->imap[i].inode) {
        if (p->icount >= p->lim.max_inodes) {
            p->st.inode_dropped++;
            return;
        }
        p->icount++;
    }
    p->imap[i].inode = inode;
    p->imap[i].pid = pid;          /* last writer wins (shared sockets) */
}

static uint32_t pl_imap_get(const struct proc *p, uint64_t inode)
{
    uint32_t i = pl_islot(p, inode);
    while (p->imap[i].inode) {
        if (p->imap[i].inode == inode)
            return p->imap[i].pid;
        i = (i + 1) & (p->icap - 1);
    }
    return 0;
}

/* "socket:[12345]" -> 12345, else 0. */
static uint64_t pl_sock_inode(const char *l, ssize_t n)
{
    uint64_t v = 0;
    if (n < 10 || memcmp(l, "socket:[", 8) != 0 || l[n - 1] != ']')
        return 0;
    for (ssize_t i = 8; i < n - 1; i++) {
        if (l[i] < '0' || l[i] > '9' || v > UINT64_MAX / 10)
            return 0;
        v = v * 10 + (uint64_t)(l[i] - '0');
    }
    return v;
}

/* Adds every socket of pid to the map; -1 when /proc/<pid>/fd is gone. */
static int pl_scan_pid(struct proc *p, uint32_t pid)
{
    char path[64], link[64], ent[320];
    snprintf(path, sizeof path, "/proc/%u/fd", pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(ent, sizeof ent, "%s/%s", path, de->d_name);
        ssize_t n = readlink(ent, link, sizeof link - 1);
        if (n < 0 && (errno == EACCES || errno == EPERM))
            break;                 /* not ours to read: skip the process */
        uint64_t ino = n > 0 ? pl_sock_inode(link, n) : 0;
        if (ino)
            pl_imap_put(p, ino, pid);
    }
    closedir(d);
    return 0;
}

static uint32_t pl_pid_name(const char *s)
{
    uint64_t v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > UINT32_MAX)
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    return v <= UINT32_MAX ? (uint32_t)v : 0;
}

static int pl_pid_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Rebuilds the map, newest (highest) pids first: a sender that closes its
 * socket a few ms after connect is most likely new, and must be read
 * before the rest of /proc (tens of ms on a busy host).  At most
 * PROC_SCAN_PIDS processes are scanned (scan_pids_dropped). */
static void pl_full_scan(struct proc *p)
{
    DIR *d = opendir("/proc");
    uint32_t n = 0;
    memset(p->imap, 0, (size_t)p->icap * sizeof *p->imap);
    p->icount = 0;
    p->npending = 0;
    p->st.refreshes++;
    p->last_refresh_ms = pl_mono_ms();
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t pid = pl_pid_name(de->d_name);
        if (pid && n < PROC_SCAN_PIDS)
            p->scan_pids[n++] = pid;
        else if (pid)
            p->st.scan_pids_dropped++;
    }
    closedir(d);
    qsort(p->scan_pids, n, sizeof *p->scan_pids, pl_pid_desc);
    for (uint32_t i = 0; i < n; i++)
        pl_scan_pid(p, p->scan_pids[i]);
}

static void pl_pending_add(struct proc *p, uint32_t pid)
{
    for (uint32_t i = 0; i < p->npending; i++)
        if (p->pending[i] == pid)
            return;
    if (p->npending >= p->lim.max_pending) {
        p->st.pending_dropped++;
        return;
    }
    p->pending[p->npending++] = pid;
}

/* Scans the connector's new pids (dropping the dead ones) and the most
 * recently attributed live processes. */
static void pl_targeted_scan(struct proc *p)
{
    uint32_t keep = 0;
    p->st.targeted_scans++;
    for (uint32_t i = 0; i < p->npending; i++)
        if (pl_scan_pid(p, p->pending[i]) == 0)
            p->pending[keep++] = p->pending[i];
    p->npending = keep;
    const struct proc_slot *e = xm_tab_prev(&p->procs, NULL);   /* most recent first */
    for (int n = 0; e && n < PROC_RECENT_SCAN; e = xm_tab_prev(&p->procs, e)) {
        if (!e->info.exited) {
            pl_scan_pid(p, e->info.pid);
            n++;
        }
    }
}

/* ---- sock_diag ------------------------------------------------------- */

struct pl_end {
    uint8_t family;                /* AF_INET / AF_INET6 */
    uint8_t proto;
    uint8_t laddr[16], raddr[16];  /* network order */
    uint16_t lport, rport;         /* host order */
};

static void pl_addr_bytes(const struct xm_addr *a, uint8_t fam, uint8_t out[16])
{
    memset(out, 0, 16);
    if (a->family == 6)
        memcpy(out, a->b, 16);
    else if (fam == AF_INET6) {    /* v4-mapped ::ffff:a.b.c.d */
        out[10] = out[11] = 0xff;
        memcpy(out + 12, a->b, 4);
    } else
        memcpy(out, a->b, 4);
}

static void pl_fill_id(struct inet_diag_sockid *id, const uint8_t *sa, uint16_t sp,
                       const uint8_t *da, uint16_t dp)
{
    id->idiag_sport = htons(sp);
    id->idiag_dport = htons(dp);
    memcpy(id->idiag_src, sa, 16);
    memcpy(id->idiag_dst, da, 16);
    id->idiag_cookie[0] = id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

/* One exact request; swap puts the remote end in idiag_src (UDP's
 * historical order).  Returns proc_diag_decode's result. */
static int pl_diag_query(struct proc *p, const struct pl_end *e, bool swap,
                         struct proc_diag_sock *out)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof msg);
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST;
    msg.nlh.nlmsg_seq = ++p->diag_seq;
    msg.req.sdiag_family = e->family;
    msg.req.sdiag_protocol = e->proto;
    msg.req.idiag_states = ~0u;
    if (swap)
        pl_fill_id(&msg.req.id, e->raddr, e->rport, e->laddr, e->lport);
    else
        pl_fill_id(&msg.req.id, e->laddr, e->lport, e->raddr, e->rport);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    p->st.diag_queries++;
    if (sendto(p->diag_fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
        return -1;
    uint8_t buf[1024];
    for (int tries = 0; tries < 4; tries++) {
        ssize_t n = recv(p->diag_fd, buf, sizeof buf, 0);
        if (n <= 0)
            return -1;
        int rc = proc_diag_decode(buf, (size_t)n, out);
        if (out->seq == p->diag_seq)
            return rc;             /* else a stale answer: read on */
    }
    return -1;
}

static bool pl_mapped4(const uint8_t a[16])
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, pre, 12) == 0;
}

/* Remote end of the answer equals ours (comparing v4 as v4-mapped too). */
static bool pl_same_remote(const struct pl_end *e, const struct proc_diag_sock *s)
{
    if (s->dport != e->rport)
        return false;
    if (memcmp(s->dst, e->raddr, 16) == 0)
        return true;
    return s->family == AF_INET6 && pl_mapped4(s->dst) && e->family == AF_INET &&
           memcmp(s->dst + 12, e->raddr, 4) == 0;
}

/* Exact / port-guess / none for one local end (all families/orders). */
static uint8_t pl_find_socket(struct proc *p, struct pl_end *e, struct proc_diag_sock *s)
{
    bool v4 = e->family == AF_INET;
    struct xm_addr la, ra;
    memset(&la, 0, sizeof la);
    memset(&ra, 0, sizeof ra);
    memcpy(la.b, e->laddr, v4 ? 4 : 16);
    memcpy(ra.b, e->raddr, v4 ? 4 : 16);
    la.family = ra.family = v4 ? 4 : 6;
    for (int pass = 0; pass < (v4 ? 2 : 1); pass++) {
        if (pass == 1) {           /* dual-stack socket, v4-mapped */
            e->family = AF_INET6;
            pl_addr_bytes(&la, AF_INET6, e->laddr);
            pl_addr_bytes(&ra, AF_INET6, e->raddr);
        }
        for (int swap = 0; swap < (e->proto == IPPROTO_UDP ? 2 : 1); swap++) {
            int rc = pl_diag_query(p, e, swap ^ (e->proto == IPPROTO_UDP), s);
            if (rc < 0)
                p->st.diag_errors++;
            if (rc != 1 || s->sport != e->lport)
                continue;
            if (s->state == PROC_TCP_LISTEN || s->dport == 0)
                return PROC_ATTR_PORT_GUESS;
            if (pl_same_remote(e, s) || (pass == 1 && pl_mapped4(s->dst)))
                return PROC_ATTR_EXACT;
        }
    }
    p->st.diag_not_found++;
    return PROC_ATTR_NONE;
}

/* inode -> pid with the map, a targeted scan or a rate-limited full scan;
 * *fresh tells whether the answer came from a scan made just now. */
static uint32_t pl_inode_pid(struct proc *p, uint64_t inode, bool *fresh)
{
    uint32_t pid = pl_imap_get(p, inode);
    *fresh = false;
    if (pid)
        return pid;
    *fresh = true;
    if (p->cn_fd >= 0)
        while (proc_live_cn_readable(p) > 0)
            ;
    /* New processes first: cheap, and a short-lived sender may close its
     * socket while a full scan is still walking /proc. */
    pl_targeted_scan(p);
    pid = pl_imap_get(p, inode);
    if (pid)
        return pid;
    int64_t now = pl_mono_ms();
    if (p->last_refresh_ms >= 0 && now - p->last_refresh_ms < (int64_t)p->lim.refresh_min_ms) {
        p->st.refresh_skipped++;
        return 0;
    }
    pl_full_scan(p);
    return pl_imap_get(p, inode);
}

static void pl_end_from(struct pl_end *e, const struct xm_flow *f, bool client);

static uint32_t pl_attribute_end(struct proc *p, const struct xm_flow *f, bool client,
                                 uint8_t *conf)
{
    struct proc_diag_sock s;
    struct pl_end end, *e = &end;
    pl_end_from(e, f, client);
    uint8_t c = pl_find_socket(p, e, &s);
    bool fresh;
    if (c == PROC_ATTR_NONE)
        return 0;
    if (s.inode == 0) {
        /* A TCP connection not yet accept()ed (or a SYN's request sock)
         * has no inode: its listener names the server process. */
        p->st.orphan_sockets++;
        if (e->proto != IPPROTO_TCP || c != PROC_ATTR_EXACT)
            return 0;
        pl_end_from(e, f, client);
        memset(e->raddr, 0, sizeof e->raddr);
        e->rport = 0;
        c = pl_find_socket(p, e, &s);
        if (c != PROC_ATTR_PORT_GUESS || s.inode == 0)
            return 0;
    }
    uint32_t pid = pl_inode_pid(p, s.inode, &fresh);
    struct proc_info *pi = pid ? pl_current(p, pid) : NULL;
    if (!pi) {
        p->st.inode_unmapped++;
        return 0;
    }
    if (!pi->uid_known) {
        pi->uid = s.uid;
        pi->uid_known = true;
        proc_user_name(p, s.uid, pi->user, sizeof pi->user);
    }
    *conf = (c == PROC_ATTR_EXACT && !fresh) ? PROC_ATTR_CACHED : c;
    return pi->id;
}

static void pl_end_from(struct pl_end *e, const struct xm_flow *f, bool client)
{
    const struct xm_addr *l = client ? &f->cli : &f->srv, *r = client ? &f->srv : &f->cli;
    e->family = l->family == 6 ? AF_INET6 : AF_INET;
    e->proto = f->proto;
    pl_addr_bytes(l, e->family, e->laddr);
    pl_addr_bytes(r, e->family, e->raddr);
    e->lport = client ? f->cli_port : f->srv_port;
    e->rport = client ? f->srv_port : f->cli_port;
}

uint32_t proc_live_attribute(struct proc *p, const struct xm_flow *f, uint8_t *conf)
{
    if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
        return 0;
    for (int side = 0; side < 2; side++) {
        bool client = side == 0;
        if (f->local == FLOW_LOCAL_CLIENT && !client)
            break;
        if (f->local == FLOW_LOCAL_SERVER && client)
            continue;
        uint32_t id = pl_attribute_end(p, f, client, conf);
        if (id)
            return id;
    }
    return 0;
}

/* ---- netlink sockets ------------------------------------------------- */

/* nlmsghdr + cn_msg header + u32 op, built field by field (struct
 * cn_msg ends in a flexible array and cannot be nested). */
static int pl_cn_subscribe(int fd)
{
    uint8_t buf[NLMSG_HDRLEN + sizeof(struct cn_msg) + sizeof(uint32_t)];
    struct nlmsghdr nlh;
    struct cn_msg cn;
    uint32_t op = PROC_CN_MCAST_LISTEN;
    memset(&nlh, 0, sizeof nlh);
    memset(&cn, 0, sizeof cn);
    nlh.nlmsg_len = sizeof buf;
    nlh.nlmsg_type = NLMSG_DONE;
    cn.id.idx = CN_IDX_PROC;
    cn.id.val = CN_VAL_PROC;
    cn.len = sizeof op;
    memset(buf, 0, sizeof buf);
    memcpy(buf, &nlh, sizeof nlh);
    memcpy(buf + NLMSG_HDRLEN, &cn, sizeof cn);
    memcpy(buf + NLMSG_HDRLEN + sizeof cn, &op, sizeof op);
    return send(fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf ? 0 : -1;
}

/* Waits up to 250 ms (start-up only) for the kernel's PROC_EVENT_NONE
 * answer to the subscription: in another network namespace (container)
 * the connector accepts the socket but never answers nor sends events. */
static int pl_cn_ack(int fd)
{
    uint8_t buf[4096] __attribute__((aligned(8)));
    struct proc_cn_event ev[8];
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    for (int tries = 0; tries < 64; tries++) {
        if (poll(&pfd, 1, 250) <= 0)
            return -1;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        int k = n > 0 ? proc_cn_decode(buf, (size_t)n, ev, (int)XM_ARRAY_LEN(ev)) : 0;
        for (int i = 0; i < k; i++)
            if (ev[i].what == PROC_EVENT_NONE)
                return ev[i].ack_err == 0 ? 0 : -1;
    }
    return -1;
}

static int pl_cn_open(struct proc *p)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
    int rcvbuf = 4 << 20;
    if (fd < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || pl_cn_subscribe(fd) != 0 ||
        pl_cn_ack(fd) != 0)
        goto fail;
    p->cn_fd = fd;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    p->st.connector_unavailable = 1;
    return -1;
}

int proc_open_netlink(struct proc *p)
{
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    if (p->diag_fd < 0) {
        p->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (p->diag_fd < 0)
            return -1;
        /* A lost answer must not stall the pipeline: 200 ms at most. */
        setsockopt(p->diag_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    if (p->cn_fd < 0)
        pl_cn_open(p);
    if (!p->hash)
        p->hash = proc_hash_new(0, 0);   /* NULL: no hashes, attribution goes on */
    return 0;
}

int proc_live_cn_fd(const struct proc *p)
{
    return p->cn_fd;
}

/* ---- connector events ------------------------------------------------ */

/* A fork is only noted: the child is read from /proc when a socket
 * leads to it (most children exec at once, and EXEC loads them). */
static void pl_on_fork(struct proc *p, const struct proc_cn_event *ev)
{
    if (ev->pid == ev->tgid)       /* a process, not a new thread */
        pl_pending_add(p, ev->tgid);
}

static void pl_on_exec(struct proc *p, const struct proc_cn_event *ev)
{
    if (!pl_load(p, ev->tgid))
        return;                    /* exited already; fork record stays */
    pl_pending_add(p, ev->tgid);
}

static void pl_on_exit(struct proc *p, const struct proc_cn_event *ev)
{
    if (ev->pid != ev->tgid)
        return;
    struct proc_info *pi = proc_tab_by_pid(p, ev->tgid);
    if (pi)
        pi->exited = true;
}

static void pl_on_comm(struct proc *p, const struct proc_cn_event *ev)
{
    struct proc_info *pi = proc_tab_by_pid(p, ev->tgid);
    if (pi && ev->pid == ev->tgid && !pi->exited)
        memcpy(pi->comm, ev->comm, sizeof pi->comm);
}

static void pl_event(struct proc *p, const struct proc_cn_event *ev)
{
    p->st.connector_events++;
    switch (ev->what) {
    case PROC_EVENT_FORK:
        p->st.ev_fork++;
        pl_on_fork(p, ev);
        break;
    case PROC_EVENT_EXEC:
        p->st.ev_exec++;
        pl_on_exec(p, ev);
        break;
    case PROC_EVENT_EXIT:
        p->st.ev_exit++;
        pl_on_exit(p, ev);
        break;
    case PROC_EVENT_COMM:
        p->st.ev_comm++;
        pl_on_comm(p, ev);
        break;
    default:
        break;
    }
}

int proc_live_cn_readable(struct proc *p)
{
    uint8_t buf[4096] __attribute__((aligned(8)));
    struct proc_cn_event ev[8];
    int total = 0;
    for (int i = 0; p->cn_fd >= 0 && i < PROC_CN_BATCH; i++) {
        ssize_t n = recv(p->cn_fd, buf, sizeof buf, 0);
        if (n < 0 && errno == ENOBUFS) {
            p->st.connector_lost++;
            p->last_refresh_ms = -1;   /* events lost: allow a full scan */
            continue;
        }
        if (n <= 0)
            break;
        int k = proc_cn_decode(buf, (size_t)n, ev, (int)XM_ARRAY_LEN(ev));
        for (int j = 0; j < k; j++)
            pl_event(p, &ev[j]);
        total += k > 0 ? k : 0;
    }
    return total;
}
