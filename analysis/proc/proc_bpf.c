/*
 * proc_bpf.c - the eBPF attribution source (programs: bpf/attrib.bpf.c,
 * record layout: bpf/attrib_event.h, embedded as a bpftool skeleton).
 *
 * Hook choice at load time, per hook: tp_btf, else raw_tp (same body);
 * the send hook falls back to kprobes on tcp_sendmsg/udp_sendmsg when the
 * kernel has no sock_send_length tracepoint (< 6.3).  Anything refused
 * makes proc_open_bpf fail and the caller use sock_diag instead.
 *
 * Cost: the ring buffer is drained on the event loop's readable callback
 * (at most PB_BATCH records per call) and at flow ends; each CONNECT or
 * first SEND of a process not yet known reads /proc/<pid> once, there.
 * Per packet nothing happens here: a new flow costs one hash lookup.
 *
 * Socket table: PB_SOCKS entries in a ring (FIFO eviction of the oldest,
 * counted in bpf_socks_evicted), chained by kernel socket address and by
 * canonical 5-tuple (newest first).  An entry remembers its local end so
 * the two sockets of a local connection (client and accepted server)
 * are told apart.
 */
#include "proc_int.h"

#include "xm_config.h"

#ifdef XM_HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf/attrib_event.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#pragma GCC diagnostic ignored "-Wpedantic"
#include "attrib.skel.h"
#pragma GCC diagnostic pop

#define PB_SOCKS 65536u          /* socket table entries (power of two) */
#define PB_BATCH 256             /* ring records per proc_bpf_poll */

struct pb_sock {
    uint64_t sk;                 /* 0 = closed / unknown */
    struct proc_tuple key;
    struct xm_addr laddr;        /* the socket's own end */
    uint16_t lport;
    bool has_key, closed, used;
    bool port_only;              /* unconnected UDP: remote end unknown */
    uint32_t proc_id;
    uint64_t sent, recv;
    uint32_t sk_next, key_next;  /* chains: index + 1, 0 = end */
};

struct proc_bpf {
    struct xm_attrib *skel;
    struct ring_buffer *rb;
    struct pb_sock *socks;       /* PB_SOCKS */
    uint32_t *sk_bucket, *key_bucket; /* PB_SOCKS heads each */
    uint32_t next;               /* FIFO cursor */
    int batch_left;              /* records this poll may still handle */
    char mode[32];
};

static void proc_bpf_free_tables(struct proc_bpf *b);
static int pb_alloc(struct proc_bpf *b);
static int pb_sample(void *ctx, void *data, size_t len);

/* ---- socket table ---------------------------------------------------- */

static uint32_t pb_hsk(const struct proc *p, uint64_t sk)
{
    return (uint32_t)xm_hash(&sk, sizeof sk, p->seed) & (PB_SOCKS - 1);
}

static uint32_t pb_hkey(const struct proc *p, const struct proc_tuple *t)
{
    return (uint32_t)xm_hash(t, sizeof *t, p->seed) & (PB_SOCKS - 1);
}

/* Removes entry i (index + 1) from the chain at *head. */
static void pb_unlink(struct proc_bpf *b, uint32_t *head, uint32_t i, bool by_sk)
{
    uint32_t *l = head;
    while (*l && *l != i)
        l = by_sk ? &b->socks[*l - 1].sk_next : &b->socks[*l - 1].key_next;
    if (*l)
        *l = by_sk ? b->socks[i - 1].sk_next : b->socks[i - 1].key_next;
}

static void pb_forget_sk(struct proc *p, struct pb_sock *s)
{
    struct proc_bpf *b = p->bpf;
    if (s->sk)
        pb_unlink(b, &b->sk_bucket[pb_hsk(p, s->sk)], (uint32_t)(s - b->socks) + 1, true);
    s->sk = 0;
}

static struct pb_sock *pb_new(struct proc *p, uint64_t sk)
{
    struct proc_bpf *b = p->bpf;
    uint32_t i = b->next;
    struct pb_sock *s = &b->socks[i];
    b->next = (i + 1) & (PB_SOCKS - 1);
    if (s->used) {
        p->st.bpf_socks_evicted++;
        pb_forget_sk(p, s);
        if (s->has_key)
            pb_unlink(b, &b->key_bucket[pb_hkey(p, &s->key)], i + 1, false);
    }
    memset(s, 0, sizeof *s);
    s->used = true;
    s->sk = sk;
    uint32_t *h = &b->sk_bucket[pb_hsk(p, sk)];
    s->sk_next = *h;
    *h = i + 1;
    return s;
}

static struct pb_sock *pb_by_sk(struct proc *p, uint64_t sk)
{
    struct proc_bpf *b = p->bpf;
    for (uint32_t i = b->sk_bucket[pb_hsk(p, sk)]; i; i = b->socks[i - 1].sk_next)
        if (b->socks[i - 1].sk == sk)
            return &b->socks[i - 1];
    return NULL;
}

/* An address from an event: v4-mapped IPv6 becomes IPv4. */
static void pb_addr(struct xm_addr *a, uint16_t family, const uint8_t raw[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(a, 0, sizeof *a);
    if (family == AF_INET6 && memcmp(raw, mapped, 12) != 0) {
        memcpy(a->b, raw, 16);
        a->family = 6;
        return;
    }
    memcpy(a->b, family == AF_INET6 ? raw + 12 : raw, 4);
    a->family = 4;
}

/* Indexes s by the event's 5-tuple once it is complete. */
static void pb_set_key(struct proc *p, struct pb_sock *s, const struct xmb_event *ev)
{
    struct proc_bpf *b = p->bpf;
    struct xm_addr r;
    bool udp_any = ev->proto == IPPROTO_UDP && ev->dport == 0;
    if (s->has_key || ev->sport == 0 || (ev->dport == 0 && !udp_any))
        return;
    pb_addr(&s->laddr, ev->family, ev->saddr);
    pb_addr(&r, ev->family, ev->daddr);
    if (udp_any) {                   /* unconnected: keyed by its own end */
        memset(&r, 0, sizeof r);
        r.family = s->laddr.family;
        s->port_only = true;
    }
    s->lport = ev->sport;
    proc_tuple_make(&s->key, (uint8_t)ev->proto, &s->laddr, ev->sport, &r, ev->dport);
    s->has_key = true;
    uint32_t *h = &b->key_bucket[pb_hkey(p, &s->key)];
    s->key_next = *h;
    *h = (uint32_t)(s - b->socks) + 1;
}

/* Newest socket with flow f's tuple whose own end is (la, lp). */
static struct pb_sock *pb_by_flow(struct proc *p, const struct xm_flow *f,
                                  const struct xm_addr *la, uint16_t lp)
{
    struct proc_bpf *b = p->bpf;
    struct proc_tuple t;
    proc_tuple_make(&t, f->proto, &f->cli, f->cli_port, &f->srv, f->srv_port);
    for (uint32_t i = b->key_bucket[pb_hkey(p, &t)]; i; i = b->socks[i - 1].key_next) {
        struct pb_sock *s = &b->socks[i - 1];
        if (memcmp(&s->key, &t, sizeof t) == 0 && s->lport == lp &&
            xm_addr_cmp(&s->laddr, la) == 0)
            return s;
    }
    return NULL;
}

/* Newest unconnected UDP socket bound to (la or the wildcard, lp). */
static struct pb_sock *pb_by_port(struct proc *p, const struct xm_addr *la, uint16_t lp)
{
    struct proc_bpf *b = p->bpf;
    struct xm_addr cand[3], zero;
    memset(cand, 0, sizeof cand);
    cand[0] = *la;
    cand[1].family = 4;              /* 0.0.0.0 */
    cand[2].family = 6;              /* :: (dual-stack) */
    for (int c = 0; c < 3; c++) {
        struct proc_tuple t;
        memset(&zero, 0, sizeof zero);
        zero.family = cand[c].family;
        proc_tuple_make(&t, IPPROTO_UDP, &cand[c], lp, &zero, 0);
        for (uint32_t i = b->key_bucket[pb_hkey(p, &t)]; i; i = b->socks[i - 1].key_next) {
            struct pb_sock *s = &b->socks[i - 1];
            if (s->port_only && memcmp(&s->key, &t, sizeof t) == 0 && s->lport == lp)
                return s;
        }
    }
    return NULL;
}

/* ---- process records ------------------------------------------------- */

/* "/a/b/exe" from the components (basename first); "" when none. */
static void pb_exe(const struct xmb_event *ev, char *out, size_t cap)
{
    size_t n = 0;
    uint32_t depth = ev->exe_depth < XMB_EXE_PARTS ? ev->exe_depth : XMB_EXE_PARTS;
    out[0] = '\0';
    for (uint32_t i = depth; i > 0 && n + 1 < cap; i--) {
        char part[XMB_EXE_PART_LEN + 1];
        memcpy(part, ev->exe[i - 1], XMB_EXE_PART_LEN);
        part[XMB_EXE_PART_LEN] = '\0';
        int w = snprintf(out + n, cap - n, "/%s", part);
        n = w < 0 ? cap : n + (size_t)w;
    }
}

static void pb_fill_from_event(struct proc *p, struct proc_info *pi, const struct xmb_event *ev)
{
    char cg[PROC_CGROUP_LEN + 8];
    memcpy(pi->comm, ev->comm, PROC_COMM_LEN);
    pi->comm[PROC_COMM_LEN - 1] = '\0';
    pi->uid = ev->uid;
    pi->uid_known = true;
    proc_user_name(p, ev->uid, pi->user, sizeof pi->user);
    uint32_t alen = ev->args_len < XMB_ARGS_LEN ? ev->args_len : XMB_ARGS_LEN;
    proc_cmdline_clean((const uint8_t *)ev->args, alen, pi->cmdline, sizeof pi->cmdline);
    pi->argv_len = (uint16_t)proc_cmdline_args((const uint8_t *)ev->args, alen, pi->argv,
                                               sizeof pi->argv);
    pb_exe(ev, pi->exe, sizeof pi->exe);
    pi->cgroup_id = ev->cgroup_id;
    pi->netns = ev->netns;
    memcpy(pi->cgroup, ev->cgroup, sizeof pi->cgroup);
    pi->cgroup[sizeof pi->cgroup - 1] = '\0';
    snprintf(cg, sizeof cg, "0::/%s\n", pi->cgroup);
    proc_cgroup_parse(cg, strlen(cg), &pi->container);
}

/* The record for the event's process: the newest one with the same pid,
 * start and comm, else a new one read from the event and /proc now. */
static struct proc_info *pb_proc(struct proc *p, const struct xmb_event *ev)
{
    xm_time_t start = p->boot_us + (xm_time_t)(ev->start_boot_ns / 1000);
    struct proc_info *pi = proc_tab_by_pid(p, ev->tgid);
    if (pi && pi->start == start && strncmp(pi->comm, ev->comm, PROC_COMM_LEN - 1) == 0)
        return pi;
    pi = proc_tab_add(p, ev->tgid, proc_wall_us());
    pb_fill_from_event(p, pi, ev);
    pi->start = start;
    if (proc_live_read_details(p, pi, start) == 0) {
        pi->source = PROC_SRC_BPF_PROC;
    } else {
        pi->source = PROC_SRC_BPF;
        pi->exited = true;
        p->st.bpf_proc_late++;
    }
    pi->ai = proc_ai_verdict(pi->comm, pi->exe, pi->cmdline, pi->ai_evidence,
                             sizeof pi->ai_evidence);
    return pi;
}

/* ---- ring buffer ----------------------------------------------------- */

static void pb_on_process(struct proc *p, const struct xmb_event *ev)
{
    struct pb_sock *s = pb_by_sk(p, ev->sk);
    if (ev->type == XMB_EV_CONNECT || !s) {
        if (s)
            pb_forget_sk(p, s);      /* an address reused for a new socket */
        s = pb_new(p, ev->sk);
    }
    if (!s->proc_id)
        s->proc_id = pb_proc(p, ev)->id;
    pb_set_key(p, s, ev);
}

static void pb_on_event(struct proc *p, const struct xmb_event *ev)
{
    struct pb_sock *s;
    switch (ev->type) {
    case XMB_EV_CONNECT:
        p->st.bpf_connect++;
        pb_on_process(p, ev);
        break;
    case XMB_EV_SEND:
        p->st.bpf_send++;
        pb_on_process(p, ev);
        break;
    case XMB_EV_TUPLE:
        p->st.bpf_tuple++;
        s = pb_by_sk(p, ev->sk);
        pb_set_key(p, s ? s : pb_new(p, ev->sk), ev);
        break;
    case XMB_EV_CLOSE:
        p->st.bpf_close++;
        s = pb_by_sk(p, ev->sk);
        if (!s)
            break;
        pb_set_key(p, s, ev);
        s->sent = ev->bytes_sent;
        s->recv = ev->bytes_recv;
        s->closed = true;
        pb_forget_sk(p, s);          /* the address may be reused now */
        break;
    default:
        p->st.bpf_malformed++;
        break;
    }
}

/* libbpf callback: a negative return stops the batch (more remain). */
static int pb_sample(void *ctx, void *data, size_t len)
{
    struct proc *p = ctx;
    struct xmb_event ev;
    if (len < sizeof ev) {
        p->st.bpf_malformed++;
        return 0;
    }
    memcpy(&ev, data, sizeof ev);
    p->st.bpf_events++;
    pb_on_event(p, &ev);
    return --p->bpf->batch_left > 0 ? 0 : -EAGAIN;
}

int proc_bpf_poll(struct proc *p)
{
    if (!p->bpf || !p->bpf->rb)
        return 0;
    uint64_t before = p->st.bpf_events;
    p->bpf->batch_left = PB_BATCH;
    ring_buffer__consume(p->bpf->rb);
    return (int)(p->st.bpf_events - before);
}

int proc_bpf_fd(const struct proc *p)
{
    return p->bpf && p->bpf->rb ? ring_buffer__epoll_fd(p->bpf->rb) : -1;
}

int proc_bpf_feed(struct proc *p, const void *rec, size_t len)
{
    if (!p->bpf) {
        struct proc_bpf *b = calloc(1, sizeof *b);
        if (!b || pb_alloc(b) != 0) {
            proc_bpf_free_tables(b);
            return -1;
        }
        snprintf(b->mode, sizeof b->mode, "feed");
        p->bpf = b;
    }
    p->bpf->batch_left = 2;
    pb_sample(p, (void *)(uintptr_t)rec, len);
    return 0;
}

/* ---- loading --------------------------------------------------------- */

static bool pb_has_tp(const struct btf *vm, const char *tp)
{
    char name[64];
    snprintf(name, sizeof name, "btf_trace_%s", tp);
    return vm && btf__find_by_name_kind(vm, name, BTF_KIND_TYPEDEF) >= 0;
}

/* Chooses one program per hook; returns the mode's name. */
static const char *pb_choose(struct xm_attrib *sk, bool btf_tp, bool has_send)
{
    struct bpf_program *off[] = {
        btf_tp ? sk->progs.xm_state_raw : sk->progs.xm_state_btf,
        btf_tp || !has_send ? sk->progs.xm_send_raw : NULL,
        !btf_tp || !has_send ? sk->progs.xm_send_btf : NULL,
        btf_tp || !has_send ? sk->progs.xm_recv_raw : NULL,
        !btf_tp || !has_send ? sk->progs.xm_recv_btf : NULL,
        has_send ? sk->progs.xm_tcp_sendmsg_kp : NULL,
        has_send ? sk->progs.xm_udp_sendmsg_kp : NULL,
        has_send ? sk->progs.xm_udp6_sendmsg_kp : NULL,
    };
    for (size_t i = 0; i < XM_ARRAY_LEN(off); i++)
        if (off[i])
            bpf_program__set_autoload(off[i], false);
    if (!has_send)
        return btf_tp ? "tp_btf+kprobe" : "raw_tp+kprobe";
    return btf_tp ? "tp_btf" : "raw_tp";
}

static int pb_silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    (void)level;
    (void)fmt;
    (void)ap;
    return 0;
}

static int pb_debug(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    (void)level;
    return vfprintf(stderr, fmt, ap);
}

/* Opens, loads and attaches with tp_btf (btf_tp) or raw_tp programs. */
static int pb_try(struct proc_bpf *b, bool btf_tp, char *why, size_t whylen)
{
    struct btf *vm = btf__load_vmlinux_btf();
    bool has_send = pb_has_tp(vm, "sock_send_length");
    int err = 0;
    btf__free(vm);
    b->skel = xm_attrib__open();
    if (!b->skel) {
        snprintf(why, whylen, "cannot open the BPF object: %s", strerror(errno));
        return -1;
    }
    snprintf(b->mode, sizeof b->mode, "%s", pb_choose(b->skel, btf_tp, has_send));
    if ((err = xm_attrib__load(b->skel)) != 0 || (err = xm_attrib__attach(b->skel)) != 0) {
        snprintf(why, whylen, "%s programs refused: %s", b->mode, strerror(-err));
        xm_attrib__destroy(b->skel);
        b->skel = NULL;
        return -1;
    }
    return 0;
}

/* Everything b owns, b included (NULL is fine). */
static void proc_bpf_free_tables(struct proc_bpf *b)
{
    if (!b)
        return;
    ring_buffer__free(b->rb);
    xm_attrib__destroy(b->skel);
    free(b->socks);
    free(b->sk_bucket);
    free(b->key_bucket);
    free(b);
}

static int pb_alloc(struct proc_bpf *b)
{
    b->socks = calloc(PB_SOCKS, sizeof *b->socks);
    b->sk_bucket = calloc(PB_SOCKS, sizeof *b->sk_bucket);
    b->key_bucket = calloc(PB_SOCKS, sizeof *b->key_bucket);
    return b->socks && b->sk_bucket && b->key_bucket ? 0 : -1;
}

int proc_open_bpf(struct proc *p, char *why, size_t whylen)
{
    struct proc_bpf *b = calloc(1, sizeof *b);
    if (!b || pb_alloc(b) != 0) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    /* EXFILMON_BPF_DEBUG=1 shows libbpf's log (verifier output). */
    libbpf_set_print(getenv("EXFILMON_BPF_DEBUG") ? pb_debug : pb_silent);
    /* EXFILMON_BPF_HOOKS=raw_tp skips tp_btf (to test the fallback). */
    const char *hooks = getenv("EXFILMON_BPF_HOOKS");
    bool raw_only = hooks && strcmp(hooks, "raw_tp") == 0;
    if ((raw_only || pb_try(b, true, why, whylen) != 0) && pb_try(b, false, why, whylen) != 0)
        goto fail;
    b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.ring), pb_sample, p, NULL);
    if (!b->rb) {
        snprintf(why, whylen, "cannot map the BPF ring buffer: %s", strerror(errno));
        goto fail;
    }
    p->bpf = b;
    return 0;
fail:
    proc_bpf_free_tables(b);
    return -1;
}

void proc_bpf_free(struct proc *p)
{
    proc_bpf_free_tables(p->bpf);
    p->bpf = NULL;
}

const char *proc_bpf_mode(const struct proc *p)
{
    return p->bpf ? p->bpf->mode : NULL;
}

/* Sum of the per-CPU stats[i] counter (one syscall; /metrics only). */
static uint64_t pb_kernel_stat(const struct proc *p, uint32_t i)
{
    int ncpu = libbpf_num_possible_cpus();
    uint64_t vals[1024], sum = 0;
    if (ncpu <= 0 || ncpu > 1024 ||
        bpf_map_lookup_elem(bpf_map__fd(p->bpf->skel->maps.stats), &i, vals) != 0)
        return 0;
    for (int c = 0; c < ncpu; c++)
        sum += vals[c];
    return sum;
}

void proc_bpf_write_metrics(const struct proc *p, FILE *f)
{
    if (!p->bpf || !p->bpf->skel)
        return;
    fprintf(f, "# HELP exfilmon_proc_bpf_ring_dropped_total eBPF records lost: ring buffer full.\n"
               "# TYPE exfilmon_proc_bpf_ring_dropped_total counter\n"
               "exfilmon_proc_bpf_ring_dropped_total %llu\n",
            (unsigned long long)pb_kernel_stat(p, 0));
}

/* ---- joining --------------------------------------------------------- */

/* The socket of f's local end: its exact 5-tuple (conf bpf), else for
 * UDP an unconnected socket on the local port (conf port_guess). */
static struct pb_sock *pb_flow_sock(struct proc *p, const struct xm_flow *f, uint8_t *conf)
{
    struct pb_sock *s = NULL;
    *conf = PROC_ATTR_BPF;
    if (f->local & FLOW_LOCAL_CLIENT)
        s = pb_by_flow(p, f, &f->cli, f->cli_port);
    if (!s && (f->local & FLOW_LOCAL_SERVER))
        s = pb_by_flow(p, f, &f->srv, f->srv_port);
    if (!s && f->proto == IPPROTO_UDP) {
        *conf = PROC_ATTR_PORT_GUESS;
        if (f->local & FLOW_LOCAL_CLIENT)
            s = pb_by_port(p, &f->cli, f->cli_port);
        if (!s && (f->local & FLOW_LOCAL_SERVER))
            s = pb_by_port(p, &f->srv, f->srv_port);
    }
    return s && s->proc_id ? s : NULL;
}

uint32_t proc_bpf_attribute(struct proc *p, const struct xm_flow *f, uint8_t *conf)
{
    struct pb_sock *s = pb_flow_sock(p, f, conf);
    if (!s)
        *conf = PROC_ATTR_NONE;
    return s ? s->proc_id : 0;
}

/* Late join and byte counts (see proc_flow_end). */
static void pb_flow_end(struct proc *p, struct xm_flow *f)
{
    proc_bpf_poll(p);                /* a batch: the socket may just have closed */
    uint8_t conf;
    struct pb_sock *s = pb_flow_sock(p, f, &conf);
    if (!s)
        return;
    if (!f->proc_id) {
        f->proc_id = s->proc_id;
        f->attribution = conf;
        p->st.bpf_late_joins++;
        if (p->st.hits[PROC_ATTR_NONE])
            p->st.hits[PROC_ATTR_NONE]--;
        p->st.hits[conf]++;
    }
    if (s->closed && s->proc_id == f->proc_id)
        proc_sock_set(p, f, s->sent, s->recv);
}

void proc_flow_end(struct proc *p, struct xm_flow *f, bool final)
{
    if (p)
        p->sock.flow = NULL;
    if (!p || !f->local)
        return;
    if (p->replay) {
        proc_sock_from_ledger(p, f);
        return;
    }
    if (!p->bpf)
        return;
    pb_flow_end(p, f);
    if (final && f->proc_id && p->ledger_out) {
        proc_tab_touch(p, f->proc_id);
        uint64_t sock[2];
        bool known = proc_flow_socket(p, f, &sock[0], &sock[1]);
        proc_ledger_write(p, f, f->proc_id, f->attribution, known ? sock : NULL);
    }
}

#else /* !XM_HAVE_BPF */

int proc_open_bpf(struct proc *p, char *why, size_t whylen)
{
    (void)p;
    snprintf(why, whylen, "this build has no eBPF support (meson -Dbpf)");
    return -1;
}

void proc_bpf_free(struct proc *p) { (void)p; }
int proc_bpf_feed(struct proc *p, const void *rec, size_t len)
{
    (void)p;
    (void)rec;
    (void)len;
    return -1;
}
int proc_bpf_fd(const struct proc *p) { (void)p; return -1; }
int proc_bpf_poll(struct proc *p) { (void)p; return 0; }
const char *proc_bpf_mode(const struct proc *p) { (void)p; return NULL; }
void proc_bpf_write_metrics(const struct proc *p, FILE *f) { (void)p; (void)f; }

uint32_t proc_bpf_attribute(struct proc *p, const struct xm_flow *f, uint8_t *conf)
{
    (void)p;
    (void)f;
    *conf = PROC_ATTR_NONE;
    return 0;
}

void proc_flow_end(struct proc *p, struct xm_flow *f, bool final)
{
    (void)final;
    if (p)
        p->sock.flow = NULL;
    if (p && p->replay && f->local)
        proc_sock_from_ledger(p, f);
}

#endif

void proc_sock_set(struct proc *p, const struct xm_flow *f, uint64_t sent, uint64_t recv)
{
    p->sock.flow = f;
    p->sock.flow_id = f->flow_id;
    p->sock.sent = sent;
    p->sock.recv = recv;
}

void proc_sock_from_ledger(struct proc *p, const struct xm_flow *f)
{
    uint64_t sent, recv;
    if (f->proc_id && proc_ledger_bytes(p, f, &sent, &recv))
        proc_sock_set(p, f, sent, recv);
}

bool proc_flow_socket(const struct proc *p, const struct xm_flow *f, uint64_t *sent,
                      uint64_t *recv)
{
    if (!p || p->sock.flow != f || p->sock.flow_id != f->flow_id)
        return false;
    *sent = p->sock.sent;
    *recv = p->sock.recv;
    return true;
}

void proc_eve_add_socket(const struct proc *p, const struct xm_flow *f, json_t *obj)
{
    uint64_t sent, recv;
    if (!proc_flow_socket(p, f, &sent, &recv))
        return;
    json_t *o = json_object();
    if (!o)
        return;
    json_object_set_new(o, "bytes_sent", json_integer((json_int_t)sent));
    json_object_set_new(o, "bytes_recv", json_integer((json_int_t)recv));
    json_object_set_new(obj, "socket", o);
}
