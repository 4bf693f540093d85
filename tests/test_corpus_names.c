/*
 * test_corpus_names.c - names exfilmon extracts from real captures versus
 * what tshark extracts.
 *
 * For every capture in <corpus>/dns, <corpus>/tls-sni and <corpus>/http
 * (corpus = XM_SOURCE_ROOT/../shared/corpus, or argv[1]) the capture is
 * run through dec_packet -> flow_update -> app_on_packet, collecting
 *   sni:  app_flow_sni() of every flow,
 *   dns:  every question name of every DNS message parsed,
 *   host: the Host of the first HTTP request of every flow,
 * and compared as sets with
 *   tshark -Y '!icmp && !icmpv6 && !quic' -T fields
 *          -e tls.handshake.extensions_server_name -e dns.qry.name -e http.host
 * (ICMP-quoted packets and QUIC are excluded: exfilmon does not decode
 * DNS inside ICMP errors, and QUIC SNIs, which need the Initial keys,
 * are compared by test_corpus_quic.sh.)  Names are
 * compared lower-cased; HTTP hosts without ":port".
 *
 * Every difference must be listed in known_diffs[] with its reason, or
 * the test fails.  Exit 77 (skip) when the corpus or tshark is absent.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xm_app.h"
#include "xm_config.h"
#include "xm_flow.h"
#include "xm_pkt.h"

enum kind { K_SNI, K_DNS, K_HOST, K_MAX };
static const char *const kind_name[K_MAX] = {"sni", "dns", "host"};

struct known_diff {
    const char *file;    /* capture base name */
    int kind;
    const char *name;    /* NULL = any name of that kind in the file */
    int missing;         /* 1: tshark has it, we do not; 0: extra in ours */
    const char *why;
};

static const struct known_diff known_diffs[] = {
    {"ndpi_tls_missing_ch_frag.pcap", K_SNI, "r1---sn-5f5nxgvh5o-hjul.googlevideo.com", 0,
     "a segment of the ClientHello is missing from the capture; tshark cannot "
     "reassemble it, exfilmon keeps the SNI parsed before the gap"},
    {NULL, 0, NULL, 0, NULL},
};

struct set {
    char **v;
    size_t n, cap;
};

static void set_add(struct set *s, const char *name)
{
    if (!name || !name[0] || !strcmp(name, "<root>"))
        return;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name))
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = strdup(name);
}

static bool set_has(const struct set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name))
            return true;
    return false;
}

static void set_clear(struct set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Lower-cases into a static buffer; hosts lose ":port". */
static const char *norm(const char *in, int kind)
{
    static char buf[1024];
    size_t n = 0;
    for (; in[n] && n < sizeof buf - 1; n++)
        buf[n] = (char)((in[n] >= 'A' && in[n] <= 'Z') ? in[n] + 32 : in[n]);
    buf[n] = '\0';
    if (kind == K_HOST) {
        char *end = buf[0] == '[' ? strchr(buf, ']') : buf;
        char *colon = end ? strchr(end, ':') : NULL;
        if (colon)
            *colon = '\0';
    }
    return buf;
}

/* ---- exfilmon side ---- */

struct run {
    struct app_ctx *app;
    struct set got[K_MAX];
};

static void on_dns(void *ctx, const struct dns_msg *m, const struct xm_pkt *p)
{
    struct run *r = ctx;
    for (unsigned i = 0; i < m->n_q; i++)
        set_add(&r->got[K_DNS], norm(m->q[i].name.s, K_DNS));
}

static void on_end(void *ctx, struct xm_flow *f, enum flow_end_reason why)
{
    struct run *r = ctx;
    if (why == FLOW_END_ACTIVE)
        return;
    app_on_flow_end(r->app, f);
    const char *sni = app_flow_sni(r->app, f);
    const struct app_http *h = app_flow_http(r->app, f);
    if (sni)
        set_add(&r->got[K_SNI], norm(sni, K_SNI));
    if (h && h->host[0])
        set_add(&r->got[K_HOST], norm(h->host, K_HOST));
}

static int run_ours(const char *path, struct run *r)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    struct app_limits al;
    app_limits_default(&al);
    r->app = app_new(&al, 1);
    struct flow_timeouts to;
    flow_timeouts_default(&to);
    struct flow_table *ft = flow_table_new(65536, &to, 1, on_end, r);
    app_set_dns_observer(r->app, on_dns, r);
    struct dec_stats st;
    memset(&st, 0, sizeof st);
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int dlt = pcap_datalink(pc);
    while (pcap_next_ex(pc, &hdr, &data) == 1) {
        struct xm_pkt p;
        xm_time_t ts = XM_SEC(hdr->ts.tv_sec) + hdr->ts.tv_usec;
        if (dec_packet(dlt, ts, data, hdr->caplen, hdr->len, &p, &st) != DEC_OK)
            continue;
        int dir = 0;
        struct xm_flow *f = flow_update(ft, &p, NULL, NULL, &dir);
        if (f)
            app_on_packet(r->app, &p, f, dir);
    }
    flow_flush(ft);
    flow_table_free(ft);
    app_free(r->app);
    pcap_close(pc);
    return 0;
}

/* ---- tshark side ---- */

static void add_field(struct set *s, char *field, int kind)
{
    char *save = NULL;
    for (char *tok = strtok_r(field, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
        set_add(s, norm(tok, kind));
}

static int run_tshark(const char *path, struct set *want)
{
    char cmd[8192 + 512];
    snprintf(cmd, sizeof cmd,
             "tshark -n -r '%s' -Y '!icmp && !icmpv6 && !quic' -T fields -E separator=/t "
             "-E aggregator='|' -e tls.handshake.extensions_server_name -e dns.qry.name "
             "-e http.host 2>/dev/null", path);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[65536];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *fields[K_MAX] = {line, NULL, NULL};
        for (int k = 1; k < K_MAX; k++) {
            char *tab = fields[k - 1] ? strchr(fields[k - 1], '\t') : NULL;
            if (tab)
                *tab = '\0';
            fields[k] = tab ? tab + 1 : NULL;
        }
        for (int k = 0; k < K_MAX; k++)
            if (fields[k])
                add_field(&want[k], fields[k], k);
    }
    pclose(f);
    return 0;
}

/* ---- comparison ---- */

static const char *known(const char *file, int kind, const char *name, int missing)
{
    for (size_t i = 0; known_diffs[i].file; i++) {
        const struct known_diff *d = &known_diffs[i];
        if (!strcmp(d->file, file) && d->kind == kind && d->missing == missing &&
            (!d->name || !strcmp(d->name, name)))
            return d->why;
    }
    return NULL;
}

static int totals[K_MAX][3];   /* matched, known diff, unexpected diff */

static int diff(const char *file, int kind, const struct set *a, const struct set *b,
                int missing)
{
    int bad = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (set_has(b, a->v[i])) {
            if (!missing)
                totals[kind][0]++;
            continue;
        }
        const char *why = known(file, kind, a->v[i], missing);
        printf("  %s %s %s %s: %s\n", why ? "known" : "UNEXPECTED",
               missing ? "missing" : "extra", kind_name[kind], a->v[i], why ? why : "-");
        totals[kind][why ? 1 : 2]++;
        bad += !why;
    }
    return bad;
}

static int check_file(const char *path, const char *base)
{
    struct run r;
    struct set want[K_MAX];
    memset(&r, 0, sizeof r);
    memset(want, 0, sizeof want);
    int bad = 0;
    if (run_ours(path, &r) != 0 || run_tshark(path, want) != 0)
        bad = 1;
    printf("%s: sni %zu/%zu dns %zu/%zu host %zu/%zu (exfilmon/tshark)\n", base,
           r.got[K_SNI].n, want[K_SNI].n, r.got[K_DNS].n, want[K_DNS].n,
           r.got[K_HOST].n, want[K_HOST].n);
    for (int k = 0; k < K_MAX; k++) {
        bad += diff(base, k, &r.got[k], &want[k], 0);
        bad += diff(base, k, &want[k], &r.got[k], 1);
        set_clear(&r.got[k]);
        set_clear(&want[k]);
    }
    return bad;
}

static int check_dir(const char *dir)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort), bad = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (strstr(nm, ".pcap")) {
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, nm);
            bad += check_file(path, nm);
        }
        free(ents[i]);
    }
    free(ents);
    return bad;
}

int main(int argc, char **argv)
{
    char root[4096];
    snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : XM_SOURCE_ROOT "/../shared/corpus");
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("corpus %s absent: skipped\n", root);
        return 77;
    }
    if (system("tshark -v >/dev/null 2>&1") != 0) {
        printf("tshark absent: skipped\n");
        return 77;
    }
    static const char *const dirs[] = {"dns", "tls-sni", "http"};
    int bad = 0;
    for (size_t i = 0; i < XM_ARRAY_LEN(dirs); i++) {
        char d[4200];
        snprintf(d, sizeof d, "%s/%s", root, dirs[i]);
        bad += check_dir(d);
    }
    for (int k = 0; k < K_MAX; k++)
        printf("%s: %d matched, %d known differences, %d unexpected\n", kind_name[k],
               totals[k][0], totals[k][1], totals[k][2]);
    return bad ? 1 : 0;
}
