/*
 * attribute.c - the attribution entry point (proc_attribute: the ledger in
 * replay, the live sources otherwise) and the life cycle of struct proc
 * (see xm_proc.h; internals in proc_int.h).  It calls down into the table
 * (proc.c), the ledger (proc_ledger.c) and the live sources
 * (proc_live.c), none of which calls back.
 */
#include "proc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Epoch usec at boot: realtime minus boottime (both read now). */
static xm_time_t proc_boot_us(void)
{
    struct timespec rt, bt;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_BOOTTIME, &bt);
    return ((xm_time_t)rt.tv_sec - bt.tv_sec) * XM_USEC_PER_SEC +
           (rt.tv_nsec - bt.tv_nsec) / 1000;
}

struct proc *proc_new(const struct proc_limits *l)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (l)
        p->lim = *l;
    else
        proc_limits_default(&p->lim);
    if (p->lim.max_procs == 0)
        p->lim.max_procs = 1;
    if (p->lim.max_inodes == 0)
        p->lim.max_inodes = 1;
    p->seed = xm_hash_random_seed();
    p->diag_fd = p->cn_fd = -1;
    p->last_refresh_ms = -1;
    p->next_id = 1;
    p->boot_us = proc_boot_us();
    p->clk_tck = sysconf(_SC_CLK_TCK);
    if (p->clk_tck <= 0)
        p->clk_tck = 100;
    if (proc_tab_alloc(p) != 0) {
        proc_free(p);
        return NULL;
    }
    return p;
}

void proc_free(struct proc *p)
{
    if (!p)
        return;
    if (p->diag_fd >= 0)
        close(p->diag_fd);
    if (p->cn_fd >= 0)
        close(p->cn_fd);
    if (p->ledger_out)
        fclose(p->ledger_out);
    proc_bpf_free(p);
    proc_ledger_free(p);
    proc_hash_free(p->hash);
    proc_tab_release(p);
    free(p);
}

/* ---- attribution ----------------------------------------------------- */

/* First attribution of a live process: its executable's hash is looked
 * up or queued for the worker (xm_proc_hash.h), never computed here. */
static void proc_exe_hash(struct proc *p, uint32_t id)
{
    struct proc_info *pi = proc_tab_by_id(p, id);
    if (!p->hash || !pi || pi->has_sha256 || pi->exe_key.ino || pi->exited)
        return;
    pi->has_sha256 = proc_hash_request(p->hash, pi->pid, &pi->exe_key, pi->sha256);
}

uint32_t proc_attribute(struct proc *p, const struct xm_flow *f, uint8_t *confidence)
{
    uint8_t conf = PROC_ATTR_NONE;
    uint32_t id = 0;
    if (!p->replay && p->diag_fd < 0 && !p->bpf) {
        *confidence = PROC_ATTR_NONE;
        return 0;                      /* gateway / replay without ledger */
    }
    p->st.lookups++;
    if (p->replay)
        id = proc_ledger_match(p, f, &conf);
    else if (p->bpf)
        id = proc_bpf_attribute(p, f, &conf);  /* ledger: at flow end */
    else
        id = proc_live_attribute(p, f, &conf);
    if (id == 0)
        conf = PROC_ATTR_NONE;
    p->st.hits[conf]++;
    if (id) {
        proc_tab_touch(p, id);
        proc_exe_hash(p, id);
        if (p->ledger_out && !p->replay && !p->bpf)
            proc_ledger_write(p, f, id, conf, NULL);
    }
    *confidence = conf;
    return id;
}

/* ---- sources: events, metrics ------------------------------------------ */

int proc_connector_fd(const struct proc *p)
{
    return p->bpf ? proc_bpf_fd(p) : proc_live_cn_fd(p);
}

int proc_on_connector_readable(struct proc *p)
{
    return p->bpf ? proc_bpf_poll(p) : proc_live_cn_readable(p);
}

const char *proc_source_name(const struct proc *p)
{
    static char buf[48];
    if (!p)
        return "none";
    if (p->replay)
        return "ledger";
    if (p->bpf) {
        snprintf(buf, sizeof buf, "ebpf (%s)", proc_bpf_mode(p));
        return buf;
    }
    return p->diag_fd >= 0 ? "sock_diag" : "none";
}

void proc_write_metrics(const struct proc *p, FILE *f)
{
    proc_stats_write(p, f);
    fprintf(f, "# HELP exfilmon_proc_source_info Active attribution source (1).\n"
               "# TYPE exfilmon_proc_source_info gauge\n"
               "exfilmon_proc_source_info{source=\"%s\"} 1\n", proc_source_name(p));
    proc_bpf_write_metrics(p, f);
}
