/*
 * xm_test.h - the tiny assertion kit every unit test uses.
 * CHECK(cond) records a failure with file:line and goes on; the test's
 * main returns xm_test_result(), which prints "N passed, N failed" and
 * returns non-zero when anything failed.
 */
#ifndef XM_TEST_H
#define XM_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int xm_test_pass_, xm_test_fail_;

#define CHECK(cond) do { \
    if (cond) { xm_test_pass_++; } \
    else { xm_test_fail_++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
                                    __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_U64(a, b) do { \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ == b_) { xm_test_pass_++; } \
    else { xm_test_fail_++; fprintf(stderr, "%s:%d: %s == %llu, expected %s == %llu\n", \
                                    __FILE__, __LINE__, #a, a_, #b, b_); } \
} while (0)

#define CHECK_STR(a, b) do { \
    const char *a_ = (a), *b_ = (b); \
    if (a_ && b_ && strcmp(a_, b_) == 0) { xm_test_pass_++; } \
    else { xm_test_fail_++; fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
                                    __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } \
} while (0)

static inline int xm_test_result(void)
{
    printf("%d passed, %d failed\n", xm_test_pass_, xm_test_fail_);
    return xm_test_fail_ ? 1 : 0;
}

#endif
