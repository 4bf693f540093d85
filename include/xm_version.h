/*
 * xm_version.h - exfilmon's version and the run-time versions of the
 * libraries it links (src/version.c), for --version and /metrics.
 * Ownership: every string returned is static (owned by the library that
 * reports it); nothing is allocated.
 */
#ifndef XM_VERSION_H
#define XM_VERSION_H

#include <stdio.h>

/* exfilmon's own version (meson project version). */
const char *xm_version(void);
/* libpcap's pcap_lib_version(), e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
const char *xm_libpcap_version(void);
/* Writes the --version text: exfilmon, then one line per library
 * (libpcap, jansson, libevent, libmaxminddb, libpsl) with its version. */
void xm_version_print(FILE *f);

#endif
