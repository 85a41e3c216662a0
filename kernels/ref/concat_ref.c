/* concat_ref.c — CONCATENATION along any axis but the batch.
 * Input k is (outer, inner[k]), out is (outer, Σ inner[k]): row o of the
 * output is row o of input 0, then row o of input 1, ... For the detector's
 * heads (axis 1 of (N, anchors, 12)) outer = N and a row is a whole item. */
#include <string.h>

#include "dancer/nn_kernels.h"
#include "nn_ref.h"

void dn_concat_ref(float *out, const float *const *inputs, const size_t *inner, int n_inputs,
                   size_t outer, int act)
{
    size_t row = 0;
    for (int k = 0; k < n_inputs; k++)
        row += inner[k];
    float lo, hi;
    dn_act_bounds(act, &lo, &hi);
    DN_OMP(omp parallel for if (outer * row > (1 << 16)))
    for (size_t o = 0; o < outer; o++) {
        float *dst = out + o * row;
        for (int k = 0; k < n_inputs; k++) {
            const float *src = inputs[k] + o * inner[k];
            if (act == DN_NN_ACT_NONE) {
                memcpy(dst, src, inner[k] * sizeof(float));
            } else {
                for (size_t i = 0; i < inner[k]; i++)
                    dst[i] = dn_clamp(src[i], lo, hi);
            }
            dst += inner[k];
        }
    }
}
