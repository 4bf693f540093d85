/*
 * geo.c - GeoIP lookups over several MaxMind DB files with a bounded
 * per-address LRU cache.  See include/xm_geo.h for the contract.
 *
 * Cache: the base library's keyed table (xm_tab.h) keyed by address.
 * Eviction policy: when all cap entries are in use, the least recently
 * used entry is dropped and counted.
 */
#include "xm_geo.h"
#include "xm_tab.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define GEO_PATH_MAX 512

struct geo_ent {
    struct xm_tab_hdr h;      /* the key follows the header */
    struct xm_addr key;
    struct geo_result r;
};

struct geo {
    MMDB_s db[GEO_MAX_DBS];
    char path[GEO_MAX_DBS][GEO_PATH_MAX];
    unsigned ndb;

    struct xm_tab cache;      /* address -> result */
    struct geo_stats st;
};

struct geo *geo_new(uint32_t cache_cap, uint64_t seed)
{
    struct geo *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    uint32_t cap = cache_cap < 16 ? 16 : cache_cap;
    if (xm_tab_init(&g->cache, cap, sizeof(struct geo_ent), sizeof(struct xm_addr), seed) != 0) {
        geo_free(g);
        return NULL;
    }
    return g;
}

void geo_free(struct geo *g)
{
    if (!g)
        return;
    for (unsigned i = 0; i < g->ndb; i++)
        MMDB_close(&g->db[i]);
    xm_tab_free(&g->cache);
    free(g);
}

unsigned geo_db_count(const struct geo *g) { return g->ndb; }

const char *geo_db_path(const struct geo *g, unsigned i)
{
    return i < g->ndb ? g->path[i] : NULL;
}

const struct geo_stats *geo_get_stats(const struct geo *g) { return &g->st; }

/* ---- raw database lookups ------------------------------------------- */

/* Fills a sockaddr for libmaxminddb; returns its address family. */
static const struct sockaddr *geo_sockaddr(const struct xm_addr *a,
                                           struct sockaddr_in6 *s6,
                                           struct sockaddr_in *s4)
{
    if (a->family == 4) {
        memset(s4, 0, sizeof *s4);
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, a->b, 4);
        return (const struct sockaddr *)s4;
    }
    memset(s6, 0, sizeof *s6);
    s6->sin6_family = AF_INET6;
    memcpy(&s6->sin6_addr, a->b, 16);
    return (const struct sockaddr *)s6;
}

/* Copies a UTF-8 string value (not NUL-terminated in the db) into dst. */
static bool geo_get_str(MMDB_entry_s *e, char *dst, size_t dlen,
                        const char *const *path, int *err)
{
    MMDB_entry_data_s d;
    int rc = MMDB_aget_value(e, &d, path);
    if (rc != MMDB_SUCCESS) {
        if (rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
            *err = rc;
        return false;
    }
    if (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return false;
    size_t n = d.data_size < dlen - 1 ? d.data_size : dlen - 1;
    memcpy(dst, d.utf8_string, n);
    dst[n] = '\0';
    return n > 0;
}

static bool geo_get_u32(MMDB_entry_s *e, uint32_t *v, const char *const *path, int *err)
{
    MMDB_entry_data_s d;
    int rc = MMDB_aget_value(e, &d, path);
    if (rc != MMDB_SUCCESS) {
        if (rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
            *err = rc;
        return false;
    }
    if (!d.has_data)
        return false;
    if (d.type == MMDB_DATA_TYPE_UINT32)
        *v = d.uint32;
    else if (d.type == MMDB_DATA_TYPE_UINT16)
        *v = d.uint16;
    else
        return false;
    return true;
}

static const char *const geo_p_cc[] = {"country", "iso_code", NULL};
static const char *const geo_p_rcc[] = {"registered_country", "iso_code", NULL};
static const char *const geo_p_asn[] = {"autonomous_system_number", NULL};
static const char *const geo_p_org[] = {"autonomous_system_organization", NULL};

/* Fills the fields of r still empty from one database entry. */
static void geo_fill(MMDB_entry_s *e, struct geo_result *r, int *err)
{
    if (!r->country[0] && !geo_get_str(e, r->country, sizeof r->country, geo_p_cc, err))
        geo_get_str(e, r->country, sizeof r->country, geo_p_rcc, err);
    if (!r->asn)
        geo_get_u32(e, &r->asn, geo_p_asn, err);
    if (!r->org[0])
        geo_get_str(e, r->org, sizeof r->org, geo_p_org, err);
}

/* Looks a up in one database; returns an MMDB_* status (SUCCESS when
 * not found or when the address family does not fit the database). */
static int geo_db_lookup(MMDB_s *db, const struct xm_addr *a, struct geo_result *r)
{
    struct sockaddr_in6 s6;
    struct sockaddr_in s4;
    int err = MMDB_SUCCESS;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(db, geo_sockaddr(a, &s6, &s4), &err);
    if (err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
        return MMDB_SUCCESS;
    if (err != MMDB_SUCCESS || !res.found_entry)
        return err;
    geo_fill(&res.entry, r, &err);
    return err;
}

/* ---- opening -------------------------------------------------------- */

static void geo_err(char *err, size_t errlen, const char *path, int rc, int sys_errno)
{
    if (!err || !errlen)
        return;
    if (rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR)
        snprintf(err, errlen, "geoip: %s: %s (%s)", path, MMDB_strerror(rc),
                 strerror(sys_errno));
    else
        snprintf(err, errlen, "geoip: %s: %s", path, MMDB_strerror(rc));
}

/* Probe lookups that walk the tree and decode data, so a corrupt search
 * tree or data section is caught at open time and not on the packet path. */
static int geo_probe(MMDB_s *db)
{
    static const char *const probes[] = {"1.1.1.1", "8.8.8.8", "83.142.209.203",
        "192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "2a00:1450::1"};
    for (size_t i = 0; i < XM_ARRAY_LEN(probes); i++) {
        struct xm_addr a;
        struct geo_result r;
        memset(&r, 0, sizeof r);
        if (xm_addr_parse(probes[i], &a) != 0)
            continue;
        int rc = geo_db_lookup(db, &a, &r);
        if (rc != MMDB_SUCCESS)
            return rc;
    }
    return MMDB_SUCCESS;
}

int geo_open(struct geo *g, const char *path, char *err, size_t errlen)
{
    if (g->ndb >= GEO_MAX_DBS) {
        if (err && errlen)
            snprintf(err, errlen, "geoip: %s: too many databases (max %d)", path, GEO_MAX_DBS);
        return -1;
    }
    if (strlen(path) >= GEO_PATH_MAX) {
        if (err && errlen)
            snprintf(err, errlen, "geoip: path too long");
        return -1;
    }
    MMDB_s *db = &g->db[g->ndb];
    errno = 0;
    int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
    if (rc != MMDB_SUCCESS) {
        geo_err(err, errlen, path, rc, errno);
        return -1;
    }
    rc = geo_probe(db);
    if (rc != MMDB_SUCCESS) {
        MMDB_close(db);
        geo_err(err, errlen, path, rc, 0);
        return -1;
    }
    snprintf(g->path[g->ndb], GEO_PATH_MAX, "%s", path);
    g->ndb++;
    return 0;
}

static int geo_name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool geo_is_mmdb(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".mmdb") == 0;
}

/* Opens every *.mmdb of one directory in name order; a missing directory
 * is not an error.  Returns the number opened or -1. */
static int geo_open_dir(struct geo *g, const char *dir, char *err, size_t errlen)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, NULL);
    if (n < 0)
        return 0;
    const char *names[64];
    int nn = 0, opened = 0, rc = 0;
    for (int i = 0; i < n; i++)
        if (nn < 64 && geo_is_mmdb(ents[i]->d_name))
            names[nn++] = ents[i]->d_name;
    qsort(names, (size_t)nn, sizeof names[0], geo_name_cmp);
    for (int i = 0; i < nn && rc == 0; i++) {
        char path[GEO_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        rc = geo_open(g, path, err, errlen);
        opened += rc == 0;
    }
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    return rc ? -1 : opened;
}

int geo_open_default(struct geo *g, const char *datadir, char *err, size_t errlen)
{
    char own[GEO_PATH_MAX];
    const char *dirs[3] = {"/usr/share/GeoIP", "/var/lib/GeoIP", NULL};
    if (datadir) {
        snprintf(own, sizeof own, "%s/geoip", datadir);
        dirs[2] = own;
    }
    int total = 0;
    for (size_t i = 0; i < XM_ARRAY_LEN(dirs); i++) {
        if (!dirs[i])
            continue;
        int n = geo_open_dir(g, dirs[i], err, errlen);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

/* ---- cache ---------------------------------------------------------- */

static void geo_insert(struct geo *g, const struct xm_addr *a, const struct geo_result *r)
{
    bool created;
    struct geo_ent *e = xm_tab_upsert(&g->cache, a, &created);
    if (e)
        e->r = *r;
    g->st.evicted = g->cache.st.evicted;
}

static bool geo_known(const struct geo_result *r)
{
    return r->country[0] || r->asn || r->org[0];
}

bool geo_lookup(struct geo *g, const struct xm_addr *a, struct geo_result *out)
{
    g->st.lookups++;
    memset(out, 0, sizeof *out);
    if (a->family != 4 && a->family != 6)
        return false;
    if (g->ndb == 0) {                  /* nothing to find: no cache entry */
        g->st.misses++;
        g->st.not_found++;
        return false;
    }
    struct geo_ent *e = xm_tab_find(&g->cache, a);
    if (e) {
        g->st.hits++;
        xm_tab_touch(&g->cache, e);
        *out = e->r;
        return geo_known(out);
    }
    g->st.misses++;
    for (unsigned d = 0; d < g->ndb; d++)
        if (geo_db_lookup(&g->db[d], a, out) != MMDB_SUCCESS)
            g->st.db_errors++;
    if (!geo_known(out))
        g->st.not_found++;
    geo_insert(g, a, out);
    return geo_known(out);
}
