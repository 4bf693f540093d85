/*
 * community_id.c - the Community ID of a flow (cid_flow() in xm_flow.h):
 * the flow's client -> server tuple handed to cid_tuple() (lib/).
 */
#include "xm_flow.h"

#include "xm_cid.h"

#define P_ICMP 1
#define P_ICMP6 58

int cid_flow(const struct xm_flow *f, uint16_t seed, char *out, size_t len)
{
    uint16_t sp = f->cli_port, dp = f->srv_port;
    if (f->proto == P_ICMP || f->proto == P_ICMP6) {
        sp = f->icmp_type;
        dp = f->icmp_code;
    }
    return cid_tuple(&f->cli, &f->srv, sp, dp, f->proto, seed, out, len);
}
