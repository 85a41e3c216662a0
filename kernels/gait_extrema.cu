/* gait_extrema.cu — gait-event candidates: local extrema of every signal
 * with sub-sample parabolic peaks (C twin: ref/gait_extrema_ref.c; math:
 * gait_math.h).
 *
 * kind, where, value and sig are (V, S, T); len is (V). One thread per
 * sample; no atomics or compaction, so the output is deterministic and
 * identical in layout to the twin's. The host selects events from it. */
#include "cuda_check.h"
#include "gait_math.h"

__global__ static void s_gait_extrema_kernel(signed char *kind, float *where, float *value,
                                             const float *sig, const int *len, int V, int S, int T)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long)V * S * T)
        return;
    dn_gm_extrema_sample(kind, where, value, sig, len, S, T, (int)(i / T), (int)(i % T));
}

extern "C" int dn_gait_extrema_gpu(signed char *kind, float *where, float *value, const float *sig,
                                   const int *len, int V, int S, int T, struct dn_stream *stream,
                                   struct dn_err *err)
{
    const int block = 256;
    long n = (long)V * S * T;
    if (n <= 0) /* an empty batch: a zero-block launch is an error, not a no-op */
        return 0;
    s_gait_extrema_kernel<<<(unsigned)((n + block - 1) / block), block, 0, (cudaStream_t)stream>>>(
        kind, where, value, sig, len, V, S, T);
    return DN_CUDA_CHECK_LAUNCH(err);
}
