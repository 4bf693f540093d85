/*
 * xm_tls.h - TLS ClientHello parser (RFC 8446 4.1.2, RFC 5246 7.4.1.2):
 * SNI (RFC 6066 3), ALPN (RFC 7301 3.1), supported_versions, and the
 * presence of Encrypted Client Hello (extension 0xfe0d,
 * draft-ietf-tls-esni) or the older ESNI (0xffce).  analysis/app/tls.c.
 *
 * Pure parser over the client's byte stream (TLS records, starting at a
 * record boundary): reads only through struct xm_rd, never allocates,
 * output goes into the caller's struct tls_hello.  Ownership: the caller
 * owns input and output; nothing is kept.
 *
 * The ClientHello may span several records and several TCP segments;
 * the caller reassembles (see xm_reasm.h) and calls again with more
 * bytes.  TLS_NEED_MORE means the stream ended before the ClientHello
 * did; everything parsed before the end (e.g. an SNI that came before
 * the cut) is already in *h.
 */
#ifndef XM_TLS_H
#define XM_TLS_H

#include "xm_common.h"

#define TLS_SNI_MAX 253        /* host_name is a DNS name (RFC 6066 3) */
#define TLS_ALPN_TEXT_MAX 63   /* "h2,http/1.1", cut at a whole entry */
#define TLS_HS_MAX 16384       /* largest ClientHello body we collect */

enum tls_ext {
    TLS_EXT_SNI = 0, TLS_EXT_ALPN = 16, TLS_EXT_SUPPORTED_VERSIONS = 43,
    TLS_EXT_ECH = 0xfe0d, TLS_EXT_ESNI = 0xffce,
};

enum tls_result {
    TLS_OK = 0,       /* whole ClientHello parsed */
    TLS_NEED_MORE,    /* stream ends inside the ClientHello (truncated) */
    TLS_NOT_TLS,      /* not a TLS handshake record carrying a ClientHello */
    TLS_INVALID,      /* a length or field is impossible */
    TLS_RESULT_MAX
};

struct tls_hello {
    uint16_t record_version;   /* record layer version, e.g. 0x0301 */
    uint16_t legacy_version;   /* ClientHello.legacy_version */
    uint16_t max_version;      /* highest of supported_versions, else legacy */
    uint32_t hs_len;           /* handshake body length (24-bit field) */
    uint16_t n_ext;            /* extensions walked */
    bool has_sni, has_alpn, has_ech, has_esni;
    uint8_t sni_len;
    uint8_t alpn_count;        /* protocols listed (all, not just kept) */
    char sni[TLS_SNI_MAX + 1]; /* first host_name entry, '?' for odd bytes */
    char alpn[TLS_ALPN_TEXT_MAX + 1]; /* protocols joined with ',' */
};

/* Parses the ClientHello at the start of p[0, len).  Always inits *h. */
enum tls_result tls_parse_client_hello(const uint8_t *p, size_t len,
                                       struct tls_hello *h);

/* Parses a ClientHello handshake message (type, 24-bit length, body)
 * with no record layer around it, as QUIC's CRYPTO frames carry it
 * (RFC 9001 4).  Always inits *h; record_version stays 0. */
enum tls_result tls_parse_handshake(const uint8_t *p, size_t len, struct tls_hello *h);

/* True when p starts like a TLS handshake record (0x16 0x03 0x00..0x04). */
bool tls_record_start(const uint8_t *p, size_t len);

const char *tls_result_name(enum tls_result r);

/*
 * The server's first bytes (analysis/app/tls_server.c): a ServerHello in the
 * first record.  On TLS_OK *version is the negotiated version (the
 * supported_versions selection, else legacy_version); otherwise 0.
 * TLS_NEED_MORE when the bytes end inside the ServerHello.
 */
enum tls_result tls_parse_server_hello(const uint8_t *p, size_t len, uint16_t *version);

/* Suricata's names: "SSLv2", "SSLv3", "TLS 1.0" .. "TLS 1.3"; others as
 * "0x7f1c" in buf (>= 7 bytes). */
const char *tls_version_name(uint16_t v, char *buf, size_t len);

#endif
