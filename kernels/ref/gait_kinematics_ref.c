/* gait_kinematics_ref.c — C twin of kernels/gait_kinematics.cu.
 *
 * sig is (V, S, T) out; x is (V, T, C) filtered landmarks (px); dir is (V, T);
 * limb is (V, T, DN_GK_LIMBS) px. Each (video, frame) is independent. */
#include "gait_math.h"

void dn_gait_kinematics_ref(float *sig, const float *x, const float *dir, const float *limb, int V, int T,
                            int C)
{
#pragma omp parallel for collapse(2) schedule(static)
    for (int v = 0; v < V; v++)
        for (int t = 0; t < T; t++)
            dn_gm_kinematics_frame(sig, x, dir, limb, v, t, T, C);
}
