/*
 * fuzz_pcapng.c - libFuzzer target for the pcapng block reader
 * (capture/pcapng.c) and the counted input under it (capture/capin.c).
 *
 * Input: a whole pcapng file, read from memory.  Every packet is touched
 * byte by byte (ASan sees any read past what the reader claims) and
 * decoded with its interface's link type, as capture/source.c does.
 * Invariants asserted with abort(): the reader consumes no more than the
 * input, a packet never claims more bytes than one block can hold, and the
 * reader terminates (each block consumes at least 12 bytes).
 */
#include "xm_pcapng.h"
#include "xm_pkt.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct capin in;
    capin_open_mem(&in, data, size);
    if (!png_sniff(&in))
        return 0;
    struct png *r;
    char err[256];
    if (png_open(&r, &in, err, sizeof err) != 0)
        return 0;
    struct png_pkt p;
    struct dec_stats st = {0};
    struct xm_pkt pkt;
    size_t n = 0;
    unsigned sum = 0;
    while (png_next(r, &p) == PNG_PKT) {
        if (p.caplen > PNG_BLOCK_MAX || in.off > size || ++n > size / 12)
            abort();
        for (uint32_t i = 0; i < p.caplen; i++)
            sum += p.data[i];
        dec_packet(p.linktype, p.ts, p.data, p.caplen, p.wirelen, &pkt, &st);
    }
    if (in.off > size || (sum == 1 && st.packets == 0))   /* keep sum live */
        abort();
    png_close(r);
    return 0;
}
