/* rhythm.c — a walking bout's stride period from the periodicity of the
 * feet, independent of the gait events.
 *
 * Walking repeats once per stride, and the two feet alternate: the vector
 * from the right to the left foot (heel, ankle and toe landmarks in the
 * sagittal plane: along the path and vertical, in torso lengths so that
 * walking toward or away from the camera does not change its scale)
 * repeats after one stride and flips its sign after one step, in any view.
 * The stride period is the lag of the first dominant peak of the
 * autocorrelation of that vector over the bout, refined by a parabola
 * through the peak and its neighbours and, where the bout is long enough,
 * by a least-squares line through the peaks at 1, 2, ... strides (each
 * multiple divides the interpolation error by its order). This is the
 * autocorrelation method of trunk accelerometry (Moe-Nilssen & Helbostad
 * 2004, J Biomech 37:121-126: the autocorrelation at the stride lag is
 * their "stride regularity"), applied to landmark trajectories. A period
 * over a whole bout averages every frame of it, so it is far more precise
 * than any single event where events are imprecise (front/back views:
 * README "Rhythm"); it gives the mean step and stride time only, not their
 * variability, stance or double support.
 *
 * A rhythm is accepted when the autocorrelation at the stride lag is at
 * least S_MIN_REGULARITY (clearly periodic) and at half of it at most
 * S_MAX_HALF (the feet alternate); the lag must fit twice into the bout, so
 * an accepted rhythm spans at least two strides. */
#include <stdlib.h>
#include <string.h>

#include "gait_internal.h"

#define S_MIN_REGULARITY 0.5
#define S_MAX_HALF (-0.25)
/* The first local maximum at least this share of the highest one in the
 * plausible stride range is the stride (not a multiple of it). */
#define S_FIRST_PEAK_SHARE 0.8
#define S_CHANNELS 6
/* Refine the period on the autocorrelation peaks of up to this many strides. */
#define S_MULTIPLES 8

static const int s_points[3] = {DN_GK_HEEL_L, DN_GK_ANKLE_L, DN_GK_TOE_L};

/* Left minus right foot point along one axis of the sagittal plane, in
 * torso lengths (so that walking toward or away from the camera does not
 * change its scale, to first order); NaN if missing. Even channels: the
 * direction of progression, the image x across the picture, the pose
 * model's relative depth z facing the camera (x is then lateral: the feet's
 * fixed track width and sway); odd channels: the image y. */
static double s_channel(const struct dn_gait_video *v, int i, int c, bool side)
{
    int k = s_points[c / 2];
    double d = (c & 1) ? dn_gv_y(v, i, k) - dn_gv_y(v, i, k + 1)
               : side  ? dn_gv_x(v, i, k) - dn_gv_x(v, i, k + 1)
                       : dn_gv_z(v, i, k) - dn_gv_z(v, i, k + 1);
    return v->torso_px[i] > 0 ? d / v->torso_px[i] : NAN;
}

/* Fills X (n x S_CHANNELS) with the channels, each with its least-squares
 * line removed (drift of the picture's scale and position). */
static void s_series(const struct dn_gait_video *v, int lo, int n, bool side, double *X)
{
    for (int c = 0; c < S_CHANNELS; c++) {
        double st = 0, sx = 0, stt = 0, stx = 0, m = 0;
        for (int t = 0; t < n; t++) {
            double x = X[(long)t * S_CHANNELS + c] = s_channel(v, lo + t, c, side);
            if (isfinite(x))
                st += t, sx += x, stt += (double)t * t, stx += t * x, m++;
        }
        double den = m * stt - st * st, b = den > 0 ? (m * stx - st * sx) / den : 0, a = m > 0 ? (sx - b * st) / m : 0;
        for (int t = 0; t < n; t++) {
            double *x = &X[(long)t * S_CHANNELS + c];
            *x = isfinite(*x) ? *x - (a + b * t) : NAN;
        }
    }
}

/* Normalised autocorrelation of the vector series at lag L: products over
 * the overlap, divided by the overlap's own energies. */
static double s_acf(const double *X, int n, int L)
{
    double ab = 0, aa = 0, bb = 0;
    for (long i = 0; i < (long)(n - L) * S_CHANNELS; i++) {
        double a = X[i], b = X[i + (long)L * S_CHANNELS];
        if (isfinite(a) && isfinite(b))
            ab += a * b, aa += a * a, bb += b * b;
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : NAN;
}

/* Vertex of the parabola through r[i-1], r[i], r[i+1], as a lag. */
static double s_vertex(const double *r, int i)
{
    double a = r[i - 1], b = r[i], c = r[i + 1], den = a - 2 * b + c;
    double d = den < 0 ? 0.5 * (a - c) / den : 0;
    return i + (d > 0.5 ? 0.5 : d < -0.5 ? -0.5 : d);
}

/* The stride lag from r[0..maxlag]: first dominant peak in [lo, hi], then
 * the peaks at its multiples; NaN without a peak. */
static double s_stride_lag(const double *r, int lo, int hi, int maxlag)
{
    int best = -1, first = -1;
    for (int i = lo; i <= hi; i++)
        if (r[i] >= r[i - 1] && r[i] > r[i + 1] && (best < 0 || r[i] > r[best]))
            best = i;
    for (int i = lo; i <= hi && best >= 0 && first < 0; i++)
        if (r[i] >= r[i - 1] && r[i] > r[i + 1] && r[i] >= S_FIRST_PEAK_SHARE * r[best])
            first = i;
    if (first < 0)
        return NAN;
    double L1 = s_vertex(r, first), skl = L1, skk = 1;
    for (int k = 2;; k++) {
        int c = (int)lround(k * L1), at = -1;
        if (c + 3 > maxlag)
            break;
        for (int j = c - 2; j <= c + 2; j++)
            if (at < 0 || r[j] > r[at])
                at = j;
        if (!(r[at] >= r[at - 1] && r[at] > r[at + 1]))
            break;
        skl += k * s_vertex(r, at);
        skk += (double)k * k;
    }
    return skl / skk;
}

/* Divides every frame of X by the RMS of the vector series over a centred
 * window of w frames. Walking toward or away from the camera, the feet's
 * height difference in the image grows or shrinks with the inverse depth
 * even in torso lengths; a growing envelope alone lowers the normalised
 * autocorrelation at longer lags and pulls the peak short (the stride
 * reads ~1 % fast on a walk from 12 m to 3 m). Over a window of one stride
 * the RMS of a periodic series is constant, so this leaves the rhythm and
 * removes the envelope. What it cannot remove: facing the camera, the feet's
 * image rows mix their depth difference (which grows with the inverse
 * depth) with their lift (which does not), so the waveform's shape drifts
 * as the subject comes closer and every lag-based feature drifts with it
 * (the stride reads short: 1.1 % on the analytic front-view track,
 * tests/gait/synth.c, 12 m to 3 m, which has no depth channel). The pose
 * model's relative depth z has no such mix, which is why front/back views
 * use it (README "Rhythm"). */
static void s_flatten(double *X, int n, int w, double *env)
{
    double sum = 0;
    int m = 0, lo = 0, hi = 0; /* window [lo, hi) */
    for (int t = 0; t < n; t++) {
        int want_lo = t - w / 2 < 0 ? 0 : t - w / 2, want_hi = t - w / 2 + w > n ? n : t - w / 2 + w;
        for (; hi < want_hi; hi++)
            for (int c = 0; c < S_CHANNELS; c++) {
                double x = X[(long)hi * S_CHANNELS + c];
                if (isfinite(x))
                    sum += x * x, m++;
            }
        for (; lo < want_lo; lo++)
            for (int c = 0; c < S_CHANNELS; c++) {
                double x = X[(long)lo * S_CHANNELS + c];
                if (isfinite(x))
                    sum -= x * x, m--;
            }
        env[t] = m > 0 && sum > 0 ? sqrt(sum / m) : NAN;
    }
    for (int t = 0; t < n; t++)
        for (int c = 0; c < S_CHANNELS; c++)
            X[(long)t * S_CHANNELS + c] /= env[t]; /* NaN stays NaN; no envelope makes NaN */
}

/* Stride lag of the flattened series, and the autocorrelation at it; NaN
 * when the rhythm is not clear (r: maxlag + 1 doubles of scratch). */
static double s_lag(const double *X, int n, int min_lag, int max_lag, int maxlag, double *r, double *reg)
{
    *reg = NAN;
    for (int L = 0; L <= maxlag; L++)
        if (!isfinite(r[L] = s_acf(X, n, L)))
            return NAN;
    double lag = s_stride_lag(r, min_lag, max_lag, maxlag);
    if (!isfinite(lag))
        return NAN;
    int i = (int)floor(lag / 2);
    double half = r[i] + (lag / 2 - i) * (r[i + 1] - r[i]);
    *reg = r[(int)lround(lag)];
    return *reg >= S_MIN_REGULARITY && half <= S_MAX_HALF ? lag : NAN;
}

void dn_gait_rhythm(const struct dn_gait_video *v, int lo, int hi, bool side, double *stride_s, double *regularity)
{
    int n = hi - lo, maxlag = n / 2, min_lag = (int)ceil(0.5 * v->fps), max_lag = (int)floor(2.5 * v->fps);
    *stride_s = *regularity = NAN;
    if (max_lag > maxlag - 2)
        max_lag = maxlag - 2;
    /* The peaks at S_MULTIPLES strides are enough to refine the period;
     * lags beyond would cost O(n) each for nothing (a 6-minute bout at
     * 60 fps has 10,000 of them). */
    if (maxlag > S_MULTIPLES * max_lag + 3)
        maxlag = S_MULTIPLES * max_lag + 3;
    if (n < 4 || max_lag <= min_lag)
        return;
    double *X = malloc((size_t)n * S_CHANNELS * sizeof(double)), *X1 = malloc((size_t)n * S_CHANNELS * sizeof(double));
    double *r = malloc(((size_t)maxlag + 1) * sizeof(double)), *env = malloc((size_t)n * sizeof(double));
    if (X && X1 && r && env) {
        /* First pass with a window of the longest plausible stride, then
         * again with a window of the stride found. */
        s_series(v, lo, n, side, X);
        memcpy(X1, X, (size_t)n * S_CHANNELS * sizeof(double));
        s_flatten(X1, n, max_lag, env);
        double reg, lag = s_lag(X1, n, min_lag, max_lag, maxlag, r, &reg);
        if (isfinite(lag)) {
            s_flatten(X, n, (int)lround(lag), env);
            lag = s_lag(X, n, min_lag, max_lag, maxlag, r, &reg);
        }
        if (isfinite(lag)) {
            *stride_s = lag / v->fps;
            *regularity = reg;
        }
    }
    free(X);
    free(X1);
    free(r);
    free(env);
}
