/* depthwise_conv2d.cu — DEPTHWISE_CONV_2D (twin: ref/depthwise_conv2d_ref.c).
 * inp is (n,h,w,c), weight is (kh,kw,oc), bias is (oc) or NULL, out is
 * (n,oh,ow,oc), oc = c·M:
 *   out[n,oy,ox,k] = act(bias[k] + Σ_{ky,kx} inp[n,iy,ix,k/M] · weight[ky,kx,k]).
 * One thread per output element, channels fastest: for each tap a warp
 * loads 32 contiguous input channels and 32 contiguous weights, the weights
 * and the overlapping input windows of neighbouring pixels come from L1/L2.
 * The op is memory-bound (9–25 MACs per output), so this simple mapping is
 * close to what it can do; bias and activation are fused. */
#include "nn_gpu.h"

__global__ static void s_depthwise_conv2d_kernel(float *out, const float *inp,
                                                 const float *__restrict__ weight,
                                                 const float *__restrict__ bias,
                                                 struct dn_nn_window g, float lo, float hi)
{
    DN_NN_GRID_STRIDE(idx, (size_t)g.n * g.oh * g.ow * g.oc) {
        int k = (int)(idx % g.oc);
        size_t q = idx / g.oc;
        int ox = (int)(q % g.ow), oy = (int)(q / g.ow % g.oh), n = (int)(q / g.ow / g.oh);
        const float *x = inp + (size_t)n * g.h * g.w * g.c + k / g.depth_mult;
        float acc = bias ? bias[k] : 0.0f;
        for (int ky = 0; ky < g.kh; ky++) {
            int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
            for (int kx = 0; iy >= 0 && iy < g.h && kx < g.kw; kx++) {
                int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                if (ix >= 0 && ix < g.w)
                    acc = fmaf(x[((size_t)iy * g.w + ix) * g.c], weight[(ky * g.kw + kx) * g.oc + k], acc);
            }
        }
        out[idx] = dn_nn_clamp(acc, lo, hi);
    }
}

extern "C" int dn_depthwise_conv2d_gpu(float *out, const float *inp, const float *weight,
                                       const float *bias, const struct dn_nn_window *g,
                                       struct dn_stream *stream, struct dn_err *err)
{
    float lo, hi;
    dn_nn_act_bounds(g->act, &lo, &hi);
    size_t total = (size_t)g->n * g->oh * g->ow * g->oc;
    s_depthwise_conv2d_kernel<<<dn_nn_blocks(total), DN_NN_BLOCK, 0, (cudaStream_t)stream>>>(
        out, inp, weight, bias, *g, lo, hi);
    return DN_CUDA_CHECK_LAUNCH(err);
}
