/*
 * xm_evew.h - the EVE writer's helpers (lib/evew.c): the one set of
 * functions every EVE record is built with (flow records, alerts and
 * anything later), so all records share one policy:
 *
 *  - Out of memory: every eve_put* / eve_append records a failed
 *    allocation in the caller's sticky flag *bad and carries on; the
 *    record builder checks the flag once at the end and returns NULL
 *    (the record is dropped whole, never written half-built).
 *  - UTF-8: a string value that is not valid UTF-8 (RFC 3629: no
 *    overlong forms, no surrogates, nothing above U+10FFFF) is left out:
 *    the key is absent (an array element is skipped).  That is not a
 *    failure: strings from packets and rule files may be anything.
 *  - Numbers: eve_put_u64 clamps to INT64_MAX; eve_put_num writes an
 *    integer when the value is exact (|v| < 2^53), else a real.
 *
 * Ownership: eve_put and eve_append take the reference v (also on
 * failure); the others copy their arguments.  Nothing is kept.
 */
#ifndef XM_EVEW_H
#define XM_EVEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xm_common.h"

/* Contract version of every EVE record exfilmon writes ("schema_version").
 * Bump the minor for added fields, the major for renamed/removed ones. */
#define XM_SCHEMA_VERSION "2.1"

/* Sensor name written as "host" in every record (Suricata's EVE
 * sensor-name): at most EVE_SENSOR_MAX bytes, no control characters.
 * Set once at start-up (--sensor, config `sensor`, default the host name);
 * NULL or "" leaves "host" out.  Returns 0, -1 when the name is refused
 * (the previous name is kept).  Process-wide state (one sensor per
 * process), written only at start-up, before any record is built. */
#define EVE_SENSOR_MAX 255
int eve_set_sensor_name(const char *name);
/* The name set above, or NULL when none. */
const char *eve_sensor_name(void);
/* Adds "host": sensor name to o (nothing when none is set). */
void eve_put_sensor(json_t *o, bool *bad);

bool eve_utf8_valid(const char *s, size_t n);

/* A new object / array, or NULL with *bad set. */
json_t *eve_obj(bool *bad);
json_t *eve_arr(bool *bad);

/* Sets o[key] = v (v NULL means its allocation failed). */
void eve_put(json_t *o, const char *key, json_t *v, bool *bad);
/* Appends v to the array a (v NULL means its allocation failed). */
void eve_append(json_t *a, json_t *v, bool *bad);

/* A string value, or NULL: *bad set on allocation failure, not set when
 * s is not valid UTF-8 (the caller then leaves the value out). */
json_t *eve_strn(const char *s, size_t n, bool *bad);
json_t *eve_str(const char *s, bool *bad);

void eve_put_str(json_t *o, const char *key, const char *s, bool *bad);
void eve_put_strn(json_t *o, const char *key, const char *s, size_t n, bool *bad);
void eve_put_int(json_t *o, const char *key, json_int_t v, bool *bad);
void eve_put_u64(json_t *o, const char *key, uint64_t v, bool *bad);
void eve_put_bool(json_t *o, const char *key, bool v, bool *bad);
void eve_put_real(json_t *o, const char *key, double v, bool *bad);
void eve_put_num(json_t *o, const char *key, double v, bool *bad);
json_t *eve_num(double v);
/* Address text (xm_addr_str) and packet time as ISO 8601 UTC. */
void eve_put_addr(json_t *o, const char *key, const struct xm_addr *a, bool *bad);
void eve_put_time(json_t *o, const char *key, xm_time_t t, bool *bad);

/* ---- the streaming writer (lib/evew_stream.c) -------------------------
 *
 * Writes one record's JSON text straight into a reusable buffer, with no
 * object tree: the bytes are those json_dumpb(JSON_COMPACT) would give for
 * the same keys in the same order (jansson 2.14: objects keep insertion
 * order; strings escape '"', '\\', \b \f \n \r \t and other bytes
 * below 0x20 as \u00XX, UTF-8 passes through; reals as jansson's
 * "%.17g" form, see evew_real).  The same policies as the helpers above:
 * a string that is not valid UTF-8 is left out with its key (an array
 * element is skipped); a number clamps as eve_put_u64 / eve_put_num.
 *
 * Use: evew_init once, then per record evew_reset, evew_obj_begin, keys
 * and values, evew_obj_end, evew_text.  A key is held (the pointer, not
 * a copy: pass literals or strings that outlive the next call) and
 * written with the value that follows it, so a left-out value takes its
 * key with it.  Callers never repeat a key in one object.
 *
 * Outcomes are sticky (the first one stays; later calls do nothing):
 * EVEW_FULL when the record would pass the bound given to evew_init
 * (nothing is written half: evew_text returns NULL), EVEW_NOMEM when the
 * buffer could not grow, EVEW_BAD for a non-finite real (jansson refuses
 * those: json_real() returns NULL) or unbalanced / too deep nesting.
 *
 * Ownership: struct evew owns its buffer (evew_free releases it); the text
 * from evew_text stays valid until the next call on the writer.  Not
 * thread-safe: one writer per thread. */
#define EVEW_MAX_DEPTH 32

enum evew_err { EVEW_OK, EVEW_FULL, EVEW_NOMEM, EVEW_BAD };

struct evew {
    char *p;              /* text, cap bytes (owned) */
    size_t len, cap, max; /* bytes written, allocated, allowed */
    size_t cap0;          /* first allocation */
    const char *key;      /* pending key, written with the next value */
    size_t klen;          /* its length (strlen(key)) */
    uint64_t more;        /* bit d: container at depth d has an item */
    unsigned depth;       /* open containers */
    enum evew_err err;
};

/* Empty writer growing from cap0 bytes up to max bytes (a record longer
 * than max is EVEW_FULL).  No allocation until the first write. */
void evew_init(struct evew *w, size_t cap0, size_t max);
void evew_free(struct evew *w);
/* Forgets the text and the outcome; keeps the buffer. */
void evew_reset(struct evew *w);
enum evew_err evew_error(const struct evew *w);
/* The whole record (NUL-terminated, *n bytes without the NUL), or NULL
 * when an outcome other than EVEW_OK happened or containers are open. */
const char *evew_text(struct evew *w, size_t *n);

/* The key of the next value, klen = strlen(key) (the inline form lets the
 * compiler count a literal key's bytes once, at compile time). */
static inline void evew_keyn(struct evew *w, const char *key, size_t klen)
{
    w->key = key;
    w->klen = klen;
}

static inline void evew_key(struct evew *w, const char *key)
{
    evew_keyn(w, key, strlen(key));
}
void evew_obj_begin(struct evew *w);
void evew_obj_end(struct evew *w);
void evew_arr_begin(struct evew *w);
void evew_arr_end(struct evew *w);
void evew_strn(struct evew *w, const char *s, size_t n);
/* NULL: left out (inline so that a literal's length is known at compile time). */
static inline void evew_str(struct evew *w, const char *s)
{
    if (!s)
        w->key = NULL;
    else
        evew_strn(w, s, strlen(s));
}
void evew_int(struct evew *w, int64_t v);
void evew_u64(struct evew *w, uint64_t v);       /* clamped to INT64_MAX */
void evew_bool(struct evew *w, bool v);
void evew_null(struct evew *w);
/* A real as jansson dumps it: "%.17g", ".0" added when the text has
 * neither '.' nor 'e', the exponent without '+' or leading zeros. */
void evew_real(struct evew *w, double v);
/* eve_num's rule: an integer when exact (|v| < 2^53), else a real. */
void evew_num(struct evew *w, double v);
/* A jansson value of any type, dumped in place (json_dumpb, JSON_COMPACT). */
void evew_json(struct evew *w, const json_t *v);
/* Every member of the jansson object o, in its order, as members of the
 * object being written (o NULL or empty: nothing). */
void evew_members(struct evew *w, const json_t *o);

/* key + value in one call (the helpers records are mostly built with;
 * inline so that literal keys are measured at compile time). */
static inline void evew_kstr(struct evew *w, const char *key, const char *s)
{
    evew_key(w, key);
    evew_str(w, s);
}

static inline void evew_kint(struct evew *w, const char *key, int64_t v)
{
    evew_key(w, key);
    evew_int(w, v);
}

static inline void evew_ku64(struct evew *w, const char *key, uint64_t v)
{
    evew_key(w, key);
    evew_u64(w, v);
}

static inline void evew_kbool(struct evew *w, const char *key, bool v)
{
    evew_key(w, key);
    evew_bool(w, v);
}

/* key: s, or key: null when s is NULL (a string that is not valid UTF-8
 * is left out with its key, as json_string would fail). */
static inline void evew_kstr_or_null(struct evew *w, const char *key, const char *s)
{
    evew_key(w, key);
    if (s)
        evew_str(w, s);
    else
        evew_null(w);
}

void evew_kaddr(struct evew *w, const char *key, const struct xm_addr *a);
void evew_ktime(struct evew *w, const char *key, xm_time_t t);
/* "host": the sensor name, when one is set. */
void evew_sensor(struct evew *w);

#endif
