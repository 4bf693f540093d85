/*
 * fuzz_rules.c - libFuzzer target for the rule lexer, parser and compiler
 * (rules/).  Each input is a rule file: it is tokenized to the end, then
 * compiled; a set that compiles is described and run on a few synthetic
 * packets so evaluation paths are exercised too.
 *
 * Inputs up to FUZZ_RULES_MAX bytes are taken: enough for 100,000 nested
 * '(' or 'not' and 100,000-term and/or chains (issue 12: the nesting
 * limit RULES_MAX_NEST and chain length).  libFuzzer starts from short
 * inputs; run it as  fuzz_rules -max_len=4194304 fuzz/corpus/rules  so
 * it may grow inputs that large (the corpus has such seeds: deep_*,
 * chain_*).
 */
#include <stdio.h>
#include <stdlib.h>

#include "xm_eve.h"
#include "xm_rules.h"
#include "../rules/lex.h"

#define FUZZ_RULES_MAX (4u << 20)

static void fuzz_lex(const char *text, size_t len)
{
    struct lexer lx;
    struct lex_token t;
    struct rules_error err;
    lex_init(&lx, "fuzz", text, len, &err);
    for (size_t i = 0; i <= len; i++)   /* each token takes >= 1 byte */
        if (lex_next(&lx, &t) != 0 || t.kind == LEX_EOF)
            break;
}

static void fuzz_cb(void *ctx, const struct rules_hit *hit)
{
    json_t *a = eve_alert_record(hit);
    if (!a)
        return;
    char *s = json_dumps(a, JSON_COMPACT);
    free(s);
    json_decref(a);
}

static void fuzz_run(struct rules_set *set)
{
    struct rules_limits lim = {.max_hosts = 4, .max_pairs = 4, .max_flows = 4, .max_procs = 4,
                               .max_seen = 4, .max_dsts = 4, .max_supp = 4, .seed = 1};
    struct rules_engine *eng = rules_engine_new(set, &lim, fuzz_cb, NULL);
    if (!eng)
        return;
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    xm_addr_parse("10.0.0.5", &f.cli);
    xm_addr_parse("203.0.113.9", &f.srv);
    f.cli_port = 40000;
    f.srv_port = 443;
    f.proto = 6;
    f.local = FLOW_LOCAL_CLIENT;
    f.flow_id = 1;
    f.proc_id = 3;
    for (int i = 0; i < 4; i++) {
        struct xm_pkt p;
        memset(&p, 0, sizeof p);
        p.ts = XM_SEC(1700006400 + i * 4000);
        p.ip_bytes = 400000000;
        int dir = i == 2;
        f.first = f.first ? f.first : p.ts;
        f.last = p.ts;
        f.pkts[dir]++;
        f.bytes[dir] += p.ip_bytes;
        rules_on_packet(eng, &p, &f, dir);
        rules_tick(eng, p.ts);
    }
    rules_on_flow_end(eng, &f, FLOW_END_TIMEOUT);
    rules_flush(eng);
    rules_engine_stats(eng);
    rules_engine_free(eng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rules_registry *reg;
    if (!reg)
        reg = rules_registry_new();
    if (size > FUZZ_RULES_MAX || !reg)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fuzz_lex(text, size);
    struct rules_set *set = NULL;
    struct rules_error err;
    /* The name has a slash-free dir, so includes resolve relative to cwd. */
    if (rules_compile_string("fuzz.rules", text, reg, &set, &err) == 0) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            rules_set_describe(set, null);
            fclose(null);
        }
        fuzz_run(set);
    }
    free(text);
    return 0;
}
