/* naive.c — see naive.h. Index formulas are FORMAT.md's, spelled out. */
#include "naive.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>

static float s_act(double v, int act)
{
    if (act != DN_NN_ACT_NONE && v < 0)
        v = 0;
    if (act == DN_NN_ACT_RELU6 && v > 6)
        v = 6;
    return (float)v;
}

#define AT4(p, d1, d2, d3, a, b, c, e) (p)[(((size_t)(a) * (d1) + (b)) * (d2) + (c)) * (d3) + (e)]

void naive_conv2d(float *out, const float *inp, const float *w, const float *bias,
                  const struct dn_nn_window *g)
{
    for (int n = 0; n < g->n; n++)
        for (int oy = 0; oy < g->oh; oy++)
            for (int ox = 0; ox < g->ow; ox++)
                for (int o = 0; o < g->oc; o++) {
                    double acc = bias ? bias[o] : 0;
                    for (int ky = 0; ky < g->kh; ky++)
                        for (int kx = 0; kx < g->kw; kx++) {
                            int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                            int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                            if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w)
                                continue;
                            for (int k = 0; k < g->c; k++)
                                acc += (double)AT4(inp, g->h, g->w, g->c, n, iy, ix, k) *
                                       AT4(w, g->kh, g->kw, g->c, o, ky, kx, k);
                        }
                    AT4(out, g->oh, g->ow, g->oc, n, oy, ox, o) = s_act(acc, g->act);
                }
}

void naive_depthwise_conv2d(float *out, const float *inp, const float *w, const float *bias,
                            const struct dn_nn_window *g)
{
    for (int n = 0; n < g->n; n++)
        for (int oy = 0; oy < g->oh; oy++)
            for (int ox = 0; ox < g->ow; ox++)
                for (int o = 0; o < g->oc; o++) {
                    double acc = bias ? bias[o] : 0;
                    for (int ky = 0; ky < g->kh; ky++)
                        for (int kx = 0; kx < g->kw; kx++) {
                            int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                            int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                            if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w)
                                continue;
                            acc += (double)AT4(inp, g->h, g->w, g->c, n, iy, ix, o / g->depth_mult) *
                                   w[((size_t)ky * g->kw + kx) * g->oc + o];
                        }
                    AT4(out, g->oh, g->ow, g->oc, n, oy, ox, o) = s_act(acc, g->act);
                }
}

void naive_max_pool2d(float *out, const float *inp, const struct dn_nn_window *g)
{
    for (int n = 0; n < g->n; n++)
        for (int oy = 0; oy < g->oh; oy++)
            for (int ox = 0; ox < g->ow; ox++)
                for (int k = 0; k < g->c; k++) {
                    float m = -FLT_MAX;
                    for (int ky = 0; ky < g->kh; ky++)
                        for (int kx = 0; kx < g->kw; kx++) {
                            int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                            int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                            if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w &&
                                AT4(inp, g->h, g->w, g->c, n, iy, ix, k) > m)
                                m = AT4(inp, g->h, g->w, g->c, n, iy, ix, k);
                        }
                    AT4(out, g->oh, g->ow, g->c, n, oy, ox, k) = s_act(m, g->act);
                }
}

void naive_add(float *out, const float *a, const float *b, size_t count, int act)
{
    for (size_t i = 0; i < count; i++)
        out[i] = s_act((double)(a[i] + b[i]), act);
}

void naive_concat(float *out, const float *const *inputs, const size_t *inner, int n_inputs,
                  size_t outer, int act)
{
    size_t at = 0;
    for (size_t o = 0; o < outer; o++)
        for (int k = 0; k < n_inputs; k++)
            for (size_t i = 0; i < inner[k]; i++)
                out[at++] = s_act(inputs[k][o * inner[k] + i], act);
}

void naive_depth_to_space(float *out, const float *inp, int n, int h, int w, int c, int b)
{
    int oc = c / (b * b);
    for (int in = 0; in < n; in++)
        for (int y = 0; y < h * b; y++)
            for (int x = 0; x < w * b; x++)
                for (int k = 0; k < oc; k++)
                    AT4(out, h * b, w * b, oc, in, y, x, k) =
                        AT4(inp, h, w, c, in, y / b, x / b, ((y % b) * b + x % b) * oc + k);
}

void naive_logistic(float *out, const float *inp, size_t count)
{
    for (size_t i = 0; i < count; i++)
        out[i] = (float)(1.0 / (1.0 + exp(-(double)inp[i])));
}

void naive_pad(float *out, const float *inp, int n, int h, int w, int c, const int p[6])
{
    int oh = h + p[0] + p[1], ow = w + p[2] + p[3], oc = c + p[4] + p[5];
    for (int in = 0; in < n; in++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int k = 0; k < oc; k++) {
                    int iy = y - p[0], ix = x - p[2], ik = k - p[4];
                    bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w && ik >= 0 && ik < c;
                    AT4(out, oh, ow, oc, in, y, x, k) = inside ? AT4(inp, h, w, c, in, iy, ix, ik) : 0;
                }
}

/* FORMAT.md RESIZE_BILINEAR, in float32 like TFLite. */
static void s_src(int i, int in, int out, int align, int half, int *lo, int *hi, float *d)
{
    float scale = align && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    float f = half ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
    *lo = (int)floorf(f) > 0 ? (int)floorf(f) : 0;
    *hi = (int)ceilf(f) < in - 1 ? (int)ceilf(f) : in - 1;
    *d = f - (float)*lo;
}

void naive_resize_bilinear(float *out, const float *inp, int n, int h, int w, int c, int oh,
                           int ow, int align, int half)
{
    for (int in = 0; in < n; in++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                int y0, y1, x0, x1;
                float dy, dx;
                s_src(y, h, oh, align, half, &y0, &y1, &dy);
                s_src(x, w, ow, align, half, &x0, &x1, &dx);
                for (int k = 0; k < c; k++)
                    AT4(out, oh, ow, c, in, y, x, k) =
                        AT4(inp, h, w, c, in, y0, x0, k) * (1 - dy) * (1 - dx) +
                        AT4(inp, h, w, c, in, y1, x0, k) * dy * (1 - dx) +
                        AT4(inp, h, w, c, in, y0, x1, k) * (1 - dy) * dx +
                        AT4(inp, h, w, c, in, y1, x1, k) * dy * dx;
            }
}

void naive_ohwi_to_hwio(float *hwio, const float *ohwi, int oc, int kh, int kw, int c)
{
    for (int o = 0; o < oc; o++)
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int k = 0; k < c; k++)
                    hwio[(((size_t)y * kw + x) * c + k) * oc + o] = AT4(ohwi, kh, kw, c, o, y, x, k);
}

void naive_fill(float *x, size_t n, unsigned seed, float lo, float hi)
{
    unsigned s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x[i] = lo + (hi - lo) * (float)(s >> 8) / (float)(1u << 24);
    }
}
