/*
 * test_rules_compile.c - the compiler: the exact-message error table
 * (tests/rules/errors.tsv), includes (relative paths, cycles, depth),
 * list files, all-or-nothing compilation, --check output, the default
 * pack and the field registry.
 *
 * errors.tsv columns: rule text ("\n" escapes, "\rep{N}{TEXT}" for TEXT
 * repeated N times), expected "LINE:COL: msg".
 * Run with --print to show what each row produces (for writing rows).
 */
#include "xm_test.h"
#include "xm_config.h"
#include "xm_rules.h"
#include "rules_synth.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct rules_registry *reg;

/* Expands a row: "\n" and "\t" escapes, and "\rep{N}{TEXT}" = TEXT (no
 * '}' inside) N times, for rows too big to write out.  Caller frees. */
static char *expand(const char *s)
{
    size_t cap = strlen(s) + 1, o = 0;
    char *out = malloc(cap);
    while (out && *s) {
        unsigned long n = 1;
        const char *text = s;
        size_t tl = 1;
        int used = 0;
        if (s[0] == '\\' && (s[1] == 'n' || s[1] == 't')) {
            text = s[1] == 'n' ? "\n" : "\t";
            s += 2;
        } else if (sscanf(s, "\\rep{%lu}{%n", &n, &used) == 1 && used > 0) {
            text = s + used;
            tl = strcspn(text, "}");
            s = text + tl + (text[tl] == '}');
        } else {
            s++;
        }
        if (o + n * tl + 1 > cap) {
            cap = (o + n * tl + 1) * 2;
            char *nb = realloc(out, cap);
            if (!nb) {
                free(out);
                return NULL;
            }
            out = nb;
        }
        for (unsigned long i = 0; i < n; i++, o += tl)
            memcpy(out + o, text, tl);
    }
    if (out)
        out[o] = '\0';
    return out;
}

static void error_table(bool print)
{
    FILE *f = fopen(XM_SOURCE_ROOT "/tests/rules/errors.tsv", "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[4096];
    int lineno = 0, rows = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        *tab = '\0';
        char *text = expand(line);
        CHECK(text != NULL);
        if (!text)
            break;
        struct rules_set *set = (struct rules_set *)&lineno;  /* must stay untouched */
        struct rules_error err;
        int rc = rules_compile_string("t.rules", text, reg, &set, &err);
        free(text);
        char got[512];
        snprintf(got, sizeof got, "%d:%d: %s", err.line, err.col, err.msg);
        CHECK(rc == -1);
        CHECK(set == (struct rules_set *)&lineno);
        if (print)
            printf("%d\t%s\n", lineno, got);
        else if (rc == 0 || strcmp(got, tab + 1) != 0)
            fprintf(stderr, "errors.tsv:%d: expected '%s', got '%s'\n", lineno, tab + 1, got);
        CHECK_STR(got, tab + 1);
        if (rc == 0 && set != (struct rules_set *)&lineno)
            rules_set_free(set);
        rows++;
    }
    fclose(f);
    CHECK(rows >= 30);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_includes(const char *dir)
{
    char a[512], b[512], c[512], l[512], sub[512];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0700);
    snprintf(a, sizeof a, "%s/a.rules", dir);
    snprintf(b, sizeof b, "%s/sub/b.rules", dir);
    snprintf(c, sizeof c, "%s/sub/c.rules", dir);
    snprintf(l, sizeof l, "%s/sub/ioc.list", dir);
    write_file(a, "include \"sub/b.rules\"\n"
                  "rule 1 \"a\" { scope flow when dst.ip in iocs severity high }\n");
    write_file(b, "# b\nlist iocs from \"ioc.list\"\n"
                  "rule 2 \"b\" { scope flow when dst.port in ports severity low }\n"
                  "list ports = { 1 }\n");
    write_file(l, "# IOC feed\n203.0.113.0/24\n\n198.51.100.7   # one host\n2001:db8::/32\n"
                  "evil.example\n");
    struct rules_set *set = NULL;
    struct rules_error err;
    /* 'ports' is used before it is defined: an error. */
    CHECK(rules_compile_file(a, reg, &set, &err) == -1);
    CHECK_STR(err.msg, "unknown list 'ports'");
    CHECK(strstr(err.file, "sub/b.rules") != NULL);
    CHECK_EQ_U64(err.line, 3);
    write_file(b, "list iocs from \"ioc.list\"\nlist ports = { 1 }\n"
                  "rule 2 \"b\" { scope flow when dst.port in ports severity low }\n");
    CHECK(rules_compile_file(a, reg, &set, &err) == 0);
    CHECK_EQ_U64(rules_set_count(set), 2);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    rules_set_describe(set, m);
    fclose(m);
    CHECK(strstr(buf, "rule 2 rev 1 low      flow             \"b\"") != NULL);
    CHECK(strstr(buf, "2 rules (flow 2, host 0, host_destination 0, site 0, process 0), "
                      "2 lists with 5 entries, 2 files") != NULL);
    free(buf);
    rules_set_free(set);
    /* A cycle through c -> b -> c. */
    write_file(b, "include \"c.rules\"\n");
    write_file(c, "include \"b.rules\"\n");
    CHECK(rules_compile_file(a, reg, &set, &err) == -1);
    CHECK(strstr(err.msg, "include cycle: '") != NULL);
    CHECK(strstr(err.msg, "sub/b.rules' is already being read") != NULL);
    CHECK_EQ_U64(err.line, 1);
    CHECK_EQ_U64(err.col, 9);
    /* Self-include. */
    write_file(b, "include \"b.rules\"\n");
    CHECK(rules_compile_file(b, reg, &set, &err) == -1);
    CHECK(strstr(err.msg, "include cycle") != NULL);
    /* A missing list file. */
    write_file(b, "list x from \"missing.list\"\n");
    CHECK(rules_compile_file(b, reg, &set, &err) == -1);
    CHECK(strstr(err.msg, "cannot open list '") != NULL);
    CHECK(rules_compile_file("/nonexistent/x.rules", reg, &set, &err) == -1);
    CHECK_STR(err.msg, "cannot open '/nonexistent/x.rules': No such file or directory");
    unlink(a);
    unlink(b);
    unlink(c);
    unlink(l);
    rmdir(sub);
}

/* Deep but acyclic nesting beyond the bound is refused. */
static void test_depth(const char *dir)
{
    char p[512];
    for (int i = 0; i < 10; i++) {
        char body[128];
        snprintf(p, sizeof p, "%s/d%d.rules", dir, i);
        snprintf(body, sizeof body, "include \"d%d.rules\"\n", i + 1);
        write_file(p, i == 9 ? "" : body);
    }
    struct rules_set *set = NULL;
    struct rules_error err;
    snprintf(p, sizeof p, "%s/d0.rules", dir);
    CHECK(rules_compile_file(p, reg, &set, &err) == -1);
    CHECK_STR(err.msg, "includes nested deeper than 8");
    snprintf(p, sizeof p, "%s/d3.rules", dir);
    CHECK(rules_compile_file(p, reg, &set, &err) == 0);
    rules_set_free(set);
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof p, "%s/d%d.rules", dir, i);
        unlink(p);
    }
}

static void test_error_print(void)
{
    struct rules_set *set = NULL;
    struct rules_error err;
    CHECK(rules_compile_string("x.rules", "rule 1 \"m\" {\n  scope flow\n  when flow.age > 5MB\n}",
                               reg, &set, &err) == -1);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    rules_error_print(&err, m);
    fclose(m);
    CHECK_STR(buf, "x.rules:3:19: error: type mismatch: 'flow.age' is duration, '5MB' is bytes\n"
                   "      when flow.age > 5MB\n"
                   "                      ^\n");
    free(buf);
}

static void test_default_pack(void)
{
    const char *path = rules_default_path();
    CHECK(path != NULL);
    struct rules_set *set = NULL;
    struct rules_error err;
    char *text = synth_default_pack(XM_SOURCE_ROOT "/rules/default.rules");
    CHECK(text != NULL);
    int rc = text ? rules_compile_string("default.rules", text, reg, &set, &err) : -1;
    free(text);
    if (rc)
        rules_error_print(&err, stderr);
    CHECK(rc == 0);
    CHECK_EQ_U64(rules_set_count(set), 12);
    rules_set_free(set);
}

static int get_const(const struct rules_eval_ctx *ctx, const void *arg, union rules_value *out)
{
    out->str.s = "example.org";
    out->str.len = 11;
    return 0;
}

static void test_registry(void)
{
    struct rules_field f = {"dst.domain", RULES_T_STRING, RULES_SCOPE_BIT(RULES_SCOPE_FLOW),
                            false, get_const, NULL, 0};
    CHECK(rules_field_register(reg, &f) == 0);
    CHECK(rules_field_register(reg, &f) == -1);
    CHECK(rules_field_add(reg, &f) == 0);            /* present: skipped */
    struct rules_field g = f;
    g.name = "test.added";
    CHECK(rules_field_add(reg, &g) == 1);
    CHECK(rules_field_find(reg, "test.added") != NULL);
    g.name = NULL;
    CHECK(rules_field_add(reg, &g) == -1);
    CHECK(rules_field_find(reg, "dst.domain") != NULL);
    CHECK(rules_field_find(reg, "bytes_out")->windowed);
    struct rules_set *set = NULL;
    struct rules_error err;
    CHECK(rules_compile_string("r", "rule 9 \"d\" { scope flow when dst.domain matches "
                               "\"*.ORG\" or dst.domain == \"x\" severity low }",
                               reg, &set, &err) == 0);
    rules_set_free(set);
    CHECK(rules_compile_string("r", "rule 9 \"d\" { scope flow when dst.domain > \"x\" "
                               "severity low }", reg, &set, &err) == -1);
    CHECK_STR(err.msg, "operator '>' does not apply to string field 'dst.domain'");
}

int main(int argc, char **argv)
{
    reg = rules_registry_new();
    CHECK(reg != NULL);
    if (argc > 1 && !strcmp(argv[1], "--print")) {
        error_table(true);
        rules_registry_free(reg);
        return 0;
    }
    char dir[] = "/tmp/xm_rules_testXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    error_table(false);
    test_includes(dir);
    test_depth(dir);
    test_error_print();
    test_default_pack();
    test_registry();
    rmdir(dir);
    rules_registry_free(reg);
    return xm_test_result();
}
