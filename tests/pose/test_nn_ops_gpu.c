/* test_nn_ops_gpu.c — every CUDA kernel (kernels/<op>.cu) against its C
 * twin (kernels/ref/) on the shapes of op_cases.h (label parity: skipped
 * without a usable GPU). Pass when |gpu − ref| ≤ atol + rtol·|ref|:
 *   data movement (pad, depth_to_space, concat), max pool, add: exact —
 *     the same IEEE operations (one add, compares, copies);
 *   conv: 1e-4 + 1e-5·|ref| — both sum up to 19000 float32 products of
 *     magnitude ≤ 1 but in different orders (GPU: one FMA chain per output
 *     in 16-deep slices; CPU: 32-wide chunks added to the total), which
 *     typically differ by sqrt(K)·2^-24·|terms| ≈ 1e-5;
 *   depthwise: 1e-5 — at most 25 products, FMA (GPU) vs mul+add grouping;
 *   resize: 1e-6 — FMA contraction of the 4-term blend may differ;
 *   logistic: 1e-6 relative — CUDA expf and glibc expf are both within
 *     2 ulp of exp. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/device.h"
#include "naive.h"
#include "nn_test_util.h"
#include "op_cases.h"
#include "test.h"

/* Device copy of n host floats (NULL for n == 0 or host NULL). */
static float *s_up(const float *host, size_t n)
{
    void *dev = NULL;
    struct dn_err err = {0};
    if (!host || !n)
        return NULL;
    if (dn_dev_alloc(&dev, n * sizeof(float), &err) ||
        dn_dev_upload(dev, host, n * sizeof(float), NULL, &err) || dn_stream_sync(NULL, &err))
        dn_test_fail(__FILE__, __LINE__, "upload: %s", err.msg);
    return dev;
}

static float *s_dev(size_t n)
{
    void *dev = NULL;
    struct dn_err err = {0};
    if (dn_dev_alloc(&dev, n * sizeof(float), &err) || dn_dev_memset(dev, 0xff, n * sizeof(float), NULL, &err))
        dn_test_fail(__FILE__, __LINE__, "alloc: %s", err.msg);
    return dev; /* NaN-filled: an element the kernel forgets shows up */
}

/* Downloads n floats of dev and compares them with want; frees dev. */
static void s_compare(const char *what, float *dev, const float *want, size_t n, double atol,
                      double rtol, bool relative_only)
{
    struct dn_err err = {0};
    float *got = malloc(n * sizeof(float));
    size_t bad = 0, first = 0;
    if (dn_dev_download(got, dev, n * sizeof(float), NULL, &err) || dn_stream_sync(NULL, &err)) {
        dn_test_fail(__FILE__, __LINE__, "%s: download: %s", what, err.msg);
        n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]), lim = atol + rtol * fabs(want[i]);
        bool ok = isnan(want[i]) ? isnan(got[i]) : (relative_only ? d <= rtol * fabs(want[i]) + 1e-30 : d <= lim);
        if (!ok && bad++ == 0)
            first = i;
    }
    if (bad)
        dn_test_fail(__FILE__, __LINE__, "%s: %zu of %zu differ, first at %zu: gpu %.9g ref %.9g",
                     what, bad, n, first, got[first], want[first]);
    free(got);
    dn_dev_free((void **)&dev);
}

static float *s_rand(size_t n, unsigned seed)
{
    float *x = malloc((n ? n : 1) * sizeof(float));
    naive_fill(x, n, seed, -1.0f, 1.0f);
    return x;
}

static void s_window_case(int op, const struct op_window_case *k, unsigned seed)
{
    struct dn_err err = {0};
    struct dn_nn_window g = op_window(k);
    size_t nin = (size_t)g.n * g.h * g.w * g.c, nout = (size_t)g.n * g.oh * g.ow * g.oc;
    size_t nw = op == DN_NN_OP_CONV_2D ? (size_t)g.kh * g.kw * g.c * g.oc : (size_t)g.kh * g.kw * g.oc;
    float *x = s_rand(nin, seed), *w = s_rand(nw, seed + 1), *b = s_rand(g.oc, seed + 2);
    float *want = malloc(nout * sizeof(float));
    float *dx = s_up(x, nin), *dw = s_up(w, nw), *db = k->bias ? s_up(b, g.oc) : NULL, *dy = s_dev(nout);
    const float *bias = k->bias ? b : NULL;
    int rc;
    if (op == DN_NN_OP_CONV_2D) {
        dn_conv2d_ref(want, x, w, bias, &g);
        rc = dn_conv2d_gpu(dy, dx, dw, db, &g, NULL, &err);
    } else if (op == DN_NN_OP_DEPTHWISE_CONV_2D) {
        dn_depthwise_conv2d_ref(want, x, w, bias, &g);
        rc = dn_depthwise_conv2d_gpu(dy, dx, dw, db, &g, NULL, &err);
    } else {
        dn_max_pool2d_ref(want, x, &g);
        rc = dn_max_pool2d_gpu(dy, dx, &g, NULL, &err);
    }
    if (rc)
        dn_test_fail(__FILE__, __LINE__, "%s: launch: %s", k->what, err.msg);
    double atol = op == DN_NN_OP_CONV_2D ? 1e-4 : op == DN_NN_OP_DEPTHWISE_CONV_2D ? 1e-5 : 0;
    s_compare(k->what, dy, want, nout, atol, op == DN_NN_OP_CONV_2D ? 1e-5 : 0, false);
    dn_dev_free((void **)&dx), dn_dev_free((void **)&dw), dn_dev_free((void **)&db);
    free(x), free(w), free(b), free(want);
}

DN_TEST(conv2d_gpu_matches_ref)
{
    NN_TEST_NEED_GPU();
    for (int i = 0; i < OP_N_CASES(g_conv_cases); i++)
        s_window_case(DN_NN_OP_CONV_2D, &g_conv_cases[i], 10 * i);
}

DN_TEST(depthwise_conv2d_gpu_matches_ref)
{
    NN_TEST_NEED_GPU();
    for (int i = 0; i < OP_N_CASES(g_dw_cases); i++)
        s_window_case(DN_NN_OP_DEPTHWISE_CONV_2D, &g_dw_cases[i], 10 * i);
}

DN_TEST(max_pool2d_gpu_matches_ref)
{
    NN_TEST_NEED_GPU();
    for (int i = 0; i < OP_N_CASES(g_pool_cases); i++)
        s_window_case(DN_NN_OP_MAX_POOL_2D, &g_pool_cases[i], 10 * i);
}

DN_TEST(elementwise_gpu_matches_ref)
{
    struct dn_err err = {0};
    NN_TEST_NEED_GPU();
    const size_t n = 100003; /* several blocks and a ragged end */
    float *a = s_rand(n, 1), *b = s_rand(n, 2), *want = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        a[i] *= 12;
    float *da = s_up(a, n), *db = s_up(b, n);
    for (int act = 0; act <= 3; act += act == 1 ? 2 : 1) {
        float *dy = s_dev(n);
        dn_add_ref(want, a, b, n, act);
        DN_EXPECT(dn_add_gpu(dy, da, db, n, act, NULL, &err) == 0);
        s_compare("add", dy, want, n, 0, 0, false);
    }
    float *dy = s_dev(n);
    dn_logistic_ref(want, a, n);
    DN_EXPECT(dn_logistic_gpu(dy, da, n, NULL, &err) == 0);
    s_compare("logistic", dy, want, n, 0, 1e-6, true);
    dn_dev_free((void **)&da), dn_dev_free((void **)&db);
    free(a), free(b), free(want);
}

DN_TEST(data_movement_gpu_matches_ref)
{
    struct dn_err err = {0};
    NN_TEST_NEED_GPU();
    const int n = 3, h = 7, w = 6, c = 12, pads[6] = {1, 2, 0, 3, 1, 1};
    size_t count = (size_t)n * h * w * c, npad = (size_t)n * (h + 3) * (w + 3) * (c + 2);
    float *x = s_rand(count, 3), *want = malloc(npad * sizeof(float)), *dx = s_up(x, count);
    float *dy = s_dev(npad);
    dn_pad_ref(want, x, n, h, w, c, pads);
    DN_EXPECT(dn_pad_gpu(dy, dx, n, h, w, c, pads, NULL, &err) == 0);
    s_compare("pad", dy, want, npad, 0, 0, false);
    dy = s_dev(count);
    dn_depth_to_space_ref(want, x, n, h, w, c, 2);
    DN_EXPECT(dn_depth_to_space_gpu(dy, dx, n, h, w, c, 2, NULL, &err) == 0);
    s_compare("depth_to_space", dy, want, count, 0, 0, false);
    /* concat: x seen as (n·h, w·c) and (n·h, 5) pieces of itself */
    size_t inner[3] = {(size_t)w * c, 5, 1}, outer = (size_t)n * h, row = inner[0] + 6;
    const float *hin[3] = {x, x + 7, x + 1}, *din[3] = {dx, dx + 7, dx + 1};
    dy = s_dev(outer * row);
    dn_concat_ref(want, hin, inner, 3, outer, DN_NN_ACT_RELU);
    DN_EXPECT(dn_concat_gpu(dy, din, inner, 3, outer, DN_NN_ACT_RELU, NULL, &err) == 0);
    s_compare("concat", dy, want, outer * row, 0, 0, false);
    dn_dev_free((void **)&dx);
    free(x), free(want);
}

DN_TEST(resize_bilinear_gpu_matches_ref)
{
    struct dn_err err = {0};
    NN_TEST_NEED_GPU();
    for (int i = 0; i < OP_N_CASES(g_resize_cases); i++) {
        const struct op_resize_case *k = &g_resize_cases[i];
        size_t nin = (size_t)k->n * k->h * k->w * k->c, nout = (size_t)k->n * k->oh * k->ow * k->c;
        float *x = s_rand(nin, 6 + i), *want = malloc(nout * sizeof(float));
        float *dx = s_up(x, nin), *dy = s_dev(nout);
        dn_resize_bilinear_ref(want, x, k->n, k->h, k->w, k->c, k->oh, k->ow, k->align, k->half);
        DN_EXPECT(dn_resize_bilinear_gpu(dy, dx, k->n, k->h, k->w, k->c, k->oh, k->ow, k->align,
                                         k->half, NULL, &err) == 0);
        s_compare("resize_bilinear", dy, want, nout, 1e-6, 0, false);
        dn_dev_free((void **)&dx);
        free(x), free(want);
    }
}
