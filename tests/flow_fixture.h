/*
 * flow_fixture.h - fixtures of the process tests (proc, proc_exe,
 * procwatch): a flow record filled from text, and a file's SHA-256 read
 * through stdio (the reference the exe-hash cache is checked against).
 * Header-only; the caller owns every buffer.
 */
#ifndef XM_TEST_FLOW_FIXTURE_H
#define XM_TEST_FLOW_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "xm_flow.h"
#include "xm_sha256.h"

/* *f = a flow cli:cp -> srv:sp of protocol proto (6, 17, ...), first and
 * last packet at `first`, `local` one of FLOW_LOCAL_*.  Addresses are
 * parsed with xm_addr_parse; an unparsable one leaves the zero address. */
static inline void xm_test_flow(struct xm_flow *f, uint8_t proto, const char *cli, uint16_t cp,
                                const char *srv, uint16_t sp, uint8_t local, xm_time_t first)
{
    memset(f, 0, sizeof *f);
    xm_addr_parse(cli, &f->cli);
    xm_addr_parse(srv, &f->srv);
    f->cli_port = cp;
    f->srv_port = sp;
    f->proto = proto;
    f->first = f->last = first;
    f->local = local;
}

/* The SHA-256 of the file at path as lowercase hex (all zero-length
 * input's digest when it cannot be opened). */
static inline void xm_test_sha_hex_of_file(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    struct xm_sha256 c;
    uint8_t buf[4096], d[XM_SHA256_LEN];
    size_t n;
    xm_sha256_init(&c);
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
        xm_sha256_update(&c, buf, n);
    if (f)
        fclose(f);
    xm_sha256_final(&c, d);
    xm_sha256_hex(d, hex);
}

#endif
