/*
 * proc_parse.c - parsers for the untrusted text and datagrams process
 * attribution reads: /proc/<pid>/{cgroup,stat,cmdline}, the netlink
 * process connector (linux/cn_proc.h) and sock_diag replies
 * (linux/inet_diag.h).  Pure functions: no allocation, no I/O.
 *
 * Netlink is host byte order, except the ports and addresses of struct
 * inet_diag_sockid, which are network order.  All bytes are read through
 * struct xm_rd; host-order words are copied with xm_rd_copy.
 */
#include "xm_proc.h"
#include "xm_rd.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

/* ---- cgroup ---------------------------------------------------------- */

static bool pp_is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* Copies at most cap-1 bytes and terminates. */
static void pp_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A 64-hex container id at s[0..63] followed by end, '.' or ':'. */
static bool pp_id_at(const char *s, size_t n)
{
    return n >= 64 && pp_is_hex(s, 64) && (n == 64 || s[64] == '.' || s[64] == ':');
}

struct pp_prefix {
    const char *prefix;
    const char *runtime;
};

static const struct pp_prefix pp_prefixes[] = {
    {"docker-", "docker"},
    {"cri-containerd-", "containerd"},
    {"crio-", "cri-o"},
    {"libpod-", "podman"},
    {"cri-containerd:", "containerd"},   /* "...slice:cri-containerd:<id>" */
    {"docker:", "docker"},
};

static void pp_set_id(struct proc_container *c, const char *rt, const char *id)
{
    if (c->id[0])
        return;                     /* first container id wins */
    pp_copy(c->runtime, sizeof c->runtime, rt, strlen(rt));
    pp_copy(c->id, sizeof c->id, id, 64);
}

/* "pod" + UID in systemd (underscores) or cgroupfs (dashes) spelling;
 * the UID is 36 chars of hex and separators at 8-4-4-4-12. */
static void pp_pod(struct proc_container *c, const char *s, size_t n)
{
    if (c->pod[0] || n < 36)
        return;
    char uid[37];
    for (size_t i = 0; i < 36; i++) {
        char ch = s[i] == '_' ? '-' : s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? ch != '-' : !pp_is_hex(&ch, 1))
            return;
        uid[i] = ch;
    }
    if (n > 36 && s[36] != '.' && s[36] != '/')
        return;
    uid[36] = '\0';
    memcpy(c->pod, uid, sizeof uid);
}

/* One path component [s, s+n); prev is the component before it. */
static void pp_component(struct proc_container *c, const char *s, size_t n,
                         const char *prev, size_t prevn, bool in_kube)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(pp_prefixes); i++) {
        const char *pre = pp_prefixes[i].prefix;
        const char *hit = memmem(s, n, pre, strlen(pre));
        if (!hit)
            continue;
        size_t off = (size_t)(hit - s) + strlen(pre);
        if (pp_id_at(s + off, n - off))
            pp_set_id(c, pp_prefixes[i].runtime, s + off);
    }
    for (const char *pod = memmem(s, n, "pod", 3); pod && in_kube;
         pod = memmem(pod + 3, n - (size_t)(pod + 3 - s), "pod", 3))
        pp_pod(c, pod + 3, n - (size_t)(pod + 3 - s));
    if (n == 64 && pp_is_hex(s, 64)) {
        if (prevn == 6 && memcmp(prev, "docker", 6) == 0)
            pp_set_id(c, "docker", s);
        else if (in_kube)
            pp_set_id(c, "kubernetes", s);
    }
}

/* The path of one cgroup line "hierarchy:controllers:/path". */
static void pp_cgroup_path(struct proc_container *c, const char *s, size_t n)
{
    bool in_kube = memmem(s, n, "kubepods", 8) != NULL;
    const char *prev = "";
    size_t prevn = 0, i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '/')
            j++;
        if (j > i)
            pp_component(c, s + i, j - i, prev, prevn, in_kube);
        prev = s + i;
        prevn = j - i;
        i = j + 1;
    }
}

bool proc_cgroup_parse(const char *text, size_t len, struct proc_container *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        const char *c1 = memchr(text + i, ':', e - i);
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(text + e - c1 - 1)) : NULL;
        if (c2)
            pp_cgroup_path(out, c2 + 1, (size_t)(text + e - c2 - 1));
        i = e + 1;
    }
    return out->id[0] || out->pod[0];
}

/* ---- stat / cmdline -------------------------------------------------- */

static int pp_u64(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    if (n == 0 || n > 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return 0;
}

/* Finds field number `want` (1-based as in proc(5)) after the comm; the
 * text after ") " starts at field 3. */
static int pp_field(const char *s, size_t n, int want, uint64_t *v)
{
    int field = 3;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        if (field == want)
            return pp_u64(s + i, j - i, v);
        field++;
        i = j + 1;
    }
    return -1;
}

int proc_stat_parse(const char *text, size_t len, char comm[PROC_COMM_LEN],
                    uint32_t *ppid, uint64_t *start_ticks)
{
    const char *open = memchr(text, '(', len);
    const char *close = NULL;
    for (size_t i = len; i > 0; i--)
        if (text[i - 1] == ')') {
            close = text + i - 1;
            break;
        }
    if (!open || !close || close < open || (size_t)(close - text) + 2 > len)
        return -1;
    const char *rest = close + 2;
    size_t restn = len - (size_t)(rest - text);
    uint64_t pp = 0, st = 0;
    if (pp_field(rest, restn, 4, &pp) != 0 || pp_field(rest, restn, 22, &st) != 0 ||
        pp > UINT32_MAX)
        return -1;
    pp_copy(comm, PROC_COMM_LEN, open + 1, (size_t)(close - open - 1));
    *ppid = (uint32_t)pp;
    *start_ticks = st;
    return 0;
}

void proc_cmdline_clean(const uint8_t *raw, size_t len, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < outlen; i++) {
        uint8_t c = raw[i];
        out[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

size_t proc_cmdline_args(const uint8_t *raw, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len && n < cap; i++) {
        uint8_t c = raw[i];
        if (c == 0 && (n == 0 || out[n - 1] == '\0'))
            continue;                  /* no empty separators */
        out[n++] = c == 0 ? '\0' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    while (n > 0 && out[n - 1] == '\0')
        n--;
    return n;
}

/* ---- AI tooling verdict ---------------------------------------------- */

static const char *const pp_ai_modules[] = {
    "litellm", "openai", "anthropic", "langchain", "vllm", "transformers",
    "jupyter", "ray", "mlflow",
};
static const char *const pp_ai_exes[] = {"ollama", "jupyter", "ray", "mlflow"};

static bool pp_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool pp_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* word occurs in s preceded by a non-alnum and followed by a non-letter. */
static bool pp_has_word(const char *s, const char *word)
{
    size_t wn = strlen(word);
    for (const char *h = strstr(s, word); h; h = strstr(h + 1, word)) {
        bool left = h == s || !pp_alnum(h[-1]);
        if (left && !pp_alpha(h[wn]))
            return true;
    }
    return false;
}

static const char *pp_base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static void pp_evidence(char *ev, size_t evlen, const char *kind, const char *what)
{
    if (evlen == 0)
        return;
    size_t k = strlen(kind), w = strlen(what);
    if (k + 1 + w >= evlen)
        w = evlen > k + 2 ? evlen - k - 2 : 0;
    if (k + 1 >= evlen) {
        ev[0] = '\0';
        return;
    }
    memcpy(ev, kind, k);
    ev[k] = ':';
    memcpy(ev + k + 1, what, w);
    ev[k + 1 + w] = '\0';
}

/* Executable name equal to e, or e followed by '-' (jupyter-lab). */
static bool pp_exe_is(const char *name, const char *e)
{
    size_t n = strlen(e);
    return strncmp(name, e, n) == 0 && (name[n] == '\0' || name[n] == '-');
}

bool proc_ai_verdict(const char *comm, const char *exe, const char *cmdline,
                     char *evidence, size_t evlen)
{
    const char *base = pp_base(exe);
    for (size_t i = 0; i < XM_ARRAY_LEN(pp_ai_exes); i++) {
        if (base[0] && pp_exe_is(base, pp_ai_exes[i])) {
            pp_evidence(evidence, evlen, "exe", pp_ai_exes[i]);
            return true;
        }
        if (pp_exe_is(comm, pp_ai_exes[i])) {
            pp_evidence(evidence, evlen, "comm", pp_ai_exes[i]);
            return true;
        }
    }
    if (strncmp(base, "python", 6) != 0 && strncmp(comm, "python", 6) != 0)
        return false;
    for (size_t i = 0; i < XM_ARRAY_LEN(pp_ai_modules); i++)
        if (pp_has_word(cmdline, pp_ai_modules[i])) {
            pp_evidence(evidence, evlen, "cmdline", pp_ai_modules[i]);
            return true;
        }
    return false;
}

/* ---- netlink --------------------------------------------------------- */

/* Host-order u32 (netlink is host order). */
static bool pp_h32(struct xm_rd *r, uint32_t *v)
{
    return xm_rd_copy(r, v, sizeof *v);
}

static bool pp_h16(struct xm_rd *r, uint16_t *v)
{
    return xm_rd_copy(r, v, sizeof *v);
}

struct pp_nlhdr {
    uint32_t len;
    uint16_t type, flags;
    uint32_t seq, pid;
};

static bool pp_nlhdr(struct xm_rd *r, struct pp_nlhdr *h)
{
    return pp_h32(r, &h->len) && pp_h16(r, &h->type) && pp_h16(r, &h->flags) &&
           pp_h32(r, &h->seq) && pp_h32(r, &h->pid);
}

/* struct proc_event after cn_msg: what, cpu, timestamp_ns, union. */
static int pp_cn_event(struct xm_rd *r, struct proc_cn_event *ev)
{
    uint32_t cpu, w[4] = {0};
    uint64_t ts;
    memset(ev, 0, sizeof *ev);
    if (!pp_h32(r, &ev->what) || !pp_h32(r, &cpu) || !xm_rd_copy(r, &ts, 8))
        return -1;
    switch (ev->what) {
    case PROC_EVENT_FORK:
        if (!xm_rd_copy(r, w, 16))
            return -1;
        ev->ppid = w[1];
        ev->pid = w[2];
        ev->tgid = w[3];
        return 0;
    case PROC_EVENT_NONE:
        return pp_h32(r, &ev->ack_err) ? 0 : -1;
    case PROC_EVENT_EXEC:
    case PROC_EVENT_EXIT:
    case PROC_EVENT_COMM:
        if (!xm_rd_copy(r, w, 8))
            return -1;
        ev->pid = w[0];
        ev->tgid = w[1];
        if (ev->what == PROC_EVENT_COMM && !xm_rd_copy(r, ev->comm, PROC_COMM_LEN - 1))
            return -1;
        return 0;
    default:
        return 0;                  /* other events: counted, ignored */
    }
}

/* One nlmsg carrying struct cn_msg + struct proc_event. */
static int pp_cn_msg(struct xm_rd *m, struct proc_cn_event *ev)
{
    uint32_t idx, val, seq, ack;
    uint16_t dlen, flags;
    if (!pp_h32(m, &idx) || !pp_h32(m, &val) || !pp_h32(m, &seq) || !pp_h32(m, &ack) ||
        !pp_h16(m, &dlen) || !pp_h16(m, &flags))
        return -1;
    if (idx != CN_IDX_PROC || val != CN_VAL_PROC)
        return 1;                  /* not ours: skip */
    struct xm_rd d;
    if (!xm_rd_sub(m, dlen, &d))
        return -1;
    return pp_cn_event(&d, ev);
}

int proc_cn_decode(const uint8_t *buf, size_t len, struct proc_cn_event *ev, int max)
{
    struct xm_rd r;
    int n = 0;
    xm_rd_init(&r, buf, len);
    while (xm_rd_left(&r) >= NLMSG_HDRLEN && n < max) {
        struct xm_rd m;
        struct pp_nlhdr h;
        size_t start = r.off;
        if (!pp_nlhdr(&r, &h) || h.len < NLMSG_HDRLEN || h.len - NLMSG_HDRLEN > xm_rd_left(&r))
            return -1;
        xm_rd_sub(&r, h.len - NLMSG_HDRLEN, &m);
        if (h.type == NLMSG_DONE) {    /* the connector sends NLMSG_DONE */
            int rc = pp_cn_msg(&m, &ev[n]);
            if (rc < 0)
                return -1;
            if (rc == 0)
                n++;
        }
        size_t aligned = start + NLMSG_ALIGN(h.len);
        r.off = aligned < r.len ? aligned : r.len;
    }
    return n;
}

/* struct inet_diag_msg. */
static int pp_diag_msg(struct xm_rd *m, struct proc_diag_sock *o)
{
    uint8_t timer, retrans;
    uint32_t ifx, cookie[2], exp, rq, wq;
    if (!xm_rd_u8(m, &o->family) || !xm_rd_u8(m, &o->state) || !xm_rd_u8(m, &timer) ||
        !xm_rd_u8(m, &retrans) || !xm_rd_be16(m, &o->sport) || !xm_rd_be16(m, &o->dport) ||
        !xm_rd_copy(m, o->src, 16) || !xm_rd_copy(m, o->dst, 16) || !pp_h32(m, &ifx) ||
        !xm_rd_copy(m, cookie, 8) || !pp_h32(m, &exp) || !pp_h32(m, &rq) ||
        !pp_h32(m, &wq) || !pp_h32(m, &o->uid) || !pp_h32(m, &o->inode))
        return -1;
    return 1;
}

int proc_diag_decode(const uint8_t *buf, size_t len, struct proc_diag_sock *out)
{
    struct xm_rd r, m;
    struct pp_nlhdr h;
    memset(out, 0, sizeof *out);
    xm_rd_init(&r, buf, len);
    if (!pp_nlhdr(&r, &h) || h.len < NLMSG_HDRLEN || h.len > len)
        return -1;
    xm_rd_sub(&r, h.len - NLMSG_HDRLEN, &m);
    out->seq = h.seq;
    if (h.type == NLMSG_ERROR) {
        uint32_t err = 0;
        if (!pp_h32(&m, &err))
            return -1;
        return (int32_t)err == -ENOENT ? 0 : -1;
    }
    if (h.type != SOCK_DIAG_BY_FAMILY)
        return -1;
    return pp_diag_msg(&m, out);
}
