/*
 * xm_state.h - learned state files (lib/state.c): one text file per
 * component in the --state directory, written atomically and read back
 * at start.
 *
 * File format (text, one record a line, '\n' ends every line):
 *   exfilmon-state <version> <component>      header; version XM_STATE_VERSION
 *   <component lines>                         owned by the component
 *   end <n>                                   n = component lines written
 * A file whose header names another version or component is ignored with
 * a warning; a missing trailer, a wrong count or a line the component
 * rejects is reported as FILE:LINE and the rest of the file is skipped
 * (lines before it stay loaded).  Nothing here ever aborts the program.
 *
 * Atomicity: xm_state_begin() writes DIR/.<component>.tmp; xm_state_commit()
 * adds the trailer, flushes, fsyncs, renames it over DIR/<component>.state
 * and fsyncs DIR.  A crash at any moment leaves either the previous file
 * or the new one, never a mix.  Test hook: when the environment variable
 * XM_STATE_TEST_ABORT names the component, commit aborts the process
 * (SIGABRT) after the fsync and before the rename.
 *
 * Ownership: the writer owns its FILE until commit/abort.  Lines handed
 * to the load callback are the reader's buffer, valid for the call.
 * Keys are written as lower-case hex of their bytes (xm_state_hex); hex
 * parsing (xm_state_unhex) checks the exact length.
 */
#ifndef XM_STATE_H
#define XM_STATE_H

#include <stdio.h>

#include "xm_common.h"

#define XM_STATE_VERSION 1
#define XM_STATE_LINE_MAX (1u << 20)   /* longest line read, '\n' included */

struct xm_state_w {
    FILE *f;
    char tmp[1024], path[1024], dir[1024];
    const char *component;
    uint64_t lines;
    int err;                 /* a write failed: commit will fail */
};

/* Opens the temp file and writes the header.  0, or -1 (logged). */
int xm_state_begin(struct xm_state_w *w, const char *dir, const char *component);
/* One component line (no '\n' in fmt: it is added). */
void xm_state_line(struct xm_state_w *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Lower-case hex of len bytes into out (2*len+1 bytes); returns out. */
char *xm_state_hex(const void *p, size_t len, char *out);
/* Parses exactly 2*len hex digits of s into p; 0, or -1. */
int xm_state_unhex(const char *s, void *p, size_t len);
/* Trailer, fsync, rename, fsync of the directory.  0, or -1 (logged; the
 * previous file is untouched and the temp file removed). */
int xm_state_commit(struct xm_state_w *w);
void xm_state_abort(struct xm_state_w *w);

/* Called with each component line (without '\n'); returns 0, or -1 with
 * a reason in err. */
typedef int (*xm_state_line_fn)(void *ctx, char *line, char *err, size_t errlen);

/* Reads DIR/<component>.state.  1 when absent, 0 when loaded, -1 when
 * ignored or partly loaded (reported with FILE:LINE as a warning). */
int xm_state_load(const char *dir, const char *component, xm_state_line_fn fn, void *ctx);

#endif
