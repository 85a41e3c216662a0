/*
 * pose_lm_px.h — per-landmark decoding of the landmark network's outputs,
 * shared by the C reference (kernels/ref/pose_lm_decode_ref.c) and the CUDA
 * kernel (kernels/pose_lm_decode.cu). Semantics: MediaPipe's
 * TensorsToLandmarksCalculator (tensors_to_landmarks_calculator.cc) and
 * RefineLandmarksFromHeatmap (refine_landmarks_from_heatmap_calculator.cc),
 * quirks included: the window centre is the truncated (not floored) heatmap
 * cell, and the refined coordinate is the weighted mean cell index over the
 * heatmap size — cell i counts as i/hm, not (i + ½)/hm.
 */
#ifndef DANCER_POSE_LM_PX_H
#define DANCER_POSE_LM_PX_H

#include <math.h>

#include "dancer/pose_kernels.h"

#ifdef __CUDACC__
#define DN_LM_HD __host__ __device__ static inline
#else
#define DN_LM_HD static inline
#endif

DN_LM_HD float dn_lm_sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

/* Landmark k of item b: reads raw[b] and heatmap[b], writes out[b][k][0..4]. */
DN_LM_HD void dn_lm_decode_one(float *out, const float *raw, const float *heatmap,
                               const struct dn_pose_lm_decode *p, int b, int k)
{
    const float *r = raw + (size_t)b * (size_t)(p->n_lm * 5) + (size_t)k * 5;
    float *o = out + (size_t)b * (size_t)(p->n_lm * 5) + (size_t)k * 5;
    float inv = 1.0f / (float)p->input_size;
    float x = r[0] * inv, y = r[1] * inv;
    o[2] = r[2] * inv; /* normalize_z = 1 (TensorsToLandmarksCalculatorOptions default) */
    o[3] = dn_lm_sigmoid(r[3]);
    o[4] = dn_lm_sigmoid(r[4]);
    int hm = p->hm;
    int col = (int)(x * (float)hm), row = (int)(y * (float)hm); /* C++ int conversion truncates */
    if (col >= 0 && col < hm && row >= 0 && row < hm) {
        const float *h = heatmap + (size_t)b * (size_t)hm * (size_t)hm * (size_t)p->n_lm;
        int off = (p->kernel - 1) / 2;
        int c0 = col - off < 0 ? 0 : col - off, c1 = col + off + 1 > hm ? hm : col + off + 1;
        int r0 = row - off < 0 ? 0 : row - off, r1 = row + off + 1 > hm ? hm : row + off + 1;
        float sum = 0.0f, wc = 0.0f, wr = 0.0f, peak = 0.0f;
        for (int i = r0; i < r1; i++) {
            for (int j = c0; j < c1; j++) {
                float conf = dn_lm_sigmoid(h[((size_t)i * (size_t)hm + (size_t)j) * (size_t)p->n_lm + (size_t)k]);
                sum += conf;
                peak = conf > peak ? conf : peak;
                wc += (float)j * conf;
                wr += (float)i * conf;
            }
        }
        if (peak >= p->min_conf && sum > 0.0f) {
            x = wc / (float)hm / sum;
            y = wr / (float)hm / sum;
        }
    }
    o[0] = x;
    o[1] = y;
}

#endif
