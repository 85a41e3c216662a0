/* batch.c — the gait stage's batch buffers: packing tracks onto a uniform
 * time grid, and running the time-series kernels (C twins on the CPU path,
 * CUDA launchers on the GPU path) over every video at once. */
#include <stdlib.h>
#include <string.h>

#include "dancer/device.h"
#include "gait_internal.h"

/* BlazePose index of each kernel point (enum dn_gk_point). */
static const int s_point_landmark[DN_GK_POINTS] = {
    DN_LM_NOSE, DN_LM_LEFT_EAR, DN_LM_RIGHT_EAR, DN_LM_LEFT_SHOULDER, DN_LM_RIGHT_SHOULDER,
    DN_LM_LEFT_HIP, DN_LM_RIGHT_HIP, DN_LM_LEFT_KNEE, DN_LM_RIGHT_KNEE, DN_LM_LEFT_ANKLE,
    DN_LM_RIGHT_ANKLE, DN_LM_LEFT_HEEL, DN_LM_RIGHT_HEEL, DN_LM_LEFT_FOOT_INDEX,
    DN_LM_RIGHT_FOOT_INDEX,
};

#define S_NV ((size_t)b->V)
#define S_NT ((size_t)b->V * b->T)
#define S_SIZES(X)                                                          \
    X(x, float, S_NT * DN_GK_CHANNELS) X(vis, float, S_NT * DN_GK_POINTS)    \
    X(dir, float, S_NT) X(limb, float, S_NT * DN_GK_LIMBS)                   \
    X(sig, float, S_NT * DN_GK_SIGNALS)                                      \
    X(where, float, S_NT * DN_GK_SIGNALS) X(value, float, S_NT * DN_GK_SIGNALS) \
    X(kind, signed char, S_NT * DN_GK_SIGNALS)                               \
    X(params, struct dn_gait_filter_params, S_NV) X(len, int, S_NV)

int dn_gait_grid_len(const struct dn_track *t)
{
    if (t->n_frames == 0)
        return 0;
    double span = t->frames[t->n_frames - 1].time_s - t->frames[0].time_s;
    return (int)lround(span * t->fps) + 1;
}

double dn_gait_cutoff(const struct dn_gait_options *o, double fps)
{
    /* Keep the cutoff well below Nyquist at low frame rates: at 15 fps a
     * 6 Hz cutoff would leave almost no attenuation before 7.5 Hz. */
    double cap = 0.3 * fps;
    return o->cutoff_hz < cap ? o->cutoff_hz : cap;
}

int dn_gait_batch_new(struct dn_gait_batch **out, int V, int T, bool gpu, struct dn_err *err)
{
    int rc = 0;
    struct dn_gait_batch *b = calloc(1, sizeof(*b));
    *out = NULL;
    if (!b)
        return dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
    b->V = V;
    b->T = T > 3 ? T : 3;
    b->gpu = gpu;
#define S_HOST(name, type, n) \
    if (!rc) rc = dn_host_alloc((void **)&b->name, (n) * sizeof(type), err);
    S_SIZES(S_HOST)
#undef S_HOST
    if (!rc && (!(b->swap = malloc(2 * (size_t)b->T)) || !(b->swap_ratio = malloc(2 * (size_t)b->T * sizeof(float)))))
        rc = dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
    if (!rc && gpu)
        rc = dn_stream_new(&b->stream, err);
#define S_DEV(name, type, n) \
    if (!rc && gpu) rc = dn_dev_alloc((void **)&b->dev.name, (n) * sizeof(type), err);
    S_SIZES(S_DEV)
#undef S_DEV
    if (rc)
        goto on_error;
    *out = b;
    return 0;
on_error:
    dn_gait_batch_destroy(b);
    return rc;
}

void dn_gait_batch_destroy(struct dn_gait_batch *b)
{
    if (!b)
        return;
#define S_FREE(name, type, n) dn_host_free((void **)&b->name); dn_dev_free((void **)&b->dev.name);
    S_SIZES(S_FREE)
#undef S_FREE
    dn_stream_destroy(b->stream);
    free(b->swap);
    free(b->swap_ratio);
    free(b);
}

/* Visibility of one landmark sample as the filter should see it: 0 when the
 * frame has no pose, the landmark is outside the frame, or its presence is
 * low (MediaPipe's presence = "inside the image"). */
static float s_sample_vis(const struct dn_track *t, const struct dn_track_frame *f, int lm,
                          const struct dn_gait_options *o)
{
    const struct dn_landmark *l = &f->image[lm];
    float margin = 0.02f * (float)(t->width > t->height ? t->width : t->height);
    if (!f->valid || l->presence < o->min_presence || !isfinite(l->x) || !isfinite(l->y))
        return 0.0f;
    if (l->x < -margin || l->y < -margin || l->x > t->width + margin || l->y > t->height + margin)
        return 0.0f;
    return l->visibility;
}

/* Writes grid sample i from frame a, or from frames a and a + 1 weighted
 * (1 - w, w): a landmark is interpolated only when both samples exist. */
static void s_pack_sample(const struct dn_track *t, const struct dn_gait_options *o, int a,
                          double w, float *x, float *vis)
{
    const struct dn_track_frame *fa = &t->frames[a], *fb = w > 0 ? &t->frames[a + 1] : fa;
    for (int k = 0; k < DN_GK_POINTS; k++) {
        int lm = s_point_landmark[k];
        float va = s_sample_vis(t, fa, lm, o), vb = s_sample_vis(t, fb, lm, o);
        float v = va < vb ? va : vb;
        vis[k] = v;
        x[DN_GK_DIMS * k] = v > 0 ? (float)((1 - w) * fa->image[lm].x + w * fb->image[lm].x) : NAN;
        x[DN_GK_DIMS * k + 1] = v > 0 ? (float)((1 - w) * fa->image[lm].y + w * fb->image[lm].y) : NAN;
        x[DN_GK_DIMS * k + 2] = v > 0 ? (float)((1 - w) * fa->image[lm].z + w * fb->image[lm].z) : NAN;
    }
}

/* Longest run of frames whose legs s_unswap exchanges back. */
#define S_SWAP_MAX_S 0.25

/* Leg points whose left and right landmarks a pose model may exchange. */
static const int s_leg_points[] = {DN_GK_HIP_L, DN_GK_KNEE_L, DN_GK_ANKLE_L, DN_GK_HEEL_L, DN_GK_TOE_L};
#define S_LEG_POINTS (int)(sizeof(s_leg_points) / sizeof(s_leg_points[0]))

/* Coordinate d of point p's side `side` in frame i, read with the frame's
 * legs exchanged when flip is set. */
static double s_leg_at(const float *x, int i, int p, int side, bool flip, int d)
{
    int k = s_leg_points[p] + (flip ? !side : side);
    return x[(long)i * DN_GK_CHANNELS + DN_GK_DIMS * k + d];
}

static bool s_leg_visible(const float *vis, int i, int p, int side, bool flip, float min_vis)
{
    return vis[(long)i * DN_GK_POINTS + s_leg_points[p] + (flip ? !side : side)] >= min_vis;
}

/* Squared distance of frame i's legs (read exchanged when flip) from their
 * constant-velocity prediction out of frames a and b (b further away, both
 * read with their own flips fa, fb); only points visible in all three count. */
static double s_swap_cost(const float *x, const float *vis, int i, bool flip, int a, bool fa, int b, bool fb,
                          float min_vis)
{
    double cost = 0;
    for (int p = 0; p < S_LEG_POINTS; p++)
        for (int side = 0; side < 2; side++) {
            if (!s_leg_visible(vis, i, p, side, flip, min_vis) || !s_leg_visible(vis, a, p, side, fa, min_vis) ||
                !s_leg_visible(vis, b, p, side, fb, min_vis))
                continue;
            for (int d = 0; d < 2; d++) {
                double pa = s_leg_at(x, a, p, side, fa, d), pb = s_leg_at(x, b, p, side, fb, d);
                double e = s_leg_at(x, i, p, side, flip, d) - (pa + (pa - pb) * (i - a) / (double)(a - b));
                cost += e * e;
            }
        }
    return cost;
}

static void s_swap_frame(float *x, float *vis, int i)
{
    for (int p = 0; p < S_LEG_POINTS; p++) {
        int l = s_leg_points[p], r = l + 1;
        for (int d = 0; d < DN_GK_DIMS; d++) {
            float *xl = &x[(long)i * DN_GK_CHANNELS + DN_GK_DIMS * l + d];
            float *xr = &x[(long)i * DN_GK_CHANNELS + DN_GK_DIMS * r + d], t = *xl;
            *xl = *xr, *xr = t;
        }
        float *vl = &vis[(long)i * DN_GK_POINTS + l], *vr = &vis[(long)i * DN_GK_POINTS + r], t = *vl;
        *vl = *vr, *vr = t;
    }
}

/* Thigh + shank of the left leg at frame i, px (NaN when missing): the
 * scale below which L/R differences are noise. */
static double s_leg_scale(const float *x, int i)
{
    const float *f = x + (long)i * DN_GK_CHANNELS;
    int h = DN_GK_DIMS * DN_GK_HIP_L, k = DN_GK_DIMS * DN_GK_KNEE_L, a = DN_GK_DIMS * DN_GK_ANKLE_L;
    return hypot(f[h] - f[k], f[h + 1] - f[k + 1]) + hypot(f[k] - f[a], f[k + 1] - f[a + 1]);
}

/* Median thigh + shank (left leg, px) over up to 101 frames spread over
 * the track; NaN when none has the leg. */
static double s_leg_median(const float *x, int len)
{
    double v[101];
    int n = 0, step = len / 101 + 1;
    for (int i = 0; i < len && n < 101; i += step) {
        double l = s_leg_scale(x, i);
        if (isfinite(l))
            v[n++] = l;
    }
    return dn_gait_median(v, n);
}

/* A frame whose legs fit their prediction in neither labelling, by more than
 * this many times the noise budget (the cost over 2 * points * (leg / 10)^2:
 * an rms miss of 2 tenths of a leg per coordinate at 4), is no base for
 * predicting the next frames. BlazePose passes through a frame or two with
 * both feet half-way between their places on the way into or out of a swap
 * (walker VFR clip, right after a heel strike); predicted from such a
 * frame, the swapped frame after it fit neither labelling either, stayed
 * swapped, and the stance foot seemed to leave the floor at once. The
 * blended frames themselves are left to the spike filter. */
#define S_SWAP_NO_BASE 4.0

/* One pass of the swap test over the frames in time order (step +1) or
 * reversed (-1): flip[i] is set when frame i's legs fit the prediction from
 * the two frames before it (in pass order, read with their own flips) far
 * better exchanged: a quarter of the cost, with a mismatch above noise (a
 * tenth of a leg per point). A run of flips is capped at max_run frames,
 * after which the raw labels are trusted again; a gap of more than 3
 * frames restarts the prediction, and frames that fit in neither labelling
 * (S_SWAP_NO_BASE) are skipped as bases. */
static void s_swap_pass(const float *x, const float *vis, int len, int step, int max_run, float min_vis,
                        unsigned char *flip, float *ratio)
{
    int a = -1, b = -1, run = 0;
    for (int n = 0; n < len; n++) {
        int i = step > 0 ? n : len - 1 - n;
        flip[i] = 0;
        ratio[i] = NAN; /* no prediction possible */
        if (!(vis[(long)i * DN_GK_POINTS + DN_GK_HIP_L] > 0))
            continue;
        if (a >= 0 && b >= 0 && abs(i - a) <= 3 && abs(a - b) <= 3 && run < max_run) {
            double same = s_swap_cost(x, vis, i, false, a, flip[a], b, flip[b], min_vis);
            double other = s_swap_cost(x, vis, i, true, a, flip[a], b, flip[b], min_vis);
            double noise = 0.1 * s_leg_scale(x, a), budget = 2 * S_LEG_POINTS * noise * noise;
            bool above_noise = fmax(same, other) > budget;
            ratio[i] = above_noise && same > 0 ? (float)(other / same) : 1.0f;
            if (isnan(ratio[i])) /* no point visible in all three frames */
                ratio[i] = 1.0f;
            flip[i] = ratio[i] < 0.25f;
            if (fmin(same, other) > S_SWAP_NO_BASE * budget)
                continue;
        }
        if (flip[i])
            run++;
        else if (run >= max_run)
            run = 0, a = b = -1;
        else
            run = 0;
        b = a;
        a = i;
    }
}

/* Left/right leg swaps: pose models sometimes label the near leg as the far
 * one for a few frames, mostly when the legs pass each other (BlazePose did
 * in 2-9 % of side-view frames on the synthetic walker, tests/walker). A
 * frame is exchanged back when it breaks the continuity of the legs' tracks
 * both from the past (forward pass) and from the future (backward pass):
 * each must fit the exchanged labels four times better. (Next to a gap only
 * one pass can predict; trusting it alone there exchanged correct frames
 * after a run of wrong decisions of that pass, so such frames stay.) One
 * pass alone would, for a swap that began while the legs were too close to
 * tell, take the return to the right labels for the jump and exchange the
 * correct frames that follow; the other pass vetoes that. */
static void s_unswap(float *x, float *vis, int len, double fps, float min_vis, unsigned char *scratch,
                     float *ratios)
{
    unsigned char *fwd = scratch, *bwd = scratch + len;
    float *rf = ratios, *rb = ratios + len;
    int max_run = (int)ceil(S_SWAP_MAX_S * fps);
    s_swap_pass(x, vis, len, 1, max_run, min_vis, fwd, rf);
    s_swap_pass(x, vis, len, -1, max_run, min_vis, bwd, rb);
    for (int i = 0; i < len; i++)
        if (rf[i] < 0.25f && rb[i] < 0.25f) /* NaN (no prediction) fails */
            s_swap_frame(x, vis, i);
}

void dn_gait_batch_pack(struct dn_gait_batch *b, int v, const struct dn_track *t,
                        const struct dn_gait_options *o, int len)
{
    float *x = b->x + (size_t)v * b->T * DN_GK_CHANNELS, *vis = b->vis + (size_t)v * b->T * DN_GK_POINTS;
    double t0 = t->n_frames ? t->frames[0].time_s : 0, eps = 0.25 / t->fps;
    size_t a = 0;
    for (int i = 0; i < b->T; i++) {
        float *xi = x + (size_t)i * DN_GK_CHANNELS, *vi = vis + (size_t)i * DN_GK_POINTS;
        for (int c = 0; c < DN_GK_CHANNELS; c++)
            xi[c] = NAN;
        memset(vi, 0, DN_GK_POINTS * sizeof(*vi));
        if (i >= len)
            continue;
        /* frame a: the last frame at or before the grid time (within eps) */
        double tg = t0 + i / t->fps;
        while (a + 1 < t->n_frames && t->frames[a + 1].time_s <= tg + eps)
            a++;
        double ta = t->frames[a].time_s;
        if (fabs(ta - tg) <= eps)
            s_pack_sample(t, o, (int)a, 0.0, xi, vi);
        else if (a + 1 < t->n_frames && t->frames[a + 1].time_s - ta <= 2.5 / t->fps)
            s_pack_sample(t, o, (int)a, (tg - ta) / (t->frames[a + 1].time_s - ta), xi, vi);
        /* else: a dropped stretch of frames, left missing for the gap filler */
    }
    s_unswap(x, vis, len, t->fps, o->min_visibility, b->swap, b->swap_ratio);
    struct dn_gait_filter_params *p = &b->params[v];
    memset(p, 0, sizeof(*p));
    p->len = len;
    p->max_gap = (int)floor(o->max_gap_s * t->fps);
    p->min_seg = (int)ceil(0.5 * t->fps);
    p->min_vis = o->min_visibility;
    p->hampel_k = o->hampel_k;
    /* The spread of the residuals over +-0.25 s, at least 3 % of a leg: a
     * smooth landmark's own curvature at a turning point (a foot lifting)
     * leaves residuals of a few px that are no spike; a glitch moves a
     * landmark by a tenth of a leg or more. */
    double leg = s_leg_median(x, len);
    p->hampel_w = (int)lround(0.25 * t->fps);
    p->hampel_floor = isfinite(leg) ? (float)(0.03 * leg) : 0.5f;
    dn_gait_butter2(dn_gait_cutoff(o, t->fps), t->fps, p->b, p->a);
    b->len[v] = len;
}

int dn_gait_batch_filter(struct dn_gait_batch *b, struct dn_err *err)
{
    if (!b->gpu) {
        dn_gait_filter_ref(b->x, b->vis, b->params, b->V, b->T, DN_GK_CHANNELS);
        return 0;
    }
#ifndef DN_HAVE_CUDA
    return dn_err_set(err, DN_ERR_UNSUPPORTED, "gait: GPU requested, but built without CUDA");
#else
    size_t nx = S_NT * DN_GK_CHANNELS * sizeof(float);
    if (dn_dev_upload(b->dev.x, b->x, nx, b->stream, err) ||
        dn_dev_upload(b->dev.vis, b->vis, S_NT * DN_GK_POINTS * sizeof(float), b->stream, err) ||
        dn_dev_upload(b->dev.params, b->params, S_NV * sizeof(*b->params), b->stream, err) ||
        dn_dev_upload(b->dev.len, b->len, S_NV * sizeof(int), b->stream, err) ||
        dn_gait_filter_gpu(b->dev.x, b->dev.vis, b->dev.params, b->V, b->T, DN_GK_CHANNELS,
                           b->stream, err) ||
        dn_dev_download(b->x, b->dev.x, nx, b->stream, err))
        return dn_err_code(err);
    return dn_stream_sync(b->stream, err);
#endif
}

int dn_gait_batch_signals(struct dn_gait_batch *b, struct dn_err *err)
{
    if (!b->gpu) {
        dn_gait_kinematics_ref(b->sig, b->x, b->dir, b->limb, b->V, b->T, DN_GK_CHANNELS);
        dn_gait_extrema_ref(b->kind, b->where, b->value, b->sig, b->len, b->V, DN_GK_SIGNALS, b->T);
        return 0;
    }
#ifndef DN_HAVE_CUDA
    return dn_err_set(err, DN_ERR_UNSUPPORTED, "gait: GPU requested, but built without CUDA");
#else
    size_t ns = S_NT * DN_GK_SIGNALS;
    /* The filtered x is still on the device from dn_gait_batch_filter. */
    if (dn_dev_upload(b->dev.dir, b->dir, S_NT * sizeof(float), b->stream, err) ||
        dn_dev_upload(b->dev.limb, b->limb, S_NT * DN_GK_LIMBS * sizeof(float), b->stream, err) ||
        dn_gait_kinematics_gpu(b->dev.sig, b->dev.x, b->dev.dir, b->dev.limb, b->V, b->T, DN_GK_CHANNELS,
                               b->stream, err) ||
        dn_gait_extrema_gpu(b->dev.kind, b->dev.where, b->dev.value, b->dev.sig, b->dev.len, b->V,
                            DN_GK_SIGNALS, b->T, b->stream, err) ||
        dn_dev_download(b->sig, b->dev.sig, ns * sizeof(float), b->stream, err) ||
        dn_dev_download(b->kind, b->dev.kind, ns, b->stream, err) ||
        dn_dev_download(b->where, b->dev.where, ns * sizeof(float), b->stream, err) ||
        dn_dev_download(b->value, b->dev.value, ns * sizeof(float), b->stream, err))
        return dn_err_code(err);
    return dn_stream_sync(b->stream, err);
#endif
}
