/*
 * fuzz_proc.c - the parsers of process attribution (analysis/proc*.c).
 * The first input byte selects the parser (mod 6), the rest is its input:
 *   0 /proc/<pid>/cgroup   1 /proc/<pid>/stat   2 cmdline + AI verdict
 *   3 connector datagram   4 sock_diag reply    5 ledger (JSON lines)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t sel = data[0] % 6;
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
    else
        fz_ledger(d, n);
    return 0;
}
