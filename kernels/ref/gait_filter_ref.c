/* gait_filter_ref.c — C twin of kernels/gait_filter.cu (see gait_kernels.h).
 *
 * x is (V, T, C) float, in place; vis is (V, T, C / DN_GK_DIMS); p is (V).
 * One (video, channel) series at a time; the series are independent. */
#include <math.h>

#include "gait_math.h"

void dn_gait_butter2(double cutoff_hz, double fs_hz, double b[3], double a[3])
{
    /* Analogue prototype s^2 + sqrt(2) s + 1, bilinear transform with the
     * cutoff prewarped: K = tan(pi fc / fs) (Winter, Biomechanics and Motor
     * Control of Human Movement, 4th ed., 2.2.4.4; scipy.signal.butter). */
    double K = tan(M_PI * cutoff_hz / fs_hz);
    double norm = 1.0 / (1.0 + M_SQRT2 * K + K * K);
    b[0] = K * K * norm;
    b[1] = 2.0 * b[0];
    b[2] = b[0];
    a[0] = 1.0;
    a[1] = 2.0 * (K * K - 1.0) * norm;
    a[2] = (1.0 - M_SQRT2 * K + K * K) * norm;
}

void dn_gait_filter_ref(float *x, const float *vis, const struct dn_gait_filter_params *p,
                        int V, int T, int C)
{
    int K = C / DN_GK_DIMS;
#pragma omp parallel for collapse(2) schedule(static)
    for (int v = 0; v < V; v++)
        for (int c = 0; c < C; c++)
            dn_gm_filter_series(x + (long)v * T * C + c, C, vis + (long)v * T * K + c / DN_GK_DIMS, K, T,
                                &p[v]);
}
