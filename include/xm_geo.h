/*
 * xm_geo.h - GeoIP: country, ASN and AS organisation of an address, from
 * one or more MaxMind DB files (analysis/intel/geo.c, libmaxminddb).
 *
 * Ownership: struct geo owns the opened databases and the result cache;
 * geo_free() releases both.  Results are copied into caller storage
 * (struct geo_result), so nothing returned points into the databases.
 *
 * Databases: several at once (GeoLite2-Country/City/ASN, DB-IP lite, the
 * exfilmon default built by tools/build_geoip_mmdb.pl, ...).  For every
 * field the first opened database that has it wins, so open the user's
 * databases (--geoip) before the defaults.  Layouts read:
 *   country.iso_code, else registered_country.iso_code      -> country
 *   autonomous_system_number / autonomous_system_organization -> asn/org
 *
 * Errors: geo_open() and geo_open_default() never abort; on failure they
 * write "geoip: PATH: <libmaxminddb error string>" (plus the errno text
 * for I/O errors) into err.  A database that opens but whose search tree
 * or data section is corrupt is rejected by a probe lookup at open time.
 *
 * Cache: one entry per remote address, LRU eviction when the cap is hit
 * (counted in geo_stats.evicted).  The pipeline calls geo_lookup() once
 * per NEW flow, never per packet; a cache hit costs one hash probe.
 * Reload: build a new struct geo and swap it in; a failed open leaves the
 * old one untouched.
 */
#ifndef XM_GEO_H
#define XM_GEO_H

#include "xm_common.h"

#define GEO_MAX_DBS 8
#define GEO_ORG_LEN 64

struct geo_result {
    char country[3];        /* ISO 3166-1 alpha-2, "" when unknown */
    uint32_t asn;           /* 0 when unknown */
    char org[GEO_ORG_LEN];  /* AS organisation, UTF-8, truncated, "" unknown */
};

struct geo_stats {
    uint64_t lookups;       /* geo_lookup calls */
    uint64_t hits, misses;  /* cache outcome */
    uint64_t evicted;       /* LRU entries dropped for new ones */
    uint64_t db_errors;     /* libmaxminddb errors while looking up */
    uint64_t not_found;     /* addresses no database knew (any field) */
};

struct geo;

/* Allocates an empty resolver whose cache holds cache_cap addresses
 * (minimum 16).  seed: xm_hash_random_seed() at start-up.  NULL on OOM. */
struct geo *geo_new(uint32_t cache_cap, uint64_t seed);
void geo_free(struct geo *g);

/* Opens one database and appends it.  0 on success, -1 with err set. */
int geo_open(struct geo *g, const char *path, char *err, size_t errlen);

/*
 * Opens every *.mmdb in /usr/share/GeoIP, /var/lib/GeoIP and
 * <datadir>/geoip (datadir may be NULL), sorted by name per directory.
 * Returns the number opened (0 is fine: geo stays empty) or -1 when a
 * file was found but could not be opened (err names it).
 */
int geo_open_default(struct geo *g, const char *datadir, char *err, size_t errlen);

/* Number of open databases, and the path of the i-th. */
unsigned geo_db_count(const struct geo *g);
const char *geo_db_path(const struct geo *g, unsigned i);

/*
 * Looks the address up (cache first).  Fills *out (zeroed when nothing
 * is known) and returns true when any field was found.  Never fails
 * hard: database errors count in db_errors and yield "unknown".
 */
bool geo_lookup(struct geo *g, const struct xm_addr *a, struct geo_result *out);

const struct geo_stats *geo_get_stats(const struct geo *g);

#endif
