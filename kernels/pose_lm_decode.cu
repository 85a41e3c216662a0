/*
 * pose_lm_decode.cu — CUDA twin of kernels/ref/pose_lm_decode_ref.c: one
 * thread per (item, landmark) decodes the landmark tensor and refines it
 * from its heatmap window, so only n × 39 × 5 floats leave the GPU instead
 * of the 64 × 64 × 39 heatmap per item.
 */
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "dancer/pose_kernels.h"
#include "pose_lm_px.h"

__global__ static void s_pose_lm_decode_kernel(float *out, const float *raw,
                                               const float *heatmap,
                                               struct dn_pose_lm_decode p)
{
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= p.n * p.n_lm)
        return;
    dn_lm_decode_one(out, raw, heatmap, &p, idx / p.n_lm, idx % p.n_lm);
}

extern "C" int dn_pose_lm_decode_gpu(float *out, const float *raw, const float *heatmap,
                                     const struct dn_pose_lm_decode *p,
                                     struct dn_stream *stream, struct dn_err *err)
{
    int total = p->n * p->n_lm;
    if (total <= 0)
        return 0;
    s_pose_lm_decode_kernel<<<(total + 127) / 128, 128, 0, (cudaStream_t)stream>>>(
        out, raw, heatmap, *p);
    return DN_CUDA_CHECK_LAUNCH(err);
}
