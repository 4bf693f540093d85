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

#endif
