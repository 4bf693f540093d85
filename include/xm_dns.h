/*
 * xm_dns.h - DNS message parser (RFC 1035 section 4, RFC 3596 AAAA,
 * RFC 7766 DNS over TCP).  analysis/app/dns.c.
 *
 * Pure parser: reads untrusted bytes only through struct xm_rd, never
 * allocates, writes into the caller's struct dns_msg (fixed-size
 * buffers).  Ownership: the caller owns both the input bytes and the
 * output struct; nothing is retained after the call returns.
 *
 * Names come out in text form without the trailing dot ("" is the root),
 * at most DNS_NAME_MAX (253) characters, case preserved.  Label bytes
 * outside the printable range 0x21..0x7e and a '.' inside a label are
 * replaced by '?', so the text is always plain ASCII (valid JSON).
 *
 * Compression pointers (RFC 1035 4.1.4) must point strictly backwards
 * (before the label that holds them) and at most DNS_MAX_JUMPS are
 * followed per name; anything else is DNS_INVALID.  Running out of
 * captured bytes is DNS_TRUNCATED; the parts parsed before the cut stay
 * in the output (n_q / n_an say how many), so a snaplen-cut response
 * still yields its question.
 */
#ifndef XM_DNS_H
#define XM_DNS_H

#include "xm_common.h"

#define DNS_NAME_MAX 253     /* text characters, RFC 1035 2.3.4 (255 wire) */
#define DNS_MAX_JUMPS 16     /* compression pointers followed per name */
#define DNS_MAX_Q 4          /* questions kept (more are parsed, not kept) */
#define DNS_MAX_AN 32        /* answer records kept */
#define DNS_HDR_LEN 12

enum dns_type {
    DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
    DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_OPT = 41,
};

enum dns_result {
    DNS_OK = 0,
    DNS_TRUNCATED,   /* captured bytes end inside the message */
    DNS_INVALID,     /* impossible field: bad pointer, label type, length */
    DNS_RESULT_MAX
};

struct dns_name {
    char s[DNS_NAME_MAX + 1];  /* NUL-terminated text form */
    uint8_t len;               /* strlen(s) */
    uint8_t labels;            /* number of labels */
    uint8_t first_label_len;   /* octets of the leftmost label */
};

struct dns_question {
    struct dns_name name;
    uint16_t qtype, qclass;
};

struct dns_rr {
    struct dns_name name;      /* owner name */
    uint16_t type, rclass;
    uint32_t ttl;              /* seconds, as sent (RFC 2181 8: top bit -> 0) */
    uint16_t rdlen;            /* RDATA octets per the header */
    struct xm_addr addr;       /* A / AAAA */
    struct dns_name target;    /* CNAME target (empty otherwise) */
    uint16_t txt_bytes;        /* TXT: sum of the character-string octets */
};

struct dns_msg {
    uint16_t id;
    uint16_t flags;            /* raw header flags word */
    bool is_response;          /* QR bit */
    uint8_t opcode, rcode;
    uint16_t qdcount, ancount, nscount, arcount;  /* header counts */
    uint8_t n_q;               /* questions stored in q[] */
    uint8_t n_an;              /* answers stored in an[] */
    uint16_t an_parsed;        /* answers walked (stored or not) */
    uint32_t txt_bytes;        /* TXT octets over all walked answers */
    size_t consumed;           /* octets up to the end of the answer section */
    struct dns_question q[DNS_MAX_Q];
    struct dns_rr an[DNS_MAX_AN];
};

/*
 * Parses one DNS message occupying p[0, len).  Header, questions and the
 * answer section are decoded (authority/additional are not walked).
 * Always initialises *m.
 */
enum dns_result dns_parse(const uint8_t *p, size_t len, struct dns_msg *m);

/*
 * DNS over TCP: p starts with the 2-octet big-endian length prefix.  On
 * return *msg_len holds the prefixed length (0 when even the prefix is
 * missing); the message is parsed from p + 2 over min(msg_len, len - 2)
 * octets (DNS_TRUNCATED when the segment holds less than msg_len).
 */
enum dns_result dns_parse_tcp(const uint8_t *p, size_t len, struct dns_msg *m,
                              size_t *msg_len);

/*
 * Cheap plausibility test for DNS on a non-standard UDP port: header
 * counts consistent with an ordinary query/response (QDCOUNT 1, opcode 0,
 * Z bit clear, small AN/NS/AR counts).  No name is decoded.
 */
bool dns_header_plausible(const uint8_t *p, size_t len);

const char *dns_result_name(enum dns_result r);

#endif
