/*
 * pose_crop_px.h — the per-pixel math of the pose crop, shared by the C
 * reference (kernels/ref/pose_crop_ref.c) and the CUDA kernel
 * (kernels/pose_crop.cu) so the two twins cannot drift apart in what they
 * compute; the parity test then checks indexing, launch and float rounding.
 * Plain C99 that nvcc also compiles (DN_HD marks host+device functions).
 */
#ifndef DANCER_POSE_CROP_PX_H
#define DANCER_POSE_CROP_PX_H

#include <math.h>
#include <stdint.h>

#include "dancer/pose_kernels.h"

#ifdef __CUDACC__
#define DN_HD __host__ __device__ static inline
#else
#define DN_HD static inline
#endif

/* Sample at column x of a row: 8-bit, or 16-bit little endian (the low byte
 * first on every platform we build for). `step` is the distance in samples
 * between neighbours of the same component (2 for interleaved UV). */
DN_HD float dn_px_sample(const uint8_t *row, int x, int sample_bytes, int step, int comp)
{
    int i = x * step + comp;
    if (sample_bytes == 1)
        return (float)row[i];
    return (float)(row[2 * i] | (row[2 * i + 1] << 8));
}

/* Bilinear sample of one component of a plane at (x, y) in its own pixel
 * grid, as cv::remap with INTER_LINEAR: taps at floor and floor + 1, weights
 * from the fraction; a tap outside the plane is clamped (replicate) or
 * contributes zero deviation (zero border: the caller passes `zero`, the
 * value that means black for this component). */
DN_HD float dn_px_bilinear(const uint8_t *plane, int pitch, int w, int h, float x, float y,
                           int sample_bytes, int step, int comp, int border, float zero)
{
    float fx0 = floorf(x), fy0 = floorf(y);
    float ax = x - fx0, ay = y - fy0;
    /* Far outside: avoid int overflow; every tap is outside anyway. */
    if (fx0 < -2.0f || fy0 < -2.0f || fx0 > (float)w + 1.0f || fy0 > (float)h + 1.0f) {
        if (border == DN_POSE_BORDER_ZERO)
            return zero;
        fx0 = fminf(fmaxf(fx0, -2.0f), (float)w + 1.0f);
        fy0 = fminf(fmaxf(fy0, -2.0f), (float)h + 1.0f);
    }
    int x0 = (int)fx0, y0 = (int)fy0;
    float acc = 0.0f;
    for (int j = 0; j < 2; j++) {
        for (int i = 0; i < 2; i++) {
            int xi = x0 + i, yj = y0 + j;
            float wgt = (i ? ax : 1.0f - ax) * (j ? ay : 1.0f - ay);
            float v;
            if (xi < 0 || yj < 0 || xi >= w || yj >= h) {
                if (border == DN_POSE_BORDER_ZERO) {
                    acc += wgt * zero;
                    continue;
                }
                xi = xi < 0 ? 0 : (xi >= w ? w - 1 : xi);
                yj = yj < 0 ? 0 : (yj >= h ? h - 1 : yj);
            }
            v = dn_px_sample(plane + (size_t)yj * (size_t)pitch, xi, sample_bytes, step, comp);
            acc += wgt * v;
        }
    }
    return acc;
}

DN_HD float dn_px_clamp01(float v)
{
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

/* Output pixel (u, v) of job j: writes 3 floats to out. */
DN_HD void dn_px_crop(const struct dn_pose_crop_job *j, int u, int v, float *out)
{
    const float *m = j->m;
    float x = m[0] * (float)u + m[1] * (float)v + m[2];
    float y = m[3] * (float)u + m[4] * (float)v + m[5];
    const struct dn_pose_colour *c = &j->colour;
    int cw = (j->width + 1) / 2, ch = (j->height + 1) / 2;
    float cx = 0.5f * x, cy = 0.5f * y - 0.25f;
    /* Black is normalised Y = 0 and Cb = Cr = 0, i.e. raw y_off and c_off. */
    float ys = dn_px_bilinear(j->planes[0], j->pitch[0], j->width, j->height, x, y,
                              j->sample_bytes, 1, 0, j->border, c->y_off);
    float us, vs;
    if (j->interleaved) {
        us = dn_px_bilinear(j->planes[1], j->pitch[1], cw, ch, cx, cy, j->sample_bytes, 2, 0,
                            j->border, c->c_off);
        vs = dn_px_bilinear(j->planes[1], j->pitch[1], cw, ch, cx, cy, j->sample_bytes, 2, 1,
                            j->border, c->c_off);
    } else {
        us = dn_px_bilinear(j->planes[1], j->pitch[1], cw, ch, cx, cy, j->sample_bytes, 1, 0,
                            j->border, c->c_off);
        vs = dn_px_bilinear(j->planes[2], j->pitch[2], cw, ch, cx, cy, j->sample_bytes, 1, 0,
                            j->border, c->c_off);
    }
    float yn = (ys - c->y_off) * c->y_scale;
    float cb = (us - c->c_off) * c->c_scale;
    float cr = (vs - c->c_off) * c->c_scale;
    float r = dn_px_clamp01(yn + c->r_cr * cr);
    float g = dn_px_clamp01(yn - c->g_cb * cb - c->g_cr * cr);
    float b = dn_px_clamp01(yn + c->b_cb * cb);
    out[0] = r * j->out_scale + j->out_offset;
    out[1] = g * j->out_scale + j->out_offset;
    out[2] = b * j->out_scale + j->out_offset;
}

#endif
