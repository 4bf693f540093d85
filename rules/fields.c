/*
 * fields.c - the typed field registry and the built-in fields.
 *
 * The registry is a growable array searched linearly at compile time
 * only (fields are resolved once; evaluation holds field pointers).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

/* One field of a provider's list: what rfield_get needs to call it. */
struct rfield_adapter {
    const struct xm_field_desc *d;
    const void *owner;
    unsigned flags;               /* the list's XM_FF_* for d */
};

struct rules_registry {
    struct rules_field *f;
    size_t n, cap;
    struct rfield_adapter **ad;   /* one array per rules_fields_add() */
    size_t n_ad;
};

_Static_assert((int)XM_FT_ADDR == (int)RULES_T_ADDR && (int)XM_FT_STRING == (int)RULES_T_STRING &&
                   (int)XM_FT_BOOL == (int)RULES_T_BOOL && (int)XM_FT_BYTES == (int)RULES_T_BYTES,
               "xm_field_type mirrors rules_type");
_Static_assert((int)XM_FS_PROCESS == (int)RULES_SCOPE_PROCESS &&
                   (int)XM_FS_HOSTDST == (int)RULES_SCOPE_HOSTDST,
               "xm_field_scope mirrors rules_scope");
_Static_assert(sizeof(union xm_field_value) == sizeof(union rules_value),
               "xm_field_value mirrors rules_value");

#define S_FLOW RULES_SCOPE_BIT(RULES_SCOPE_FLOW)
#define S_HOST RULES_SCOPE_BIT(RULES_SCOPE_HOST)
#define S_PAIR RULES_SCOPE_BIT(RULES_SCOPE_HOSTDST)
#define S_SITE RULES_SCOPE_BIT(RULES_SCOPE_SITE)
#define S_PROC RULES_SCOPE_BIT(RULES_SCOPE_PROCESS)
#define S_KEYED (S_HOST | S_PAIR | S_SITE | S_PROC)

static const struct rules_field reg_builtin[] = {
    {"bytes_out", RULES_T_BYTES, S_KEYED, true, reng_get, NULL, RM_BYTES_OUT},
    {"bytes_in", RULES_T_BYTES, S_KEYED, true, reng_get, NULL, RM_BYTES_IN},
    {"pkts_out", RULES_T_NUM, S_KEYED, true, reng_get, NULL, RM_PKTS_OUT},
    {"pkts_in", RULES_T_NUM, S_KEYED, true, reng_get, NULL, RM_PKTS_IN},
    {"flows", RULES_T_NUM, S_KEYED, true, reng_get, NULL, RM_FLOWS},
    {"rate_out", RULES_T_RATE, S_KEYED, true, reng_get, NULL, RM_RATE_OUT},
    {"rate_in", RULES_T_RATE, S_KEYED, true, reng_get, NULL, RM_RATE_IN},
    {"rate_out_min", RULES_T_RATE, S_KEYED, true, reng_get, NULL, RM_RATE_OUT_MIN},
    {"ratio", RULES_T_NUM, S_KEYED, true, reng_get, NULL, RM_RATIO},
    {"dst_count", RULES_T_NUM, S_HOST | S_SITE | S_PROC, true, reng_get, NULL, RM_DST_COUNT},
    {"flow.bytes_out", RULES_T_BYTES, S_FLOW, false, reng_get, NULL, RM_FLOW_BYTES_OUT},
    {"flow.bytes_in", RULES_T_BYTES, S_FLOW, false, reng_get, NULL, RM_FLOW_BYTES_IN},
    {"flow.pkts_out", RULES_T_NUM, S_FLOW, false, reng_get, NULL, RM_FLOW_PKTS_OUT},
    {"flow.pkts_in", RULES_T_NUM, S_FLOW, false, reng_get, NULL, RM_FLOW_PKTS_IN},
    {"flow.age", RULES_T_DURATION, S_FLOW, false, reng_get, NULL, RM_FLOW_AGE},
    {"flow.rate_out", RULES_T_RATE, S_FLOW, false, reng_get, NULL, RM_FLOW_RATE_OUT},
    {"flow.ratio", RULES_T_NUM, S_FLOW, false, reng_get, NULL, RM_FLOW_RATIO},
    {"flow.proto", RULES_T_NUM, S_FLOW, false, reng_get, NULL, RM_FLOW_PROTO},
    {"dst.port", RULES_T_NUM, S_FLOW, false, reng_get, NULL, RM_FLOW_DST_PORT},
    {"host.port", RULES_T_NUM, S_FLOW, false, reng_get, NULL, RM_FLOW_SRC_PORT},
    {"host.ip", RULES_T_ADDR, S_FLOW | S_HOST | S_PAIR, false, reng_get, NULL, RM_HOST_IP},
    {"dst.ip", RULES_T_ADDR, S_FLOW | S_PAIR, false, reng_get, NULL, RM_DST_IP},
    {"dst.home", RULES_T_BOOL, S_FLOW | S_PAIR, false, reng_get, NULL, RM_DST_HOME},
    {"dst.first_seen_age", RULES_T_DURATION, S_FLOW | S_PAIR, false, reng_get, NULL,
     RM_DST_FIRST_SEEN_AGE},
    {"dst.first_seen_site_age", RULES_T_DURATION, S_FLOW | S_PAIR, false, reng_get, NULL,
     RM_DST_FIRST_SEEN_SITE_AGE},
    {"dst.prevalence", RULES_T_NUM, S_FLOW | S_PAIR, false, reng_get, NULL, RM_DST_PREVALENCE},
    {"site.age", RULES_T_DURATION, S_FLOW | S_KEYED, false, reng_get, NULL, RM_SITE_AGE},
    {"baseline.bytes_out_1h_z", RULES_T_NUM, S_HOST | S_SITE | S_PROC, false, reng_get, NULL,
     RM_BL_1H_Z},
    {"baseline.bytes_out_1h_mult", RULES_T_NUM, S_HOST | S_SITE | S_PROC, false, reng_get, NULL,
     RM_BL_1H_MULT},
    {"baseline.bytes_out_1d_z", RULES_T_NUM, S_HOST | S_SITE | S_PROC, false, reng_get, NULL,
     RM_BL_1D_Z},
    {"baseline.bytes_out_1d_mult", RULES_T_NUM, S_HOST | S_SITE | S_PROC, false, reng_get, NULL,
     RM_BL_1D_MULT},
};

struct rules_registry *rules_registry_new(void)
{
    struct rules_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    for (size_t i = 0; i < XM_ARRAY_LEN(reg_builtin); i++) {
        if (rules_field_register(reg, &reg_builtin[i]) != 0) {
            rules_registry_free(reg);
            return NULL;
        }
    }
    return reg;
}

void rules_registry_free(struct rules_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n_ad; i++)
        free(reg->ad[i]);
    free(reg->ad);
    free(reg->f);
    free(reg);
}

int rules_field_register(struct rules_registry *reg, const struct rules_field *def)
{
    if (!def->name || !def->get || rules_field_find(reg, def->name))
        return -1;
    if (reg->n == reg->cap) {
        size_t nc = reg->cap ? reg->cap * 2 : 64;
        struct rules_field *nf = realloc(reg->f, nc * sizeof *nf);
        if (!nf)
            return -1;
        reg->f = nf;
        reg->cap = nc;
    }
    reg->f[reg->n++] = *def;
    return 0;
}

const struct rules_field *rules_field_find(const struct rules_registry *reg,
                                           const char *name)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->f[i].name, name) == 0)
            return &reg->f[i];
    return NULL;
}

const char *rtype_name(enum rules_type t)
{
    static const char *const n[] = {"number", "bytes", "duration", "rate",
                                    "bool", "string", "address"};
    return (size_t)t < XM_ARRAY_LEN(n) ? n[t] : "?";
}

const char *rsev_name(int sev)
{
    static const char *const n[] = {"critical", "high", "medium", "low"};
    return sev >= 1 && sev <= 4 ? n[sev - 1] : "?";
}

const char *rules_scope_name(enum rules_scope s)
{
    static const char *const n[] = {"flow", "host", "host_destination", "site",
                                    "process"};
    return (size_t)s < XM_ARRAY_LEN(n) ? n[s] : "?";
}

void rdur_str(uint32_t s, char *buf, size_t len)
{
    if (s && s % 86400 == 0)
        snprintf(buf, len, "%ud", s / 86400);
    else if (s && s % 3600 == 0)
        snprintf(buf, len, "%uh", s / 3600);
    else if (s && s % 60 == 0)
        snprintf(buf, len, "%um", s / 60);
    else
        snprintf(buf, len, "%us", s);
}

int rules_field_add(struct rules_registry *reg, const struct rules_field *def)
{
    if (def->name && rules_field_find(reg, def->name))
        return 0;
    return rules_field_register(reg, def) == 0 ? 1 : -1;
}

/* The getter of every provider field: builds the neutral context and
 * calls the provider.  The value is copied both ways so a provider that
 * writes nothing leaves the caller's storage as it was. */
static int rfield_get(const struct rules_eval_ctx *ctx, const void *arg, union rules_value *out)
{
    const struct rfield_adapter *a = ((const struct rules_fref *)arg)->user;
    struct xm_field_ctx c = {
        .scope = (enum xm_field_scope)ctx->scope,
        .local = ctx->key ? &ctx->key->local : NULL,
        .key_id = ctx->key ? ctx->key->id : 0,
        .flow = ctx->flow,
        .now = ctx->now,
    };
    union xm_field_value v;
    memcpy(&v, out, sizeof v);
    int rc = a->d->get(a->owner, a->d->id, &c, &v);
    memcpy(out, &v, sizeof v);
    return rc;
}

bool rfield_in_list(const struct rules_field *f, const struct xm_field_list *l)
{
    if (f->get != rfield_get || !f->arg)
        return false;
    const struct xm_field_desc *d = ((const struct rfield_adapter *)f->arg)->d;
    for (size_t i = 0; i < l->n; i++)
        if (d == &l->f[i])
            return true;
    return false;
}

bool rfield_name_only(const struct rules_field *f)
{
    if (f->get != rfield_get || !f->arg || f->type != RULES_T_BOOL)
        return false;
    const struct rfield_adapter *a = f->arg;
    return (a->flags & XM_FF_NAME_ONLY) && a->d->scopes == XM_FS_BIT(XM_FS_FLOW);
}

static struct rfield_adapter *rfield_adapters(struct rules_registry *reg, size_t n)
{
    struct rfield_adapter **nad = realloc(reg->ad, (reg->n_ad + 1) * sizeof *nad);
    if (!nad)
        return NULL;
    reg->ad = nad;
    struct rfield_adapter *a = calloc(n ? n : 1, sizeof *a);
    if (a)
        reg->ad[reg->n_ad++] = a;
    return a;
}

int rules_fields_add(struct rules_registry *reg, const struct xm_field_list *list,
                     const void *owner)
{
    struct rfield_adapter *a = rfield_adapters(reg, list->n);
    int n = 0;
    if (!a)
        return -1;
    for (size_t i = 0; i < list->n; i++) {
        const struct xm_field_desc *d = &list->f[i];
        a[i] = (struct rfield_adapter){d, owner, list->flags ? list->flags[i] : 0};
        struct rules_field def = {
            .name = d->name, .type = (enum rules_type)d->type, .scopes = d->scopes,
            .windowed = false, .get = d->get ? rfield_get : NULL, .arg = &a[i], .metric = 0,
        };
        int added = rules_field_add(reg, &def);
        if (added < 0)
            return -1;
        n += added;
    }
    return n;
}
