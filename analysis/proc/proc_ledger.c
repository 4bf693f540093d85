/*
 * proc_ledger.c - the socket-to-process ledger (format: docs/processes.md).
 *
 * Writing: one JSON line per attributed flow, live only, flushed per line
 * so a crash loses nothing already attributed.  This formats JSON once per
 * NEW flow (as the sock_diag syscall is), never per packet.
 *
 * Loading: lines of at most PROC_LEDGER_LINE_MAX bytes; at most
 * lim.max_ledger entries are kept (the rest are counted in ledger_dropped)
 * and at most lim.max_procs distinct processes (more is an error).  Every
 * error names FILE:LINE.  Matching is deterministic: it depends on the
 * ledger's order and the flows' packet times only, never on the seed.
 */
#include "proc_int.h"

#include <errno.h>
#include <stdlib.h>

#define PROC_LEDGER_LINE_MAX 16384

void proc_tuple_make(struct proc_tuple *t, uint8_t proto, const struct xm_addr *x,
                     uint16_t xp, const struct xm_addr *y, uint16_t yp)
{
    int c = xm_addr_cmp(x, y);
    bool swap = c > 0 || (c == 0 && xp > yp);
    memset(t, 0, sizeof *t);
    t->proto = proto;
    t->a = swap ? *y : *x;
    t->b = swap ? *x : *y;
    t->ap = swap ? yp : xp;
    t->bp = swap ? xp : yp;
}

static void pg_flow_tuple(struct proc_tuple *t, const struct xm_flow *f)
{
    proc_tuple_make(t, f->proto, &f->cli, f->cli_port, &f->srv, f->srv_port);
}

/* ---- writing --------------------------------------------------------- */

int proc_ledger_open_write(struct proc *p, const char *path)
{
    FILE *fp = fopen(path, "ae");
    if (!fp)
        return -1;
    if (p->ledger_out)
        fclose(p->ledger_out);
    p->ledger_out = fp;
    return 0;
}

static void pg_set_addr(json_t *o, const char *key, const struct xm_addr *a)
{
    char buf[64];
    json_object_set_new(o, key, json_string(xm_addr_str(a, buf, sizeof buf)));
}

void proc_ledger_write(struct proc *p, const struct xm_flow *f, uint32_t id, uint8_t conf,
                       const uint64_t *sock)
{
    const struct proc_info *pi = proc_tab_by_id(p, id);
    proc_sha256_refresh(p, proc_tab_by_id(p, id));
    json_t *o = json_object();
    char ts[40];
    if (!o || !pi) {
        p->st.ledger_write_errors++;
        json_decref(o);
        return;
    }
    json_object_set_new(o, "timestamp", json_string(xm_time_iso(f->first, ts, sizeof ts)));
    json_object_set_new(o, "ts_us", json_integer(f->first));
    json_object_set_new(o, "proto", json_integer(f->proto));
    pg_set_addr(o, "src_ip", &f->cli);
    json_object_set_new(o, "src_port", json_integer(f->cli_port));
    pg_set_addr(o, "dest_ip", &f->srv);
    json_object_set_new(o, "dest_port", json_integer(f->srv_port));
    json_object_set_new(o, "attribution", json_string(proc_attr_name(conf)));
    json_object_set_new(o, "process", proc_info_json(pi, true));
    if (sock) {
        json_object_set_new(o, "bytes_sent", json_integer((json_int_t)sock[0]));
        json_object_set_new(o, "bytes_recv", json_integer((json_int_t)sock[1]));
    }
    if (json_dumpf(o, p->ledger_out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', p->ledger_out) == EOF || fflush(p->ledger_out) != 0)
        p->st.ledger_write_errors++;
    else
        p->st.ledger_written++;
    json_decref(o);
}

/* ---- parsing one line ------------------------------------------------ */

struct pg_rec {
    struct proc_tuple key;
    xm_time_t ts;
    uint8_t conf;
    bool bytes_known;
    uint64_t sent, recv;
    struct proc_info pi;
};

static int pg_int(json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *v,
                  bool required, const char **why)
{
    json_t *j = json_object_get(o, k);
    if (!j) {
        *v = 0;
        if (required)
            *why = k;
        return required ? -1 : 0;
    }
    if (!json_is_integer(j) || json_integer_value(j) < lo || json_integer_value(j) > hi) {
        *why = k;
        return -1;
    }
    *v = json_integer_value(j);
    return 0;
}

static void pg_str(json_t *o, const char *k, char *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, k));
    snprintf(out, cap, "%s", s ? s : "");
}

/* "cmdline": an array of arguments (schema 2.0), or a string (ledgers
 * written before: its boundaries are lost, arguments split at spaces). */
static void pg_cmdline(json_t *c, struct proc_info *pi)
{
    char raw[PROC_ARGV_LEN];
    size_t n = 0;
    if (json_is_string(c)) {
        snprintf(pi->cmdline, sizeof pi->cmdline, "%s", json_string_value(c));
        for (const char *s = pi->cmdline; *s && n < sizeof raw; s++)
            raw[n++] = *s == ' ' ? '\0' : *s;
    }
    for (size_t i = 0; json_is_array(c) && i < json_array_size(c); i++) {
        const char *a = json_string_value(json_array_get(c, i));
        for (size_t k = 0; a && a[k] && n < sizeof raw; k++)
            raw[n++] = a[k];
        if (n < sizeof raw)
            raw[n++] = '\0';
    }
    pi->argv_len = (uint16_t)proc_cmdline_args((const uint8_t *)raw, n, pi->argv,
                                               sizeof pi->argv);
    if (json_is_array(c))
        proc_cmdline_clean((const uint8_t *)raw, n, pi->cmdline, sizeof pi->cmdline);
}

/* 64 hex digits -> 32 bytes; false for anything else. */
static bool pg_sha256(const char *s, uint8_t out[XM_SHA256_LEN])
{
    if (!s || strlen(s) != 2 * XM_SHA256_LEN)
        return false;
    for (size_t i = 0; i < 2 * XM_SHA256_LEN; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return false;
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
    }
    return true;
}

static int pg_conf(json_t *o, uint8_t *conf)
{
    const char *s = json_string_value(json_object_get(o, "attribution"));
    for (unsigned c = PROC_ATTR_EXACT; s && c < PROC_ATTR_MAX; c++)
        if (strcmp(s, proc_attr_name(c)) == 0) {
            *conf = (uint8_t)c;
            return 0;
        }
    return -1;
}

/* The eBPF source's optional fields (see proc_info_json). */
static int pg_bpf_fields(json_t *o, struct proc_info *pi, const char **why)
{
    static const char *const src[] = {"proc", "bpf+proc", "bpf"};
    const char *s = json_string_value(json_object_get(o, "source"));
    int64_t ns, cg;
    if (pg_int(o, "netns", 0, UINT32_MAX, &ns, false, why) ||
        pg_int(o, "cgroup_id", 0, INT64_MAX, &cg, false, why))
        return -1;
    pi->netns = (uint32_t)ns;
    pi->cgroup_id = (uint64_t)cg;
    pg_str(o, "cgroup", pi->cgroup, sizeof pi->cgroup);
    for (uint8_t i = 0; s && i < XM_ARRAY_LEN(src); i++)
        if (strcmp(s, src[i]) == 0)
            pi->source = i;
    return 0;
}

static int pg_process(json_t *o, struct proc_info *pi, const char **why)
{
    int64_t v[5];
    if (!json_is_object(o)) {
        *why = "process";
        return -1;
    }
    memset(pi, 0, sizeof *pi);
    if (pg_int(o, "pid", 1, UINT32_MAX, &v[0], true, why) || pg_int(o, "ppid", 0, UINT32_MAX, &v[1], false, why) ||
        pg_int(o, "uid", 0, UINT32_MAX, &v[2], false, why) ||
        pg_int(o, "start_us", 0, INT64_MAX, &v[3], false, why) ||
        pg_int(o, "first_seen_us", 0, INT64_MAX, &v[4], false, why))
        return -1;
    pi->pid = (uint32_t)v[0];
    pi->ppid = (uint32_t)v[1];
    pi->uid = (uint32_t)v[2];
    pi->uid_known = json_object_get(o, "uid") != NULL;
    pi->start = v[3];
    pi->first_seen = v[4];
    pi->exited = json_is_true(json_object_get(o, "exited"));
    pi->ai = json_is_true(json_object_get(o, "ai"));
    pg_str(o, "name", pi->comm, sizeof pi->comm);
    pg_str(o, "exe", pi->exe, sizeof pi->exe);
    pg_cmdline(json_object_get(o, "cmdline"), pi);
    pi->has_sha256 = pg_sha256(json_string_value(json_object_get(o, "sha256")), pi->sha256);
    pg_str(o, "user", pi->user, sizeof pi->user);
    pg_str(o, "ai_evidence", pi->ai_evidence, sizeof pi->ai_evidence);
    if (pg_bpf_fields(o, pi, why) != 0)
        return -1;
    json_t *c = json_object_get(o, "container");
    if (json_is_object(c)) {
        pg_str(c, "runtime", pi->container.runtime, sizeof pi->container.runtime);
        pg_str(c, "id", pi->container.id, sizeof pi->container.id);
        pg_str(c, "pod", pi->container.pod, sizeof pi->container.pod);
    }
    return 0;
}

static int pg_tuple(json_t *o, struct pg_rec *r, const char **why)
{
    struct xm_addr s, d;
    int64_t proto, sp, dp, ts;
    const char *ss = json_string_value(json_object_get(o, "src_ip"));
    const char *ds = json_string_value(json_object_get(o, "dest_ip"));
    if (pg_int(o, "ts_us", INT64_MIN, INT64_MAX, &ts, true, why) ||
        pg_int(o, "proto", 0, 255, &proto, true, why) ||
        pg_int(o, "src_port", 0, 65535, &sp, true, why) ||
        pg_int(o, "dest_port", 0, 65535, &dp, true, why))
        return -1;
    if (!ss || xm_addr_parse(ss, &s) != 0 || !ds || xm_addr_parse(ds, &d) != 0 ||
        s.family != d.family) {
        *why = "src_ip/dest_ip";
        return -1;
    }
    r->ts = ts;
    proc_tuple_make(&r->key, (uint8_t)proto, &s, (uint16_t)sp, &d, (uint16_t)dp);
    return 0;
}

static int pg_line(const char *line, size_t len, struct pg_rec *r, char *err, size_t errlen)
{
    json_error_t je;
    const char *why = NULL;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    int rc = -1;
    if (!json_is_object(o)) {
        snprintf(err, errlen, "invalid JSON: %s", o ? "not an object" : je.text);
        goto out;
    }
    if (pg_tuple(o, r, &why) != 0 || pg_process(json_object_get(o, "process"), &r->pi, &why) != 0) {
        snprintf(err, errlen, "missing or invalid \"%s\"", why ? why : "?");
        goto out;
    }
    int64_t sent, recv;
    if (pg_int(o, "bytes_sent", 0, INT64_MAX, &sent, false, &why) != 0 ||
        pg_int(o, "bytes_recv", 0, INT64_MAX, &recv, false, &why) != 0) {
        snprintf(err, errlen, "invalid \"%s\"", why);
        goto out;
    }
    r->bytes_known = json_object_get(o, "bytes_sent") != NULL;
    r->sent = (uint64_t)sent;
    r->recv = (uint64_t)recv;
    if (pg_conf(o, &r->conf) != 0) {
        snprintf(err, errlen, "invalid \"attribution\"");
        goto out;
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

/* ---- loading --------------------------------------------------------- */

static bool pg_same_proc(const struct proc_info *a, const struct proc_info *b)
{
    return a->pid == b->pid && a->start == b->start && strcmp(a->comm, b->comm) == 0 &&
           strcmp(a->exe, b->exe) == 0 && strcmp(a->cmdline, b->cmdline) == 0;
}

/* The table id for the record's process (deduplicated). 0 = table full. */
static uint32_t pg_proc_id(struct proc *p, const struct proc_info *src)
{
    struct proc_info *pi = proc_tab_by_pid(p, src->pid);
    if (pi && pg_same_proc(pi, src)) {
        if (!pi->has_sha256 && src->has_sha256) {   /* a later line knew the hash */
            pi->has_sha256 = true;
            memcpy(pi->sha256, src->sha256, sizeof pi->sha256);
        }
        return pi->id;
    }
    if (p->st.procs_active >= p->lim.max_procs)
        return 0;
    pi = proc_tab_add(p, src->pid, src->first_seen);
    uint32_t id = pi->id;
    *pi = *src;
    pi->id = id;
    return id;
}

static int pg_add_entry(struct proc *p, const struct pg_rec *r, uint32_t id)
{
    if (p->nledger >= p->lim.max_ledger) {
        p->st.ledger_dropped++;
        return 0;
    }
    if (p->nledger == p->ledger_cap) {
        uint32_t cap = p->ledger_cap ? p->ledger_cap * 2 : 256;
        struct proc_lentry *n = realloc(p->ledger, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        p->ledger = n;
        p->ledger_cap = cap;
    }
    struct proc_lentry *e = &p->ledger[p->nledger++];
    memset(e, 0, sizeof *e);
    e->key = r->key;
    e->ts = r->ts;
    e->proc_id = id;
    e->conf = r->conf;
    e->bytes_known = r->bytes_known;
    e->bytes_sent = r->sent;
    e->bytes_recv = r->recv;
    return 0;
}

static uint32_t pg_lbucket(const struct proc *p, const struct proc_tuple *t)
{
    return (uint32_t)xm_hash(t, sizeof *t, p->seed) & (p->nlbuckets - 1);
}

/* Chains keep ledger order (built back to front, prepending). */
static int pg_index(struct proc *p)
{
    uint32_t nb = 16;
    while (nb < p->nledger && nb < (1u << 30))
        nb <<= 1;
    free(p->lbucket);
    p->lbucket = calloc(nb, sizeof *p->lbucket);
    if (!p->lbucket)
        return -1;
    p->nlbuckets = nb;
    for (uint32_t i = p->nledger; i > 0; i--) {
        uint32_t b = pg_lbucket(p, &p->ledger[i - 1].key);
        p->ledger[i - 1].next = p->lbucket[b];
        p->lbucket[b] = i;
    }
    return 0;
}

static int pg_load_fp(struct proc *p, FILE *fp, const char *name, char *err, size_t errlen)
{
    char *line = NULL, why[200];
    size_t cap = 0;
    ssize_t n;
    int rc = -1;
    struct pg_rec r;
    for (unsigned long ln = 1; (n = getline(&line, &cap, fp)) >= 0; ln++) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        uint32_t id = 0;
        if (n > PROC_LEDGER_LINE_MAX)
            snprintf(why, sizeof why, "line longer than %d bytes", PROC_LEDGER_LINE_MAX);
        else if (pg_line(line, (size_t)n, &r, why, sizeof why) == 0 &&
                 (id = pg_proc_id(p, &r.pi)) == 0)
            snprintf(why, sizeof why, "more than %u processes", p->lim.max_procs);
        if (id == 0 || pg_add_entry(p, &r, id) != 0) {
            snprintf(err, errlen, "%s:%lu: %s", name, ln, id ? "out of memory" : why);
            goto out;
        }
    }
    rc = pg_index(p);
    if (rc != 0)
        snprintf(err, errlen, "%s: out of memory", name);
out:
    free(line);
    return rc;
}

int proc_ledger_load(struct proc *p, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "re");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    p->nledger = 0;
    int rc = pg_load_fp(p, fp, path, err, errlen);
    fclose(fp);
    if (rc == 0) {
        p->replay = true;
        p->st.ledger_loaded = p->nledger;
    }
    return rc;
}

int proc_ledger_load_buf(struct proc *p, const char *name, const char *buf, size_t len,
                         char *err, size_t errlen)
{
    FILE *fp = len ? fmemopen((void *)(uintptr_t)buf, len, "r") : NULL;
    if (!fp) {
        snprintf(err, errlen, "%s: empty", name);
        return -1;
    }
    p->nledger = 0;
    int rc = pg_load_fp(p, fp, name, err, errlen);
    fclose(fp);
    if (rc == 0) {
        p->replay = true;
        p->st.ledger_loaded = p->nledger;
    }
    return rc;
}

void proc_ledger_free(struct proc *p)
{
    free(p->ledger);
    free(p->lbucket);
    p->ledger = NULL;
    p->lbucket = NULL;
    p->nledger = p->ledger_cap = p->nlbuckets = 0;
}

/* ---- matching -------------------------------------------------------- */

/* The entry for f: same tuple, nearest in time, earlier line on ties. */
static const struct proc_lentry *pg_best(const struct proc *p, const struct xm_flow *f)
{
    struct proc_tuple t;
    const struct proc_lentry *best = NULL;
    xm_time_t best_dt = 0;
    if (!p->nlbuckets)
        return NULL;
    pg_flow_tuple(&t, f);
    for (uint32_t i = p->lbucket[pg_lbucket(p, &t)]; i; i = p->ledger[i - 1].next) {
        const struct proc_lentry *e = &p->ledger[i - 1];
        xm_time_t dt = e->ts > f->first ? e->ts - f->first : f->first - e->ts;
        if (memcmp(&e->key, &t, sizeof t) != 0 || dt > PROC_LEDGER_TOLERANCE_US)
            continue;
        if (!best || dt < best_dt) {
            best = e;
            best_dt = dt;
        }
    }
    return best;
}

uint32_t proc_ledger_match(struct proc *p, const struct xm_flow *f, uint8_t *conf)
{
    const struct proc_lentry *best = pg_best(p, f);
    if (!best)
        return 0;
    *conf = best->conf;
    return best->proc_id;
}

bool proc_ledger_bytes(struct proc *p, const struct xm_flow *f, uint64_t *sent, uint64_t *recv)
{
    const struct proc_lentry *e = pg_best(p, f);
    if (!e || !e->bytes_known || e->proc_id != f->proc_id)
        return false;
    *sent = e->bytes_sent;
    *recv = e->bytes_recv;
    return true;
}
