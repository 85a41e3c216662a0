/* params.c — strides and steps from the events, then the spatiotemporal
 * parameters, joint-angle cycles, symmetry, scale and quality.
 *
 * A complete stride of foot S runs from one heel strike of S to the next and
 * contains, in this order, toe off of the other foot O, heel strike of O and
 * toe off of S: HS_S < TO_O < HS_O < TO_S < HS_S'. Stance = TO_S - HS_S,
 * double support = (TO_O - HS_S) + (TO_S - HS_O) (Perry & Burnfield, Gait
 * Analysis, 2nd ed., ch. 1). A step is a pair of consecutive heel strikes of
 * opposite feet and belongs to the foot that strikes second. Step length is
 * the distance between the heels at their own strikes, along the walking
 * direction, in leg lengths (s_leg_length; Hof 1996, Gait & Posture
 * 4:222-223: scaling gait data to body size); metres only through an
 * explicit scale. */
#include <stdlib.h>
#include <string.h>

#include "gait_internal.h"

/* Plausible stride and step times (60-240 steps/min). */
#define S_STRIDE_MIN_S 0.5
#define S_STRIDE_MAX_S 2.5
#define S_STEP_MIN_S 0.25
#define S_STEP_MAX_S 1.25
/* Strides for a confident mean (Lord et al. 2011 recommend >= 6 per foot
 * for temporal means; we count both feet). */
#define S_STRIDES_FOR_FULL_CONFIDENCE 6.0
/* Event check (s_check_bout): a bout's events are rejected when their mean
 * step time differs from half the rhythm's stride period, or their mean
 * stride time from it, by more than this share. The rhythm errs by <= 1.5 %
 * on the walker (ACCURACY.md) and a steady bout's cadence varies by a few
 * percent; an event method that is 5 % off in the mean is off by far more
 * per event. Also rejected: fewer than S_MIN_ALTERNATION of consecutive
 * heel strikes alternating feet (walking does). */
#define S_RHYTHM_TOLERANCE 0.05
#define S_MIN_ALTERNATION 0.8
/* Confidence when only the rhythm is measured: half the temporal parameter
 * set (stance, swing, double support, per-step variability, symmetry) is
 * missing (README "Quality and confidence"). */
#define S_RHYTHM_CONFIDENCE 0.5
/* Why stance, swing and double support are null in a front/back view. */
static const char s_front_stance[] =
    "front/back view: stance, swing and double support need heel strike times, which a pose model's "
    "foot landmarks do not give facing the camera (the heel is hidden behind the foot from the front; "
    "from behind, the late swing's lowering and receding cancel in the image)";

/* Per-side value lists, one per parameter. */
struct s_values {
    double *v[DN_GP_COUNT][2];
    int n[DN_GP_COUNT][2];
};

/* A bout whose cadence comes from its rhythm: front/back views (events
 * there are too imprecise for step times: ACCURACY.md) and bouts whose
 * events were rejected. */
static bool s_rhythm_bout(const struct dn_gait_bout *b)
{
    return isfinite(b->stride_period_s) && (b->view != DN_GAIT_VIEW_SIDE || b->events_rejected[0]);
}

struct s_stride {
    int side, bout;
    double hs, to_o, hs_o, to_s, hs_next; /* fractional samples */
};

static void s_push(struct s_values *vals, int p, int side, double x)
{
    if (isfinite(x))
        vals->v[p][side][vals->n[p][side]++] = x;
}

/* Events of one bout, foot and type, in time order, into out; returns count. */
static int s_select(const struct dn_gait_result *r, int bout, int side, int type, const struct dn_gait_event **out)
{
    int n = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct dn_gait_event *e = &r->events[i];
        if (e->bout == bout && e->side == side && e->type == type)
            out[n++] = e;
    }
    return n;
}

/* The only event of (side, type) strictly inside (a, b), or NaN when there
 * is none or more than one (a missed or spurious event: not a clean stride). */
static double s_only_between(const struct dn_gait_result *r, int bout, int side, int type, double a, double b)
{
    double found = NAN;
    int n = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct dn_gait_event *e = &r->events[i];
        if (e->bout == bout && e->side == side && e->type == type && e->frame > a && e->frame < b)
            found = e->frame, n++;
    }
    return n == 1 ? found : NAN;
}

/* Complete strides of every bout and foot, into st (room: n_events). */
static int s_strides(const struct dn_gait_video *v, struct s_stride *st, const struct dn_gait_event **tmp)
{
    const struct dn_gait_result *r = v->res;
    int n = 0;
    for (size_t b = 0; b < r->n_bouts; b++)
        for (int side = 0; side < 2; side++) {
            int nh = s_select(r, (int)b, side, DN_GAIT_HEEL_STRIKE, tmp);
            for (int i = 0; i + 1 < nh; i++) {
                struct s_stride s = {side, (int)b, tmp[i]->frame, NAN, NAN, NAN, tmp[i + 1]->frame};
                double dur = (s.hs_next - s.hs) / v->fps;
                if (dur < S_STRIDE_MIN_S || dur > S_STRIDE_MAX_S)
                    continue;
                s.to_o = s_only_between(r, (int)b, !side, DN_GAIT_TOE_OFF, s.hs, s.hs_next);
                s.hs_o = s_only_between(r, (int)b, !side, DN_GAIT_HEEL_STRIKE, s.hs, s.hs_next);
                s.to_s = s_only_between(r, (int)b, side, DN_GAIT_TOE_OFF, s.hs, s.hs_next);
                if (s.to_o < s.hs_o && s.hs_o < s.to_s) /* NaN fails every comparison */
                    st[n++] = s;
            }
        }
    return n;
}

static double s_heel_x(const struct dn_gait_video *v, int side, double where)
{
    return dn_gait_interp(v->x + DN_GK_DIMS * (DN_GK_HEEL_L + side), DN_GK_CHANNELS, v->len, where);
}

/* Steps: consecutive heel strikes of opposite feet within a bout. */
static void s_steps(const struct dn_gait_video *v, struct s_values *vals, bool lengths)
{
    const struct dn_gait_result *r = v->res;
    const struct dn_gait_event *prev = NULL;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct dn_gait_event *e = &r->events[i];
        if (e->type != DN_GAIT_HEEL_STRIKE)
            continue;
        if (prev && prev->bout == e->bout && prev->side != e->side &&
            r->bouts[e->bout].view == DN_GAIT_VIEW_SIDE) {
            double dt = e->time_s - prev->time_s;
            if (dt >= S_STEP_MIN_S && dt <= S_STEP_MAX_S) {
                s_push(vals, DN_GP_STEP_TIME, e->side, dt);
                s_push(vals, DN_GP_CADENCE, e->side, 60.0 / dt); /* n and reason; mean: s_cadence */
                const struct dn_gait_bout *b = &r->bouts[e->bout];
                if (lengths && b->view == DN_GAIT_VIEW_SIDE && !b->treadmill)
                    s_push(vals, DN_GP_STEP_LENGTH, e->side,
                           fabs(s_heel_x(v, e->side, e->frame) - s_heel_x(v, prev->side, prev->frame)) /
                               v->leg_px);
            }
        }
        prev = e;
    }
}

/* Vertex value of the parabola through s[t-1], s[t], s[t+1] (the sample
 * itself when a neighbour is missing): peaks fall between frames, and at
 * 30 fps the sampled maximum of a knee flexion peak is ~0.5 deg short. */
static double s_peak(const float *s, int len, int t)
{
    if (t < 1 || t + 1 >= len || !isfinite(s[t - 1]) || !isfinite(s[t + 1]))
        return s[t];
    double a = s[t - 1], b = s[t], c = s[t + 1], den = a - 2 * b + c;
    if (den == 0)
        return b;
    double d = 0.5 * (a - c) / den;
    d = d > 0.5 ? 0.5 : d < -0.5 ? -0.5 : d;
    return b - 0.25 * (a - c) * d;
}

/* Extreme (sign +1 max, -1 min) over [a, b] (fractional samples) of signal
 * sg, or, with both = true, of the larger (max) / smaller (min) of the
 * pair sg, sg + 1 (left, right), with a sub-sample peak. NaN when a sample
 * is missing. */
static double s_extreme(const struct dn_gait_video *v, int sg, bool both, int sign, double a, double b)
{
    const float *s0 = dn_gv_sig(v, sg), *s1 = both ? dn_gv_sig(v, sg + 1) : s0;
    double best = -INFINITY;
    int tbest = -1;
    for (int t = (int)ceil(a); t <= (int)floor(b); t++) {
        double y = sign * fmax(sign * (double)s0[t], sign * (double)s1[t]);
        if (!isfinite(y))
            return NAN;
        if (sign * y > best)
            best = sign * y, tbest = t;
    }
    if (tbest < 0)
        return NAN;
    const float *s = (sign * s0[tbest] >= sign * s1[tbest]) ? s0 : s1;
    return sign * fmax(best, sign * s_peak(s, v->len, tbest));
}

/* Accumulates the time-normalised angle curve of one stride (sums in
 * mean[], squares in sd[]; finished by s_curves_finish). */
static void s_curve_add(const struct dn_gait_video *v, struct dn_gait_curve *c, int sg, double a, double b)
{
    const float *s = dn_gv_sig(v, sg);
    for (int p = 0; p < DN_GAIT_CURVE_POINTS; p++) {
        double y = dn_gait_interp(s, 1, v->len, a + (b - a) * p / (DN_GAIT_CURVE_POINTS - 1));
        c->mean[p] += (float)y;
        c->sd[p] += (float)(y * y);
    }
    c->cycles++;
}

static void s_curve_finish(struct dn_gait_curve *c)
{
    for (int p = 0; p < DN_GAIT_CURVE_POINTS && c->cycles > 0; p++) {
        double n = c->cycles, m = c->mean[p] / n, var = n > 1 ? (c->sd[p] - n * m * m) / (n - 1) : 0;
        c->mean[p] = (float)m;
        c->sd[p] = (float)sqrt(var > 0 ? var : 0);
    }
}

/* Joint angles of one side-view stride: ROM and peaks, and the curves.
 * Peaks are taken where they are label-proof: in the swing of foot S the
 * other leg stands, so the larger knee and hip flexion of the two legs is
 * S's, and in S's stance the other leg swings forward, so the smaller hip
 * angle (most extended) is S's. A pose model's brief left/right swap at the
 * legs' crossing would otherwise cut S's swing peak (by 5-8 deg on the
 * walker). The knee's minimum (extension) uses S's own label: a swap can
 * only raise it there.
 * Each knee extreme comes from the estimate that is well conditioned there
 * (README, "Knee"): the swing peak from the rigid chain (hip-ankle distance;
 * the knee landmark reads a bent knee ~12 % low), the minimum from the
 * landmark angle (near full extension the hip-ankle distance hardly changes
 * with the angle, so the chain's angle is noise there, while the landmark's
 * inward bias vanishes). Without limb lengths both come from the landmarks. */
static void s_stride_angles(struct dn_gait_video *v, const struct s_stride *s, struct s_values *vals)
{
    double kmax = s_extreme(v, DN_GK_KNEE_CHAIN_L, true, 1, s->to_s, s->hs_next);
    if (!isfinite(kmax))
        kmax = s_extreme(v, DN_GK_KNEE_FLEX_L, true, 1, s->to_s, s->hs_next);
    double kmin = s_extreme(v, DN_GK_KNEE_FLEX_L + s->side, false, -1, s->hs, s->hs_next);
    double hmax = s_extreme(v, DN_GK_HIP_FLEX_L, true, 1, s->to_s, s->hs_next);
    double hmin = s_extreme(v, DN_GK_HIP_FLEX_L, true, -1, s->hs, s->to_s);
    if (isfinite(kmax) && isfinite(kmin)) {
        s_push(vals, DN_GP_KNEE_ROM, s->side, kmax - kmin);
        s_push(vals, DN_GP_KNEE_PEAK, s->side, kmax);
        s_curve_add(v, &v->res->knee[s->side], DN_GK_KNEE_FLEX_L + s->side, s->hs, s->hs_next);
    }
    if (isfinite(hmax) && isfinite(hmin)) {
        s_push(vals, DN_GP_HIP_ROM, s->side, hmax - hmin);
        s_push(vals, DN_GP_HIP_PEAK_FLEX, s->side, hmax);
        s_push(vals, DN_GP_HIP_PEAK_EXT, s->side, -hmin);
        s_curve_add(v, &v->res->hip[s->side], DN_GK_HIP_FLEX_L + s->side, s->hs, s->hs_next);
    }
}

static void s_stride_values(struct dn_gait_video *v, const struct s_stride *s, struct s_values *vals)
{
    const struct dn_gait_bout *b = &v->res->bouts[s->bout];
    double T = s->hs_next - s->hs;
    if (b->view != DN_GAIT_VIEW_SIDE) /* timing from the rhythm; stance: s_front_stance */
        return;
    s_push(vals, DN_GP_STRIDE_TIME, s->side, T / v->fps);
    s_push(vals, DN_GP_STANCE_PCT, s->side, 100 * (s->to_s - s->hs) / T);
    s_push(vals, DN_GP_SWING_PCT, s->side, 100 * (s->hs_next - s->to_s) / T);
    s_push(vals, DN_GP_DOUBLE_SUPPORT_PCT, s->side, 100 * ((s->to_o - s->hs) + (s->to_s - s->hs_o)) / T);
    if (!b->treadmill) {
        double len = fabs(s_heel_x(v, s->side, s->hs_next) - s_heel_x(v, s->side, s->hs)) / v->leg_px;
        s_push(vals, DN_GP_STRIDE_LENGTH, s->side, len);
        s_push(vals, DN_GP_SPEED, s->side, len / (T / v->fps));
    }
    s_stride_angles(v, s, vals);
}

/* Leg length from the landmark model's world coordinates (m): median over
 * the track frames inside walking bouts of thigh + shank, both legs. */
static double s_world_leg(const struct dn_gait_video *v)
{
    const struct dn_track *t = v->in->track;
    double *legs = malloc((t->n_frames + 1) * sizeof(double));
    int n = 0;
    if (!legs)
        return NAN;
    for (size_t i = 0; i < t->n_frames; i++) {
        const struct dn_track_frame *f = &t->frames[i];
        int g = (int)lround((f->time_s - v->t0) * v->fps);
        if (!f->valid || g < 0 || g >= v->len || v->label[g] < DN_GL_SIDE_POS)
            continue;
        double sum = 0;
        for (int side = 0; side < 2; side++) {
            const struct dn_landmark *h = &f->world[DN_LM_LEFT_HIP + side], *k = &f->world[DN_LM_LEFT_KNEE + side],
                                     *a = &f->world[DN_LM_LEFT_ANKLE + side];
            sum += sqrt((h->x - k->x) * (h->x - k->x) + (h->y - k->y) * (h->y - k->y) + (h->z - k->z) * (h->z - k->z)) +
                   sqrt((k->x - a->x) * (k->x - a->x) + (k->y - a->y) * (k->y - a->y) + (k->z - a->z) * (k->z - a->z));
        }
        if (isfinite(sum) && sum > 0)
            legs[n++] = sum / 2;
    }
    double m = dn_gait_median(legs, n);
    free(legs);
    return m;
}

static void s_scale(struct dn_gait_video *v)
{
    struct dn_gait_result *r = v->res;
    r->leg_length_px = v->leg_px;
    r->leg_length_m = NAN;
    if (v->in->subject_height_cm > 0) {
        r->leg_length_m = DN_GAIT_LEG_PER_HEIGHT * v->in->subject_height_cm / 100.0;
        snprintf(r->scale_source, sizeof(r->scale_source), "subject_height");
    } else if (v->in->track->has_world && isfinite(r->leg_length_m = s_world_leg(v))) {
        snprintf(r->scale_source, sizeof(r->scale_source), "world_landmarks");
    } else {
        r->leg_length_m = NAN;
        snprintf(r->scale_reason, sizeof(r->scale_reason),
                 "scale unknown: no subject height (x-amz-meta-subject-height-cm or "
                 "--subject-height-cm) and no world landmarks");
    }
}

/* The first bout's event rejection, or NULL. */
static const char *s_rejection(const struct dn_gait_result *r)
{
    for (size_t b = 0; b < r->n_bouts; b++)
        if (r->bouts[b].events_rejected[0])
            return r->bouts[b].events_rejected;
    return NULL;
}

static bool s_any_front(const struct dn_gait_result *r)
{
    for (size_t b = 0; b < r->n_bouts; b++)
        if (r->bouts[b].view != DN_GAIT_VIEW_SIDE)
            return true;
    return false;
}

/* Why parameter p is not measured (called when its count is zero). */
static const char *s_reason(const struct dn_gait_video *v, int p, int side_strides, int overground)
{
    const struct dn_gait_result *r = v->res;
    bool length = p >= DN_GP_STEP_LENGTH && p <= DN_GP_SPEED_M_S;
    bool timing = p >= DN_GP_STANCE_PCT && p <= DN_GP_DOUBLE_SUPPORT_PCT;
    if (!r->detected)
        return "gait cycle not detected";
    if (length && side_strides == 0)
        return "lengths and speed need a side view (walking across the image); only front/back views were found";
    if (length && overground == 0)
        return "walking in place (treadmill): the ground moves, so lengths and speed cannot be measured from video";
    if (length && p >= DN_GP_STEP_LENGTH_M)
        return r->scale_reason;
    if (p >= DN_GP_KNEE_ROM && side_strides == 0)
        return "joint angles need a side view (walking across the image)";
    if (timing && side_strides == 0 && s_any_front(r))
        return s_front_stance;
    const char *rejected = s_rejection(r);
    return rejected ? rejected : "not enough consistent gait events";
}

static void s_fill_params(struct dn_gait_video *v, struct s_values *vals, double *both, int side_strides,
                          int overground)
{
    struct dn_gait_result *r = v->res;
    double scale = r->leg_length_m;
    for (int side = 0; side < 2 && isfinite(scale); side++)
        for (int i = 0; i < 3; i++) /* step, stride, speed -> metres */
            for (int k = 0; k < vals->n[DN_GP_STEP_LENGTH + i][side]; k++)
                s_push(vals, DN_GP_STEP_LENGTH_M + i, side, vals->v[DN_GP_STEP_LENGTH + i][side][k] * scale);
    for (int p = 0; p < DN_GP_COUNT; p++) {
        struct dn_gait_param *par = &r->params[p];
        int nl = r->detected ? vals->n[p][0] : 0, nr = r->detected ? vals->n[p][1] : 0;
        dn_gait_stat_of(&par->side[0], vals->v[p][0], nl);
        dn_gait_stat_of(&par->side[1], vals->v[p][1], nr);
        memcpy(both, vals->v[p][0], nl * sizeof(double));
        memcpy(both + nl, vals->v[p][1], nr * sizeof(double));
        dn_gait_stat_of(&par->all, both, nl + nr);
        if (par->all.n == 0)
            snprintf(par->reason, sizeof(par->reason), "%s", s_reason(v, p, side_strides, overground));
    }
}

/* Cadence is steps per minute of walking: 60 / mean step time. The mean of
 * the per-step rates 60 / dt would be biased up by any event jitter (one
 * heel strike 2 frames early makes one step shorter and the next longer by
 * as much, but raises their mean rate: +2.8 steps/min at 128 steps/min and
 * 30 fps). Its CV is the step times' (the same to first order). */
static void s_cadence(struct dn_gait_result *r)
{
    struct dn_gait_param *c = &r->params[DN_GP_CADENCE];
    const struct dn_gait_param *st = &r->params[DN_GP_STEP_TIME];
    struct dn_gait_stat *to[3] = {&c->all, &c->side[0], &c->side[1]};
    const struct dn_gait_stat *from[3] = {&st->all, &st->side[0], &st->side[1]};
    for (int i = 0; i < 3; i++)
        if (from[i]->n > 0 && from[i]->mean > 0)
            *to[i] = (struct dn_gait_stat){60.0 / from[i]->mean, from[i]->cv, from[i]->n};
}

static void s_symmetry(struct dn_gait_result *r)
{
    static const int from[DN_GS_COUNT] = {DN_GP_STEP_TIME, DN_GP_STANCE_PCT, DN_GP_STEP_LENGTH, DN_GP_KNEE_ROM};
    for (int i = 0; i < DN_GS_COUNT; i++) {
        const struct dn_gait_param *p = &r->params[from[i]];
        double l = p->side[0].mean, rr = p->side[1].mean;
        r->symmetry[i] = p->side[0].n && p->side[1].n && l + rr != 0 ? 100 * fabs(l - rr) / (0.5 * (l + rr)) : NAN;
    }
}

/* Share of track frames with a pose whose torso and leg landmarks are all
 * visible (visibility >= 0.5, present in the frame). */
static double s_pose_share(const struct dn_gait_video *v)
{
    static const int need[] = {DN_LM_LEFT_SHOULDER, DN_LM_RIGHT_SHOULDER, DN_LM_LEFT_HIP, DN_LM_RIGHT_HIP,
                               DN_LM_LEFT_KNEE, DN_LM_RIGHT_KNEE, DN_LM_LEFT_ANKLE, DN_LM_RIGHT_ANKLE,
                               DN_LM_LEFT_HEEL, DN_LM_RIGHT_HEEL, DN_LM_LEFT_FOOT_INDEX, DN_LM_RIGHT_FOOT_INDEX};
    const struct dn_track *t = v->in->track;
    size_t good = 0;
    for (size_t i = 0; i < t->n_frames; i++) {
        bool ok = t->frames[i].valid;
        for (size_t k = 0; ok && k < sizeof(need) / sizeof(need[0]); k++)
            ok = t->frames[i].image[need[k]].visibility >= 0.5f &&
                 t->frames[i].image[need[k]].presence >= v->opts->min_presence;
        good += ok;
    }
    return t->n_frames ? (double)good / (double)t->n_frames : 0;
}

/* Quality and the overall confidence (README, "confidence"):
 *   confidence = min(1, strides / 6) * cbrt(pose_share * regularity * event_confidence)
 * The stride term is linear because a mean over few strides is proportionally
 * less certain; the others enter as a geometric mean so any one of them near
 * zero (no pose, erratic strides, weak events) pulls the whole down. */
static void s_quality(struct dn_gait_video *v, const double *stride_times, int ns)
{
    struct dn_gait_result *r = v->res;
    struct dn_gait_quality *q = &r->quality;
    struct dn_gait_stat st;
    double conf = 0, in_bouts = 0;
    for (size_t b = 0; b < r->n_bouts; b++)
        in_bouts += (r->bouts[b].end_s - r->bouts[b].start_s) * v->fps + 1;
    q->frames = (int)v->in->track->n_frames;
    q->frames_with_pose_pct = 100 * s_pose_share(v);
    q->frames_in_bouts_pct = v->len ? 100.0 * in_bouts / v->len : 0;
    dn_gait_stat_of(&st, stride_times, ns);
    q->stride_time_cv = st.cv;
    q->regularity = isfinite(st.cv) ? exp(-(st.cv / 0.10) * (st.cv / 0.10)) : 0;
    for (size_t i = 0; i < r->n_events; i++)
        conf += r->events[i].confidence;
    q->event_confidence = r->n_events ? conf / r->n_events : 0;
    double w = 0, reg = 0;
    for (size_t b = 0; b < r->n_bouts; b++)
        if (isfinite(r->bouts[b].stride_regularity)) {
            double d = r->bouts[b].end_s - r->bouts[b].start_s;
            w += d;
            reg += d * r->bouts[b].stride_regularity;
        }
    q->stride_regularity = w > 0 ? reg / w : NAN;
    q->confidence = r->detected ? fmin(1.0, ns / S_STRIDES_FOR_FULL_CONFIDENCE) *
                                      cbrt(q->frames_with_pose_pct / 100 * q->regularity * q->event_confidence)
                                : 0;
    if (r->detected && r->temporal == DN_GAIT_TEMPORAL_PERIODICITY)
        q->confidence = S_RHYTHM_CONFIDENCE *
                        fmin(1.0, r->params[DN_GP_STRIDE_TIME].all.n / S_STRIDES_FOR_FULL_CONFIDENCE) *
                        sqrt(q->frames_with_pose_pct / 100 * fmax(0.0, q->stride_regularity));
}

/* The view of the bouts with the most strides (ties: the longest bouts). */
static int s_main_view(const struct dn_gait_result *r)
{
    double score[4] = {0};
    int best = DN_GAIT_VIEW_NONE;
    for (size_t b = 0; b < r->n_bouts; b++) {
        const struct dn_gait_bout *bt = &r->bouts[b];
        double d = bt->end_s - bt->start_s, rhythm = s_rhythm_bout(bt) ? floor(d / bt->stride_period_s) : 0;
        score[bt->view] += (bt->strides + rhythm) * 1000.0 + d;
    }
    for (int k = 1; k < 4; k++)
        if (score[k] > score[best])
            best = k;
    return best;
}

static void s_detect(struct dn_gait_result *r, int ns)
{
    r->detected = ns >= 2 || r->temporal == DN_GAIT_TEMPORAL_PERIODICITY;
    if (r->detected)
        r->reason[0] = 0;
    else if (!r->reason[0] && s_rejection(r))
        snprintf(r->reason, sizeof(r->reason), "%s", s_rejection(r));
    else if (!r->reason[0] && r->n_events == 0)
        snprintf(r->reason, sizeof(r->reason), "no gait events found in %zu walking bout(s)", r->n_bouts);
    else if (!r->reason[0])
        snprintf(r->reason, sizeof(r->reason),
                 "only %d complete stride(s) found; at least 2 are needed", ns);
}

/* Leg length, px: thigh + shank (median over side-view frames, bouts.c)
 * plus the vertical ankle-to-heel landmark distance with the foot flat, taken
 * at 20 % of each side-view stride (foot flat lasts from ~8 % to ~30 % of the
 * cycle; Perry & Burnfield). Together: the hip joint's height above the
 * heel landmark, close to the trochanteric leg length L0 that Hof (1996)
 * normalises by, and measurable from any side-view clip. NaN without a
 * side-view stride. */
static double s_leg_length(const struct dn_gait_video *v, const struct s_stride *st, int ns, double *scratch)
{
    int n = 0;
    for (int i = 0; i < ns; i++) {
        if (v->res->bouts[st[i].bout].view != DN_GAIT_VIEW_SIDE)
            continue;
        double w = st[i].hs + 0.2 * (st[i].hs_next - st[i].hs);
        double heel = dn_gait_interp(v->x + DN_GK_DIMS * (DN_GK_HEEL_L + st[i].side) + 1, DN_GK_CHANNELS, v->len, w);
        double ankle = dn_gait_interp(v->x + DN_GK_DIMS * (DN_GK_ANKLE_L + st[i].side) + 1, DN_GK_CHANNELS, v->len, w);
        if (isfinite(heel - ankle))
            scratch[n++] = fabs(heel - ankle);
    }
    return n ? v->leg_px_side + dn_gait_median(scratch, n) : NAN;
}

/* Event check of bout b (README "Rhythm"): view-independent consistency of
 * its heel strikes with each other and with the bout's rhythm. Walking
 * alternates feet; the mean step time must be half the rhythm's stride
 * period and the mean stride time the period itself. A failed bout gets a
 * reason in events_rejected (its events are then dropped: a wrong time
 * must not be published as a measurement). */
static void s_check_bout(struct dn_gait_video *v, int b)
{
    struct dn_gait_bout *bt = &v->res->bouts[b];
    const struct dn_gait_event *e = v->res->events, *prev = NULL, *last[2] = {NULL, NULL};
    double step = 0, stride = 0, T = bt->stride_period_s;
    int nstep = 0, nstride = 0, pairs = 0, alternating = 0;
    bool any = false; /* an event of either kind in the bout */
    for (size_t i = 0; i < v->res->n_events; i++) {
        any |= e[i].bout == b;
        if (e[i].bout != b || e[i].type != DN_GAIT_HEEL_STRIKE)
            continue;
        double dt = prev ? e[i].time_s - prev->time_s : INFINITY;
        if (dt <= S_STEP_MAX_S) {
            pairs++;
            alternating += prev->side != e[i].side;
            if (prev->side != e[i].side && dt >= S_STEP_MIN_S)
                step += dt, nstep++;
        }
        if (last[e[i].side] && (dt = e[i].time_s - last[e[i].side]->time_s) >= S_STRIDE_MIN_S && dt <= S_STRIDE_MAX_S)
            stride += dt, nstride++;
        prev = last[e[i].side] = &e[i];
    }
    step = nstep ? step / nstep : NAN;
    stride = nstride ? stride / nstride : NAN;
    /* Facing the camera events are published only as far as the rhythm
     * confirms them: unchecked, they were off by up to 0.5 s on the walker
     * (ACCURACY.md). */
    if (any && bt->view != DN_GAIT_VIEW_SIDE && !isfinite(T))
        snprintf(bt->events_rejected, sizeof(bt->events_rejected),
                 "gait events rejected: facing the camera they are kept only when the feet's "
                 "periodicity confirms them, and this bout has no clear rhythm");
    else if (pairs >= 2 && alternating < S_MIN_ALTERNATION * pairs)
        snprintf(bt->events_rejected, sizeof(bt->events_rejected),
                 "gait events rejected: only %d of %d consecutive heel strikes alternate feet", alternating, pairs);
    else if (isfinite(T) && (fabs(step / (T / 2) - 1) > S_RHYTHM_TOLERANCE || fabs(stride / T - 1) > S_RHYTHM_TOLERANCE))
        snprintf(bt->events_rejected, sizeof(bt->events_rejected),
                 "gait events rejected: their mean step %.3f s / stride %.3f s disagree with the %.3f s stride "
                 "of the feet's periodicity by more than %.0f %%", step, stride, T, 100 * S_RHYTHM_TOLERANCE);
}

/* Rhythm and event check of every bout; events of rejected bouts dropped. */
static void s_check_bouts(struct dn_gait_video *v)
{
    struct dn_gait_result *r = v->res;
    for (size_t b = 0; b < r->n_bouts; b++) {
        struct dn_gait_bout *bt = &r->bouts[b];
        int lo = (int)lround((bt->start_s - v->t0) * v->fps), hi = (int)lround((bt->end_s - v->t0) * v->fps) + 1;
        bt->events_rejected[0] = 0;
        dn_gait_rhythm(v, lo, hi < v->len ? hi : v->len, bt->view == DN_GAIT_VIEW_SIDE, &bt->stride_period_s, &bt->stride_regularity);
        s_check_bout(v, (int)b);
    }
    size_t k = 0;
    for (size_t i = 0; i < r->n_events; i++)
        if (!r->bouts[r->events[i].bout].events_rejected[0])
            r->events[k++] = r->events[i];
    r->n_events = k;
}

/* Cadence, step and stride time from the rhythm bouts (temporal is
 * periodicity: no step was timed by events): duration-weighted mean period;
 * n = whole steps and strides the bouts span; no CV (one period per bout)
 * and no sides. */
static void s_rhythm_params(struct dn_gait_result *r)
{
    double w = 0, sum = 0, steps = 0;
    for (size_t b = 0; b < r->n_bouts; b++) {
        const struct dn_gait_bout *bt = &r->bouts[b];
        double d = bt->end_s - bt->start_s;
        if (!s_rhythm_bout(bt))
            continue;
        w += d;
        sum += d * bt->stride_period_s;
        steps += floor(2 * d / bt->stride_period_s);
    }
    double T = sum / w; /* w > 0: a rhythm spans two strides */
    struct { int p; double mean; int n; } set[3] = {
        {DN_GP_STEP_TIME, T / 2, (int)steps}, {DN_GP_STRIDE_TIME, T, (int)(steps / 2)}, {DN_GP_CADENCE, 120 / T, (int)steps}};
    for (int i = 0; i < 3; i++) {
        struct dn_gait_param *par = &r->params[set[i].p];
        par->all = (struct dn_gait_stat){set[i].mean, NAN, set[i].n};
        par->reason[0] = 0;
        for (int s = 0; s < 2; s++)
            par->side[s] = (struct dn_gait_stat){NAN, NAN, 0};
    }
}

int dn_gait_compute_params(struct dn_gait_video *v, struct dn_err *err)
{
    struct dn_gait_result *r = v->res;
    size_t cap = r->n_events + 1;
    struct s_values vals = {0};
    struct s_stride *st = malloc(cap * sizeof(*st));
    const struct dn_gait_event **tmp = malloc(cap * sizeof(*tmp));
    double *both = malloc(2 * cap * sizeof(double)), *times = malloc(cap * sizeof(double));
    double *pool = malloc((size_t)DN_GP_COUNT * 2 * cap * sizeof(double));
    int rc = 0, side_strides = 0, overground = 0;
    if (!st || !tmp || !both || !times || !pool) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
        goto cleanup;
    }
    for (int p = 0; p < DN_GP_COUNT; p++)
        for (int s = 0; s < 2; s++)
            vals.v[p][s] = pool + ((size_t)p * 2 + s) * cap;
    s_check_bouts(v);
    int ns = s_strides(v, st, tmp);
    v->leg_px = s_leg_length(v, st, ns, times);
    for (int i = 0; i < ns; i++) {
        const struct dn_gait_bout *b = &r->bouts[st[i].bout];
        s_stride_values(v, &st[i], &vals);
        r->bouts[st[i].bout].strides++;
        r->quality.strides[st[i].side]++;
        side_strides += b->view == DN_GAIT_VIEW_SIDE;
        overground += b->view == DN_GAIT_VIEW_SIDE && !b->treadmill;
        times[i] = (st[i].hs_next - st[i].hs) / v->fps;
    }
    r->quality.complete_strides = ns;
    s_steps(v, &vals, true);
    r->temporal = vals.n[DN_GP_STEP_TIME][0] + vals.n[DN_GP_STEP_TIME][1] > 0 ? DN_GAIT_TEMPORAL_EVENTS
                                                                             : DN_GAIT_TEMPORAL_NONE;
    for (size_t b = 0; b < r->n_bouts && r->temporal == DN_GAIT_TEMPORAL_NONE; b++)
        if (s_rhythm_bout(&r->bouts[b]))
            r->temporal = DN_GAIT_TEMPORAL_PERIODICITY;
    s_detect(r, ns);
    s_scale(v);
    s_fill_params(v, &vals, both, side_strides, overground);
    s_cadence(r);
    if (r->detected && r->temporal == DN_GAIT_TEMPORAL_PERIODICITY)
        s_rhythm_params(r);
    for (int s = 0; s < 2; s++) {
        s_curve_finish(&r->knee[s]);
        s_curve_finish(&r->hip[s]);
        if (!r->detected)
            r->knee[s].cycles = r->hip[s].cycles = 0;
    }
    s_symmetry(r);
    s_quality(v, times, ns);
    r->view = s_main_view(r);
cleanup:
    free(st);
    free(tmp);
    free(both);
    free(times);
    free(pool);
    return rc;
}
