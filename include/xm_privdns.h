/*
 * xm_privdns.h - local hosts that resolve names privately: they talk to
 * a known DNS-over-HTTPS / DNS-over-TLS / DNS-over-QUIC resolver
 * (data/dns/resolvers.list: by name on any port, by address on 443,
 * 784 or 8853, never on 53), or to port 853 (DoT, RFC 7858; DoQ, RFC
 * 9250) anywhere.  Their other destinations are not named by any DNS
 * answer we can see, and the flow record says so
 * (unnamed_reason "private_dns").  analysis/intel/privdns.c.
 *
 * Ownership: pdns_new() allocates the table once; pdns_free() releases
 * it.  The resolver list is borrowed and must outlive the table.
 *
 * Bounds: `cap` hosts (rounded up to a power of two).  A host is found
 * by hash (start-up seed) and up to PDNS_PROBE slots of linear probing.
 * Eviction policy: when all probed slots are taken, the one seen least
 * recently is replaced (counted in `evicted`).  A mark lasts
 * PDNS_TTL_S seconds of packet time after the host's last contact with
 * a resolver.
 */
#ifndef XM_PRIVDNS_H
#define XM_PRIVDNS_H

#include "xm_common.h"
#include "xm_lists.h"

#define PDNS_PROBE 8
#define PDNS_TTL_S 86400

struct pdns_stats {
    uint64_t marked;           /* contacts with a resolver (flows) */
    uint64_t hosts;            /* hosts entered in the table */
    uint64_t evicted;
};

struct pdns;

/* NULL on allocation failure. */
struct pdns *pdns_new(uint32_t cap, uint64_t seed);
void pdns_free(struct pdns *t);
/* The resolver list (NULL: only port 853 counts). */
void pdns_set_list(struct pdns *t, const struct lists_list *resolvers);

/* A flow from local host `host` to (`dst`, `port`), named `name` (NULL
 * when not known yet): marks the host when it is a resolver.  Returns
 * true when it was one.  `now` packet time. */
bool pdns_observe(struct pdns *t, const struct xm_addr *host, const struct xm_addr *dst,
                  uint16_t port, const char *name, xm_time_t now);
/* True when the host contacted a resolver within PDNS_TTL_S of now. */
bool pdns_is_private(const struct pdns *t, const struct xm_addr *host, xm_time_t now);

const struct pdns_stats *pdns_stats(const struct pdns *t);

#endif
