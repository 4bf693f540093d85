/*
 * test_procwatch.c - analysis/proc/procwatch.c: metadata address detection,
 * the bounded contact tables (LRU eviction and counters), interpreter and
 * cloud-agent classifiers, and the rule fields read through the registry
 * the way the engine reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "xm_procwatch.h"
#include "xm_rules.h"
#include "flow_fixture.h"
#include "xm_test.h"
#include "../src/xm_enrich.h"

static struct xm_addr addr(const char *s)
{
    struct xm_addr a;
    memset(&a, 0, sizeof a);
    CHECK(xm_addr_parse(s, &a) == 0);
    return a;
}

static void test_metadata_addr(void)
{
    struct xm_addr a = addr("169.254.169.254");
    CHECK(procwatch_is_metadata(&a));
    a = addr("169.254.169.253");
    CHECK(!procwatch_is_metadata(&a));
    a = addr("fd00:ec2::254");
    CHECK(procwatch_is_metadata(&a));
    a = addr("fd00:ec2::253");
    CHECK(!procwatch_is_metadata(&a));
    a = addr("::ffff:169.254.169.254");
    CHECK(!procwatch_is_metadata(&a));
}

static void test_classifiers(void)
{
    CHECK(procwatch_is_interpreter("python3", "/usr/bin/python3.11"));
    CHECK(procwatch_is_interpreter("", "/usr/bin/python3.11"));
    CHECK(procwatch_is_interpreter("curl", NULL));
    CHECK(procwatch_is_interpreter("bash", ""));
    CHECK(procwatch_is_interpreter("x", "/usr/local/bin/node"));
    CHECK(procwatch_is_interpreter("perl5.36", "/usr/bin/perl5.36"));
    CHECK(!procwatch_is_interpreter("nginx", "/usr/sbin/nginx"));
    CHECK(!procwatch_is_interpreter("pythonista", "/opt/pythonista"));
    CHECK(!procwatch_is_interpreter("sshd", "/usr/sbin/sshd"));
    CHECK(!procwatch_is_interpreter(NULL, NULL));

    CHECK(procwatch_is_cloud_agent("amazon-ssm-agen", "/usr/bin/amazon-ssm-agent", ""));
    CHECK(procwatch_is_cloud_agent("amazon-ssm-agen", "", ""));   /* comm cut at 15 */
    CHECK(!procwatch_is_cloud_agent("amazon-ssm", "", ""));       /* too short: not cut */
    CHECK(procwatch_is_cloud_agent("google_guest_ag", "/usr/bin/google_guest_agent", ""));
    CHECK(procwatch_is_cloud_agent("python3", "/usr/bin/python3.11",
                                   "python3 -u /usr/sbin/waagent -run-exthandlers"));
    CHECK(procwatch_is_cloud_agent("cloud-init", "/usr/bin/python3.11",
                                   "/usr/bin/python3 /usr/bin/cloud-init init"));
    CHECK(!procwatch_is_cloud_agent("python3", "/usr/bin/python3.11", "python3 /tmp/waagent"));
    CHECK(!procwatch_is_cloud_agent("python3", "/usr/bin/python3.11", "python3 -m waagent"));
    CHECK(!procwatch_is_cloud_agent("python3", "/usr/bin/python3.11", "python3 /opt/app/sync.py"));
    CHECK(!procwatch_is_cloud_agent("bash", "/usr/bin/bash", "bash /usr/sbin/waagent"));
    CHECK(!procwatch_is_cloud_agent(NULL, NULL, NULL));
}

static void test_tables(void)
{
    struct procwatch_limits lim = {.max_hosts = 2, .max_procs = 2};
    struct procwatch *w = procwatch_new(&lim, 12345);
    struct xm_flow f;
    xm_time_t t;
    CHECK(w != NULL);
    if (!w)
        return;
    xm_test_flow(&f, 6, "10.0.0.1", 40000, "169.254.169.254", 80, FLOW_LOCAL_CLIENT, XM_SEC(100));
    f.proc_id = 7;
    procwatch_on_new_flow(w, &f);
    /* Default home networks hold 169.254/16: local on both ends. */
    xm_test_flow(&f, 6, "10.0.0.2", 40000, "169.254.169.254", 80, FLOW_LOCAL_BOTH, XM_SEC(110));
    procwatch_on_new_flow(w, &f);
    xm_test_flow(&f, 6, "10.0.0.9", 40000, "203.0.113.5", 443, FLOW_LOCAL_CLIENT, XM_SEC(111));
    procwatch_on_new_flow(w, &f);                    /* not metadata */
    struct xm_addr h1 = addr("10.0.0.1"), h2 = addr("10.0.0.2"), h3 = addr("fd00::3"),
                   h9 = addr("10.0.0.9");
    CHECK(procwatch_host_contact(w, &h1, &t) && t == XM_SEC(100));
    CHECK(procwatch_host_contact(w, &h2, &t) && t == XM_SEC(110));
    CHECK(!procwatch_host_contact(w, &h9, &t));
    CHECK(procwatch_proc_contact(w, 7, &t) && t == XM_SEC(100));
    CHECK(!procwatch_proc_contact(w, 8, &t));
    CHECK(!procwatch_proc_contact(w, 0, &t));
    /* h1 contacts again (newest), then h3 (IPv6 IMDS) evicts h2. */
    xm_test_flow(&f, 6, "10.0.0.1", 40001, "169.254.169.254", 80, FLOW_LOCAL_CLIENT, XM_SEC(120));
    procwatch_on_new_flow(w, &f);
    xm_test_flow(&f, 6, "fd00::3", 40000, "fd00:ec2::254", 80, FLOW_LOCAL_BOTH, XM_SEC(130));
    procwatch_on_new_flow(w, &f);
    CHECK(procwatch_host_contact(w, &h1, &t) && t == XM_SEC(120));
    CHECK(!procwatch_host_contact(w, &h2, &t));
    CHECK(procwatch_host_contact(w, &h3, &t) && t == XM_SEC(130));
    struct procwatch_stats st;
    procwatch_get_stats(w, &st);
    CHECK_EQ_U64(st.contacts, 4);
    CHECK_EQ_U64(st.contacts_attributed, 1);
    CHECK_EQ_U64(st.hosts.inserted, 3);
    CHECK_EQ_U64(st.hosts.evicted, 1);
    CHECK_EQ_U64(st.hosts.used, 2);
    CHECK_EQ_U64(st.hosts.cap, 2);
    CHECK_EQ_U64(st.procs.used, 1);
    /* Three processes into a table of two: the oldest contact goes. */
    for (uint32_t id = 20; id < 23; id++) {
        xm_test_flow(&f, 6, "10.0.0.4", (uint16_t)(41000 + id), "169.254.169.254", 80,
              FLOW_LOCAL_CLIENT, XM_SEC(200 + id));
        f.proc_id = id;
        procwatch_on_new_flow(w, &f);
    }
    CHECK(!procwatch_proc_contact(w, 7, &t));
    CHECK(!procwatch_proc_contact(w, 20, &t));
    CHECK(procwatch_proc_contact(w, 22, &t) && t == XM_SEC(222));
    procwatch_get_stats(w, &st);
    CHECK_EQ_U64(st.procs.evicted, 2);
    char *mt = NULL;
    size_t mlen = 0;
    FILE *mf = open_memstream(&mt, &mlen);
    procwatch_write_metrics(w, mf);
    fclose(mf);
    CHECK(mt && strstr(mt, "exfilmon_procwatch_metadata_contacts_total{attributed=\"yes\"} 4\n"));
    CHECK(mt && strstr(mt, "exfilmon_procwatch_evicted_total{table=\"procs\"} 2\n"));
    free(mt);
    procwatch_free(w);
}

#define LEDGER "{\"ts_us\":1700000000000000,\"proto\":6,\"src_ip\":\"10.0.0.5\"," \
    "\"src_port\":40000,\"dest_ip\":\"169.254.169.254\",\"dest_port\":80," \
    "\"attribution\":\"exact\",\"process\":{\"pid\":4321,\"name\":\"python3\"," \
    "\"exe\":\"/usr/bin/python3.11\",\"cmdline\":\"python3 /opt/app/sync.py\"}}\n"

static int get(const struct rules_registry *reg, const char *name,
               const struct rules_eval_ctx *ctx, union rules_value *v)
{
    const struct rules_field *fd = rules_field_find(reg, name);
    CHECK(fd != NULL);
    if (!fd)
        return -1;
    struct rules_fref ref = {.user = fd->arg};
    memset(v, 0, sizeof *v);
    return fd->get(ctx, &ref, v);
}

static void test_fields(void)
{
    struct proc *p = proc_new(NULL);
    struct procwatch *w = procwatch_new(NULL, 99);
    struct rules_registry *reg = rules_registry_new();
    char err[256] = "";
    CHECK(p && w && reg);
    if (!p || !w || !reg)
        goto out;
    CHECK(proc_ledger_load_buf(p, "led", LEDGER, strlen(LEDGER), err, sizeof err) == 0);
    struct xm_flow f;
    uint8_t conf = 0;
    xm_test_flow(&f, 6, "10.0.0.5", 40000, "169.254.169.254", 80, FLOW_LOCAL_CLIENT,
          XM_SEC(1700000000));
    f.proc_id = proc_attribute(p, &f, &conf);
    CHECK(f.proc_id != 0);
    procwatch_on_new_flow(w, &f);
    struct procwatch_ctx pc = {.w = w, .proc = p};
    CHECK(rules_fields_add(reg, &procwatch_fields, &pc) == 5);
    CHECK(rules_fields_add(reg, &procwatch_fields, &pc) == 0);   /* already there */
    /* A later upload flow of the same process, 30 s on. */
    struct xm_flow up;
    xm_test_flow(&up, 6, "10.0.0.5", 40001, "203.0.113.7", 443, FLOW_LOCAL_CLIENT, XM_SEC(1700000030));
    up.proc_id = f.proc_id;
    struct rules_eval_ctx ctx = {.scope = RULES_SCOPE_FLOW, .flow = &up,
                                 .now = XM_SEC(1700000030)};
    union rules_value v;
    CHECK(get(reg, "process.interpreter", &ctx, &v) == 0 && v.b);
    CHECK(get(reg, "process.is_cloud_agent", &ctx, &v) == 0 && !v.b);
    CHECK(get(reg, "process.metadata_contact_age", &ctx, &v) == 0 && v.num == 30.0);
    CHECK(get(reg, "host.metadata_contact_age", &ctx, &v) == 0 && v.num == 30.0);
    CHECK(get(reg, "dst.llm_api", &ctx, &v) == 1);     /* no app ctx: unavailable */
    up.proc_id = 0;                                    /* gateway: no process */
    CHECK(get(reg, "process.interpreter", &ctx, &v) == 1);
    CHECK(get(reg, "process.metadata_contact_age", &ctx, &v) == 1);
    /* PROCESS scope, from the tick (no flow in hand). */
    struct rules_key key = {.id = f.proc_id, .scope = RULES_SCOPE_PROCESS};
    struct rules_eval_ctx pctx = {.scope = RULES_SCOPE_PROCESS, .key = &key,
                                  .now = XM_SEC(1700000600)};
    CHECK(get(reg, "process.interpreter", &pctx, &v) == 0 && v.b);
    CHECK(get(reg, "process.metadata_contact_age", &pctx, &v) == 0 && v.num == 600.0);
    /* The fields compile in the scopes they claim, and only there. */
    struct rules_set *set = NULL;
    struct rules_error re;
    CHECK(rules_compile_string("ok.rules", "rule 1 \"x\" { scope flow when process.interpreter "
                               "and not dst.llm_api and process.metadata_contact_age < 10m "
                               "severity high }", reg, &set, &re) == 0);
    rules_set_free(set);
    set = NULL;
    CHECK(rules_compile_string("bad.rules", "rule 2 \"x\" { scope process when "
                               "host.metadata_contact_age < 10m severity high }", reg, &set,
                               &re) == -1);
    CHECK(set == NULL);
out:
    rules_registry_free(reg);
    procwatch_free(w);
    proc_free(p);
}

/* enrich_alert_process: a process-scope alert without a flow in hand
 * gets "process" from exfil.key.process_id (and no flow attribution). */
static void test_enrich_alert(void)
{
    char path[] = "/tmp/xm_pw_ledgerXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    fputs(LEDGER, f);
    fclose(f);
    struct xm_opts o;
    memset(&o, 0, sizeof o);
    o.processes_path = path;
    char err[512] = "";
    struct enrich *e = enrich_new(&o, err, sizeof err);
    CHECK(e != NULL);
    if (!e)
        fprintf(stderr, "enrich_new: %s\n", err);
    int named = 0;
    for (int id = 1; e && id <= 4; id++) {
        json_t *a = json_pack("{s:{s:{s:i}}}", "exfil", "key", "process_id", id);
        stage_alert_process(enrich_stage(e), a);
        json_t *p = json_object_get(a, "process");
        if (p && json_integer_value(json_object_get(p, "pid")) == 4321) {
            named++;
            CHECK_STR(json_string_value(json_object_get(p, "exe")), "/usr/bin/python3.11");
        }
        CHECK(json_object_get(a, "attribution") == NULL);
        json_decref(a);
    }
    CHECK_EQ_U64(named, 1);
    if (e) {
        json_t *a = json_pack("{s:{s:{s:i}}}", "exfil", "key", "process_id", 999);
        stage_alert_process(enrich_stage(e), a);
        CHECK(json_object_get(a, "process") == NULL);
        json_decref(a);
    }
    enrich_free(e);
    unlink(path);
}

int main(void)
{
    test_metadata_addr();
    test_classifiers();
    test_tables();
    test_fields();
    test_enrich_alert();
    return xm_test_result();
}
