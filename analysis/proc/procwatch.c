/*
 * procwatch.c - cloud metadata contacts per host and per process, process
 * classifiers (interpreter, cloud agent) and the rule fields built on
 * them (see include/xm_procwatch.h for the contract).
 *
 * The two contact tables are the base library's keyed table (xm_tab.h)
 * in contact order: a contact makes its entry the newest; when full the
 * oldest contact is evicted.  Work happens once per new flow to a metadata
 * address, never per packet.
 */
#include "xm_procwatch.h"
#include "xm_prom.h"
#include "xm_tab.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PW_DEFAULT_CAP 4096

/* Key of either table: a local address, or a process id (addr zeroed). */
struct pw_key {
    struct xm_addr a;
    uint32_t id;
};

struct pw_ent {
    struct xm_tab_hdr h;         /* the key follows the header */
    struct pw_key k;
    xm_time_t t;                 /* last contact, packet time (usec) */
};

struct procwatch {
    struct xm_tab hosts, procs;
    struct procwatch_stats st;
};

/* ---- table -------------------------------------------------------------- */

static int pw_tab_init(struct xm_tab *t, uint32_t cap, uint64_t seed)
{
    return xm_tab_init(t, cap ? cap : PW_DEFAULT_CAP, sizeof(struct pw_ent),
                       sizeof(struct pw_key), seed);
}

/* Records a contact at time tm (keeps the later of old and new). */
static void pw_touch(struct xm_tab *t, const struct pw_key *k, xm_time_t tm)
{
    bool created;
    struct pw_ent *e = xm_tab_upsert(t, k, &created);
    if (e && (created || tm > e->t))
        e->t = tm;
}

static bool pw_get(const struct xm_tab *t, const struct pw_key *k, xm_time_t *tm)
{
    const struct pw_ent *e = xm_tab_find(t, k);
    if (e)
        *tm = e->t;
    return e != NULL;
}

/* ---- module ------------------------------------------------------------ */

struct procwatch *procwatch_new(const struct procwatch_limits *l, uint64_t seed)
{
    struct procwatch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (pw_tab_init(&w->hosts, l ? l->max_hosts : 0, seed) != 0 ||
        pw_tab_init(&w->procs, l ? l->max_procs : 0, seed ^ 0x9e3779b97f4a7c15u) != 0) {
        procwatch_free(w);
        return NULL;
    }
    return w;
}

void procwatch_free(struct procwatch *w)
{
    if (!w)
        return;
    xm_tab_free(&w->hosts);
    xm_tab_free(&w->procs);
    free(w);
}

bool procwatch_is_metadata(const struct xm_addr *a)
{
    /* 169.254.169.254 (RFC 3927 link-local; every major cloud's IMDS) and
     * fd00:ec2::254 (AWS IMDS over IPv6, Nitro instances). */
    static const uint8_t v4[4] = {169, 254, 169, 254};
    static const uint8_t v6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
    if (a->family == 4)
        return memcmp(a->b, v4, 4) == 0;
    return a->family == 6 && memcmp(a->b, v6, 16) == 0;
}

static void pw_key_addr(struct pw_key *k, const struct xm_addr *a)
{
    memset(k, 0, sizeof *k);
    k->a = *a;
}

static void pw_key_proc(struct pw_key *k, uint32_t id)
{
    memset(k, 0, sizeof *k);
    k->id = id;
}

/* The metadata service is the remote end whichever side is "home" (the
 * default home networks include 169.254.0.0/16 and fc00::/7, so such a
 * flow is often local on both ends); the other end is the local host. */
static const struct xm_addr *pw_metadata_client(const struct xm_flow *f)
{
    if ((f->local & FLOW_LOCAL_CLIENT) && procwatch_is_metadata(&f->srv))
        return &f->cli;
    if ((f->local & FLOW_LOCAL_SERVER) && procwatch_is_metadata(&f->cli))
        return &f->srv;
    return NULL;
}

void procwatch_on_new_flow(struct procwatch *w, const struct xm_flow *f)
{
    const struct xm_addr *local = w && f->local ? pw_metadata_client(f) : NULL;
    if (!local)
        return;
    struct pw_key k;
    w->st.contacts++;
    pw_key_addr(&k, local);
    pw_touch(&w->hosts, &k, f->first);
    if (!f->proc_id)
        return;
    w->st.contacts_attributed++;
    pw_key_proc(&k, f->proc_id);
    pw_touch(&w->procs, &k, f->first);
}

bool procwatch_host_contact(const struct procwatch *w, const struct xm_addr *host,
                            xm_time_t *t)
{
    struct pw_key k;
    pw_key_addr(&k, host);
    return w && pw_get(&w->hosts, &k, t);
}

bool procwatch_proc_contact(const struct procwatch *w, uint32_t proc_id, xm_time_t *t)
{
    struct pw_key k;
    pw_key_proc(&k, proc_id);
    return w && proc_id && pw_get(&w->procs, &k, t);
}

void procwatch_get_stats(const struct procwatch *w, struct procwatch_stats *out)
{
    *out = w->st;
    out->hosts = w->hosts.st;
    out->procs = w->procs.st;
}

void procwatch_write_metrics(const struct procwatch *w, FILE *f)
{
    struct procwatch_stats st;
    const struct procwatch_stats *s = &st;
    procwatch_get_stats(w, &st);
    const char *contacts = "exfilmon_procwatch_metadata_contacts_total";
    xm_prom_head(f, contacts, "counter", "New flows to a cloud metadata address.");
    xm_prom_u64(f, contacts, "attributed", "yes", s->contacts_attributed);
    xm_prom_u64(f, contacts, "attributed", "no", s->contacts - s->contacts_attributed);
    const char *used = "exfilmon_procwatch_table_used";
    xm_prom_head(f, used, "gauge", "Metadata-contact table entries in use.");
    xm_prom_u64(f, used, "table", "hosts", s->hosts.used);
    xm_prom_u64(f, used, "table", "procs", s->procs.used);
    const char *evicted = "exfilmon_procwatch_evicted_total";
    xm_prom_head(f, evicted, "counter",
                 "Metadata-contact entries evicted (table full, oldest contact first).");
    xm_prom_u64(f, evicted, "table", "hosts", s->hosts.evicted);
    xm_prom_u64(f, evicted, "table", "procs", s->procs.evicted);
}

/* ---- classifiers ------------------------------------------------------- */

static const char *pw_base(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : (path ? path : "");
}

/* name equals want, or is want cut to the kernel's 15-byte comm. */
static bool pw_name_is(const char *name, const char *want, bool comm)
{
    size_t n = strlen(name);
    if (comm && n == PROC_COMM_LEN - 1 && strlen(want) > n)
        return strncmp(name, want, n) == 0;
    return strcmp(name, want) == 0;
}

/* want followed by nothing but digits and dots ("python3.11", "perl5"). */
static bool pw_versioned(const char *name, const char *want)
{
    size_t n = strlen(want);
    if (strncmp(name, want, n) != 0)
        return false;
    return strspn(name + n, "0123456789.") == strlen(name + n);
}

static bool pw_interp_name(const char *b, bool comm)
{
    static const char *const plain[] = {"node", "nodejs", "bun", "deno", "bash", "sh",
                                        "dash", "zsh", "pwsh", "curl", "wget"};
    static const char *const versioned[] = {"python", "ruby", "perl", "php"};
    if (!*b)
        return false;
    for (size_t i = 0; i < XM_ARRAY_LEN(plain); i++)
        if (pw_name_is(b, plain[i], comm))
            return true;
    for (size_t i = 0; i < XM_ARRAY_LEN(versioned); i++)
        if (pw_versioned(b, versioned[i]))
            return true;
    return false;
}

bool procwatch_is_interpreter(const char *comm, const char *exe)
{
    return pw_interp_name(pw_base(exe), false) || pw_interp_name(comm ? comm : "", true);
}

static const char *const pw_agents[] = {
    "amazon-ssm-agent", "ssm-agent-worker", "ssm-session-worker", "amazon-cloudwatch-agent",
    "google_guest_agent", "google_metadata_script_runner", "google_osconfig_agent",
    "waagent", "WALinuxAgent", "cloud-init", "oracle-cloud-agent",
};

static bool pw_agent_name(const char *b, bool comm)
{
    for (size_t i = 0; *b && i < XM_ARRAY_LEN(pw_agents); i++)
        if (pw_name_is(b, pw_agents[i], comm))
            return true;
    return false;
}

/* The script a python command line runs: the first argument after argv0
 * that is not an option; "-m"/"-c" (module, inline code) mean none.
 * Copies it into buf (bounded); returns false when there is none. */
static bool pw_script_arg(const char *cmdline, char *buf, size_t len)
{
    const char *p = cmdline ? strchr(cmdline, ' ') : NULL;
    while (p && *p) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n == 0)
            return false;
        if (p[0] != '-') {
            if (n >= len)
                return false;
            memcpy(buf, p, n);
            buf[n] = '\0';
            return true;
        }
        if (n == 2 && (p[1] == 'm' || p[1] == 'c'))
            return false;
        p += n;
    }
    return false;
}

bool procwatch_is_cloud_agent(const char *comm, const char *exe, const char *cmdline)
{
    if (pw_agent_name(pw_base(exe), false) || pw_agent_name(comm ? comm : "", true))
        return true;
    if (!pw_versioned(pw_base(exe), "python") && !pw_versioned(comm ? comm : "", "python"))
        return false;
    char script[PROC_CMDLINE_LEN];
    if (!pw_script_arg(cmdline, script, sizeof script))
        return false;
    /* Installed by the distribution or the agent package, not a user's
     * file that merely carries the name. */
    if (strncmp(script, "/usr/", 5) != 0 && strncmp(script, "/opt/", 5) != 0)
        return false;
    return pw_agent_name(pw_base(script), false);
}

/* ---- rule fields ------------------------------------------------------- */

enum pw_field_id { PW_LLM_API, PW_INTERP, PW_AGENT, PW_PROC_MD_AGE, PW_HOST_MD_AGE, PW_MAX };

static uint32_t pw_proc_id(const struct xm_field_ctx *ctx)
{
    if (ctx->flow)
        return ctx->flow->proc_id;
    if (ctx->scope == XM_FS_PROCESS && ctx->local)
        return (uint32_t)ctx->key_id;
    return 0;
}

/* Seconds from t to now (0 when t is later: out-of-order flow starts). */
static int pw_age(xm_time_t t, xm_time_t now, union xm_field_value *out)
{
    out->num = now > t ? (double)(now - t) / 1e6 : 0;
    return 0;
}

static int pw_get_llm(const struct procwatch_ctx *c, const struct xm_flow *f,
                      union xm_field_value *out)
{
    if (!f || !c->app || !c->endpoints)
        return 1;
    struct app_name n;
    app_flow_name(c->app, f, &n);
    out->b = n.name && lists_match_domain(c->endpoints, n.name) != NULL;
    return 0;
}

static int pw_get_host_md(const struct procwatch_ctx *c, const struct xm_field_ctx *ctx,
                          union xm_field_value *out)
{
    const struct xm_addr *local = NULL;
    xm_time_t t;
    if (ctx->flow && ctx->flow->local)
        local = (ctx->flow->local & FLOW_LOCAL_CLIENT) ? &ctx->flow->cli : &ctx->flow->srv;
    else if (ctx->local && (ctx->scope == XM_FS_HOST || ctx->scope == XM_FS_HOSTDST))
        local = ctx->local;
    if (!local || !procwatch_host_contact(c->w, local, &t))
        return 1;
    return pw_age(t, ctx->now, out);
}

static int pw_get_proc(const struct procwatch_ctx *c, const struct xm_field_ctx *ctx,
                       enum pw_field_id id, union xm_field_value *out)
{
    uint32_t pid = pw_proc_id(ctx);
    const struct proc_info *pi = pid && c->proc ? proc_get(c->proc, pid) : NULL;
    xm_time_t t;
    if (!pi)
        return 1;
    if (id == PW_INTERP)
        out->b = procwatch_is_interpreter(pi->comm, pi->exe);
    else if (id == PW_AGENT)
        out->b = procwatch_is_cloud_agent(pi->comm, pi->exe, pi->cmdline);
    else if (!procwatch_proc_contact(c->w, pid, &t))
        return 1;
    else
        return pw_age(t, ctx->now, out);
    return 0;
}

static int pw_field_get(const void *owner, int id, const struct xm_field_ctx *ctx,
                        union xm_field_value *out)
{
    const struct procwatch_ctx *c = owner;
    switch (id) {
    case PW_LLM_API: return pw_get_llm(c, ctx->flow, out);
    case PW_HOST_MD_AGE: return pw_get_host_md(c, ctx, out);
    default: return pw_get_proc(c, ctx, (enum pw_field_id)id, out);
    }
}

#define PW_S(s) XM_FS_BIT(XM_FS_##s)

static const struct xm_field_desc pw_field_defs[] = {
    {"dst.llm_api", XM_FT_BOOL, PW_S(FLOW), PW_LLM_API, pw_field_get},
    {"process.interpreter", XM_FT_BOOL, PW_S(FLOW) | PW_S(PROCESS), PW_INTERP, pw_field_get},
    {"process.is_cloud_agent", XM_FT_BOOL, PW_S(FLOW) | PW_S(PROCESS), PW_AGENT,
     pw_field_get},
    {"process.metadata_contact_age", XM_FT_DURATION, PW_S(FLOW) | PW_S(PROCESS),
     PW_PROC_MD_AGE, pw_field_get},
    {"host.metadata_contact_age", XM_FT_DURATION, PW_S(FLOW) | PW_S(HOST) | PW_S(HOSTDST),
     PW_HOST_MD_AGE, pw_field_get},
};

const struct xm_field_list procwatch_fields = XM_FIELD_LIST(pw_field_defs);
