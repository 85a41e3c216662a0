/* stats.c — the few numeric helpers the gait stage needs. */
#include <stdlib.h>

#include "gait_internal.h"

void dn_gait_stat_of(struct dn_gait_stat *st, const double *x, int n)
{
    double sum = 0, ss = 0;
    st->n = n;
    st->mean = st->cv = NAN;
    if (n <= 0)
        return;
    for (int i = 0; i < n; i++)
        sum += x[i];
    st->mean = sum / n;
    if (n < 2)
        return;
    for (int i = 0; i < n; i++)
        ss += (x[i] - st->mean) * (x[i] - st->mean);
    /* Sample sd (n - 1): strides are a sample of the subject's walking. */
    st->cv = st->mean != 0 ? sqrt(ss / (n - 1)) / fabs(st->mean) : NAN;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double dn_gait_median(double *x, int n)
{
    if (n <= 0)
        return NAN;
    qsort(x, (size_t)n, sizeof(*x), s_cmp);
    return n & 1 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

double dn_gait_quantile(double *x, int n, double q)
{
    if (n <= 0)
        return NAN;
    qsort(x, (size_t)n, sizeof(*x), s_cmp);
    double at = q * (n - 1);
    int i = (int)floor(at);
    return i + 1 < n ? x[i] + (at - i) * (x[i + 1] - x[i]) : x[n - 1];
}

double dn_gait_interp(const float *s, long stride, int len, double where)
{
    if (!(where >= 0) || where > len - 1)
        return NAN;
    int i = (int)floor(where);
    if (i >= len - 1)
        return s[(long)(len - 1) * stride];
    double w = where - i;
    return (1 - w) * s[(long)i * stride] + w * s[(long)(i + 1) * stride];
}
