/* add.cu — ADD (twin: ref/add_ref.c). a, b, out are (count):
 * out[i] = act(a[i] + b[i]); one thread per element, grid-stride, so the
 * loads of a warp are 128 contiguous bytes of each operand. */
#include "nn_gpu.h"

__global__ static void s_add_kernel(float *out, const float *a, const float *b, size_t count,
                                    float lo, float hi)
{
    DN_NN_GRID_STRIDE(i, count)
        out[i] = dn_nn_clamp(a[i] + b[i], lo, hi);
}

extern "C" int dn_add_gpu(float *out, const float *a, const float *b, size_t count, int act,
                          struct dn_stream *stream, struct dn_err *err)
{
    float lo, hi;
    dn_nn_act_bounds(act, &lo, &hi);
    s_add_kernel<<<dn_nn_blocks(count), DN_NN_BLOCK, 0, (cudaStream_t)stream>>>(out, a, b, count, lo, hi);
    return DN_CUDA_CHECK_LAUNCH(err);
}
