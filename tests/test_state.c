/*
 * test_state.c - learned state (--state): the file format of lib/state.c
 * (versioned header, trailer, FILE:LINE errors never fatal, hex keys),
 * and save/load round trips of every component: dstseen (domain
 * first-seen and prevalence), aihost (AI-host evidence), the rule engine
 * (first-seen pairs, cooldowns, windows; keys of an older key layout
 * are skipped) and open incidents.  Each round
 * trip loads into a table built with ANOTHER hash seed, and saving again
 * must give the same bytes (saving order never depends on the seed).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xm_aihost.h"
#include "xm_dstseen.h"
#include "xm_incident.h"
#include "xm_state.h"
#include "xm_test.h"
#include "rules_synth.h"

#define T0 XM_SEC(1700006400)   /* 2023-11-15T00:00:00Z */

static char dir[] = "/tmp/xm-state-test-XXXXXX";

static char *slurp(const char *component)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.state", dir, component);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 22);
    size_t n = fread(buf, 1, (1 << 22) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void spit(const char *component, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.state", dir, component);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* ---- lib/state.c ------------------------------------------------------ */

static int n_lines;
static int count_line(void *ctx, char *line, char *err, size_t errlen)
{
    (void)ctx;
    if (strcmp(line, "bad") == 0) {
        snprintf(err, errlen, "bad on purpose");
        return -1;
    }
    n_lines++;
    return 0;
}

static void test_format(void)
{
    struct xm_state_w w;
    uint8_t key[5] = {0, 1, 0xab, 0xff, 0x10}, back[5];
    char hex[11];
    CHECK_STR(xm_state_hex(key, sizeof key, hex), "0001abff10");
    CHECK(xm_state_unhex(hex, back, sizeof back) == 0 && !memcmp(key, back, sizeof key));
    CHECK(xm_state_unhex("00zz", back, 2) == -1);
    CHECK(xm_state_load(dir, "t", count_line, NULL) == 1);           /* absent */
    CHECK(xm_state_begin(&w, dir, "t") == 0);
    xm_state_line(&w, "one");
    xm_state_line(&w, "two %d", 2);
    CHECK(xm_state_commit(&w) == 0);
    n_lines = 0;
    CHECK(xm_state_load(dir, "t", count_line, NULL) == 0);
    CHECK_EQ_U64(n_lines, 2);
    char *text = slurp("t");
    CHECK_STR(text, "exfilmon-state 1 t\none\ntwo 2\nend 2\n");
    free(text);
    const char *bad[] = {
        "exfilmon-state 99 t\none\nend 1\n",       /* other version: ignored */
        "exfilmon-state 1 other\none\nend 1\n",    /* other component */
        "exfilmon-state 1 t\none\ntwo\n",          /* no trailer (cut short) */
        "exfilmon-state 1 t\none\nend 5\n",        /* wrong count */
        "exfilmon-state 1 t\none\ntwo",            /* unterminated line */
        "garbage",
        "",
    };
    for (size_t i = 0; i < XM_ARRAY_LEN(bad); i++) {
        spit("t", bad[i]);
        n_lines = 0;
        CHECK(xm_state_load(dir, "t", count_line, NULL) == -1);
        CHECK_EQ_U64(n_lines, 0);
    }
    spit("t", "exfilmon-state 1 t\none\nbad\nthree\nend 3\n");   /* line 3 rejected */
    n_lines = 0;
    CHECK(xm_state_load(dir, "t", count_line, NULL) == -1);
    CHECK_EQ_U64(n_lines, 1);
}

/* ---- dstseen ------------------------------------------------------------ */

static void test_dstseen(void)
{
    struct xm_addr a, b;
    struct dstseen_view v;
    xm_addr_parse("10.0.0.5", &a);
    xm_addr_parse("10.0.0.6", &b);
    struct dstseen *d = dstseen_new(NULL, 42);
    dstseen_observe(d, &a, "example.com", T0);
    dstseen_observe(d, &b, "example.com", T0 + XM_SEC(60));
    dstseen_observe(d, &a, "Other.org", T0 + XM_SEC(120));
    CHECK(dstseen_save(d, dir) == 0);
    char *first = slurp("dstseen");
    struct dstseen *e = dstseen_new(NULL, 4242);          /* another seed */
    CHECK(dstseen_get(e, &a, "example.com", &v) == false);
    CHECK(dstseen_load(e, dir) == 0);
    CHECK(dstseen_get(e, &b, "example.com", &v));
    CHECK(v.pair_known && v.pair_first == T0 + XM_SEC(60));
    CHECK(v.domain_known && v.site_first == T0 && v.prevalence == 2 && v.t0 == T0);
    CHECK(dstseen_get(e, &a, "other.org", &v) && v.pair_first == T0 + XM_SEC(120));
    CHECK(!dstseen_get(e, &b, "other.org", &v) || !v.pair_known);
    CHECK(dstseen_save(e, dir) == 0);
    char *again = slurp("dstseen");
    CHECK_STR(again, first);
    dstseen_observe(e, &a, "example.com", T0 + XM_SEC(999));   /* known: prevalence stays */
    CHECK(dstseen_get(e, &a, "example.com", &v) && v.prevalence == 2 && v.pair_first == T0);
    free(first);
    free(again);
    dstseen_free(d);
    dstseen_free(e);
}

/* ---- aihost ------------------------------------------------------------- */

static void test_aihost(void)
{
    struct aihost_config c1 = {.seed = 1}, c2 = {.seed = 99};
    struct aihost *ah = aihost_new(&c1), *bh = aihost_new(&c2);
    struct xm_addr a, b;
    struct aihost_view v;
    xm_addr_parse("10.0.0.5", &a);
    xm_addr_parse("fd00::7", &b);
    aihost_add_evidence(ah, &a, AIHOST_LLM_ENDPOINT, "api.openai.com", T0);
    aihost_add_evidence(ah, &a, AIHOST_LLM_ENDPOINT, "api.openai.com", T0 + XM_SEC(5));
    aihost_add_evidence(ah, &b, AIHOST_PROCESS, "python3 with spaces", T0 + XM_SEC(9));
    CHECK(aihost_save(ah, dir) == 0);
    char *first = slurp("aihost");
    CHECK(!aihost_is_ai(bh, &a, T0 + XM_SEC(10)));
    CHECK(aihost_load(bh, dir) == 0);
    CHECK(aihost_get(bh, &a, T0 + XM_SEC(86400), &v));
    CHECK(v.n_evidence == 1 && v.ev[0].count == 2 && v.ev[0].first == T0 &&
          v.ev[0].last == T0 + XM_SEC(5));
    CHECK_STR(v.ev[0].detail, "api.openai.com");
    CHECK(aihost_get(bh, &b, T0 + XM_SEC(10), &v) && v.ev[0].kind == AIHOST_PROCESS);
    CHECK_STR(v.ev[0].detail, "python3 with spaces");
    CHECK(!aihost_is_ai(bh, &a, T0 + XM_SEC(8 * 86400)));   /* decay still applies */
    CHECK(aihost_save(bh, dir) == 0);
    char *again = slurp("aihost");
    CHECK_STR(again, first);
    free(first);
    free(again);
    aihost_free(ah);
    aihost_free(bh);
}

/* ---- rule engine -------------------------------------------------------- */

static struct rules_registry *reg;

static void start(struct synth *s, const char *text, uint64_t seed)
{
    struct rules_set *set = NULL;
    struct rules_error err;
    memset(s, 0, sizeof *s);
    if (rules_compile_string("state.rules", text, reg, &set, &err) != 0)
        rules_error_print(&err, stderr);
    CHECK(set != NULL);
    struct rules_limits lim = {.seed = seed};
    s->eng = rules_engine_new(set, &lim, synth_cb, s);
    CHECK(s->eng != NULL);
}

static const char *const rules_text =
    "rule 1 \"new\" { scope host, destination when dst.first_seen_age < 1h "
    "severity low cooldown 1m }\n"
    "rule 2 \"win\" { scope host when bytes_out[6h] > 1MB severity low cooldown 1m }\n"
    "rule 3 \"cool\" { scope host when bytes_out[1m] > 10 severity low cooldown 1d }\n";

/* Day 1: a 600 kB send.  Day 2 (2 h later, another process): 600 kB to
 * the same place.  Returns the sids fired on day 2. */
static unsigned day2(bool with_state, char **saved)
{
    struct synth s;
    start(&s, rules_text, 7);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, 600000);
    synth_finish(&s);
    CHECK_EQ_U64(s.n_alerts, 2);                          /* new + cool */
    CHECK(rules_engine_save(s.eng, dir) == 0);
    *saved = slurp("rules");
    synth_free(&s);
    start(&s, rules_text, 0xfeed);
    if (with_state)
        CHECK(rules_engine_load(s.eng, dir) == 0);
    synth_flow(&s, 1, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 1, T0 + XM_SEC(7200), 0, 600000);
    synth_finish(&s);
    unsigned sids = 0;
    for (size_t i = 0; i < s.n_alerts; i++)
        sids |= 1u << synth_alert_sid(&s, i);
    if (with_state) {
        char *again;
        CHECK(rules_engine_save(s.eng, dir) == 0);
        again = slurp("rules");
        CHECK(again && strncmp(again, "exfilmon-state 1 rules\nclock ", 29) == 0);
        free(again);
    }
    synth_free(&s);
    return sids;
}

/* The saved file never depends on the hash seed. */
static void test_rules_seed(void)
{
    char *out[2];
    for (int k = 0; k < 2; k++) {
        struct synth s;
        start(&s, rules_text, k ? 0x5eed5eedu : 1);
        for (int i = 0; i < 12; i++) {
            char host[32], dst[32];
            snprintf(host, sizeof host, "10.0.0.%d", 1 + i % 5);
            snprintf(dst, sizeof dst, "203.0.113.%d", 1 + i);
            synth_flow(&s, i, host, dst, 443, 0);
            synth_send(&s, i, T0 + XM_SEC(i * 7), 0, 1000 + 100000 * (uint64_t)i);
        }
        synth_finish(&s);
        CHECK(rules_engine_save(s.eng, dir) == 0);
        out[k] = slurp("rules");
        synth_free(&s);
    }
    CHECK(out[0] && out[1] && strlen(out[0]) > 1000);
    CHECK_STR(out[0], out[1]);
    free(out[0]);
    free(out[1]);
}

static void test_rules(void)
{
    char *a, *b;
    /* Without state: the pair looks new (1), the 6 h window holds only
     * 600 kB (no 2) and the 1 d cooldown is forgotten (3 fires again). */
    CHECK_EQ_U64(day2(false, &a), (1u << 1) | (1u << 3));
    /* With state: known pair, window sum 1.2 MB, cooldown still running. */
    CHECK_EQ_U64(day2(true, &b), 1u << 2);
    CHECK_STR(a, b);                         /* day 1 saved the same either way */
    free(a);
    free(b);
    /* Another rule set: windows of changed scopes are dropped, the rest loads. */
    struct synth s;
    start(&s, "rule 9 \"x\" { scope host when bytes_out[5m] > 1 severity low }", 3);
    CHECK(rules_engine_load(s.eng, dir) == 0);
    synth_free(&s);
}

/* Every "layout S HEX" line of the rules file with its version field
 * (struct rlayout bytes 28-31, little-endian) set to v; returns how many
 * lines held version 1 before. */
static int set_layout_version(const char *v)
{
    char *text = slurp("rules");
    int n = 0;
    CHECK(text != NULL);
    for (char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        char *hex = strncmp(l, "layout ", 7) == 0 ? strchr(l + 7, ' ') : NULL;
        if (!hex)
            continue;
        hex++;
        n += strncmp(hex + 56, "01000000", 8) == 0;
        memcpy(hex + 56, v, 8);
    }
    if (text)
        spit("rules", text);
    free(text);
    return n;
}

/* Keys saved under another key encoding (layout version 0: every file
 * written before layouts carried a version, whose keys had a 104-byte
 * header, 16-byte ring headers and 120-byte pair top flows) are skipped
 * with a warning: windows restart, while first-seen pairs and cooldowns
 * (no layout) load.  Day 2 then fires nothing: rule 2's 6 h window holds
 * only day 2's 600 kB, rule 1's pair is known, rule 3 is cooling down. */
static void test_rules_old_layout(void)
{
    struct synth s;
    start(&s, rules_text, 7);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, 600000);
    synth_finish(&s);
    CHECK(rules_engine_save(s.eng, dir) == 0);
    synth_free(&s);
    CHECK_EQ_U64(set_layout_version("00000000"), 2);     /* host and pair */
    start(&s, rules_text, 0xfeed);
    CHECK(rules_engine_load(s.eng, dir) == 0);
    synth_flow(&s, 1, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 1, T0 + XM_SEC(7200), 0, 600000);
    synth_finish(&s);
    CHECK_EQ_U64(s.n_alerts, 0);
    synth_free(&s);
}

/* A key's ring heads follow its last_update (rules/engine.h), so a key
 * saved as updated after the file's clock is refused (the rest of the
 * file is skipped, as for any invalid key): packets after the load
 * would move its heads backwards. */
static void test_rules_key_after_clock(void)
{
    struct synth s;
    start(&s, rules_text, 7);
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, 600000);
    CHECK(rules_engine_save(s.eng, dir) == 0);
    synth_free(&s);
    start(&s, rules_text, 9);
    CHECK(rules_engine_load(s.eng, dir) == 0);           /* as saved: loads */
    synth_free(&s);
    char *text = slurp("rules"), *clock = text ? strstr(text, "\nclock ") : NULL;
    CHECK(clock != NULL);
    if (clock) {
        char *eol = strchr(clock + 1, '\n'), head[64];
        snprintf(head, sizeof head, "\nclock %lld %lld", (long long)(T0 - 1),
                 (long long)(T0 - 1));
        size_t hl = strlen(head), tl = strlen(eol);
        char *out = malloc((size_t)(clock - text) + hl + tl + 1);
        memcpy(out, text, (size_t)(clock - text));
        memcpy(out + (clock - text), head, hl);
        memcpy(out + (clock - text) + hl, eol, tl + 1);
        spit("rules", out);
        free(out);
    }
    free(text);
    start(&s, rules_text, 9);
    CHECK(rules_engine_load(s.eng, dir) != 0);           /* key after the clock */
    synth_free(&s);
}

/* ---- incidents ---------------------------------------------------------- */

static json_t *recs[16];
static size_t n_recs;
static void t_emit(void *ctx, json_t *rec)
{
    (void)ctx;
    if (n_recs < 16)
        recs[n_recs++] = rec;
    else
        json_decref(rec);
}

static json_t *t_alert(void)
{
    json_t *a = json_pack("{s:s, s:s, s:s, s:{s:i, s:s, s:s, s:i}, s:{s:s, s:I, s:I}}",
        "src_ip", "10.0.0.23", "dest_ip", "198.51.100.7", "community_id", "1:abc=",
        "alert", "signature_id", 7, "signature", "rule", "category", "Exfiltration",
        "severity", 2, "exfil", "scope", "flow", "bytes_out", (json_int_t)5000000,
        "bytes_in", (json_int_t)0);
    json_object_set_new(a, "dest_name", json_pack("{s:s, s:s, s:s}", "name", "up.example.net",
                                                  "domain", "example.net", "source", "sni"));
    json_object_set_new(a, "host", json_pack("{s:b}", "ai", 1));
    return a;
}

static const char *inc_str(size_t i, const char *k)
{
    return json_string_value(json_object_get(json_object_get(recs[i], "incident"), k));
}

static long long inc_int(size_t i, const char *k)
{
    return json_integer_value(json_object_get(json_object_get(recs[i], "incident"), k));
}

static void test_incidents(void)
{
    char err[64];
    struct xm_netset *home = netset_new();
    netset_parse(home, "10.0.0.0/8", err, sizeof err);
    struct inc_engine *e = inc_new(NULL, home, t_emit, NULL);
    json_t *a = t_alert();
    inc_on_alert(e, a, T0);
    CHECK_EQ_U64(n_recs, 1);
    CHECK(inc_save(e, dir) == 0);                          /* open, saved */
    char *first = slurp("incidents");
    inc_free(e);
    struct inc_engine *f = inc_new(NULL, home, t_emit, NULL);
    CHECK(inc_load(f, dir) == 0);
    CHECK(inc_save(f, dir) == 0);
    char *again = slurp("incidents");
    CHECK_STR(again, first);
    inc_on_alert(f, a, T0 + XM_SEC(60));                   /* same rule, same group */
    CHECK_EQ_U64(n_recs, 1);                               /* no "open" again */
    inc_finish(f, T0 + XM_SEC(120));
    CHECK_EQ_U64(n_recs, 2);
    CHECK_STR(inc_str(1, "state"), "closed");
    CHECK_EQ_U64(inc_int(1, "id"), 1);                     /* the same incident */
    CHECK_EQ_U64(inc_int(1, "record"), 2);
    json_t *hits = json_object_get(json_object_get(recs[1], "incident"), "hits");
    CHECK_EQ_U64(json_integer_value(json_object_get(json_array_get(hits, 0), "count")), 2);
    inc_free(f);
    struct inc_engine *g = inc_new(NULL, home, t_emit, NULL);   /* next id continues */
    CHECK(inc_load(g, dir) == 0);
    json_t *b = t_alert();
    json_object_set_new(b, "src_ip", json_string("10.0.0.99"));
    inc_on_alert(g, b, T0 + XM_SEC(60));
    CHECK_EQ_U64(n_recs, 3);
    CHECK_EQ_U64(inc_int(2, "id"), 2);
    inc_free(g);
    for (size_t i = 0; i < n_recs; i++)
        json_decref(recs[i]);
    json_decref(a);
    json_decref(b);
    free(first);
    free(again);
    netset_free(home);
}

static void cleanup(void)
{
    const char *names[] = {"t", "dstseen", "aihost", "rules", "incidents"};
    char path[256];
    for (size_t i = 0; i < XM_ARRAY_LEN(names); i++) {
        snprintf(path, sizeof path, "%s/%s.state", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    reg = rules_registry_new();
    test_format();
    test_dstseen();
    test_aihost();
    test_rules_seed();
    test_rules();
    test_rules_old_layout();
    test_rules_key_after_clock();
    test_incidents();
    rules_registry_free(reg);
    if (!getenv("XM_TEST_KEEP"))      /* keep the files: fuzz/corpus/state seeds */
        cleanup();
    else
        printf("kept %s\n", dir);
    return xm_test_result();
}
