/*
 * xm_main.h - glue between main.c and the optional subsystems (config
 * file, rules check, privileges, live daemon); src/run.c.  Private to the
 * program: main_ctx owns whatever the config loader allocated.
 */
#ifndef XM_MAIN_H
#define XM_MAIN_H

#include "xm_opts.h"
#include "xm_pipeline.h"
#include "xm_source.h"

struct main_ctx {
    void *config_store;     /* owned; strings of opts may point into it */
};

int main_load_config(struct main_ctx *mc, const char *path, struct xm_opts *o);
int main_check(const struct xm_opts *o);
int main_drop_privileges(const struct xm_opts *o);
int main_live(struct xm_pipeline *pl, struct src *s, const struct xm_opts *o,
              struct main_ctx *mc);
void main_ctx_free(struct main_ctx *mc);

#endif
