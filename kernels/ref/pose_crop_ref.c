/*
 * pose_crop_ref.c — C reference twins of kernels/pose_crop.cu: fused colour
 * conversion + affine crop (the network inputs) and the colour set-up both
 * twins use. The per-pixel math lives in
 * kernels/pose_crop_px.h, shared with the CUDA kernel.
 */
#include "../pose_crop_px.h"
#include "dancer/pose_kernels.h"

/* Kr, Kb of ITU-R BT.601, BT.709 and BT.2020 (non-constant luminance). */
static const float s_kr[3] = {0.299f, 0.2126f, 0.2627f};
static const float s_kb[3] = {0.114f, 0.0722f, 0.0593f};

void dn_pose_colour_init(struct dn_pose_colour *c, int matrix, int full_range, int bits,
                         int msb_aligned)
{
    if (matrix < 0 || matrix > 2)
        matrix = DN_POSE_BT601;
    float kr = s_kr[matrix], kb = s_kb[matrix], kg = 1.0f - kr - kb;
    /* 10-bit samples in the high bits (P010) are the value times 64. */
    float unit = (float)(1 << (bits - 8)) * (msb_aligned ? 64.0f : 1.0f);
    if (full_range) {
        float max = (float)((1 << bits) - 1) * (msb_aligned ? 64.0f : 1.0f);
        c->y_off = 0.0f;
        c->y_scale = 1.0f / max;
        c->c_off = 128.0f * unit;
        c->c_scale = 1.0f / max;
    } else {
        c->y_off = 16.0f * unit;
        c->y_scale = 1.0f / (219.0f * unit);
        c->c_off = 128.0f * unit;
        c->c_scale = 1.0f / (224.0f * unit);
    }
    c->r_cr = 2.0f * (1.0f - kr);
    c->b_cb = 2.0f * (1.0f - kb);
    c->g_cb = 2.0f * kb * (1.0f - kb) / kg;
    c->g_cr = 2.0f * kr * (1.0f - kr) / kg;
}

/* jobs is (n_jobs); out of each job is (out_h, out_w, 3). */
void dn_pose_crop_ref(const struct dn_pose_crop_job *jobs, int n_jobs, int out_w, int out_h)
{
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < n_jobs; n++) {
        for (int v = 0; v < out_h; v++) {
            const struct dn_pose_crop_job *j = &jobs[n];
            float *row = j->out + (size_t)v * (size_t)out_w * 3;
            for (int u = 0; u < out_w; u++)
                dn_px_crop(j, u, v, row + (size_t)u * 3);
        }
    }
}
