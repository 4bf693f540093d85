/*
 * evew.c - the EVE writer's helpers (include/xm_evew.h): one
 * out-of-memory policy (sticky flag) and one UTF-8 policy (invalid
 * strings are left out) for every record.
 */
#include "xm_evew.h"

#include <math.h>
#include <string.h>

/* Length of the UTF-8 sequence starting with byte c, 0 if c cannot
 * start one (continuation byte, 0xC0/0xC1 overlong, above 0xF4). */
static size_t utf8_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return 2;
    if (c < 0xF0)
        return 3;
    return c < 0xF5 ? 4 : 0;
}

/* The code point of a sequence of n bytes (n 2..4), or -1 when a
 * continuation byte is wrong or the form is overlong, a surrogate or
 * above U+10FFFF. */
static long utf8_cp(const unsigned char *p, size_t n)
{
    static const long min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    long v = p[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min_cp[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return -1;
    return v;
}

bool eve_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t len = utf8_len(p[i]);
        if (len == 0 || len > n - i || (len > 1 && utf8_cp(p + i, len) < 0))
            return false;
        i += len;
    }
    return true;
}

json_t *eve_obj(bool *bad)
{
    json_t *o = json_object();
    if (!o)
        *bad = true;
    return o;
}

json_t *eve_arr(bool *bad)
{
    json_t *a = json_array();
    if (!a)
        *bad = true;
    return a;
}

void eve_put(json_t *o, const char *key, json_t *v, bool *bad)
{
    if (!o || !v || json_object_set_new(o, key, v) != 0)
        *bad = true;
}

void eve_append(json_t *a, json_t *v, bool *bad)
{
    if (!a || !v || json_array_append_new(a, v) != 0)
        *bad = true;
}

json_t *eve_strn(const char *s, size_t n, bool *bad)
{
    if (!s || !eve_utf8_valid(s, n))
        return NULL;
    json_t *v = json_stringn_nocheck(s, n);
    if (!v)
        *bad = true;
    return v;
}

json_t *eve_str(const char *s, bool *bad)
{
    return s ? eve_strn(s, strlen(s), bad) : NULL;
}

void eve_put_strn(json_t *o, const char *key, const char *s, size_t n, bool *bad)
{
    json_t *v = eve_strn(s, n, bad);
    if (v)
        eve_put(o, key, v, bad);
}

void eve_put_str(json_t *o, const char *key, const char *s, bool *bad)
{
    if (s)
        eve_put_strn(o, key, s, strlen(s), bad);
}

void eve_put_int(json_t *o, const char *key, json_int_t v, bool *bad)
{
    eve_put(o, key, json_integer(v), bad);
}

void eve_put_u64(json_t *o, const char *key, uint64_t v, bool *bad)
{
    eve_put_int(o, key, v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v, bad);
}

void eve_put_bool(json_t *o, const char *key, bool v, bool *bad)
{
    eve_put(o, key, json_boolean(v), bad);
}

void eve_put_real(json_t *o, const char *key, double v, bool *bad)
{
    eve_put(o, key, json_real(v), bad);
}

json_t *eve_num(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

void eve_put_num(json_t *o, const char *key, double v, bool *bad)
{
    eve_put(o, key, eve_num(v), bad);
}

void eve_put_addr(json_t *o, const char *key, const struct xm_addr *a, bool *bad)
{
    char buf[64];
    eve_put_str(o, key, xm_addr_str(a, buf, sizeof buf), bad);
}

void eve_put_time(json_t *o, const char *key, xm_time_t t, bool *bad)
{
    char buf[40];
    eve_put_str(o, key, xm_time_iso(t, buf, sizeof buf), bad);
}

static char sensor_name[EVE_SENSOR_MAX + 1];

int eve_set_sensor_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n > EVE_SENSOR_MAX || !eve_utf8_valid(name ? name : "", n))
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return -1;
    memcpy(sensor_name, name ? name : "", n + 1);
    return 0;
}

const char *eve_sensor_name(void)
{
    return sensor_name[0] ? sensor_name : NULL;
}

void eve_put_sensor(json_t *o, bool *bad)
{
    if (sensor_name[0])
        eve_put_str(o, "host", sensor_name, bad);
}
