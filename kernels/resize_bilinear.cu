/* resize_bilinear.cu — RESIZE_BILINEAR as TFLite's reference (twin:
 * ref/resize_bilinear_ref.c, which spells out the formula). inp is
 * (n,h,w,c), out is (n,oh,ow,c); one thread per output element, channels
 * fastest, so a warp reads 4 runs of contiguous channels. Same float32
 * operations in the same order as the twin. */
#include "nn_gpu.h"

__device__ static void s_axis(int i, int in, int out, int align, int half, int *lo, int *hi,
                              float *frac)
{
    float scale = align && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    float f = half ? __fsub_rn(__fmul_rn((float)i + 0.5f, scale), 0.5f) : __fmul_rn((float)i, scale);
    int f0 = (int)floorf(f), f1 = (int)ceilf(f);
    *lo = f0 > 0 ? f0 : 0;
    *hi = f1 < in - 1 ? f1 : in - 1;
    *frac = f - (float)*lo;
}

__global__ static void s_resize_bilinear_kernel(float *out, const float *inp, int n, int h, int w,
                                                int c, int oh, int ow, int align, int half)
{
    DN_NN_GRID_STRIDE(idx, (size_t)n * oh * ow * c) {
        int k = (int)(idx % c);
        size_t q = idx / c;
        int ox = (int)(q % ow), oy = (int)(q / ow % oh), in = (int)(q / ow / oh);
        int y0, y1, x0, x1;
        float dy, dx;
        s_axis(oy, h, oh, align, half, &y0, &y1, &dy);
        s_axis(ox, w, ow, align, half, &x0, &x1, &dx);
        const float *base = inp + (size_t)in * h * w * c + k;
        float a = base[((size_t)y0 * w + x0) * c], b = base[((size_t)y1 * w + x0) * c];
        float p = base[((size_t)y0 * w + x1) * c], r = base[((size_t)y1 * w + x1) * c];
        out[idx] = a * (1 - dy) * (1 - dx) + b * dy * (1 - dx) + p * (1 - dy) * dx + r * dy * dx;
    }
}

extern "C" int dn_resize_bilinear_gpu(float *out, const float *inp, int n, int h, int w, int c,
                                      int oh, int ow, int align_corners, int half_pixel_centers,
                                      struct dn_stream *stream, struct dn_err *err)
{
    size_t total = (size_t)n * oh * ow * c;
    s_resize_bilinear_kernel<<<dn_nn_blocks(total), DN_NN_BLOCK, 0, (cudaStream_t)stream>>>(
        out, inp, n, h, w, c, oh, ow, align_corners, half_pixel_centers);
    return DN_CUDA_CHECK_LAUNCH(err);
}
