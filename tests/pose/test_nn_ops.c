/* test_nn_ops.c — every reference kernel (kernels/ref/) against the naive
 * definition of its op (naive.c) on the shapes of op_cases.h.
 *
 * Tolerances: data movement (pad, depth_to_space, concat) and max pool must
 * be exact. Convs sum float32 products (in tiles, chunks of 32 channels)
 * where the naive version sums in double; for K terms in [-1, 1] the float32
 * error grows like sqrt(K)·6e-8, about 1e-5 at the largest K here (19000), so
 * |d| ≤ 1e-4 + 1e-5·|want| has margin while a wrong tap or channel (an error
 * of order 0.1) cannot pass. Add, resize, logistic: a few roundings, 1e-6.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "naive.h"
#include "op_cases.h"
#include "test.h"

/* |got − want| ≤ atol + rtol·|want| everywhere, NaN only where want is NaN.
 * Reports the first mismatch and the count. */
static bool s_close(const char *what, const float *got, const float *want, size_t n, double atol,
                    double rtol)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = isnan(want[i]) ? isnan(got[i])
                                 : fabs((double)got[i] - want[i]) <= atol + rtol * fabs(want[i]);
        if (!ok && bad++ == 0)
            first = i;
    }
    if (bad)
        dn_test_fail(__FILE__, __LINE__, "%s: %zu of %zu differ, first at %zu: %.9g vs %.9g", what,
                     bad, n, first, got[first], want[first]);
    return bad == 0;
}

static float *s_rand(size_t n, unsigned seed)
{
    float *x = malloc((n ? n : 1) * sizeof(float));
    naive_fill(x, n, seed, -1.0f, 1.0f);
    return x;
}

static void s_window_case(int op, const struct op_window_case *k, int seed)
{
    struct dn_nn_window g = op_window(k);
    size_t nin = (size_t)g.n * g.h * g.w * g.c, nout = (size_t)g.n * g.oh * g.ow * g.oc;
    size_t nw = op == DN_NN_OP_CONV_2D ? (size_t)g.oc * g.kh * g.kw * g.c : (size_t)g.kh * g.kw * g.oc;
    float *x = s_rand(nin, seed), *w = s_rand(nw, seed + 1), *b = s_rand(g.oc, seed + 2);
    float *hwio = malloc(nw * sizeof(float)), *got = malloc(nout * sizeof(float));
    float *want = malloc(nout * sizeof(float));
    const float *bias = k->bias ? b : NULL;
    if (op == DN_NN_OP_CONV_2D) {
        naive_ohwi_to_hwio(hwio, w, g.oc, g.kh, g.kw, g.c);
        dn_conv2d_ref(got, x, hwio, bias, &g);
        naive_conv2d(want, x, w, bias, &g);
        s_close(k->what, got, want, nout, 1e-4, 1e-5);
    } else if (op == DN_NN_OP_DEPTHWISE_CONV_2D) {
        dn_depthwise_conv2d_ref(got, x, w, bias, &g);
        naive_depthwise_conv2d(want, x, w, bias, &g);
        s_close(k->what, got, want, nout, 1e-5, 1e-5);
    } else {
        dn_max_pool2d_ref(got, x, &g);
        naive_max_pool2d(want, x, &g);
        s_close(k->what, got, want, nout, 0, 0);
    }
    free(x), free(w), free(b), free(hwio), free(got), free(want);
}

DN_TEST(conv2d_matches_definition)
{
    for (int i = 0; i < OP_N_CASES(g_conv_cases); i++)
        s_window_case(DN_NN_OP_CONV_2D, &g_conv_cases[i], 10 * i);
}

DN_TEST(depthwise_conv2d_matches_definition)
{
    for (int i = 0; i < OP_N_CASES(g_dw_cases); i++)
        s_window_case(DN_NN_OP_DEPTHWISE_CONV_2D, &g_dw_cases[i], 10 * i);
}

DN_TEST(max_pool2d_matches_definition)
{
    for (int i = 0; i < OP_N_CASES(g_pool_cases); i++)
        s_window_case(DN_NN_OP_MAX_POOL_2D, &g_pool_cases[i], 10 * i);
}

/* Outputs of a window with no tap inside: bias only (conv), −FLT_MAX (pool). */
DN_TEST(window_outside_input)
{
    struct dn_nn_window g = {.n = 1, .h = 1, .w = 1, .c = 2, .oh = 3, .ow = 3, .oc = 2, .kh = 1,
                             .kw = 1, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
                             .pad_top = 1, .pad_left = 1, .depth_mult = 1};
    float x[2] = {5, -7}, w[4] = {1, 0, 0, 1}, b[2] = {0.5f, -0.25f}, out[18];
    dn_conv2d_ref(out, x, w, b, &g);
    DN_EXPECT(out[0] == 0.5f && out[1] == -0.25f && out[8] == 5.5f && out[9] == -7.25f);
    dn_max_pool2d_ref(out, x, &g);
    DN_EXPECT(out[0] == -FLT_MAX && out[8] == 5 && out[9] == -7);
}

DN_TEST(add_and_activations)
{
    const size_t n = 1031; /* not a multiple of any vector width */
    float *a = s_rand(n, 1), *b = s_rand(n, 2), got[1031], want[1031];
    for (size_t i = 0; i < n; i++)
        a[i] *= 8; /* reach above 6 and below 0 */
    const int acts[] = {DN_NN_ACT_NONE, DN_NN_ACT_RELU, DN_NN_ACT_RELU6};
    for (int k = 0; k < 3; k++) {
        dn_add_ref(got, a, b, n, acts[k]);
        naive_add(want, a, b, n, acts[k]);
        s_close("add", got, want, n, 0, 0);
    }
    /* TFLite clamps with std::max/min, which let NaN through; so must we. */
    a[3] = NAN;
    dn_add_ref(got, a, b, n, DN_NN_ACT_RELU6);
    DN_EXPECT(isnan(got[3]));
    free(a), free(b);
}

DN_TEST(concat_rows)
{
    float *x0 = s_rand(4 * 5, 1), *x1 = s_rand(4 * 7, 2), *x2 = s_rand(4 * 1, 3);
    const float *in[3] = {x0, x1, x2};
    size_t inner[3] = {5, 7, 1};
    float got[52], want[52];
    for (int act = 0; act <= 1; act++) {
        dn_concat_ref(got, in, inner, 3, 4, act);
        naive_concat(want, in, inner, 3, 4, act);
        s_close("concat", got, want, 52, 0, 0);
    }
    free(x0), free(x1), free(x2);
}

DN_TEST(depth_to_space_dcr)
{
    const int n = 2, h = 3, w = 4, c = 12, b = 2;
    size_t count = (size_t)n * h * w * c;
    float *x = s_rand(count, 4), *got = malloc(count * sizeof(float)), *want = malloc(count * sizeof(float));
    dn_depth_to_space_ref(got, x, n, h, w, c, b);
    naive_depth_to_space(want, x, n, h, w, c, b);
    s_close("depth_to_space", got, want, count, 0, 0);
    /* Spot check of the DCR formula: out[0, 1, 1, k] = in[0, 0, 0, (1·2+1)·3 + k]. */
    DN_EXPECT(got[((size_t)1 * w * b + 1) * (c / 4) + 2] == x[(1 * 2 + 1) * 3 + 2]);
    free(x), free(got), free(want);
}

DN_TEST(logistic_range)
{
    float x[9] = {-100, -20, -1, -1e-3f, 0, 1e-3f, 1, 20, 100}, got[9], want[9];
    dn_logistic_ref(got, x, 9);
    naive_logistic(want, x, 9);
    s_close("logistic", got, want, 9, 1e-7, 1e-6);
    DN_EXPECT(got[4] == 0.5f && got[8] == 1.0f && got[0] >= 0);
}

DN_TEST(pad_spatial_and_channels)
{
    const int n = 2, h = 3, w = 4, c = 5, pads[6] = {1, 2, 0, 3, 1, 1};
    size_t nout = (size_t)n * (h + 3) * (w + 3) * (c + 2);
    float *x = s_rand((size_t)n * h * w * c, 5);
    float *got = malloc(nout * sizeof(float)), *want = malloc(nout * sizeof(float));
    dn_pad_ref(got, x, n, h, w, c, pads);
    naive_pad(want, x, n, h, w, c, pads);
    s_close("pad", got, want, nout, 0, 0);
    const int spatial[6] = {1, 1, 1, 1, 0, 0}; /* the networks' case: one memcpy per row */
    nout = (size_t)n * (h + 2) * (w + 2) * c;
    dn_pad_ref(got, x, n, h, w, c, spatial);
    naive_pad(want, x, n, h, w, c, spatial);
    s_close("pad (spatial)", got, want, nout, 0, 0);
    free(x), free(got), free(want);
}

DN_TEST(resize_bilinear_modes)
{
    for (int i = 0; i < OP_N_CASES(g_resize_cases); i++) {
        const struct op_resize_case *k = &g_resize_cases[i];
        size_t nout = (size_t)k->n * k->oh * k->ow * k->c;
        float *x = s_rand((size_t)k->n * k->h * k->w * k->c, 6 + i);
        float *got = malloc(nout * sizeof(float)), *want = malloc(nout * sizeof(float));
        dn_resize_bilinear_ref(got, x, k->n, k->h, k->w, k->c, k->oh, k->ow, k->align, k->half);
        naive_resize_bilinear(want, x, k->n, k->h, k->w, k->c, k->oh, k->ow, k->align, k->half);
        s_close("resize_bilinear", got, want, nout, 1e-6, 1e-6);
        free(x), free(got), free(want);
    }
}

/* FORMAT.md's worked border case: half-pixel 2x upsampling of [a, b] gives
 * [a, 0.75a + 0.25b, 0.25a + 0.75b, b] (fy = −0.25 at the top: weights sum to 1). */
DN_TEST(resize_bilinear_border_weights)
{
    float x[2] = {1, 5}, got[4];
    dn_resize_bilinear_ref(got, x, 1, 1, 2, 1, 1, 4, 0, 1);
    DN_EXPECT_NEAR(got[0], 1, 1e-6);
    DN_EXPECT_NEAR(got[1], 2, 1e-6);
    DN_EXPECT_NEAR(got[2], 4, 1e-6);
    DN_EXPECT_NEAR(got[3], 5, 1e-6);
}
