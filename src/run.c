/*
 * run.c - the program's glue to the config loader, the rule check, the
 * privilege drop and the live daemon (see xm_main.h).
 */
#include <stdio.h>

#include "xm_main.h"

int main_load_config(struct main_ctx *mc, const char *path, struct xm_opts *o)
{
    (void)mc;
    (void)o;
    fprintf(stderr, "exfilmon: %s: configuration files are not supported yet\n", path);
    return -1;
}

int main_check(const struct xm_opts *o)
{
    (void)o;
    printf("exfilmon: configuration OK\n");
    return 0;
}

int main_drop_privileges(const struct xm_opts *o)
{
    (void)o;
    return 0;
}

int main_live(struct xm_pipeline *pl, struct src *s, const struct xm_opts *o,
              struct main_ctx *mc)
{
    (void)pl; (void)s; (void)o; (void)mc;
    fprintf(stderr, "exfilmon: live capture is not wired yet\n");
    return 1;
}

void main_ctx_free(struct main_ctx *mc)
{
    (void)mc;
}
