/*
 * reasm.c - bounded first-flight TCP reassembly.  See include/xm_reasm.h
 * for bounds, eviction policy and overlap policy.
 *
 * Not an xm_tab: this is an unkeyed pool of buffers whose slot ids are
 * held by flows (the owner field detects a reused slot), not a lookup
 * table.
 */
#include "xm_reasm.h"

#include <stdlib.h>

struct reasm_range { uint32_t start, end; };   /* offsets from base, [start,end) */

struct reasm_slot {
    uint64_t owner;          /* 0 = free */
    uint32_t base;           /* sequence number of offset 0 */
    uint32_t contig;         /* octets contiguous from offset 0 */
    uint32_t prev, next;     /* LRU list, slot ids, 0 = nil (head = newest) */
    uint8_t n_ranges;
    struct reasm_range ranges[REASM_MAX_RANGES];
};

struct reasm_pool {
    uint32_t n_slots, bytes;
    uint32_t head, tail;     /* LRU list of used slots */
    uint32_t free_head;      /* free list threaded through `next` */
    struct reasm_slot *slot; /* [0] unused, ids 1..n_slots */
    uint8_t *buf;            /* n_slots * bytes */
    struct reasm_stats st;
};

struct reasm_pool *reasm_new(uint32_t slots, uint32_t bytes)
{
    if (!slots || !bytes)
        return NULL;
    struct reasm_pool *rp = calloc(1, sizeof *rp);
    if (!rp)
        return NULL;
    rp->slot = calloc((size_t)slots + 1, sizeof *rp->slot);
    rp->buf = malloc((size_t)slots * bytes);
    if (!rp->slot || !rp->buf) {
        reasm_free(rp);
        return NULL;
    }
    rp->n_slots = slots;
    rp->bytes = bytes;
    for (uint32_t i = slots; i >= 1; i--) {
        rp->slot[i].next = rp->free_head;
        rp->free_head = i;
    }
    return rp;
}

void reasm_free(struct reasm_pool *rp)
{
    if (!rp)
        return;
    free(rp->slot);
    free(rp->buf);
    free(rp);
}

static void reasm_unlink(struct reasm_pool *rp, uint32_t id)
{
    struct reasm_slot *s = &rp->slot[id];
    if (s->prev) rp->slot[s->prev].next = s->next; else rp->head = s->next;
    if (s->next) rp->slot[s->next].prev = s->prev; else rp->tail = s->prev;
    s->prev = s->next = 0;
}

static void reasm_push_head(struct reasm_pool *rp, uint32_t id)
{
    struct reasm_slot *s = &rp->slot[id];
    s->prev = 0;
    s->next = rp->head;
    if (rp->head) rp->slot[rp->head].prev = id; else rp->tail = id;
    rp->head = id;
}

static uint32_t reasm_take(struct reasm_pool *rp)
{
    uint32_t id = rp->free_head;
    if (id) {
        rp->free_head = rp->slot[id].next;
        return id;
    }
    id = rp->tail;                   /* LRU victim */
    reasm_unlink(rp, id);
    rp->st.evicted++;
    return id;
}

uint32_t reasm_open(struct reasm_pool *rp, uint64_t owner, uint32_t base)
{
    uint32_t id = reasm_take(rp);
    struct reasm_slot *s = &rp->slot[id];
    memset(s, 0, sizeof *s);
    s->owner = owner;
    s->base = base;
    reasm_push_head(rp, id);
    rp->st.opened++;
    return id;
}

static struct reasm_slot *reasm_get(const struct reasm_pool *rp, uint32_t id, uint64_t owner)
{
    if (id == 0 || id > rp->n_slots || rp->slot[id].owner != owner || owner == 0)
        return NULL;
    return &rp->slot[id];
}

/* Folds pending ranges that now touch the contiguous prefix. */
static void reasm_merge(struct reasm_slot *s)
{
    bool moved = true;
    while (moved) {
        moved = false;
        for (uint8_t i = 0; i < s->n_ranges; i++) {
            if (s->ranges[i].start > s->contig)
                continue;
            if (s->ranges[i].end > s->contig)
                s->contig = s->ranges[i].end;
            s->ranges[i] = s->ranges[--s->n_ranges];
            moved = true;
            break;
        }
    }
}

/* Records [start,end) beyond a gap; drops it when the range list is full. */
static void reasm_pending(struct reasm_pool *rp, struct reasm_slot *s,
                          uint32_t start, uint32_t end)
{
    rp->st.out_of_order++;
    if (s->n_ranges == REASM_MAX_RANGES) {
        rp->st.ranges_dropped++;
        return;
    }
    s->ranges[s->n_ranges].start = start;
    s->ranges[s->n_ranges].end = end;
    s->n_ranges++;
}

enum reasm_result reasm_add(struct reasm_pool *rp, uint32_t id, uint64_t owner,
                            uint32_t seq, const uint8_t *data, size_t len)
{
    struct reasm_slot *s = reasm_get(rp, id, owner);
    if (!s) {
        rp->st.stale++;
        return REASM_STALE;
    }
    rp->st.segments++;
    reasm_unlink(rp, id);
    reasm_push_head(rp, id);
    int32_t rel = (int32_t)(seq - s->base);   /* RFC 793 modular order */
    size_t skip = rel < 0 ? (size_t)-(int64_t)rel : 0;
    if (skip >= len) {
        rp->st.retrans_bytes += len;
        return REASM_OK;
    }
    rp->st.retrans_bytes += skip;            /* octets before the base */
    uint64_t start = rel < 0 ? 0 : (uint64_t)rel, end = start + (len - skip);
    if (start >= rp->bytes) {
        rp->st.overflow_bytes += len - skip;
        return REASM_FULL;
    }
    if (end > rp->bytes) {
        rp->st.overflow_bytes += end - rp->bytes;
        end = rp->bytes;
    }
    uint64_t from = start;                   /* first copy wins: skip the prefix */
    if (start < s->contig)
        from = s->contig < end ? s->contig : end;
    rp->st.retrans_bytes += from - start;
    if (from < end)
        memcpy(rp->buf + (size_t)(id - 1) * rp->bytes + from, data + skip + (from - start),
               (size_t)(end - from));
    if (start <= s->contig) {
        if (end > s->contig)
            s->contig = (uint32_t)end;
        reasm_merge(s);
    } else {
        reasm_pending(rp, s, (uint32_t)start, (uint32_t)end);
    }
    return s->contig >= rp->bytes ? REASM_FULL : REASM_OK;
}

const uint8_t *reasm_data(const struct reasm_pool *rp, uint32_t id, uint64_t owner,
                          size_t *len)
{
    const struct reasm_slot *s = reasm_get(rp, id, owner);
    *len = s ? s->contig : 0;
    return s ? rp->buf + (size_t)(id - 1) * rp->bytes : NULL;
}

void reasm_close(struct reasm_pool *rp, uint32_t id, uint64_t owner)
{
    struct reasm_slot *s = reasm_get(rp, id, owner);
    if (!s)
        return;
    reasm_unlink(rp, id);
    s->owner = 0;
    s->next = rp->free_head;
    rp->free_head = id;
    rp->st.closed++;
}

const struct reasm_stats *reasm_stats(const struct reasm_pool *rp)
{
    return &rp->st;
}
