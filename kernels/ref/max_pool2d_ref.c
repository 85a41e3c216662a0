/* max_pool2d_ref.c — MAX_POOL_2D.
 * inp is (n,h,w,c), out is (n,oh,ow,c) (g->oc == g->c): out[n,oy,ox,k] =
 * act(max over in-bounds taps (ky,kx) of inp[n, oy·sh − pt + ky·dh,
 * ox·sw − pl + kx·dw, k]); −FLT_MAX before the activation when no tap is in
 * bounds, as TFLite. Channels innermost, so each tap is one vector max. */
#include <float.h>

#include "dancer/nn_kernels.h"
#include "nn_ref.h"

DN_HOT void dn_max_pool2d_ref(float *out, const float *inp, const struct dn_nn_window *g)
{
    const int c = g->c;
    float lo, hi;
    dn_act_bounds(g->act, &lo, &hi);
    DN_OMP(omp parallel for collapse(2) if ((size_t)g->n * g->oh * g->ow * c > (1 << 15)))
    for (int n = 0; n < g->n; n++)
        for (int oy = 0; oy < g->oh; oy++)
            for (int ox = 0; ox < g->ow; ox++) {
                float *o = out + (((size_t)n * g->oh + oy) * g->ow + ox) * c;
                for (int k = 0; k < c; k++)
                    o[k] = -FLT_MAX;
                for (int ky = 0; ky < g->kh; ky++) {
                    int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                    if (iy < 0 || iy >= g->h)
                        continue;
                    for (int kx = 0; kx < g->kw; kx++) {
                        int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                        if (ix < 0 || ix >= g->w)
                            continue;
                        const float *x = inp + (((size_t)n * g->h + iy) * g->w + ix) * c;
                        for (int k = 0; k < c; k++)
                            o[k] = x[k] > o[k] ? x[k] : o[k];
                    }
                }
                for (int k = 0; k < c; k++)
                    o[k] = dn_clamp(o[k], lo, hi);
            }
}
