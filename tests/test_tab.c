/* test_tab.c - the bounded keyed table (lib/tab.c): insert, find, LRU
 * touch and eviction order, removal and slot reuse, counters, victim,
 * iteration, generations of cached slots (also against a model of
 * cached references), index growth against a
 * reference model, an unusable table, zeroed reuse of freed and evicted
 * entries, and prefetch hints that change nothing. */
#include "xm_tab.h"
#include "xm_test.h"

struct ent {
    struct xm_tab_hdr h;
    uint32_t key;
    uint32_t val;
};

static struct ent *put(struct xm_tab *t, uint32_t k, uint32_t v)
{
    bool created;
    struct ent *e = xm_tab_upsert(t, &k, &created);
    if (e && created)
        e->val = v;
    return e;
}

static bool has(const struct xm_tab *t, uint32_t k)
{
    return xm_tab_find(t, &k) != NULL;
}

static void test_basic(void)
{
    struct xm_tab t;
    CHECK(xm_tab_init(&t, 4, sizeof(struct ent), sizeof(uint32_t), 1234) == 0);
    for (uint32_t k = 1; k <= 4; k++)
        put(&t, k, k * 10);
    CHECK_EQ_U64(t.st.used, 4);
    CHECK_EQ_U64(t.st.inserted, 4);
    CHECK_EQ_U64(t.st.evicted, 0);
    uint32_t k2 = 2;
    struct ent *e = xm_tab_find(&t, &k2);
    CHECK(e && e->val == 20);
    /* A find does not touch: 1 is still the victim; an upsert does. */
    struct ent *v = xm_tab_victim(&t);
    CHECK(v && v->key == 1);
    bool created;
    uint32_t k1 = 1;
    CHECK(xm_tab_upsert(&t, &k1, &created) != NULL && !created);
    v = xm_tab_victim(&t);
    CHECK(v && v->key == 2);
    xm_tab_touch(&t, e);                       /* order now 3, 4, 1, 2 */
    put(&t, 5, 50);                            /* evicts 3 */
    CHECK(!has(&t, 3));
    CHECK(has(&t, 1) && has(&t, 2) && has(&t, 4) && has(&t, 5));
    CHECK_EQ_U64(t.st.evicted, 1);
    CHECK_EQ_U64(t.st.used, 4);
    /* Iteration: least to most recent, and back. */
    uint32_t want[] = {4, 1, 2, 5}, n = 0;
    for (struct ent *i = xm_tab_next(&t, NULL); i; i = xm_tab_next(&t, i))
        CHECK(n < 4 && i->key == want[n++]);
    CHECK_EQ_U64(n, 4);
    n = 4;
    for (struct ent *i = xm_tab_prev(&t, NULL); i; i = xm_tab_prev(&t, i))
        CHECK(n > 0 && i->key == want[--n]);
    xm_tab_free(&t);
}

static void test_remove_and_slots(void)
{
    struct xm_tab t;
    CHECK(xm_tab_init(&t, 3, sizeof(struct ent), sizeof(uint32_t), 99) == 0);
    struct ent *a = put(&t, 7, 1);
    put(&t, 8, 2);
    uint32_t sa = xm_tab_index(&t, a);
    CHECK(sa >= 1 && sa <= 3);
    CHECK(xm_tab_at(&t, sa) == a);
    xm_tab_remove(&t, a);
    CHECK(!has(&t, 7));
    CHECK(xm_tab_at(&t, sa) == NULL);
    CHECK(xm_tab_at(&t, 0) == NULL && xm_tab_at(&t, 4) == NULL);
    CHECK_EQ_U64(t.st.used, 1);
    CHECK(xm_tab_victim(&t) == NULL);          /* not full */
    struct ent *b = put(&t, 9, 3);             /* reuses the freed slot */
    CHECK_EQ_U64(xm_tab_index(&t, b), sa);
    CHECK(b->val == 3);                        /* payload zeroed, then set */
    put(&t, 10, 4);
    CHECK_EQ_U64(t.st.used, 3);
    CHECK_EQ_U64(t.st.evicted, 0);
    put(&t, 11, 5);                            /* full: evicts 8 */
    CHECK(!has(&t, 8) && has(&t, 9) && has(&t, 10) && has(&t, 11));
    CHECK_EQ_U64(t.st.evicted, 1);
    xm_tab_free(&t);
}

/* Many keys through a small table: only the newest cap survive, in
 * insertion order, whatever the seed. */
static void test_many(uint64_t seed)
{
    struct xm_tab t;
    CHECK(xm_tab_init_spread(&t, 100, sizeof(struct ent), sizeof(uint32_t), seed, 2) == 0);
    for (uint32_t k = 1; k <= 1000; k++)
        put(&t, k * 2654435761u, k);
    CHECK_EQ_U64(t.st.used, 100);
    CHECK_EQ_U64(t.st.evicted, 900);
    uint32_t expect = 901;
    bool ordered = true;
    for (struct ent *i = xm_tab_next(&t, NULL); i; i = xm_tab_next(&t, i))
        ordered = ordered && i->val == expect++;
    CHECK(ordered);
    CHECK_EQ_U64(expect, 1001);
    xm_tab_free(&t);
}

/* A cached (slot, generation) finds its entry until that entry is
 * removed or evicted; a slot reused by another key does not match. */
static void test_generations(void)
{
    struct xm_tab t;
    CHECK(xm_tab_init(&t, 2, sizeof(struct ent), sizeof(uint32_t), 5) == 0);
    struct ent *a = put(&t, 1, 10);
    struct xm_tab_ref ra = {xm_tab_index(&t, a), xm_tab_gen(a)};
    CHECK(ra.gen != 0);
    CHECK(xm_tab_at_gen(&t, ra.slot, ra.gen) == a);
    CHECK(xm_tab_at_gen(&t, ra.slot, ra.gen + 1) == NULL);
    CHECK(xm_tab_at_gen(&t, 0, 0) == NULL && xm_tab_at_gen(&t, 3, ra.gen) == NULL);
    put(&t, 2, 20);
    put(&t, 3, 30);                            /* evicts 1: its slot is reused */
    struct ent *c = xm_tab_at(&t, ra.slot);
    CHECK(c && c->key == 3);
    CHECK(xm_tab_at_gen(&t, ra.slot, ra.gen) == NULL);
    CHECK(c && xm_tab_gen(c) != ra.gen);
    xm_tab_remove(&t, c);
    CHECK(c && xm_tab_at_gen(&t, ra.slot, xm_tab_gen(c)) == NULL);
    xm_tab_free(&t);
}

/* Random upserts (evicting: 64 slots, 200 keys) and removals against
 * the references callers cache: the latest (slot, generation) of a live
 * key finds exactly that key, and every reference whose entry was
 * removed, evicted or reinserted since finds nothing, also when its
 * slot is in use by another key or free again. */
static void test_gen_model(uint64_t seed)
{
    enum { NK = 200, NSTALE = 4096 };
    struct xm_tab t;
    CHECK(xm_tab_init(&t, 64, sizeof(struct ent), sizeof(uint32_t), seed) == 0);
    static struct xm_tab_ref live[NK + 1], stale[NSTALE];
    uint32_t nstale = 0, bad = 0;
    memset(live, 0, sizeof live);
    uint64_t x = seed | 1;
    for (int step = 0; step < 20000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t k = 1 + (uint32_t)(x % NK);
        struct ent *victim = xm_tab_victim(&t);
        struct ent *e = xm_tab_find(&t, &k);
        if (e && (x >> 40) % 4 == 0) {
            stale[nstale++ % NSTALE] = live[k];
            live[k] = (struct xm_tab_ref){0, 0};
            xm_tab_remove(&t, e);
        } else if (!e) {
            if (victim) {
                uint32_t vk = victim->key;
                stale[nstale++ % NSTALE] = live[vk];
                live[vk] = (struct xm_tab_ref){0, 0};
            }
            e = put(&t, k, k);
            live[k] = (struct xm_tab_ref){xm_tab_index(&t, e), xm_tab_gen(e)};
        }
        for (uint32_t i = 1; i <= NK; i++) {
            struct ent *g = xm_tab_at_gen(&t, live[i].slot, live[i].gen);
            bad += live[i].gen ? !g || g->key != i : g != NULL;
        }
        for (uint32_t i = 0; i < NSTALE && i < nstale; i++)
            bad += xm_tab_at_gen(&t, stale[i].slot, stale[i].gen) != NULL;
    }
    CHECK(nstale > NSTALE);
    CHECK_EQ_U64(bad, 0);
    xm_tab_free(&t);
}

/* Random inserts and removals (no eviction: the cap exceeds the key
 * range) against a reference; the probe index grows from 16 slots and
 * every key stays findable across growth and backward-shift deletion. */
static void test_grow_model(uint64_t seed)
{
    enum { NK = 3000 };
    static bool ref[NK];
    memset(ref, 0, sizeof ref);
    struct xm_tab t;
    CHECK(xm_tab_init(&t, 4096, sizeof(struct ent), sizeof(uint32_t), seed) == 0);
    uint64_t x = seed | 1;
    size_t bad = 0, used = 0;
    for (int op = 0; op < 40000; op++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        uint32_t k = (uint32_t)(x >> 33) % NK;
        struct ent *e = xm_tab_find(&t, &k);
        bad += (e != NULL) != ref[k];
        if (e && (x >> 20) % 3 == 0) {
            xm_tab_remove(&t, e);
            ref[k] = false;
            used--;
        } else if (!e) {
            CHECK(put(&t, k, k) != NULL);
            ref[k] = true;
            used++;
        }
    }
    for (uint32_t k = 0; k < NK; k++) {
        struct ent *e = xm_tab_find(&t, &k);
        bad += (e != NULL) != ref[k] || (e && e->val != k);
    }
    CHECK_EQ_U64(bad, 0);
    CHECK_EQ_U64(t.st.used, used);
    CHECK_EQ_U64(t.st.evicted, 0);
    CHECK((uint64_t)t.mask + 1 >= 2 * (uint64_t)used && t.mask + 1 <= t.ix_max);
    xm_tab_free(&t);
}

static void test_unusable(void)
{
    struct xm_tab t;
    CHECK(xm_tab_init(&t, 0, sizeof(struct ent), sizeof(uint32_t), 1) == 0);
    bool created = true;
    uint32_t k = 1;
    CHECK(xm_tab_upsert(&t, &k, &created) == NULL);
    CHECK(!created);
    CHECK_EQ_U64(t.st.failed, 1);
    CHECK(xm_tab_find(&t, &k) == NULL);
    xm_tab_free(&t);
    struct xm_tab z;
    memset(&z, 0, sizeof z);                   /* never initialised */
    CHECK(xm_tab_find(&z, &k) == NULL && xm_tab_next(&z, NULL) == NULL);
}

/* An entry big enough to reach over a page boundary, with a payload the
 * caller fills completely. */
struct big {
    struct xm_tab_hdr h;
    uint32_t key;
    uint8_t pay[5000];
};

static bool big_zero(const struct big *b)
{
    for (size_t i = 0; i < sizeof b->pay; i++)
        if (b->pay[i])
            return false;
    return true;
}

static struct big *big_put(struct xm_tab *t, uint32_t k)
{
    bool created;
    struct big *b = xm_tab_upsert(t, &k, &created);
    CHECK(b != NULL && created);
    return b;
}

/* Every entry handed out is zero past its key, whether it was never
 * used, freed by xm_tab_remove or taken from the evicted least recently
 * used key: removal no longer zeroes, insertion zeroes once. */
static void test_reuse_zeroed(void)
{
    struct xm_tab t;
    CHECK(xm_tab_init(&t, 3, sizeof(struct big), sizeof(uint32_t), 77) == 0);
    for (uint32_t k = 1; k <= 3; k++) {
        struct big *b = big_put(&t, k);
        CHECK(b && big_zero(b));
        if (b)
            memset(b->pay, 0xa5, sizeof b->pay);
    }
    uint32_t k2 = 2;
    struct big *b2 = xm_tab_find(&t, &k2);
    CHECK(b2 != NULL);
    if (b2)
        xm_tab_remove(&t, b2);
    CHECK(xm_tab_at(&t, 2) == NULL);           /* free: not an entry */
    struct big *b = big_put(&t, 4);            /* the freed slot */
    CHECK(b && xm_tab_index(&t, b) == 2 && big_zero(b) && b->key == 4);
    b = big_put(&t, 5);                        /* full: evicts key 1 */
    CHECK_EQ_U64(t.st.evicted, 1);
    CHECK(b && xm_tab_index(&t, b) == 1 && big_zero(b) && b->key == 5);
    CHECK(!has(&t, 1) && has(&t, 3) && has(&t, 4) && has(&t, 5));
    xm_tab_free(&t);
}

/* The prefetch hints change nothing: same LRU order, counters and
 * lookups before and after, on a table that is not full and on a full
 * one (xm_tab_full), with any distance ahead, even past the newest. */
static void test_prefetch_hints(void)
{
    struct xm_tab t;
    CHECK(xm_tab_init(&t, 8, sizeof(struct ent), sizeof(uint32_t), 9) == 0);
    for (uint32_t k = 1; k <= 5; k++)
        put(&t, k, k);
    CHECK(!xm_tab_full(&t));
    uint32_t k9 = 9;
    xm_tab_prefetch_key(&t, &k9);
    xm_tab_prefetch_victim(&t, 3);
    CHECK(xm_tab_victim(&t) == NULL);
    for (uint32_t k = 6; k <= 8; k++)
        put(&t, k, k);
    CHECK(xm_tab_full(&t));
    struct xm_tab_stats before = t.st;
    for (unsigned a = 0; a < 12; a++) {
        xm_tab_prefetch_victim(&t, a);
        xm_tab_prefetch_key(&t, &a);
        xm_tab_prefetch_ref(&t, a);            /* slots 0..11: nil, live, past fresh */
    }
    CHECK(memcmp(&before, &t.st, sizeof before) == 0);
    uint32_t n = 0;
    for (struct ent *i = xm_tab_next(&t, NULL); i; i = xm_tab_next(&t, i))
        CHECK(i->key == ++n);
    CHECK_EQ_U64(n, 8);
    struct xm_tab z;
    memset(&z, 0, sizeof z);                   /* never initialised */
    xm_tab_prefetch_key(&z, &k9);
    xm_tab_prefetch_victim(&z, 1);
    xm_tab_prefetch_ref(&z, 1);
    CHECK(!xm_tab_full(&z));
    xm_tab_free(&t);
}

int main(void)
{
    test_basic();
    test_remove_and_slots();
    test_many(1);
    test_many(0xdeadbeef);
    test_generations();
    test_gen_model(3);
    test_gen_model(0xfeedface);
    test_grow_model(1);
    test_grow_model(0x5eed5eed);
    test_unusable();
    test_reuse_zeroed();
    test_prefetch_hints();
    return xm_test_result();
}
