/*
 * test_rules_lex.c - the rule-language tokenizer: kinds, units, addresses,
 * positions, comments, strings and error messages.
 */
#include "xm_test.h"
#include "../rules/lex.h"

struct tok_case {
    const char *src;
    enum lex_kind kind;
    double num;
    enum lex_unit unit;
};

static const struct tok_case cases[] = {
    {"42", LEX_NUMBER, 42, LEX_U_NONE},
    {"2.5", LEX_NUMBER, 2.5, LEX_U_NONE},
    {"500MB", LEX_NUMBER, 500e6, LEX_U_BYTES},
    {"1KB", LEX_NUMBER, 1000, LEX_U_BYTES},
    {"20GiB", LEX_NUMBER, 20.0 * 1073741824.0, LEX_U_BYTES},
    {"2TB", LEX_NUMBER, 2e12, LEX_U_BYTES},
    {"1TiB", LEX_NUMBER, 1099511627776.0, LEX_U_BYTES},
    {"3KiB", LEX_NUMBER, 3072, LEX_U_BYTES},
    {"7B", LEX_NUMBER, 7, LEX_U_BYTES},
    {"90s", LEX_NUMBER, 90, LEX_U_SECONDS},
    {"10m", LEX_NUMBER, 600, LEX_U_SECONDS},
    {"1h", LEX_NUMBER, 3600, LEX_U_SECONDS},
    {"7d", LEX_NUMBER, 604800, LEX_U_SECONDS},
    {"1.5h", LEX_NUMBER, 5400, LEX_U_SECONDS},
    {"100Mbps", LEX_NUMBER, 1e8, LEX_U_BPS},
    {"1Gbps", LEX_NUMBER, 1e9, LEX_U_BPS},
    {"dst.first_seen_age", LEX_IDENT, 0, LEX_U_NONE},
    {"T1048", LEX_IDENT, 0, LEX_U_NONE},
    {"\"a \\\"q\\\" b\"", LEX_STRING, 0, LEX_U_NONE},
    {"10.0.0.1", LEX_ADDR, 0, LEX_U_NONE},
    {"10.0.0.0/8", LEX_CIDR, 0, LEX_U_NONE},
    {"2001:db8::1", LEX_ADDR, 0, LEX_U_NONE},
    {"fe80::/10", LEX_CIDR, 0, LEX_U_NONE},
    {"::1", LEX_ADDR, 0, LEX_U_NONE},
    {"<=", LEX_LE, 0, LEX_U_NONE},
    {"!=", LEX_NE, 0, LEX_U_NONE},
    {">", LEX_GT, 0, LEX_U_NONE},
};

static void test_kinds(void)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(cases); i++) {
        struct lexer lx;
        struct lex_token t, e;
        struct rules_error err;
        lex_init(&lx, "k", cases[i].src, strlen(cases[i].src), &err);
        CHECK(lex_next(&lx, &t) == 0);
        CHECK_EQ_U64(t.kind, cases[i].kind);
        CHECK_EQ_U64(t.unit, cases[i].unit);
        if (t.kind == LEX_NUMBER)
            CHECK(t.num == cases[i].num);
        CHECK_EQ_U64(t.len, strlen(cases[i].src));
        CHECK(lex_next(&lx, &e) == 0 && e.kind == LEX_EOF);
    }
}

static void test_addr_values(void)
{
    struct lexer lx;
    struct lex_token t;
    const char *src = "192.168.1.0/24 2001:db8::/32";
    lex_init(&lx, "a", src, strlen(src), NULL);
    CHECK(lex_next(&lx, &t) == 0);
    CHECK_EQ_U64(t.prefix, 24);
    CHECK_EQ_U64(t.addr.family, 4);
    CHECK_EQ_U64(t.addr.b[0], 192);
    CHECK_EQ_U64(t.addr.b[2], 1);
    CHECK(lex_next(&lx, &t) == 0);
    CHECK_EQ_U64(t.prefix, 32);
    CHECK_EQ_U64(t.addr.family, 6);
    CHECK_EQ_U64(t.addr.b[2], 0x0d);
}

static void test_positions(void)
{
    const char *src = "rule 1 # comment { }\n  \"msg\"\n\tbytes_out[1h]>=20GiB";
    struct lexer lx;
    struct lex_token t;
    lex_init(&lx, "p", src, strlen(src), NULL);
    static const struct { enum lex_kind k; int line, col; } want[] = {
        {LEX_IDENT, 1, 1}, {LEX_NUMBER, 1, 6}, {LEX_STRING, 2, 3}, {LEX_IDENT, 3, 2},
        {LEX_LBRACKET, 3, 11}, {LEX_NUMBER, 3, 12}, {LEX_RBRACKET, 3, 14}, {LEX_GE, 3, 15},
        {LEX_NUMBER, 3, 17}, {LEX_EOF, 3, 22},
    };
    for (size_t i = 0; i < XM_ARRAY_LEN(want); i++) {
        CHECK(lex_next(&lx, &t) == 0);
        CHECK_EQ_U64(t.kind, want[i].k);
        CHECK_EQ_U64(t.line, want[i].line);
        CHECK_EQ_U64(t.col, want[i].col);
    }
}

static void test_peek_and_text(void)
{
    const char *src = "\"a\\tb\" x.y";
    struct lexer lx;
    struct lex_token t, p;
    char buf[16];
    lex_init(&lx, "q", src, strlen(src), NULL);
    CHECK(lex_peek(&lx, &p) == 0 && p.kind == LEX_STRING);
    CHECK(lex_next(&lx, &t) == 0 && t.kind == LEX_STRING && t.col == p.col);
    CHECK(lex_text(&t, buf, sizeof buf));
    CHECK_STR(buf, "a\tb");
    CHECK(lex_next(&lx, &t) == 0);
    CHECK(lex_is(&t, "x.y"));
    CHECK(!lex_is(&t, "x"));
    CHECK(!lex_text(&t, buf, 3));
    CHECK_STR(buf, "x.");
}

struct err_case { const char *src; const char *msg; int col; };

static const struct err_case errs[] = {
    {"x 500XB", "unknown unit 'XB'", 6},
    {"1.MB", "malformed number '1.MB'", 1},
    {"\"abc", "unterminated string", 1},
    {"\"a\\qb\"", "bad escape in string", 3},
    {"  @", "unexpected character '@'", 3},
    {"1.2.3.999", "malformed address '1.2.3.999'", 1},
    {"10.0.0.0/40", "bad prefix length in '10.0.0.0/40'", 1},
    {"10.0.0.0/x", "bad prefix length in '10.0.0.0/x'", 1},
    {"fe80::1::2", "malformed address 'fe80::1::2'", 1},
};

static void test_errors(void)
{
    for (size_t i = 0; i < XM_ARRAY_LEN(errs); i++) {
        struct lexer lx;
        struct lex_token t;
        struct rules_error err = {0};
        lex_init(&lx, "e.rules", errs[i].src, strlen(errs[i].src), &err);
        int rc = 0;
        while (rc == 0 && lex_next(&lx, &t) == 0 && t.kind != LEX_EOF)
            ;
        rc = err.msg[0] ? -1 : 0;
        CHECK(rc == -1);
        CHECK_STR(err.msg, errs[i].msg);
        CHECK_EQ_U64(err.col, errs[i].col);
        CHECK_STR(err.file, "e.rules");
        CHECK_STR(err.src_line, errs[i].src);
    }
    /* NUL inside the text is not a token. */
    struct lexer lx;
    struct lex_token t;
    struct rules_error err;
    lex_init(&lx, "n", "a\0b", 3, &err);
    CHECK(lex_next(&lx, &t) == 0);
    CHECK(lex_next(&lx, &t) == -1);
    CHECK_STR(err.msg, "unexpected byte 0x00");
}

int main(void)
{
    test_kinds();
    test_addr_values();
    test_positions();
    test_peek_and_text();
    test_errors();
    return xm_test_result();
}
