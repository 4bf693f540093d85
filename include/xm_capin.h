/*
 * xm_capin.h - counted, buffered byte input for recorded captures
 * (capture/capin.c): a file descriptor (regular file or pipe) or a block
 * of memory (tests, fuzzing).
 *
 * Why: a capture reader must name the byte offset where a bad record
 * STARTS, also when reading a pipe, where ftell() means nothing.  capin
 * counts every byte it hands out (`off`), so the offset of a record is
 * simply `off` before the record is read.  capin also lets the opener peek
 * at the magic number without consuming it, so the choice between our
 * pcapng reader and libpcap works on a pipe too.
 *
 * Ownership: struct capin is caller-owned storage.  In descriptor mode it
 * owns its read buffer, and the descriptor when opened with own_fd; in
 * memory mode it borrows the caller's bytes, which must outlive it.
 * capin_stdio() returns a read-only FILE that reads through the capin
 * (for libpcap's pcap_fopen_offline, which then owns and closes that
 * FILE); ftello() on it is the byte offset its user has consumed (no
 * system call, right on a pipe).  Closing the FILE leaves the capin open,
 * and the capin must be closed after the FILE.
 */
#ifndef XM_CAPIN_H
#define XM_CAPIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CAPIN_BUF (1u << 20)    /* read(2) buffer in descriptor mode, bytes */

struct capin {
    int fd;                 /* -1 in memory mode */
    bool own_fd;
    uint8_t *buf;           /* descriptor mode: owned, CAPIN_BUF bytes */
    const uint8_t *p;       /* unread bytes are p[pos, end) */
    size_t pos, end;
    uint64_t off;           /* bytes handed out since the start */
    int err;                /* errno of the first failed read, 0 if none */
    bool eof;               /* the descriptor returned end of file */
};

/* Descriptor mode.  Returns 0, or -1 when out of memory. */
int capin_open_fd(struct capin *in, int fd, bool own_fd);
/* Memory mode over p[0, n). */
void capin_open_mem(struct capin *in, const uint8_t *p, size_t n);
/* Makes up to n (<= CAPIN_BUF) bytes visible at *p without consuming
 * them; returns how many are there (fewer only at end of input). */
size_t capin_peek(struct capin *in, size_t n, const uint8_t **p);
/* Copies up to n bytes to dst; returns how many (fewer only at end of
 * input or on a read error, see `err`). */
size_t capin_read(struct capin *in, void *dst, size_t n);
/* See above.  NULL when the C library refuses.  It can only tell its
 * position; any other seek fails with ESPIPE. */
FILE *capin_stdio(struct capin *in);
void capin_close(struct capin *in);

#endif
