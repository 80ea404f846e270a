/* SPDX-License-Identifier: MIT */
/* Helpers shared by the benchmark programs in bench/. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H
#include <time.h>

/* Monotonic time in seconds. */
static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* qsort comparator for doubles (medians of timed runs). */
static inline int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
#endif
