/*
 * xm_field.h - neutral rule-field descriptors: how an analysis module
 * publishes the values it can answer about a flow, a host or a process,
 * without knowing the rule language (base layer: no code, types only).
 *
 * Design (issue 11).  Two ways were possible to stop analysis/ including
 * rules headers: (a) move the seven adapters to rules/fields/, or (b) have
 * analysis publish neutral descriptors that rules/ consumes.  (a) would
 * need every module to export the internals its getters read (dstseen's
 * and beacon's views, services' matcher, procwatch's contact tables, the
 * intel scratch buffer) - new public functions and one edge rules ->
 * analysis per module.  (b) keeps each getter next to the data it reads,
 * adds no analysis export, and leaves exactly one edge in each direction
 * to this header, which belongs to the base layer.  So (b): a module
 * publishes one `const struct xm_field_list`; the analysis stage lists
 * every provider with its owner (stage_field_sources, analysis/stage.c)
 * and the program registers each with the one call
 * rules_fields_add(reg, &list, owner) (include/xm_rules.h).
 *
 * A new rule-field provider therefore touches: its own analysis file
 * (getters + one descriptor table + the extern in its header) and one
 * row in stage_field_sources() (analysis/stage.c).
 *
 * Ownership: descriptor tables and names are static data of the module;
 * `owner` (the module's context) is borrowed by the registry and must
 * outlive it.  Strings a getter returns are borrowed from the module and
 * stay valid for the evaluation.
 */
#ifndef XM_FIELD_H
#define XM_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xm_common.h"

struct xm_flow;   /* include/xm_flow.h; only pointed to here */

/* Value types; the values equal enum rules_type (checked in rules/). */
enum xm_field_type {
    XM_FT_NUM = 0,           /* plain number (counts, ports, scores) */
    XM_FT_BYTES,             /* bytes */
    XM_FT_DURATION,          /* seconds */
    XM_FT_RATE,              /* bits per second */
    XM_FT_BOOL,
    XM_FT_STRING,
    XM_FT_ADDR,
};

/* Where a field is available; the values equal enum rules_scope. */
enum xm_field_scope {
    XM_FS_FLOW = 0,          /* one flow */
    XM_FS_HOST,              /* one local address */
    XM_FS_HOSTDST,           /* local address + remote address */
    XM_FS_SITE,              /* the whole site */
    XM_FS_PROCESS,           /* one process (process table id) */
};
#define XM_FS_BIT(s) (1u << (s))

union xm_field_value {
    double num;              /* NUM, BYTES, DURATION (s), RATE (bit/s) */
    bool b;
    struct { const char *s; size_t len; } str;   /* borrowed */
    struct xm_addr addr;
};

/* What a getter may look at (filled by the rule engine's adapter). */
struct xm_field_ctx {
    enum xm_field_scope scope;    /* the scope of the evaluated key */
    const struct xm_addr *local;  /* the key's local address (HOST,
                                   * HOSTDST; zeroed for others), or NULL
                                   * when there is no key */
    uint64_t key_id;              /* FLOW: flow id; PROCESS: proc id */
    const struct xm_flow *flow;   /* the flow of the evaluation, or NULL */
    xm_time_t now;                /* packet time of the evaluation */
};

/* Returns 0 and fills *out, or 1 when the value is not available (the
 * comparison is then false).  owner: the pointer given at registration;
 * id: the descriptor's id. */
typedef int (*xm_field_get_fn)(const void *owner, int id, const struct xm_field_ctx *c,
                               union xm_field_value *out);

struct xm_field_desc {
    const char *name;        /* "dst.country", ... */
    enum xm_field_type type;
    unsigned scopes;         /* OR of XM_FS_BIT() */
    int id;                  /* passed back to get */
    xm_field_get_fn get;
};

/* xm_field_list.flags[i] for descriptor i.  XM_FF_NAME_ONLY: a
 * FLOW-scope bool whose value is a function of the flow's addresses,
 * ports and remote name (name_id, name_src) and of data fixed for the
 * run only, and which can only turn false when that name is forgotten
 * (evicted from the name table).  The rule engine may then skip a rule
 * made of such fields while the flow's name is unchanged since the rule
 * was last false (rules/engine.c, "name-only rules"); the analysis stage
 * reports name changes (flow_name_changed, xm_flow.h). */
#define XM_FF_NAME_ONLY 0x1u

struct xm_field_list {
    const struct xm_field_desc *f;
    size_t n;
    const unsigned *flags;   /* n entries of XM_FF_*, or NULL: all 0 */
};

#define XM_FIELD_LIST(arr) {(arr), sizeof(arr) / sizeof((arr)[0]), NULL}
/* fl: an array of as many XM_FF_* words as arr has descriptors. */
#define XM_FIELD_LIST_FLAGS(arr, fl) {(arr), sizeof(arr) / sizeof((arr)[0]), (fl)}

/* Non-empty string -> value; returns 1 (not available) for NULL or "". */
static inline int xm_field_str(const char *s, union xm_field_value *out)
{
    if (!s || !*s)
        return 1;
    out->str.s = s;
    out->str.len = strlen(s);
    return 0;
}

#endif
