/* gait_extrema_ref.c — C twin of kernels/gait_extrema.cu.
 *
 * kind, where, value and sig are (V, S, T); len is (V). Each sample is
 * independent: no compaction here, so the output is deterministic and the
 * host collects candidates in time order. */
#include "gait_math.h"

void dn_gait_extrema_ref(signed char *kind, float *where, float *value, const float *sig,
                         const int *len, int V, int S, int T)
{
#pragma omp parallel for schedule(static)
    for (int vs = 0; vs < V * S; vs++)
        for (int t = 0; t < T; t++)
            dn_gm_extrema_sample(kind, where, value, sig, len, S, T, vs, t);
}
