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

#define sv_str xm_field_str

static int sv_get_service(const struct services_ctx *c, const struct xm_flow *f, int id,
                          union xm_field_value *out)
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

static int sv_field_get(const void *owner, int id, const struct xm_field_ctx *ctx,
                        union xm_field_value *out)
{
    const struct services_ctx *c = owner;
    const struct xm_flow *f = ctx->flow;
    if (!f)
        return 1;
    switch (id) {
    case SV_F_INBOUND:
        out->b = f->local == FLOW_LOCAL_SERVER;
        return 0;
    case SV_F_AI_PORT:
        out->b = sv_ai_port(c, f) != NULL;
        return 0;
    case SV_F_AI_TOOL: {
        const struct lists_entry *e = sv_ai_port(c, f);
        return sv_str(e ? e->label : NULL, out);
    }
    default:
        return sv_get_service(c, f, id, out);
    }
}

#define SV_FLOW XM_FS_BIT(XM_FS_FLOW)

static const struct xm_field_desc sv_field_defs[] = {
    {"dst.service", XM_FT_STRING, SV_FLOW, SV_F_SERVICE, sv_field_get},
    {"dst.service_label", XM_FT_STRING, SV_FLOW, SV_F_LABEL, sv_field_get},
    {"flow.inbound", XM_FT_BOOL, SV_FLOW, SV_F_INBOUND, sv_field_get},
    {"host.ai_port", XM_FT_BOOL, SV_FLOW, SV_F_AI_PORT, sv_field_get},
    {"host.ai_port_tool", XM_FT_STRING, SV_FLOW, SV_F_AI_TOOL, sv_field_get},
};

const struct xm_field_list services_fields = XM_FIELD_LIST(sv_field_defs);
