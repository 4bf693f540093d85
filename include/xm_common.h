/*
 * xm_common.h - types shared by every exfilmon module.
 *
 * Ownership: plain value types only; nothing here allocates.
 * Time: xm_time_t is packet time in MICROSECONDS since the Unix epoch
 * (UTC).  In replay it is the pcap record time; live it is the kernel
 * capture time.  No module reads the wall clock on the packet path.
 */
#ifndef XM_COMMON_H
#define XM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef int64_t xm_time_t;              /* microseconds since epoch */
#define XM_USEC_PER_SEC INT64_C(1000000)
#define XM_SEC(s) ((xm_time_t)(s) * XM_USEC_PER_SEC)

#define XM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define XM_UNUSED(x) ((void)(x))

/*
 * An IP address.  IPv4 uses bytes b[0..3] (network order) and leaves
 * b[4..15] zero; IPv6 uses all 16 bytes (network order).  family is
 * 4 or 6; a zeroed struct (family 0) means "no address".
 * Two addresses are equal iff memcmp of the whole struct is 0, so always
 * zero the struct before filling it.
 */
struct xm_addr {
    uint8_t b[16];
    uint8_t family;
    uint8_t pad_[3];
};

static inline int xm_addr_cmp(const struct xm_addr *a, const struct xm_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->b, b->b, a->family == 4 ? 4 : 16);
}

/* Writes the textual form (inet_ntop style) into buf; returns buf. */
const char *xm_addr_str(const struct xm_addr *a, char *buf, size_t len);
/* The same text into buf (XM_ADDR_TEXT_MAX bytes, NUL-terminated);
 * returns its length (0 for family 0). */
#define XM_ADDR_TEXT_MAX 64
size_t xm_addr_text(const struct xm_addr *a, char buf[XM_ADDR_TEXT_MAX]);
/* Parses "1.2.3.4" or "2001:db8::1"; returns 0 on success, -1 otherwise. */
int xm_addr_parse(const char *s, struct xm_addr *out);

/*
 * Seeded 64-bit hash of len bytes (not cryptographic; fast, good
 * avalanche).  Tables hash with a seed drawn at start-up so an attacker
 * cannot aim collisions; anything PRINTED must use XM_HASH_FIXED_SEED so
 * output stays deterministic.
 */
#define XM_HASH_FIXED_SEED UINT64_C(0x6578666966696c6d) /* "exfilfilm" */
uint64_t xm_hash(const void *data, size_t len, uint64_t seed);
/* Draws a random seed from getrandom(); start-up only. */
uint64_t xm_hash_random_seed(void);

/* ISO 8601 with microseconds and UTC offset, as EVE writes it:
 * "2026-03-24T10:11:12.123456+0000".  buf needs 32 bytes. */
const char *xm_time_iso(xm_time_t t, char *buf, size_t len);

#endif
