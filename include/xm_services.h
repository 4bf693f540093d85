/*
 * xm_services.h - destination service categories and inbound AI-tool
 * ports as rule fields (analysis/intel/services.c).
 *
 * Ownership: struct services_ctx is caller storage holding BORROWED
 * lists and the app ctx; all must outlive the registry the fields are
 * registered in.  Lists are loaded by the caller (src/enrich.c loads
 * data/services/{filesharing,paste,tunnels,object_storage}.list and
 * data/ai/ports.list).
 *
 * Fields (FLOW scope):
 *   dst.service         string  category of the first list matching the
 *                               flow's best name ("filesharing", "paste",
 *                               "tunnel", "object_storage"), "none" for a
 *                               named flow matching no list; not
 *                               available for unnamed flows
 *   dst.service_label   string  the matching entry's label ("mega")
 *   flow.inbound        bool    only the server side is local: a remote
 *                               host opened this connection to us
 *   host.ai_port        bool    the local side is the server and its port
 *                               is an AI tool's default port (ports list)
 *   host.ai_port_tool   string  that tool's name ("ollama")
 * Costs: a few hash probes per evaluation; nothing per packet.
 */
#ifndef XM_SERVICES_H
#define XM_SERVICES_H

#include "xm_app.h"
#include "xm_lists.h"
#include "xm_field.h"

#define SERVICES_MAX 8

struct services_ctx {
    const struct app_ctx *app;
    const struct lists_list *lists[SERVICES_MAX];
    const char *kind[SERVICES_MAX];     /* static strings */
    unsigned n;
    const struct lists_list *ai_ports;  /* may be NULL */
};

/* The first matching entry for a name (and its kind in *kind). */
const struct lists_entry *services_match(const struct services_ctx *c, const char *name,
                                         const char **kind);

/* The fields above (include/xm_field.h); owner a const struct services_ctx *. */
extern const struct xm_field_list services_fields;

#endif
