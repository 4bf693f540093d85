/*
 * fuzz_config.c - libFuzzer target for the -c config file parser
 * (src/config.c): any bytes either load or fail with a placed message;
 * a successful load must dump and load again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "xm_config_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xm_opts o;
    struct config_store *st = NULL;
    char err[1024];
    memset(&o, 0, sizeof o);
    o.snaplen = 262144;
    o.buffer_kib = 65536;
    o.max_flows = 1u << 20;
    o.max_hosts = 1u << 18;
    o.max_pairs = 1u << 18;
    o.timeouts = (struct flow_timeouts){ 60, 600, 10, 120, 60, 120, 1800 };
    if (config_load_text("/etc/exfilmon/fuzz.conf", (const char *)data, size, &o, &st,
                         err, sizeof err) != 0)
        return 0;
    char *dump = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&dump, &len);
    if (f) {
        config_dump(&o, st, f);
        fclose(f);
    }
    struct xm_opts o2 = o;
    struct config_store *st2 = NULL;
    if (dump && config_load_text("/x.conf", dump, len, &o2, &st2, err, sizeof err) != 0) {
        fprintf(stderr, "dump does not load back: %s\n%s", err, dump);
        abort();
    }
    config_store_free(st2);
    free(dump);
    config_store_free(st);
    return 0;
}
