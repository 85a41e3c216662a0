/* logistic_ref.c — LOGISTIC (sigmoid).
 * inp, out are (count) floats: out[i] = 1 / (1 + exp(-inp[i])). */
#include <math.h>

#include "dancer/nn_kernels.h"
#include "nn_ref.h"

void dn_logistic_ref(float *out, const float *inp, size_t count)
{
    DN_OMP(omp parallel for if (count > (1 << 16)))
    for (size_t i = 0; i < count; i++)
        out[i] = 1.0f / (1.0f + expf(-inp[i]));
}
