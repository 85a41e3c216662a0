/*
 * gait_math.h — per-element and per-series math shared by the gait kernels'
 * C twins and CUDA launchers (see gait_kernels.h). The twins differ only in
 * how they map work to threads; keeping the arithmetic in one place means a
 * parity failure points at indexing or device numerics, not at two
 * diverging copies of a formula.
 *
 * Everything here is static inline and, under nvcc, __host__ __device__.
 * Series are accessed with a stride so one function serves (V, T, C) data.
 */
#ifndef DANCER_GAIT_MATH_H
#define DANCER_GAIT_MATH_H

#include <math.h>
#include <stdbool.h>

#include "dancer/gait_kernels.h"

#ifdef __CUDACC__
#define DN_GM static inline __host__ __device__
#else
#define DN_GM static inline
#endif

#define DN_GM_RAD2DEG 57.29577951308232

/* Knee flexion, deg: 0 with the leg straight, from the interior angle at the
 * knee between hip and ankle. Direction-free (no hyperextension sign). */
DN_GM float dn_gm_knee_flexion(float hx, float hy, float kx, float ky, float ax, float ay)
{
    double ux = hx - kx, uy = hy - ky, wx = ax - kx, wy = ay - ky;
    double inner = atan2(fabs(ux * wy - uy * wx), ux * wx + uy * wy);
    return (float)(180.0 - inner * DN_GM_RAD2DEG);
}

/* Knee flexion, deg, of a rigid two-link leg with segment lengths l1 (thigh)
 * and l2 (shank) whose ends are at the hip (hx, hy) and the ankle (ax, ay):
 * law of cosines, r^2 = l1^2 + l2^2 + 2 l1 l2 cos(flexion). The knee
 * landmark is not used: pose models place a bent knee toward the inside of
 * the angle (src/gait/README.md, "Knee"), while the hip-ankle distance is
 * unbiased. 0 when r >= l1 + l2 (the leg cannot be straighter than
 * straight); NaN without lengths. Direction-free, as dn_gm_knee_flexion. */
DN_GM float dn_gm_knee_chain(float hx, float hy, float ax, float ay, float l1, float l2)
{
    if (!(l1 > 0.0f && l2 > 0.0f))
        return NAN;
    double rx = (double)ax - hx, ry = (double)ay - hy;
    double c = (rx * rx + ry * ry - (double)l1 * l1 - (double)l2 * l2) / (2.0 * l1 * l2);
    c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
    return (float)(acos(c) * DN_GM_RAD2DEG);
}

/* Hip flexion, deg: signed angle from the trunk axis (shoulder midpoint to
 * hip midpoint, pointing down) to the thigh (hip to knee); positive when the
 * knee is ahead of the hip in the walking direction dir (+1 = +x). In image
 * coordinates y points down, so a forward thigh turns clockwise from the
 * trunk axis: the cross product is negative for dir = +1. */
DN_GM float dn_gm_hip_flexion(float tx, float ty, float hx, float hy, float kx, float ky, float dir)
{
    double cx = kx - hx, cy = ky - hy;
    double ang = atan2(tx * cy - ty * cx, tx * cx + ty * cy);
    return (float)(-dir * ang * DN_GM_RAD2DEG);
}

/* Local extremum at b with neighbours a, c: +1 max, -1 min, 0 none (strict on
 * the left, so a flat top is reported once). The vertex of the parabola
 * through the three samples gives the sub-sample offset in [-0.5, 0.5] and
 * the peak value (Zeni 2008 used whole frames; interpolation halves the
 * quantisation error at 30 fps). */
DN_GM signed char dn_gm_extremum(float a, float b, float c, float *delta, float *value)
{
    signed char kind = 0;
    if (!(isfinite(a) && isfinite(b) && isfinite(c)))
        return 0;
    if (a < b && b >= c)
        kind = 1;
    else if (a > b && b <= c)
        kind = -1;
    if (!kind)
        return 0;
    double den = (double)a - 2.0 * b + c, d = 0.0;
    if (den != 0.0)
        d = 0.5 * ((double)a - c) / den;
    if (d > 0.5)
        d = 0.5;
    if (d < -0.5)
        d = -0.5;
    *delta = (float)d;
    *value = (float)(b - 0.25 * ((double)a - c) * d);
    return kind;
}

/* lfilter_zi for a 2nd-order section: the state that makes a step input of 1
 * start in steady state; solves (I - companion(a)^T) zi = b[1:] - a[1:] b0. */
DN_GM void dn_gm_lfilter_zi(const double b[3], const double a[3], double zi[2])
{
    double B0 = b[1] - a[1] * b[0], B1 = b[2] - a[2] * b[0];
    zi[0] = (B0 + B1) / (1.0 + a[1] + a[2]);
    zi[1] = B1 - a[2] * zi[0];
}

/* One step of direct form II transposed (as scipy.signal.lfilter). */
DN_GM double dn_gm_df2t(const double b[3], const double a[3], double z[2], double x)
{
    double y = b[0] * x + z[0];
    z[0] = b[1] * x - a[1] * y + z[1];
    z[1] = b[2] * x - a[2] * y;
    return y;
}

/* Zero-lag filtering of one run x[0..n) (stride xs), n > DN_GK_PADLEN, in
 * place: scipy.signal.filtfilt(b, a, x) with padtype "odd", padlen 9. The
 * padded ends are generated on the fly; the forward pass's right padding is
 * kept in a small local array because the backward pass starts there. */
DN_GM void dn_gm_filtfilt(float *x, long xs, int n, const double b[3], const double a[3])
{
    const int P = DN_GK_PADLEN;
    double zi[2], z[2], right[DN_GK_PADLEN], x0 = x[0], xn = x[(long)(n - 1) * xs];
    dn_gm_lfilter_zi(b, a, zi);
    for (int j = 0; j < P; j++) /* right extension, before x is overwritten */
        right[j] = 2.0 * xn - x[(long)(n - 2 - j) * xs];
    double e0 = 2.0 * x0 - x[(long)P * xs];
    z[0] = zi[0] * e0;
    z[1] = zi[1] * e0;
    for (int i = P; i >= 1; i--)
        dn_gm_df2t(b, a, z, 2.0 * x0 - x[(long)i * xs]);
    for (int i = 0; i < n; i++)
        x[(long)i * xs] = (float)dn_gm_df2t(b, a, z, x[(long)i * xs]);
    for (int j = 0; j < P; j++)
        right[j] = dn_gm_df2t(b, a, z, right[j]);
    z[0] = zi[0] * right[P - 1];
    z[1] = zi[1] * right[P - 1];
    for (int j = P - 1; j >= 0; j--)
        dn_gm_df2t(b, a, z, right[j]);
    for (int i = n - 1; i >= 0; i--)
        x[(long)i * xs] = (float)dn_gm_df2t(b, a, z, x[(long)i * xs]);
}

/* Median of v[0..n), n >= 1, by quickselect (reorders v; no recursion). */
DN_GM float dn_gm_median(float *v, int n)
{
    int lo = 0, hi = n - 1, want = n / 2;
    while (lo < hi) {
        float pivot = v[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            break;
    }
    return v[want];
}

/* Longest half window of the Hampel scale estimate, samples, and the ring of
 * original values it needs (the window plus the 5-sample medians' reach). */
#define DN_GM_HAMPEL_WMAX 24
#define DN_GM_HAMPEL_RING (2 * DN_GM_HAMPEL_WMAX + 5)

/* Original value at t from the ring (length m), NaN outside the series. */
DN_GM float dn_gm_ring_at(const float *ring, int m, int t)
{
    return ring[((t % m) + m) % m];
}

/* x[t] minus the median of x[t-2..t+2]; NaN unless all five are present
 * (a window cut by an edge or a gap is lopsided: its median lags a moving
 * landmark). The median of 5 follows any monotone motion exactly, so the
 * residual is ~0 on a moving landmark and the full size of a one- or
 * two-frame jump. */
DN_GM float dn_gm_med5_res(const float *ring, int m, int t)
{
    float w[5], xt = dn_gm_ring_at(ring, m, t);
    int c = 0;
    for (int j = -2; j <= 2; j++) {
        float y = dn_gm_ring_at(ring, m, t + j);
        if (isfinite(y))
            w[c++] = y;
    }
    return isfinite(xt) && c == 5 ? xt - dn_gm_median(w, c) : NAN;
}

/* Hampel identifier for moving landmarks: a sample whose residual from the
 * median of the 5 around it (dn_gm_med5_res) exceeds k robust standard
 * deviations of those residuals within +-w samples (1.4826 x their median
 * absolute value, at least `floor`) is a spike and becomes missing. A pose
 * model's glitches (a foot thrown back for a frame or two at heel strike,
 * with full visibility) hide inside a plain median/MAD window, whose spread
 * is the landmark's own motion; they moved Zeni's events by 3-6 frames.
 * Needs 7 residuals in the window. ring[] keeps the original values, so
 * earlier rejections do not bias later windows; res[] keeps the residuals of
 * the window, so each sample's is computed once, not once per window. */
DN_GM void dn_gm_hampel(float *x, long xs, int n, float k, int w, float floor)
{
    float ring[DN_GM_HAMPEL_RING], res[2 * DN_GM_HAMPEL_WMAX + 1], r[2 * DN_GM_HAMPEL_WMAX + 1];
    w = w < 3 ? 3 : w > DN_GM_HAMPEL_WMAX ? DN_GM_HAMPEL_WMAX : w;
    const int m = 2 * w + 5, mr = 2 * w + 1, reach = w + 2;
    for (int t = -reach; t <= reach; t++)
        ring[((t % m) + m) % m] = (t >= 0 && t < n) ? x[(long)t * xs] : NAN;
    for (int t = -w; t < w; t++)
        res[((t % mr) + mr) % mr] = dn_gm_med5_res(ring, m, t);
    for (int i = 0; i < n; i++) {
        /* the window's newest residual; the slot of t = i - w - 1 receives it */
        res[(i + w) % mr] = dn_gm_med5_res(ring, m, i + w);
        float ri = res[i % mr];
        if (isfinite(ri)) {
            int c = 0;
            for (int j = i - w; j <= i + w; j++) {
                float rj = res[((j % mr) + mr) % mr];
                if (isfinite(rj))
                    r[c++] = fabsf(rj);
            }
            float scale = c >= 7 ? 1.4826f * dn_gm_median(r, c) : INFINITY;
            if (fabsf(ri) > k * (scale > floor ? scale : floor))
                x[(long)i * xs] = NAN;
        }
        /* slide: the slot of t = i - reach receives t = i + reach + 1 */
        int t = i + reach + 1;
        ring[((i - reach) % m + m) % m] = t < n ? x[(long)t * xs] : NAN;
    }
}

/* Value at j of the cubic through (p[k], y[k]), k = 0..3 (Lagrange form). */
DN_GM double dn_gm_cubic4(const double p[4], const double y[4], double j)
{
    double sum = 0;
    for (int k = 0; k < 4; k++) {
        double w = y[k];
        for (int m = 0; m < 4; m++)
            if (m != k)
                w *= (j - p[m]) / (p[k] - p[m]);
        sum += w;
    }
    return sum;
}

/* Fills interior runs of at most max_gap missing samples. With two present
 * samples on each side the fill is the cubic through those four (it follows
 * a curve through a dropout at a peak, where a straight line would cut the
 * peak off and move the event); otherwise it is linear. */
DN_GM void dn_gm_fill_gaps(float *x, long xs, int n, int max_gap)
{
    int last = -1; /* last present sample */
    for (int i = 0; i < n; i++) {
        float v = x[(long)i * xs];
        if (!isfinite(v))
            continue;
        int gap = i - last - 1;
        if (last >= 0 && gap > 0 && gap <= max_gap) {
            double p[4] = {last - 1.0, (double)last, (double)i, i + 1.0}, y[4] = {NAN, x[(long)last * xs], v, NAN};
            if (last >= 1)
                y[0] = x[(long)(last - 1) * xs];
            if (i + 1 < n)
                y[3] = x[(long)(i + 1) * xs];
            bool cubic = isfinite(y[0]) && isfinite(y[3]);
            for (int j = last + 1; j < i; j++)
                x[(long)j * xs] = cubic ? (float)dn_gm_cubic4(p, y, j)
                                        : (float)(y[1] + (y[2] - y[1]) * (j - last) / (double)(i - last));
        }
        last = i;
    }
}

/* The whole filter op for one series of n samples (see gait_kernels.h). */
DN_GM void dn_gm_filter_series(float *x, long xs, const float *vis, long vs, int n,
                               const struct dn_gait_filter_params *p)
{
    for (int i = 0; i < n; i++) {
        float v = x[(long)i * xs];
        if (i >= p->len || !isfinite(v) || !(vis[(long)i * vs] >= p->min_vis))
            x[(long)i * xs] = NAN;
    }
    if (p->hampel_k > 0.0f)
        dn_gm_hampel(x, xs, p->len, p->hampel_k, p->hampel_w, p->hampel_floor);
    dn_gm_fill_gaps(x, xs, p->len, p->max_gap);
    int min_seg = p->min_seg > DN_GK_PADLEN + 1 ? p->min_seg : DN_GK_PADLEN + 1;
    for (int s = 0; s < p->len;) {
        if (!isfinite(x[(long)s * xs])) {
            s++;
            continue;
        }
        int e = s;
        while (e < p->len && isfinite(x[(long)e * xs]))
            e++;
        if (e - s >= min_seg)
            dn_gm_filtfilt(x + (long)s * xs, xs, e - s, p->b, p->a);
        else
            for (int i = s; i < e; i++)
                x[(long)i * xs] = NAN;
        s = e;
    }
}

/* Point k of video v at frame t in x (V, T, C). */
#define DN_GM_PX(x, v, t, T, C, k) ((x)[((long)(v) * (T) + (t)) * (C) + DN_GK_DIMS * (k)])
#define DN_GM_PY(x, v, t, T, C, k) ((x)[((long)(v) * (T) + (t)) * (C) + DN_GK_DIMS * (k) + 1])
#define DN_GM_PZ(x, v, t, T, C, k) ((x)[((long)(v) * (T) + (t)) * (C) + DN_GK_DIMS * (k) + 2])

/* Image speed of point k at frame t, px/frame: central difference, one-sided
 * at the ends; NaN when a needed sample is missing. */
DN_GM float dn_gm_speed(const float *x, int v, int t, int T, int C, int k)
{
    int t0 = t > 0 ? t - 1 : t, t1 = t + 1 < T ? t + 1 : t;
    if (t1 == t0)
        return NAN;
    float dx = DN_GM_PX(x, v, t1, T, C, k) - DN_GM_PX(x, v, t0, T, C, k);
    float dy = DN_GM_PY(x, v, t1, T, C, k) - DN_GM_PY(x, v, t0, T, C, k);
    return sqrtf(dx * dx + dy * dy) / (float)(t1 - t0);
}

/* Coordinate of point k along the walking axis: x in side views (|d| = 1),
 * the relative depth z in front/back views (|d| = 2). */
DN_GM float dn_gm_axis(const float *x, int v, int t, int T, int C, int k, float d)
{
    return d == 1.0f || d == -1.0f ? DN_GM_PX(x, v, t, T, C, k) : DN_GM_PZ(x, v, t, T, C, k);
}

/* All signals of one frame (see enum dn_gk_signal); sig is (V, S, T), limb
 * (V, T, DN_GK_LIMBS). */
DN_GM void dn_gm_kinematics_frame(float *sig, const float *x, const float *dir, const float *limb, int v,
                                  int t, int T, int C)
{
#define S_OUT(s) sig[((long)(v) * DN_GK_SIGNALS + (s)) * T + t]
    float d = dir[(long)v * T + t], sign = d > 0 ? 1.0f : -1.0f;
    bool side_view = d == 1.0f || d == -1.0f, walking = d != 0.0f;
    float pelvis = 0.5f * (dn_gm_axis(x, v, t, T, C, DN_GK_HIP_L, d) + dn_gm_axis(x, v, t, T, C, DN_GK_HIP_R, d));
    float trunk_x = 0.5f * (DN_GM_PX(x, v, t, T, C, DN_GK_HIP_L) + DN_GM_PX(x, v, t, T, C, DN_GK_HIP_R)
                            - DN_GM_PX(x, v, t, T, C, DN_GK_SHOULDER_L) - DN_GM_PX(x, v, t, T, C, DN_GK_SHOULDER_R));
    float trunk_y = 0.5f * (DN_GM_PY(x, v, t, T, C, DN_GK_HIP_L) + DN_GM_PY(x, v, t, T, C, DN_GK_HIP_R)
                            - DN_GM_PY(x, v, t, T, C, DN_GK_SHOULDER_L) - DN_GM_PY(x, v, t, T, C, DN_GK_SHOULDER_R));
    /* Zeni signals in torso lengths: in front/back views the figure grows or
     * shrinks with distance, and so would their amplitude, which shifts
     * the extrema of an oscillation with a trend in amplitude. */
    float torso = sqrtf(trunk_x * trunk_x + trunk_y * trunk_y), unit = sign / torso;
    for (int side = 0; side < 2; side++) {
        int hip = DN_GK_HIP_L + side, knee = DN_GK_KNEE_L + side, ankle = DN_GK_ANKLE_L + side;
        int heel = DN_GK_HEEL_L + side, toe = DN_GK_TOE_L + side;
        float hx = DN_GM_PX(x, v, t, T, C, hip), hy = DN_GM_PY(x, v, t, T, C, hip);
        float kx = DN_GM_PX(x, v, t, T, C, knee), ky = DN_GM_PY(x, v, t, T, C, knee);
        float ax = DN_GM_PX(x, v, t, T, C, ankle), ay = DN_GM_PY(x, v, t, T, C, ankle);
        const float *len = limb + ((long)v * T + t) * DN_GK_LIMBS + 2 * side;
        S_OUT(DN_GK_KNEE_FLEX_L + side) = dn_gm_knee_flexion(hx, hy, kx, ky, ax, ay);
        S_OUT(DN_GK_KNEE_CHAIN_L + side) = dn_gm_knee_chain(hx, hy, ax, ay, len[0], len[1]);
        S_OUT(DN_GK_HIP_FLEX_L + side) = side_view ? dn_gm_hip_flexion(trunk_x, trunk_y, hx, hy, kx, ky, d) : NAN;
        S_OUT(DN_GK_HEEL_REL_L + side) = walking && torso > 0 ? unit * (dn_gm_axis(x, v, t, T, C, heel, d) - pelvis) : NAN;
        S_OUT(DN_GK_TOE_REL_L + side) = walking && torso > 0 ? unit * (dn_gm_axis(x, v, t, T, C, toe, d) - pelvis) : NAN;
        S_OUT(DN_GK_HEEL_SPEED_L + side) = dn_gm_speed(x, v, t, T, C, heel);
        S_OUT(DN_GK_TOE_SPEED_L + side) = dn_gm_speed(x, v, t, T, C, toe);
    }
    float hl = S_OUT(DN_GK_HEEL_REL_L), hr = S_OUT(DN_GK_HEEL_REL_R);
    float tl = S_OUT(DN_GK_TOE_REL_L), tr = S_OUT(DN_GK_TOE_REL_R);
    bool right_leads = isnan(hl) || hr > hl, right_trails = isnan(tl) || tr < tl; /* NaN: the other */
    S_OUT(DN_GK_HEEL_LEAD) = right_leads ? hr : hl;
    S_OUT(DN_GK_TOE_TRAIL) = right_trails ? tr : tl;
    S_OUT(DN_GK_HEEL_LEAD_SIDE) = isnan(S_OUT(DN_GK_HEEL_LEAD)) ? NAN : (float)right_leads;
    S_OUT(DN_GK_TOE_TRAIL_SIDE) = isnan(S_OUT(DN_GK_TOE_TRAIL)) ? NAN : (float)right_trails;
#undef S_OUT
}

/* The extrema op for sample t of series vs = v * S + s (see gait_kernels.h). */
DN_GM void dn_gm_extrema_sample(signed char *kind, float *where, float *value, const float *sig,
                                const int *len, int S, int T, int vs, int t)
{
    long i = (long)vs * T + t;
    float d = 0.0f, val = NAN;
    signed char k = 0;
    if (t >= 1 && t + 1 < len[vs / S])
        k = dn_gm_extremum(sig[i - 1], sig[i], sig[i + 1], &d, &val);
    kind[i] = k;
    where[i] = k ? (float)t + d : NAN;
    value[i] = k ? val : NAN;
}

#endif
