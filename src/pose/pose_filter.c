/*
 * pose_filter.c — temporal smoothing as pose_landmark_filtering.pbtxt wires
 * it: a low-pass filter on visibility (VisibilitySmoothingCalculator) and a
 * one-euro filter on x, y, z (LandmarksSmoothingCalculator) for the body,
 * world and auxiliary landmarks, with the graph's parameters. The filters are
 * ports of mediapipe/util/filtering/{low_pass,one_euro}_filter.cc, keeping
 * their float/double mix so outputs agree to rounding.
 *
 * One deliberate difference: MediaPipe's one-euro filter uses last_time == 0
 * to mean "no previous sample", so a stream whose first timestamp is 0 skips
 * one update. We keep an explicit flag, which is the same for every other
 * timestamp and lets frame times start at 0.
 */
#include <math.h>
#include <string.h>

#include "pose_internal.h"

float dn_pose_lowpass_apply(struct dn_pose_lowpass *f, float value, float alpha)
{
    float result;
    if (alpha >= 0.0f && alpha <= 1.0f) /* SetAlpha ignores out-of-range values */
        f->alpha = alpha;
    if (f->initialized) {
        result = (float)(f->alpha * value + (1.0 - f->alpha) * f->stored);
    } else {
        result = value;
        f->initialized = true;
    }
    f->raw = value;
    f->stored = result;
    return result;
}

static double s_alpha(double frequency, double cutoff)
{
    double te = 1.0 / frequency;
    double tau = 1.0 / (2 * M_PI * cutoff);
    return 1.0 / (1.0 + tau / te);
}

double dn_pose_one_euro_apply(struct dn_pose_one_euro *f, int64_t t_ns, double value_scale,
                              double value)
{
    if (f->have_last && f->last_ns >= t_ns)
        return value; /* MediaPipe: "New timestamp is equal or less than the last one." */
    if (f->have_last)
        f->frequency = 1.0 / ((double)(t_ns - f->last_ns) * 1e-9);
    f->last_ns = t_ns;
    f->have_last = true;
    double dvalue = f->x.initialized ? (value - f->x.raw) * value_scale * f->frequency : 0.0;
    double edvalue = dn_pose_lowpass_apply(&f->dx, (float)dvalue,
                                           (float)s_alpha(f->frequency, f->derivate_cutoff));
    double cutoff = f->min_cutoff + f->beta * fabs(edvalue);
    return dn_pose_lowpass_apply(&f->x, (float)value, (float)s_alpha(f->frequency, cutoff));
}

static void s_one_euro_init(struct dn_pose_one_euro *f, const struct dn_pose_one_euro_params *p)
{
    memset(f, 0, sizeof(*f));
    f->frequency = p->frequency;
    f->min_cutoff = p->min_cutoff;
    f->beta = p->beta;
    f->derivate_cutoff = p->derivate_cutoff;
    /* The constructor builds its low-pass filters with GetAlpha(cutoff). */
    f->x.alpha = (float)s_alpha(f->frequency, f->min_cutoff);
    f->dx.alpha = (float)s_alpha(f->frequency, f->derivate_cutoff);
}

static void s_filter_init(struct dn_pose_lm_filter *f, int n, bool smooth, bool gap_resets,
                          struct dn_pose_one_euro_params p)
{
    memset(f, 0, sizeof(*f));
    f->n = n;
    f->smooth = smooth;
    f->gap_resets = gap_resets;
    f->vis_alpha = 0.1f; /* VisibilitySmoothingCalculator low_pass_filter alpha */
    f->p = p;
}

/* pose_landmark_filtering.pbtxt parameters; frequency and
 * min_allowed_object_scale are landmarks_smoothing_calculator.proto defaults. */
void dn_pose_smoother_init(struct dn_pose_smoother *s, bool smooth)
{
    const struct dn_pose_one_euro_params body = {30.0, 0.05, 80.0, 1.0, false};
    const struct dn_pose_one_euro_params world = {30.0, 0.1, 40.0, 1.0, true};
    const struct dn_pose_one_euro_params aux = {30.0, 0.01, 10.0, 1.0, false};
    /* Only the world smoothing lacks an IMAGE_SIZE input (see the header). */
    s_filter_init(&s->body, DN_POSE_LM_BODY, smooth, true, body);
    s_filter_init(&s->world, DN_POSE_LM_BODY, smooth, false, world);
    s_filter_init(&s->aux, DN_POSE_LM_AUX, true, true, aux); /* not behind the ENABLE switch */
}

void dn_pose_smoother_reset(struct dn_pose_smoother *s)
{
    struct dn_pose_lm_filter *groups[3] = {&s->body, &s->world, &s->aux};
    for (int g = 0; g < 3; g++)
        if (groups[g]->gap_resets)
            groups[g]->coord_active = false;
}

/* One VisibilitySmoothing + LandmarksSmoothing pair on landmarks in the
 * filter's working units (pixels, or metres for the world list). value_scale
 * is 1 / object scale (1 when the filter disables value scaling); 0 means the
 * object is too small to scale by, and MediaPipe then passes x, y, z through
 * (the filters are still created and visibility still filtered). */
static void s_filter_apply(struct dn_pose_lm_filter *f, int64_t t_us, double value_scale,
                           struct dn_pose_lm *lm)
{
    if (!f->smooth)
        return;
    if (!f->vis_active) {
        for (int i = 0; i < f->n; i++) {
            memset(&f->vis[i], 0, sizeof(f->vis[i]));
            f->vis[i].alpha = f->vis_alpha;
        }
        f->vis_active = true;
    }
    if (!f->coord_active) {
        for (int i = 0; i < f->n; i++)
            for (int k = 0; k < 3; k++)
                s_one_euro_init(&f->f[i][k], &f->p);
        f->coord_active = true;
    }
    const int64_t t_ns = t_us * 1000;
    for (int i = 0; i < f->n; i++) {
        lm[i].visibility = dn_pose_lowpass_apply(&f->vis[i], lm[i].visibility, f->vis_alpha);
        if (value_scale == 0.0)
            continue;
        lm[i].x = (float)dn_pose_one_euro_apply(&f->f[i][0], t_ns, value_scale, lm[i].x);
        lm[i].y = (float)dn_pose_one_euro_apply(&f->f[i][1], t_ns, value_scale, lm[i].y);
        lm[i].z = (float)dn_pose_one_euro_apply(&f->f[i][2], t_ns, value_scale, lm[i].z);
    }
}

/* Normalised landmarks are filtered in pixels (NormalizedLandmarksToLandmarks:
 * x·W, y·H, z·W) and converted back. Below min_allowed_object_scale (1e-6)
 * MediaPipe passes the input through. */
static void s_filter_norm(struct dn_pose_lm_filter *f, int64_t t_us, float object_scale,
                          int img_w, int img_h, struct dn_pose_lm *lm)
{
    struct dn_pose_lm px[DN_POSE_LM_BODY];
    const float w = (float)img_w, h = (float)img_h;
    if (!f->smooth)
        return;
    for (int i = 0; i < f->n; i++) {
        px[i] = lm[i];
        px[i].x = lm[i].x * w;
        px[i].y = lm[i].y * h;
        px[i].z = lm[i].z * w;
    }
    /* min_allowed_object_scale default 1e-6 */
    s_filter_apply(f, t_us, object_scale < 1e-6f ? 0.0 : 1.0f / object_scale, px);
    for (int i = 0; i < f->n; i++) {
        lm[i] = px[i];
        lm[i].x = px[i].x / w;
        lm[i].y = px[i].y / h;
        lm[i].z = px[i].z / w;
    }
}

/* OBJECT_SCALE_ROI of pose_landmark_filtering.pbtxt: AlignmentPointsRects on
 * the unfiltered auxiliary landmarks; GetObjectScale = (width + height) / 2
 * in pixels. */
static float s_object_scale(const struct dn_pose_lm *aux, int img_w, int img_h)
{
    struct dn_pose_rect roi;
    dn_pose_rect_from_points(aux[0].x, aux[0].y, aux[1].x, aux[1].y, img_w, img_h, &roi);
    return (roi.w * (float)img_w + roi.h * (float)img_h) / 2.0f;
}

void dn_pose_smoother_track(struct dn_pose_smoother *s, int64_t t_us, int img_w, int img_h,
                            struct dn_pose_lm *aux)
{
    s_filter_norm(&s->aux, t_us, s_object_scale(aux, img_w, img_h), img_w, img_h, aux);
}

void dn_pose_smoother_body(struct dn_pose_smoother *s, int64_t t_us, int img_w, int img_h,
                           const struct dn_pose_lm *aux_raw, struct dn_pose_lm *body,
                           struct dn_pose_lm *world)
{
    s_filter_norm(&s->body, t_us, s_object_scale(aux_raw, img_w, img_h), img_w, img_h, body);
    s_filter_apply(&s->world, t_us, 1.0, world);
}

void dn_pose_smoother_apply(struct dn_pose_smoother *s, int64_t t_us, int img_w, int img_h,
                            struct dn_pose_lm *body, struct dn_pose_lm *aux,
                            struct dn_pose_lm *world)
{
    struct dn_pose_lm raw[DN_POSE_LM_AUX] = {aux[0], aux[1]};
    dn_pose_smoother_body(s, t_us, img_w, img_h, raw, body, world);
    dn_pose_smoother_track(s, t_us, img_w, img_h, aux);
}
