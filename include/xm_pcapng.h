/*
 * xm_pcapng.h - our own pcapng block reader (capture/pcapng.c).
 *
 * Why our own: libpcap refuses a pcapng file at the first interface whose
 * link type or snapshot length differs from the first interface's, after
 * having delivered the packets before it; Wireshark reads such files.
 * capture/source.c uses this reader for every pcapng input (one code path;
 * and a fallback after libpcap's refusal could not re-read a pipe), and
 * libpcap for classic pcap files.
 *
 * Format: draft-ietf-opsawg-pcapng (the pcapng specification).  Read:
 *   SHB (0x0A0D0D0A) in either byte order; several sections per file, each
 *     with its own byte order and interfaces; versions 1.0 (and 1.2, which
 *     libpcap also accepts);
 *   IDB (1): per-interface link type (a LINKTYPE_ value), snaplen, and the
 *     options if_tsresol (9: 10^-n, or 2^-n when the top bit is set) and
 *     if_tsoffset (14: signed seconds added to every timestamp);
 *   EPB (6), SPB (3: interface 0, no timestamp - it takes the time of the
 *     previous packet of the file, 0 before any), obsolete PB (2);
 *   every other block (NRB, ISB, DSB, custom, unknown) is skipped.
 * Every block is at most PNG_BLOCK_MAX bytes and read whole into one
 * reusable buffer; every field is read through the bounds-checked reader
 * (xm_rd.h).  A section holds at most PNG_IF_MAX interfaces.
 *
 * Errors name the block (1-based, counting every block of the file) and
 * the byte offset where it starts: "block 12 (byte offset 10752, after 59
 * packets): truncated block ...".  After an error the reader is done.
 *
 * Ownership: the reader borrows the struct capin it reads from; it owns
 * its block buffer and interface table.  A packet's data points into the
 * block buffer and is valid until the next png_next() on that reader.
 */
#ifndef XM_PCAPNG_H
#define XM_PCAPNG_H

#include "xm_capin.h"
#include "xm_common.h"

#define PNG_MAGIC 0x0A0D0D0Au          /* SHB block type, both byte orders */
#define PNG_BLOCK_MAX (16u << 20)      /* bytes, header and trailer included */
#define PNG_IF_MAX 4096u               /* interfaces per section */

struct png;

struct png_pkt {
    xm_time_t ts;           /* usec since the epoch (finer units truncated) */
    const uint8_t *data;
    uint32_t caplen, wirelen;
    int linktype;           /* LINKTYPE_ value of the packet's interface */
    uint32_t ifid;          /* interface index within its section */
};

/* png_next() results */
enum { PNG_PKT = 1, PNG_END = 0, PNG_ERR = -1 };

/* Reads the first SHB.  Returns 0, or -1 with a reason in err (no file
 * name: the caller adds it). */
int png_open(struct png **out, struct capin *in, char *err, size_t errlen);
/* Next packet: PNG_PKT with *p filled, PNG_END at a clean end of input,
 * PNG_ERR (png_error() says where and why; later calls return PNG_END). */
int png_next(struct png *r, struct png_pkt *p);
const char *png_error(const struct png *r);
/* True when the input starts with the pcapng magic (peeks, consumes
 * nothing). */
bool png_sniff(struct capin *in);
void png_close(struct png *r);

#endif
