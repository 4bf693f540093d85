/*
 * readloop.c - the benchmark baseline: the cheapest possible libpcap
 * replay.  pcap_open_offline + pcap_dispatch with a callback that only
 * adds up caplen, so `exfilmon time / readloop time` isolates our cost
 * from libpcap's file reading.
 *
 * usage: readloop FILE   -> prints "packets N caplen_sum M" on stdout.
 * Exit 0 on success, 1 on error.  Nothing is allocated by us.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

struct rl_count {
    uint64_t packets;
    uint64_t bytes;   /* sum of caplen */
};

static void rl_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct rl_count *c = (struct rl_count *)(void *)user;

    (void)data;
    c->packets++;
    c->bytes += h->caplen;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct rl_count c = {0, 0};
    pcap_t *p;
    int n;

    if (argc != 2) {
        fprintf(stderr, "usage: readloop FILE\n");
        return 1;
    }
    p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "readloop: %s\n", err);
        return 1;
    }
    while ((n = pcap_dispatch(p, -1, rl_cb, (u_char *)&c)) > 0)
        ;
    if (n == PCAP_ERROR)
        fprintf(stderr, "readloop: %s\n", pcap_geterr(p));
    pcap_close(p);
    printf("packets %" PRIu64 " caplen_sum %" PRIu64 "\n", c.packets, c.bytes);
    return n == PCAP_ERROR ? 1 : 0;
}
