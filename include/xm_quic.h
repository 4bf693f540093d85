/*
 * xm_quic.h - the client's QUIC Initial packets: key derivation and
 * decryption (RFC 9001 section 5, RFC 9369 for QUIC version 2), frame
 * walking (RFC 9000 section 19: PADDING, PING, ACK, CRYPTO,
 * CONNECTION_CLOSE), and reassembly of the CRYPTO stream into the
 * ClientHello, which analysis/app/tls.c parses.  analysis/app/quic.c.
 *
 * Ownership: quic_new() allocates everything once (slots, the plaintext
 * scratch, two OpenSSL cipher contexts) and quic_free() releases it.
 * Per datagram nothing is allocated: AES-128-ECB (header protection) and
 * AES-128-GCM (payload) run on the pre-allocated contexts with a new key.
 * Initial keys are derived (HKDF-SHA256 through libcrypto's HMAC) once per
 * flow and Destination Connection ID, and cached in the flow's slot.
 *
 * Bounds: `slots` flows are reassembled at a time, each keeping the first
 * QUIC_CRYPTO_MAX octets of the client's Initial CRYPTO stream.  Eviction
 * policy: when every slot is in use, quic_open() takes the least recently
 * used one (counted in `evicted`); its former owner sees QUIC_STALE and
 * gives up.  Bytes beyond QUIC_CRYPTO_MAX are dropped (`overflow_bytes`).
 *
 * Versions: 1, 2 (0x6b3343cf), drafts 23-32 (0xff000017-0xff000020) and
 * Google's T050/T051, which use the IETF packet layout.  Google QUIC
 * Q0xx (its own crypto) and unknown versions are not decrypted.
 *
 * Per datagram (quic_datagram, the client's side, dir 0): every coalesced
 * long-header packet is walked (RFC 9000 12.2); Initials are decrypted,
 * 0-RTT and Handshake packets skipped by their Length, a short-header
 * packet ends the datagram.  The keys of the slot are tried first; when
 * they fail and the packet's DCID differs, keys from that DCID are tried,
 * and if they work the CRYPTO stream restarts from offset 0 (the client
 * started over: after a Retry, a Version Negotiation, or a new connection
 * on the same 5-tuple).  Server packets (quic_server_datagram) are only
 * counted (Retry, Version Negotiation).
 */
#ifndef XM_QUIC_H
#define XM_QUIC_H

#include "xm_common.h"
#include "xm_tls.h"

#define QUIC_CRYPTO_MAX 8192   /* CRYPTO stream octets kept per flow */
#define QUIC_CID_MAX 20        /* RFC 9000 17.2: v1 connection IDs <= 20 */

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

/* Initial secrets of one direction (RFC 9001 5.2). */
struct quic_keys {
    uint8_t key[16];           /* AEAD_AES_128_GCM key */
    uint8_t iv[12];
    uint8_t hp[16];            /* header protection, AES-128-ECB */
};

/* Derives the client's Initial keys for `version` from the DCID of the
 * client's first Initial.  Returns 0, or -1 for a version without known
 * Initial salt, or a DCID longer than QUIC_CID_MAX. */
int quic_client_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                     struct quic_keys *out);

/* True for a version whose Initial packets quic.c can decrypt. */
bool quic_version_known(uint32_t version);
/* True when p starts like a long-header Initial of a known version. */
bool quic_initial_start(const uint8_t *p, size_t len);
/* Text of a version: "1", "2", "draft-29", "T051", else 8 hex digits
 * ("1a2a3a4a").  buf holds at least 12 octets. */
const char *quic_version_str(uint32_t version, char *buf, size_t len);

enum quic_result {
    QUIC_MORE = 0,     /* nothing final yet: send the next datagram */
    QUIC_HELLO,        /* the ClientHello is complete: *hello filled */
    QUIC_PARTIAL,      /* final: the ClientHello was cut (stream gap, flow
                          end, QUIC_CRYPTO_MAX); *hello has what came first */
    QUIC_NONE,         /* the datagram held no decryptable Initial */
    QUIC_STALE,        /* the slot was taken by another flow */
};

struct quic_stats {
    uint64_t datagrams;        /* client datagrams looked at */
    uint64_t packets;          /* long-header packets walked */
    uint64_t initials, decrypted, decrypt_failed;
    uint64_t truncated, invalid;     /* packets cut short / impossible fields */
    uint64_t unknown_version, zero_rtt, handshake, short_header;
    uint64_t retry, version_negotiation;  /* seen from servers */
    uint64_t rekeyed;          /* CRYPTO stream restarted on a new DCID */
    uint64_t crypto_frames, crypto_out_of_order, overflow_bytes;
    uint64_t bad_frames;       /* frame not allowed in Initial, or cut */
    uint64_t hellos, partial_hellos, tls_invalid;
    uint64_t opened, closed, evicted, stale;
};

struct quic;

/* slots >= 1.  NULL on allocation failure. */
struct quic *quic_new(uint32_t slots);
void quic_free(struct quic *q);

/* Opens a slot for `owner` (any non-zero tag).  Returns its id (>= 1). */
uint32_t quic_open(struct quic *q, uint64_t owner);
/* Releases the slot if `owner` still holds it. */
void quic_close(struct quic *q, uint32_t id, uint64_t owner);

/* One UDP payload from the client.  On QUIC_HELLO / QUIC_PARTIAL
 * *hello and *version are set. */
enum quic_result quic_datagram(struct quic *q, uint32_t id, uint64_t owner,
                               const uint8_t *p, size_t len,
                               struct tls_hello *hello, uint32_t *version);
/* Parses whatever contiguous ClientHello prefix the slot holds (the flow
 * ends or gives up): QUIC_HELLO, QUIC_PARTIAL or QUIC_NONE. */
enum quic_result quic_finish(struct quic *q, uint32_t id, uint64_t owner,
                             struct tls_hello *hello, uint32_t *version);
/* One UDP payload from the server: counts Retry and Version Negotiation. */
void quic_server_datagram(struct quic *q, const uint8_t *p, size_t len);

const struct quic_stats *quic_stats(const struct quic *q);

#endif
