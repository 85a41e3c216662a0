/*
 * pose_kernels.h — the pixel work of the pose pipeline as kernel twins
 * (STYLE.md §4): a plain-C reference `dn_pose_<op>_ref` (kernels/ref/, always
 * built) and a CUDA kernel behind `dn_pose_<op>_gpu` (kernels/, CUDA builds
 * only) with the same arguments plus the stream and an error record.
 * Pointers are host memory for _ref and device memory for _gpu (including
 * the pointers stored inside a job). _gpu launchers only enqueue work on
 * `stream` (NULL = legacy default stream) and return 0, or DN_E(DN_ERR_INTERNAL)
 * when a launch fails.
 *
 * The geometry and value conventions are MediaPipe's ImageToTensorCalculator
 * (mediapipe/calculators/tensor/image_to_tensor_converter_opencv.cc): output
 * pixel (u, v), integer indices, samples the source at the point the ROI's
 * affine map gives for (u, v) itself — the rotated rectangle's corners map to
 * the tensor's corners (0,0), (W,0), (0,H) — with bilinear interpolation
 * (cv::INTER_LINEAR) and a zero (black) or replicated border. The host builds
 * that map (src/pose/pose_roi.c) and composes it with the frame's rotation
 * flag, so the kernel reads the decoder's planes as stored.
 */
#ifndef DANCER_POSE_KERNELS_H
#define DANCER_POSE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "dancer/device.h"
#include "dancer/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Border handling, as ImageToTensorCalculatorOptions.border_mode. */
enum dn_pose_border {
    DN_POSE_BORDER_ZERO = 0,      /* taps outside the picture are black */
    DN_POSE_BORDER_REPLICATE = 1, /* taps are clamped to the edge (MediaPipe's default) */
};

/* YCbCr → R'G'B' for one picture, prepared on the host from its colour
 * metadata (dn_pose_colour_init). A raw sample s (8-bit, or 16-bit little
 * endian holding a 10-bit value in its low or high bits) becomes
 * normalised luma (s − y_off)·y_scale ∈ [0,1] and chroma (s − c_off)·c_scale
 * ∈ [−½,½]; then R = Y + r_cr·Cr, G = Y − g_cb·Cb − g_cr·Cr, B = Y + b_cb·Cb. */
struct dn_pose_colour {
    float y_off, y_scale;
    float c_off, c_scale;
    float r_cr, g_cb, g_cr, b_cb;
};

/* Matrix and range choices (values of media.h's enum dn_color_matrix). */
enum { DN_POSE_BT601 = 0, DN_POSE_BT709 = 1, DN_POSE_BT2020 = 2 };

/* Fills c for a matrix (DN_POSE_BT*), range (full = JPEG 0..2^b−1, else video
 * 16..235 scaled to the bit depth), bit depth (8 or 10) and whether 10-bit
 * samples sit in the high bits of their 16-bit word (P010: value << 6). */
void dn_pose_colour_init(struct dn_pose_colour *c, int matrix, int full_range, int bits,
                         int msb_aligned);

/* One crop: a picture in stored orientation, a map from output pixels to its
 * luma pixels, and where the 3-channel result goes. 4:2:0 chroma is sited as
 * MPEG-2/H.264/HEVC's default ("left": horizontally with the even luma
 * columns, vertically between two luma rows), so luma point (x, y) reads the
 * chroma plane at (x/2, y/2 − 1/4). */
struct dn_pose_crop_job {
    const uint8_t *planes[3]; /* Y, then U and V, or one interleaved UV plane */
    int pitch[3];             /* bytes per row of each plane */
    int width, height;        /* luma px; chroma planes are (w+1)/2 × (h+1)/2 */
    int sample_bytes;         /* 1 or 2 */
    int interleaved;          /* 1: planes[1] holds U,V pairs (NV12, P010) */
    float m[6];               /* luma x = m0·u + m1·v + m2, y = m3·u + m4·v + m5 */
    struct dn_pose_colour colour;
    float out_scale, out_offset; /* value = clamp(rgb, 0, 1)·out_scale + out_offset */
    int border;               /* enum dn_pose_border */
    float *out;               /* out_h × out_w × 3 floats, RGB, row-major (one NHWC item) */
};

/* Colour conversion + affine crop, fused: for every job and every output
 * pixel, bilinear Y, Cb, Cr at the mapped point, then R'G'B', clamp, range.
 * jobs is (n_jobs); each job's out is (out_h, out_w, 3). Jobs may share a
 * picture; outputs must not overlap. */
void dn_pose_crop_ref(const struct dn_pose_crop_job *jobs, int n_jobs, int out_w, int out_h);
int dn_pose_crop_gpu(const struct dn_pose_crop_job *jobs, int n_jobs, int out_w, int out_h,
                     struct dn_stream *stream, struct dn_err *err);

/* The landmark network's outputs → normalised landmarks, as
 * TensorsToLandmarksCalculator + RefineLandmarksFromHeatmapCalculator in
 * tensors_to_pose_landmarks_and_segmentation.pbtxt: raw is (n, n_lm·5)
 * (x, y, z in input-pixel units, visibility and presence logits), heatmap is
 * (n, hm, hm, n_lm) logits; out is (n, n_lm, 5): x, y, z divided by
 * input_size, then x, y replaced by the sigmoid-weighted centroid of the
 * kernel × kernel heatmap window around them when its peak ≥ min_conf;
 * visibility and presence through a sigmoid. */
struct dn_pose_lm_decode {
    int n, n_lm;      /* batch items; landmarks per item (39) */
    int input_size;   /* 256 */
    int hm;           /* heatmap side (64) */
    int kernel;       /* window side (7) */
    float min_conf;   /* 0.5 */
};
void dn_pose_lm_decode_ref(float *out, const float *raw, const float *heatmap,
                           const struct dn_pose_lm_decode *p);
int dn_pose_lm_decode_gpu(float *out, const float *raw, const float *heatmap,
                          const struct dn_pose_lm_decode *p, struct dn_stream *stream,
                          struct dn_err *err);

#ifdef __cplusplus
}
#endif

#endif
