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
    const dn_v8 lo8 = lo * (dn_v8){1, 1, 1, 1, 1, 1, 1, 1}, hi8 = hi * (dn_v8){1, 1, 1, 1, 1, 1, 1, 1};
    const dn_v8 v = DN_V8_MAX(acc, lo8);
    DN_V8_STORE(o, DN_V8_MIN(v, hi8));
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
                acc += DN_V8_LOAD(in_n + ((size_t)iy * g->w + ix) * g->c + k0) *
                       DN_V8_LOAD(weight + (size_t)(ky * g->kw + kx) * g->c + k0);
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
            const dn_v8 wv = DN_V8_LOAD(w);
            a0 += DN_V8_LOAD(x) * wv;
            a1 += DN_V8_LOAD(x + step) * wv;
            a2 += DN_V8_LOAD(x + 2 * step) * wv;
            a3 += DN_V8_LOAD(x + 3 * step) * wv;
        }
    }
    s_store8(o, a0, lo, hi);
    s_store8(o + g->oc, a1, lo, hi);
    s_store8(o + 2 * (size_t)g->oc, a2, lo, hi);
    s_store8(o + 3 * (size_t)g->oc, a3, lo, hi);
}

/* Most taps of a border pixel group: as many as a 5x5 window has. */
#define S_MAX_TAPS 25
/* Longest channel dim a padded tap can read as zeros. */
#define S_ZEROS 2048
static const float s_zeros[S_ZEROS];

/* Channels of S_PX output pixels ox.. (any position, the last group maybe
 * partial) with some taps outside the input: a table of tap pointers per
 * pixel, padded taps reading s_zeros, then the same 4-accumulator loop as
 * the interior for every channel block. The table is built once per group. */
static inline __attribute__((always_inline)) void
s_border_group(float *orow, const float *in_n, const float *weight, const float *bias,
               const struct dn_nn_window *g, int oy, int ox, int k8, float lo, float hi)
{
    const float *xp[S_MAX_TAPS][S_PX];
    const int np = g->ow - ox < S_PX ? g->ow - ox : S_PX, taps = g->kh * g->kw;
    for (int t = 0; t < taps; t++) {
        const int iy = oy * g->stride_h - g->pad_top + t / g->kw * g->dil_h;
        for (int p = 0; p < S_PX; p++) {
            /* Pixels past the row end repeat the last one; dropped below. */
            const int ix = (ox + (p < np ? p : np - 1)) * g->stride_w - g->pad_left + t % g->kw * g->dil_w;
            const bool in = iy >= 0 && iy < g->h && ix >= 0 && ix < g->w;
            xp[t][p] = in ? in_n + ((size_t)iy * g->w + ix) * g->c : s_zeros;
        }
    }
    for (int k0 = 0; k0 < k8; k0 += 8) {
        const dn_v8 b = bias ? DN_V8_LOAD(bias + k0) : (dn_v8){0};
        dn_v8 a[S_PX] = {b, b, b, b};
        for (int t = 0; t < taps; t++) {
            const dn_v8 wv = DN_V8_LOAD(weight + (size_t)t * g->c + k0);
            for (int p = 0; p < S_PX; p++)
                a[p] += DN_V8_LOAD(xp[t][p] + k0) * wv; /* s_zeros has >= c floats */
        }
        for (int p = 0; p < np; p++)
            s_store8(orow + (size_t)(ox + p) * g->oc + k0, a[p], lo, hi);
    }
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
    /* Pixels outer, channel blocks inner: a pixel group's input window
     * (kh rows × a few pixels × c floats) stays in L1 while every channel
     * block of it is done; the other order streams whole rows per block. */
    for (int ox = 0; ox < g->ow && k8 > 0;) {
        if (ox >= xlo && ox + S_PX <= xhi) {
            for (int k0 = 0; k0 < k8; k0 += 8) {
                const dn_v8 b = bias ? DN_V8_LOAD(bias + k0) : (dn_v8){0};
                s_interior8(orow + (size_t)ox * g->oc + k0, in_n, weight, &b, g, oy, ox, k0, lo, hi);
            }
            ox += S_PX;
            continue;
        }
        if (g->kh * g->kw <= S_MAX_TAPS && g->c <= S_ZEROS) {
            s_border_group(orow, in_n, weight, bias, g, oy, ox, k8, lo, hi);
            ox += S_PX;
            continue;
        }
        for (int k0 = 0; k0 < k8; k0 += 8) {
            const dn_v8 b = bias ? DN_V8_LOAD(bias + k0) : (dn_v8){0};
            s_store8(orow + (size_t)ox * g->oc + k0, s_pixel8(in_n, weight, b, g, oy, ox, k0), lo, hi);
        }
        ox++;
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
