/* concat.cu — CONCATENATION (twin: ref/concat_ref.c). Input k is
 * (outer, inner[k]), out is (outer, Σ inner[k]). One launch per input (at
 * most 8), each thread copying one element to its column offset; `inputs`
 * is a host array of device pointers, so no pointer table goes to the GPU. */
#include "nn_gpu.h"

__global__ static void s_concat_kernel(float *out, const float *in, size_t outer, size_t inner,
                                       size_t row, size_t offset, float lo, float hi)
{
    DN_NN_GRID_STRIDE(i, outer * inner)
        out[i / inner * row + offset + i % inner] = dn_nn_clamp(in[i], lo, hi);
}

extern "C" int dn_concat_gpu(float *out, const float *const *inputs, const size_t *inner,
                             int n_inputs, size_t outer, int act, struct dn_stream *stream,
                             struct dn_err *err)
{
    float lo, hi;
    size_t row = 0, offset = 0;
    dn_nn_act_bounds(act, &lo, &hi);
    for (int k = 0; k < n_inputs; k++)
        row += inner[k];
    for (int k = 0; k < n_inputs; k++) {
        s_concat_kernel<<<dn_nn_blocks(outer * inner[k]), DN_NN_BLOCK, 0, (cudaStream_t)stream>>>(
            out, inputs[k], outer, inner[k], row, offset, lo, hi);
        int rc = DN_CUDA_CHECK_LAUNCH(err);
        if (rc)
            return rc;
        offset += inner[k];
    }
    return 0;
}
