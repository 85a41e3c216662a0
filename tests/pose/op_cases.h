/* op_cases.h — the shapes each network op is tested on, shared by the
 * reference-vs-naive tests (test_nn_ops.c) and the GPU-vs-reference parity
 * tests (test_nn_ops_gpu.c). Each list covers the configurations of the two
 * pose networks plus the corners of the kernels' code paths (channel tails,
 * padded borders, strides, dilation, depth multiplier, tiny maps). */
#ifndef DANCER_TESTS_OP_CASES_H
#define DANCER_TESTS_OP_CASES_H

#include "dancer/nn_kernels.h"

/* A window op case: input (n,h,w,c), kernel, strides, dilation, pads
 * (top, bottom, left, right), output channels, act, bias present. */
struct op_window_case {
    const char *what;
    int n, h, w, c, oc, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, mult, act, bias;
};

static const struct op_window_case g_conv_cases[] = {
    {"1x1 pointwise, 16+16+8 tiles + 1 dot channel", 2, 5, 7, 37, 41, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, DN_NN_ACT_RELU6, 1},
    {"1x1, oc 16, c 3", 1, 4, 4, 3, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, DN_NN_ACT_NONE, 1},
    {"stem 3x3 s2 valid, oc 24", 1, 13, 13, 3, 24, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, DN_NN_ACT_RELU6, 1},
    {"seg head 3x3 same, oc 1 (dot path, padded)", 1, 9, 11, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_NONE, 1},
    {"3x3 s2, oc 3, c 5 (dot path: 4-pixel groups, k tails)", 1, 7, 21, 5, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_RELU, 1},
    {"3x3 same, oc 20 (zero-row borders)", 2, 7, 9, 12, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_RELU, 1},
    {"2x3 dilated, strides 2x1, odd pads, no bias", 1, 11, 10, 5, 9, 2, 3, 2, 1, 2, 2, 0, 1, 2, 0, 1, DN_NN_ACT_NONE, 0},
    {"landmark head 2x2 valid on 2x2, oc 195", 3, 2, 2, 288, 195, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, DN_NN_ACT_NONE, 1},
    {"c over the zero row: generic border path", 1, 3, 4, 2100, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_NONE, 1},
    {"dot slice too large: generic tail", 1, 3, 3, 1000, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_RELU6, 1},
    {"pad larger than kernel reach", 1, 3, 3, 4, 8, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1, DN_NN_ACT_NONE, 1},
    /* c·kh·kw ≥ 64 and oc ≥ 32: the 32-channel (AVX-512) tiles where available */
    {"1x1, 32+32+8 tiles", 2, 5, 9, 96, 72, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, DN_NN_ACT_RELU6, 1},
    {"3x3 same, 32+16+8 tiles, padded borders", 1, 6, 13, 24, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_RELU, 1},
};

static const struct op_window_case g_dw_cases[] = {
    {"3x3 s1 same, relu6, batch 2", 2, 9, 9, 24, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_RELU6, 1},
    {"5x5 s2 valid, channel tail 4", 1, 15, 15, 20, 20, 5, 5, 2, 2, 1, 1, 0, 0, 0, 0, 1, DN_NN_ACT_NONE, 1},
    {"3x3 s2 same pads (0,1,0,1)", 1, 16, 16, 16, 16, 3, 3, 2, 2, 1, 1, 0, 1, 0, 1, 1, DN_NN_ACT_RELU6, 1},
    {"5x5 s1 same, wide row (4-pixel steps)", 1, 6, 37, 32, 32, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1, DN_NN_ACT_RELU6, 1},
    {"depth multiplier 2, dilation 2, no bias", 1, 9, 8, 5, 10, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2, DN_NN_ACT_NONE, 0},
    {"tiny 2x2 map, 3x3 same", 1, 2, 2, 288, 288, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_RELU6, 1},
};

static const struct op_window_case g_pool_cases[] = {
    {"2x2 s2 valid", 2, 8, 8, 288, 288, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, DN_NN_ACT_NONE, 0},
    {"3x3 s2 padded, relu", 1, 7, 9, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, DN_NN_ACT_RELU, 0},
};

#define OP_N_CASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The kernel geometry of a case (output extent per FORMAT.md). */
static inline struct dn_nn_window op_window(const struct op_window_case *k)
{
    struct dn_nn_window g = {
        .n = k->n, .h = k->h, .w = k->w, .c = k->c, .oc = k->oc, .kh = k->kh, .kw = k->kw,
        .stride_h = k->sh, .stride_w = k->sw, .dil_h = k->dh, .dil_w = k->dw,
        .pad_top = k->pt, .pad_left = k->pl, .depth_mult = k->mult, .act = k->act};
    g.oh = (k->h + k->pt + k->pb - ((k->kh - 1) * k->dh + 1)) / k->sh + 1;
    g.ow = (k->w + k->pl + k->pr - ((k->kw - 1) * k->dw + 1)) / k->sw + 1;
    return g;
}

/* Resize cases: (n, h, w, c) → (oh, ow), align_corners, half_pixel_centers. */
struct op_resize_case {
    int n, h, w, c, oh, ow, align, half;
};

static const struct op_resize_case g_resize_cases[] = {
    {2, 7, 7, 48, 14, 14, 0, 1},  /* the networks: exact 2x, half-pixel centres */
    {1, 5, 3, 3, 11, 7, 1, 0},    /* align corners */
    {1, 4, 6, 5, 7, 5, 0, 0},     /* plain, non-integer scale, downsampling in w */
    {1, 1, 1, 2, 3, 3, 0, 1},     /* a single input pixel */
    {1, 3, 4, 13, 5, 9, 0, 1},    /* 13 channels: one vector and a tail */
};

#endif
