/* add_ref.c — ADD, the residual connections.
 * a, b, out are (count) floats (any shape, same for all three):
 * out[i] = act(a[i] + b[i]). */
#include "dancer/nn_kernels.h"
#include "nn_ref.h"

DN_HOT void dn_add_ref(float *out, const float *a, const float *b, size_t count, int act)
{
    float lo, hi;
    dn_act_bounds(act, &lo, &hi);
    DN_OMP(omp parallel for simd if (count > (1 << 16)))
    for (size_t i = 0; i < count; i++)
        out[i] = dn_clamp(a[i] + b[i], lo, hi);
}
