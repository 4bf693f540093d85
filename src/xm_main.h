/*
 * xm_main.h - glue between main.c and the optional subsystems: options
 * and the config file (src/opts.c), rules check, privileges, live daemon
 * (src/run.c).  Calls go main.c -> run.c -> opts.c only.  Private to the
 * program: main_ctx owns whatever the config loader allocated.
 */
#ifndef XM_MAIN_H
#define XM_MAIN_H

#include "xm_opts.h"
#include "xm_pipeline.h"
#include "xm_source.h"

struct config_store;

struct main_ctx {
    int argc;
    char **argv;
    struct config_store *config_store;  /* owned; opts strings point into it */
    struct src *more_src[XM_MAX_WORKERS]; /* --workers N: handles 2..N (owned) */
    size_t n_more_src;
};

/* defaults -> config file (-c) -> command line.  0, 1 = exit 0 (--help,
 * --version), -1 = error (printed).  *store receives the config file's
 * storage (caller frees), *filter_buf a joined BPF expression. */
int main_build_opts(int argc, char **argv, struct xm_opts *o, char **filter_buf,
                    struct config_store **store);
int main_load_config(const char *path, struct xm_opts *o, struct config_store **store);
int main_check(const struct xm_opts *o);
int main_drop_privileges(const struct xm_opts *o);
int main_live(struct xm_pipeline *pl, struct src *s, const struct xm_opts *o,
              struct main_ctx *mc);
void main_ctx_free(struct main_ctx *mc);

#endif
