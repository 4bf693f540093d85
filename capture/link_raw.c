/*
 * link_raw.c - raw IP: LINKTYPE_RAW (101, and the BSD values 12 and 14),
 * where the version nibble picks the decoder, and LINKTYPE_IPV4 (228) /
 * LINKTYPE_IPV6 (229), where the link type does.
 */
#include "decode_int.h"

enum dec_reason dec_link_raw(struct dec_ctx *c)
{
    return dec_ip_any(c, DR_LINK_TRUNC, DR_IP_BAD_VERSION);
}

enum dec_reason dec_link_ipv4(struct dec_ctx *c)
{
    return dec_ip4(c);
}

enum dec_reason dec_link_ipv6(struct dec_ctx *c)
{
    return dec_ip6(c);
}
