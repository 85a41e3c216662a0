/* resize_bilinear_ref.c — RESIZE_BILINEAR as TFLite's reference_ops::ResizeBilinear.
 * inp is (n,h,w,c), out is (n,oh,ow,c). Per output row oy (columns alike),
 * in float32 as TFLite computes it (models/FORMAT.md):
 *   scale = align_corners && oh > 1 ? (h-1)/(oh-1) : h/oh
 *   fy = half_pixel_centers ? (oy+0.5)·scale − 0.5 : oy·scale
 *   y0 = max(floor(fy), 0), y1 = min(ceil(fy), h−1), dy = fy − y0
 * and out = Σ of the four corners weighted by (1−dy|dy)(1−dx|dx), in
 * TFLite's term order so the rounding matches. */
#include <math.h>

#include "dancer/nn_kernels.h"
#include "nn_ref.h"

/* Source coordinate of output index i along an axis of `in` → `out` samples. */
static void s_axis(int i, int in, int out, int align, int half, int *lo, int *hi, float *frac)
{
    float scale = align && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    float f = half ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
    int f0 = (int)floorf(f), f1 = (int)ceilf(f);
    *lo = f0 > 0 ? f0 : 0;
    *hi = f1 < in - 1 ? f1 : in - 1;
    *frac = f - (float)*lo;
}

DN_HOT void dn_resize_bilinear_ref(float *out, const float *inp, int n, int h, int w, int c,
                                   int oh, int ow, int align_corners, int half_pixel_centers)
{
    DN_OMP(omp parallel for collapse(2) if ((size_t)n * oh * ow * c > (1 << 16)))
    for (int in = 0; in < n; in++)
        for (int oy = 0; oy < oh; oy++) {
            int y0, y1;
            float dy;
            s_axis(oy, h, oh, align_corners, half_pixel_centers, &y0, &y1, &dy);
            const float *r0 = inp + ((size_t)in * h + y0) * w * c;
            const float *r1 = inp + ((size_t)in * h + y1) * w * c;
            for (int ox = 0; ox < ow; ox++) {
                int x0, x1;
                float dx;
                s_axis(ox, w, ow, align_corners, half_pixel_centers, &x0, &x1, &dx);
                const float *a = r0 + (size_t)x0 * c, *b = r1 + (size_t)x0 * c;
                const float *p = r0 + (size_t)x1 * c, *q = r1 + (size_t)x1 * c;
                float *o = out + (((size_t)in * oh + oy) * ow + ox) * c;
                for (int k = 0; k < c; k++)
                    o[k] = a[k] * (1 - dy) * (1 - dx) + b[k] * dy * (1 - dx) +
                           p[k] * (1 - dy) * dx + q[k] * dy * dx;
            }
        }
}
