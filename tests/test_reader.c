/*
 * test_reader.c - the reader thread and its ring (src/reader.c).
 *
 * Writes a classic pcap of N Ethernet/IPv4/UDP frames whose payload
 * length and bytes are a function of the frame number (0 to 1400 bytes,
 * so batches close on the entry count and, with 1400-byte payloads, on
 * the arena too), then cuts the file inside the last record.  Reading it
 * through the reader thread must give every frame, in order, with its own
 * payload bytes (copied out of libpcap's buffer), then the truncation
 * message as an entry in place, then RDR_END_INPUT; --count stops at
 * exactly that many frames; a consumer that sleeps now and then (so the
 * ring fills and the reader waits) sees the same.  Run it under
 * -Db_sanitize=thread to check the ring for data races.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "xm_reader.h"
#include "xm_test.h"

#define N_FRAMES 6000

static uint32_t plen_of(uint32_t i) { return (i * 7919u) % 1401u; }
static uint8_t byte_of(uint32_t i, uint32_t k) { return (uint8_t)(i * 31u + k * 7u); }

/* Frame i: Ethernet + IPv4 + UDP 10.0.0.1:1000+i%50 -> 198.18.0.1:53. */
static uint32_t frame(uint32_t i, uint8_t *f)
{
    uint32_t pl = plen_of(i), ip = 20 + 8 + pl;
    memset(f, 0, 42);
    f[12] = 0x08;
    uint8_t *h = f + 14;
    h[0] = 0x45;
    h[2] = (uint8_t)(ip >> 8);
    h[3] = (uint8_t)ip;
    h[8] = 64;
    h[9] = 17;
    memcpy(h + 12, "\x0a\x00\x00\x01\xc6\x12\x00\x01", 8);
    uint8_t *u = h + 20;
    u[0] = (uint8_t)((1000 + i % 50) >> 8);
    u[1] = (uint8_t)(1000 + i % 50);
    u[3] = 53;
    u[4] = (uint8_t)((8 + pl) >> 8);
    u[5] = (uint8_t)(8 + pl);
    for (uint32_t k = 0; k < pl; k++)
        u[8 + k] = byte_of(i, k);
    return 14 + ip;
}

static int write_pcap(const char *path)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *dp = dead ? pcap_dump_open(dead, path) : NULL;
    if (!dp)
        return -1;
    static uint8_t f[2048];
    for (uint32_t i = 0; i < N_FRAMES; i++) {
        struct pcap_pkthdr h = {.ts = {1700000000 + i / 1000, (i % 1000) * 1000}};
        h.caplen = h.len = frame(i, f);
        pcap_dump((u_char *)dp, &h, f);
    }
    pcap_dump_close(dp);
    pcap_close(dead);
    FILE *fp = fopen(path, "r+");           /* cut inside the last record */
    if (!fp || fseek(fp, 0, SEEK_END) != 0)
        return -1;
    long end = ftell(fp);
    fclose(fp);
    return truncate(path, end - 10);
}

/* Checks entry e as frame i. */
static int check_frame(const struct rdr_pkt *e, uint32_t i)
{
    if (e->msg || e->why != DR_NONE || e->pkt.l4_caplen != plen_of(i) ||
        e->pkt.ts != (xm_time_t)(1700000000 + i / 1000) * 1000000 + (i % 1000) * 1000 ||
        e->pkt.sport != 1000 + i % 50)
        return -1;
    for (uint32_t k = 0; k < plen_of(i); k++)
        if (e->pkt.l4_payload[k] != byte_of(i, k))
            return -1;
    return 0;
}

/* Reads the file through a reader; returns frames seen in order, -1 on
 * the first mismatch.  *end, *msgs: how it ended, messages seen. */
static long read_all(const char *path, uint64_t count, bool slow, int *end, int *msgs)
{
    char err[512];
    struct src *s = NULL;
    const char *paths[1] = {path};
    if (src_open_files(&s, paths, 1, err, sizeof err) != 0)
        return -1;
    struct rdr_opts ro = {.count = count};
    struct rdr *r = rdr_new(s, &ro, err, sizeof err);
    if (!r || rdr_start(r) != 0)
        return -1;
    long n = 0;
    *msgs = 0;
    do {
        struct rdr_batch *b = rdr_next(r, true);
        for (uint32_t k = 0; k < b->n && n >= 0; k++) {
            if (b->d[k].msg) {
                (*msgs)++;
                CHECK(strstr(b->d[k].msg, "record 6000") != NULL);
            } else if (check_frame(&b->d[k], (uint32_t)n++) != 0) {
                n = -1;
            }
        }
        *end = b->end;
        rdr_release(r);
        if (slow && n % 7 == 0) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
    } while (*end == RDR_MORE);
    rdr_join(r);
    rdr_free(r);
    src_close(s);
    return n;
}

int main(void)
{
    char path[] = "/tmp/xm_test_reader.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(write_pcap(path) == 0);
    int end = 0, msgs = 0;
    CHECK(read_all(path, 0, false, &end, &msgs) == N_FRAMES - 1);
    CHECK_EQ_U64(end, RDR_END_INPUT);
    CHECK_EQ_U64(msgs, 1);
    CHECK(read_all(path, 0, true, &end, &msgs) == N_FRAMES - 1);
    CHECK_EQ_U64(msgs, 1);
    CHECK(read_all(path, 1000, false, &end, &msgs) == 1000);
    CHECK_EQ_U64(end, RDR_END_COUNT);
    CHECK_EQ_U64(msgs, 0);
    /* rdr_free with batches still in the ring takes them and joins. */
    char err[256];
    struct src *s = NULL;
    const char *paths[1] = {path};
    CHECK(src_open_files(&s, paths, 1, err, sizeof err) == 0);
    struct rdr_opts ro = {0};
    struct rdr *r = rdr_new(s, &ro, err, sizeof err);
    CHECK(r && rdr_start(r) == 0);
    CHECK(rdr_next(r, true) != NULL);
    rdr_free(r);
    src_close(s);
    unlink(path);
    return xm_test_result();
}
