/*
 * test_rules_deep.c - input-controlled depth and length in rule
 * conditions (issue 12): 100,000-term "or" and "and" chains compile and
 * evaluate correctly (one n-ary node, evaluated in a loop); nesting of
 * '(' and 'not' up to RULES_MAX_NEST (64) works, one level more, and
 * 100,000 levels, is a located error rather than a stack overflow.
 * Run it under ASan too (build-asan): a recursive parser or evaluator
 * would overflow the stack here.
 */
#include "xm_test.h"
#include "rules_synth.h"

#include <stdarg.h>

#define T0 XM_SEC(1700006400)
#define BIG 100000

static struct rules_registry *reg;

/* Growable text buffer; aborts the test binary on allocation failure. */
struct buf { char *s; size_t len, cap; };

static void buf_add(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void buf_add(struct buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            abort();
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
}

static void buf_rep(struct buf *b, const char *s, int n)
{
    for (int i = 0; i < n; i++)
        buf_add(b, "%s", s);
}

static const char head[] = "rule 1 \"deep\" { scope flow when ";
static const char tail[] = " severity low }\n";

/* Compiles text; returns the set or NULL with *err filled. */
static struct rules_set *compile(const char *text, struct rules_error *err)
{
    struct rules_set *set = NULL;
    if (rules_compile_string("deep.rules", text, reg, &set, err) != 0)
        return NULL;
    return set;
}

/* Alerts for one flow sending `bytes` in one packet under the rule. */
static size_t alerts_for(const char *text, uint64_t bytes)
{
    struct rules_error err;
    struct rules_set *set = compile(text, &err);
    if (!set) {
        rules_error_print(&err, stderr);
        CHECK(set != NULL);
        return 0;
    }
    struct synth s;
    memset(&s, 0, sizeof s);
    struct rules_limits lim = {.seed = 7};
    s.eng = rules_engine_new(set, &lim, synth_cb, &s);
    CHECK(s.eng != NULL);
    if (!s.eng)
        return 0;
    synth_flow(&s, 0, "10.0.0.5", "203.0.113.9", 443, 0);
    synth_send(&s, 0, T0, 0, bytes);
    synth_finish(&s);
    size_t n = s.n_alerts;
    for (size_t i = 0; i < n; i++)
        CHECK(synth_alert_sid(&s, i) == 1);
    synth_free(&s);
    return n;
}

/* flow.bytes_out == 1 or ... or == BIG: true only for 1..BIG bytes. */
static void test_or_chain(void)
{
    struct buf b = {0};
    buf_add(&b, "%s", head);
    for (int i = 1; i <= BIG; i++)
        buf_add(&b, "%sflow.bytes_out == %d", i > 1 ? " or " : "", i);
    buf_add(&b, "%s", tail);
    CHECK_EQ_U64(alerts_for(b.s, BIG - 1), 1);     /* only the next-to-last term */
    CHECK_EQ_U64(alerts_for(b.s, 3), 1);
    CHECK_EQ_U64(alerts_for(b.s, BIG + 1), 0);
    free(b.s);
}

/* flow.bytes_out > 0 and ... and > BIG-1: true from BIG bytes on. */
static void test_and_chain(void)
{
    struct buf b = {0};
    buf_add(&b, "%s", head);
    for (int i = 0; i < BIG; i++)
        buf_add(&b, "%sflow.bytes_out > %d", i ? " and " : "", i);
    buf_add(&b, "%s", tail);
    CHECK_EQ_U64(alerts_for(b.s, BIG), 1);
    CHECK_EQ_U64(alerts_for(b.s, BIG - 1), 0);      /* only the last term is false */
    free(b.s);
}

/* `levels` of open (each `open` string) around a comparison. */
static char *nested(const char *open, const char *close, int levels, const char *leaf)
{
    struct buf b = {0};
    buf_add(&b, "%s", head);
    buf_rep(&b, open, levels);
    buf_add(&b, "%s", leaf);
    buf_rep(&b, close, levels);
    buf_add(&b, "%s", tail);
    return b.s;
}

/* The deepest allowed nesting works and means what it says. */
static void test_nest_at_limit(void)
{
    char *t = nested("(", ")", RULES_MAX_NEST, "flow.bytes_out > 10");
    CHECK_EQ_U64(alerts_for(t, 11), 1);
    CHECK_EQ_U64(alerts_for(t, 10), 0);
    free(t);
    t = nested("not ", "", RULES_MAX_NEST, "flow.bytes_out > 10");   /* even: identity */
    CHECK_EQ_U64(alerts_for(t, 11), 1);
    CHECK_EQ_U64(alerts_for(t, 10), 0);
    free(t);
    t = nested("not (", ")", RULES_MAX_NEST / 2 - 1, "not flow.bytes_out > 10");
    CHECK_EQ_U64(alerts_for(t, 11), 1);     /* 32 nots in all: identity */
    CHECK_EQ_U64(alerts_for(t, 10), 0);
    free(t);
    /* The limit is per path, not per rule: two sibling groups at 64. */
    char *a = nested("(", ")", RULES_MAX_NEST, "flow.bytes_out > 10");
    struct buf b = {0};
    size_t hl = strlen(head), tl = strlen(tail);
    buf_add(&b, "%.*s or %s", (int)(strlen(a) - tl), a, a + hl);
    CHECK_EQ_U64(alerts_for(b.s, 11), 1);
    free(a);
    free(b.s);
}

/* Too deep: a located error at the token one level past the limit. */
static void check_too_deep(const char *open, const char *close, int levels, int col)
{
    char *t = nested(open, close, levels, "flow.bytes_out > 10");
    struct rules_error err;
    struct rules_set *set = compile(t, &err);
    CHECK(set == NULL);
    rules_set_free(set);
    CHECK_EQ_U64(err.line, 1);
    CHECK_EQ_U64(err.col, col);
    CHECK_STR(err.msg, "condition nested too deeply (at most 64 levels of '(' and 'not')");
    /* The shown source line has the caret on the offending token. */
    CHECK(err.src_col >= 1 && (size_t)err.src_col <= strlen(err.src_line));
    if (err.src_col >= 1 && (size_t)err.src_col <= strlen(err.src_line))
        CHECK(strncmp(err.src_line + err.src_col - 1, open, 1) == 0);
    free(t);
}

static void test_nest_too_deep(void)
{
    int c0 = (int)strlen(head) + 1;
    check_too_deep("(", ")", RULES_MAX_NEST + 1, c0 + RULES_MAX_NEST);
    check_too_deep("(", ")", BIG, c0 + RULES_MAX_NEST);
    check_too_deep("not ", "", BIG, c0 + 4 * RULES_MAX_NEST);
    check_too_deep("not (", ")", BIG / 2, c0 + 5 * (RULES_MAX_NEST / 2));
}

int main(void)
{
    reg = rules_registry_new();
    test_or_chain();
    test_and_chain();
    test_nest_at_limit();
    test_nest_too_deep();
    rules_registry_free(reg);
    return xm_test_result();
}
