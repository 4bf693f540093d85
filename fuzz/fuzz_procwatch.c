/*
 * fuzz_procwatch.c - analysis/proc/procwatch.c on untrusted process strings
 * and flows.  Input: comm, exe and cmdline separated by NUL bytes (each
 * cut to the size struct proc_info holds, as /proc or a ledger would give
 * them), then the rest as 8-byte flow records (4-byte IPv4 client, 1 byte
 * selecting the metadata server or not, 1 byte local flags, 2 bytes proc
 * id) fed to a tiny contact table (caps 3) to exercise eviction.
 */
#include <stdint.h>
#include <string.h>

#include "xm_procwatch.h"

/* Copies the next NUL-terminated piece of d into out (cut to len-1). */
static size_t fz_piece(const uint8_t *d, size_t n, char *out, size_t len)
{
    size_t i = 0;
    while (i < n && d[i])
        i++;
    size_t c = i < len - 1 ? i : len - 1;
    memcpy(out, d, c);
    out[c] = '\0';
    return i < n ? i + 1 : i;
}

static void fz_flows(const uint8_t *d, size_t n)
{
    struct procwatch_limits l = {.max_hosts = 3, .max_procs = 3};
    struct procwatch *w = procwatch_new(&l, 1);
    if (!w)
        return;
    for (size_t o = 0; o + 8 <= n; o += 8) {
        struct xm_flow f;
        memset(&f, 0, sizeof f);
        f.cli.family = f.srv.family = 4;
        memcpy(f.cli.b, d + o, 4);
        static const uint8_t md[4] = {169, 254, 169, 254};
        memcpy(f.srv.b, (d[o + 4] & 1) ? md : d + o, 4);
        f.local = d[o + 5] & 3;
        f.proc_id = (uint32_t)(d[o + 6] | (d[o + 7] << 8));
        f.first = (xm_time_t)o;
        procwatch_on_new_flow(w, &f);
        xm_time_t t;
        procwatch_host_contact(w, &f.cli, &t);
        procwatch_proc_contact(w, f.proc_id, &t);
    }
    procwatch_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char comm[PROC_COMM_LEN], exe[PROC_PATH_LEN], cmd[PROC_CMDLINE_LEN];
    size_t o = fz_piece(d, n, comm, sizeof comm);
    o += fz_piece(d + o, n - o, exe, sizeof exe);
    o += fz_piece(d + o, n - o, cmd, sizeof cmd);
    procwatch_is_interpreter(comm, exe);
    procwatch_is_cloud_agent(comm, exe, cmd);
    fz_flows(d + o, n - o);
    return 0;
}
