/*
 * xm_median.h - the one median helper (lib/median.c), for the small
 * arrays of beaconing intervals and rule baselines (tens of values).
 */
#ifndef XM_MEDIAN_H
#define XM_MEDIAN_H

#include "xm_common.h"

/* Median of v[0..n), n >= 1: the middle value, or the mean of the two
 * middle values when n is even.  Sorts v in place (insertion sort:
 * meant for n up to a few hundred); no allocation. */
double xm_median(double *v, size_t n);
/* Sorts v[0..n) ascending in place (insertion sort, stable). */
void xm_sort_small(double *v, size_t n);

#endif
