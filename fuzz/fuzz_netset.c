/* fuzz_netset.c - netset_parse() on arbitrary text, then lookups of
 * addresses taken from the same bytes. */
#include <stdlib.h>

#include "xm_netset.h"
#include "xm_rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct xm_netset *s = netset_new();
    if (!text || !s)
        goto out;
    struct xm_rd r;
    xm_rd_init(&r, data, size);
    xm_rd_copy(&r, text, size);
    text[size] = '\0';
    char err[128];
    netset_parse(s, text, err, sizeof err);
    xm_rd_init(&r, data, size);
    struct xm_addr a;
    memset(&a, 0, sizeof a);
    while (xm_rd_copy(&r, a.b, 16)) {
        a.family = (a.b[0] & 1) ? 6 : 4;
        if (a.family == 4)
            memset(a.b + 4, 0, 12);
        (void)netset_contains(s, &a);
    }
    (void)netset_count(s);
out:
    netset_free(s);
    free(text);
    return 0;
}
