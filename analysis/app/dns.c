/*
 * dns.c - DNS message parser (RFC 1035, RFC 3596, RFC 7766).  See
 * include/xm_dns.h for the contract.  No allocation, no logging.
 */
#include "xm_dns.h"
#include "xm_rd.h"

#define DNS_WIRE_NAME_MAX 255  /* RFC 1035 3.1: octets incl. length bytes */

const char *dns_result_name(enum dns_result r)
{
    static const char *const names[DNS_RESULT_MAX] = {"ok", "truncated", "invalid"};
    return (unsigned)r < DNS_RESULT_MAX ? names[r] : "unknown";
}

/* Maps one label octet to its text form (see the header). */
static char dns_text_char(uint8_t c)
{
    return (c < 0x21 || c > 0x7e || c == '.') ? '?' : (char)c;
}

/* Appends label bytes from cur; the caller has checked the 255 bound. */
static bool dns_append_label(struct xm_rd *cur, uint8_t n, struct dns_name *out)
{
    if (out->labels)
        out->s[out->len++] = '.';
    else
        out->first_label_len = n;
    for (uint8_t i = 0; i < n; i++) {
        uint8_t c;
        if (!xm_rd_u8(cur, &c))
            return false;
        out->s[out->len++] = dns_text_char(c);
    }
    out->labels++;
    out->s[out->len] = '\0';
    return true;
}

/* Moves cur to absolute message offset `to` (a compression target). */
static void dns_seek(struct xm_rd *cur, const struct xm_rd *msg, size_t to)
{
    xm_rd_init(cur, msg->p, msg->len);
    xm_rd_skip(cur, to);
}

/*
 * Reads a (possibly compressed) name at r->off.  r spans the whole
 * message so pointers resolve; on success r is left just past the name
 * as it appears in place (after the first pointer, if any).
 */
static enum dns_result dns_read_name(struct xm_rd *r, struct dns_name *out)
{
    struct xm_rd cur = *r;
    unsigned jumps = 0;
    size_t wire = 1;                 /* the terminating zero octet */
    bool jumped = false;
    memset(out, 0, sizeof *out);
    for (;;) {
        size_t label_at = cur.off;
        uint8_t n, lo;
        if (!xm_rd_u8(&cur, &n))
            return DNS_TRUNCATED;
        if (n == 0)
            break;
        if ((n & 0xC0) == 0xC0) {
            if (!xm_rd_u8(&cur, &lo))
                return DNS_TRUNCATED;
            size_t to = ((size_t)(n & 0x3F) << 8) | lo;
            if (to >= label_at || ++jumps > DNS_MAX_JUMPS)
                return DNS_INVALID;
            if (!jumped)
                r->off = cur.off;
            jumped = true;
            dns_seek(&cur, r, to);
            continue;
        }
        if (n & 0xC0)                /* 0x40/0x80: obsolete label types */
            return DNS_INVALID;
        wire += (size_t)n + 1;
        if (wire > DNS_WIRE_NAME_MAX)
            return DNS_INVALID;
        if (!dns_append_label(&cur, n, out))
            return DNS_TRUNCATED;
    }
    if (!jumped)
        r->off = cur.off;
    return DNS_OK;
}

static enum dns_result dns_read_question(struct xm_rd *r, struct dns_question *q)
{
    enum dns_result res = dns_read_name(r, &q->name);
    if (res != DNS_OK)
        return res;
    if (!xm_rd_be16(r, &q->qtype) || !xm_rd_be16(r, &q->qclass))
        return DNS_TRUNCATED;
    return DNS_OK;
}

/* TXT RDATA: one or more <length><octets> strings filling rdata exactly. */
static enum dns_result dns_read_txt(struct xm_rd *rd, struct dns_rr *rr)
{
    uint32_t sum = 0;
    while (xm_rd_left(rd) > 0) {
        uint8_t n;
        xm_rd_u8(rd, &n);
        if (!xm_rd_skip(rd, n))
            return DNS_INVALID;
        sum += n;
    }
    rr->txt_bytes = (uint16_t)sum;   /* sum < rdlen <= 65535 */
    return DNS_OK;
}

/* A/AAAA RDATA must be exactly 4/16 octets. */
static enum dns_result dns_read_addr(struct xm_rd *rd, struct dns_rr *rr, size_t n)
{
    if (rr->rdlen != n)
        return DNS_INVALID;
    rr->addr.family = n == 4 ? 4 : 6;
    return xm_rd_copy(rd, rr->addr.b, n) ? DNS_OK : DNS_INVALID;
}

/* CNAME target: resolved against the whole message, must end in rdata. */
static enum dns_result dns_read_cname(const struct xm_rd *msg, size_t at,
                                      struct dns_rr *rr)
{
    struct xm_rd cur;
    dns_seek(&cur, msg, at);
    enum dns_result res = dns_read_name(&cur, &rr->target);
    if (res == DNS_OK && cur.off != at + rr->rdlen)
        return DNS_INVALID;
    return res;
}

static enum dns_result dns_read_rdata(struct xm_rd *r, struct dns_rr *rr)
{
    size_t at = r->off;
    struct xm_rd rd;
    if (!xm_rd_sub(r, rr->rdlen, &rd))
        return DNS_TRUNCATED;
    switch (rr->type) {
    case DNS_T_A:     return dns_read_addr(&rd, rr, 4);
    case DNS_T_AAAA:  return dns_read_addr(&rd, rr, 16);
    case DNS_T_TXT:   return dns_read_txt(&rd, rr);
    case DNS_T_CNAME: return dns_read_cname(r, at, rr);
    default:          return DNS_OK;
    }
}

static enum dns_result dns_read_rr(struct xm_rd *r, struct dns_rr *rr)
{
    memset(rr, 0, sizeof *rr);
    enum dns_result res = dns_read_name(r, &rr->name);
    if (res != DNS_OK)
        return res;
    if (!xm_rd_be16(r, &rr->type) || !xm_rd_be16(r, &rr->rclass) ||
        !xm_rd_be32(r, &rr->ttl) || !xm_rd_be16(r, &rr->rdlen))
        return DNS_TRUNCATED;
    if (rr->ttl & UINT32_C(0x80000000))      /* RFC 2181 8 */
        rr->ttl = 0;
    return dns_read_rdata(r, rr);
}

static enum dns_result dns_read_header(struct xm_rd *r, struct dns_msg *m)
{
    if (!xm_rd_be16(r, &m->id) || !xm_rd_be16(r, &m->flags) ||
        !xm_rd_be16(r, &m->qdcount) || !xm_rd_be16(r, &m->ancount) ||
        !xm_rd_be16(r, &m->nscount) || !xm_rd_be16(r, &m->arcount))
        return DNS_TRUNCATED;
    m->is_response = (m->flags & 0x8000) != 0;
    m->opcode = (uint8_t)((m->flags >> 11) & 0x0F);
    m->rcode = (uint8_t)(m->flags & 0x0F);
    return DNS_OK;
}

static enum dns_result dns_read_questions(struct xm_rd *r, struct dns_msg *m)
{
    struct dns_question scratch;
    for (uint16_t i = 0; i < m->qdcount; i++) {
        struct dns_question *q = m->n_q < DNS_MAX_Q ? &m->q[m->n_q] : &scratch;
        enum dns_result res = dns_read_question(r, q);
        if (res != DNS_OK)
            return res;
        if (q != &scratch)
            m->n_q++;
    }
    return DNS_OK;
}

static enum dns_result dns_read_answers(struct xm_rd *r, struct dns_msg *m)
{
    struct dns_rr scratch;
    for (uint16_t i = 0; i < m->ancount; i++) {
        struct dns_rr *rr = m->n_an < DNS_MAX_AN ? &m->an[m->n_an] : &scratch;
        enum dns_result res = dns_read_rr(r, rr);
        if (res != DNS_OK)
            return res;
        m->an_parsed++;
        m->txt_bytes += rr->txt_bytes;
        if (rr != &scratch)
            m->n_an++;
    }
    return DNS_OK;
}

enum dns_result dns_parse(const uint8_t *p, size_t len, struct dns_msg *m)
{
    struct xm_rd r;
    memset(m, 0, offsetof(struct dns_msg, q));
    m->q[0].name.s[0] = '\0';
    xm_rd_init(&r, p, len);
    enum dns_result res = dns_read_header(&r, m);
    if (res == DNS_OK)
        res = dns_read_questions(&r, m);
    if (res == DNS_OK)
        res = dns_read_answers(&r, m);
    m->consumed = r.off;
    return res;
}

enum dns_result dns_parse_tcp(const uint8_t *p, size_t len, struct dns_msg *m,
                              size_t *msg_len)
{
    struct xm_rd r, body;
    uint16_t n = 0;
    xm_rd_init(&r, p, len);
    *msg_len = 0;
    if (!xm_rd_be16(&r, &n)) {
        memset(m, 0, offsetof(struct dns_msg, q));
        return DNS_TRUNCATED;
    }
    *msg_len = n;
    bool whole = xm_rd_sub(&r, n, &body);
    enum dns_result res = dns_parse(body.p, body.len, m);
    return (res == DNS_OK && !whole) ? DNS_TRUNCATED : res;
}

bool dns_header_plausible(const uint8_t *p, size_t len)
{
    struct xm_rd r;
    uint16_t id, flags, qd, an, ns, ar;
    xm_rd_init(&r, p, len);
    if (len < DNS_HDR_LEN + 5 || !xm_rd_be16(&r, &id) || !xm_rd_be16(&r, &flags) ||
        !xm_rd_be16(&r, &qd) || !xm_rd_be16(&r, &an) || !xm_rd_be16(&r, &ns) ||
        !xm_rd_be16(&r, &ar))
        return false;
    /* QDCOUNT 1, opcode QUERY, Z clear, RCODE <= REFUSED. */
    if (qd != 1 || (flags & 0x7800) || (flags & 0x0040) || (flags & 0x0F) > 5)
        return false;
    if (!(flags & 0x8000))
        return an == 0 && ns == 0 && ar <= 1;
    return an <= 64 && ns <= 16 && ar <= 16;
}
