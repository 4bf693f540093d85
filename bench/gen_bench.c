/*
 * gen_bench.c - writes a large, deterministic benchmark capture.
 *
 * usage: gen_bench [-w mix|gateway|small|flood] [-u BYTES] [-T TRUTH]
 *                  OUT.pcap [packets=10000000] [flows=100000] [snaplen=128]
 *
 * Workloads (-w; default mix, which is described first):
 *   mix      as below.
 *   gateway  the same round-robin, but flows spread over GB_GW_HOSTS
 *            (20,000) local hosts 10.0.0.0/8 and 2 * flows external
 *            addresses in 44.0.0.0/8 (distinct per flow), and every fifth
 *            TCP flow is refused: SYN, RST-ACK, then again from the next
 *            source port (a new short flow per pair).
 *   small    the mix's flows with minimum-size packets only (40-byte TCP
 *            ACKs after the handshake, 28-byte UDP).
 *   flood    one local host (10.0.0.7): two of three packets are SYNs to a
 *            random external address and port (a new flow each), one of
 *            three a DNS A query for a random 12-letter name under
 *            bench.example to 10.0.0.53; `flows` is ignored.  Hidden
 *            in it (-u BYTES, default 3 GiB; -u 0 for none): one TCP upload
 *            of BYTES payload from 10.0.0.7:40000 to 203.0.113.77:443 on
 *            every fourth packet until sent (handshake, then segments of
 *            up to GB_UP_SEG bytes as a TSO-capturing endpoint records
 *            them, a server ACK after every eighth).
 *   -T TRUTH (flood only) writes the generator's truth: one line per
 *            local host, "ADDR bytes_out bytes_in pkts_out pkts_in"
 *            (IP-layer bytes, as exfilmon counts them), then "upload
 *            BYTES_SENT".
 *
 * Ethernet/IPv4 traffic from N concurrent flows (90% TCP, 10% UDP), all
 * open at once: packets are dealt round-robin over the flows, the order
 * of flows within a round shuffled by a fixed affine permutation, so the
 * flow table really holds N flows for the whole run.  Each TCP flow opens
 * with SYN, SYN-ACK, then data/ACK packets; nothing closes.  Wire sizes
 * follow a typical mix (40% pure ACKs, 15% 100-600 B, 45% full 1500 B
 * IP packets); the capture keeps the first `snaplen` bytes (payload
 * bytes are zeros, so the checksums are correct for the wire packet).
 * Time advances 1 us per packet (1 Mpps) from 2026-03-24T00:00:00Z.
 * Everything comes from a fixed-seed splitmix64: same arguments, same file.
 *
 * Memory: one per-flow state array of `flows` entries (12 bytes each),
 * freed at exit.  Exit 0 on success, 1 on error (message on stderr).
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GB_ETH_LEN 14u
#define GB_IP_LEN 20u
#define GB_MAX_FRAME 1514u
#define GB_T0 INT64_C(1774310400) /* 2026-03-24T00:00:00Z, seconds */
#define GB_GW_HOSTS 20000u
#define GB_UP_SEG 64000u           /* upload segment payload (TSO size) */
#define GB_FLOOD_HOST UINT32_C(0x0a000007)   /* 10.0.0.7 */
#define GB_FLOOD_DNS UINT32_C(0x0a000035)    /* 10.0.0.53 */
#define GB_UP_DST UINT32_C(0xcb00714d)       /* 203.0.113.77 */

enum gb_mode { GB_MIX = 0, GB_GATEWAY, GB_SMALL, GB_FLOOD };
static enum gb_mode gb_mode;

/* The flood's hidden upload and its truth (flood mode only). */
struct gb_truth {
    uint64_t out[2], in[2], pout[2], pin[2];   /* [0] 10.0.0.7, [1] 10.0.0.53 */
};
static struct gb_upload {
    uint64_t left;         /* payload bytes still to send */
    uint64_t sent;         /* payload bytes sent */
    uint64_t k;            /* upload packets emitted */
    uint32_t seq[2];       /* next sequence number: [0] client, [1] server */
} gb_up;
static struct gb_truth gb_tr;

struct gb_flow {
    uint32_t seq[2];   /* next sequence number per direction */
    uint32_t pkts;     /* packets emitted so far */
};

static uint64_t gb_rng_state = UINT64_C(0x6578666d62656e63);

/* splitmix64 (public-domain algorithm by S. Vigna), fixed seed. */
static uint64_t gb_rand(void)
{
    uint64_t z = (gb_rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void gb_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void gb_put32(uint8_t *p, uint32_t v)
{
    gb_put16(p, v >> 16);
    gb_put16(p + 2, v & 0xffffu);
}

/* One's complement sum of big-endian 16-bit words (RFC 1071). */
static uint32_t gb_sum(const uint8_t *p, size_t len, uint32_t acc)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        acc += (uint32_t)p[len - 1] << 8;
    return acc;
}

static uint16_t gb_fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffffu) + (acc >> 16);
    return (uint16_t)~acc;
}

/* Flow i's addresses: client 10.(i>>16).(i>>8).(i) side, server one of
 * 4096 external hosts in 198.18.0.0/15 (RFC 2544 benchmark range). */
static void gb_addrs(uint32_t i, uint32_t *cli, uint32_t *srv)
{
    if (gb_mode == GB_GATEWAY) {
        /* host i % 20000; external (i * 2 + 1) scattered over 44.0.0.0/8 */
        *cli = UINT32_C(0x0a000000) | (1u + i % GB_GW_HOSTS);
        *srv = UINT32_C(0x2c000000) | (((i * 2u + 1u) * 2654435761u) & 0xffffffu);
        return;
    }
    *cli = UINT32_C(0x0a000000) | (i & 0xffffffu);
    *srv = UINT32_C(0xc6120000) | ((i * 2654435761u) >> 20);
}

/* Wire IP length for a packet: ACKs, mid-size, or full-size. */
static uint32_t gb_ip_len(int is_udp, uint32_t l4hdr)
{
    uint64_t r = gb_rand() % 100;

    if (gb_mode == GB_SMALL)
        return GB_IP_LEN + l4hdr;
    if (r < 40 && !is_udp)
        return GB_IP_LEN + l4hdr;
    if (r < 55)
        return GB_IP_LEN + l4hdr + 100 + (uint32_t)(gb_rand() % 500);
    return 1500;
}

/* Builds the frame for flow fi into buf (GB_MAX_FRAME bytes); returns the
 * wire length. */
static uint32_t gb_build(uint8_t *buf, uint32_t fi, struct gb_flow *f)
{
    int is_udp = fi % 10 == 3;
    int refused = gb_mode == GB_GATEWAY && fi % 5 == 4;   /* never UDP: 4 != 3 mod 5 */
    uint32_t l4hdr = is_udp ? 8u : 20u;
    int up = f->pkts < 2 ? f->pkts == 0 : (gb_rand() % 3) != 0;
    uint32_t cli, srv, sa, da, iplen, pay;
    uint16_t sport = (uint16_t)(1024 + fi % 60000), dport = 443;
    if (gb_mode == GB_GATEWAY)
        sport = (uint16_t)(1024 + (fi / GB_GW_HOSTS + (refused ? f->pkts / 2 * 97 : 0)) % 60000);
    if (refused)
        up = f->pkts % 2 == 0;
    uint8_t *ip = buf + GB_ETH_LEN, *l4 = ip + GB_IP_LEN;
    uint8_t flags = 0x10;
    uint32_t acc;

    gb_addrs(fi, &cli, &srv);
    sa = up ? cli : srv;
    da = up ? srv : cli;
    iplen = (f->pkts < 2 && !is_udp) || refused ? GB_IP_LEN + l4hdr
                                                : gb_ip_len(is_udp, l4hdr);
    pay = iplen - GB_IP_LEN - l4hdr;
    memset(buf, 0, GB_ETH_LEN + iplen);
    memcpy(buf, up ? "\x02\0\0\0\0\x02\x02\0\0\0\0\x01" : "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
    gb_put16(buf + 12, 0x0800);
    ip[0] = 0x45;
    gb_put16(ip + 2, iplen);
    gb_put16(ip + 4, f->pkts & 0xffffu);
    ip[6] = 0x40;                        /* DF */
    ip[8] = up ? 64 : 52;
    ip[9] = is_udp ? 17 : 6;
    gb_put32(ip + 12, sa);
    gb_put32(ip + 16, da);
    gb_put16(ip + 10, gb_fold(gb_sum(ip, GB_IP_LEN, 0)));
    gb_put16(l4, up ? sport : dport);
    gb_put16(l4 + 2, up ? dport : sport);
    if (is_udp) {
        gb_put16(l4 + 4, l4hdr + pay);
    } else {
        if (refused)
            flags = up ? 0x02 : 0x14;        /* SYN, then RST-ACK */
        else if (f->pkts == 0)
            flags = 0x02;
        else if (f->pkts == 1)
            flags = 0x12;
        else if (pay)
            flags = 0x18;
        gb_put32(l4 + 4, f->seq[!up]);
        gb_put32(l4 + 8, f->pkts && !(refused && up) ? f->seq[up] : 0);
        l4[12] = 0x50;
        l4[13] = flags;
        gb_put16(l4 + 14, 502);
        f->seq[!up] += pay + ((flags & 0x02) ? 1u : 0u);
    }
    /* pseudo-header (RFC 9293 s3.1 / RFC 768) + L4 header; payload is 0 */
    acc = gb_sum(ip + 12, 8, 0) + ip[9] + l4hdr + pay;
    gb_put16(l4 + (is_udp ? 6 : 16), gb_fold(gb_sum(l4, l4hdr, acc)));
    if (is_udp && l4[6] == 0 && l4[7] == 0)
        gb_put16(l4 + 6, 0xffff);
    f->pkts++;
    return GB_ETH_LEN + iplen;
}

/* Ethernet + IPv4 header for an outbound packet of IP length iplen. */
static void gb_ip_hdr(uint8_t *buf, uint32_t iplen, uint8_t proto, uint32_t sa, uint32_t da,
                      uint32_t id)
{
    uint8_t *ip = buf + GB_ETH_LEN;
    memset(buf, 0, GB_ETH_LEN + iplen);
    memcpy(buf, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
    gb_put16(buf + 12, 0x0800);
    ip[0] = 0x45;
    gb_put16(ip + 2, iplen);
    gb_put16(ip + 4, id & 0xffffu);
    ip[8] = 64;
    ip[9] = proto;
    gb_put32(ip + 12, sa);
    gb_put32(ip + 16, da);
    gb_put16(ip + 10, gb_fold(gb_sum(ip, GB_IP_LEN, 0)));
}

/* L4 checksum over the whole segment (pseudo-header, RFC 9293 s3.1). */
static void gb_l4_sum(uint8_t *ip, uint32_t l4len, size_t sum_off)
{
    uint8_t *l4 = ip + GB_IP_LEN;
    uint32_t acc = gb_sum(ip + 12, 8, 0) + ip[9] + l4len;
    gb_put16(l4 + sum_off, gb_fold(gb_sum(l4, l4len, acc)));
}

static uint32_t gb_flood_noise(uint8_t *buf, uint64_t i);

/* Upload packet k of the flood's hidden upload into buf (IP length
 * returned in *iplen; the frame may exceed GB_MAX_FRAME, so only the
 * headers are written: the caller's snaplen is at most GB_MAX_FRAME).
 * k 0 SYN, 1 SYN-ACK, 2 ACK, then data; every ninth later packet is the
 * server's ACK.  Returns true for a client->server packet. */
static bool gb_upload(uint8_t *buf, uint32_t *iplen)
{
    uint64_t k = gb_up.k++;
    bool up = k != 1 && !(k >= 3 && (k - 3) % 9 == 8);
    uint32_t pay = 0;
    uint8_t flags = k == 0 ? 0x02 : k == 1 ? 0x12 : 0x10;
    if (up && k >= 3) {
        pay = gb_up.left < GB_UP_SEG ? (uint32_t)gb_up.left : GB_UP_SEG;
        gb_up.left -= pay;
        gb_up.sent += pay;
        flags = 0x18;
    }
    *iplen = GB_IP_LEN + 20 + pay;
    uint8_t *ip = buf + GB_ETH_LEN, *l4 = ip + GB_IP_LEN;
    gb_ip_hdr(buf, GB_IP_LEN + 20, 6, up ? GB_FLOOD_HOST : GB_UP_DST,
              up ? GB_UP_DST : GB_FLOOD_HOST, (uint32_t)k);
    gb_put16(ip + 2, *iplen);
    ip[10] = ip[11] = 0;
    gb_put16(ip + 10, gb_fold(gb_sum(ip, GB_IP_LEN, 0)));
    gb_put16(l4, up ? 40000 : 443);
    gb_put16(l4 + 2, up ? 443 : 40000);
    gb_put32(l4 + 4, gb_up.seq[!up]);
    gb_put32(l4 + 8, k ? gb_up.seq[up] : 0);
    l4[12] = 0x50;
    l4[13] = flags;
    gb_put16(l4 + 14, 64240);
    gb_up.seq[!up] += pay + ((flags & 0x02) ? 1u : 0u);
    return up;
}

/* Adds a packet of IP length iplen to the truth: host h (0 flooder,
 * 1 DNS server) sent it when out, else received it. */
static void gb_truth_add(int h, bool out, uint32_t iplen)
{
    if (out) {
        gb_tr.out[h] += iplen;
        gb_tr.pout[h]++;
    } else {
        gb_tr.in[h] += iplen;
        gb_tr.pin[h]++;
    }
}

/* Flood packet i: on every fourth packet the hidden upload while it has
 * bytes left; otherwise a SYN to a random external address (2 of 3) or
 * a DNS query for a random name under bench.example (1 of 3). */
static uint32_t gb_flood(uint8_t *buf, uint64_t i)
{
    if (i % 4 == 3 && (gb_up.left || (gb_up.k > 0 && gb_up.k < 3))) {
        uint32_t iplen = 0;
        bool out = gb_upload(buf, &iplen);
        gb_truth_add(0, out, iplen);
        return GB_ETH_LEN + iplen;
    }
    uint32_t n = gb_flood_noise(buf, i);
    gb_truth_add(0, true, n - GB_ETH_LEN);
    if (i % 3 == 2)
        gb_truth_add(1, false, n - GB_ETH_LEN);
    return n;
}

/* A flood packet without the upload (see gb_flood). */
static uint32_t gb_flood_noise(uint8_t *buf, uint64_t i)
{
    uint8_t *ip = buf + GB_ETH_LEN, *l4 = ip + GB_IP_LEN;
    uint32_t host = GB_FLOOD_HOST;
    if (i % 3 != 2) {
        uint32_t da = (uint32_t)gb_rand();
        da = (da & 0x3fffffffu) | UINT32_C(0x40000000);     /* 64.0.0.0/2: public */
        gb_ip_hdr(buf, GB_IP_LEN + 20, 6, host, da, (uint32_t)i);
        gb_put16(l4, (uint16_t)(1024 + i % 60000));
        gb_put16(l4 + 2, (uint16_t)(1 + gb_rand() % 65535));
        gb_put32(l4 + 4, (uint32_t)gb_rand());
        l4[12] = 0x50;
        l4[13] = 0x02;
        gb_put16(l4 + 14, 64240);
        gb_l4_sum(ip, 20, 16);
        return GB_ETH_LEN + GB_IP_LEN + 20;
    }
    static const uint8_t tail[] = "\x05" "bench" "\x07" "example" "\0" "\0\x01" "\0\x01";
    uint32_t dnslen = 12 + 1 + 12 + (uint32_t)sizeof tail - 1, l4len = 8 + dnslen;
    gb_ip_hdr(buf, GB_IP_LEN + l4len, 17, host, GB_FLOOD_DNS, (uint32_t)i);
    gb_put16(l4, (uint16_t)(1024 + i % 60000));
    gb_put16(l4 + 2, 53);
    gb_put16(l4 + 4, l4len);
    uint8_t *d = l4 + 8;
    gb_put16(d, (uint16_t)i);
    gb_put16(d + 2, 0x0100);                 /* RD */
    gb_put16(d + 4, 1);                      /* QDCOUNT */
    d[12] = 12;
    for (int k = 0; k < 12; k++)
        d[13 + k] = (uint8_t)('a' + gb_rand() % 26);
    memcpy(d + 25, tail, sizeof tail - 1);
    gb_l4_sum(ip, l4len, 6);
    return GB_ETH_LEN + GB_IP_LEN + l4len;
}

static int gb_parse(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);

    if (!end || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int gb_write(pcap_dumper_t *d, uint64_t packets, uint32_t nflows,
                    uint32_t snaplen, struct gb_flow *fl)
{
    static uint8_t buf[GB_MAX_FRAME];
    /* Affine permutation of [0, nflows): mult coprime to nflows. */
    uint64_t mult = 1000003 % nflows ? 1000003 : 999983;
    uint64_t i;

    for (i = 0; i < packets; i++) {
        uint64_t round = i / nflows, pos = i % nflows;
        uint32_t fi = (uint32_t)((pos * mult + round * 7919) % nflows);
        struct pcap_pkthdr h;

        h.len = gb_mode == GB_FLOOD ? gb_flood(buf, i) : gb_build(buf, fi, &fl[fi]);
        h.caplen = h.len < snaplen ? h.len : snaplen;
        h.ts.tv_sec = (time_t)(GB_T0 + (int64_t)(i / 1000000));
        h.ts.tv_usec = (suseconds_t)(i % 1000000);
        pcap_dump((u_char *)d, &h, buf);
    }
    return 0;
}

/* One "-X VALUE" option; -1 with a message when unknown or invalid. */
static int gb_option(char opt, const char *val, uint64_t *upload, const char **truth)
{
    static const char *const modes[] = {"mix", "gateway", "small", "flood"};
    if (opt == 'w') {
        for (size_t m = 0; m < 4; m++)
            if (strcmp(val, modes[m]) == 0) {
                gb_mode = (enum gb_mode)m;
                return 0;
            }
        fprintf(stderr, "gen_bench: unknown workload '%s'\n", val);
        return -1;
    }
    if (opt == 'u' && gb_parse(val, 0, UINT64_C(1) << 44, upload) == 0)
        return 0;
    if (opt == 'T') {
        *truth = val;
        return 0;
    }
    fprintf(stderr, "gen_bench: bad option -%c %s\n", opt, val);
    return -1;
}

/* Writes the flood's truth (see the header comment) to path. */
static int gb_truth_write(const char *path)
{
    static const char *const hosts[2] = {"10.0.0.7", "10.0.0.53"};
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    for (int h = 0; h < 2; h++)
        fprintf(f, "%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", hosts[h],
                gb_tr.out[h], gb_tr.in[h], gb_tr.pout[h], gb_tr.pin[h]);
    fprintf(f, "upload %" PRIu64 "\n", gb_up.sent);
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    uint64_t packets = 10000000, flows = 100000, snaplen = 128;
    struct gb_flow *fl = NULL;
    pcap_t *p = NULL;
    pcap_dumper_t *d = NULL;
    int rc = 1;
    static const char *const modes[] = {"mix", "gateway", "small", "flood"};

    uint64_t upload = UINT64_C(3) << 30;
    const char *truth = NULL;
    while (argc > 2 && argv[1][0] == '-' && argv[1][1] && !argv[1][2]) {
        if (gb_option(argv[1][1], argv[2], &upload, &truth) != 0)
            return 1;
        argc -= 2;
        argv += 2;
    }
    if (argc < 2 || (argc > 2 && gb_parse(argv[2], 1, UINT64_C(1) << 40, &packets)) ||
        (argc > 3 && gb_parse(argv[3], 1, UINT32_C(1) << 26, &flows)) ||
        (argc > 4 && gb_parse(argv[4], 54, GB_MAX_FRAME, &snaplen))) {
        fprintf(stderr, "usage: gen_bench [-w mix|gateway|small|flood] [-u BYTES] [-T TRUTH] "
                        "OUT.pcap [packets] [flows] [snaplen 54..1514]\n");
        return 1;
    }
    fl = calloc(flows, sizeof *fl);
    p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
    if (!fl || !p)
        goto out;
    d = pcap_dump_open(p, argv[1]);
    if (!d) {
        fprintf(stderr, "gen_bench: %s\n", pcap_geterr(p));
        goto out;
    }
    for (uint64_t i = 0; i < flows; i++) {
        fl[i].seq[0] = (uint32_t)gb_rand();
        fl[i].seq[1] = (uint32_t)gb_rand();
    }
    gb_up.left = gb_mode == GB_FLOOD ? upload : 0;
    gb_up.seq[0] = (uint32_t)gb_rand();
    gb_up.seq[1] = (uint32_t)gb_rand();
    rc = gb_write(d, packets, (uint32_t)flows, (uint32_t)snaplen, fl);
    if (pcap_dump_flush(d) != 0 || (truth && gb_truth_write(truth) != 0))
        rc = 1;
    else
        printf("%s: %s, %" PRIu64 " packets, %" PRIu64 " flows, snaplen %" PRIu64 "\n",
               argv[1], modes[gb_mode], packets, flows, snaplen);
out:
    if (d)
        pcap_dump_close(d);
    if (p)
        pcap_close(p);
    free(fl);
    return rc;
}
