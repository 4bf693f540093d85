/* fuzz_evew.c - the EVE writer (lib/evew.c, lib/evew_stream.c) on
 * arbitrary bytes: the UTF-8 check must agree with jansson's, which it
 * stands in front of, and the streaming writer must write exactly the
 * text jansson dumps (JSON_COMPACT) for the same record: the bytes as a
 * string value and array element (escaping, invalid UTF-8 left out with
 * its key), and the first 8 bytes as a real and as an integer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xm_evew.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s, size_t size, const json_t *j)
{
    if ((j != NULL) != eve_utf8_valid(s, size))
        abort();
    bool bad = false;
    json_t *o = json_object();
    eve_put_strn(o, "v", s, size, &bad);
    if (o && !bad && (json_object_get(o, "v") != NULL) != (j != NULL))
        abort();
    json_decref(o);
}

/* The writer's text must equal jansson's dump of o. */
static void same(struct evew *w, const json_t *o)
{
    size_t n = 0;
    const char *t = evew_text(w, &n);
    char *j = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (!t || !j || strlen(j) != n || memcmp(t, j, n) != 0)
        abort();
    free(j);
}

static void check_string(struct evew *w, const char *s, size_t size, json_t *j)
{
    json_t *o = json_object(), *a = json_array();
    if (j) {
        json_object_set(o, "v", j);
        json_array_append(a, j);
    }
    json_object_set_new(o, "a", a);
    evew_reset(w);
    evew_obj_begin(w);
    evew_key(w, "v");
    evew_strn(w, s, size);
    evew_key(w, "a");
    evew_arr_begin(w);
    evew_strn(w, s, size);
    evew_arr_end(w);
    evew_obj_end(w);
    same(w, o);
    json_decref(o);
}

static void check_numbers(struct evew *w, const uint8_t *data, size_t size)
{
    double d;
    int64_t i;
    if (size < sizeof d)
        return;
    memcpy(&d, data, sizeof d);
    memcpy(&i, data, sizeof i);
    json_t *a = json_array();
    json_array_append_new(a, json_integer(i));
    evew_reset(w);
    evew_arr_begin(w);
    evew_int(w, i);
    if (isfinite(d)) {
        json_array_append_new(a, json_real(d));
        json_array_append_new(a, eve_num(d));
        evew_real(w, d);
        evew_num(w, d);
    }
    evew_arr_end(w);
    same(w, a);
    json_decref(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct evew w;
    static bool ready;
    if (!ready) {
        evew_init(&w, 256, 1u << 24);
        ready = true;
    }
    const char *s = (const char *)data;
    json_t *j = json_stringn(s, size);
    check_utf8(s, size, j);
    check_string(&w, s, size, j);
    check_numbers(&w, data, size);
    json_decref(j);
    return 0;
}
