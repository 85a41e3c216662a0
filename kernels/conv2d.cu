/* conv2d.cu — CONV_2D as an implicit GEMM (twin: ref/conv2d_ref.c).
 * inp is (n,h,w,c), weight is (kh,kw,c,oc) (HWIO), bias is (oc) or NULL,
 * out is (n,oh,ow,oc):
 *   out[n,oy,ox,o] = act(bias[o] + Σ_{ky,kx,k} inp[n,iy,ix,k] · weight[ky,kx,k,o])
 *
 * Seen as a GEMM: row m = output pixel (n, oy, ox) of M = n·oh·ow, column
 * = output channel of N = oc, inner index q = (ky, kx, k) of K = kh·kw·c.
 * HWIO weights are exactly the (K, N) matrix, row-major; the (M, K) matrix
 * is never built: a tile load computes (iy, ix) from (m, q) and reads 0 for
 * padded taps. For a 1×1 stride-1 unpadded conv (90 % of the pose
 * networks' MACs) A is the input itself, (M, c) row-major, and the index
 * arithmetic is skipped (template flag PW).
 *
 * Tiling: a block computes a BM×BN output tile, staging BK-deep slices of
 * A and B in shared memory; each thread accumulates TM×TN outputs in
 * registers. Threads own rows ty + i·(BM/TM) and columns tx + j·(BN/TN),
 * so shared-memory reads of a warp hit distinct banks (or broadcast) and
 * the epilogue's stores are coalesced along oc. Tile loads are coalesced:
 * consecutive threads read consecutive k of one input pixel (NHWC) and
 * consecutive output channels of one weight row. Bias and activation are
 * fused into the epilogue. Three shapes: 64×64 for wide layers, 128×16 for
 * narrow heads (oc ≤ 16), 256×4 for 1–4 channel heads (segmentation), so a
 * 1-channel conv does not pay for 64 columns. fp32 throughout (no TF32:
 * the parity bounds against TFLite are float32 ones). */
#include "nn_gpu.h"

#define S_BK 16

/* A[m][q] of the implicit GEMM (0 outside the input). */
template <bool PW>
__device__ static inline float s_load_a(const float *inp, const struct dn_nn_window &g, int m,
                                        int q, int M, int K)
{
    if (m >= M || q >= K)
        return 0.0f;
    if (PW)
        return inp[(size_t)m * g.c + q];
    int k = q % g.c, t = q / g.c, kx = t % g.kw, ky = t / g.kw;
    int ox = m % g.ow, oy = m / g.ow % g.oh, n = m / g.ow / g.oh;
    int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
    int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
    if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w)
        return 0.0f;
    return inp[(((size_t)n * g.h + iy) * g.w + ix) * g.c + k];
}

template <int BM, int BN, int TM, int TN, bool PW>
__global__ static void __launch_bounds__((BM / TM) * (BN / TN))
s_conv2d_kernel(float *out, const float *__restrict__ inp, const float *__restrict__ weight,
                const float *__restrict__ bias, struct dn_nn_window g, int M, int K, float lo,
                float hi)
{
    constexpr int NT = (BM / TM) * (BN / TN), RS = BM / TM, CS = BN / TN;
    __shared__ float As[S_BK][BM + 1]; /* +1: the transposing stores hit distinct banks */
    __shared__ float Bs[S_BK][BN];
    const int tid = threadIdx.x, tx = tid % CS, ty = tid / CS;
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    float acc[TM][TN];
#pragma unroll
    for (int j = 0; j < TN; j++) {
        int n = n0 + tx + j * CS;
        float b = bias && n < g.oc ? bias[n] : 0.0f;
#pragma unroll
        for (int i = 0; i < TM; i++)
            acc[i][j] = b;
    }
    for (int q0 = 0; q0 < K; q0 += S_BK) {
        for (int e = tid; e < BM * S_BK; e += NT)
            As[e % S_BK][e / S_BK] = s_load_a<PW>(inp, g, m0 + e / S_BK, q0 + e % S_BK, M, K);
        for (int e = tid; e < S_BK * BN; e += NT) {
            int q = q0 + e / BN, n = n0 + e % BN;
            Bs[e / BN][e % BN] = q < K && n < g.oc ? weight[(size_t)q * g.oc + n] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < S_BK; kk++) {
            float a[TM], b[TN];
#pragma unroll
            for (int i = 0; i < TM; i++)
                a[i] = As[kk][ty + i * RS];
#pragma unroll
            for (int j = 0; j < TN; j++)
                b[j] = Bs[kk][tx + j * CS];
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++)
                    acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; i++) {
        int m = m0 + ty + i * RS;
#pragma unroll
        for (int j = 0; j < TN; j++) {
            int n = n0 + tx + j * CS;
            if (m < M && n < g.oc)
                out[(size_t)m * g.oc + n] = dn_nn_clamp(acc[i][j], lo, hi);
        }
    }
}

template <int BM, int BN, int TM, int TN>
static void s_launch(float *out, const float *inp, const float *weight, const float *bias,
                     const struct dn_nn_window &g, bool pw, float lo, float hi, cudaStream_t s)
{
    const int M = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c;
    dim3 grid((M + BM - 1) / BM, (g.oc + BN - 1) / BN), block((BM / TM) * (BN / TN));
    if (pw)
        s_conv2d_kernel<BM, BN, TM, TN, true><<<grid, block, 0, s>>>(out, inp, weight, bias, g, M, K, lo, hi);
    else
        s_conv2d_kernel<BM, BN, TM, TN, false><<<grid, block, 0, s>>>(out, inp, weight, bias, g, M, K, lo, hi);
}

extern "C" int dn_conv2d_gpu(float *out, const float *inp, const float *weight, const float *bias,
                             const struct dn_nn_window *g, struct dn_stream *stream,
                             struct dn_err *err)
{
    float lo, hi;
    cudaStream_t s = (cudaStream_t)stream;
    bool pw = g->kh == 1 && g->kw == 1 && g->stride_h == 1 && g->stride_w == 1 &&
              g->pad_top == 0 && g->pad_left == 0 && g->oh == g->h && g->ow == g->w;
    dn_nn_act_bounds(g->act, &lo, &hi);
    if (g->oc <= 4)
        s_launch<256, 4, 4, 1>(out, inp, weight, bias, *g, pw, lo, hi, s);
    else if (g->oc <= 16)
        s_launch<128, 16, 4, 2>(out, inp, weight, bias, *g, pw, lo, hi, s);
    else
        s_launch<64, 64, 4, 4>(out, inp, weight, bias, *g, pw, lo, hi, s);
    return DN_CUDA_CHECK_LAUNCH(err);
}
