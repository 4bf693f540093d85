/*
 * xm_proc_hash.h - SHA-256 of process executables, computed off the
 * packet path (analysis/proc/proc_hash.c).
 *
 * proc_hash_request() runs when a process is first attributed: it opens
 * /proc/PID/exe (which pins the file even if the process exits), reads
 * its identity with fstat and, when the cache does not hold it, hands the
 * descriptor to one worker thread that hashes at most max_bytes of file
 * (larger files are not hashed, counted).  Results are cached by
 * (st_dev, st_ino, st_mtim, st_size), so a rebuilt or replaced binary is
 * hashed again.  Cache: cap entries, allocated once; eviction drops the
 * oldest finished entry (pending entries stay); a request finding the
 * cache full of pending entries, or the queue full, is dropped and
 * counted.  proc_hash_get() is a lookup only.
 *
 * Ownership: the struct owns the thread, the queue and every descriptor
 * in it; proc_hash_free() stops the thread and closes them.  All calls
 * come from the pipeline thread; the worker touches only the queue and
 * the entries under the mutex.
 */
#ifndef XM_PROC_HASH_H
#define XM_PROC_HASH_H

#include <stdio.h>

#include "xm_common.h"
#include "xm_sha256.h"

/* The identity a hash belongs to (all 0 = unknown). */
struct proc_exe_key {
    uint64_t dev, ino, size;
    int64_t mtime_ns;
};

struct proc_hash_stats {
    uint64_t requests, cache_hits, hashed, too_large, read_errors, open_errors;
    uint64_t dropped, evicted;
};

struct proc_hash;

/* cap: cache entries (0 = 1024); max_bytes: largest file hashed (0 =
 * 256 MiB).  NULL when out of memory.  The thread starts on first use. */
struct proc_hash *proc_hash_new(uint32_t cap, uint64_t max_bytes);
void proc_hash_free(struct proc_hash *h);

/* Opens /proc/PID/exe, fills *key; queues a hash unless cached.  Returns
 * true (and fills out) when the hash is already known. */
bool proc_hash_request(struct proc_hash *h, uint32_t pid, struct proc_exe_key *key,
                       uint8_t out[XM_SHA256_LEN]);
/* Same, with an already open descriptor (taken over: closed by h). */
bool proc_hash_request_fd(struct proc_hash *h, int fd, struct proc_exe_key *key,
                          uint8_t out[XM_SHA256_LEN]);
/* The finished hash of key, if any. */
bool proc_hash_get(struct proc_hash *h, const struct proc_exe_key *key,
                   uint8_t out[XM_SHA256_LEN]);
/* Blocks until the queue is empty (tests, orderly shutdown). */
void proc_hash_drain(struct proc_hash *h);
void proc_hash_stats(struct proc_hash *h, struct proc_hash_stats *out);
void proc_hash_write_metrics(struct proc_hash *h, FILE *f);

#endif
