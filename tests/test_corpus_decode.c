/*
 * test_corpus_decode.c - decodes every packet of every .pcap/.pcapng under
 * <source root>/../shared/corpus (skipped, exit 77, when it is absent).
 *
 * Checks: no crash (each packet is copied into an exact-size buffer, so
 * ASan builds catch reads past caplen), the result counters add up to the
 * packets offered, DEC_OK packets satisfy the xm_pkt invariants, and the
 * number of packets libpcap reads matches MANIFEST.tsv's "packets" column
 * (files libpcap refuses to open, or that end in a damaged record, are
 * reported and not counted as failures).  Prints one line per file and a
 * summary of unsupported link types.
 */
#include "xm_config.h"
#include "xm_pkt.h"
#include "xm_test.h"

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <sys/stat.h>

#define MAX_FILES 2048

struct mf_row {
    char *file;            /* path relative to the corpus root */
    long packets;
};

static struct mf_row g_rows[MAX_FILES];
static size_t g_nrows;
static char *g_files[MAX_FILES];
static size_t g_nfiles;

/* MANIFEST.tsv: column 1 = file, column 6 = packets; first line = header. */
static void manifest_load(const char *root)
{
    char path[4096], line[8192];
    snprintf(path, sizeof path, "%s/MANIFEST.tsv", root);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f) && g_nrows < MAX_FILES) {
        char *save = NULL, *col[6] = { 0 };
        char *tok = strtok_r(line, "\t", &save);
        for (int i = 0; tok && i < 6; i++, tok = strtok_r(NULL, "\t", &save))
            col[i] = tok;
        if (!col[5] || strcmp(col[0], "file") == 0)
            continue;
        g_rows[g_nrows].file = strdup(col[0]);
        g_rows[g_nrows].packets = strtol(col[5], NULL, 10);
        g_nrows++;
    }
    fclose(f);
}

static long manifest_packets(const char *rel)
{
    for (size_t i = 0; i < g_nrows; i++)
        if (strcmp(g_rows[i].file, rel) == 0)
            return g_rows[i].packets;
    return -1;
}

static bool is_capture(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".pcap") == 0) ||
           (n > 7 && strcmp(name + n - 7, ".pcapng") == 0);
}

static void collect(const char *root, const char *rel)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) && g_nfiles < MAX_FILES) {
        char sub[4096];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(path, sizeof path, "%s/%s", root, sub);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            collect(root, sub);
        else if (is_capture(de->d_name))
            g_files[g_nfiles++] = strdup(sub);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_ok_pkt(const struct xm_pkt *p, const uint8_t *buf, uint32_t cap,
                         uint32_t wire)
{
    CHECK(p->ip_bytes <= (wire > cap ? wire : cap));
    CHECK(p->ipver == 4 || p->ipver == 6);
    CHECK(p->src.family == p->ipver && p->dst.family == p->ipver);
    CHECK(p->l4_caplen <= p->l4_len);
    if (p->l4_caplen)
        CHECK(p->l4_payload >= buf && p->l4_payload + p->l4_caplen <= buf + cap);
    else
        CHECK(p->l4_payload == NULL);
    CHECK(!(p->has_ports && p->frag == XM_FRAG_LATER));
    CHECK(p->ip_bytes >= (p->ipver == 4 ? 20u : 40u));
}

struct file_sum {
    struct dec_stats st;
    int dlt;
    bool read_error;
};

/* Decodes every packet of one file; returns -1 when libpcap cannot open it. */
static int decode_file(const char *path, struct file_sum *fs)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return -1;
    fs->dlt = pcap_datalink(pc);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
        uint8_t *buf = malloc(h->caplen ? h->caplen : 1);
        struct xm_pkt p;
        if (!buf)
            abort();
        memcpy(buf, data, h->caplen);
        xm_time_t ts = XM_SEC(h->ts.tv_sec) + h->ts.tv_usec;
        if (dec_packet(fs->dlt, ts, buf, h->caplen, h->len, &p, &fs->st) == DEC_OK)
            check_ok_pkt(&p, buf, h->caplen, h->len);
        free(buf);
    }
    fs->read_error = rc == -1;
    pcap_close(pc);
    return 0;
}

int main(void)
{
    const char *root = XM_SOURCE_ROOT "/../shared/corpus";
    struct stat sb;
    if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        printf("corpus %s absent: skipped\n", root);
        return 77;
    }
    manifest_load(root);
    collect(root, "");
    qsort(g_files, g_nfiles, sizeof g_files[0], cmp_str);
    CHECK(g_nfiles > 0);

    struct dec_stats total;
    memset(&total, 0, sizeof total);
    unsigned n_full = 0, n_open_fail = 0, n_read_err = 0, n_mismatch = 0;
    int unsup[64];
    unsigned n_unsup = 0;
    for (size_t i = 0; i < g_nfiles; i++) {
        char path[4096];
        struct file_sum fs;
        memset(&fs, 0, sizeof fs);
        snprintf(path, sizeof path, "%s/%s", root, g_files[i]);
        long want = manifest_packets(g_files[i]);
        if (decode_file(path, &fs) != 0) {
            printf("%-66s open failed (libpcap refuses it)\n", g_files[i]);
            n_open_fail++;
            continue;
        }
        uint64_t sum = 0, rsum = 0;
        for (int r = 0; r < DEC_RESULT_MAX; r++) {
            sum += fs.st.result[r];
            total.result[r] += fs.st.result[r];
        }
        for (int r = 0; r < DR_MAX; r++) {
            rsum += fs.st.reason[r];
            total.reason[r] += fs.st.reason[r];
        }
        total.packets += fs.st.packets;
        CHECK_EQ_U64(sum, fs.st.packets);
        CHECK_EQ_U64(rsum, fs.st.packets);
        const uint64_t *res = fs.st.result;
        printf("%-66s dlt=%-3d pkts=%-5llu ok=%llu not_ip=%llu unsup=%llu trunc=%llu "
               "invalid=%llu%s", g_files[i], fs.dlt, (unsigned long long)fs.st.packets,
               (unsigned long long)res[DEC_OK], (unsigned long long)res[DEC_NOT_IP],
               (unsigned long long)res[DEC_UNSUPPORTED_DLT],
               (unsigned long long)res[DEC_TRUNCATED], (unsigned long long)res[DEC_INVALID],
               fs.read_error ? " read-error" : "");
        if (want >= 0 && (uint64_t)want != fs.st.packets) {
            printf(" MANIFEST says %ld", want);
            /* a damaged last record legitimately stops libpcap early */
            if (!fs.read_error) {
                CHECK_EQ_U64(fs.st.packets, want);
                n_mismatch++;
            }
        }
        printf("\n");
        n_read_err += fs.read_error;
        if (fs.st.packets && res[DEC_OK] + res[DEC_NOT_IP] == fs.st.packets)
            n_full++;
        if (res[DEC_UNSUPPORTED_DLT]) {
            bool seen = false;
            for (unsigned k = 0; k < n_unsup; k++)
                seen |= unsup[k] == fs.dlt;
            if (!seen && n_unsup < XM_ARRAY_LEN(unsup))
                unsup[n_unsup++] = fs.dlt;
        }
    }
    printf("\nfiles %zu: decoded fully %u, open failed %u, read errors %u, "
           "manifest mismatches %u\n", g_nfiles, n_full, n_open_fail, n_read_err,
           n_mismatch);
    printf("packets %llu:", (unsigned long long)total.packets);
    for (int r = 0; r < DEC_RESULT_MAX; r++)
        printf(" %s=%llu", dec_result_name((enum dec_result)r),
               (unsigned long long)total.result[r]);
    printf("\nreasons:");
    for (int r = 1; r < DR_MAX; r++)
        if (total.reason[r])
            printf(" %s=%llu", dec_reason_name((enum dec_reason)r),
                   (unsigned long long)total.reason[r]);
    printf("\nunsupported link types:");
    for (unsigned k = 0; k < n_unsup; k++)
        printf(" %d", unsup[k]);
    printf("\n");
    CHECK(total.result[DEC_OK] > total.packets / 2);
    for (size_t i = 0; i < g_nfiles; i++)
        free(g_files[i]);
    for (size_t i = 0; i < g_nrows; i++)
        free(g_rows[i].file);
    return xm_test_result();
}
