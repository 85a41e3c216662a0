/* events.c — heel strikes and toe offs per foot, from the kernels' signals
 * and extremum candidates.
 *
 * Side view (Zeni, Richards & Higginson 2008, Gait & Posture 27:710-714):
 * heel strike is the instant the heel is furthest ahead of the pelvis, toe
 * off the instant the toe is furthest behind it, both along the walking
 * direction. The pelvis is the midpoint of the hip landmarks; a constant
 * offset of those landmarks from the true hip joints (BlazePose places them
 * above and lateral to the joint centres) shifts the signals, not the times
 * of their extrema. Peaks are interpolated to sub-frame precision by the
 * extrema kernel. Extrema count when their prominence is a sizable fraction
 * of the leg length, so small wobbles of a noisy track are not events.
 *
 * Front/back view (no walking direction in the image plane): with a static
 * camera the stance foot does not move in the image, whatever the view, so
 * a foot's image speed is near zero in stance and peaks in swing (the
 * foot-velocity idea of O'Connor et al. 2007, Gait & Posture 25:469-474,
 * applied to image coordinates). Each swing peak of the heel speed marks a
 * swing phase, the slowest sample between two swings the middle of a
 * stance; toe off and heel strike are where the toe and heel speeds rise
 * above S_STILL_FRAC of the swing peak on the way out of the stances around
 * it (s_front_foot), with linear sub-frame interpolation. */
#include <stdlib.h>
#include <string.h>

#include "gait_internal.h"

/* The Zeni signals come in torso lengths (kernels); a leg (hip joint height
 * above the heel landmark, 0.52 H) is 1.8 torsos (hip to shoulder joint
 * height, 0.288 H; Winter 2009, Fig. 4.1). */
#define S_LEG_PER_TORSO 1.8
/* Minimum prominence of a Zeni extremum, leg lengths (typical: 0.6-1.0). */
#define S_ZENI_PROMINENCE 0.15
/* Same-foot events closer than this cannot both be real (300 steps/min);
 * events of alternating feet (the Zeni envelopes) half of it. */
#define S_MIN_SEPARATION_S 0.4
/* Front/back: a swing peak must reach this share of the bout's 90th
 * percentile of heel speed; a foot is still below S_STILL_FRAC of its swing
 * peak. The low-pass filter rounds the corners where the speed leaves or
 * reaches zero, so no threshold is unbiased for every speed profile; this
 * one is checked against the synthetic walker's exact events
 * (tests/gait/walker_accuracy.py). */
#define S_SWING_PEAK_FRAC 0.4
#define S_STILL_FRAC 0.1
/* Refinement of Zeni's events (s_refine): how far it may move an event and
 * how long the foot must rest after (heel) or before (toe) it; the speed
 * threshold is S_STILL_FRAC of the swing peak. Checked on the synthetic
 * walker (tests/gait/walker_accuracy.py, ACCURACY.md). */
#define S_REFINE_S 0.2
#define S_STILL_HOLD_S 0.1

struct s_cand {
    double where; /* fractional sample */
    double value;
    double prominence;
};

int dn_gait_add_event(struct dn_gait_video *v, const struct dn_gait_event *e, struct dn_err *err)
{
    struct dn_gait_result *r = v->res;
    if (r->n_events == v->cap_events) {
        size_t cap = v->cap_events ? 2 * v->cap_events : 64;
        struct dn_gait_event *ne = realloc(r->events, cap * sizeof(*ne));
        if (!ne)
            return dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
        r->events = ne;
        v->cap_events = cap;
    }
    r->events[r->n_events++] = *e;
    return 0;
}

/* Prominence of the extremum at sample t of s within [lo, hi): how far it
 * stands above (sign +1) or below (-1) the higher of the two lowest points
 * reached before meeting a more extreme sample or a gap on either side. */
static double s_prominence(const float *s, int lo, int hi, int t, int sign)
{
    double peak = sign * s[t], base[2] = {peak, peak};
    for (int d = 0; d < 2; d++) {
        int step = d ? 1 : -1;
        for (int j = t + step; j >= lo && j < hi && isfinite(s[j]); j += step) {
            double y = sign * s[j];
            if (y > peak)
                break;
            if (y < base[d])
                base[d] = y;
        }
    }
    return peak - (base[0] > base[1] ? base[0] : base[1]);
}

static int s_by_prominence(const void *a, const void *b)
{
    double x = ((const struct s_cand *)a)->prominence, y = ((const struct s_cand *)b)->prominence;
    return (x < y) - (x > y);
}

static int s_by_time(const void *a, const void *b)
{
    double x = ((const struct s_cand *)a)->where, y = ((const struct s_cand *)b)->where;
    return (x > y) - (x < y);
}

/* Extrema of signal sg (kind sign) in [lo, hi) with prominence >= min_prom,
 * thinned to one per min_sep samples (most prominent first), in time order.
 * c has room for hi - lo entries. Returns the count. */
static int s_candidates(const struct dn_gait_video *v, int sg, int sign, int lo, int hi,
                        double min_prom, double min_sep, struct s_cand *c)
{
    const float *s = dn_gv_sig(v, sg);
    const signed char *kind = v->kind + (long)sg * v->T;
    int n = 0, kept = 0;
    for (int t = lo; t < hi; t++) {
        if (kind[t] != sign)
            continue;
        double p = s_prominence(s, lo, hi, t, sign);
        if (p >= min_prom)
            c[n++] = (struct s_cand){v->where[(long)sg * v->T + t], v->value[(long)sg * v->T + t], p};
    }
    qsort(c, (size_t)n, sizeof(*c), s_by_prominence);
    for (int i = 0; i < n; i++) {
        bool clash = false;
        for (int j = 0; j < kept && !clash; j++)
            clash = fabs(c[j].where - c[i].where) < min_sep;
        if (!clash)
            c[kept++] = c[i];
    }
    qsort(c, (size_t)kept, sizeof(*c), s_by_time);
    return kept;
}

/* Mean pre-filter visibility of the landmarks behind an event at sample i:
 * low when the landmark was occluded or the sample was gap-filled. */
static float s_visibility(const struct dn_gait_video *v, double where, int foot_point, int side)
{
    int i = (int)lround(where);
    i = i < 0 ? 0 : i >= v->len ? v->len - 1 : i;
    const float *vis = v->vis + (long)i * DN_GK_POINTS;
    return (vis[foot_point + side] + vis[DN_GK_HIP_L] + vis[DN_GK_HIP_R]) / 3.0f;
}

/* Frame-edge rule: an event is dropped when a landmark of its foot (heel,
 * ankle or toe) comes within S_EDGE_MARGIN leg lengths of the picture's
 * border within S_EDGE_WINDOW_S of it. A pose model sees a foot entering or
 * leaving the picture only in part and misplaces it (on the walker's
 * portrait clip BlazePose pulled the stance foot back by up to half a leg
 * for four frames as its toe reached the border, which moved that heel
 * strike 0.045 s early); an event there is incomplete, not just noisy.
 * The window spans what the event's detection looks at (Zeni's extremum
 * and the refinement's search and rest). */
#define S_EDGE_MARGIN 0.1
#define S_EDGE_WINDOW_S 0.2

static bool s_near_edge(const struct dn_gait_video *v, double where, int side)
{
    const struct dn_track *t = v->in->track;
    int c = (int)lround(where), w = (int)lround(S_EDGE_WINDOW_S * v->fps);
    double leg = c >= 0 && c < v->len && isfinite(v->leg_frame_px[c]) ? v->leg_frame_px[c] : v->leg_px_side;
    double m = isfinite(leg) ? S_EDGE_MARGIN * leg : 0;
    static const int foot[] = {DN_GK_HEEL_L, DN_GK_ANKLE_L, DN_GK_TOE_L};
    for (int i = c - w; i <= c + w; i++) {
        if (i < 0 || i >= v->len)
            continue;
        for (int k = 0; k < 3; k++) {
            double x = dn_gv_x(v, i, foot[k] + side), y = dn_gv_y(v, i, foot[k] + side);
            if (x < m || y < m || x > t->width - m || y > t->height - m) /* NaN: no landmark, no verdict */
                return true;
        }
    }
    return false;
}

static int s_emit(struct dn_gait_video *v, double where, int side, int type, double conf, int bout,
                  struct dn_err *err)
{
    if (!isfinite(where) || s_near_edge(v, where, side)) /* incomplete (s_refine, s_near_edge) */
        return 0;
    struct dn_gait_event e = {
        .time_s = dn_gv_time(v, where), .frame = where, .side = side, .type = type,
        .confidence = (float)(conf < 0 ? 0 : conf > 1 ? 1 : conf), .bout = bout};
    return dn_gait_add_event(v, &e, err);
}

/* How a Zeni event is refined (s_refine), by view:
 *   IMAGE  side view: the foot point's image speed (x and y); the foot moves
 *          across the image and rests on the floor in stance.
 *   AXIS   front/back view: its speed over the floor along the depth axis.
 *          The image speed is no use there: moving away from the camera
 *          (up the image) cancels descending onto the floor (down the
 *          image) at a back-view heel strike, lifting cancels approaching at
 *          a front-view toe off. Depth is the pose model's noisiest
 *          coordinate, so its derivative spans +-0.1 s. */
enum s_refine_by { S_BY_IMAGE, S_BY_AXIS };

/* Speed of a foot point along the walking axis relative to the floor, px
 * per frame: the derivative (over +-d samples) of its
 * position relative to the pelvis (a Zeni signal) plus the pelvis speed V.
 * Zero while the point rests on the floor; NaN where data are missing. */
static double s_floor_speed(const float *rel, int t, int d, int lo, int hi, double V)
{
    if (t - d < lo || t + d >= hi || !isfinite(rel[t - d]) || !isfinite(rel[t + d]))
        return NAN;
    return fabs((rel[t + d] - rel[t - d]) / (2.0 * d) + V);
}

/* Pelvis speed along the walking axis in one bout, px per frame, from the
 * feet: a stance foot's position relative to the pelvis falls at exactly
 * the pelvis speed, and each foot is in stance more than half the time when
 * walking, so the median rate of change of the four Zeni signals is -V. This
 * holds on a treadmill (V is then the belt speed) and along the depth axis
 * of front/back views, where V cannot be measured from the pelvis itself. */
static double s_pelvis_speed(const struct dn_gait_video *v, int lo, int hi, struct s_cand *scratch)
{
    int n = 0;
    for (int sg = DN_GK_HEEL_REL_L; sg <= DN_GK_TOE_REL_R; sg++) {
        const float *rel = dn_gv_sig(v, sg);
        for (int t = lo + 1; t + 1 < hi; t++)
            if (isfinite(rel[t - 1]) && isfinite(rel[t + 1]))
                scratch[n++].prominence = 0.5 * (rel[t + 1] - rel[t - 1]);
    }
    if (n == 0)
        return NAN;
    qsort(scratch, (size_t)n, sizeof(*scratch), s_by_prominence); /* descending */
    return -scratch[n / 2].prominence;
}

/* The foot's speed at t by the chosen measure (see enum s_refine_by). */
struct s_speed {
    enum s_refine_by by;
    const float *sig; /* image speed, or the Zeni signal for AXIS */
    int d, lo, hi;
    double V;
};

static double s_speed_at(const struct s_speed *sp, int t)
{
    if (sp->by == S_BY_AXIS)
        return s_floor_speed(sp->sig, t, sp->d, sp->lo, sp->hi, sp->V);
    return t >= sp->lo && t < sp->hi ? sp->sig[t] : NAN;
}

/* Refines a Zeni event to the instant the foot stops (heel strike) or
 * starts (toe off) moving, which is what contact means for a static camera
 * and floor. Zeni's extremum is where the foot moves as fast as the pelvis,
 * not where it stops: on the walker heel strike came 0.05 s early and toe
 * off 0.03 s late (stance +7 points). Searching from the Zeni instant (at
 * most S_REFINE_S) toward the stance, the event is where the speed falls to
 * `frac` of its swing peak (the 0.4 s of swing next to the event), and the
 * foot must then rest for S_STILL_HOLD_S; otherwise Zeni's instant stands.
 * Bout-edge rule: where a sample the refinement needs is missing (the bout
 * ends or starts, or the track has a gap there) the event is incomplete and
 * NaN is returned: falling back to Zeni's instant there put the last heel
 * strike of the walker's VFR clip 0.06 s early (cadence +1.3 steps/min
 * over 5 steps). */
static double s_refine(const struct s_speed *sp, double where, bool hs, double frac, double fps)
{
    int t = (int)lround(where), step = hs ? 1 : -1, span = (int)lround(S_REFINE_S * fps);
    int hold = (int)lround(S_STILL_HOLD_S * fps), swing = (int)lround(0.4 * fps);
    double peak = 0, prev = NAN;
    for (int k = 0; k <= swing; k++) {
        double w = s_speed_at(sp, t - step * k);
        peak = isfinite(w) && w > peak ? w : peak;
    }
    double thr = frac * peak;
    for (int k = 0; k <= span && thr > 0; k++) {
        int j = t + step * k;
        double w = s_speed_at(sp, j);
        if (!isfinite(w))
            return NAN;
        if (w <= thr) {
            for (int h = 1; h <= hold; h++) {
                double u = s_speed_at(sp, j + step * h);
                if (!isfinite(u))
                    return NAN;
                if (!(u <= 2 * thr))
                    return where;
            }
            return k == 0 ? j : (j - step) + step * (prev - thr) / (prev - w);
        }
        prev = w;
    }
    return where;
}

/* Refines one Zeni event by the measure its view calls for. */
static double s_refine_event(const struct dn_gait_video *v, int view, int side, int type, double where,
                             int lo, int hi, double V)
{
    bool hs = type == DN_GAIT_HEEL_STRIKE;
    bool axis = view != DN_GAIT_VIEW_SIDE;
    struct s_speed sp = {S_BY_IMAGE, NULL, 1, lo, hi, V};
    if (axis) {
        sp.by = S_BY_AXIS;
        sp.sig = dn_gv_sig(v, (hs ? DN_GK_HEEL_REL_L : DN_GK_TOE_REL_L) + side);
        sp.d = (int)lround(0.1 * v->fps) > 1 ? (int)lround(0.1 * v->fps) : 1;
        if (!isfinite(V))
            return where;
    } else {
        sp.sig = dn_gv_sig(v, (hs ? DN_GK_HEEL_SPEED_L : DN_GK_TOE_SPEED_L) + side);
    }
    return s_refine(&sp, where, hs, S_STILL_FRAC, v->fps);
}

/* Share of "right" in the leading/trailing side signal over +-2 frames of a
 * Zeni candidate: the pose model's own left/right label there. */
static double s_right_vote(const struct dn_gait_video *v, int side_sig, double where, int lo, int hi)
{
    const float *s = dn_gv_sig(v, side_sig);
    int t = (int)lround(where), right = 0, n = 0;
    for (int j = t - 2; j <= t + 2; j++)
        if (j >= lo && j < hi && !isnan(s[j]))
            right += s[j] > 0.5f, n++;
    return n ? (double)right / n : 0.5;
}

static int s_by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Removes candidates (time order) closer to a neighbour than 0.6 of the
 * median interval, the less prominent of each such pair: heel strikes of
 * alternating feet come a step apart, and an extra extremum (a glitch the
 * filters let through) would break the alternation of the sides. Returns
 * the new count. */
static int s_drop_crowded(struct s_cand *c, int n)
{
    double gaps[64];
    int m = 0;
    for (int i = 1; i < n && m < 64; i++)
        gaps[m++] = c[i].where - c[i - 1].where;
    if (m < 3)
        return n;
    qsort(gaps, (size_t)m, sizeof(*gaps), s_by_double);
    double min_gap = 0.6 * gaps[m / 2];
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k > 0 && c[i].where - c[k - 1].where < min_gap) {
            if (c[i].prominence > c[k - 1].prominence)
                c[k - 1] = c[i];
            continue;
        }
        c[k++] = c[i];
    }
    return k;
}

/* Sides of consecutive heel strikes (c[0..n), time order, vote in .value):
 * walking alternates feet, so within a run without a missed strike (gap
 * below 1.6 mean intervals) the sides alternate, starting with whichever
 * foot agrees with more of the labels. Labels alone would follow every
 * left/right swap of the pose model at the instant of an event. */
static void s_alternate(struct s_cand *c, int n, int *side)
{
    double med = 0;
    for (int i = 1; i < n; i++)
        med += c[i].where - c[i - 1].where;
    med = n > 1 ? med / (n - 1) : 0;
    for (int s = 0; s < n;) {
        int e = s + 1;
        while (e < n && c[e].where - c[e - 1].where < 1.6 * med)
            e++;
        double agree = 0; /* votes for "first foot of the run is the right" */
        for (int i = s; i < e; i++)
            agree += ((i - s) & 1) ? 1 - c[i].value : c[i].value;
        int first = agree > 0.5 * (e - s);
        for (int i = s; i < e; i++)
            side[i] = ((i - s) & 1) ? !first : first;
        s = e;
    }
}

/* Zeni events of both feet in one bout [lo, hi), along x in a side view and
 * along the relative depth z in a front/back view (the kernels pick the
 * axis). Heel strikes are the maxima of the leading heel, toe offs the
 * minima of the trailing toe: the two feet's signals exchange values
 * whenever a pose model swaps the legs' labels, which would put spurious
 * extrema into each; their envelope is unchanged. Sides: heel strikes
 * alternate (s_alternate); a toe off belongs to the foot opposite the heel
 * strike just before it (HS left, TO right, HS right, TO left, ...), or to
 * its own label before the first one. Candidates found: *found. */
static int s_zeni_events(struct dn_gait_video *v, int bout, int lo, int hi, struct s_cand *c,
                         int *found, struct dn_err *err)
{
    double leg = S_LEG_PER_TORSO, min_sep = 0.5 * S_MIN_SEPARATION_S * v->fps;
    double V = s_pelvis_speed(v, lo, hi, c);
    int rc = 0, view = v->res->bouts[bout].view, nh, nt;
    *found = 0;
    struct s_cand *to = c + (hi - lo) + 1; /* second half of the scratch */
    nh = s_candidates(v, DN_GK_HEEL_LEAD, 1, lo, hi, S_ZENI_PROMINENCE * leg, min_sep, c);
    nt = s_candidates(v, DN_GK_TOE_TRAIL, -1, lo, hi, S_ZENI_PROMINENCE * leg, min_sep, to);
    int *side = malloc(((size_t)nh + 1) * sizeof(int));
    if (!side)
        return dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
    for (int i = 0; i < nh; i++)
        c[i].value = s_right_vote(v, DN_GK_HEEL_LEAD_SIDE, c[i].where, lo, hi);
    nh = s_drop_crowded(c, nh);
    nt = s_drop_crowded(to, nt);
    s_alternate(c, nh, side);
    for (int i = 0; i < nh && !rc; i++) {
        double at = s_refine_event(v, view, side[i], DN_GAIT_HEEL_STRIKE, c[i].where, lo, hi, V);
        double conf = fmin(1.0, c[i].prominence / (0.5 * leg)) * s_visibility(v, at, DN_GK_HEEL_L, side[i]);
        rc = s_emit(v, at, side[i], DN_GAIT_HEEL_STRIKE, conf, bout, err);
    }
    for (int i = 0, h = -1; i < nt && !rc; i++) {
        while (h + 1 < nh && c[h + 1].where < to[i].where)
            h++;
        int s = h >= 0 ? !side[h] : s_right_vote(v, DN_GK_TOE_TRAIL_SIDE, to[i].where, lo, hi) > 0.5;
        double at = s_refine_event(v, view, s, DN_GAIT_TOE_OFF, to[i].where, lo, hi, V);
        double conf = fmin(1.0, to[i].prominence / (0.5 * leg)) * s_visibility(v, at, DN_GK_TOE_L, s);
        rc = s_emit(v, at, s, DN_GAIT_TOE_OFF, conf, bout, err);
    }
    free(side);
    *found = nh + nt;
    return rc;
}

/* 90th percentile of finite s[lo..hi); scratch has room for hi - lo. */
static double s_p90(const float *s, int lo, int hi, struct s_cand *scratch)
{
    int n = 0;
    for (int t = lo; t < hi; t++)
        if (isfinite(s[t]))
            scratch[n++].prominence = s[t];
    if (n == 0)
        return NAN;
    qsort(scratch, (size_t)n, sizeof(*scratch), s_by_prominence); /* descending */
    return scratch[n / 10].prominence;
}

/* Walking from t0 toward t1 (either direction) through samples at or below
 * thr, the point where s first rises above thr, as a fractional sample
 * (linear interpolation); NaN if s[t0] is above thr, data are missing, or
 * no rise happens before t1. */
static double s_rise(const float *s, int t0, int t1, double thr)
{
    int step = t1 > t0 ? 1 : -1;
    if (!(s[t0] <= thr))
        return NAN;
    for (int t = t0 + step; t != t1 + step; t += step) {
        if (!isfinite(s[t]))
            return NAN;
        if (s[t] > thr)
            return (t - step) + step * (thr - s[t - step]) / (s[t] - s[t - step]);
    }
    return NAN;
}

/* Index of the smallest heel + toe speed in [a, b]: the middle of a stance. */
static int s_stance_centre(const float *heel, const float *toe, int a, int b)
{
    int best = -1;
    for (int t = a; t <= b; t++)
        if (isfinite(heel[t]) && isfinite(toe[t]) &&
            (best < 0 || heel[t] + toe[t] < heel[best] + toe[best]))
            best = t;
    return best;
}

/* Front/back view, one bout [lo, hi), one foot. Swing phases are the heel
 * speed peaks; between two of them lies a stance, whose centre is the
 * slowest sample. Toe off is where the toe speed leaves zero walking out of
 * the previous stance, heel strike where the heel speed does so walking
 * back out of the next stance. Searching outward from the stance, never
 * inward from the peak, ignores momentary mid-swing speed dips. */
static int s_front_foot(struct dn_gait_video *v, int bout, int side, int lo, int hi,
                        struct s_cand *c, struct dn_err *err)
{
    const float *heel = dn_gv_sig(v, DN_GK_HEEL_SPEED_L + side), *toe = dn_gv_sig(v, DN_GK_TOE_SPEED_L + side);
    double p90 = s_p90(heel, lo, hi, c);
    int rc = 0;
    if (!isfinite(p90) || p90 <= 0)
        return 0;
    int n = s_candidates(v, DN_GK_HEEL_SPEED_L + side, 1, lo, hi, S_SWING_PEAK_FRAC * p90,
                         S_MIN_SEPARATION_S * v->fps, c);
    for (int i = 0; i < n && !rc; i++) {
        int t = (int)lround(c[i].where), toe_peak = t;
        int prev = i > 0 ? (int)lround(c[i - 1].where) : lo, next = i + 1 < n ? (int)lround(c[i + 1].where) : hi - 1;
        for (int j = t - 3; j <= t + 3; j++)
            if (j >= lo && j < hi && isfinite(toe[j]) && toe[j] > toe[toe_peak])
                toe_peak = j;
        int c0 = s_stance_centre(heel, toe, prev, t), c1 = s_stance_centre(heel, toe, t, next);
        double to = c0 >= 0 ? s_rise(toe, c0, toe_peak, S_STILL_FRAC * toe[toe_peak]) : NAN;
        double hs = c1 >= 0 ? s_rise(heel, c1, t, S_STILL_FRAC * c[i].value) : NAN;
        double conf = fmin(1.0, c[i].prominence / p90);
        if (isfinite(to))
            rc = s_emit(v, to, side, DN_GAIT_TOE_OFF, conf * s_visibility(v, to, DN_GK_TOE_L, side), bout, err);
        if (!rc && isfinite(hs))
            rc = s_emit(v, hs, side, DN_GAIT_HEEL_STRIKE, conf * s_visibility(v, hs, DN_GK_HEEL_L, side), bout, err);
    }
    return rc;
}

static int s_event_time_order(const void *a, const void *b)
{
    double x = ((const struct dn_gait_event *)a)->time_s, y = ((const struct dn_gait_event *)b)->time_s;
    return (x > y) - (x < y);
}

int dn_gait_find_events(struct dn_gait_video *v, struct dn_err *err)
{
    struct dn_gait_result *r = v->res;
    int rc = 0;
    /* scratch: candidates and percentiles need len entries, the pelvis
     * speed 4 x len (four signals) */
    struct s_cand *c = malloc((4 * (size_t)v->len + 4) * sizeof(*c));
    if (!c)
        return dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
    for (size_t b = 0; b < r->n_bouts && !rc; b++) {
        int lo = (int)lround((r->bouts[b].start_s - v->t0) * v->fps);
        int hi = (int)lround((r->bouts[b].end_s - v->t0) * v->fps) + 1;
        int found = 0;
        rc = s_zeni_events(v, (int)b, lo, hi, c, &found, err);
        /* A track without depth (z all zero) has no Zeni signal in a
         * front/back view: fall back to foot stillness alone. */
        for (int side = 0; side < 2 && !rc && !found && r->bouts[b].view != DN_GAIT_VIEW_SIDE; side++)
            rc = s_front_foot(v, (int)b, side, lo, hi, c, err);
    }
    free(c);
    if (!rc && r->n_events > 1)
        qsort(r->events, r->n_events, sizeof(*r->events), s_event_time_order);
    return rc;
}
