/* fuzz_evew.c - the EVE writer's UTF-8 check (lib/evew.c) on arbitrary
 * bytes must agree with jansson's, which it stands in front of. */
#include <stdlib.h>

#include "xm_evew.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    json_t *j = json_stringn(s, size);
    if ((j != NULL) != eve_utf8_valid(s, size))
        abort();
    bool bad = false;
    json_t *o = json_object();
    eve_put_strn(o, "v", s, size, &bad);
    if (o && !bad && (json_object_get(o, "v") != NULL) != (j != NULL))
        abort();
    json_decref(o);
    json_decref(j);
    return 0;
}
