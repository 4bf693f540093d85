/*
 * proc_fields.c - rule fields describing the process that owns a flow's
 * local end (see proc_register_fields in include/xm_proc.h).
 *
 * The process is the flow's (f->proc_id) for FLOW and other flow-triggered
 * evaluations, or the key's for PROCESS scope.  A getter returns 1 ("not
 * available": the comparison is false) when no process is known, so rules
 * on a gateway, where nothing is attributed, stay quiet rather than wrong.
 */
#include "xm_proc.h"
#include "xm_rules.h"

enum proc_field_id {
    PF_NAME, PF_EXE, PF_CMDLINE, PF_USER, PF_CONTAINER, PF_RUNTIME, PF_AI,
    PF_AGE, PF_PID, PF_ATTRIBUTION, PF_MAX
};

struct proc_field_arg {
    const struct proc *proc;
    enum proc_field_id id;
};
static struct proc_field_arg proc_field_args[PF_MAX];

static int proc_fstr(const char *s, union rules_value *out)
{
    if (!s || !*s)
        return 1;
    out->str.s = s;
    out->str.len = strlen(s);
    return 0;
}

static uint32_t proc_field_pid_of(const struct rules_eval_ctx *ctx)
{
    if (ctx->flow)
        return ctx->flow->proc_id;
    if (ctx->scope == RULES_SCOPE_PROCESS && ctx->key)
        return (uint32_t)ctx->key->id;
    return 0;
}

static int proc_field_value(const struct proc_info *pi, enum proc_field_id id, xm_time_t now,
                            union rules_value *out)
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

static int proc_field_get(const struct rules_eval_ctx *ctx, const void *arg,
                          union rules_value *out)
{
    const struct proc_field_arg *a = ((const struct rules_fref *)arg)->user;
    if (!a->proc)
        return 1;
    if (a->id == PF_ATTRIBUTION)
        return ctx->flow ? proc_fstr(proc_attr_name(ctx->flow->attribution), out) : 1;
    uint32_t id = proc_field_pid_of(ctx);
    const struct proc_info *pi = id ? proc_get(a->proc, id) : NULL;
    return pi ? proc_field_value(pi, a->id, ctx->now, out) : 1;
}

static const struct { const char *name; enum rules_type type; enum proc_field_id id; }
proc_field_defs[] = {
    {"process.name", RULES_T_STRING, PF_NAME},
    {"process.exe", RULES_T_STRING, PF_EXE},
    {"process.cmdline", RULES_T_STRING, PF_CMDLINE},
    {"process.user", RULES_T_STRING, PF_USER},
    {"process.container", RULES_T_STRING, PF_CONTAINER},
    {"process.runtime", RULES_T_STRING, PF_RUNTIME},
    {"process.ai", RULES_T_BOOL, PF_AI},
    {"process.age", RULES_T_DURATION, PF_AGE},
    {"process.pid", RULES_T_NUM, PF_PID},
    {"process.attribution", RULES_T_STRING, PF_ATTRIBUTION},
};

int proc_register_fields(struct rules_registry *reg, const struct proc *p)
{
    unsigned scopes = RULES_SCOPE_BIT(RULES_SCOPE_FLOW) | RULES_SCOPE_BIT(RULES_SCOPE_PROCESS);
    int n = 0;
    for (size_t i = 0; i < XM_ARRAY_LEN(proc_field_defs); i++) {
        struct proc_field_arg *a = &proc_field_args[proc_field_defs[i].id];
        a->proc = p;
        a->id = proc_field_defs[i].id;
        struct rules_field def = {
            .name = proc_field_defs[i].name, .type = proc_field_defs[i].type,
            .scopes = proc_field_defs[i].id == PF_ATTRIBUTION
                          ? RULES_SCOPE_BIT(RULES_SCOPE_FLOW) : scopes,
            .get = proc_field_get, .arg = a,
        };
        int added = rules_field_add(reg, &def);
        if (added < 0)
            return -1;
        n += added;
    }
    return n;
}
