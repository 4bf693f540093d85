/*
 * test_lookalike.c - look-alike verdicts against data/vendors.list, the
 * distance function, and the per-name-id verdict cache.
 */
#include "xm_lookalike.h"
#include "xm_test.h"

static struct lookalike *lk;

static void expect(const char *name, enum lookalike_verdict v, const char *vendor)
{
    struct lookalike_result r;
    enum lookalike_verdict got = lookalike_check(lk, 0, name, &r);
    if (got != v)
        fprintf(stderr, "  %s: verdict %s, expected %s\n", name,
                lookalike_verdict_name(got), lookalike_verdict_name(v));
    CHECK(got == v);
    CHECK(r.verdict == got);
    if (vendor)
        CHECK_STR(r.vendor, vendor);
    else
        CHECK(r.vendor == NULL);
}

static void test_distance(void)
{
    CHECK_EQ_U64(lookalike_distance("aquasecurtiy", 12, "aquasecurity", 12), 1);
    CHECK_EQ_U64(lookalike_distance("anthropic", 9, "anthrpoic", 9), 1);
    CHECK_EQ_U64(lookalike_distance("kitten", 6, "sitting", 7), 3);
    CHECK_EQ_U64(lookalike_distance("", 0, "abc", 3), 3);
    CHECK_EQ_U64(lookalike_distance("same", 4, "same", 4), 0);
}

static void test_verdicts(void)
{
    /* the campaign's domains */
    expect("litellm.cloud", LOOKALIKE_TOKEN, "litellm.ai");
    expect("models.litellm.cloud", LOOKALIKE_TOKEN, "litellm.ai");
    expect("checkmarx.zone", LOOKALIKE_TOKEN, "checkmarx.com");
    expect("audit.checkmarx.cx", LOOKALIKE_TOKEN, "checkmarx.com");
    expect("scan.aquasecurtiy.org", LOOKALIKE_TOKEN, "aquasec.com");
    /* edit distance without a token */
    expect("anthropc.com", LOOKALIKE_EDIT, "anthropic.com");
    expect("hugginface.co", LOOKALIKE_EDIT, "huggingface.co");
    expect("telnix.com", LOOKALIKE_EDIT, "telnyx.com");
    expect("opanai.com", LOOKALIKE_EDIT, "openai.com");
    /* the vendors themselves and their subdomains */
    expect("litellm.ai", LOOKALIKE_NONE, NULL);
    expect("docs.litellm.ai", LOOKALIKE_NONE, NULL);
    expect("api.openai.com", LOOKALIKE_NONE, NULL);
    expect("docs.aquasec.com", LOOKALIKE_NONE, NULL);
    expect("aquasecurity.github.io", LOOKALIKE_NONE, NULL);
    expect("CHECKMARX.COM.", LOOKALIKE_NONE, NULL);
    /* unrelated names, short tokens, exempt words, generic vendors */
    expect("example.com", LOOKALIKE_NONE, NULL);
    expect("github.com", LOOKALIKE_NONE, NULL);
    expect("philanthropic.org", LOOKALIKE_NONE, NULL);
    expect("openaire.eu", LOOKALIKE_NONE, NULL);
    expect("coherent.com", LOOKALIKE_NONE, NULL);
    expect("xai.example", LOOKALIKE_NONE, NULL);
    expect("wiz.example", LOOKALIKE_NONE, NULL);
    expect("snykcode.dev", LOOKALIKE_NONE, NULL);
    expect("snyk-login.dev", LOOKALIKE_TOKEN, "snyk.io");
    expect("groq-api.net", LOOKALIKE_TOKEN, "groq.com");
    expect("localhost", LOOKALIKE_NONE, NULL);
    expect("", LOOKALIKE_NONE, NULL);
}

static void test_cache(void)
{
    struct lookalike_result r;
    const struct lookalike_stats *st = lookalike_get_stats(lk);
    uint64_t hits = st->hits, misses = st->misses;
    CHECK(lookalike_check(lk, 7, "checkmarx.zone", &r) == LOOKALIKE_TOKEN);
    CHECK(lookalike_check(lk, 7, "checkmarx.zone", &r) == LOOKALIKE_TOKEN);
    CHECK_STR(r.token, "checkmarx");
    CHECK_EQ_U64(st->hits - hits, 1);
    CHECK_EQ_U64(st->misses - misses, 1);
    /* a recycled id with another name is recomputed, not served stale */
    CHECK(lookalike_check(lk, 7, "example.org", &r) == LOOKALIKE_NONE);
    CHECK_EQ_U64(st->misses - misses, 2);
    CHECK_EQ_U64(st->replaced, 1);
}

int main(void)
{
    char err[256];
    struct lists_list *vendors = NULL;
    test_distance();
    if (lists_load_file("data/vendors.list", NULL, 3, &vendors, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return xm_test_result();
    }
    lk = lookalike_new(vendors, 64, 5, err, sizeof err);
    lists_free(vendors);   /* the checker keeps its own copy */
    CHECK(lk != NULL);
    if (lk) {
        CHECK(lookalike_get_stats(lk)->vendors >= 30);
        test_verdicts();
        test_cache();
        lookalike_free(lk);
    }
    return xm_test_result();
}
