/* fuzz_site.c - the --site-redis exchange's reply handling
 * (analysis/intel/site.c: the EVAL reply {clocks, peer log ranges} read
 * into peers, cursors and the apply callbacks) on arbitrary bytes.
 * Input: one byte of flags (bit 0: live, no horizon filter), then one
 * RESP reply.  A fresh site per input; the reply is applied twice, as
 * two ticks would (the first registers the peers named in the clocks
 * hash, the second reads their ranges).  The callbacks read every field
 * of each delta so the sanitizers see a bad key or address. */
#include <stdint.h>
#include <string.h>

#include "xm_site.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fz_sum;

static void fz_apply(void *ctx, const struct site_delta *d)
{
    (void)ctx;
    fz_sum += strlen(d->key) + d->kind + d->ai_kind + (size_t)d->first + (size_t)d->last +
              d->count + d->host.family + d->dst.family;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char err[256];
    struct site_config cfg = {.url = "redis://127.0.0.1:1/0?prefix=fz", .sensor = "me",
                              .live = data[0] & 1};
    struct site *s = site_new(&cfg, err, sizeof err);
    if (!s)
        return 0;
    for (int k = 0; k < SITE_K_MAX; k++)
        site_set_apply(s, (enum site_kind)k, fz_apply, NULL);
    for (int i = 0; i < 2; i++)
        (void)site_apply_resp(s, data + 1, size - 1, 1776153600000000);
    site_free(s);
    return 0;
}
