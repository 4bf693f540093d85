/*
 * xm_glob.h - the one glob matcher (lib/glob.c).
 *
 * '*' matches any run of bytes (also empty), '?' exactly one byte,
 * every other byte itself, ASCII case-insensitively.  Pattern and
 * subject are counted byte strings (no NUL needed).  Iterative with one
 * backtrack point: O(pattern * subject) at worst, no recursion, no
 * allocation.  Pure function; thread-safe.
 */
#ifndef XM_GLOB_H
#define XM_GLOB_H

#include "xm_common.h"

bool xm_glob(const char *pat, size_t pn, const char *s, size_t sn);

#endif
