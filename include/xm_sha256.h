/*
 * xm_sha256.h - SHA-256 (FIPS 180-4 section 6.2), lib/sha256.c.
 * Incremental: init, update any number of times, final.  The context is
 * the caller's; nothing is allocated.  Not constant-time (hashes files,
 * never secrets).
 */
#ifndef XM_SHA256_H
#define XM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define XM_SHA256_LEN 32

struct xm_sha256 {
    uint32_t h[8];
    uint64_t bytes;          /* message length so far */
    uint8_t buf[64];         /* partial block */
    size_t used;             /* bytes in buf */
};

void xm_sha256_init(struct xm_sha256 *c);
void xm_sha256_update(struct xm_sha256 *c, const void *data, size_t len);
void xm_sha256_final(struct xm_sha256 *c, uint8_t out[XM_SHA256_LEN]);
/* Lowercase hex of a digest into out (65 bytes). */
void xm_sha256_hex(const uint8_t d[XM_SHA256_LEN], char out[2 * XM_SHA256_LEN + 1]);

#endif
