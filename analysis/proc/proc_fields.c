/*
 * proc_fields.c - rule fields describing the process that owns a flow's
 * local end (proc_fields in include/xm_proc.h).
 *
 * The process is the flow's (f->proc_id) for FLOW and other flow-triggered
 * evaluations, or the key's for PROCESS scope.  A getter returns 1 ("not
 * available": the comparison is false) when no process is known, so rules
 * on a gateway, where nothing is attributed, stay quiet rather than wrong.
 */
#include "xm_proc.h"
#include "xm_field.h"

enum proc_field_id {
    PF_NAME, PF_EXE, PF_CMDLINE, PF_USER, PF_CONTAINER, PF_RUNTIME, PF_AI,
    PF_AGE, PF_PID, PF_ATTRIBUTION, PF_MAX
};

#define proc_fstr xm_field_str

static uint32_t proc_field_pid_of(const struct xm_field_ctx *ctx)
{
    if (ctx->flow)
        return ctx->flow->proc_id;
    if (ctx->scope == XM_FS_PROCESS && ctx->local)
        return (uint32_t)ctx->key_id;
    return 0;
}

static int proc_field_value(const struct proc_info *pi, enum proc_field_id id, xm_time_t now,
                            union xm_field_value *out)
{
    xm_time_t born = pi->start ? pi->start : pi->first_seen;
    switch (id) {
    case PF_NAME: return proc_fstr(pi->comm, out);
    case PF_EXE: return proc_fstr(pi->exe, out);
    case PF_CMDLINE: return proc_fstr(pi->cmdline, out);
    case PF_USER: return proc_fstr(pi->user, out);
    case PF_CONTAINER: return proc_fstr(pi->container.id, out);
    case PF_RUNTIME: return proc_fstr(pi->container.runtime, out);
    case PF_AI: out->b = pi->ai; return 0;
    case PF_PID: out->num = pi->pid; return 0;
    case PF_AGE:
        if (!born || now < born)
            return 1;
        out->num = (double)(now - born) / 1e6;
        return 0;
    default: return 1;
    }
}

static int proc_field_get(const void *owner, int fid, const struct xm_field_ctx *ctx,
                          union xm_field_value *out)
{
    const struct proc *proc = owner;
    if (!proc)
        return 1;
    if (fid == PF_ATTRIBUTION)
        return ctx->flow ? proc_fstr(proc_attr_name(ctx->flow->attribution), out) : 1;
    uint32_t id = proc_field_pid_of(ctx);
    const struct proc_info *pi = id ? proc_get(proc, id) : NULL;
    return pi ? proc_field_value(pi, (enum proc_field_id)fid, ctx->now, out) : 1;
}

#define PF_FP (XM_FS_BIT(XM_FS_FLOW) | XM_FS_BIT(XM_FS_PROCESS))

static const struct xm_field_desc proc_field_defs[] = {
    {"process.name", XM_FT_STRING, PF_FP, PF_NAME, proc_field_get},
    {"process.exe", XM_FT_STRING, PF_FP, PF_EXE, proc_field_get},
    {"process.cmdline", XM_FT_STRING, PF_FP, PF_CMDLINE, proc_field_get},
    {"process.user", XM_FT_STRING, PF_FP, PF_USER, proc_field_get},
    {"process.container", XM_FT_STRING, PF_FP, PF_CONTAINER, proc_field_get},
    {"process.runtime", XM_FT_STRING, PF_FP, PF_RUNTIME, proc_field_get},
    {"process.ai", XM_FT_BOOL, PF_FP, PF_AI, proc_field_get},
    {"process.age", XM_FT_DURATION, PF_FP, PF_AGE, proc_field_get},
    {"process.pid", XM_FT_NUM, PF_FP, PF_PID, proc_field_get},
    {"process.attribution", XM_FT_STRING, XM_FS_BIT(XM_FS_FLOW), PF_ATTRIBUTION,
     proc_field_get},
};

const struct xm_field_list proc_fields = XM_FIELD_LIST(proc_field_defs);
