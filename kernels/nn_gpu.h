/* nn_gpu.h — helpers shared by the network ops' CUDA kernels (kernels/<op>.cu). */
#ifndef DANCER_KERNELS_NN_GPU_H
#define DANCER_KERNELS_NN_GPU_H

#include <cuda_runtime.h>
#include <float.h>
#include <math.h>

#include "cuda_check.h"
#include "dancer/nn_kernels.h"

/* Threads per block of the elementwise kernels. */
#define DN_NN_BLOCK 256

/* Blocks for one thread per element, capped: the kernels loop grid-stride,
 * so a batch of 128 landmark crops (67 M outputs) needs no huge grid. */
static inline unsigned dn_nn_blocks(size_t n)
{
    size_t b = (n + DN_NN_BLOCK - 1) / DN_NN_BLOCK;
    return (unsigned)(b < 65535 ? (b ? b : 1) : 65535);
}

/* Clamp bounds of a fused activation (host side, passed to kernels). */
static inline void dn_nn_act_bounds(int act, float *lo, float *hi)
{
    *lo = act == DN_NN_ACT_NONE ? -INFINITY : 0.0f;
    *hi = act == DN_NN_ACT_RELU6 ? 6.0f : INFINITY;
}

/* min(max(v, lo), hi) letting NaN through, like the C twins (and TFLite). */
__device__ static inline float dn_nn_clamp(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

#define DN_NN_GRID_STRIDE(i, n)                                                            \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                 \
         i += (size_t)gridDim.x * blockDim.x)

#endif
