/*
 * pose_lm_decode_ref.c — C reference twin of kernels/pose_lm_decode.cu:
 * landmark tensor + heatmap → normalised, refined landmarks. The math is in
 * kernels/pose_lm_px.h, shared with the CUDA kernel.
 */
#include "../pose_lm_px.h"
#include "dancer/pose_kernels.h"

/* raw is (n, n_lm·5), heatmap is (n, hm, hm, n_lm), out is (n, n_lm, 5). */
void dn_pose_lm_decode_ref(float *out, const float *raw, const float *heatmap,
                           const struct dn_pose_lm_decode *p)
{
    for (int b = 0; b < p->n; b++)
        for (int k = 0; k < p->n_lm; k++)
            dn_lm_decode_one(out, raw, heatmap, p, b, k);
}
