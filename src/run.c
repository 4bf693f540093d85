/*
 * run.c - the program's glue to the config loader, the rule check, the
 * privilege drop and the live daemon (see xm_main.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xm_check.h"
#include "xm_config_file.h"
#include "xm_daemon.h"
#include "xm_enrich.h"
#include "xm_eve.h"
#include "xm_suppress.h"
#include "xm_http_api.h"
#include "xm_log.h"
#include "xm_main.h"
#include "xm_privs.h"
#include "xm_rules.h"
#include "xm_version.h"

/* --check: everything a run would load, loaded and described. */
int main_check(const struct xm_opts *o)
{
    char err[2048];
    int rc = -1;
    struct rules_set *set = NULL;
    struct enrich *e = enrich_new(o, err, sizeof err);
    if (!e) {
        xm_err("%s", err);
        return -1;
    }
    if (pipe_set_sensor(o, err, sizeof err) != 0) {
        xm_err("%s", err);
        goto out;
    }
    if (o->config)
        config_dump(o, o->config, stdout);
    if (!o->no_rules) {
        if (enrich_compile_rules(e, o, &set, err, sizeof err) != 0) {
            xm_err("%s", err);
            goto out;
        }
        rules_set_describe(set, stdout);
    }
    stage_describe(enrich_stage(e), stdout);
    struct suppress *sup = NULL;
    if (pipe_load_suppress(o, &sup, err, sizeof err) != 0) {
        xm_err("%s", err);
        goto out;
    }
    if (sup)
        printf("suppression list %s: %zu entries\n", o->suppress_path, suppress_count(sup));
    suppress_free(sup);
    printf("sensor name (EVE host): %s\n", eve_sensor_name() ? eve_sensor_name() : "(none)");
    int bad = check_deployment(o);
    if (bad) {
        xm_err("configuration loads, but %d problem%s would stop the daemon (see above)",
               bad, bad == 1 ? "" : "s");
        goto out;
    }
    printf("exfilmon: configuration OK\n");
    rc = 0;
out:
    rules_set_free(set);
    enrich_free(e);
    return rc;
}

int main_drop_privileges(const struct xm_opts *o)
{
    char err[512];
    if (!o->user)
        return 0;
    bool keep = o->iface && !o->no_process;
    if (privs_drop(o->user, keep, err, sizeof err) != 0) {
        xm_err("%s", err);
        return -1;
    }
    return 0;
}

/*
 * SIGHUP: the settings are rebuilt the way start-up built them (defaults,
 * the config file read again, then the same command line), so the
 * command line keeps winning.  Two generations are kept: the running one
 * and the candidate; the candidate replaces the running one only when the
 * pipeline accepted it.
 */
struct main_live_ctx {
    struct main_ctx *mc;
    struct xm_pipeline *pl;
    struct xm_opts gen[2];
    struct config_store *store[2];
    char *filter[2];
    int cur;                      /* index of the running generation */
};

static void main_gen_clear(struct main_live_ctx *lc, int i)
{
    config_store_free(lc->store[i]);
    free(lc->filter[i]);
    lc->store[i] = NULL;
    lc->filter[i] = NULL;
}

static int main_reload_opts(void *ctx, const struct xm_opts **fresh, char *err, size_t errlen)
{
    struct main_live_ctx *lc = ctx;
    int n = 1 - lc->cur;
    main_gen_clear(lc, n);
    int rc = main_build_opts(lc->mc->argc, lc->mc->argv, &lc->gen[n], &lc->filter[n],
                             &lc->store[n]);
    if (rc != 0) {
        snprintf(err, errlen, "the configuration could not be read again (see above)");
        main_gen_clear(lc, n);
        return -1;
    }
    *fresh = &lc->gen[n];
    return 0;
}

static void main_reload_done(void *ctx, const struct xm_opts *fresh, bool accepted)
{
    struct main_live_ctx *lc = ctx;
    int n = 1 - lc->cur;
    (void)fresh;
    if (!accepted) {
        main_gen_clear(lc, n);
        return;
    }
    /* The rule set compiled its own copies and outputs keep their paths,
     * so the previous generation can go (generation 0 at first is the
     * start-up opts, owned by main: its store/filter slots are empty). */
    main_gen_clear(lc, lc->cur);
    lc->cur = n;
}

static void main_note_alert(void *ctx, const json_t *alert)
{
    http_note_alert(ctx, alert);
}

static void main_proc_readable(void *ctx)
{
    struct main_live_ctx *lc = ctx;
    stage_proc_readable(enrich_stage(pipe_enrich(lc->pl)));
}

static void main_http_ready(void *ctx, struct http_srv *h)
{
    struct main_live_ctx *lc = ctx;
    if (h)
        pipe_set_alert_hook(lc->pl, main_note_alert, h);
}

/* "NAME PATH, " into buf at *n when path is set. */
static void main_put(char *buf, size_t len, size_t *n, const char *name, const char *v)
{
    if (v && *n < len)
        *n += (size_t)snprintf(buf + *n, len - *n, "%s%s %s", *n ? ", " : "", name, v);
}

/* Start-up: what is captured, with which rules, to where. */
static void main_startup_line(const struct xm_pipeline *pl, const struct xm_opts *o)
{
    char rules[1024] = "", outs[2048] = "";
    size_t n = 0;
    if (o->no_rules) {
        snprintf(rules, sizeof rules, "no rules");
    } else {
        n = (size_t)snprintf(rules, sizeof rules, "%zu rules from ", pipe_rules_count(pl));
        for (size_t i = 0; i < o->n_rule_files && n < sizeof rules; i++)
            n += (size_t)snprintf(rules + n, sizeof rules - n, "%s%s", i ? ", " : "",
                                  o->rule_files[i]);
        if (!o->n_rule_files && n < sizeof rules) {
            const char *def = rules_default_path();
            snprintf(rules + n, sizeof rules - n, "%s", def ? def : "the bundled pack");
        }
    }
    n = 0;
    main_put(outs, sizeof outs, &n, "alerts to",
             strcmp(o->alerts_path, "-") == 0 ? "standard output" : o->alerts_path);
    main_put(outs, sizeof outs, &n, "flows to",
             o->flows_path && strcmp(o->flows_path, "-") == 0 ? "standard output"
                                                              : o->flows_path);
    main_put(outs, sizeof outs, &n, "syslog as", o->syslog_ident);
    main_put(outs, sizeof outs, &n, "socket", o->socket_path);
    main_put(outs, sizeof outs, &n, "kafka", o->kafka);
    main_put(outs, sizeof outs, &n, "process ledger to", o->record_processes_path);
    main_put(outs, sizeof outs, &n, "http on", o->http_listen);
    xm_info("exfilmon %s capturing on %s (filter %s%s%s; snaplen %d, buffer %d KiB%s); "
            "%s; %s%s%s", xm_version(), o->iface, o->bpf ? "\"" : "", o->bpf ? o->bpf : "none",
            o->bpf ? "\"" : "", o->snaplen, o->buffer_kib,
            o->promisc ? ", promiscuous" : "", rules, outs,
            o->user ? "; running as " : "", o->user ? o->user : "");
}

/* Live: the daemon opens its sockets, then privileges go, then it runs. */
int main_live(struct xm_pipeline *pl, struct src *s, const struct xm_opts *o,
              struct main_ctx *mc)
{
    char err[512];
    struct main_live_ctx lc = {.mc = mc, .pl = pl, .cur = 0};
    lc.gen[0] = *o;
    struct daemon_hooks h = {
        .ctx = &lc, .reload_opts = main_reload_opts, .reload_done = main_reload_done,
        .http_ready = main_http_ready,
        .extra_fd = stage_proc_fd(enrich_stage(pipe_enrich(pl))), .on_extra = main_proc_readable,
        .more_src = mc->more_src, .n_more_src = mc->n_more_src,
    };
    struct daemon *d = daemon_new(pl, s, o, &h, err, sizeof err);
    if (!d) {
        xm_err("%s", err);
        return 2;
    }
    int status = 2;
    main_startup_line(pl, o);
    if (main_drop_privileges(o) == 0)
        status = daemon_loop(d);
    daemon_free(d);
    main_gen_clear(&lc, 1 - lc.cur);
    if (lc.cur != 0)
        main_gen_clear(&lc, lc.cur);
    return status;
}

void main_ctx_free(struct main_ctx *mc)
{
    for (size_t i = 0; i < mc->n_more_src; i++)
        src_close(mc->more_src[i]);
    mc->n_more_src = 0;
    config_store_free(mc->config_store);
    mc->config_store = NULL;
}
