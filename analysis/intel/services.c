/*
 * services.c - service-category and inbound AI-port rule fields.
 * Contract in include/xm_services.h.
 */
#include "xm_services.h"

const struct lists_entry *services_match(const struct services_ctx *c, const char *name,
                                         const char **kind)
{
    for (unsigned i = 0; name && i < c->n; i++) {
        const struct lists_entry *e = lists_match_domain(c->lists[i], name);
        if (e) {
            *kind = c->kind[i];
            return e;
        }
    }
    return NULL;
}

enum { SV_F_SERVICE = 0, SV_F_LABEL, SV_F_INBOUND, SV_F_AI_PORT, SV_F_AI_TOOL, SV_F_MAX };

struct sv_farg {
    const struct services_ctx *c;
    int id;
};

static int sv_str(const char *s, union rules_value *out)
{
    if (!s || !*s)
        return 1;
    out->str.s = s;
    out->str.len = strlen(s);
    return 0;
}

static int sv_get_service(const struct services_ctx *c, const struct xm_flow *f, int id,
                          union rules_value *out)
{
    struct app_name n;
    const char *kind = "none";
    if (!c->app)
        return 1;
    app_flow_name(c->app, f, &n);
    if (!n.name)
        return 1;
    const struct lists_entry *e = services_match(c, n.name, &kind);
    if (id == SV_F_SERVICE)
        return sv_str(kind, out);
    return sv_str(e ? e->label : NULL, out);
}

/* The AI-ports entry of the local server port, or NULL. */
static const struct lists_entry *sv_ai_port(const struct services_ctx *c,
                                            const struct xm_flow *f)
{
    if (!c->ai_ports || !(f->local & FLOW_LOCAL_SERVER))
        return NULL;
    return lists_match_port(c->ai_ports, f->srv_port);
}

static int sv_field_get(const struct rules_eval_ctx *ctx, const void *arg,
                        union rules_value *out)
{
    const struct sv_farg *a = ((const struct rules_fref *)arg)->user;
    const struct xm_flow *f = ctx->flow;
    if (!f)
        return 1;
    switch (a->id) {
    case SV_F_INBOUND:
        out->b = f->local == FLOW_LOCAL_SERVER;
        return 0;
    case SV_F_AI_PORT:
        out->b = sv_ai_port(a->c, f) != NULL;
        return 0;
    case SV_F_AI_TOOL: {
        const struct lists_entry *e = sv_ai_port(a->c, f);
        return sv_str(e ? e->label : NULL, out);
    }
    default:
        return sv_get_service(a->c, f, a->id, out);
    }
}

int services_register_fields(struct rules_registry *reg, struct services_ctx *c)
{
    static struct sv_farg args[SV_F_MAX];
    static const struct { const char *name; enum rules_type type; } defs[SV_F_MAX] = {
        {"dst.service", RULES_T_STRING},
        {"dst.service_label", RULES_T_STRING},
        {"flow.inbound", RULES_T_BOOL},
        {"host.ai_port", RULES_T_BOOL},
        {"host.ai_port_tool", RULES_T_STRING},
    };
    int n = 0;
    for (int i = 0; i < SV_F_MAX; i++) {
        args[i] = (struct sv_farg){c, i};
        struct rules_field def = {defs[i].name, defs[i].type,
                                  RULES_SCOPE_BIT(RULES_SCOPE_FLOW), false, sv_field_get,
                                  &args[i], 0};
        int added = rules_field_add(reg, &def);
        if (added < 0)
            return -1;
        n += added;
    }
    return n;
}
