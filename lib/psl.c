/*
 * psl.c - registrable domains (eTLD+1) through libpsl (xm_psl.h).
 * Called once per interned name, never per packet.
 */
#include "xm_psl.h"

#include <libpsl.h>
#include <stdlib.h>

struct regdom {
    psl_ctx_t *owned;          /* freed by regdom_close; NULL for builtin */
    const psl_ctx_t *ctx;
};

struct regdom *regdom_open(const char *path)
{
    struct regdom *rd = calloc(1, sizeof *rd);
    if (!rd)
        return NULL;
    rd->owned = path ? psl_load_file(path) : psl_latest(NULL);
    rd->ctx = rd->owned;
    if (!rd->ctx && !path)
        rd->ctx = psl_builtin();
    if (!rd->ctx) {
        free(rd);
        return NULL;
    }
    return rd;
}

void regdom_close(struct regdom *rd)
{
    if (!rd)
        return;
    psl_free(rd->owned);
    free(rd);
}

const char *regdom_of(const struct regdom *rd, const char *name)
{
    return rd && name ? psl_registrable_domain(rd->ctx, name) : NULL;
}

int regdom_offset(const struct regdom *rd, const char *lower)
{
    struct xm_addr lit;
    if (!rd || !lower || !lower[0] || xm_addr_parse(lower, &lit) == 0)
        return -1;                   /* address literals have no domain */
    const char *r = psl_registrable_domain(rd->ctx, lower);
    if (!r || r < lower)
        return -1;
    return (int)(r - lower);
}
