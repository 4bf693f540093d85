/*
 * fuzz_proc.c - the parsers of process attribution (analysis/proc*.c).
 * The first input byte selects the parser (mod 7), the rest is its input:
 *   0 /proc/<pid>/cgroup   1 /proc/<pid>/stat   2 cmdline + AI verdict
 *   3 connector datagram   4 sock_diag reply    5 ledger (JSON lines)
 *   6 eBPF ring records (the first two bytes: record size, little endian;
 *     the rest cut into records of that size), then a flow join
 */
#include <stdint.h>
#include <stdlib.h>

#include "xm_proc.h"

static void fz_text(uint8_t sel, const uint8_t *d, size_t n)
{
    struct proc_container c;
    char comm[PROC_COMM_LEN], cmd[PROC_CMDLINE_LEN], ev[PROC_EVIDENCE_LEN];
    uint32_t ppid;
    uint64_t ticks;
    if (sel == 0)
        proc_cgroup_parse((const char *)d, n, &c);
    else if (sel == 1)
        proc_stat_parse((const char *)d, n, comm, &ppid, &ticks);
    else {
        proc_cmdline_clean(d, n, cmd, sizeof cmd);
        proc_ai_verdict(cmd, cmd, cmd, ev, sizeof ev);
        proc_ai_verdict("python3", "/usr/bin/python3", cmd, ev, sizeof ev);
    }
}

static void fz_ledger(const uint8_t *d, size_t n)
{
    struct proc_limits l;
    char err[256];
    proc_limits_default(&l);
    l.max_procs = 64;
    l.max_inodes = 16;
    l.max_ledger = 256;
    struct proc *p = proc_new(&l);
    if (!p)
        return;
    if (proc_ledger_load_buf(p, "fuzz", (const char *)d, n, err, sizeof err) == 0) {
        struct xm_flow f;
        uint8_t conf;
        memset(&f, 0, sizeof f);
        f.proto = 6;
        json_t *o = json_object();
        uint32_t id = proc_attribute(p, &f, &conf);
        proc_eve_add(p, id ? id : 1, conf, o);
        json_decref(o);
    }
    proc_free(p);
}

static void fz_bpf(const uint8_t *d, size_t n)
{
    struct proc_limits l;
    proc_limits_default(&l);
    l.max_procs = 64;
    l.max_inodes = 16;
    struct proc *p = proc_new(&l);
    if (!p || n < 2) {
        proc_free(p);
        return;
    }
    size_t rec = (size_t)d[0] | (size_t)d[1] << 8;
    d += 2;
    n -= 2;
    for (size_t off = 0; rec > 0 && off + rec <= n; off += rec)
        proc_bpf_feed(p, d + off, rec);
    struct xm_flow f;
    uint8_t conf;
    memset(&f, 0, sizeof f);
    f.proto = 6;
    f.local = FLOW_LOCAL_CLIENT;
    f.proc_id = proc_attribute(p, &f, &conf);
    proc_flow_end(p, &f, true);
    json_t *o = json_object();
    proc_eve_add(p, f.proc_id, conf, o);
    proc_eve_add_socket(p, &f, o);
    json_decref(o);
    proc_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t sel = data[0] % 7;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    struct proc_cn_event ev[8];
    struct proc_diag_sock s;
    if (sel <= 2)
        fz_text(sel, d, n);
    else if (sel == 3)
        proc_cn_decode(d, n, ev, 8);
    else if (sel == 4)
        proc_diag_decode(d, n, &s);
    else if (sel == 5)
        fz_ledger(d, n);
    else
        fz_bpf(d, n);
    return 0;
}
