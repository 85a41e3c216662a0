/* limbs.c — thigh and shank lengths per side-view bout and leg, for the
 * rigid-chain knee angle of the kinematics kernel (DN_GK_KNEE_CHAIN_*).
 *
 * Why not the knee landmark: pose models place a bent knee toward the inside
 * of the angle (BlazePose full: 1-3 % of a leg, growing with flexion), so
 * the hip-knee-ankle angle reads ~12 % low at the swing peak, on real people
 * too (src/gait/README.md, "Knee"). The hip and ankle landmarks, and so the
 * hip-ankle distance r, carry no such bias. A leg is two rigid segments, so
 * with their lengths l1, l2 known r gives the flexion (law of cosines).
 *
 * The lengths: the sum L = l1 + l2 is measured from r itself, where the
 * leg is closest to straight, so that r and L share the hip and ankle
 * landmarks' offsets; the knee landmark only splits L (q = l1 / L, which
 * enters the angle to second order) and corrects r for the small flexion
 * left at those frames. Per frame,
 *     L_i = r_i / sqrt(q^2 + (1 - q)^2 + 2 q (1 - q) cos theta_i),
 * theta_i the landmark angle. Where the knee is bent, theta_i reads low and
 * L_i comes out short; it is never long but for noise. So L is an upper
 * quantile of L_i over the bout (S_LIMB_QUANTILE): the frames around heel
 * strike and in terminal swing, where a walking knee is within a few degrees
 * of straight (Perry & Burnfield 2010, ch. 8: 0-5 deg at initial contact;
 * ~10-15 % of the cycle), and where theta_i is accurate. A knee that never
 * straightens (crouch gait) still works to first order: theta_i at its
 * least flexed frames corrects L_i.
 *
 * Only confident samples count (visibility >= S_LIMB_MIN_VIS for hip, knee
 * and ankle): a side view hides the far leg behind the near one for part
 * of each stride, and the model guesses it there. */
#include <stdlib.h>

#include "gait_internal.h"
#include "gait_math.h"

#define S_LIMB_QUANTILE 0.9
#define S_LIMB_MIN_VIS 0.5f
/* Fewest confident frames for an estimate (~0.5 s at 30 fps). */
#define S_LIMB_MIN_FRAMES 15

/* Lengths of leg `side` over frames [lo, hi) into l1, l2 (NaN when too few
 * confident frames); q, ls and th are scratch of hi - lo entries. */
static void s_leg_lengths(const struct dn_gait_video *v, int side, int lo, int hi, double *q, double *ls,
                          double *th, double *l1, double *l2)
{
    const int hip = DN_GK_HIP_L + side, knee = DN_GK_KNEE_L + side, ankle = DN_GK_ANKLE_L + side;
    int n = 0;
    for (int i = lo; i < hi; i++) {
        const float *vis = v->vis + (long)i * DN_GK_POINTS;
        if (!(vis[hip] >= S_LIMB_MIN_VIS && vis[knee] >= S_LIMB_MIN_VIS && vis[ankle] >= S_LIMB_MIN_VIS))
            continue;
        double hx = dn_gv_x(v, i, hip), hy = dn_gv_y(v, i, hip), kx = dn_gv_x(v, i, knee), ky = dn_gv_y(v, i, knee);
        double ax = dn_gv_x(v, i, ankle), ay = dn_gv_y(v, i, ankle);
        double thigh = hypot(hx - kx, hy - ky), shank = hypot(ax - kx, ay - ky), r = hypot(ax - hx, ay - hy);
        double theta = dn_gm_knee_flexion((float)hx, (float)hy, (float)kx, (float)ky, (float)ax, (float)ay);
        if (!(isfinite(theta) && thigh > 0 && shank > 0))
            continue;
        q[n] = thigh / (thigh + shank);
        th[n] = theta / DN_GM_RAD2DEG;
        ls[n++] = r;
    }
    *l1 = *l2 = NAN;
    if (n < S_LIMB_MIN_FRAMES)
        return;
    double qm = dn_gait_median(q, n);
    for (int j = 0; j < n; j++) {
        double c = cos(th[j]);
        ls[j] /= sqrt(qm * qm + (1 - qm) * (1 - qm) + 2 * qm * (1 - qm) * c);
    }
    double L = dn_gait_quantile(ls, n, S_LIMB_QUANTILE);
    *l1 = qm * L;
    *l2 = (1 - qm) * L;
}

void dn_gait_limb_lengths(struct dn_gait_video *v)
{
    const struct dn_gait_result *r = v->res;
    double *q = malloc(3 * ((size_t)v->len + 1) * sizeof(double));
    if (!q) /* no lengths: the knee falls back to the landmark angle (params.c) */
        return;
    for (size_t b = 0; b < r->n_bouts; b++) {
        if (r->bouts[b].view != DN_GAIT_VIEW_SIDE)
            continue;
        int lo = (int)lround((r->bouts[b].start_s - v->t0) * v->fps);
        int hi = (int)lround((r->bouts[b].end_s - v->t0) * v->fps) + 1;
        lo = lo < 0 ? 0 : lo;
        hi = hi > v->len ? v->len : hi;
        for (int side = 0; side < 2; side++) {
            double l1, l2;
            s_leg_lengths(v, side, lo, hi, q, q + v->len + 1, q + 2 * (v->len + 1), &l1, &l2);
            for (int i = lo; i < hi; i++) {
                v->limb[(long)i * DN_GK_LIMBS + 2 * side] = (float)l1;
                v->limb[(long)i * DN_GK_LIMBS + 2 * side + 1] = (float)l2;
            }
        }
    }
    free(q);
}
