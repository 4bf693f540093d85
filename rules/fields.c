/*
 * fields.c - the typed field registry and the built-in fields.
 *
 * The registry is a growable array searched linearly at compile time
 * only (fields are resolved once; evaluation holds field pointers).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

struct rules_registry {
    struct rules_field *f;
    size_t n, cap;
};

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

const uint32_t rwin_res_s[RWIN_NRES] = {1, 10, 60, 300, 3600};

int rwin_pick(uint32_t w)
{
    if (w < RWIN_MIN_S || w > RWIN_MAX_S)
        return -1;
    for (int r = RWIN_NRES - 1; r >= 0; r--)
        if (w % rwin_res_s[r] == 0 && w / rwin_res_s[r] >= RWIN_MIN_BUCKETS &&
            w / rwin_res_s[r] < RWIN_MAX_BUCKETS)
            return r;
    for (int r = 0; r < RWIN_NRES; r++)
        if (w % rwin_res_s[r] == 0 && w / rwin_res_s[r] < RWIN_MAX_BUCKETS)
            return r;
    return -1;
}

int rules_field_add(struct rules_registry *reg, const struct rules_field *def)
{
    if (def->name && rules_field_find(reg, def->name))
        return 0;
    return rules_field_register(reg, def) == 0 ? 1 : -1;
}
