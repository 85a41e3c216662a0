/*
 * pose_crop.cu — CUDA twins of kernels/ref/pose_crop_ref.c.
 *
 * s_pose_crop_kernel: one thread per output pixel, grid (pixels / 256, jobs),
 * so one launch fills the network input for a whole batch of (frame, ROI)
 * pairs from any mix of videos; the job array lives in device memory and
 * every thread of a block reads the same job (a broadcast load).
 */
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "dancer/pose_kernels.h"
#include "pose_crop_px.h"

__global__ static void s_pose_crop_kernel(const struct dn_pose_crop_job *jobs, int out_w,
                                          int out_h)
{
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= out_w * out_h)
        return;
    const struct dn_pose_crop_job *j = &jobs[blockIdx.y];
    int u = idx % out_w, v = idx / out_w;
    dn_px_crop(j, u, v, j->out + (size_t)idx * 3);
}

extern "C" int dn_pose_crop_gpu(const struct dn_pose_crop_job *jobs, int n_jobs, int out_w,
                                int out_h, struct dn_stream *stream, struct dn_err *err)
{
    if (n_jobs <= 0)
        return 0;
    dim3 grid((unsigned)((out_w * out_h + 255) / 256), (unsigned)n_jobs);
    s_pose_crop_kernel<<<grid, 256, 0, (cudaStream_t)stream>>>(jobs, out_w, out_h);
    return DN_CUDA_CHECK_LAUNCH(err);
}
