/* gait_kinematics.cu — joint angles, Zeni foot-to-pelvis signals and foot
 * speeds per frame for a whole batch (C twin: ref/gait_kinematics_ref.c;
 * math: gait_math.h).
 *
 * sig is (V, S, T) out; x is (V, T, C) filtered landmarks (px); dir is (V, T);
 * limb is (V, T, DN_GK_LIMBS) px.
 * One thread per (video, frame); adjacent threads write adjacent t of each
 * signal row, so the stores coalesce. */
#include "cuda_check.h"
#include "gait_math.h"

__global__ static void s_gait_kinematics_kernel(float *sig, const float *x, const float *dir,
                                                const float *limb, int V, int T, int C)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= V * T)
        return;
    dn_gm_kinematics_frame(sig, x, dir, limb, i / T, i % T, T, C);
}

extern "C" int dn_gait_kinematics_gpu(float *sig, const float *x, const float *dir, const float *limb,
                                      int V, int T, int C, struct dn_stream *stream, struct dn_err *err)
{
    const int block = 256;
    int n = V * T;
    if (n <= 0) /* an empty batch: a zero-block launch is an error, not a no-op */
        return 0;
    s_gait_kinematics_kernel<<<(n + block - 1) / block, block, 0, (cudaStream_t)stream>>>(sig, x, dir, limb,
                                                                                         V, T, C);
    return DN_CUDA_CHECK_LAUNCH(err);
}
