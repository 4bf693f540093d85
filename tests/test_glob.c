/* test_glob.c - the glob matcher (lib/glob.c). */
#include "xm_glob.h"
#include "xm_test.h"

static bool g(const char *p, const char *s)
{
    return xm_glob(p, strlen(p), s, strlen(s));
}

int main(void)
{
    CHECK(g("", ""));
    CHECK(!g("", "a"));
    CHECK(g("*", ""));
    CHECK(g("*", "anything"));
    CHECK(g("abc", "abc"));
    CHECK(g("ABC", "abc"));                   /* ASCII case-insensitive */
    CHECK(!g("abc", "abd"));
    CHECK(g("a?c", "abc"));
    CHECK(!g("a?c", "ac"));
    CHECK(g("*-aiplatform", "europe-west4-aiplatform"));
    CHECK(!g("*-aiplatform", "aiplatform"));
    CHECK(g("a*b*c", "aXXbYYc"));
    CHECK(g("a*b*c", "abbbc"));
    CHECK(!g("a*b*c", "acb"));
    CHECK(g("*a*", "banana"));
    CHECK(g("**x", "x"));
    CHECK(!g("x*y", "x"));
    CHECK(g("*.exe", "setup.EXE"));
    CHECK(g("*a", "*ba"));                    /* '*' in the pattern is a wildcard */
    /* Counted strings: bytes past n are not read. */
    CHECK(xm_glob("ab*", 2, "abzzz", 2));
    CHECK(!xm_glob("ab*", 2, "abzzz", 3));
    CHECK(xm_glob("ab*", 3, "abzzz", 5));
    return xm_test_result();
}
