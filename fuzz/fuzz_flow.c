/* fuzz_flow.c - drives the flow table (fragments, TCP states, eviction,
 * expiry, interim records) with packets synthesized from the input and
 * renders every ended flow as an EVE record (Community ID included).
 * Each packet takes 12 bytes, read through xm_rd. */
#include <stdlib.h>

#include "xm_eve.h"
#include "xm_flow.h"
#include "xm_rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_end(void *ctx, struct xm_flow *f, enum flow_end_reason r)
{
    (void)ctx;
    json_t *o = eve_flow_record(f, r, false);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    free(s);
    json_decref(o);
}

static bool is_local(void *ctx, const struct xm_addr *a)
{
    (void)ctx;
    return (a->b[3] & 1) != 0;
}

static void addr_of(uint8_t sel, uint8_t ver, struct xm_addr *a)
{
    memset(a, 0, sizeof *a);
    a->family = ver;
    a->b[0] = ver == 4 ? 10 : 0xfd;
    a->b[3] = sel & 7;
    if (ver == 6)
        a->b[15] = sel & 7;
}

/* One packet from 12 input bytes; false when the input is used up. */
static bool next_pkt(struct xm_rd *r, xm_time_t *now, struct xm_pkt *p)
{
    uint8_t b[12];
    if (!xm_rd_copy(r, b, sizeof b))
        return false;
    static const uint8_t protos[] = {6, 17, 1, 58, 132, 47};
    memset(p, 0, sizeof *p);
    uint8_t ver = (b[11] & 1) ? 6 : 4;
    addr_of(b[0], ver, &p->src);
    addr_of(b[1], ver, &p->dst);
    p->ipver = ver;
    p->proto = protos[b[2] % sizeof protos];
    p->has_ports = p->proto == 6 || p->proto == 17 || p->proto == 132;
    p->sport = (uint16_t)(b[3] % 4 + 1000);
    p->dport = (uint16_t)(b[4] % 4 + 80);
    p->tcp_flags = b[5];
    p->icmp_type = b[3];
    p->icmp_code = b[4];
    p->frag = b[6] % 3;
    p->frag_id = b[7] % 4;
    if (p->frag == XM_FRAG_LATER)
        p->has_ports = false;
    *now += (xm_time_t)b[8] * XM_USEC_PER_SEC / 4;
    p->ts = *now;
    p->ip_bytes = (uint32_t)b[9] * 16;
    p->vlan = (uint16_t)(b[10] % 2);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow_timeouts t = {5, 30, 2, 8, 4, 6, 10};
    struct flow_table *ft = flow_table_new(8, &t, 42, on_end, NULL);
    if (!ft)
        return 0;
    struct xm_rd r;
    xm_rd_init(&r, data, size);
    xm_time_t now = XM_SEC(1700000000);
    struct xm_pkt p;
    int dir;
    for (unsigned n = 0; next_pkt(&r, &now, &p); n++) {
        flow_update(ft, &p, is_local, NULL, &dir);
        if (n % 4 == 3)
            flow_expire(ft, now);
    }
    flow_flush(ft);
    flow_table_free(ft);
    return 0;
}
