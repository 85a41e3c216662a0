/* gait_filter.cu — visibility/spike rejection, gap filling and zero-lag
 * Butterworth filtering of every landmark series of a batch (C twin:
 * ref/gait_filter_ref.c; math: gait_math.h).
 *
 * x is (V, T, C) float, in place; vis is (V, T, C / DN_GK_DIMS); p is (V), device memory.
 * One thread per (video, channel) series: the recursive filter is sequential
 * in time, so the parallelism is across series (V * 30 threads). Adjacent
 * threads are adjacent channels, so each time step's loads coalesce. This op
 * is microseconds next to pose estimation; it runs on the GPU so the series
 * never leave the device between filtering and the kinematics op. */
#include "cuda_check.h"
#include "gait_math.h"

__global__ static void s_gait_filter_kernel(float *x, const float *vis,
                                            const struct dn_gait_filter_params *p, int V, int T,
                                            int C)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= V * C)
        return;
    int v = i / C, c = i % C, K = C / DN_GK_DIMS;
    dn_gm_filter_series(x + (long)v * T * C + c, C, vis + (long)v * T * K + c / DN_GK_DIMS, K, T, &p[v]);
}

extern "C" int dn_gait_filter_gpu(float *x, const float *vis, const struct dn_gait_filter_params *p,
                                  int V, int T, int C, struct dn_stream *stream, struct dn_err *err)
{
    const int block = 64;
    int n = V * C;
    if (n <= 0) /* an empty batch: a zero-block launch is an error, not a no-op */
        return 0;
    s_gait_filter_kernel<<<(n + block - 1) / block, block, 0, (cudaStream_t)stream>>>(x, vis, p, V, T, C);
    return DN_CUDA_CHECK_LAUNCH(err);
}
