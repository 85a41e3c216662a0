/* conv2d_ref.c — CONV_2D, direct (no im2col buffer).
 * inp is (n,h,w,c), weight is (kh,kw,c,oc) (HWIO), bias is (oc) or NULL,
 * out is (n,oh,ow,oc):
 *   out[n,oy,ox,o] = act(bias[o] + Σ_{ky,kx,k} inp[n,iy,ix,k] · weight[ky,kx,k,o])
 *   iy = oy·sh − pt + ky·dh, ix = ox·sw − pl + kx·dw; out-of-bounds taps add 0.
 *
 * How it is fast enough: the work is cut into register tiles of 6 output
 * pixels (along a row) × 16 output channels (two 8-float vectors). Per tap
 * and input channel k the tile broadcasts one input float per pixel and
 * loads one weight row of 16 contiguous output channels, i.e. 12 vector
 * FMAs for 2 loads + 6 broadcasts, with the 12 accumulators in registers
 * (the classic AVX2 sgemm tile). A 1×1, stride-1, unpadded conv (90 % of
 * the pose networks' MACs) is a GEMM over all n·h·w pixels, so it runs as
 * one long row. Pixels come in blocks of S_PB (the block's input stays in
 * cache while the channel tiles cycle over it); blocks are the OpenMP unit.
 * Output channels left over after the 16- and 8-wide tiles (heads with 1–7
 * channels) are dot products over (tap, k), vectorised along k, for 4
 * pixels at a time where they can (independent FMA chains).
 *
 * Summation order: each tile sums k in chunks of S_KC into a fresh
 * accumulator and adds the chunk to the running total (bias first). Chunking
 * keeps float32 rounding error like a blocked GEMM's (TFLite's), instead of
 * growing with the full c·kh·kw length. Any batch gives bit-identical
 * results per item, since a pixel's sum never depends on its tile. */
#include <stdbool.h>
#include <string.h>

#include "dancer/nn_kernels.h"
#include "nn_ref.h"

/* x86-64 with GCC/clang: a 32-channel AVX-512 path beside the AVX2 clones. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(DN_NO_CLONES)
#define S_AVX512 1
#endif

#define S_MR 6    /* output pixels per register tile */
#define S_PB 48   /* output pixels per cache block (a multiple of S_MR) */
#define S_KC 32   /* input channels per summation chunk */
#define S_ZEROS 2048 /* longest channel dim a padded tap can read as zeros */
#define S_DOT_MAX 8192 /* largest transposed weight slice of the dot path (floats) */
#define S_DOT_PX 4 /* pixels per step of the dot path (s_dot_group) */

static const float s_zeros[S_ZEROS];

#define S_FMA2(m) do { const float b = x[m][k]; a##m##0 += b * w0; a##m##1 += b * w1; } while (0)
#define S_FMA1(m) do { a##m##0 += x[m][k] * w0; } while (0)

/* acc[m][0..15] += Σ_{k<c} x[m][k] · w[k·ldw + 0..15] for 6 pixels m. */
static inline __attribute__((always_inline)) void
s_kernel_16(dn_v8 acc[S_MR][4], const float *const *x, const float *w, size_t ldw, int c)
{
    for (int k0 = 0; k0 < c; k0 += S_KC) {
        const int k1 = k0 + S_KC < c ? k0 + S_KC : c;
        dn_v8 z = {0}, a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z,
              a40 = z, a41 = z, a50 = z, a51 = z;
        for (int k = k0; k < k1; k++) {
            const float *wk = w + (size_t)k * ldw;
            dn_v8 w0 = DN_V8_LOAD(wk), w1 = DN_V8_LOAD(wk + 8);
            S_FMA2(0); S_FMA2(1); S_FMA2(2); S_FMA2(3); S_FMA2(4); S_FMA2(5);
        }
        acc[0][0] += a00; acc[0][1] += a01; acc[1][0] += a10; acc[1][1] += a11;
        acc[2][0] += a20; acc[2][1] += a21; acc[3][0] += a30; acc[3][1] += a31;
        acc[4][0] += a40; acc[4][1] += a41; acc[5][0] += a50; acc[5][1] += a51;
    }
}

/* The same for 8 output channels. */
static inline __attribute__((always_inline)) void
s_kernel_8(dn_v8 acc[S_MR][4], const float *const *x, const float *w, size_t ldw, int c)
{
    for (int k0 = 0; k0 < c; k0 += S_KC) {
        const int k1 = k0 + S_KC < c ? k0 + S_KC : c;
        dn_v8 z = {0}, a00 = z, a10 = z, a20 = z, a30 = z, a40 = z, a50 = z;
        for (int k = k0; k < k1; k++) {
            dn_v8 w0 = DN_V8_LOAD(w + (size_t)k * ldw);
            S_FMA1(0); S_FMA1(1); S_FMA1(2); S_FMA1(3); S_FMA1(4); S_FMA1(5);
        }
        acc[0][0] += a00; acc[1][0] += a10; acc[2][0] += a20;
        acc[3][0] += a30; acc[4][0] += a40; acc[5][0] += a50;
    }
}

#ifdef S_AVX512
/* The same for 32 output channels in 16-float (AVX-512) registers: 12 zmm
 * accumulators, 2 weight loads and 6 broadcasts per k. acc keeps its
 * 8-float layout in memory; whole rows move through a 16-float view. */
typedef float s_v16 __attribute__((vector_size(64)));
/* Unaligned, aliasing view for loads: a memcpy into an s_v16 local keeps
 * the value on the stack (64-byte aligned) and every FMA reads it back. */
typedef float s_v16u __attribute__((vector_size(64), aligned(4), may_alias));

/* noinline: inlined into the big tiling function, GCC's register allocator
 * spills a weight vector in the hot loop (measured: 2x slower). */
__attribute__((target("arch=x86-64-v4"), noinline)) static void
s_kernel_32(dn_v8 acc[S_MR][4], const float *const *x, const float *w, size_t ldw, int c)
{
    for (int k0 = 0; k0 < c; k0 += S_KC) {
        const int k1 = k0 + S_KC < c ? k0 + S_KC : c;
        s_v16 z = {0}, a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z,
              a40 = z, a41 = z, a50 = z, a51 = z;
        for (int k = k0; k < k1; k++) {
            const float *wk = w + (size_t)k * ldw;
            const s_v16 w0 = *(const s_v16u *)wk, w1 = *(const s_v16u *)(wk + 16);
            S_FMA2(0); S_FMA2(1); S_FMA2(2); S_FMA2(3); S_FMA2(4); S_FMA2(5);
        }
        const s_v16 sums[S_MR][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
        for (int m = 0; m < S_MR; m++)
            for (int h = 0; h < 2; h++) {
                s_v16u *t = (s_v16u *)&acc[m][2 * h];
                *t += sums[m][h];
            }
    }
}
#endif

/* Input pointers of tap (ky, kx) for output pixels ox0..ox0+5 of row oy;
 * out-of-bounds ones read s_zeros. False when a padded tap cannot (c too
 * large for s_zeros): the caller then takes the generic path. */
static inline bool s_tap_rows(const float *x[S_MR], const float *inp, const struct dn_nn_window *g,
                              int n, int oy, int ox0, int mr, int ky, int kx)
{
    const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
    const bool row_in = iy >= 0 && iy < g->h;
    const float *row = inp + ((size_t)n * g->h + (row_in ? iy : 0)) * g->w * g->c;
    for (int m = 0; m < S_MR; m++) {
        /* Rows past mr repeat the last pixel; their results are dropped. */
        const int ix = (ox0 + (m < mr ? m : mr - 1)) * g->stride_w - g->pad_left + kx * g->dil_w;
        if (row_in && ix >= 0 && ix < g->w)
            x[m] = row + (size_t)ix * g->c;
        else if (g->c <= S_ZEROS)
            x[m] = s_zeros;
        else
            return false;
    }
    return true;
}

/* Output pixels (n, oy, ox0..ox0+mr-1) × channels o0..o0+nr-1, nr ∈ {8, 16}.
 * False (nothing written) when the generic path must do it. */
static inline __attribute__((always_inline)) bool
s_tile(float *out, const float *inp, const float *weight, const float *bias,
       const struct dn_nn_window *g, int n, int oy, int ox0, int mr, int o0, int nr, float lo,
       float hi)
{
    dn_v8 acc[S_MR][4];
    for (int m = 0; m < S_MR; m++)
        for (int v = 0; v < nr / 8; v++)
            acc[m][v] = bias ? DN_V8_LOAD(bias + o0 + 8 * v) : (dn_v8){0};
    /* With dil_w = 1 a row's kw taps are kw·c contiguous floats in the
     * input and kw·c contiguous weight rows (HWIO): when every pixel's row
     * segment is inside, they are one k loop of kw·c (the 3-channel stem:
     * 9 instead of 3 per call). */
    const bool merge = g->dil_w == 1 && ox0 * g->stride_w - g->pad_left >= 0 &&
                       (ox0 + mr - 1) * g->stride_w - g->pad_left + g->kw <= g->w;
    const int kx_step = merge ? g->kw : 1, run = merge ? g->kw * g->c : g->c;
    for (int ky = 0; ky < g->kh; ky++)
        for (int kx = 0; kx < g->kw; kx += kx_step) {
            const float *x[S_MR];
            if (!s_tap_rows(x, inp, g, n, oy, ox0, mr, ky, kx))
                return false;
            const float *w = weight + ((size_t)(ky * g->kw + kx) * g->c) * g->oc + o0;
#ifdef S_AVX512
            if (nr == 32)
                s_kernel_32(acc, x, w, (size_t)g->oc, run);
            else
#endif
            if (nr == 16)
                s_kernel_16(acc, x, w, (size_t)g->oc, run);
            else
                s_kernel_8(acc, x, w, (size_t)g->oc, run);
        }
    float *o = out + (((size_t)n * g->oh + oy) * g->ow + ox0) * g->oc + o0;
    for (int m = 0; m < mr; m++) {
        float t[32];
        for (int v = 0; v < nr / 8; v++)
            DN_V8_STORE(t + 8 * v, acc[m][v]);
        for (int j = 0; j < nr; j++)
            o[(size_t)m * g->oc + j] = dn_clamp(t[j], lo, hi);
    }
    return true;
}

/* One output pixel, channels o0..o0+nr-1, straight from the definition
 * (any nr, any padding): the fallback nothing hot goes through. */
static void s_generic(float *out, const float *inp, const float *weight, const float *bias,
                      const struct dn_nn_window *g, int n, int oy, int ox, int o0, int nr,
                      float lo, float hi)
{
    float *o = out + (((size_t)n * g->oh + oy) * g->ow + ox) * g->oc;
    for (int j = o0; j < o0 + nr; j++) {
        float acc = bias ? bias[j] : 0.0f;
        for (int ky = 0; ky < g->kh; ky++) {
            const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
            for (int kx = 0; iy >= 0 && iy < g->h && kx < g->kw; kx++) {
                const int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                if (ix < 0 || ix >= g->w)
                    continue;
                const float *x = inp + (((size_t)n * g->h + iy) * g->w + ix) * g->c;
                const float *w = weight + (size_t)(ky * g->kw + kx) * g->c * g->oc + j;
                for (int k = 0; k < g->c; k++)
                    acc += x[k] * w[(size_t)k * g->oc];
            }
        }
        o[j] = dn_clamp(acc, lo, hi);
    }
}

/* Channel j of output pixel ox: a dot product over (tap, k) with 8
 * partial sums along k, plus b, against wt = the channel's weights transposed,
 * wt[tap][k]. A row's taps inside the input form one run of kw·c (as in
 * s_tile). */
static inline __attribute__((always_inline)) float
s_dot_pixel(float b, const float *inp, const float *wt, const struct dn_nn_window *g, int n, int oy,
            int ox)
{
    const int ix0 = ox * g->stride_w - g->pad_left;
    const bool merge = g->dil_w == 1 && ix0 >= 0 && ix0 + g->kw <= g->w;
    const int kx_step = merge ? g->kw : 1, run = merge ? g->kw * g->c : g->c;
    dn_v8 part = {0};
    float tail = 0.0f;
    for (int ky = 0; ky < g->kh; ky++) {
        const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
        if (iy < 0 || iy >= g->h)
            continue;
        for (int kx = 0; kx < g->kw; kx += kx_step) {
            const int ix = ix0 + kx * g->dil_w;
            if (ix < 0 || ix >= g->w)
                continue;
            const float *x = inp + (((size_t)n * g->h + iy) * g->w + ix) * g->c;
            const float *w = wt + (ky * g->kw + kx) * g->c;
            int k = 0;
            for (; k + 8 <= run; k += 8)
                part += DN_V8_LOAD(x + k) * DN_V8_LOAD(w + k);
            for (; k < run; k++)
                tail += x[k] * w[k];
        }
    }
    return b + DN_V8_SUM(part) + tail;
}

/* s_dot_pixel for S_DOT_PX pixels ox.. whose rows are all one run (merge),
 * as S_DOT_PX independent sums in s_dot_pixel's order, so the results do
 * not depend on the grouping. A single sum is one long chain of dependent
 * FMAs (the 1-channel 3x3 head: 9 of them per pixel); independent chains
 * overlap. Writes sum[0..S_DOT_PX-1]. */
static inline __attribute__((always_inline)) void
s_dot_group(float *sum, float b, const float *inp, const float *wt, const struct dn_nn_window *g,
            int n, int oy, int ox)
{
    const int run = g->kw * g->c;
    const size_t step = (size_t)g->stride_w * g->c; /* from one pixel's run to the next */
    dn_v8 part[S_DOT_PX] = {{0}};
    float tail[S_DOT_PX] = {0};
    for (int ky = 0; ky < g->kh; ky++) {
        const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
        if (iy < 0 || iy >= g->h)
            continue;
        const float *x = inp + (((size_t)n * g->h + iy) * g->w + ox * g->stride_w - g->pad_left) * g->c;
        const float *w = wt + ky * run;
        int k = 0;
        for (; k + 8 <= run; k += 8) {
            const dn_v8 wv = DN_V8_LOAD(w + k);
            for (int p = 0; p < S_DOT_PX; p++)
                part[p] += DN_V8_LOAD(x + p * step + k) * wv;
        }
        for (; k < run; k++)
            for (int p = 0; p < S_DOT_PX; p++)
                tail[p] += x[p * step + k] * w[k];
    }
    for (int p = 0; p < S_DOT_PX; p++)
        sum[p] = b + DN_V8_SUM(part[p]) + tail[p];
}

/* Output channels o0..o0+nr-1 (nr < 8) of pixels ox0..ox1-1, per channel
 * a dot product against a transposed copy of its weights on the stack. */
DN_HOT static void s_dot(float *out, const float *inp, const float *weight, const float *bias,
                  const struct dn_nn_window *g, int n, int oy, int ox0, int ox1, int o0, int nr,
                  float lo, float hi)
{
    const int len = g->kh * g->kw * g->c;
    float wt[S_DOT_MAX];
    for (int j = 0; j < nr; j++)
        for (int i = 0; i < len; i++)
            wt[j * len + i] = weight[(size_t)i * g->oc + o0 + j];
    for (int ox = ox0; ox < ox1;) {
        float *o = out + (((size_t)n * g->oh + oy) * g->ow + ox) * g->oc + o0;
        const int first = ox * g->stride_w - g->pad_left,
                  last = (ox + S_DOT_PX - 1) * g->stride_w - g->pad_left;
        if (ox + S_DOT_PX <= ox1 && g->dil_w == 1 && first >= 0 && last + g->kw <= g->w) {
            for (int j = 0; j < nr; j++) {
                float sum[S_DOT_PX];
                s_dot_group(sum, bias ? bias[o0 + j] : 0.0f, inp, wt + j * len, g, n, oy, ox);
                for (int p = 0; p < S_DOT_PX; p++)
                    o[(size_t)p * g->oc + j] = dn_clamp(sum[p], lo, hi);
            }
            ox += S_DOT_PX;
            continue;
        }
        for (int j = 0; j < nr; j++) {
            const float b = bias ? bias[o0 + j] : 0.0f;
            o[j] = dn_clamp(s_dot_pixel(b, inp, wt + j * len, g, n, oy, ox), lo, hi);
        }
        ox++;
    }
}

/* Channels o0..o0+nr-1 (nr ∈ {8, 16}) of pixels [ox_begin, ox_end) of a row. */
static inline __attribute__((always_inline)) void
s_tiles(float *out, const float *inp, const float *weight, const float *bias,
        const struct dn_nn_window *g, int n, int oy, int ox_begin, int ox_end, int o0, int nr,
        float lo, float hi)
{
    for (int ox = ox_begin; ox < ox_end; ox += S_MR) {
        const int mr = ox_end - ox < S_MR ? ox_end - ox : S_MR;
        if (!s_tile(out, inp, weight, bias, g, n, oy, ox, mr, o0, nr, lo, hi))
            for (int m = 0; m < mr; m++)
                s_generic(out, inp, weight, bias, g, n, oy, ox + m, o0, nr, lo, hi);
    }
}

static inline __attribute__((always_inline)) void
s_block(float *out, const float *inp, const float *weight, const float *bias,
        const struct dn_nn_window *g, int row, int ox_begin, int ox_end, float lo, float hi,
        bool wide)
{
    const int n = row / g->oh, oy = row % g->oh;
    int o0 = 0;
#ifdef S_AVX512
    for (; wide && o0 + 32 <= g->oc; o0 += 32)
        s_tiles(out, inp, weight, bias, g, n, oy, ox_begin, ox_end, o0, 32, lo, hi);
#else
    (void)wide;
#endif
    for (; o0 + 16 <= g->oc; o0 += 16)
        s_tiles(out, inp, weight, bias, g, n, oy, ox_begin, ox_end, o0, 16, lo, hi);
    if (g->oc - o0 >= 8) {
        s_tiles(out, inp, weight, bias, g, n, oy, ox_begin, ox_end, o0, 8, lo, hi);
        o0 += 8;
    }
    const int rest = g->oc - o0;
    if (rest == 0)
        return;
    if (rest * g->kh * g->kw * g->c <= S_DOT_MAX) {
        s_dot(out, inp, weight, bias, g, n, oy, ox_begin, ox_end, o0, rest, lo, hi);
        return;
    }
    for (int ox = ox_begin; ox < ox_end; ox++)
        s_generic(out, inp, weight, bias, g, n, oy, ox, o0, rest, lo, hi);
}

#ifdef S_AVX512
/* The whole conv with 32-channel tiles, compiled for AVX-512 (x86-64-v4):
 * twice the lanes of the AVX2 clone, as XNNPACK uses on such CPUs. The
 * OpenMP loop is repeated here because an outlined parallel body takes
 * the target of the function it is written in. */
__attribute__((target("arch=x86-64-v4"))) static void
s_conv_avx512(float *out, const float *inp, const float *weight, const float *bias,
              const struct dn_nn_window *g, float lo, float hi)
{
    const int rows = g->n * g->oh, blocks = (g->ow + S_PB - 1) / S_PB;
    DN_OMP(omp parallel for collapse(2) schedule(dynamic, 1)
           if ((size_t)rows * g->ow * g->oc * g->kh * g->kw * g->c > (1 << 18)))
    for (int row = 0; row < rows; row++)
        for (int b = 0; b < blocks; b++) {
            int end = (b + 1) * S_PB < g->ow ? (b + 1) * S_PB : g->ow;
            s_block(out, inp, weight, bias, g, row, b * S_PB, end, lo, hi, true);
        }
}

static bool s_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512cd");
}
#endif

DN_HOT void dn_conv2d_ref(float *out, const float *inp, const float *weight, const float *bias,
                          const struct dn_nn_window *g0)
{
    struct dn_nn_window g = *g0;
    if (g.kh == 1 && g.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
        g.pad_left == 0 && g.oh == g.h && g.ow == g.w) {
        /* Pointwise: pixel p of the output reads pixel p of the input. */
        g.w = g.ow = g.n * g.h * g.w;
        g.n = g.h = g.oh = 1;
    }
    float lo, hi;
    dn_act_bounds(g.act, &lo, &hi);
#ifdef S_AVX512
    /* Short sums (c·kh·kw < 64, e.g. the 16-channel expansions) spend their
     * time in tile setup and stores, where the wider tile only loses. */
    if (g.oc >= 32 && g.c * g.kh * g.kw >= 64 && s_has_avx512()) {
        s_conv_avx512(out, inp, weight, bias, &g, lo, hi);
        return;
    }
#endif
    const int rows = g.n * g.oh, blocks = (g.ow + S_PB - 1) / S_PB;
    DN_OMP(omp parallel for collapse(2) schedule(dynamic, 1)
           if ((size_t)rows * g.ow * g.oc * g.kh * g.kw * g.c > (1 << 18)))
    for (int row = 0; row < rows; row++)
        for (int b = 0; b < blocks; b++) {
            int end = (b + 1) * S_PB < g.ow ? (b + 1) * S_PB : g.ow;
            s_block(out, inp, weight, bias, &g, row, b * S_PB, end, lo, hi, false);
        }
}
