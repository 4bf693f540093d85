/*
 * xm_netset.h - CIDR text and CIDR sets (lib/netset.c).  The one CIDR
 * parser of the program: home nets, list files, rule literals, rule
 * lists and the AI-host inventory all read prefixes through
 * xm_cidr_parse().
 *
 * Used for --home-net and for CIDR lists in rules.  Lookups are
 * allocation-free: for every prefix length present in the set there is
 * one sorted array of masked prefixes, and netset_contains() does one
 * binary search per present length (a handful for typical sets).
 *
 * Ownership: netset_new()/netset_default_home() return a set the caller
 * owns and frees with netset_free().  The set copies everything it is
 * given; it keeps no pointer to caller memory.  Not thread-safe for
 * writes; concurrent netset_contains() calls on a set nobody modifies
 * are fine.
 */
#ifndef XM_NETSET_H
#define XM_NETSET_H

#include "xm_common.h"

/* ---- single prefixes ---- */
enum { XM_CIDR_EADDR = -1, XM_CIDR_EPLEN = -2 };
/*
 * Parses "ADDR" or "ADDR/LEN" (n bytes, no blanks, no NUL needed): ADDR
 * as xm_addr_parse() (under 64 bytes), LEN 1 to 3 decimal digits without
 * a leading zero (except "0"), at most 32 (IPv4) or 128 (IPv6).
 * *plen is LEN, or 32/128 without a slash; host bits are kept (see
 * xm_cidr_mask()).  Returns 0, XM_CIDR_EADDR (reported before any
 * length problem), or XM_CIDR_EPLEN (then *a holds the address and
 * *plen its full length).
 */
int xm_cidr_parse(const char *s, size_t n, struct xm_addr *a, unsigned *plen);
/* Zeroes the host bits past plen; true when none were set. */
bool xm_cidr_mask(struct xm_addr *a, unsigned plen);
/* True when a (same family) lies in net/plen; host bits of net past
 * plen are ignored. */
bool xm_cidr_contains(const struct xm_addr *net, unsigned plen, const struct xm_addr *a);

/* ---- sets ---- */
struct xm_netset;

struct xm_netset *netset_new(void);
void netset_free(struct xm_netset *s);

/*
 * Adds addr/plen (plen <= 32 for IPv4, <= 128 for IPv6).  Host bits past
 * plen are ignored (10.1.2.3/8 is stored as 10.0.0.0/8).  Adding a prefix
 * already present is a no-op.  Returns 0, or -1 for a bad family/length
 * or allocation failure.
 */
int netset_add_cidr(struct xm_netset *s, const struct xm_addr *addr, unsigned plen);

/*
 * Parses a comma-separated list such as "10.0.0.0/8, 192.168.0.0/16,
 * fc00::/7, 2001:db8::1" (a bare address is a /32 or /128; blanks around
 * tokens are ignored) and adds every prefix.  On error returns -1 and
 * writes "bad CIDR 'TOKEN' at column N: REASON" (column 1-based) into err
 * (if errlen > 0); prefixes before the bad token stay added.  An empty
 * string adds nothing and succeeds.
 */
int netset_parse(struct xm_netset *s, const char *text, char *err, size_t errlen);

/* True when addr (family 4 or 6) falls inside any prefix of the set. */
bool netset_contains(const struct xm_netset *s, const struct xm_addr *addr);

/* Number of distinct prefixes in the set. */
size_t netset_count(const struct xm_netset *s);

/*
 * The default home network: 10/8, 172.16/12, 192.168/16, 100.64/10,
 * 127/8, 169.254/16, fc00::/7, fe80::/10, ::1/128.  NULL on ENOMEM.
 */
struct xm_netset *netset_default_home(void);

/* Adapter with flow_update()'s is_local signature; ctx is a netset. */
bool netset_is_local_cb(void *ctx, const struct xm_addr *addr);

#endif
