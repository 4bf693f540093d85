/*
 * test_geo.c - GeoIP lookups against the small MMDB files written by
 * tools/make_test_mmdb.pl (argv[1] = their directory, the build dir):
 * country + ASN from two databases, v4 and v6, the registered_country
 * fallback, the LRU cache and its counters, and the exact error text for
 * a missing file and for corrupt files (which this test writes itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "xm_geo.h"
#include "xm_test.h"

static char dir[512];

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static struct xm_addr addr(const char *s)
{
    struct xm_addr a;
    xm_addr_parse(s, &a);
    return a;
}

static void expect(struct geo *g, const char *ip, const char *cc, uint32_t asn, const char *org)
{
    struct geo_result r;
    struct xm_addr a = addr(ip);
    bool found = geo_lookup(g, &a, &r);
    CHECK(found == (cc[0] || asn || org[0]));
    CHECK_STR(r.country, cc);
    CHECK_EQ_U64(r.asn, asn);
    CHECK_STR(r.org, org);
}

static void test_lookups(void)
{
    char p1[600], p2[600], err[512];
    struct geo *g = geo_new(4, 17);
    CHECK(g != NULL);
    path_of(p1, sizeof p1, "test-country.mmdb");
    path_of(p2, sizeof p2, "test-asn.mmdb");
    CHECK_EQ_U64(geo_open(g, p1, err, sizeof err), 0);
    CHECK_EQ_U64(geo_open(g, p2, err, sizeof err), 0);
    CHECK_EQ_U64(geo_db_count(g), 2);
    CHECK_STR(geo_db_path(g, 1), p2);

    expect(g, "192.0.2.10", "DE", 64496, "Example Transit GmbH");
    expect(g, "198.51.100.200", "US", 0, "");       /* ASN only covers /121 low half */
    expect(g, "198.51.100.5", "US", 64500, "Doc Cloud Inc.");
    expect(g, "83.142.209.203", "NL", 64511, "Bulletproof Hosting B.V.");
    expect(g, "203.0.113.200", "KR", 0, "");        /* registered_country fallback */
    expect(g, "2001:db8::1", "FR", 64499, "IPv6 Documentation AS");
    expect(g, "2001:db8:1::99", "SE", 64499, "IPv6 Documentation AS");
    expect(g, "2001:db9::1", "", 0, "");
    expect(g, "8.8.8.8", "", 0, "");

    const struct geo_stats *st = geo_get_stats(g);
    CHECK_EQ_U64(st->lookups, 9);
    CHECK_EQ_U64(st->misses, 9);
    CHECK_EQ_U64(st->hits, 0);
    CHECK_EQ_U64(st->not_found, 2);
    CHECK_EQ_U64(st->evicted, 0);
    geo_free(g);
}

/* Cache: 16 entries (the minimum); repeated lookups hit, the 17th new
 * address evicts the least recently used one. */
static void test_cache(void)
{
    char p1[600], err[512];
    struct geo *g = geo_new(1, 17);
    path_of(p1, sizeof p1, "test-country.mmdb");
    CHECK_EQ_U64(geo_open(g, p1, err, sizeof err), 0);
    char ip[32];
    struct geo_result r;
    for (int i = 0; i < 16; i++) {
        snprintf(ip, sizeof ip, "192.0.2.%d", i);
        struct xm_addr a = addr(ip);
        geo_lookup(g, &a, &r);
    }
    struct xm_addr first = addr("192.0.2.0"), second = addr("192.0.2.1");
    CHECK(geo_lookup(g, &first, &r));            /* hit; 192.0.2.1 is now LRU */
    CHECK_STR(r.country, "DE");
    struct xm_addr extra = addr("198.51.100.1");
    CHECK(geo_lookup(g, &extra, &r));            /* evicts 192.0.2.1 */
    const struct geo_stats *st = geo_get_stats(g);
    CHECK_EQ_U64(st->hits, 1);
    CHECK_EQ_U64(st->misses, 17);
    CHECK_EQ_U64(st->evicted, 1);
    CHECK(geo_lookup(g, &first, &r));
    CHECK_EQ_U64(st->hits, 2);
    CHECK(geo_lookup(g, &second, &r));           /* evicted: a miss again */
    CHECK_EQ_U64(st->misses, 18);
    CHECK_STR(r.country, "DE");
    geo_free(g);
}

/* Writes len bytes of data to DIR/name. */
/* No database: nothing is found and nothing is cached (no lookup can
 * evict another); every lookup is counted as a miss not found. */
static void test_no_db(void)
{
    struct geo *g = geo_new(16, 1);
    struct geo_result r;
    struct xm_addr a;
    for (int i = 0; i < 100; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "198.51.100.%d", i);
        CHECK(xm_addr_parse(ip, &a) == 0);
        r.country[0] = 'x';
        CHECK(!geo_lookup(g, &a, &r));
        CHECK(r.country[0] == '\0' && r.asn == 0);
    }
    const struct geo_stats *st = geo_get_stats(g);
    CHECK_EQ_U64(st->lookups, 100);
    CHECK_EQ_U64(st->misses, 100);
    CHECK_EQ_U64(st->not_found, 100);
    CHECK_EQ_U64(st->hits, 0);
    CHECK_EQ_U64(st->evicted, 0);        /* 100 addresses, 16 slots: none cached */
    geo_free(g);
}

static void write_file(const char *name, const void *data, size_t len)
{
    char p[600];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(data, 1, len, f) == len);
        fclose(f);
    }
}

static unsigned char *read_file(const char *name, size_t *len)
{
    char p[600];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "rb");
    unsigned char *buf = malloc(1 << 20);
    *len = f && buf ? fread(buf, 1, 1 << 20, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

static void expect_open_err(const char *name, const char *msg_tail)
{
    char p[600], err[512], want[1200];
    struct geo *g = geo_new(16, 1);
    path_of(p, sizeof p, name);
    CHECK_EQ_U64(geo_open(g, p, err, sizeof err), -1);
    snprintf(want, sizeof want, "geoip: %s: %s", p, msg_tail);
    CHECK_STR(err, want);
    CHECK_EQ_U64(geo_db_count(g), 0);
    geo_free(g);
}

static void test_errors(void)
{
    expect_open_err("missing.mmdb",
                    "Error opening the specified MaxMind DB file (No such file or directory)");
    static const char garbage[] = "this is not a MaxMind database\n";
    write_file("corrupt-garbage.mmdb", garbage, sizeof garbage - 1);
    expect_open_err("corrupt-garbage.mmdb", "The MaxMind DB file contains invalid metadata");
    write_file("corrupt-empty.mmdb", "", 0);
    expect_open_err("corrupt-empty.mmdb",
                    "An attempt to read data from the MaxMind DB file failed (Invalid argument)");

    size_t len = 0;
    unsigned char *buf = read_file("test-country.mmdb", &len);
    CHECK(len > 1024);
    write_file("corrupt-truncated.mmdb", buf, len / 3);
    expect_open_err("corrupt-truncated.mmdb", "The MaxMind DB file contains invalid metadata");
    /* a valid metadata section over a search tree of all-ones records */
    memset(buf, 0xff, len / 4);
    write_file("corrupt-tree.mmdb", buf, len);
    expect_open_err("corrupt-tree.mmdb", "The MaxMind DB file's search tree is corrupt");
    free(buf);
}

/* Every .mmdb in DATADIR/geoip is found by geo_open_default. */
static void test_default_dirs(void)
{
    char sub[600], err[512];
    path_of(sub, sizeof sub, "datadir");
    mkdir(sub, 0755);
    path_of(sub, sizeof sub, "datadir/geoip");
    mkdir(sub, 0755);
    size_t len = 0;
    unsigned char *buf = read_file("test-asn.mmdb", &len);
    write_file("datadir/geoip/zz-asn.mmdb", buf, len);
    free(buf);
    struct geo *g = geo_new(16, 1);
    path_of(sub, sizeof sub, "datadir");
    int n = geo_open_default(g, sub, err, sizeof err);
    CHECK(n >= 1);
    CHECK(n >= 1 && strstr(geo_db_path(g, (unsigned)n - 1), "datadir/geoip/zz-asn.mmdb") != NULL);
    geo_free(g);
}

/* The default country database built from tor-geoipdb (optional argv[2]). */
static void test_tor_db(const char *path)
{
    char err[512];
    struct geo *g = geo_new(16, 1);
    CHECK_EQ_U64(geo_open(g, path, err, sizeof err), 0);
    expect(g, "1.0.0.1", "AU", 0, "");
    expect(g, "8.8.8.8", "US", 0, "");
    expect(g, "::ffff:1.0.0.1", "AU", 0, "");   /* IPv4-mapped alias */
    expect(g, "10.1.2.3", "", 0, "");           /* reserved ranges are left out */
    geo_free(g);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_geo MMDB_DIR\n");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    test_lookups();
    test_cache();
    test_no_db();
    test_errors();
    test_default_dirs();
    if (argc > 2)
        test_tor_db(argv[2]);
    return xm_test_result();
}
