/*
 * run.c - the program's glue to the config loader, the rule check, the
 * privilege drop and the live daemon (see xm_main.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "xm_config_file.h"
#include "xm_daemon.h"
#include "xm_enrich.h"
#include "xm_http_api.h"
#include "xm_main.h"
#include "xm_privs.h"
#include "xm_rules.h"

/* --check: everything a run would load, loaded and described. */
int main_check(const struct xm_opts *o)
{
    char err[2048];
    int rc = -1;
    struct rules_set *set = NULL;
    struct enrich *e = enrich_new(o, err, sizeof err);
    if (!e) {
        fprintf(stderr, "exfilmon: %s\n", err);
        return -1;
    }
    if (o->config)
        config_dump(o, o->config, stdout);
    if (!o->no_rules) {
        if (enrich_compile_rules(e, o, &set, err, sizeof err) != 0) {
            fprintf(stderr, "exfilmon: %s\n", err);
            goto out;
        }
        rules_set_describe(set, stdout);
    }
    stage_describe(enrich_stage(e), stdout);
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
        fprintf(stderr, "exfilmon: %s\n", err);
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
    };
    struct daemon *d = daemon_new(pl, s, o, &h, err, sizeof err);
    if (!d) {
        fprintf(stderr, "exfilmon: %s\n", err);
        return 2;
    }
    int status = 2;
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
    config_store_free(mc->config_store);
    mc->config_store = NULL;
}
