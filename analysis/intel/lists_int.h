/*
 * lists_int.h - what lists.c (loading) and lists_index.c (index and
 * matching) share.  Private to analysis/intel/.
 *
 * Ownership: a struct lists_list owns its entries, their strings, the
 * slot index and the scan list (lists_free()).
 */
#ifndef LISTS_INT_H
#define LISTS_INT_H

#include "xm_lists.h"

#define LISTS_DOMAIN_MAX 253         /* RFC 1035 text form, no final dot */

struct lists_list {
    char name[LISTS_NAME_LEN];
    struct lists_entry *ent;
    uint32_t n, cap;
    uint32_t *slot;               /* entry index + 1, 0 = empty */
    uint32_t nslot;               /* power of two */
    uint32_t *scan;               /* globs, ua:, header: in file order */
    uint32_t nscan;
    uint64_t v4len, v6len[3];     /* bitmaps of CIDR/addr prefix lengths */
    uint64_t seed;
    struct lists_stats st;
};

/* Blank inside a line: space or tab. */
static inline bool lists_space(char ch) { return ch == ' ' || ch == '\t'; }

/* Indexes entry idx (the index must have room: lists_slot_grow()). */
void lists_slot_put(struct lists_list *l, uint32_t idx);
/* Doubles the index when one more entry would pass half full; -1 on OOM. */
int lists_slot_grow(struct lists_list *l);
/* The indexed entry with e's key (domain text, or address/plen/port). */
const struct lists_entry *lists_find_entry(const struct lists_list *l,
                                           const struct lists_entry *e);

#endif
