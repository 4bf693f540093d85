/*
 * quic.c - QUIC Initial decryption and CRYPTO reassembly.  See
 * include/xm_quic.h for the contract.  RFC references: RFC 9000 (packet
 * layout 17.2, variable-length integers 16, frames 19), RFC 9001 5
 * (Initial secrets, AEAD, header protection), RFC 9369 3 (version 2).
 *
 * Packet bytes are read only through struct xm_rd; OpenSSL is handed
 * pointers to windows whose bounds the reader checked first.
 */
#include "xm_quic.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "xm_rd.h"

#define QUIC_TAG_LEN 16
#define QUIC_SAMPLE_LEN 16
#define QUIC_PLAIN_MAX 65536     /* a UDP payload never exceeds this */

/* Logical long-header packet types (v1 numbering, RFC 9000 17.2). */
enum { QT_INITIAL = 0, QT_0RTT = 1, QT_HANDSHAKE = 2, QT_RETRY = 3 };

/* Initial salts: RFC 9001 5.2, RFC 9369 3.3.1, draft-ietf-quic-tls-23
 * and -29, and Google's T050/T051. */
static const uint8_t salt_v1[20] = {
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
static const uint8_t salt_d29[20] = {
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
    0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
static const uint8_t salt_d23[20] = {
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
    0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
static const uint8_t salt_t50[20] = {
    0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80,
    0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10};
static const uint8_t salt_t51[20] = {
    0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
    0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d};

struct quic_ver {
    uint32_t lo, hi;           /* version range, inclusive */
    const uint8_t *salt;
    bool v2;                   /* RFC 9369 labels and packet types */
};

static const struct quic_ver quic_versions[] = {
    {QUIC_V1, QUIC_V1, salt_v1, false},
    {QUIC_V2, QUIC_V2, salt_v2, true},
    {0xff00001du, 0xff000020u, salt_d29, false},   /* drafts 29-32 */
    {0xff000017u, 0xff00001cu, salt_d23, false},   /* drafts 23-28 */
    {0x54303530u, 0x54303530u, salt_t50, false},   /* "T050" */
    {0x54303531u, 0x54303531u, salt_t51, false},   /* "T051" */
};

static const struct quic_ver *quic_ver_find(uint32_t v)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(quic_versions); i++)
        if (v >= quic_versions[i].lo && v <= quic_versions[i].hi)
            return &quic_versions[i];
    return NULL;
}

bool quic_version_known(uint32_t version)
{
    return quic_ver_find(version) != NULL;
}

const char *quic_version_str(uint32_t v, char *buf, size_t len)
{
    if (v == QUIC_V1)
        return "1";
    if (v == QUIC_V2)
        return "2";
    if ((v & 0xFFFFFF00u) == 0xFF000000u)
        snprintf(buf, len, "draft-%u", (unsigned)(v & 0xFF));
    else if ((v >> 24) == 'T' || (v >> 24) == 'Q')
        snprintf(buf, len, "%c%c%c%c", (char)(v >> 24), (char)(v >> 16 & 0xFF),
                 (char)(v >> 8 & 0xFF), (char)(v & 0xFF));
    else
        snprintf(buf, len, "%08x", (unsigned)v);
    return buf;
}

/* Long-header type bits to the v1 numbering; v2 rotates them (RFC 9369
 * 3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00). */
static unsigned quic_ptype(uint8_t b0, bool v2)
{
    unsigned t = (b0 >> 4) & 3u;
    return v2 ? (t + 3u) & 3u : t;
}

bool quic_initial_start(const uint8_t *p, size_t len)
{
    struct xm_rd r;
    uint8_t b0 = 0;
    uint32_t v = 0;
    xm_rd_init(&r, p, len);
    if (!xm_rd_u8(&r, &b0) || !xm_rd_be32(&r, &v) || (b0 & 0xC0) != 0xC0)
        return false;
    const struct quic_ver *qv = quic_ver_find(v);
    return qv && quic_ptype(b0, qv->v2) == QT_INITIAL;
}

/* ---------- key derivation (RFC 9001 5.1, 5.2; RFC 8446 7.1) ---------- */

static int quic_hmac(const uint8_t *key, size_t klen, const uint8_t *d, size_t n,
                     uint8_t out[32])
{
    unsigned int olen = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, d, n, out, &olen) || olen != 32)
        return -1;
    return 0;
}

/* HKDF-Expand-Label(secret, label, "", L) for L <= 32 (one HMAC block). */
static int quic_expand_label(const uint8_t secret[32], const char *label, uint8_t *out,
                             size_t L)
{
    uint8_t info[2 + 1 + 6 + 32 + 1 + 1], t[32];
    size_t ll = strlen(label), n = 0;
    if (ll > 32 || L > 32)
        return -1;
    info[n++] = 0;
    info[n++] = (uint8_t)L;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = 0;                   /* empty context */
    info[n++] = 1;                   /* HKDF-Expand counter T(1) */
    if (quic_hmac(secret, 32, info, n, t) != 0)
        return -1;
    memcpy(out, t, L);
    return 0;
}

int quic_client_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                     struct quic_keys *out)
{
    const struct quic_ver *qv = quic_ver_find(version);
    uint8_t initial[32], client[32];
    if (!qv || dcid_len > QUIC_CID_MAX)
        return -1;
    const char *lk = qv->v2 ? "quicv2 key" : "quic key";
    const char *li = qv->v2 ? "quicv2 iv" : "quic iv";
    const char *lh = qv->v2 ? "quicv2 hp" : "quic hp";
    if (quic_hmac(qv->salt, 20, dcid, dcid_len, initial) != 0 ||   /* HKDF-Extract */
        quic_expand_label(initial, "client in", client, 32) != 0 ||
        quic_expand_label(client, lk, out->key, sizeof out->key) != 0 ||
        quic_expand_label(client, li, out->iv, sizeof out->iv) != 0 ||
        quic_expand_label(client, lh, out->hp, sizeof out->hp) != 0)
        return -1;
    return 0;
}

/* ---------- pool ---------- */

struct quic_slot {
    uint64_t owner;            /* 0 = free */
    uint64_t used;             /* LRU tick */
    uint32_t version;
    uint32_t prefix;           /* contiguous CRYPTO octets from offset 0 */
    bool has_keys;
    uint8_t dcid_len;
    uint8_t dcid[QUIC_CID_MAX];
    struct quic_keys keys;
    uint8_t have[QUIC_CRYPTO_MAX / 8];   /* bit per stream octet received */
    uint8_t buf[QUIC_CRYPTO_MAX];
};

struct quic {
    struct quic_slot *slot;    /* [1..n] */
    uint32_t n;
    uint64_t tick;
    EVP_CIPHER_CTX *ecb, *gcm;
    struct quic_stats st;
    uint8_t plain[QUIC_PLAIN_MAX];
};

struct quic *quic_new(uint32_t slots)
{
    if (!slots)
        return NULL;
    struct quic *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->n = slots;
    q->slot = calloc((size_t)slots + 1, sizeof *q->slot);
    q->ecb = EVP_CIPHER_CTX_new();
    q->gcm = EVP_CIPHER_CTX_new();
    if (!q->slot || !q->ecb || !q->gcm ||
        EVP_EncryptInit_ex(q->ecb, EVP_aes_128_ecb(), NULL, NULL, NULL) != 1 ||
        EVP_DecryptInit_ex(q->gcm, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1) {
        quic_free(q);
        return NULL;
    }
    return q;
}

void quic_free(struct quic *q)
{
    if (!q)
        return;
    EVP_CIPHER_CTX_free(q->ecb);
    EVP_CIPHER_CTX_free(q->gcm);
    free(q->slot);
    free(q);
}

static void quic_slot_reset(struct quic_slot *s, uint64_t owner)
{
    s->owner = owner;
    s->version = 0;
    s->prefix = 0;
    s->has_keys = false;
    s->dcid_len = 0;
    memset(s->have, 0, sizeof s->have);
}

uint32_t quic_open(struct quic *q, uint64_t owner)
{
    uint32_t best = 1;
    for (uint32_t i = 1; i <= q->n; i++) {
        if (!q->slot[i].owner) {
            best = i;
            break;
        }
        if (q->slot[i].used < q->slot[best].used)
            best = i;
    }
    if (q->slot[best].owner)
        q->st.evicted++;
    quic_slot_reset(&q->slot[best], owner);
    q->slot[best].used = ++q->tick;
    q->st.opened++;
    return best;
}

static struct quic_slot *quic_slot_get(struct quic *q, uint32_t id, uint64_t owner)
{
    if (!id || id > q->n || !owner || q->slot[id].owner != owner)
        return NULL;
    return &q->slot[id];
}

void quic_close(struct quic *q, uint32_t id, uint64_t owner)
{
    struct quic_slot *s = quic_slot_get(q, id, owner);
    if (!s)
        return;
    s->owner = 0;
    q->st.closed++;
}

const struct quic_stats *quic_stats(const struct quic *q) { return &q->st; }

/* ---------- packets ---------- */

/* Variable-length integer (RFC 9000 16): 1, 2, 4 or 8 octets. */
static bool quic_varint(struct xm_rd *r, uint64_t *v)
{
    uint8_t b = 0;
    if (!xm_rd_u8(r, &b))
        return false;
    unsigned n = 1u << (b >> 6);
    uint64_t x = b & 0x3Fu;
    for (unsigned i = 1; i < n; i++) {
        if (!xm_rd_u8(r, &b))
            return false;
        x = (x << 8) | b;
    }
    *v = x;
    return true;
}

struct quic_hdr {
    uint8_t b0;
    uint8_t dcid_len;
    unsigned type;             /* QT_* */
    uint32_t version;
    uint8_t dcid[QUIC_CID_MAX];
    size_t pn_off;             /* packet number offset in the packet */
    size_t len;                /* the whole packet: pn_off + Length */
};

enum quic_hstep {
    QH_PACKET = 0,  /* h->len octets form a packet with a Length field */
    QH_END,         /* the rest of the datagram is one packet, or nothing */
    QH_TRUNC,
    QH_INVALID,
};

/* Connection IDs and, for Initials, the token (RFC 9000 17.2, 17.2.2). */
static enum quic_hstep quic_hdr_ids(struct xm_rd *r, struct quic_hdr *h)
{
    uint8_t scid_len = 0;
    if (!xm_rd_u8(r, &h->dcid_len))
        return QH_TRUNC;
    if (h->dcid_len > QUIC_CID_MAX)
        return QH_INVALID;
    if (!xm_rd_copy(r, h->dcid, h->dcid_len) || !xm_rd_u8(r, &scid_len))
        return QH_TRUNC;
    if (scid_len > QUIC_CID_MAX)
        return QH_INVALID;
    if (!xm_rd_skip(r, scid_len))
        return QH_TRUNC;
    uint64_t tok = 0;
    if (h->type == QT_INITIAL && (!quic_varint(r, &tok) || !xm_rd_skip(r, tok)))
        return QH_TRUNC;
    return QH_PACKET;
}

/* Parses one long header at the start of r (the datagram's rest). */
static enum quic_hstep quic_header(struct quic *q, struct xm_rd *r, struct quic_hdr *h)
{
    if (!xm_rd_u8(r, &h->b0) || !(h->b0 & 0x80)) {
        q->st.short_header += r->short_ ? 0 : 1;
        return QH_END;               /* short header or datagram padding */
    }
    q->st.packets++;
    if (!xm_rd_be32(r, &h->version))
        return QH_TRUNC;
    const struct quic_ver *qv = quic_ver_find(h->version);
    if (!qv) {
        q->st.unknown_version += h->version != 0;
        q->st.version_negotiation += h->version == 0;
        return QH_END;
    }
    h->type = quic_ptype(h->b0, qv->v2);
    if (h->type == QT_RETRY) {
        q->st.retry++;
        return QH_END;
    }
    enum quic_hstep st = quic_hdr_ids(r, h);
    uint64_t length = 0;
    if (st != QH_PACKET)
        return st;
    if (!quic_varint(r, &length))
        return QH_TRUNC;
    if (length < 4 + QUIC_SAMPLE_LEN)   /* pn + sample must fit (RFC 9001 5.4.2) */
        return QH_INVALID;
    h->pn_off = r->off;
    h->len = r->off + length;
    return xm_rd_need(r, length) ? QH_PACKET : QH_TRUNC;
}

/* Removes header protection (RFC 9001 5.4.1): b0 and the packet number
 * (big-endian, *pn_len octets) in pnb.  pkt is the whole packet. */
static bool quic_unprotect(struct quic *q, const struct quic_keys *k, const uint8_t *pkt,
                           const struct quic_hdr *h, uint8_t *b0, uint8_t pnb[4],
                           size_t *pn_len)
{
    struct xm_rd r;
    uint8_t sample[QUIC_SAMPLE_LEN], mask[32];
    int outl = 0;
    xm_rd_init(&r, pkt, h->len);
    if (!xm_rd_skip(&r, h->pn_off + 4) || !xm_rd_copy(&r, sample, sizeof sample))
        return false;
    if (EVP_EncryptInit_ex(q->ecb, NULL, NULL, k->hp, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(q->ecb, 0) != 1 ||
        EVP_EncryptUpdate(q->ecb, mask, &outl, sample, sizeof sample) != 1 || outl != 16)
        return false;
    *b0 = (uint8_t)(h->b0 ^ (mask[0] & 0x0F));
    *pn_len = (size_t)(*b0 & 3) + 1;
    xm_rd_init(&r, pkt, h->len);
    if (!xm_rd_skip(&r, h->pn_off) || !xm_rd_copy(&r, pnb, *pn_len))
        return false;
    for (size_t i = 0; i < *pn_len; i++)
        pnb[i] ^= mask[1 + i];
    return true;
}

/* AEAD_AES_128_GCM open (RFC 9001 5.3): nonce = iv XOR packet number,
 * AAD = the unprotected header.  Plaintext into q->plain. */
static bool quic_open_payload(struct quic *q, const struct quic_keys *k, const uint8_t *pkt,
                              const struct quic_hdr *h, uint8_t b0, const uint8_t *pnb,
                              size_t pn_len, size_t *plain_len)
{
    uint8_t nonce[12], tag[QUIC_TAG_LEN];
    struct xm_rd r, hdr, ct;
    int outl = 0, fin = 0;
    if (h->len < h->pn_off + pn_len + QUIC_TAG_LEN)
        return false;
    memcpy(nonce, k->iv, sizeof nonce);
    for (size_t i = 0; i < pn_len; i++)
        nonce[12 - pn_len + i] ^= pnb[i];
    xm_rd_init(&r, pkt, h->len);
    xm_rd_skip(&r, 1);
    xm_rd_sub(&r, h->pn_off - 1, &hdr);
    xm_rd_skip(&r, pn_len);
    xm_rd_sub(&r, h->len - h->pn_off - pn_len - QUIC_TAG_LEN, &ct);
    if (!xm_rd_copy(&r, tag, sizeof tag))
        return false;
    if (EVP_DecryptInit_ex(q->gcm, NULL, NULL, k->key, nonce) != 1 ||
        EVP_DecryptUpdate(q->gcm, NULL, &outl, &b0, 1) != 1 ||
        EVP_DecryptUpdate(q->gcm, NULL, &outl, xm_rd_ptr(&hdr), (int)hdr.len) != 1 ||
        EVP_DecryptUpdate(q->gcm, NULL, &outl, pnb, (int)pn_len) != 1 ||
        EVP_DecryptUpdate(q->gcm, q->plain, &outl, xm_rd_ptr(&ct), (int)ct.len) != 1 ||
        EVP_CIPHER_CTX_ctrl(q->gcm, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN, tag) != 1 ||
        EVP_DecryptFinal_ex(q->gcm, q->plain + outl, &fin) != 1)
        return false;
    *plain_len = (size_t)outl + (size_t)fin;
    return true;
}

static bool quic_decrypt(struct quic *q, const struct quic_keys *k, const uint8_t *pkt,
                         const struct quic_hdr *h, size_t *plain_len)
{
    uint8_t b0 = 0, pnb[4];
    size_t pn_len = 0;
    return quic_unprotect(q, k, pkt, h, &b0, pnb, &pn_len) &&
           quic_open_payload(q, k, pkt, h, b0, pnb, pn_len, plain_len);
}

/* ---------- frames (RFC 9000 19) ---------- */

/* Stores CRYPTO data at stream offset off; later copies overwrite. */
static void quic_store(struct quic *q, struct quic_slot *s, uint64_t off, struct xm_rd *d)
{
    size_t n = xm_rd_left(d);
    if (off >= QUIC_CRYPTO_MAX) {
        q->st.overflow_bytes += n;
        return;
    }
    size_t fit = QUIC_CRYPTO_MAX - (size_t)off;
    if (n > fit) {
        q->st.overflow_bytes += n - fit;
        n = fit;
    }
    xm_rd_copy(d, s->buf + off, n);
    for (size_t i = (size_t)off; i < (size_t)off + n; i++)
        s->have[i >> 3] = (uint8_t)(s->have[i >> 3] | (1u << (i & 7)));
    while (s->prefix < QUIC_CRYPTO_MAX && (s->have[s->prefix >> 3] >> (s->prefix & 7) & 1))
        s->prefix++;
}

static bool quic_frame_crypto(struct quic *q, struct quic_slot *s, struct xm_rd *r)
{
    uint64_t off = 0, len = 0;
    struct xm_rd d;
    if (!quic_varint(r, &off) || !quic_varint(r, &len) || len > xm_rd_left(r))
        return false;
    xm_rd_sub(r, (size_t)len, &d);
    q->st.crypto_frames++;
    if (off > s->prefix)
        q->st.crypto_out_of_order++;
    quic_store(q, s, off, &d);
    return true;
}

/* ACK (0x02) and ACK_ECN (0x03): Largest, Delay, Range Count, First
 * Range, Range Count x (Gap, Length), then three ECN counts for 0x03. */
static bool quic_frame_ack(struct xm_rd *r, bool ecn)
{
    uint64_t v = 0, ranges = 0;
    if (!quic_varint(r, &v) || !quic_varint(r, &v) || !quic_varint(r, &ranges) ||
        !quic_varint(r, &v))
        return false;
    for (uint64_t i = 0; i < ranges; i++)
        if (!quic_varint(r, &v) || !quic_varint(r, &v))
            return false;
    for (int i = 0; ecn && i < 3; i++)
        if (!quic_varint(r, &v))
            return false;
    return true;
}

/* CONNECTION_CLOSE 0x1c: code, frame type, reason; 0x1d has no frame type. */
static bool quic_frame_close(struct xm_rd *r, bool transport)
{
    uint64_t v = 0, n = 0;
    if (!quic_varint(r, &v) || (transport && !quic_varint(r, &v)) || !quic_varint(r, &n))
        return false;
    return n <= xm_rd_left(r) && xm_rd_skip(r, (size_t)n);
}

/* Walks an Initial's frames; stops at the first frame an Initial may
 * not carry (RFC 9000 12.4, table 3) or that is cut short.  Google's
 * T050/T051 number CRYPTO 0x08 (same body). */
static void quic_frames(struct quic *q, struct quic_slot *s, uint32_t version, size_t n)
{
    struct xm_rd r;
    uint64_t crypto2 = (version >> 24) == 'T' ? 0x08 : 0x06;
    xm_rd_init(&r, q->plain, n);
    while (xm_rd_left(&r) > 0) {
        uint64_t type = 0;
        bool ok = quic_varint(&r, &type);
        if (ok && type <= 0x01)
            continue;                         /* PADDING, PING */
        if (ok && (type == 0x02 || type == 0x03))
            ok = quic_frame_ack(&r, type == 0x03);
        else if (ok && (type == 0x06 || type == crypto2))
            ok = quic_frame_crypto(q, s, &r);
        else if (ok && (type == 0x1c || type == 0x1d))
            ok = quic_frame_close(&r, type == 0x1c);
        else
            ok = false;
        if (!ok) {
            q->st.bad_frames++;
            return;
        }
    }
}

/* ---------- Initials ---------- */

static bool quic_same_dcid(const struct quic_slot *s, const struct quic_hdr *h)
{
    return s->dcid_len == h->dcid_len && !memcmp(s->dcid, h->dcid, h->dcid_len);
}

/* Adopts keys derived from this packet's DCID; a changed DCID or version
 * restarts the CRYPTO stream (Retry, Version Negotiation, new connection). */
static void quic_adopt(struct quic *q, struct quic_slot *s, const struct quic_hdr *h,
                       const struct quic_keys *k)
{
    if (s->has_keys) {
        q->st.rekeyed++;
        s->prefix = 0;
        memset(s->have, 0, sizeof s->have);
    }
    s->has_keys = true;
    s->keys = *k;
    s->version = h->version;
    s->dcid_len = h->dcid_len;
    memcpy(s->dcid, h->dcid, h->dcid_len);
}

static void quic_initial(struct quic *q, struct quic_slot *s, const uint8_t *pkt,
                         const struct quic_hdr *h)
{
    size_t n = 0;
    struct quic_keys k;
    bool same = s->has_keys && s->version == h->version;
    q->st.initials++;
    if (same && quic_decrypt(q, &s->keys, pkt, h, &n)) {
        q->st.decrypted++;
        quic_frames(q, s, h->version, n);
        return;
    }
    if ((same && quic_same_dcid(s, h)) ||
        quic_client_keys(h->version, h->dcid, h->dcid_len, &k) != 0 ||
        !quic_decrypt(q, &k, pkt, h, &n)) {
        q->st.decrypt_failed++;
        return;
    }
    q->st.decrypted++;
    quic_adopt(q, s, h, &k);
    quic_frames(q, s, h->version, n);
}

/* One packet at the start of r; false when the datagram is finished. */
static bool quic_packet(struct quic *q, struct quic_slot *s, struct xm_rd *r)
{
    struct quic_hdr h;
    struct xm_rd pkt;
    memset(&h, 0, sizeof h);
    xm_rd_init(&pkt, xm_rd_ptr(r), xm_rd_left(r));
    enum quic_hstep st = quic_header(q, &pkt, &h);
    q->st.truncated += st == QH_TRUNC;
    q->st.invalid += st == QH_INVALID;
    if (st != QH_PACKET)
        return false;
    if (h.type == QT_INITIAL && s)
        quic_initial(q, s, xm_rd_ptr(r), &h);
    q->st.zero_rtt += h.type == QT_0RTT;
    q->st.handshake += h.type == QT_HANDSHAKE;
    xm_rd_skip(r, h.len);
    return true;
}

/* Parses the ClientHello in the CRYPTO stream once it is whole (or, with
 * last, whatever contiguous prefix there is). */
static enum quic_result quic_hello(struct quic *q, struct quic_slot *s, bool last,
                                   struct tls_hello *hello, uint32_t *version)
{
    struct xm_rd r;
    uint8_t type = 0, l0 = 0;
    uint16_t l1 = 0;
    xm_rd_init(&r, s->buf, s->prefix);
    if (!xm_rd_u8(&r, &type) || !xm_rd_u8(&r, &l0) || !xm_rd_be16(&r, &l1))
        return last ? QUIC_NONE : QUIC_MORE;
    size_t want = 4 + ((size_t)l0 << 16 | l1);
    if (s->prefix < want && s->prefix < QUIC_CRYPTO_MAX && !last)
        return QUIC_MORE;
    enum tls_result res = tls_parse_handshake(s->buf, s->prefix, hello);
    *version = s->version;
    if (res == TLS_OK) {
        q->st.hellos++;
        return QUIC_HELLO;
    }
    if (res == TLS_NEED_MORE) {
        q->st.partial_hellos++;
        return QUIC_PARTIAL;
    }
    q->st.tls_invalid++;
    return QUIC_NONE;
}

enum quic_result quic_datagram(struct quic *q, uint32_t id, uint64_t owner,
                               const uint8_t *p, size_t len,
                               struct tls_hello *hello, uint32_t *version)
{
    struct quic_slot *s = quic_slot_get(q, id, owner);
    struct xm_rd r;
    if (!s) {
        q->st.stale++;
        return QUIC_STALE;
    }
    s->used = ++q->tick;
    q->st.datagrams++;
    xm_rd_init(&r, p, len);
    while (xm_rd_left(&r) > 0 && quic_packet(q, s, &r))
        ;
    return s->has_keys ? quic_hello(q, s, false, hello, version) : QUIC_MORE;
}

enum quic_result quic_finish(struct quic *q, uint32_t id, uint64_t owner,
                             struct tls_hello *hello, uint32_t *version)
{
    struct quic_slot *s = quic_slot_get(q, id, owner);
    if (!s)
        return QUIC_STALE;
    return s->has_keys ? quic_hello(q, s, true, hello, version) : QUIC_NONE;
}

void quic_server_datagram(struct quic *q, const uint8_t *p, size_t len)
{
    struct xm_rd r;
    xm_rd_init(&r, p, len);
    while (xm_rd_left(&r) > 0 && quic_packet(q, NULL, &r))
        ;
}
