/* bouts.c — walking-bout segmentation and view/direction per bout.
 *
 * Each frame gets a label from its filtered landmarks, the labels are
 * mode-filtered over 0.5 s, and runs of one walking label lasting at least
 * min_bout_s become bouts. Turns show up as short runs of other labels (the
 * body's projected width and direction change) and are dropped with them;
 * standing is recognised from the feet not moving relative to each other;
 * leaving the frame from missing leg landmarks. Thresholds are in body
 * units (leg or torso lengths), so they hold at any resolution or distance. */
#include <stdlib.h>
#include <string.h>

#include "gait_internal.h"

/* Projected width of shoulders and hips over the torso length: ~0.55 facing
 * the camera (walker/Winter proportions: shoulders 0.21 H, hip joints 0.10 H,
 * torso 0.29 H), ~0.05 in profile. Below this the view is "side": walking
 * within ~25 degrees of the image plane. */
#define S_WIDTH_SIDE_MAX 0.25
/* Standing: the sd of the ankle-to-ankle vector over 1 s stays below this
 * many leg lengths (walking: ~0.3 in profile, ~0.08 facing the camera). */
#define S_STILL_ACTIVITY 0.04
/* Side view: a pelvis slower than this (leg lengths/s) means walking in
 * place (treadmill); the direction then comes from the face. */
#define S_PELVIS_SPEED_MIN 0.25
/* Front/back: |d ln(torso length) / dt| above this (1/s) tells approach
 * from retreat; walking at 1.3 m/s at 8 m gives ~0.16. */
#define S_APPROACH_RATE_MIN 0.03
/* Nose ahead of the ears by this many torso lengths gives the facing side. */
#define S_FACING_MIN 0.05

static const int s_needed[] = {DN_GK_SHOULDER_L, DN_GK_SHOULDER_R, DN_GK_HIP_L, DN_GK_HIP_R,
                               DN_GK_KNEE_L, DN_GK_KNEE_R, DN_GK_ANKLE_L, DN_GK_ANKLE_R,
                               DN_GK_HEEL_L, DN_GK_HEEL_R, DN_GK_TOE_L, DN_GK_TOE_R};

static double s_dist(const struct dn_gait_video *v, int i, int a, int b)
{
    return hypot(dn_gv_x(v, i, a) - dn_gv_x(v, i, b), dn_gv_y(v, i, a) - dn_gv_y(v, i, b));
}

static double s_mid_x(const struct dn_gait_video *v, int i, int l)
{
    return 0.5 * (dn_gv_x(v, i, l) + dn_gv_x(v, i, l + 1));
}

static double s_mid_y(const struct dn_gait_video *v, int i, int l)
{
    return 0.5 * (dn_gv_y(v, i, l) + dn_gv_y(v, i, l + 1));
}

/* Leg and torso length per frame, px; NaN where a needed landmark is missing. */
static void s_lengths(struct dn_gait_video *v)
{
    for (int i = 0; i < v->len; i++) {
        bool ok = true;
        for (size_t k = 0; k < sizeof(s_needed) / sizeof(s_needed[0]); k++)
            ok = ok && isfinite(dn_gv_x(v, i, s_needed[k])) && isfinite(dn_gv_y(v, i, s_needed[k]));
        if (!ok) {
            v->leg_frame_px[i] = v->torso_px[i] = NAN;
            continue;
        }
        v->leg_frame_px[i] = (float)(0.5 * (s_dist(v, i, DN_GK_HIP_L, DN_GK_KNEE_L) + s_dist(v, i, DN_GK_KNEE_L, DN_GK_ANKLE_L)
                                      + s_dist(v, i, DN_GK_HIP_R, DN_GK_KNEE_R) + s_dist(v, i, DN_GK_KNEE_R, DN_GK_ANKLE_R)));
        v->torso_px[i] = (float)hypot(s_mid_x(v, i, DN_GK_SHOULDER_L) - s_mid_x(v, i, DN_GK_HIP_L),
                                      s_mid_y(v, i, DN_GK_SHOULDER_L) - s_mid_y(v, i, DN_GK_HIP_L));
    }
}

/* Standard deviation of the ankle-to-ankle vector over [i - h, i + h], in
 * leg lengths; NaN when fewer than half the samples exist. */
static double s_activity(const struct dn_gait_video *v, int i, int h)
{
    double sx = 0, sy = 0, sxx = 0, syy = 0;
    int n = 0;
    for (int j = i - h; j <= i + h; j++) {
        if (j < 0 || j >= v->len || !isfinite(v->leg_frame_px[j]))
            continue;
        double dx = (dn_gv_x(v, j, DN_GK_ANKLE_L) - dn_gv_x(v, j, DN_GK_ANKLE_R)) / v->leg_frame_px[j];
        double dy = (dn_gv_y(v, j, DN_GK_ANKLE_L) - dn_gv_y(v, j, DN_GK_ANKLE_R)) / v->leg_frame_px[j];
        sx += dx, sy += dy, sxx += dx * dx, syy += dy * dy, n++;
    }
    if (n < h + 1)
        return NAN;
    double var = (sxx - sx * sx / n + syy - sy * sy / n) / n;
    return sqrt(var > 0 ? var : 0);
}

/* Central difference of f over +-h samples, per second; NaN at the edges. */
static double s_rate(const struct dn_gait_video *v, const double *f, int i, int h)
{
    int a = i - h >= 0 ? i - h : 0, b = i + h < v->len ? i + h : v->len - 1;
    if (b <= a || !isfinite(f[a]) || !isfinite(f[b]))
        return NAN;
    return (f[b] - f[a]) * v->fps / (b - a);
}

/* Label of frame i given its pelvis speed (leg/s; travel: averaged over a
 * stride, which cancels the pelvis's sway) and approach rate (1/s). */
static int s_label(const struct dn_gait_video *v, int i, double vx, double travel, double rate,
                   double activity)
{
    if (!isfinite(v->leg_frame_px[i]) || !(v->leg_frame_px[i] > 0) || !(v->torso_px[i] > 0))
        return DN_GL_INVALID;
    if (!(activity >= S_STILL_ACTIVITY))
        return isfinite(activity) ? DN_GL_STILL : DN_GL_INVALID;
    double width = (fabs(dn_gv_x(v, i, DN_GK_SHOULDER_L) - dn_gv_x(v, i, DN_GK_SHOULDER_R))
                    + fabs(dn_gv_x(v, i, DN_GK_HIP_L) - dn_gv_x(v, i, DN_GK_HIP_R))) / (2 * v->torso_px[i]);
    if (width < S_WIDTH_SIDE_MAX) {
        double facing = (dn_gv_x(v, i, DN_GK_NOSE) - s_mid_x(v, i, DN_GK_EAR_L)) / v->torso_px[i];
        if (fabs(vx) >= S_PELVIS_SPEED_MIN)
            return vx > 0 ? DN_GL_SIDE_POS : DN_GL_SIDE_NEG;
        if (fabs(facing) >= S_FACING_MIN) /* NaN compares false */
            return facing > 0 ? DN_GL_SIDE_POS : DN_GL_SIDE_NEG;
        return DN_GL_INVALID;
    }
    if (fabs(rate) >= S_APPROACH_RATE_MIN)
        return rate > 0 ? DN_GL_FRONT : DN_GL_BACK;
    /* Neither approaching nor receding but crossing the picture: walking
     * across it, whatever the shoulders' width says. A pose model unsure of
     * a small figure's depth can spread its shoulders in profile (the
     * walker's 320x180 clip: 0.28-0.33 torso lengths for its last second,
     * which read as a back view walking in place). */
    if (fabs(travel) >= S_PELVIS_SPEED_MIN)
        return travel > 0 ? DN_GL_SIDE_POS : DN_GL_SIDE_NEG;
    /* In place: facing the camera shows the subject's left shoulder on the
     * image's right. */
    return dn_gv_x(v, i, DN_GK_SHOULDER_L) > dn_gv_x(v, i, DN_GK_SHOULDER_R) ? DN_GL_FRONT : DN_GL_BACK;
}

/* Mode filter over a window of 2h + 1 frames: removes flicker at turns and
 * threshold crossings. out must not alias in. */
static void s_mode_filter(const unsigned char *in, unsigned char *out, int n, int h)
{
    for (int i = 0; i < n; i++) {
        int count[DN_GL_COUNT] = {0}, best = in[i];
        for (int j = i - h; j <= i + h; j++)
            if (j >= 0 && j < n)
                count[in[j]]++;
        for (int l = 0; l < DN_GL_COUNT; l++)
            if (count[l] > count[best])
                best = l;
        out[i] = (unsigned char)best;
    }
}

static int s_compare_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int s_add_bout(struct dn_gait_video *v, int s, int e, int label, const double *vx,
                      struct dn_err *err)
{
    struct dn_gait_result *r = v->res;
    if (r->n_bouts == v->cap_bouts) {
        size_t cap = v->cap_bouts ? 2 * v->cap_bouts : 8;
        struct dn_gait_bout *nb = realloc(r->bouts, cap * sizeof(*nb));
        if (!nb)
            return dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
        r->bouts = nb;
        v->cap_bouts = cap;
    }
    struct dn_gait_bout *b = &r->bouts[r->n_bouts++];
    memset(b, 0, sizeof(*b));
    b->start_s = dn_gv_time(v, s);
    b->end_s = dn_gv_time(v, e - 1);
    bool side = label == DN_GL_SIDE_POS || label == DN_GL_SIDE_NEG;
    b->view = side ? DN_GAIT_VIEW_SIDE : label == DN_GL_FRONT ? DN_GAIT_VIEW_FRONT : DN_GAIT_VIEW_BACK;
    b->direction = label == DN_GL_SIDE_POS ? 1 : label == DN_GL_SIDE_NEG ? -1 : 0;
    double sum = 0;
    int n = 0;
    /* the kernels' axis code (gait_kernels.h): +-1 along x, +-2 along z */
    float axis = side ? (float)b->direction : label == DN_GL_FRONT ? -2.0f : 2.0f;
    for (int i = s; i < e; i++) {
        v->dir[i] = axis;
        if (isfinite(vx[i]))
            sum += fabs(vx[i]), n++;
    }
    b->treadmill = side && n > 0 && sum / n < S_PELVIS_SPEED_MIN;
    return 0;
}

/* Why no bout was found, from the label counts. */
static void s_no_bout_reason(struct dn_gait_video *v, const int *count, int walking_frames)
{
    char *why = v->res->reason;
    size_t n = sizeof(v->res->reason);
    if (count[DN_GL_INVALID] == v->len)
        snprintf(why, n, "no frame with the legs fully visible (pose missing or subject out of frame)");
    else if (count[DN_GL_STILL] >= walking_frames)
        snprintf(why, n, "no walking: the subject is standing still");
    else
        snprintf(why, n, "no walking bout of at least %.1f s in one direction and view",
                 v->opts->min_bout_s);
}

int dn_gait_find_bouts(struct dn_gait_video *v, struct dn_err *err)
{
    int n = v->len, rc = 0, h_act = (int)lround(0.5 * v->fps), h_v = (int)lround(0.1 * v->fps);
    int h_rate = (int)lround(0.25 * v->fps), count[DN_GL_COUNT] = {0}, walking = 0;
    double *pelvis = malloc(4 * (size_t)n * sizeof(double)), *logt = pelvis + n, *vx = logt + n;
    double *rate = vx + n;
    unsigned char *raw = malloc((size_t)n);
    float *legs = malloc((size_t)n * sizeof(float));
    if (!pelvis || !raw || !legs) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
        goto cleanup;
    }
    s_lengths(v);
    for (int i = 0; i < n; i++) {
        bool ok = isfinite(v->leg_frame_px[i]);
        pelvis[i] = ok ? s_mid_x(v, i, DN_GK_HIP_L) : NAN;
        logt[i] = ok && v->torso_px[i] > 0 ? log(v->torso_px[i]) : NAN;
    }
    for (int i = 0; i < n; i++) {
        vx[i] = s_rate(v, pelvis, i, h_v > 0 ? h_v : 1) / v->leg_frame_px[i];
        rate[i] = s_rate(v, logt, i, h_rate > 0 ? h_rate : 1);
        double travel = s_rate(v, pelvis, i, h_act > 0 ? h_act : 1) / v->leg_frame_px[i];
        raw[i] = (unsigned char)s_label(v, i, vx[i], travel, rate[i], s_activity(v, i, h_act > 0 ? h_act : 1));
        count[raw[i]]++;
        v->dir[i] = 0.0f;
    }
    s_mode_filter(raw, v->label, n, (int)lround(0.25 * v->fps));
    int min_len = (int)ceil(v->opts->min_bout_s * v->fps);
    for (int s = 0; s < n && !rc;) {
        int e = s, l = v->label[s];
        while (e < n && v->label[e] == l)
            e++;
        bool walk = l >= DN_GL_SIDE_POS;
        walking += walk ? e - s : 0;
        if (walk && e - s >= min_len)
            rc = s_add_bout(v, s, e, l, vx, err);
        s = e;
    }
    if (!rc && v->res->n_bouts == 0)
        s_no_bout_reason(v, count, walking);
    int m = 0; /* leg length in profile: the scale for lengths */
    for (int i = 0; i < n; i++)
        if (fabsf(v->dir[i]) == 1.0f && isfinite(v->leg_frame_px[i]))
            legs[m++] = v->leg_frame_px[i];
    qsort(legs, (size_t)m, sizeof(*legs), s_compare_float);
    v->leg_px_side = m ? legs[m / 2] : NAN;
cleanup:
    free(pelvis);
    free(raw);
    free(legs);
    return rc;
}
