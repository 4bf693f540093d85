/*
 * xm_cid.h - Community ID v1 flow hashing
 * (https://github.com/corelight/community-id-spec) and the SHA-1 and
 * base64 it needs (lib/community_id.c, lib/sha1.c).  The flow
 * adapter cid_flow() is declared in xm_flow.h.
 *
 * Ownership: pure functions over caller memory; nothing allocates.
 */
#ifndef XM_CID_H
#define XM_CID_H

#include "xm_common.h"

#define XM_SHA1_LEN 20
/* "1:" + 28 base64 characters + NUL */
#define XM_CID_LEN 31

struct xm_sha1 {
    uint32_t h[5];
    uint64_t total;     /* bytes hashed so far */
    uint8_t buf[64];
    uint32_t used;      /* bytes in buf */
};

void xm_sha1_init(struct xm_sha1 *c);
void xm_sha1_update(struct xm_sha1 *c, const void *data, size_t len);
void xm_sha1_final(struct xm_sha1 *c, uint8_t out[XM_SHA1_LEN]);
/* SHA-1 of a message that fits one padded block (len <= 55 bytes: every
 * Community ID input, at most 40), without a context: the digest
 * init/update/final give.  Returns 0, or -1 when len is too long. */
#define XM_SHA1_SHORT_MAX 55
int xm_sha1_short(const void *data, size_t len, uint8_t out[XM_SHA1_LEN]);

/* Standard base64 (RFC 4648 section 4, '=' padding) of len bytes into
 * out (NUL-terminated).  Returns the string length, or -1 when outlen is
 * smaller than 4*ceil(len/3)+1. */
int xm_base64(const uint8_t *in, size_t len, char *out, size_t outlen);

/*
 * Community ID of an explicit tuple.  src/dst must be the same family.
 * For TCP (6), UDP (17) and SCTP (132) sport/dport are the ports; for
 * ICMP (1) and ICMPv6 (58) they are the ICMP type and code, mapped by
 * the spec's type/counter-type table; any other protocol hashes no
 * ports.  Writes "1:<base64 sha1>" into out; returns 0, or -1 when len
 * < XM_CID_LEN or the families differ/are unset.
 */
int cid_tuple(const struct xm_addr *src, const struct xm_addr *dst,
              uint16_t sport, uint16_t dport, uint8_t proto,
              uint16_t seed, char *out, size_t len);

#endif
