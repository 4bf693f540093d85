/*
 * median.c - sorting and the median of a small array (xm_median.h).
 */
#include "xm_median.h"

void xm_sort_small(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

double xm_median(double *v, size_t n)
{
    xm_sort_small(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}
