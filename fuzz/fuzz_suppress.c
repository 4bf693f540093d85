/* fuzz_suppress.c - suppress_parse() on arbitrary bytes; when the text
 * loads, every entry is matched against a subject made of the same bytes
 * and the error formatter runs on refusals. */
#include <stdlib.h>

#include "xm_rd.h"
#include "xm_suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    struct xm_rd r;
    xm_rd_init(&r, data, size);
    xm_rd_copy(&r, text, size);
    text[size] = '\0';
    struct suppress *s = NULL;
    struct suppress_error e;
    char buf[512];
    if (suppress_parse("fuzz", text, size, &s, &e) != 0) {
        suppress_error_format(&e, buf, sizeof buf);
        free(text);
        return 0;
    }
    struct xm_addr a;
    memset(&a, 0, sizeof a);
    xm_rd_init(&r, data, size);
    xm_rd_copy(&r, a.b, size < 16 ? size : 16);
    a.family = (size & 1) ? 6 : 4;
    if (a.family == 4)
        memset(a.b + 4, 0, 12);
    struct suppress_subject x = {.sid = (uint32_t)size, .host = &a, .dst = &a,
                                 .domain = text, .process = text, .exe = text,
                                 .now = (xm_time_t)size * 1000000};
    (void)suppress_match(s, &x);
    for (size_t i = 1; i <= suppress_count(s); i++)
        (void)suppress_hits(s, i);
    suppress_free(s);
    free(text);
    return 0;
}
