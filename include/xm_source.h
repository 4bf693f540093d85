/*
 * xm_source.h - packet sources (capture/source.c): recorded captures
 * (pcap or pcapng, several merged in timestamp order like mergecap, "-"
 * for standard input) and live interfaces.
 *
 * Files are read through a counted input (xm_capin.h): pcapng by our own
 * block reader (xm_pcapng.h; per-interface link types), classic pcap by
 * libpcap.  Errors give the byte offset where the bad record starts.
 *
 * Ownership: the source owns its pcap handles, counted inputs and pcapng
 * readers.  The packet returned by src_next() borrows libpcap's or the
 * pcapng reader's buffer and is valid until the next call.
 */
#ifndef XM_SOURCE_H
#define XM_SOURCE_H

#include <stdio.h>

#include <pcap/pcap.h>

#include "xm_common.h"

struct src;

struct src_pkt {
    xm_time_t ts;           /* usec (nanosecond files are truncated) */
    const uint8_t *data;
    uint32_t caplen, wirelen;
    int dlt;                /* link type of the interface it came from
                               (pcapng: per packet; a LINKTYPE_ value) */
};

struct src_live_opts {
    const char *iface;
    int snaplen;            /* bytes */
    int buffer_kib;         /* kernel buffer, KiB (tcpdump -B's unit) */
    bool promisc;
    int timeout_ms;         /* pcap read timeout */
    bool immediate;         /* deliver each packet at once (process
                               attribution races short-lived sockets) */
};

/* src_next() results */
enum { SRC_PKT = 1, SRC_END = 0, SRC_NONE = -2, SRC_ERR = -1 };

/* Opens all files.  An unreadable file is an error naming it. */
int src_open_files(struct src **out, const char *const *paths, size_t n,
                   char *err, size_t errlen);
/* Opens a live interface, non-blocking. */
int src_open_live(struct src **out, const struct src_live_opts *o,
                  char *err, size_t errlen);
/* -D: one line per interface libpcap can open, numbered, with its
 * description and flags (tcpdump -D's layout).  Returns 0, or -1 with err
 * filled (cannot list, or nothing to list). */
int src_list_interfaces(FILE *f, char *err, size_t errlen);
/* Comma-separated names of every capturable interface into buf.  Returns
 * 1 if want (may be NULL) is one of them, 0 if not, -1 if the list could
 * not be read. */
int src_interface_names(char *buf, size_t len, const char *want);
/* Compiles and installs a BPF filter on every handle. */
int src_set_filter(struct src *s, const char *expr, char *err, size_t errlen);

/*
 * Returns SRC_PKT with *p filled, SRC_END when every input is exhausted,
 * SRC_NONE when a live handle has nothing now, SRC_ERR when one input
 * failed (src_error() says which file, record - pcapng: block - and the
 * byte offset where that record starts; the other
 * inputs go on, so call src_next() again until SRC_END).
 */
int src_next(struct src *s, struct src_pkt *p);
const char *src_error(const struct src *s);
/* True once any input ended with an error (cut short, corrupt). */
bool src_failed(const struct src *s);

/* Bytes consumed and total (0 total when unknown, e.g. stdin). */
void src_progress(const struct src *s, uint64_t *done, uint64_t *total);
/* Live (Linux): joins the handle's socket to PACKET_FANOUT group `group`
 * (same interface, same group on every handle), hashing by flow.  0, or
 * -1 with err filled. */
int src_set_fanout(struct src *s, uint16_t group, char *err, size_t errlen);
/* Live: selectable descriptor, kernel statistics. */
int src_fd(const struct src *s);
int src_live_stats(const struct src *s, struct pcap_stat *st);
void src_close(struct src *s);

#endif
