/* logistic.cu — LOGISTIC (twin: ref/logistic_ref.c). inp, out are (count):
 * out[i] = 1 / (1 + exp(-inp[i])); expf, not the fast __expf, to stay within
 * a few ulp of the C twin. */
#include "nn_gpu.h"

__global__ static void s_logistic_kernel(float *out, const float *inp, size_t count)
{
    DN_NN_GRID_STRIDE(i, count)
        out[i] = 1.0f / (1.0f + expf(-inp[i]));
}

extern "C" int dn_logistic_gpu(float *out, const float *inp, size_t count,
                               struct dn_stream *stream, struct dn_err *err)
{
    s_logistic_kernel<<<dn_nn_blocks(count), DN_NN_BLOCK, 0, (cudaStream_t)stream>>>(out, inp, count);
    return DN_CUDA_CHECK_LAUNCH(err);
}
