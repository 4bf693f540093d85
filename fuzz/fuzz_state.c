/* fuzz_state.c - learned-state files (lib/state.c and the loaders of
 * dstseen, aihost, the rule engine and incidents) on arbitrary bytes.
 * Input: one byte choosing the component (mod 4), then the file.  The
 * tables are built once and reused (their caps bound the memory); every
 * input is loaded and then saved again, and the saved file must load
 * cleanly (a loaded state is always a savable, loadable state). */
#include <stdlib.h>
#include <unistd.h>

#include "xm_aihost.h"
#include "xm_dstseen.h"
#include "xm_incident.h"
#include "xm_rules.h"
#include "xm_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The rule set of tests/test_state.c, whose saved files seed the corpus. */
static const char *const fz_rules =
    "rule 1 \"new\" { scope host, destination when dst.first_seen_age < 1h "
    "severity low cooldown 1m }\n"
    "rule 2 \"win\" { scope host when bytes_out[6h] > 1MB severity low cooldown 1m }\n"
    "rule 3 \"cool\" { scope host when bytes_out[1m] > 10 severity low cooldown 1d }\n";

static const char *const fz_names[4] = {"dstseen", "aihost", "rules", "incidents"};
static char fz_dir[] = "/tmp/xm-fuzz-state-XXXXXX";
static struct dstseen *fz_ds;
static struct aihost *fz_ah;
static struct rules_engine *fz_eng;
static struct inc_engine *fz_inc;
static struct xm_netset *fz_home;

static void fz_alert(void *ctx, const struct rules_hit *h) { (void)ctx; (void)h; }
static void fz_emit(void *ctx, json_t *rec) { (void)ctx; json_decref(rec); }

static void fz_rmdir(void) { rmdir(fz_dir); }

static int fz_init(void)
{
    struct aihost_config ac = {.max_hosts = 64, .seed = 5};
    struct dstseen_limits dl = {.max_pairs = 256, .max_domains = 256};
    struct rules_limits rl = {.seed = 9, .max_hosts = 64, .max_seen = 256, .max_dsts = 256,
                              .max_supp = 256};
    struct rules_set *set = NULL;
    struct rules_error err;
    struct inc_limits il;
    char e[64];
    static struct rules_registry *reg;
    reg = rules_registry_new();
    if (!mkdtemp(fz_dir) || atexit(fz_rmdir) != 0 || !reg ||
        rules_compile_string("fuzz.rules", fz_rules, reg, &set, &err) != 0)
        return -1;
    inc_limits_default(&il);
    il.max_open = 64;
    fz_home = netset_new();
    netset_parse(fz_home, "10.0.0.0/8", e, sizeof e);
    fz_ds = dstseen_new(&dl, 3);
    fz_ah = aihost_new(&ac);
    fz_eng = rules_engine_new(set, &rl, fz_alert, NULL);
    fz_inc = inc_new(&il, fz_home, fz_emit, NULL);
    return fz_ds && fz_ah && fz_eng && fz_inc ? 0 : -1;
}

static int fz_load(int c)
{
    switch (c) {
    case 0: return dstseen_load(fz_ds, fz_dir);
    case 1: return aihost_load(fz_ah, fz_dir);
    case 2: return rules_engine_load(fz_eng, fz_dir);
    default: return inc_load(fz_inc, fz_dir);
    }
}

static int fz_save(int c)
{
    switch (c) {
    case 0: return dstseen_save(fz_ds, fz_dir);
    case 1: return aihost_save(fz_ah, fz_dir);
    case 2: return rules_engine_save(fz_eng, fz_dir);
    default: return inc_save(fz_inc, fz_dir);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    char path[128];
    if (!ready)
        ready = fz_init() == 0 ? 1 : -1;
    if (ready < 0)
        abort();
    if (size < 1)
        return 0;
    int c = data[0] % 4;
    snprintf(path, sizeof path, "%s/%s.state", fz_dir, fz_names[c]);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    (void)fz_load(c);
    if (fz_save(c) != 0 || fz_load(c) != 0)
        abort();
    unlink(path);
    return 0;
}
