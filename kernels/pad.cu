/* pad.cu — PAD with zeros (twin: ref/pad_ref.c). inp is (n,h,w,c);
 * pads = {top, bottom, left, right, c_before, c_after}; out is
 * (n, h+top+bottom, w+left+right, c+c_before+c_after). One thread per
 * output element, in output order. */
#include "nn_gpu.h"

struct s_pads {
    int p[6];
};

__global__ static void s_pad_kernel(float *out, const float *inp, int n, int h, int w, int c,
                                    struct s_pads pads)
{
    const int *p = pads.p;
    const int oh = h + p[0] + p[1], ow = w + p[2] + p[3], oc = c + p[4] + p[5];
    DN_NN_GRID_STRIDE(idx, (size_t)n * oh * ow * oc) {
        int k = (int)(idx % oc) - p[4];
        size_t q = idx / oc;
        int x = (int)(q % ow) - p[2], y = (int)(q / ow % oh) - p[0], in = (int)(q / ow / oh);
        bool inside = k >= 0 && k < c && x >= 0 && x < w && y >= 0 && y < h;
        out[idx] = inside ? inp[(((size_t)in * h + y) * w + x) * c + k] : 0.0f;
    }
}

extern "C" int dn_pad_gpu(float *out, const float *inp, int n, int h, int w, int c,
                          const int pads[6], struct dn_stream *stream, struct dn_err *err)
{
    struct s_pads p;
    for (int i = 0; i < 6; i++)
        p.p[i] = pads[i];
    size_t total = (size_t)n * (h + pads[0] + pads[1]) * (w + pads[2] + pads[3]) *
                   (c + pads[4] + pads[5]);
    s_pad_kernel<<<dn_nn_blocks(total), DN_NN_BLOCK, 0, (cudaStream_t)stream>>>(out, inp, n, h, w, c, p);
    return DN_CUDA_CHECK_LAUNCH(err);
}
