/* max_pool2d.cu — MAX_POOL_2D (twin: ref/max_pool2d_ref.c). inp is
 * (n,h,w,c), out is (n,oh,ow,c): max over in-bounds taps (−FLT_MAX when
 * none), then the activation. One thread per output element, channels
 * fastest: each tap is a coalesced load of contiguous channels. */
#include "nn_gpu.h"

__global__ static void s_max_pool2d_kernel(float *out, const float *inp, struct dn_nn_window g,
                                           float lo, float hi)
{
    DN_NN_GRID_STRIDE(idx, (size_t)g.n * g.oh * g.ow * g.c) {
        int k = (int)(idx % g.c);
        size_t q = idx / g.c;
        int ox = (int)(q % g.ow), oy = (int)(q / g.ow % g.oh), n = (int)(q / g.ow / g.oh);
        float m = -FLT_MAX;
        for (int ky = 0; ky < g.kh; ky++) {
            int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
            for (int kx = 0; iy >= 0 && iy < g.h && kx < g.kw; kx++) {
                int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                if (ix >= 0 && ix < g.w) {
                    float v = inp[(((size_t)n * g.h + iy) * g.w + ix) * g.c + k];
                    m = v > m ? v : m;
                }
            }
        }
        out[idx] = dn_nn_clamp(m, lo, hi);
    }
}

extern "C" int dn_max_pool2d_gpu(float *out, const float *inp, const struct dn_nn_window *g,
                                 struct dn_stream *stream, struct dn_err *err)
{
    float lo, hi;
    dn_nn_act_bounds(g->act, &lo, &hi);
    size_t total = (size_t)g->n * g->oh * g->ow * g->c;
    s_max_pool2d_kernel<<<dn_nn_blocks(total), DN_NN_BLOCK, 0, (cudaStream_t)stream>>>(out, inp, *g, lo, hi);
    return DN_CUDA_CHECK_LAUNCH(err);
}
