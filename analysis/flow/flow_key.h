/*
 * flow_key.h - the flow table's canonical key helpers (internal to
 * analysis/flow/flow.c; static inline because they run on every packet):
 * ordering endpoints, building the key, hashing and comparing it straight
 * from a packet's fields.  Nothing here allocates or keeps anything.
 */
#ifndef XM_FLOW_KEY_H
#define XM_FLOW_KEY_H

#include "xm_flow.h"

/* Orders (addr, port) pairs: address first, then port. */
static inline int endpoint_cmp(const struct xm_addr *a, uint16_t ap,
                               const struct xm_addr *b, uint16_t bp)
{
    int c = xm_addr_cmp(a, b);
    if (c)
        return c;
    return ap < bp ? -1 : ap > bp;
}

static inline bool key_addr_eq(const struct xm_addr *a, const struct xm_addr *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* Canonical key of the endpoints (s, sp) and (d, dp). */
static inline void key_of_ends(const struct xm_addr *s, uint16_t sp, const struct xm_addr *d,
                               uint16_t dp, uint16_t vlan, uint8_t proto,
                               struct xm_flow_key *k)
{
    memset(k, 0, sizeof *k);
    bool swap = endpoint_cmp(s, sp, d, dp) > 0;
    k->a = swap ? *d : *s;
    k->b = swap ? *s : *d;
    k->a_port = swap ? dp : sp;
    k->b_port = swap ? sp : dp;
    k->vlan = vlan;
    k->proto = proto;
}

/* Canonical key from explicit ports (0 when the packet has none). */
static inline void key_make(const struct xm_pkt *p, uint16_t sp, uint16_t dp,
                            struct xm_flow_key *k)
{
    key_of_ends(&p->src, sp, &p->dst, dp, p->vlan, p->proto, k);
}

/* The canonical key of a packet as pointers into the packet: endpoint
 * a <= b in (addr, port) order, as key_make() orders them. */
struct key_view {
    const struct xm_pkt *p;
    const struct xm_addr *a, *b;
    uint16_t ap, bp;
};

static inline void key_view_of(const struct xm_pkt *p, uint16_t sp, uint16_t dp, struct key_view *v)
{
    bool swap = endpoint_cmp(&p->src, sp, &p->dst, dp) > 0;
    v->p = p;
    v->a = swap ? &p->dst : &p->src;
    v->b = swap ? &p->src : &p->dst;
    v->ap = swap ? dp : sp;
    v->bp = swap ? sp : dp;
}

/* 64x64->128 multiply folded to 64 bits. */
static inline uint64_t key_mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* 8 bytes at p in host order (a hash input: byte order does not matter). */
static inline uint64_t key_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The table's seeded hash of the canonical key key_make() would build
 * from (p, sp, dp), read from the packet's fields rather than from a key
 * just written to the stack (whose narrow stores the wide loads of a
 * byte hash cannot take from the store buffer); the three products are
 * independent.  Equal keys hash equal (same fields in canonical order);
 * nothing printed depends on it (the seed is random per run). */
static inline uint32_t key_hash_view(uint64_t seed, const struct key_view *v)
{
    const uint64_t k0 = UINT64_C(0xa0761d6478bd642f), k1 = UINT64_C(0xe7037ed1a0b428db),
                   k2 = UINT64_C(0x8ebc6af09c88c6e3), k3 = UINT64_C(0x589965cc75374cc3);
    const struct xm_addr *a = v->a, *b = v->b;
    uint64_t misc = (uint64_t)v->ap | (uint64_t)v->bp << 16 | (uint64_t)v->p->vlan << 32 |
                    (uint64_t)v->p->proto << 48 | (uint64_t)a->family << 56;
    uint64_t s = seed;
    uint64_t h = key_mix(key_ld64(a->b) ^ s ^ k0, key_ld64(a->b + 8) ^ k1) ^
                 key_mix(key_ld64(b->b) ^ s ^ k2, key_ld64(b->b + 8) ^ k3) ^
                 key_mix(misc ^ s ^ k1, k0);
    h = key_mix(h, k2);
    return (uint32_t)(h ^ (h >> 32));
}

/* Whether f's key is the canonical key of v's packet: f's ends are v's
 * in one order or the other (the same answer as comparing flow_key_of(f)
 * with key_make()'s key bytewise), compared where the packet has them
 * (a key built on the stack just before would be read back through the
 * store buffer with loads that straddle its narrow stores). */
static inline bool key_is(const struct xm_flow *f, const struct key_view *v)
{
    if (f->proto != v->p->proto || f->vlan != v->p->vlan)
        return false;
    if (f->cli_port == v->ap && f->srv_port == v->bp && key_addr_eq(&f->cli, v->a) &&
        key_addr_eq(&f->srv, v->b))
        return true;
    return f->cli_port == v->bp && f->srv_port == v->ap && key_addr_eq(&f->cli, v->b) &&
           key_addr_eq(&f->srv, v->a);
}

#endif
