/* pad_ref.c — PAD with zeros (the explicit padding before stride-2 convs).
 * inp is (n,h,w,c); pads = {top, bottom, left, right, c_before, c_after};
 * out is (n, h+top+bottom, w+left+right, c+c_before+c_after). Built row by
 * row: a padded output row is zeros, then each input pixel's channels with
 * their channel padding. */
#include <string.h>

#include "dancer/nn_kernels.h"
#include "nn_ref.h"

void dn_pad_ref(float *out, const float *inp, int n, int h, int w, int c, const int pads[6])
{
    const int oh = h + pads[0] + pads[1], ow = w + pads[2] + pads[3];
    const int oc = c + pads[4] + pads[5];
    const size_t orow = (size_t)ow * oc;
    DN_OMP(omp parallel for collapse(2) if ((size_t)n * oh * orow > (1 << 16)))
    for (int in = 0; in < n; in++)
        for (int oy = 0; oy < oh; oy++) {
            float *dst = out + ((size_t)in * oh + oy) * orow;
            int y = oy - pads[0];
            if (y < 0 || y >= h) {
                memset(dst, 0, orow * sizeof(float));
                continue;
            }
            const float *src = inp + ((size_t)in * h + y) * w * c;
            memset(dst, 0, (size_t)pads[2] * oc * sizeof(float));
            dst += (size_t)pads[2] * oc;
            if (pads[4] == 0 && pads[5] == 0) {
                memcpy(dst, src, (size_t)w * c * sizeof(float));
                dst += (size_t)w * c;
            } else {
                for (int x = 0; x < w; x++, dst += oc) {
                    memset(dst, 0, (size_t)oc * sizeof(float));
                    memcpy(dst + pads[4], src + (size_t)x * c, (size_t)c * sizeof(float));
                }
            }
            memset(dst, 0, (size_t)pads[3] * oc * sizeof(float));
        }
}
