/* synth.c — see synth.h. */
#include "synth.h"

#include <stdlib.h>
#include <string.h>

#include "naive.h"

static float s_w1[8 * 3 * 3 * 4], s_b1[8], s_w2[3 * 3 * 8], s_b2[8], s_w3[3 * 2], s_b3[3];

static void s_weights(void)
{
    naive_fill(s_w1, sizeof(s_w1) / 4, 11, -0.5f, 0.5f);
    naive_fill(s_b1, 8, 12, -0.5f, 0.5f);
    naive_fill(s_w2, sizeof(s_w2) / 4, 13, -1, 1);
    naive_fill(s_b2, 8, 14, -0.5f, 0.5f);
    naive_fill(s_w3, 6, 15, -1, 1);
    naive_fill(s_b3, 3, 16, -0.5f, 0.5f);
}

static int s_act(struct dnmw *b, const char *name, int d0, int d1, int d2, int d3, int rank)
{
    int dims[4] = {d0, d1, d2, d3};
    return dnmw_tensor(b, name, rank, dims, NULL);
}

static int s_const(struct dnmw *b, const char *name, int rank, int d0, int d1, int d2, int d3,
                   const float *data)
{
    int dims[4] = {d0, d1, d2, d3};
    return dnmw_tensor(b, name, rank, dims, data);
}

/* Window options: act, stride, kernel, pads (t, b, l, r), multiplier. */
static void s_window(int *o, int act, int s, int k, int pt, int pb, int pl, int pr, int mult)
{
    memset(o, 0, 16 * sizeof(int));
    o[0] = act, o[2] = o[3] = s, o[4] = o[5] = 1, o[6] = o[7] = k;
    o[8] = pt, o[9] = pb, o[10] = pl, o[11] = pr, o[12] = mult;
}

void synth_build(struct dnmw *b)
{
    int o[16];
    s_weights();
    memset(b, 0, sizeof(*b));
    int x = s_act(b, "x", 1, 6, 6, 4, 4), xp = s_act(b, "padded", 1, 8, 8, 4, 4);
    int pad_opts[16] = {0, 0, 0, 1, 1, 1, 1, 0, 0};
    dnmw_op(b, 34, 1, &x, xp, pad_opts);
    int w1 = s_const(b, "w1", 4, 8, 3, 3, 4, s_w1), b1 = s_const(b, "b1", 1, 8, 0, 0, 0, s_b1);
    int a = s_act(b, "a", 1, 3, 3, 8, 4);
    s_window(o, 3, 2, 3, 0, 0, 0, 0, 0);
    dnmw_op(b, 3, 3, (int[]){xp, w1, b1}, a, o);
    int w2 = s_const(b, "w2", 4, 1, 3, 3, 8, s_w2), b2 = s_const(b, "b2", 1, 8, 0, 0, 0, s_b2);
    int d = s_act(b, "dw", 1, 3, 3, 8, 4), sum = s_act(b, "sum", 1, 3, 3, 8, 4);
    s_window(o, 0, 1, 3, 1, 1, 1, 1, 1);
    dnmw_op(b, 4, 3, (int[]){a, w2, b2}, d, o);
    dnmw_op(b, 0, 2, (int[]){a, d}, sum, (int[16]){1});
    int p = s_act(b, "pool", 1, 2, 2, 8, 4);
    s_window(o, 0, 1, 2, 0, 0, 0, 0, 0);
    dnmw_op(b, 17, 1, &sum, p, o);
    int r = s_act(b, "resized", 1, 4, 4, 8, 4), s = s_act(b, "d2s", 1, 8, 8, 2, 4);
    dnmw_op(b, 23, 1, &p, r, (int[16]){0, 0, 1, 4, 4});
    dnmw_op(b, 5, 1, &r, s, (int[16]){0, 2});
    int w3 = s_const(b, "w3", 4, 3, 1, 1, 2, s_w3), b3 = s_const(b, "b3", 1, 3, 0, 0, 0, s_b3);
    int c = s_act(b, "head", 1, 8, 8, 3, 4), flat = s_act(b, "flat", 1, 192, 0, 0, 2);
    s_window(o, 0, 1, 1, 0, 0, 0, 0, 0);
    dnmw_op(b, 3, 3, (int[]){s, w3, b3}, c, o);
    dnmw_op(b, 22, 1, &c, flat, NULL);
    int sig = s_act(b, "sig", 1, 3, 3, 8, 4), sflat = s_act(b, "sflat", 1, 72, 0, 0, 2);
    dnmw_op(b, 14, 1, &sum, sig, NULL);
    dnmw_op(b, 22, 1, &sig, sflat, NULL);
    int y = s_act(b, "y", 1, 264, 0, 0, 2);
    dnmw_op(b, 2, 2, (int[]){flat, sflat}, y, (int[16]){0, 1});
    b->n_inputs = 1, b->inputs[0] = x;
    b->n_outputs = 2, b->outputs[0] = y, b->outputs[1] = p;
}

static struct dn_nn_window s_geom(int h, int w, int c, int oc, int k, int s, int pad, int act)
{
    struct dn_nn_window g = {.n = 1, .h = h, .w = w, .c = c, .oc = oc, .kh = k, .kw = k,
                             .stride_h = s, .stride_w = s, .dil_h = 1, .dil_w = 1,
                             .pad_top = pad, .pad_left = pad, .depth_mult = 1, .act = act};
    g.oh = (h + 2 * pad - k) / s + 1;
    g.ow = (w + 2 * pad - k) / s + 1;
    return g;
}

void synth_expect(const float *x, int batch, float *out0, float *out1)
{
    float xp[8 * 8 * 4], a[72], d[72], sum[72], r[128], s[128], c[192], sig[72];
    s_weights();
    for (int i = 0; i < batch; i++) {
        struct dn_nn_window g;
        naive_pad(xp, x + i * SYNTH_IN, 1, 6, 6, 4, (int[6]){1, 1, 1, 1, 0, 0});
        g = s_geom(8, 8, 4, 8, 3, 2, 0, 3);
        naive_conv2d(a, xp, s_w1, s_b1, &g);
        g = s_geom(3, 3, 8, 8, 3, 1, 1, 0);
        naive_depthwise_conv2d(d, a, s_w2, s_b2, &g);
        naive_add(sum, a, d, 72, 1);
        g = s_geom(3, 3, 8, 8, 2, 1, 0, 0);
        naive_max_pool2d(out1 + i * SYNTH_OUT1, sum, &g);
        naive_resize_bilinear(r, out1 + i * SYNTH_OUT1, 1, 2, 2, 8, 4, 4, 0, 1);
        naive_depth_to_space(s, r, 1, 4, 4, 8, 2);
        g = s_geom(8, 8, 2, 3, 1, 1, 0, 0);
        naive_conv2d(c, s, s_w3, s_b3, &g);
        naive_logistic(sig, sum, 72);
        const float *parts[2] = {c, sig};
        naive_concat(out0 + i * SYNTH_OUT0, parts, (size_t[]){192, 72}, 2, 1, 0);
    }
}
