/*
 * xm_procwatch.h - process-scope facts for the rules of rules/process.rules
 * (analysis/proc/procwatch.c): who reached the cloud metadata service and when,
 * which processes are interpreters or cloud agents, and whether a flow's
 * remote name is a public LLM API.
 *
 * Ownership: procwatch_new() allocates both contact tables once (hard
 * caps in struct procwatch_limits); procwatch_free() releases them.
 * Nothing is allocated afterwards.  struct procwatch_ctx holds BORROWED
 * pointers (tables, process table, app ctx, endpoint list); the ctx and
 * everything it points to must outlive the rules registry its fields are
 * registered in.  Any member may be NULL: its fields are then "not
 * available" (comparisons false).
 *
 * Metadata contacts: a flow whose remote address is a cloud instance
 * metadata service (169.254.169.254: AWS, GCP, Azure, OpenStack, Oracle;
 * fd00:ec2::254: AWS IPv6 IMDS) records its first-packet time (packet
 * clock, microseconds) for its local host and, when attributed, for its
 * process (struct xm_flow.proc_id, never reused within a run).
 * procwatch_on_new_flow() is called once per new flow, after process
 * attribution; never per packet otherwise.
 *
 * Tables and eviction: hosts (default cap 4096) and processes (default
 * cap 4096), each least-recently-contacted first: when full, the entry
 * whose last contact is oldest is dropped and counted in `evicted`; an
 * evicted host or process simply looks as if it never made contact.
 * Buckets are hashed with the seed passed in; nothing printed depends on it.
 *
 * Rule fields (procwatch_fields):
 *   dst.llm_api                   bool      FLOW: the flow's remote name
 *                                           matches the LLM endpoint list
 *                                           (false when the flow is unnamed)
 *   process.interpreter           bool      FLOW, PROCESS: comm or exe
 *                                           basename is a script interpreter,
 *                                           shell or curl/wget
 *   process.is_cloud_agent        bool      FLOW, PROCESS: a cloud guest agent
 *   process.metadata_contact_age  duration  FLOW, PROCESS: now - the
 *                                           process's last metadata contact
 *   host.metadata_contact_age     duration  FLOW, HOST, HOSTDST: the same for
 *                                           the local host
 */
#ifndef XM_PROCWATCH_H
#define XM_PROCWATCH_H

#include <stdio.h>

#include "xm_app.h"
#include "xm_common.h"
#include "xm_flow.h"
#include "xm_lists.h"
#include "xm_proc.h"
#include "xm_field.h"
#include "xm_tab.h"

struct procwatch_limits {
    uint32_t max_hosts;      /* 0 = 4096 */
    uint32_t max_procs;      /* 0 = 4096 */
};


struct procwatch_stats {
    uint64_t contacts;        /* new flows to a metadata address */
    uint64_t contacts_attributed; /* ... that had a process */
    struct xm_tab_stats hosts, procs;   /* include/xm_tab.h */
};

struct procwatch;

/* NULL on allocation failure.  seed: xm_hash_random_seed(). */
struct procwatch *procwatch_new(const struct procwatch_limits *l, uint64_t seed);
void procwatch_free(struct procwatch *w);

/* True for 169.254.169.254 and fd00:ec2::254. */
bool procwatch_is_metadata(const struct xm_addr *a);

/* Once per new flow with a local end, after attribution (f->proc_id set). */
void procwatch_on_new_flow(struct procwatch *w, const struct xm_flow *f);

/* Last metadata contact of a local host / a process; false if none known. */
bool procwatch_host_contact(const struct procwatch *w, const struct xm_addr *host,
                            xm_time_t *t);
bool procwatch_proc_contact(const struct procwatch *w, uint32_t proc_id, xm_time_t *t);

/* Classifiers on struct proc_info strings (any may be NULL or "").
 * Interpreter: basename of exe or comm is python[N[.N]], node, nodejs,
 * bun, deno, ruby[N], perl[N], php[N], bash, sh, dash, zsh, pwsh, curl or
 * wget (comm compared as the kernel truncates it, 15 bytes).
 * Cloud agent: exe or comm basename amazon-ssm-agent, ssm-agent-worker,
 * ssm-session-worker, amazon-cloudwatch-agent, google_guest_agent,
 * google_metadata_script_runner, google_osconfig_agent, waagent,
 * WALinuxAgent, cloud-init, oracle-cloud-agent; or a python interpreter
 * running one of those as a script installed under /usr/ or /opt/
 * (waagent and cloud-init are Python programs). */
bool procwatch_is_interpreter(const char *comm, const char *exe);
bool procwatch_is_cloud_agent(const char *comm, const char *exe, const char *cmdline);

void procwatch_get_stats(const struct procwatch *w, struct procwatch_stats *out);
/* Prometheus text (exfilmon_procwatch_*).  Not for the hot path. */
void procwatch_write_metrics(const struct procwatch *w, FILE *f);

/* What the rule fields read; all borrowed. */
struct procwatch_ctx {
    const struct procwatch *w;
    const struct proc *proc;
    const struct app_ctx *app;
    const struct lists_list *endpoints;   /* data/ai/llm_endpoints.list */
};
/* The fields above (include/xm_field.h); owner a const struct procwatch_ctx *. */
extern const struct xm_field_list procwatch_fields;

#endif
