/* depth_to_space_ref.c — DEPTH_TO_SPACE, TFLite/TensorFlow "DCR" order.
 * inp is (n,h,w,c), out is (n, h·b, w·b, c/(b·b)) with b = block:
 * out[n, y·b+i, x·b+j, k] = inp[n, y, x, (i·b+j)·(c/(b·b)) + k].
 * Every (input pixel, i) moves a contiguous run of b·c/(b·b) floats (the
 * j and k dims) to one output row, so the copy is b memcpys per pixel. */
#include <string.h>

#include "dancer/nn_kernels.h"
#include "nn_ref.h"

void dn_depth_to_space_ref(float *out, const float *inp, int n, int h, int w, int c, int block)
{
    const int b = block, oc = c / (b * b), ow = w * b;
    const size_t run = (size_t)b * oc;
    DN_OMP(omp parallel for collapse(2) if ((size_t)n * h * w * c > (1 << 16)))
    for (int in = 0; in < n; in++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const float *src = inp + (((size_t)in * h + y) * w + x) * c;
                for (int i = 0; i < b; i++) {
                    float *dst = out + (((size_t)in * h * b + y * b + i) * ow + (size_t)x * b) * oc;
                    memcpy(dst, src + i * run, run * sizeof(float));
                }
            }
}
