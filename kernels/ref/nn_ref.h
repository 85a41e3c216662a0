/* nn_ref.h — helpers shared by the network reference kernels (kernels/ref/). */
#ifndef DANCER_KERNELS_NN_REF_H
#define DANCER_KERNELS_NN_REF_H

#include <math.h>

#include "dancer/nn.h"

/* OpenMP only when built with it; a bare `#pragma omp` would trip
 * -Wunknown-pragmas (and -Werror) in a build without. */
#ifdef _OPENMP
#define DN_OMP(x) _Pragma(#x)
#else
#define DN_OMP(x)
#endif

/* The hot loops are compiled twice on x86-64: for AVX2+FMA (x86-64-v3,
 * every server CPU since 2013) and for the baseline, picked at load time by
 * the dynamic linker (GCC/clang function multi-versioning). The source stays
 * plain C that the compiler vectorises; the binary stays portable. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(DN_NO_CLONES)
#define DN_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define DN_HOT
#endif

/* Eight floats as one value (GCC/clang vector extension): the register
 * tiles of the hot loops are written with it so the accumulators stay in
 * registers — GCC does not scalar-replace a float acc[6][16] array. On
 * AVX2 it is one ymm register; the baseline clone splits it in two xmm. */
typedef float dn_v8 __attribute__((vector_size(32)));
typedef int dn_v8i __attribute__((vector_size(32)));

/* Lane-wise max(v, lo), min(v, hi) and the fused-activation clamp, letting
 * NaN through like dn_clamp (a compare mask and a blend: C has no vector
 * ?:). Macros, so they expand inside the AVX2 clone; pass plain variables. */
#define DN_V8_MAX(v, lo) ((dn_v8)(((dn_v8i)(lo) & ((v) < (lo))) | ((dn_v8i)(v) & ~((v) < (lo)))))
#define DN_V8_MIN(v, hi) ((dn_v8)(((dn_v8i)(hi) & ((v) > (hi))) | ((dn_v8i)(v) & ~((v) > (hi)))))
#define DN_V8_CLAMP(v, lo, hi) DN_V8_MIN(DN_V8_MAX(v, lo), hi)

/* Unaligned, aliasing 8-float view: loads and stores through it are plain
 * vmovups. Macros rather than functions returning vectors, which clang
 * rejects in the baseline clone (a 32-byte vector return without AVX).
 * For the same reason broadcast by writing scalar * vector in the hot
 * function itself (one vbroadcastss): a helper returning {x, x, ...} is
 * vector-lowered for the baseline target before it is inlined into the
 * AVX2 clone, and then builds the vector lane by lane. */
typedef float dn_v8u __attribute__((vector_size(32), aligned(4), may_alias));
#define DN_V8_LOAD(p) ((dn_v8)*(const dn_v8u *)(p))
#define DN_V8_STORE(p, v) (*(dn_v8u *)(p) = (v))

/* Sum of the 8 lanes, pairwise. */
#define DN_V8_SUM(v) ((((v)[0] + (v)[4]) + ((v)[1] + (v)[5])) + (((v)[2] + (v)[6]) + ((v)[3] + (v)[7])))

/* Clamp bounds of a fused activation. */
static inline void dn_act_bounds(int act, float *lo, float *hi)
{
    *lo = act == DN_NN_ACT_NONE ? -INFINITY : 0.0f;
    *hi = act == DN_NN_ACT_RELU6 ? 6.0f : INFINITY;
}

/* min(max(v, lo), hi) that lets NaN through, as TFLite's
 * ActivationFunctionWithMinMax (std::max/std::min) does; fmaxf would not. */
static inline float dn_clamp(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

#endif
