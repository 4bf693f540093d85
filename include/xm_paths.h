/*
 * xm_paths.h - where the program finds its bundled data (lib/paths.c).
 *
 * An installed binary looks only under the installed data directory
 * (XM_DATADIR, from meson's prefix and datadir): no path of the tree it
 * was built in is compiled into it.  A binary run from its build tree
 * finds, next to itself, the file "exfilmon-uninstalled" that meson writes
 * into every build directory holding executables (src/, tests/, bench/):
 *
 *     source_root=/abs/path/of/the/source/tree
 *     build_root=/abs/path/of/the/build/tree
 *
 * Only then are SOURCE/data, SOURCE/rules and BUILD/data searched too,
 * after XM_DATADIR.  `ninja install` never installs that file.
 *
 * Ownership: every string returned is static storage, valid for the
 * life of the process; the marker is read once, on first use, at start-up.
 */
#ifndef XM_PATHS_H
#define XM_PATHS_H

#include <stddef.h>

/* Name of the marker file next to an uninstalled executable. */
#define PATHS_MARKER "exfilmon-uninstalled"

/* Source / build tree of an uninstalled binary, or NULL when installed. */
const char *paths_source_root(void);
const char *paths_build_root(void);

/*
 * Fills roots[0..max) with the directories to search for a bundled data
 * file ("ioc/teampcp.list"): XM_DATADIR first, then (uninstalled only)
 * SOURCE/data and BUILD/data.  Returns how many were filled.
 */
size_t paths_data_roots(const char **roots, size_t max);

/* Reads a marker file (tests; paths_source_root() reads the one next to
 * /proc/self/exe).  Returns 0 when it named both roots, else -1. */
int paths_read_marker(const char *file, char *src, size_t srclen,
                      char *build, size_t buildlen);

#endif
