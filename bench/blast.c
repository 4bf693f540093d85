/*
 * blast.c - UDP load generator for bench/live_fanout.sh (never run by the
 * tests): sends PACKETS datagrams of SIZE payload bytes to DST:PORT from
 * FLOWS sockets (one source port each), round-robin, with sendmmsg(2) in
 * batches of 64, as fast as the kernel takes them; then prints the count
 * and the rate on standard output.
 *
 *   blast DST_IPV4 PORT PACKETS [SIZE=64] [FLOWS=256]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FLOWS 4096

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FLOWS connected UDP sockets to dst; returns how many opened. */
static int open_flows(const struct sockaddr_in *dst, int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        if (fds[i] < 0 || connect(fds[i], (const struct sockaddr *)dst, sizeof *dst) != 0)
            return i;
    }
    return n;
}

/* One batch on socket fd; returns datagrams sent. */
static long send_batch(int fd, char *buf, size_t size, int n)
{
    struct mmsghdr m[BATCH];
    struct iovec iov[BATCH];
    memset(m, 0, sizeof m);
    for (int k = 0; k < n; k++) {
        iov[k].iov_base = buf;
        iov[k].iov_len = size;
        m[k].msg_hdr.msg_iov = &iov[k];
        m[k].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(fd, m, (unsigned)n, 0);
    return r > 0 ? r : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: blast DST_IPV4 PORT PACKETS [SIZE] [FLOWS]\n");
        return 2;
    }
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
        return 2;
    long total = atol(argv[3]);
    size_t size = argc > 4 ? (size_t)atol(argv[4]) : 64;
    int flows = argc > 5 ? atoi(argv[5]) : 256;
    static int fds[MAX_FLOWS];
    static char buf[65536];
    if (flows < 1 || flows > MAX_FLOWS || size > sizeof buf)
        return 2;
    flows = open_flows(&dst, fds, flows);
    long sent = 0;
    double t0 = now_s();
    for (int i = 0; sent < total && flows > 0; i = (i + 1) % flows) {
        long want = total - sent < BATCH ? total - sent : BATCH;
        sent += send_batch(fds[i], buf, size, (int)want);
    }
    double el = now_s() - t0;
    printf("%ld datagrams in %.3f s (%.0f/s)\n", sent, el, el > 0 ? (double)sent / el : 0.0);
    return 0;
}
