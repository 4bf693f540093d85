/* test_median.c - median and small sort (lib/median.c). */
#include "xm_median.h"
#include "xm_test.h"

int main(void)
{
    double one[] = {7.5};
    CHECK(xm_median(one, 1) == 7.5);
    double odd[] = {9, 1, 5, 3, 7};
    CHECK(xm_median(odd, 5) == 5);
    CHECK(odd[0] == 1 && odd[4] == 9);        /* sorted in place */
    double even[] = {4, 1, 3, 2};
    CHECK(xm_median(even, 4) == 2.5);
    double dup[] = {2, 2, 2, 10};
    CHECK(xm_median(dup, 4) == 2);
    double neg[] = {-3, -1, -2};
    CHECK(xm_median(neg, 3) == -2);
    /* Floats widened to double give the float median exactly. */
    float f[] = {0.1f, 0.7f, 0.3f, 0.9f};
    double d[4];
    for (int i = 0; i < 4; i++)
        d[i] = f[i];
    CHECK(xm_median(d, 4) == 0.5 * ((double)0.3f + (double)0.7f));
    double s[] = {3, 1, 2, 1};
    xm_sort_small(s, 4);
    CHECK(s[0] == 1 && s[1] == 1 && s[2] == 2 && s[3] == 3);
    xm_sort_small(s, 0);                      /* empty is fine */
    return xm_test_result();
}
