/* depthwise_conv2d_ref.c — DEPTHWISE_CONV_2D.
 * inp is (n,h,w,c), weight is (kh,kw,oc), bias is (oc) or NULL, out is
 * (n,oh,ow,oc) with oc = c·M (M = depth_mult):
 *   out[n,oy,ox,k] = act(bias[k] + Σ_{ky,kx} inp[n,iy,ix,k/M] · weight[ky,kx,k])
 *   iy = oy·sh − pt + ky·dh, ix = ox·sw − pl + kx·dw, out-of-bounds taps skipped.
 *
 * Channels are innermost in input, weight and output, so a block of 8
 * channels is one vector all the way. A row of output is done one 8-channel
 * block at a time; pixels whose taps are all inside the input come 4 at a
 * time (4 accumulators share each weight load, no bounds checks), the
 * border pixels one at a time with checks. Rows are the OpenMP unit. */
#include <stdbool.h>

#include "dancer/nn_kernels.h"
#include "nn_ref.h"

#define S_PX 4 /* interior pixels per step */

static inline __attribute__((always_inline)) void s_store8(float *o, dn_v8 acc, float lo, float hi)
{
    float t[8];
    dn_v8_store(t, acc);
    for (int j = 0; j < 8; j++)
        o[j] = dn_clamp(t[j], lo, hi);
}

/* Channels k0..k0+7 of output pixel ox, any taps out of bounds skipped. */
static inline __attribute__((always_inline)) dn_v8 s_pixel8(const float *in_n, const float *weight, dn_v8 acc,
                             const struct dn_nn_window *g, int oy, int ox, int k0)
{
    for (int ky = 0; ky < g->kh; ky++) {
        const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
        for (int kx = 0; iy >= 0 && iy < g->h && kx < g->kw; kx++) {
            const int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
            if (ix >= 0 && ix < g->w)
                acc += dn_v8_load(in_n + ((size_t)iy * g->w + ix) * g->c + k0) *
                       dn_v8_load(weight + (size_t)(ky * g->kw + kx) * g->c + k0);
        }
    }
    return acc;
}

/* Channels k0..k0+7 of S_PX interior output pixels ox..ox+3. */
static inline __attribute__((always_inline)) void
s_interior8(float *o, const float *in_n, const float *weight, const dn_v8 *bias8,
            const struct dn_nn_window *g, int oy, int ox, int k0, float lo, float hi)
{
    const dn_v8 b = *bias8;
    dn_v8 a0 = b, a1 = b, a2 = b, a3 = b;
    const size_t step = (size_t)g->stride_w * g->c;
    for (int ky = 0; ky < g->kh; ky++) {
        const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
        if (iy < 0 || iy >= g->h)
            continue;
        const float *x = in_n + ((size_t)iy * g->w + (size_t)(ox * g->stride_w - g->pad_left)) * g->c + k0;
        const float *w = weight + (size_t)ky * g->kw * g->c + k0;
        for (int kx = 0; kx < g->kw; kx++, x += (size_t)g->dil_w * g->c, w += g->c) {
            const dn_v8 wv = dn_v8_load(w);
            a0 += dn_v8_load(x) * wv;
            a1 += dn_v8_load(x + step) * wv;
            a2 += dn_v8_load(x + 2 * step) * wv;
            a3 += dn_v8_load(x + 3 * step) * wv;
        }
    }
    s_store8(o, a0, lo, hi);
    s_store8(o + g->oc, a1, lo, hi);
    s_store8(o + 2 * (size_t)g->oc, a2, lo, hi);
    s_store8(o + 3 * (size_t)g->oc, a3, lo, hi);
}

/* One output channel of one pixel, any depth multiplier: the definition. */
static float s_scalar(const float *in_n, const float *weight, const float *bias,
                      const struct dn_nn_window *g, int oy, int ox, int k)
{
    float acc = bias ? bias[k] : 0.0f;
    for (int ky = 0; ky < g->kh; ky++) {
        const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
        for (int kx = 0; iy >= 0 && iy < g->h && kx < g->kw; kx++) {
            const int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
            if (ix >= 0 && ix < g->w)
                acc += in_n[((size_t)iy * g->w + ix) * g->c + k / g->depth_mult] *
                       weight[(size_t)(ky * g->kw + kx) * g->oc + k];
        }
    }
    return acc;
}

/* First and one-past-last output column whose taps all fall inside [0, w). */
static void s_interior_cols(const struct dn_nn_window *g, int *lo, int *hi)
{
    const int span = (g->kw - 1) * g->dil_w;
    int a = (g->pad_left + g->stride_w - 1) / g->stride_w;
    int b = g->w - 1 - span + g->pad_left >= 0 ? (g->w - 1 - span + g->pad_left) / g->stride_w + 1 : 0;
    *lo = a < g->ow ? a : g->ow;
    *hi = b < *lo ? *lo : b < g->ow ? b : g->ow;
}

static inline __attribute__((always_inline)) void
s_row(float *out, const float *inp, const float *weight, const float *bias,
      const struct dn_nn_window *g, int n, int oy, int xlo, int xhi, float lo, float hi)
{
    const float *in_n = inp + (size_t)n * g->h * g->w * g->c;
    float *orow = out + ((size_t)n * g->oh + oy) * g->ow * g->oc;
    const int k8 = g->depth_mult == 1 ? g->oc / 8 * 8 : 0;
    for (int k0 = 0; k0 < k8; k0 += 8) {
        const dn_v8 b = bias ? dn_v8_load(bias + k0) : (dn_v8){0};
        int ox = 0;
        for (; ox < g->ow; ox++) {
            if (ox >= xlo && ox + S_PX <= xhi) {
                s_interior8(orow + (size_t)ox * g->oc + k0, in_n, weight, &b, g, oy, ox, k0, lo, hi);
                ox += S_PX - 1;
                continue;
            }
            s_store8(orow + (size_t)ox * g->oc + k0, s_pixel8(in_n, weight, b, g, oy, ox, k0), lo, hi);
        }
    }
    for (int ox = 0; ox < g->ow && k8 < g->oc; ox++)
        for (int k = k8; k < g->oc; k++)
            orow[(size_t)ox * g->oc + k] = dn_clamp(s_scalar(in_n, weight, bias, g, oy, ox, k), lo, hi);
}

DN_HOT void dn_depthwise_conv2d_ref(float *out, const float *inp, const float *weight,
                                    const float *bias, const struct dn_nn_window *g)
{
    float lo, hi;
    int xlo, xhi;
    dn_act_bounds(g->act, &lo, &hi);
    s_interior_cols(g, &xlo, &xhi);
    DN_OMP(omp parallel for collapse(2) schedule(dynamic, 4)
           if ((size_t)g->n * g->oh * g->ow * g->oc * g->kh * g->kw > (1 << 16)))
    for (int n = 0; n < g->n; n++)
        for (int oy = 0; oy < g->oh; oy++)
            s_row(out, inp, weight, bias, g, n, oy, xlo, xhi, lo, hi);
}
