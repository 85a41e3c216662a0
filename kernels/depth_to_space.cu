/* depth_to_space.cu — DEPTH_TO_SPACE, DCR (twin: ref/depth_to_space_ref.c).
 * inp is (n,h,w,c), out is (n,h·b,w·b,c/(b·b)):
 * out[n, y·b+i, x·b+j, k] = inp[n, y, x, (i·b+j)·c/(b·b) + k].
 * One thread per output element, in output order (coalesced stores; the
 * loads are runs of c/(b·b) contiguous floats). */
#include "nn_gpu.h"

__global__ static void s_depth_to_space_kernel(float *out, const float *inp, int n, int h, int w,
                                               int c, int b)
{
    const int oc = c / (b * b), ow = w * b, oh = h * b;
    DN_NN_GRID_STRIDE(idx, (size_t)n * oh * ow * oc) {
        int k = (int)(idx % oc);
        size_t p = idx / oc;
        int x = (int)(p % ow), y = (int)(p / ow % oh), in = (int)(p / ow / oh);
        out[idx] = inp[(((size_t)in * h + y / b) * w + x / b) * c + ((y % b) * b + x % b) * oc + k];
    }
}

extern "C" int dn_depth_to_space_gpu(float *out, const float *inp, int n, int h, int w, int c,
                                     int block, struct dn_stream *stream, struct dn_err *err)
{
    size_t total = (size_t)n * h * w * c;
    s_depth_to_space_kernel<<<dn_nn_blocks(total), DN_NN_BLOCK, 0, (cudaStream_t)stream>>>(
        out, inp, n, h, w, c, block);
    return DN_CUDA_CHECK_LAUNCH(err);
}
