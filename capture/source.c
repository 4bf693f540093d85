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
 * Errors: a file cut short or corrupt ends that file only; src_error()
 * names the file, the record number and the byte offset where reading
 * stopped, and src_failed() stays true so the program exits non-zero
 * after flushing everything read before.
 */
#include "xm_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct src_in {
    pcap_t *h;
    const char *name;         /* as given; "-" shown as "<stdin>" */
    FILE *fp;                 /* libpcap's stream, for progress */
    int dlt;
    bool have;                /* next record buffered */
    bool done;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    xm_time_t ts;
    uint64_t records;         /* records read so far */
    uint64_t size;            /* file size, 0 when unknown */
};

struct src {
    struct src_in *in;
    size_t n;
    bool live;
    bool failed;
    char err[512];
};

/* Handles are opened with microsecond precision, so libpcap scales the
 * fraction of nanosecond files for us. */
static xm_time_t src_ts(const struct pcap_pkthdr *h)
{
    return (xm_time_t)h->ts.tv_sec * XM_USEC_PER_SEC + (int64_t)h->ts.tv_usec;
}

static uint64_t src_pos(const struct src_in *in)
{
    if (!in->fp)
        return 0;
    long off = ftell(in->fp);
    return off < 0 ? 0 : (uint64_t)off;
}

/* Reads the next record of one input into its buffer slot. */
static int src_fill(struct src *s, struct src_in *in)
{
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
    snprintf(s->err, sizeof s->err, "%s: record %llu (byte offset %llu): %s",
             in->name, (unsigned long long)in->records + 1,
             (unsigned long long)src_pos(in), pcap_geterr(in->h));
    return SRC_ERR;
}

static int src_open_one(struct src_in *in, const char *path, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    in->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    in->h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    if (!in->h) {
        snprintf(err, errlen, "%s: cannot read capture: %s", in->name, ebuf);
        return -1;
    }
    in->dlt = pcap_datalink(in->h);
    in->fp = pcap_file(in->h);
    struct stat st;
    if (in->fp && fstat(fileno(in->fp), &st) == 0 && S_ISREG(st.st_mode))
        in->size = (uint64_t)st.st_size;
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

int src_set_filter(struct src *s, const char *expr, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++) {
        struct bpf_program prog;
        struct src_in *in = &s->in[i];
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
    for (size_t i = 0; i < s->n; i++)
        if (s->in[i].h)
            pcap_close(s->in[i].h);
    free(s->in);
    free(s);
}
