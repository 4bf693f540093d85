/*
 * fuzz_lists.c - libFuzzer target for the intelligence list parser
 * (analysis/intel/lists.c).  Loads the input as a list file, then runs every
 * matcher against fixed probes and against each entry's own text, so
 * globs, suffix walks and CIDR masks are exercised on parsed data.
 */
#include <stdint.h>
#include <string.h>

#include "xm_lists.h"

static void probe(const struct lists_list *l)
{
    static const char *const names[] = {"a.b.example.com", "x.trycloudflare.com",
        "us-central1-aiplatform.googleapis.com", "", ".", "A.B.", "localhost"};
    static const char *const addrs[] = {"10.1.2.3", "83.142.209.203", "2001:db8::1", "::"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        lists_match_domain(l, names[i]);
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        struct xm_addr a;
        xm_addr_parse(addrs[i], &a);
        lists_match_addr(l, &a, 8080);
        lists_match_addr(l, &a, 0);
    }
    struct lists_http_hdr h[2] = {{"X-Filename", "tpcp.tar.gz"}, {"User-Agent", "litellm/1.0"}};
    lists_match_http(l, h, 2);
    lists_match_port(l, 11434);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lists_list *l = NULL;
    char err[256];
    if (lists_load_buf("fuzz", "fuzz.list", (const char *)data, size, 1, &l, err, sizeof err) != 0)
        return 0;
    probe(l);
    for (uint32_t i = 0; i < lists_count(l); i++) {
        const struct lists_entry *e = lists_entry_at(l, i);
        lists_match_domain(l, e->text);
        lists_match_ua(l, e->text);
        if (e->kind == LISTS_ADDR || e->kind == LISTS_CIDR)
            lists_match_addr(l, &e->addr, e->port);
    }
    lists_free(l);
    return 0;
}
