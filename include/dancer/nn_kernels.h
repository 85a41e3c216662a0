/*
 * nn_kernels.h — the network ops as kernel twins (STYLE.md §4): each op has a
 * plain-C reference `dn_<op>_ref` (kernels/ref/<op>_ref.c, always built) and a
 * CUDA kernel behind `dn_<op>_gpu` (kernels/<op>.cu, CUDA builds only) with
 * the same arguments plus the stream and an error record. The semantics are
 * models/FORMAT.md's (TFLite's reference kernels); tests/pose/ checks the
 * refs against the TFLite interpreter and each GPU twin against its ref.
 *
 * All tensors are float32, dense, row-major; rank-4 ones NHWC with dim 0 the
 * batch. Pointers are host memory for _ref and device memory for _gpu; `out`
 * never overlaps an input. act is enum dn_nn_act (applied before the store).
 * _gpu launchers only enqueue work on `stream` (NULL = legacy default
 * stream) and return 0, or DN_E(DN_ERR_INTERNAL) when a launch fails.
 * _ref kernels run on OpenMP threads when built with OpenMP.
 */
#ifndef DANCER_NN_KERNELS_H
#define DANCER_NN_KERNELS_H

#include <stddef.h>

#include "dancer/device.h"
#include "dancer/err.h"
#include "dancer/nn.h"

#ifdef __cplusplus
extern "C" { /* kernels/<op>.cu are C++ */
#endif

/* Geometry of a window op (CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D).
 * Input (n, h, w, c), output (n, oh, ow, oc). Tap (ky, kx) of output pixel
 * (oy, ox) reads input row oy·stride_h − pad_top + ky·dil_h (columns alike);
 * taps outside the input contribute 0 (convs) or are skipped (pool).
 * Bottom/right padding is implied by oh/ow. */
struct dn_nn_window {
    int n, h, w, c;
    int oh, ow, oc;     /* depthwise: oc = c · depth_mult; pool: oc = c */
    int kh, kw;
    int stride_h, stride_w;
    int dil_h, dil_w;
    int pad_top, pad_left;
    int depth_mult;     /* depthwise only: output channel k reads input channel k / depth_mult */
    int act;            /* enum dn_nn_act */
};

/* CONV_2D. inp is (n,h,w,c), weight is (kh,kw,c,oc) — HWIO: the loader
 * transposes the file's OHWI once so output channels are contiguous (vector
 * lanes on the CPU, coalesced threads on the GPU) —, bias is (oc) or NULL,
 * out is (n,oh,ow,oc). */
void dn_conv2d_ref(float *out, const float *inp, const float *weight, const float *bias,
                   const struct dn_nn_window *g);
int dn_conv2d_gpu(float *out, const float *inp, const float *weight, const float *bias,
                  const struct dn_nn_window *g, struct dn_stream *stream, struct dn_err *err);

/* DEPTHWISE_CONV_2D. inp is (n,h,w,c), weight is (kh,kw,oc) (the file's
 * (1,kh,kw,oc)), bias is (oc) or NULL, out is (n,oh,ow,oc). */
void dn_depthwise_conv2d_ref(float *out, const float *inp, const float *weight,
                             const float *bias, const struct dn_nn_window *g);
int dn_depthwise_conv2d_gpu(float *out, const float *inp, const float *weight,
                            const float *bias, const struct dn_nn_window *g,
                            struct dn_stream *stream, struct dn_err *err);

/* MAX_POOL_2D. inp is (n,h,w,c), out is (n,oh,ow,c): max over in-bounds taps
 * (−FLT_MAX, then the activation, for a window with none, as TFLite). */
void dn_max_pool2d_ref(float *out, const float *inp, const struct dn_nn_window *g);
int dn_max_pool2d_gpu(float *out, const float *inp, const struct dn_nn_window *g,
                      struct dn_stream *stream, struct dn_err *err);

/* ADD. a, b and out are (count): out = act(a + b). */
void dn_add_ref(float *out, const float *a, const float *b, size_t count, int act);
int dn_add_gpu(float *out, const float *a, const float *b, size_t count, int act,
               struct dn_stream *stream, struct dn_err *err);

/* CONCATENATION, seen as 2-D: input k is (outer, inner[k]) and out is
 * (outer, Σ inner[k]), inputs side by side in order along the second dim.
 * (For axis a of shape d: outer = d0·…·d(a−1), inner[k] = dk(a)·…·d(r−1).)
 * `inputs` and `inner` are host arrays of n_inputs entries (the pointers in
 * `inputs` are device pointers for _gpu). */
void dn_concat_ref(float *out, const float *const *inputs, const size_t *inner, int n_inputs,
                   size_t outer, int act);
int dn_concat_gpu(float *out, const float *const *inputs, const size_t *inner, int n_inputs,
                  size_t outer, int act, struct dn_stream *stream, struct dn_err *err);

/* DEPTH_TO_SPACE (DCR). inp is (n,h,w,c), out is (n,h·b,w·b,c/(b·b)):
 * out[n, y·b+i, x·b+j, k] = inp[n, y, x, (i·b+j)·c/(b·b) + k]. */
void dn_depth_to_space_ref(float *out, const float *inp, int n, int h, int w, int c, int block);
int dn_depth_to_space_gpu(float *out, const float *inp, int n, int h, int w, int c, int block,
                          struct dn_stream *stream, struct dn_err *err);

/* LOGISTIC. inp and out are (count): out = 1 / (1 + exp(−inp)). */
void dn_logistic_ref(float *out, const float *inp, size_t count);
int dn_logistic_gpu(float *out, const float *inp, size_t count, struct dn_stream *stream,
                    struct dn_err *err);

/* PAD with zeros. inp is (n,h,w,c); pads = {top, bottom, left, right,
 * channel_before, channel_after}; out is (n, h+top+bottom, w+left+right,
 * c+channel_before+channel_after). */
void dn_pad_ref(float *out, const float *inp, int n, int h, int w, int c, const int pads[6]);
int dn_pad_gpu(float *out, const float *inp, int n, int h, int w, int c, const int pads[6],
               struct dn_stream *stream, struct dn_err *err);

/* RESIZE_BILINEAR, TFLite's reference_ops::ResizeBilinear (FORMAT.md).
 * inp is (n,h,w,c), out is (n,oh,ow,c); align_corners, half_pixel_centers
 * are 0/1. */
void dn_resize_bilinear_ref(float *out, const float *inp, int n, int h, int w, int c, int oh,
                            int ow, int align_corners, int half_pixel_centers);
int dn_resize_bilinear_gpu(float *out, const float *inp, int n, int h, int w, int c, int oh,
                           int ow, int align_corners, int half_pixel_centers,
                           struct dn_stream *stream, struct dn_err *err);

#ifdef __cplusplus
}
#endif

#endif
