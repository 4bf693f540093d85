/*
 * flow_fixture.h - a flow record filled from text, for the unit tests of
 * the modules that read flows (proc, procwatch).  Header-only; the caller
 * owns *f.
 */
#ifndef XM_TEST_FLOW_FIXTURE_H
#define XM_TEST_FLOW_FIXTURE_H

#include <string.h>

#include "xm_flow.h"

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

#endif
