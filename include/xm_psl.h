/*
 * xm_psl.h - registrable domains (eTLD+1) through libpsl (lib/psl.c).
 *
 * Ownership: regdom_open() returns a handle the caller owns and closes
 * with regdom_close(); the handle owns the loaded list.  Lookups do not
 * allocate and keep no pointer to the caller's string.  Called once per
 * interned name (analysis/intel/names.c caches), never per packet.
 */
#ifndef XM_PSL_H
#define XM_PSL_H

#include "xm_common.h"

struct regdom;
/* path NULL: the newest of the system PSL (/usr/share/publicsuffix) and
 * libpsl's built-in list.  Returns NULL when nothing could be loaded. */
struct regdom *regdom_open(const char *path);
void regdom_close(struct regdom *rd);
/* Offset of the registrable domain (eTLD+1) inside `lower` (a lower-case
 * NUL-terminated name), or -1 when it has none (a public suffix itself,
 * an address literal, empty). */
int regdom_offset(const struct regdom *rd, const char *lower);
/* libpsl's registrable domain of name as is (a pointer into name, or
 * NULL): no address-literal check, unlike regdom_offset(). */
const char *regdom_of(const struct regdom *rd, const char *name);

#endif
