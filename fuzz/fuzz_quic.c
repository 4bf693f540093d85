/*
 * fuzz_quic.c - libFuzzer target for QUIC Initial decryption, frame
 * walking and CRYPTO reassembly (analysis/quic.c), down to the
 * ClientHello parser (analysis/tls.c).
 *
 * Input: a sequence of records [kind:1][len:2 big-endian][len octets]
 * (a record cut by the end of input takes what is left):
 *   kind even - the octets are a raw client datagram;
 *   kind odd  - the octets are the PLAINTEXT of an Initial (frames): the
 *               target seals it (AES-128-GCM, header protection) with the
 *               client keys of DCID 8394c8f03e515708, packet number =
 *               record index, version 1 (kind & 2: version 2), so the
 *               fuzzer reaches the frame walker and the reassembly;
 *   kind 0xFF - a server datagram (Retry / Version Negotiation counting).
 * Every datagram is an exact-size heap copy so ASan sees over-reads.
 * Invariants (abort()): the SNI and ALPN texts are NUL-terminated within
 * their bounds; a flow ends with QUIC_HELLO/PARTIAL/NONE.
 */
#include "xm_quic.h"

#include <stdlib.h>

#include <openssl/evp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct quic *q;
static EVP_CIPHER_CTX *cc;
static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/* Builds a protected Initial around plain[0,n) into out; returns its size. */
static size_t seal(uint32_t version, uint32_t pn, const uint8_t *plain, size_t n, uint8_t *out)
{
    struct quic_keys k;
    uint8_t nonce[12], mask[16];
    int outl = 0;
    size_t w = 0, plen = n < 20 ? 20 : n;        /* the sample needs 16 + 4 */
    if (quic_client_keys(version, dcid, sizeof dcid, &k) != 0)
        return 0;
    out[w++] = (uint8_t)(0xC3 | (version == QUIC_V2 ? 0x10 : 0x00));
    for (int i = 3; i >= 0; i--)
        out[w++] = (uint8_t)(version >> (8 * i));
    out[w++] = sizeof dcid;
    memcpy(out + w, dcid, sizeof dcid);
    w += sizeof dcid;
    out[w++] = 0;
    out[w++] = 0;
    out[w++] = (uint8_t)(0x40 | ((4 + plen + 16) >> 8));
    out[w++] = (uint8_t)((4 + plen + 16) & 0xFF);
    size_t pn_off = w;
    for (int i = 3; i >= 0; i--)
        out[w++] = (uint8_t)(pn >> (8 * i));
    memcpy(nonce, k.iv, 12);
    for (int i = 0; i < 4; i++)
        nonce[8 + i] ^= (uint8_t)(pn >> (8 * (3 - i)));
    memset(out + w, 0, plen);
    memcpy(out + w, plain, n);
    EVP_EncryptInit_ex(cc, EVP_aes_128_gcm(), NULL, k.key, nonce);
    EVP_EncryptUpdate(cc, NULL, &outl, out, (int)w);
    EVP_EncryptUpdate(cc, out + w, &outl, out + w, (int)plen);
    EVP_EncryptFinal_ex(cc, out + w + outl, &outl);
    EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, 16, out + w + plen);
    w += plen + 16;
    EVP_EncryptInit_ex(cc, EVP_aes_128_ecb(), NULL, k.hp, NULL);
    EVP_EncryptUpdate(cc, mask, &outl, out + pn_off + 4, 16);
    out[0] ^= mask[0] & 0x0F;
    for (int i = 0; i < 4; i++)
        out[pn_off + i] ^= mask[1 + i];
    return w;
}

static void check(enum quic_result r, const struct tls_hello *h)
{
    if (r != QUIC_HELLO && r != QUIC_PARTIAL)
        return;
    if (strlen(h->sni) != h->sni_len || strlen(h->alpn) > TLS_ALPN_TEXT_MAX)
        abort();
}

static void feed(uint32_t id, uint8_t kind, uint32_t idx, const uint8_t *p, size_t n)
{
    static uint8_t sealed[70000];
    struct tls_hello h;
    uint32_t v = 0;
    if (kind == 0xFF) {
        quic_server_datagram(q, p, n);
        return;
    }
    if (kind & 1) {
        n = seal(kind & 2 ? QUIC_V2 : QUIC_V1, idx, p, n, sealed);
        p = sealed;
    }
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return;
    memcpy(copy, p, n);
    check(quic_datagram(q, id, 1, copy, n, &h, &v), &h);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!q) {
        q = quic_new(2);
        cc = EVP_CIPHER_CTX_new();
        if (!q || !cc)
            abort();
    }
    uint32_t id = quic_open(q, 1), idx = 0;
    size_t off = 0;
    while (off + 3 <= size && idx < 64) {
        uint8_t kind = data[off];
        size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (n > size - off)
            n = size - off;
        if (n > 65000)
            n = 65000;
        feed(id, kind, idx++, data + off, n);
        off += n;
    }
    struct tls_hello h;
    uint32_t v = 0;
    enum quic_result r = quic_finish(q, id, 1, &h, &v);
    if (r != QUIC_HELLO && r != QUIC_PARTIAL && r != QUIC_NONE)
        abort();
    check(r, &h);
    quic_close(q, id, 1);
    return 0;
}
