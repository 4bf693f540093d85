/*
 * source.c - packet sources: recorded captures merged in timestamp order,
 * standard input, and live interfaces (see include/xm_source.h).
 *
 * Merging: each open file keeps its next record buffered (libpcap's
 * buffer stays valid until the next pcap_next_ex on that handle, and we
 * only advance the handle whose record was just consumed).  The record
 * with the smallest timestamp goes first; ties go to the file named first
 * on the command line, so the merge is deterministic.  With one file the
 * merge degenerates to a plain read.
 *
 * Files: every file is read through a counted input (capture/capin.c).
 * pcapng files go to our own block reader (capture/pcapng.c), which gives
 * each packet its interface's link type: libpcap refuses a file whose
 * interfaces differ in link type or snaplen.  Classic pcap files go to
 * libpcap through the capin's stdio view.  With a BPF filter, pcapng
 * packets are matched with pcap_offline_filter() against a program
 * compiled once per link type (src_bpf_for); a link type the expression
 * cannot be compiled for matches nothing.
 *
 * Errors: a file cut short or corrupt ends that file only; src_error()
 * names the file, the record (pcapng: block) number and the byte offset
 * where the bad record STARTS - our own count of bytes consumed, right
 * through a pipe too - and src_failed() stays true so the program exits
 * non-zero after flushing everything read before.
 */
#include "xm_source.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xm_capin.h"
#include "xm_pcapng.h"

struct src_in {
    pcap_t *h;                /* live, or a classic pcap file */
    const char *name;         /* as given; "-" shown as "<stdin>" */
    struct capin cin;         /* files: counted input */
    bool cin_open;
    FILE *fp;                 /* classic pcap: the capin's stdio view,
                                 owned by libpcap */
    struct png *png;          /* pcapng files: our reader */
    struct pcap_pkthdr png_hdr; /* the buffered pcapng packet's lengths */
    uint64_t rec_off;         /* byte offset of the record being read */
    int dlt;                  /* link type of the buffered record */
    bool have;                /* next record buffered */
    bool done;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    xm_time_t ts;
    uint64_t records;         /* records read so far */
    uint64_t size;            /* file size, 0 when unknown */
};

/* A BPF program compiled for one link type (pcapng inputs). */
struct src_bpf {
    int linktype;
    bool ok;                  /* compiled; else nothing matches */
    struct bpf_program prog;
};

struct src {
    struct src_in *in;
    size_t n;
    bool live;
    bool failed;
    char *bpf_expr;           /* the filter, for pcapng link types */
    struct src_bpf *bpf;
    size_t n_bpf;
    char err[512];
};

/* Handles are opened with microsecond precision, so libpcap scales the
 * fraction of nanosecond files for us. */
static xm_time_t src_ts(const struct pcap_pkthdr *h)
{
    return (xm_time_t)h->ts.tv_sec * XM_USEC_PER_SEC + (int64_t)h->ts.tv_usec;
}

/* Bytes of the input consumed so far.  Classic pcap: the stdio view's
 * position (our count minus what stdio holds unread), so the offset
 * before pcap_next_ex() is where the next record starts. */
static uint64_t src_pos(const struct src_in *in)
{
    if (in->fp) {
        off_t off = ftello(in->fp);
        return off < 0 ? in->cin.off : (uint64_t)off;
    }
    return in->cin_open ? in->cin.off : 0;
}

static int src_fill_png(struct src *s, struct src_in *in);

/* Reads the next record of one input into its buffer slot. */
static int src_fill(struct src *s, struct src_in *in)
{
    if (in->png)
        return src_fill_png(s, in);
    in->rec_off = src_pos(in);
    int rc = pcap_next_ex(in->h, &in->hdr, &in->data);
    if (rc == 1) {
        in->have = true;
        in->records++;
        in->ts = src_ts(in->hdr);
        return SRC_PKT;
    }
    in->have = false;
    if (rc == 0)
        return SRC_NONE;            /* live: nothing now */
    if (rc == PCAP_ERROR_BREAK) {
        in->done = true;
        return SRC_END;
    }
    in->done = true;
    s->failed = true;
    if (in->cin_open)
        snprintf(s->err, sizeof s->err, "%s: record %llu (byte offset %llu): %s",
                 in->name, (unsigned long long)in->records + 1,
                 (unsigned long long)in->rec_off, pcap_geterr(in->h));
    else
        snprintf(s->err, sizeof s->err, "%s: record %llu: %s", in->name,
                 (unsigned long long)in->records + 1, pcap_geterr(in->h));
    return SRC_ERR;
}

/* LINKTYPE_ value (pcapng) -> DLT_ value libpcap compiles for; they
 * differ for a few old types, of which we decode only raw IP. */
static int src_lt_dlt(int linktype)
{
    return linktype == 101 ? DLT_RAW : linktype;
}

/* The filter program for one link type, compiled on first use (a few
 * link types per file: never per packet). NULL when out of memory. */
static const struct src_bpf *src_bpf_for(struct src *s, int linktype)
{
    for (size_t i = 0; i < s->n_bpf; i++)
        if (s->bpf[i].linktype == linktype)
            return &s->bpf[i];
    struct src_bpf *nb = realloc(s->bpf, (s->n_bpf + 1) * sizeof *nb);
    if (!nb)
        return NULL;
    s->bpf = nb;
    struct src_bpf *b = &s->bpf[s->n_bpf++];
    *b = (struct src_bpf){.linktype = linktype};
    pcap_t *dead = pcap_open_dead(src_lt_dlt(linktype), 262144);
    b->ok = dead && pcap_compile(dead, &b->prog, s->bpf_expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (dead)
        pcap_close(dead);
    return b;
}

/* Whether the buffered pcapng packet passes the filter (if any). */
static bool src_png_match(struct src *s, const struct src_in *in)
{
    if (!s->bpf_expr)
        return true;
    const struct src_bpf *b = src_bpf_for(s, in->dlt);
    return b && b->ok && pcap_offline_filter(&b->prog, &in->png_hdr, in->data) != 0;
}

/* src_fill() for a pcapng input: the next packet that passes the filter. */
static int src_fill_png(struct src *s, struct src_in *in)
{
    struct png_pkt pp;
    for (;;) {
        int rc = png_next(in->png, &pp);
        if (rc == PNG_END) {
            in->done = true;
            in->have = false;
            return SRC_END;
        }
        if (rc == PNG_ERR) {
            in->done = true;
            in->have = false;
            s->failed = true;
            snprintf(s->err, sizeof s->err, "%s: %s", in->name, png_error(in->png));
            return SRC_ERR;
        }
        in->png_hdr.caplen = pp.caplen;
        in->png_hdr.len = pp.wirelen;
        in->data = pp.data;
        in->dlt = pp.linktype;
        in->ts = pp.ts;
        in->hdr = &in->png_hdr;
        if (src_png_match(s, in))
            break;
    }
    in->have = true;
    in->records++;
    return SRC_PKT;
}

/* Classic pcap: libpcap reads through the capin's stdio view. */
static int src_open_pcap(struct src_in *in, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    FILE *fp = capin_stdio(&in->cin);
    if (!fp) {
        snprintf(err, errlen, "%s: cannot read capture: %s", in->name, strerror(errno));
        return -1;
    }
    in->h = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    if (!in->h) {
        fclose(fp);
        snprintf(err, errlen, "%s: cannot read capture: %s", in->name, ebuf);
        return -1;
    }
    in->dlt = pcap_datalink(in->h);
    in->fp = fp;
    return 0;
}

static int src_open_one(struct src_in *in, const char *path, char *err, size_t errlen)
{
    char perr[256];
    bool std_in = strcmp(path, "-") == 0;
    in->name = std_in ? "<stdin>" : path;
    int fd = std_in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot read capture: %s", in->name, strerror(errno));
        return -1;
    }
    if (capin_open_fd(&in->cin, fd, !std_in) != 0) {
        if (!std_in)
            close(fd);
        snprintf(err, errlen, "%s: out of memory", in->name);
        return -1;
    }
    in->cin_open = true;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        in->size = (uint64_t)st.st_size;
    if (!png_sniff(&in->cin))
        return src_open_pcap(in, err, errlen);
    if (png_open(&in->png, &in->cin, perr, sizeof perr) != 0) {
        snprintf(err, errlen, "%s: cannot read capture: %s", in->name, perr);
        return -1;
    }
    return 0;
}

int src_open_files(struct src **out, const char *const *paths, size_t n,
                   char *err, size_t errlen)
{
    struct src *s = calloc(1, sizeof *s);
    if (!s || !(s->in = calloc(n ? n : 1, sizeof *s->in))) {
        snprintf(err, errlen, "out of memory");
        free(s);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        s->n = i + 1;
        if (src_open_one(&s->in[i], paths[i], err, errlen) != 0)
            goto fail;
    }
    s->n = n;
    *out = s;
    return 0;
fail:
    src_close(s);
    return -1;
}

/* Why pcap_activate() failed, with what the operator can do about it:
 * the real interface names for a misspelt one, the capability for a
 * permission refusal. */
static void src_live_error(pcap_t *h, const char *iface, int rc, char *err, size_t errlen)
{
    const char *why = rc == PCAP_ERROR ? pcap_geterr(h) : pcap_statustostr(rc);
    char names[1024];
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
        if (src_interface_names(names, sizeof names, NULL) >= 0 && names[0])
            snprintf(err, errlen, "%s: no such interface; interfaces: %s "
                     "(exfilmon -D lists them)", iface, names);
        else
            snprintf(err, errlen, "%s: no such interface (%s)", iface, why);
    } else if (rc == PCAP_ERROR_PERM_DENIED) {
        ssize_t n = readlink("/proc/self/exe", names, sizeof names - 1);
        names[n > 0 ? n : 0] = '\0';
        snprintf(err, errlen, "%s: cannot capture: %s; capturing needs CAP_NET_RAW "
                 "(and CAP_NET_ADMIN for promiscuous mode): run as root, or grant them with "
                 "'setcap cap_net_raw,cap_net_admin=eip %s', or start the systemd unit "
                 "(exfilmon.service)", iface, why, names[0] ? names : "exfilmon");
    } else {
        snprintf(err, errlen, "%s: cannot capture: %s", iface, why);
    }
}

int src_open_live(struct src **out, const struct src_live_opts *o,
                  char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct src *s = calloc(1, sizeof *s);
    if (!s || !(s->in = calloc(1, sizeof *s->in))) {
        snprintf(err, errlen, "out of memory");
        free(s);
        return -1;
    }
    s->n = 1;
    s->live = true;
    struct src_in *in = &s->in[0];
    in->name = o->iface;
    in->h = pcap_create(o->iface, ebuf);
    if (!in->h) {
        snprintf(err, errlen, "%s: %s", o->iface, ebuf);
        goto fail;
    }
    pcap_set_snaplen(in->h, o->snaplen);
    pcap_set_promisc(in->h, o->promisc ? 1 : 0);
    pcap_set_timeout(in->h, o->timeout_ms);
    if (o->immediate)
        pcap_set_immediate_mode(in->h, 1);
    pcap_set_buffer_size(in->h, o->buffer_kib * 1024);
    pcap_set_tstamp_precision(in->h, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(in->h);
    if (rc < 0) {
        src_live_error(in->h, o->iface, rc, err, errlen);
        goto fail;
    }
    if (pcap_setnonblock(in->h, 1, ebuf) != 0) {
        snprintf(err, errlen, "%s: %s", o->iface, ebuf);
        goto fail;
    }
    in->dlt = pcap_datalink(in->h);
    *out = s;
    return 0;
fail:
    src_close(s);
    return -1;
}

/* pcapng inputs: keeps the expression for src_bpf_for() after checking
 * that it compiles at all (for Ethernet). */
static int src_png_filter(struct src *s, const char *expr, char *err, size_t errlen)
{
    if (s->bpf_expr)
        return 0;
    struct bpf_program prog;
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    int rc = dead ? pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) : -1;
    if (rc == 0)
        pcap_freecode(&prog);
    else
        snprintf(err, errlen, "filter \"%s\": %s", expr, dead ? pcap_geterr(dead) : "out of memory");
    if (dead)
        pcap_close(dead);
    if (rc == 0 && !(s->bpf_expr = strdup(expr))) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    return rc;
}

int src_set_filter(struct src *s, const char *expr, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++) {
        struct bpf_program prog;
        struct src_in *in = &s->in[i];
        if (in->png) {
            if (src_png_filter(s, expr, err, errlen) != 0)
                return -1;
            continue;
        }
        if (pcap_compile(in->h, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, errlen, "filter \"%s\": %s", expr, pcap_geterr(in->h));
            return -1;
        }
        int rc = pcap_setfilter(in->h, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            snprintf(err, errlen, "%s: cannot set filter: %s", in->name, pcap_geterr(in->h));
            return -1;
        }
    }
    return 0;
}

/* Index of the buffered record with the smallest timestamp, or -1. */
static int src_pick(const struct src *s)
{
    int best = -1;
    for (size_t i = 0; i < s->n; i++) {
        const struct src_in *in = &s->in[i];
        if (in->have && (best < 0 || in->ts < s->in[best].ts))
            best = (int)i;
    }
    return best;
}

/* Refills every input that has no buffered record; reports the first
 * error (the failed input is done, the others go on). */
static int src_refill(struct src *s)
{
    int rc = SRC_PKT;
    for (size_t i = 0; i < s->n; i++) {
        struct src_in *in = &s->in[i];
        if (in->have || in->done)
            continue;
        int r = src_fill(s, in);
        if (r == SRC_ERR && rc != SRC_ERR)
            rc = SRC_ERR;
        else if (r == SRC_NONE && rc == SRC_PKT)
            rc = SRC_NONE;
    }
    return rc;
}

static void src_emit(struct src_in *in, struct src_pkt *p)
{
    p->ts = in->ts;
    p->data = in->data;
    p->caplen = in->hdr->caplen;
    p->wirelen = in->hdr->len;
    p->dlt = in->dlt;
    in->have = false;
}

int src_next(struct src *s, struct src_pkt *p)
{
    int rc = src_refill(s);
    if (rc == SRC_ERR)
        return SRC_ERR;
    int i = src_pick(s);
    if (i >= 0) {
        src_emit(&s->in[i], p);
        return SRC_PKT;
    }
    return rc == SRC_NONE ? SRC_NONE : SRC_END;
}

const char *src_error(const struct src *s) { return s->err; }
bool src_failed(const struct src *s) { return s->failed; }

void src_progress(const struct src *s, uint64_t *done, uint64_t *total)
{
    *done = *total = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct src_in *in = &s->in[i];
        if (in->size == 0) {
            *total = 0;
            return;
        }
        *total += in->size;
        *done += in->done ? in->size : src_pos(in);
    }
}

int src_set_fanout(struct src *s, uint16_t group, char *err, size_t errlen)
{
    /* PACKET_FANOUT_HASH: the kernel's symmetric flow hash, so both
     * directions of a flow reach the same handle; DEFRAG: fragments are
     * reassembled before hashing, so they follow their flow.
     * The option is a 32-bit word, group id low, type and flags high
     * (packet(7)); built unsigned, DEFRAG (0x8000) << 16 overflows int. */
    uint32_t v = (uint32_t)group | (uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
    int fd = s->live && s->n ? pcap_fileno(s->in[0].h) : -1;
    if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, sizeof v) != 0) {
        snprintf(err, errlen, "%s: cannot join fanout group %u: %s", s->n ? s->in[0].name : "?",
                 group, fd < 0 ? "not a live capture" : strerror(errno));
        return -1;
    }
    return 0;
}

int src_fd(const struct src *s)
{
    return s->live && s->n ? pcap_get_selectable_fd(s->in[0].h) : -1;
}

int src_live_stats(const struct src *s, struct pcap_stat *st)
{
    if (!s->live || !s->n)
        return -1;
    return pcap_stats(s->in[0].h, st);
}

void src_close(struct src *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct src_in *in = &s->in[i];
        if (in->h)
            pcap_close(in->h);      /* closes the capin's stdio view */
        png_close(in->png);
        if (in->cin_open)
            capin_close(&in->cin);
    }
    for (size_t i = 0; i < s->n_bpf; i++)
        if (s->bpf[i].ok)
            pcap_freecode(&s->bpf[i].prog);
    free(s->bpf);
    free(s->bpf_expr);
    free(s->in);
    free(s);
}
