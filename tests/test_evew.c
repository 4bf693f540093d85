/*
 * test_evew.c - the EVE writer's helpers (lib/evew.c): the UTF-8 check
 * agrees with jansson's on every case, invalid strings are left out
 * without failing the record, numbers are integers only when exact, and
 * a failure is sticky.
 */
#include <math.h>

#include "xm_evew.h"
#include "xm_test.h"

/* jansson is the oracle: json_stringn() refuses exactly the invalid. */
static void check_utf8(const char *s, size_t n, bool valid)
{
    json_t *j = json_stringn(s, n);
    CHECK(eve_utf8_valid(s, n) == valid);
    CHECK((j != NULL) == valid);
    json_decref(j);
}

static void test_utf8(void)
{
    check_utf8("", 0, true);
    check_utf8("plain ascii", 11, true);
    check_utf8("caf\xc3\xa9", 5, true);                 /* U+00E9 */
    check_utf8("\xe2\x82\xac", 3, true);                 /* U+20AC */
    check_utf8("\xf0\x9f\x98\x80", 4, true);             /* U+1F600 */
    check_utf8("\xf4\x8f\xbf\xbf", 4, true);             /* U+10FFFF */
    check_utf8("a\0b", 3, true);                         /* embedded NUL */
    check_utf8("\x80", 1, false);                        /* lone continuation */
    check_utf8("\xc0\xaf", 2, false);                    /* overlong '/' */
    check_utf8("\xe0\x80\xaf", 3, false);                /* overlong, 3 bytes */
    check_utf8("\xf0\x80\x80\xaf", 4, false);            /* overlong, 4 bytes */
    check_utf8("\xed\xa0\x80", 3, false);                /* surrogate D800 */
    check_utf8("\xf4\x90\x80\x80", 4, false);            /* above U+10FFFF */
    check_utf8("\xf5\x80\x80\x80", 4, false);            /* bad lead byte */
    check_utf8("\xc3", 1, false);                        /* cut short */
    check_utf8("\xe2\x82", 2, false);
    check_utf8("\xc3(", 2, false);                       /* bad continuation */
    /* every two-byte string against the oracle */
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            char s[2] = {(char)a, (char)b};
            json_t *j = json_stringn(s, 2);
            if ((j != NULL) != eve_utf8_valid(s, 2))
                CHECK(!"utf8 check disagrees with jansson");
            json_decref(j);
        }
}

static void test_put(void)
{
    bool bad = false;
    json_t *o = eve_obj(&bad);
    eve_put_str(o, "ok", "fine", &bad);
    eve_put_str(o, "skipped", "\xff", &bad);         /* invalid: left out */
    eve_put_strn(o, "cut", "abcdef", 3, &bad);
    eve_put_str(o, "null", NULL, &bad);               /* nothing to write */
    eve_put_num(o, "int", 42.0, &bad);
    eve_put_num(o, "real", 0.5, &bad);
    eve_put_num(o, "huge", 1e300, &bad);
    eve_put_u64(o, "clamped", UINT64_MAX, &bad);
    struct xm_addr a;
    xm_addr_parse("192.0.2.7", &a);
    eve_put_addr(o, "ip", &a, &bad);
    eve_put_time(o, "ts", 0, &bad);
    CHECK(!bad);
    CHECK_STR(json_string_value(json_object_get(o, "ok")), "fine");
    CHECK(json_object_get(o, "skipped") == NULL);
    CHECK(json_object_get(o, "null") == NULL);
    CHECK_STR(json_string_value(json_object_get(o, "cut")), "abc");
    CHECK(json_is_integer(json_object_get(o, "int")));
    CHECK(json_is_real(json_object_get(o, "real")));
    CHECK(json_is_real(json_object_get(o, "huge")));
    CHECK(json_integer_value(json_object_get(o, "clamped")) == INT64_MAX);
    CHECK_STR(json_string_value(json_object_get(o, "ip")), "192.0.2.7");
    CHECK(json_string_value(json_object_get(o, "ts")) != NULL);
    /* A failed allocation (NULL value) is sticky. */
    eve_put(o, "failed", NULL, &bad);
    CHECK(bad);
    eve_put_str(o, "after", "x", &bad);
    CHECK(bad);
    json_t *arr = eve_arr(&bad);
    eve_append(arr, NULL, &bad);
    CHECK(json_array_size(arr) == 0);
    json_decref(arr);
    json_decref(o);
}

int main(void)
{
    test_utf8();
    test_put();
    return xm_test_result();
}
