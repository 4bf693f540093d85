/*
 * test_evew.c - the EVE writer's helpers (lib/evew.c): the UTF-8 check
 * agrees with jansson's on every case, invalid strings are left out
 * without failing the record, numbers are integers only when exact, and
 * a failure is sticky.  The streaming writer (lib/evew_stream.c) writes
 * exactly the text jansson's json_dumpb(JSON_COMPACT) writes for the same
 * record: strings with every control byte, invalid UTF-8 (left out with
 * its key, as eve_put_strn), integers at the ends of their range, reals
 * (random bit patterns included), nesting, and its bound.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

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

/* Deterministic generator (xorshift64*), so a failure repeats. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

/* Compares w's record with jansson's dump of o (then frees o). */
static void check_same(struct evew *w, json_t *o, const char *what)
{
    size_t n = 0;
    const char *s = evew_text(w, &n);
    char *j = json_dumps(o, JSON_COMPACT);
    bool same = s && j && strlen(j) == n && memcmp(s, j, n) == 0;
    if (!same)
        fprintf(stderr, "%s: writer %s\n  jansson %s\n", what, s ? s : "(null)",
                j ? j : "(null)");
    CHECK(same);
    free(j);
    json_decref(o);
}

/* One string of random length from bytes that stress escaping and UTF-8
 * (controls, quote, backslash, DEL, lead and continuation bytes). */
static size_t random_string(char *s, size_t cap)
{
    static const unsigned char pick[] = {0, 1, 8, 9, 10, 12, 13, 0x1f, ' ', '"', '\\', '/',
                                         'a', 0x7f, 0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x82,
                                         0xac, 0xed, 0xa0, 0xf0, 0x9f, 0x98, 0xf4, 0xff};
    size_t n = rng() % cap;
    for (size_t i = 0; i < n; i++)
        s[i] = rng() % 3 ? (char)(0x20 + rng() % 0x60) : (char)pick[rng() % sizeof pick];
    return n;
}

/* Random strings as values and array elements: invalid ones are left
 * out (key and all) exactly as eve_put_strn leaves them out. */
static void test_stream_strings(void)
{
    struct evew w;
    evew_init(&w, 64, 1u << 20);
    for (int round = 0; round < 2000; round++) {
        char s[3][40];
        size_t n[3];
        bool bad = false;
        json_t *o = json_object(), *a = json_array();
        evew_reset(&w);
        evew_obj_begin(&w);
        for (int i = 0; i < 3; i++) {
            static const char *const keys[] = {"k0", "k\"1\n", "k2"};
            n[i] = random_string(s[i], sizeof s[i]);
            evew_key(&w, keys[i]);
            evew_strn(&w, s[i], n[i]);
            eve_put_strn(o, keys[i], s[i], n[i], &bad);
        }
        evew_key(&w, "arr");
        evew_arr_begin(&w);
        for (int i = 0; i < 3; i++) {
            evew_strn(&w, s[i], n[i]);
            json_t *v = eve_strn(s[i], n[i], &bad);
            if (v)
                eve_append(a, v, &bad);
        }
        evew_arr_end(&w);
        evew_obj_end(&w);
        eve_put(o, "arr", a, &bad);
        CHECK(!bad);
        check_same(&w, o, "strings");
    }
    /* every byte at every position of a 17-byte plain string (the
     * word-at-a-time scan and its byte-wise tail), as a value, and as a
     * key where jansson takes the key (ASCII, no NUL) */
    for (unsigned pos = 0; pos < 17; pos++)
        for (unsigned c = 0; c < 256; c++) {
            char v[18];
            memset(v, 'a' + (char)(pos % 26), sizeof v);
            v[pos] = (char)c;
            v[17] = '\0';
            bool bad = false, key_ok = c > 0 && c < 0x80;
            json_t *o = json_object();
            evew_reset(&w);
            evew_obj_begin(&w);
            evew_key(&w, key_ok ? v : "k");
            evew_strn(&w, v, 17);
            evew_obj_end(&w);
            eve_put_strn(o, key_ok ? v : "k", v, 17, &bad);
            CHECK(!bad);
            check_same(&w, o, "byte at position");
        }
    /* every single byte, alone */
    for (unsigned c = 0; c < 256; c++) {
        char b = (char)c;
        bool bad = false;
        json_t *o = json_object();
        evew_reset(&w);
        evew_obj_begin(&w);
        evew_key(&w, "b");
        evew_strn(&w, &b, 1);
        evew_obj_end(&w);
        eve_put_strn(o, "b", &b, 1, &bad);
        check_same(&w, o, "byte");
    }
    evew_free(&w);
}

/* Integers at the ends of their range and random reals, as values. */
static void test_stream_numbers(void)
{
    static const int64_t ints[] = {0, 1, -1, 9, 10, -10, 255, 65535, INT32_MAX, INT32_MIN,
                                   INT64_MAX, INT64_MIN, INT64_MIN + 1, 9007199254740993};
    static const double reals[] = {0.0, -0.0, 0.5, 0.1, 1.0 / 3, 1e300, 1e-300, 1e21, 1e22,
                                   123456789012345678.0, 5e-324, DBL_MAX, -DBL_MAX, 1e-5,
                                   1e-4, 1e16, 1e17, 2.5e-7, 3.0, -7.0};
    struct evew w;
    evew_init(&w, 16, 1u << 20);
    for (size_t i = 0; i < XM_ARRAY_LEN(ints); i++) {
        evew_reset(&w);
        evew_arr_begin(&w);
        evew_int(&w, ints[i]);
        evew_u64(&w, (uint64_t)ints[i]);
        evew_arr_end(&w);
        json_t *a = json_array();
        json_array_append_new(a, json_integer(ints[i]));
        json_array_append_new(a, json_integer((uint64_t)ints[i] > INT64_MAX ? INT64_MAX
                                                                           : ints[i]));
        check_same(&w, a, "integer");
    }
    for (size_t i = 0; i < XM_ARRAY_LEN(reals) + 20000; i++) {
        double v = reals[i % XM_ARRAY_LEN(reals)];
        if (i >= XM_ARRAY_LEN(reals)) {
            uint64_t bits = rng();
            memcpy(&v, &bits, sizeof v);
            if (!isfinite(v))
                continue;
        }
        evew_reset(&w);
        evew_arr_begin(&w);
        evew_real(&w, v);
        evew_num(&w, v);
        evew_arr_end(&w);
        json_t *a = json_array();
        json_array_append_new(a, json_real(v));
        json_array_append_new(a, eve_num(v));
        check_same(&w, a, "real");
    }
    evew_free(&w);
}

/* Nesting, empty containers, jansson values and members copied in. */
static void test_stream_nesting(void)
{
    struct evew w;
    evew_init(&w, 16, 1u << 20);
    json_t *extra = json_pack("{s:{s:[i,s,b]},s:s,s:[]}", "app", "x", 1, "y", 1, "n",
                              "v\t", "e");
    evew_obj_begin(&w);
    evew_key(&w, "empty");
    evew_obj_begin(&w);
    evew_obj_end(&w);
    evew_key(&w, "ea");
    evew_arr_begin(&w);
    evew_arr_end(&w);
    evew_key(&w, "deep");
    evew_arr_begin(&w);
    evew_obj_begin(&w);
    evew_kbool(&w, "t", true);
    evew_kbool(&w, "f", false);
    evew_obj_end(&w);
    evew_arr_begin(&w);
    evew_arr_end(&w);
    evew_arr_end(&w);
    evew_kstr(&w, "gone", NULL);
    evew_kstr(&w, "bad", "\xc0\xaf");
    evew_members(&w, extra);
    evew_obj_end(&w);
    json_t *o = json_pack("{s:{},s:[],s:[{s:b,s:b},[]]}", "empty", "ea", "deep", "t", 1,
                          "f", 0);
    json_object_update(o, extra);
    json_decref(extra);
    check_same(&w, o, "nesting");
    evew_free(&w);
}

/* One random record for test_stream_fast: 7 members, even ones
 * integers, odd ones strings. */
struct fast_rec {
    char key[7][48];
    char v[7][40];
    size_t n[7];
    int64_t x[7];
};

static void fast_rec_make(struct fast_rec *r, int round)
{
    static const char *const keys[] = {"a", "src_ip", "k\"q", "t\tab", "\xc3\xa9", "",
                                       "long_key_name_that_is_plain_ascii"};
    for (int i = 0; i < 7; i++) {
        const char *k = keys[(size_t)(round + i) % XM_ARRAY_LEN(keys)];
        snprintf(r->key[i], sizeof r->key[i], "%s%d", k, i);   /* unique per object */
        r->n[i] = rng() % sizeof r->v[i];
        for (size_t j = 0; j < r->n[i]; j++)
            r->v[i][j] = (char)(0x20 + rng() % 0x5f);
        if (r->n[i] && rng() % 4 == 0)
            r->v[i][r->n[i] - 1] = "\"\\\n\x7f\x01"[rng() % 5];
        r->x[i] = (int64_t)(rng() >> (rng() % 64));
        if (rng() % 2)
            r->x[i] = -r->x[i];
    }
}

static void fast_rec_write(struct evew *w, const struct fast_rec *r)
{
    evew_obj_begin(w);
    for (int i = 0; i < 7; i++) {
        evew_key(w, r->key[i]);
        if (i % 2)
            evew_strn(w, r->v[i], r->n[i]);
        else
            evew_int(w, r->x[i]);
    }
    evew_obj_end(w);
}

/* The fast paths (plain-ASCII keys and strings in one reservation,
 * integers two digits at a time) against jansson: integers of every
 * length and sign, keys that need escaping mixed with plain ones, values
 * that are plain up to their last byte, from a 16-byte first buffer so
 * the buffer grows in the middle of a value; and the bound at every
 * size: a record is either whole and right or refused (EVEW_FULL). */
static void test_stream_fast(void)
{
    struct evew w;
    for (int round = 0; round < 3000; round++) {
        struct fast_rec r;
        fast_rec_make(&r, round);
        json_t *o = json_object();
        bool bad = false;
        for (int i = 0; i < 7; i++) {
            if (i % 2)
                eve_put_strn(o, r.key[i], r.v[i], r.n[i], &bad);
            else
                eve_put_int(o, r.key[i], r.x[i], &bad);
        }
        CHECK(!bad);
        evew_init(&w, 16, 1u << 20);
        fast_rec_write(&w, &r);
        size_t full = 0;
        const char *t = evew_text(&w, &full);
        char *copy = t ? strndup(t, full) : NULL;
        check_same(&w, o, "fast");
        evew_free(&w);
        /* the same record under a bound: whole or refused, never cut */
        size_t max = 16 + rng() % (full + 8), n2 = 0;
        evew_init(&w, 16, max);
        fast_rec_write(&w, &r);
        const char *t2 = evew_text(&w, &n2);
        CHECK(t2 ? (full < max && n2 == full && copy && memcmp(t2, copy, n2) == 0)
                 : (evew_error(&w) == EVEW_FULL && full >= max));
        free(copy);
        evew_free(&w);
    }
}

/* Outcomes: the bound, unbalanced containers, non-finite reals; all
 * sticky until evew_reset. */
static void test_stream_outcomes(void)
{
    struct evew w;
    size_t n;
    evew_init(&w, 16, 64);
    evew_obj_begin(&w);
    for (int i = 0; i < 20; i++)
        evew_kstr(&w, "key", "value");
    evew_obj_end(&w);
    CHECK(evew_error(&w) == EVEW_FULL);
    CHECK(evew_text(&w, &n) == NULL);
    evew_reset(&w);
    evew_obj_begin(&w);
    evew_kstr(&w, "key", "value");
    evew_obj_end(&w);
    CHECK(evew_text(&w, &n) != NULL && n == 15);
    evew_reset(&w);
    evew_obj_begin(&w);
    CHECK(evew_text(&w, &n) == NULL && evew_error(&w) == EVEW_BAD);    /* still open */
    evew_reset(&w);
    evew_obj_end(&w);
    CHECK(evew_error(&w) == EVEW_BAD);                                 /* nothing open */
    evew_reset(&w);
    evew_arr_begin(&w);
    evew_real(&w, NAN);
    evew_arr_end(&w);
    CHECK(evew_error(&w) == EVEW_BAD && json_real(NAN) == NULL);
    evew_reset(&w);
    for (int i = 0; i < EVEW_MAX_DEPTH + 2; i++)
        evew_arr_begin(&w);
    CHECK(evew_error(&w) == EVEW_BAD);
    evew_free(&w);
}

int main(void)
{
    test_utf8();
    test_put();
    test_stream_strings();
    test_stream_numbers();
    test_stream_nesting();
    test_stream_fast();
    test_stream_outcomes();
    return xm_test_result();
}
