/*
 * proc_hash.c - executable SHA-256 cache with one worker thread.  See
 * include/xm_proc_hash.h for the contract.
 */
#include "xm_proc_hash.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xm_prom.h"

#define PH_QUEUE 64
#define PH_CHUNK 65536

enum { PH_FREE = 0, PH_PENDING, PH_DONE, PH_FAILED };

struct ph_entry {
    struct proc_exe_key key;
    uint64_t age;                 /* insertion order, for eviction */
    uint8_t state;
    uint8_t d[XM_SHA256_LEN];
};

struct ph_job {
    int fd;
    uint32_t slot;
};

struct proc_hash {
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_idle;
    pthread_t th;
    bool started, stop, busy;
    struct ph_entry *e;
    uint32_t cap;
    uint64_t clock;
    struct ph_job q[PH_QUEUE];
    uint32_t qhead, qn;
    uint64_t max_bytes;
    struct proc_hash_stats st;
};

struct proc_hash *proc_hash_new(uint32_t cap, uint64_t max_bytes)
{
    struct proc_hash *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->cap = cap ? cap : 1024;
    h->max_bytes = max_bytes ? max_bytes : (UINT64_C(256) << 20);
    h->e = calloc(h->cap, sizeof *h->e);
    if (!h->e) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv_work, NULL);
    pthread_cond_init(&h->cv_idle, NULL);
    return h;
}

static bool ph_same(const struct proc_exe_key *a, const struct proc_exe_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns;
}

/* Entry of key, or NULL.  Caller holds mu.  Linear: cap is small and
 * this runs once per new process, never per packet. */
static struct ph_entry *ph_find(struct proc_hash *h, const struct proc_exe_key *k)
{
    for (uint32_t i = 0; i < h->cap; i++)
        if (h->e[i].state != PH_FREE && ph_same(&h->e[i].key, k))
            return &h->e[i];
    return NULL;
}

/* A free slot, else the oldest finished one (evicted).  Caller holds mu. */
static struct ph_entry *ph_slot(struct proc_hash *h)
{
    struct ph_entry *old = NULL;
    for (uint32_t i = 0; i < h->cap; i++) {
        if (h->e[i].state == PH_FREE)
            return &h->e[i];
        if (h->e[i].state != PH_PENDING && (!old || h->e[i].age < old->age))
            old = &h->e[i];
    }
    if (old)
        h->st.evicted++;
    return old;
}

/* Hashes fd (at most max_bytes, whole file or nothing). */
static uint8_t ph_hash_fd(int fd, uint64_t size, uint64_t max, uint8_t out[XM_SHA256_LEN])
{
    static uint8_t buf[PH_CHUNK];     /* worker thread only */
    struct xm_sha256 c;
    uint64_t off = 0;
    if (size > max)
        return PH_FAILED;
    xm_sha256_init(&c);
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, (off_t)off);
        if (n < 0)
            return PH_FAILED;
        if (n == 0)
            break;
        xm_sha256_update(&c, buf, (size_t)n);
        off += (uint64_t)n;
        if (off > max)
            return PH_FAILED;
    }
    xm_sha256_final(&c, out);
    return PH_DONE;
}

static void *ph_worker(void *arg)
{
    struct proc_hash *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->qn && !h->stop)
            pthread_cond_wait(&h->cv_work, &h->mu);
        if (h->stop) {                  /* shutting down: drop what is queued */
            for (; h->qn; h->qn--, h->qhead = (h->qhead + 1) % PH_QUEUE)
                close(h->q[h->qhead].fd);
            break;
        }
        struct ph_job j = h->q[h->qhead];
        h->qhead = (h->qhead + 1) % PH_QUEUE;
        h->qn--;
        h->busy = true;
        struct ph_entry *e = &h->e[j.slot];
        uint64_t size = e->key.size;
        pthread_mutex_unlock(&h->mu);
        uint8_t d[XM_SHA256_LEN];
        uint8_t state = ph_hash_fd(j.fd, size, h->max_bytes, d);
        close(j.fd);
        pthread_mutex_lock(&h->mu);
        e->state = state;
        memcpy(e->d, d, sizeof d);
        if (state == PH_DONE)
            h->st.hashed++;
        else if (size > h->max_bytes)
            h->st.too_large++;
        else
            h->st.read_errors++;
        h->busy = false;
        pthread_cond_broadcast(&h->cv_idle);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Caller holds mu.  false: no thread (the job cannot run). */
static bool ph_start(struct proc_hash *h)
{
    if (!h->started && pthread_create(&h->th, NULL, ph_worker, h) == 0)
        h->started = true;
    return h->started;
}

static void ph_key(const struct stat *st, struct proc_exe_key *k)
{
    k->dev = (uint64_t)st->st_dev;
    k->ino = (uint64_t)st->st_ino;
    k->size = (uint64_t)st->st_size;
    k->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Caller holds mu; takes fd over. */
static bool ph_enqueue(struct proc_hash *h, int fd, const struct proc_exe_key *k,
                       uint8_t out[XM_SHA256_LEN])
{
    struct ph_entry *e = ph_find(h, k);
    if (e) {
        close(fd);
        h->st.cache_hits++;
        if (e->state == PH_DONE)
            memcpy(out, e->d, XM_SHA256_LEN);
        return e->state == PH_DONE;
    }
    e = ph_slot(h);
    if (!e || h->qn == PH_QUEUE || !ph_start(h)) {
        close(fd);
        h->st.dropped++;
        return false;
    }
    *e = (struct ph_entry){.key = *k, .age = ++h->clock, .state = PH_PENDING};
    h->q[(h->qhead + h->qn) % PH_QUEUE] = (struct ph_job){fd, (uint32_t)(e - h->e)};
    h->qn++;
    pthread_cond_signal(&h->cv_work);
    return false;
}

bool proc_hash_request_fd(struct proc_hash *h, int fd, struct proc_exe_key *key,
                          uint8_t out[XM_SHA256_LEN])
{
    struct stat st;
    memset(key, 0, sizeof *key);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        pthread_mutex_lock(&h->mu);
        h->st.open_errors++;
        pthread_mutex_unlock(&h->mu);
        return false;
    }
    ph_key(&st, key);
    pthread_mutex_lock(&h->mu);
    h->st.requests++;
    bool known = ph_enqueue(h, fd, key, out);
    pthread_mutex_unlock(&h->mu);
    return known;
}

bool proc_hash_request(struct proc_hash *h, uint32_t pid, struct proc_exe_key *key,
                       uint8_t out[XM_SHA256_LEN])
{
    char path[64];
    memset(key, 0, sizeof *key);
    if (!h)
        return false;
    snprintf(path, sizeof path, "/proc/%u/exe", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        pthread_mutex_lock(&h->mu);
        h->st.open_errors++;
        pthread_mutex_unlock(&h->mu);
        return false;
    }
    return proc_hash_request_fd(h, fd, key, out);
}

bool proc_hash_get(struct proc_hash *h, const struct proc_exe_key *key,
                   uint8_t out[XM_SHA256_LEN])
{
    if (!h || (!key->dev && !key->ino))
        return false;
    pthread_mutex_lock(&h->mu);
    const struct ph_entry *e = ph_find(h, key);
    bool ok = e && e->state == PH_DONE;
    if (ok)
        memcpy(out, e->d, XM_SHA256_LEN);
    pthread_mutex_unlock(&h->mu);
    return ok;
}

void proc_hash_drain(struct proc_hash *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    while (h->qn || h->busy)
        pthread_cond_wait(&h->cv_idle, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void proc_hash_stats(struct proc_hash *h, struct proc_hash_stats *out)
{
    pthread_mutex_lock(&h->mu);
    *out = h->st;
    pthread_mutex_unlock(&h->mu);
}

void proc_hash_write_metrics(struct proc_hash *h, FILE *f)
{
    struct proc_hash_stats s;
    if (!h)
        return;
    proc_hash_stats(h, &s);
    static const char name[] = "exfilmon_proc_exe_hash_total";
    xm_prom_head(f, name, "counter", "Executable SHA-256 requests by outcome.");
    const struct { const char *k; uint64_t v; } rows[] = {
        {"cache_hit", s.cache_hits}, {"hashed", s.hashed}, {"too_large", s.too_large},
        {"read_error", s.read_errors}, {"open_error", s.open_errors},
        {"dropped", s.dropped}, {"evicted", s.evicted},
    };
    for (size_t i = 0; i < XM_ARRAY_LEN(rows); i++)
        xm_prom_u64(f, name, "outcome", rows[i].k, rows[i].v);
}

void proc_hash_free(struct proc_hash *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_signal(&h->cv_work);
    bool started = h->started;
    pthread_mutex_unlock(&h->mu);
    if (started)
        pthread_join(h->th, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv_work);
    pthread_cond_destroy(&h->cv_idle);
    free(h->e);
    free(h);
}
