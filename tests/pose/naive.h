/* naive.h — the network ops written straight from models/FORMAT.md: one
 * loop per index of the definition, weights in the file's own layouts (conv
 * OHWI), double accumulation. Slow and obviously right; the tests check the
 * reference kernels (kernels/ref/, tiled and vectorised) against these. */
#ifndef DANCER_TESTS_NAIVE_H
#define DANCER_TESTS_NAIVE_H

#include <stddef.h>

#include "dancer/nn_kernels.h"

/* weight_ohwi is (oc, kh, kw, c), as stored in a .dnm file. */
void naive_conv2d(float *out, const float *inp, const float *weight_ohwi, const float *bias,
                  const struct dn_nn_window *g);
/* weight is (kh, kw, oc). */
void naive_depthwise_conv2d(float *out, const float *inp, const float *weight, const float *bias,
                            const struct dn_nn_window *g);
void naive_max_pool2d(float *out, const float *inp, const struct dn_nn_window *g);
void naive_add(float *out, const float *a, const float *b, size_t count, int act);
void naive_concat(float *out, const float *const *inputs, const size_t *inner, int n_inputs,
                  size_t outer, int act);
void naive_depth_to_space(float *out, const float *inp, int n, int h, int w, int c, int block);
void naive_logistic(float *out, const float *inp, size_t count);
void naive_pad(float *out, const float *inp, int n, int h, int w, int c, const int pads[6]);
void naive_resize_bilinear(float *out, const float *inp, int n, int h, int w, int c, int oh,
                           int ow, int align_corners, int half_pixel_centers);

/* OHWI (oc, kh, kw, c) → HWIO (kh, kw, c, oc), the kernels' conv layout. */
void naive_ohwi_to_hwio(float *hwio, const float *ohwi, int oc, int kh, int kw, int c);

/* Deterministic uniform floats in [lo, hi) (xorshift, seeded). */
void naive_fill(float *x, size_t n, unsigned seed, float lo, float hi);

#endif
