/* synth.c — analytic landmark tracks for the gait unit tests (see synth.h). */
#include "synth.h"

#include <math.h>
#include <string.h>

void synth_defaults(struct synth_params *p)
{
    memset(p, 0, sizeof(*p));
    p->view = SYNTH_SIDE;
    p->direction = 1;
    p->fps = 30;
    p->duration_s = 8;
    p->cadence = 110;
    p->stance = 0.62;
    p->step_len = 0.75;
    p->leg_px = 120;
    p->width = 1920;
    p->height = 1080;
    p->seed = 1;
    p->t_first_hs = 0.1;
}

struct s_pt {
    double x, y;
};

/* Deterministic Gaussian noise (xorshift + Box-Muller). */
static double s_gauss(unsigned *state)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        u[i] = ((*state >> 8) + 0.5) / 16777216.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

/* Knee by two-link inverse kinematics (equal segments of len/2), bending
 * toward `fwd` (a unit vector in the plane); straight when out of reach. */
static struct s_pt s_knee(struct s_pt h, struct s_pt a, double len, struct s_pt fwd)
{
    double dx = a.x - h.x, dy = a.y - h.y, d = hypot(dx, dy), half = len / 2;
    struct s_pt m = {(h.x + a.x) / 2, (h.y + a.y) / 2}, n = {-dy / d, dx / d};
    if (n.x * fwd.x + n.y * fwd.y < 0)
        n.x = -n.x, n.y = -n.y;
    double off = d < 2 * half ? sqrt(half * half - d * d / 4) : 0;
    return (struct s_pt){m.x + n.x * off, m.y + n.y * off};
}

static double s_knee_flexion(struct s_pt h, struct s_pt k, struct s_pt a)
{
    double ux = h.x - k.x, uy = h.y - k.y, wx = a.x - k.x, wy = a.y - k.y;
    double c = (ux * wx + uy * wy) / (hypot(ux, uy) * hypot(wx, wy));
    return 180 - acos(c > 1 ? 1 : c < -1 ? -1 : c) * 180 / M_PI;
}

/* Side view: landmarks of one leg at time t. The stance foot lies still on
 * the floor from heel strike to toe off; the swing heel follows a cubic from
 * rest to the next footprint, arriving still moving forward (0.3 v) and down,
 * as a real heel does. Footprints are stride lengths apart and the heel
 * strikes 0.45 step lengths ahead of the pelvis. */
static void s_side_leg(const struct synth_params *p, double t, int side, struct s_pt *hip,
                       struct s_pt *knee, struct s_pt *ankle, struct s_pt *heel, struct s_pt *toe)
{
    double L = p->leg_px, T = 120 / p->cadence, d = p->direction, s = p->stance;
    double v = p->step_len * L * p->cadence / 60, stride = v * T, yg = p->height * 0.8;
    double x0 = p->width / 2.0 - d * v * p->duration_s / 2;
    double t_hs = p->t_first_hs + (side == 0 ? T / 2 : 0);
    double k = floor((t - t_hs) / T), tk = t_hs + k * T, u = (t - tk) / T;
    double xk = x0 + d * (v * tk + 0.45 * p->step_len * L), hx = xk, lift = 0;
    if (u >= s) {
        double w = (u - s) / (1 - s), m1 = 0.3 * (1 - s);
        hx = xk + d * stride * ((3 - 2 * w) * w * w + m1 * (w * w * w - w * w));
        lift = 0.05 * L * sin(M_PI * w);
    }
    *hip = (struct s_pt){x0 + d * v * t, yg - 0.8 * L}; /* knee never straight: no IK cusp */
    *heel = (struct s_pt){hx, yg - lift};
    *toe = (struct s_pt){hx + d * 0.3 * L, yg - lift};
    *ankle = (struct s_pt){heel->x + d * 0.08 * L, heel->y - 0.1 * L};
    *knee = s_knee(*hip, *ankle, 0.9 * L, (struct s_pt){d, 0}); /* + 0.1 L ankle to heel = L */
}

/* The knee moved `inward` of its distance from the hip-ankle line toward it. */
static struct s_pt s_knee_inward(struct s_pt h, struct s_pt k, struct s_pt a, double inward)
{
    double dx = a.x - h.x, dy = a.y - h.y, d2 = dx * dx + dy * dy;
    double u = d2 > 0 ? ((k.x - h.x) * dx + (k.y - h.y) * dy) / d2 : 0;
    struct s_pt foot = {h.x + u * dx, h.y + u * dy};
    return (struct s_pt){k.x + inward * (foot.x - k.x), k.y + inward * (foot.y - k.y)};
}

static void s_set(struct dn_track_frame *f, int lm, struct s_pt q)
{
    f->image[lm] = (struct dn_landmark){(float)q.x, (float)q.y, 0, 1, 1};
}

static void s_side_frame(const struct synth_params *p, double t, struct dn_track_frame *f)
{
    struct s_pt hip, knee, ankle, heel, toe;
    double L = p->leg_px, d = p->direction;
    for (int side = 0; side < 2; side++) {
        s_side_leg(p, t, side, &hip, &knee, &ankle, &heel, &toe);
        s_set(f, DN_LM_LEFT_HIP + side, hip);
        s_set(f, DN_LM_LEFT_KNEE + side, s_knee_inward(hip, knee, ankle, p->knee_inward));
        s_set(f, DN_LM_LEFT_ANKLE + side, ankle);
        s_set(f, DN_LM_LEFT_HEEL + side, heel);
        s_set(f, DN_LM_LEFT_FOOT_INDEX + side, toe);
        s_set(f, DN_LM_LEFT_SHOULDER + side, (struct s_pt){hip.x + d * 0.05 * L, hip.y - 0.6 * L});
        s_set(f, DN_LM_LEFT_EAR + side, (struct s_pt){hip.x + d * 0.02 * L, hip.y - 0.85 * L});
    }
    s_set(f, DN_LM_NOSE, (struct s_pt){hip.x + d * 0.12 * L, hip.y - 0.85 * L});
}

/* Front view: world metres, X = subject's left (image right), Y up, Z depth. */
struct s_w {
    double x, y, z;
};

static struct s_pt s_project(const struct synth_params *p, struct s_w w)
{
    const double f = 1000, cam_h = 1.0;
    return (struct s_pt){p->width / 2.0 + f * w.x / w.z, p->height / 2.0 - f * (w.y - cam_h) / w.z};
}

/* Heel depth and lift of a foot whose heel strikes are at t_hs + k T. */
static void s_front_foot(const struct synth_params *p, double t, double t_hs, double zp_at,
                         double *z, double *lift)
{
    double T = 120 / p->cadence, stride = 2 * p->step_len * 0.9, k = floor((t - t_hs) / T);
    double u = (t - t_hs) / T - k; /* phase since the last heel strike */
    double z_k = zp_at - 0.45 * p->step_len * 0.9 - k * stride; /* heel at strike k */
    (void)t;
    *lift = 0;
    *z = z_k;
    if (u > p->stance) {
        double s = (u - p->stance) / (1 - p->stance);
        *z = z_k - stride * (1 - cos(M_PI * s)) / 2;
        *lift = 0.08 * sin(M_PI * s);
    }
}

static void s_front_frame(const struct synth_params *p, double t, struct dn_track_frame *f)
{
    double v = p->step_len * 0.9 * p->cadence / 60, T = 120 / p->cadence;
    double z0 = 3 + v * p->duration_s, zp = z0 - v * t;
    for (int side = 0; side < 2; side++) {
        double X = side == 0 ? 0.1 : -0.1, t_hs = p->t_first_hs + (side == 0 ? T / 2 : 0), z, lift;
        s_front_foot(p, t, t_hs, z0 - v * t_hs, &z, &lift);
        struct s_w hip = {X, 0.85, zp}, ankle = {X, 0.08 + lift, z - 0.05};
        /* knee in the sagittal (Y, Z) plane, bending toward the camera (-Z) */
        struct s_pt k2 = s_knee((struct s_pt){hip.z, hip.y}, (struct s_pt){ankle.z, ankle.y}, 0.9,
                                (struct s_pt){-1, 0});
        s_set(f, DN_LM_LEFT_HIP + side, s_project(p, hip));
        s_set(f, DN_LM_LEFT_KNEE + side, s_project(p, (struct s_w){X, k2.y, k2.x}));
        s_set(f, DN_LM_LEFT_ANKLE + side, s_project(p, ankle));
        s_set(f, DN_LM_LEFT_HEEL + side, s_project(p, (struct s_w){X, 0.02 + lift, z}));
        s_set(f, DN_LM_LEFT_FOOT_INDEX + side, s_project(p, (struct s_w){X, 0.02 + lift, z - 0.25}));
        s_set(f, DN_LM_LEFT_SHOULDER + side, s_project(p, (struct s_w){2 * X, 1.4, zp}));
        s_set(f, DN_LM_LEFT_EAR + side, s_project(p, (struct s_w){0.8 * X, 1.6, zp}));
    }
    s_set(f, DN_LM_NOSE, s_project(p, (struct s_w){0, 1.6, zp - 0.1}));
}

static void s_truth(const struct synth_params *p, struct synth_truth *tr)
{
    double T = 120 / p->cadence;
    memset(tr, 0, sizeof(*tr));
    for (int side = 0; side < 2; side++) {
        double t_hs = p->t_first_hs + (side == 0 ? T / 2 : 0);
        for (double t = t_hs - 20 * T; t < p->duration_s; t += T) {
            if (t >= 0 && tr->n_hs[side] < SYNTH_MAX_EVENTS)
                tr->hs[side][tr->n_hs[side]++] = t;
            double to = t + p->stance * T;
            if (to >= 0 && to < p->duration_s && tr->n_to[side] < SYNTH_MAX_EVENTS)
                tr->to[side][tr->n_to[side]++] = to;
        }
        if (p->view != SYNTH_SIDE)
            continue;
        double mx = -1e9, mn = 1e9;
        for (int i = 0; i < 2000; i++) { /* one stride, finely sampled */
            struct s_pt h, k, a, he, to;
            s_side_leg(p, t_hs + T * i / 2000.0, side, &h, &k, &a, &he, &to);
            double fl = s_knee_flexion(h, k, a);
            mx = fmax(mx, fl), mn = fmin(mn, fl);
        }
        tr->knee_rom[side] = mx - mn;
    }
}

int synth_track(const struct synth_params *p, struct dn_track **out, struct synth_truth *truth)
{
    struct dn_err err = {0};
    struct dn_track *t;
    struct dn_track_frame f;
    unsigned rng = p->seed * 2654435761u + 1;
    int rc = dn_track_new(&t, p->width, p->height, p->fps, &err);
    if (rc)
        return rc;
    int n = (int)lround(p->duration_s * p->fps);
    for (int i = 0; i < n && !rc; i++) {
        double time = i / p->fps;
        memset(&f, 0, sizeof(f));
        f.time_s = time;
        f.valid = !(p->dropout_every_s > 0 && fmod(time, p->dropout_every_s) >= p->dropout_every_s - p->dropout_s);
        f.presence = f.valid ? 1.0f : 0.0f;
        struct synth_params still = *p;
        still.cadence = 1e-6; /* frozen in place: no stride ever completes */
        if (p->view == SYNTH_FRONT)
            s_front_frame(p, time, &f);
        else
            s_side_frame(p->view == SYNTH_STILL ? &still : p, p->view == SYNTH_STILL ? 1.0 : time, &f);
        for (int k = 0; k < DN_TRACK_LANDMARKS && p->noise_px > 0; k++) {
            f.image[k].x += (float)(p->noise_px * s_gauss(&rng));
            f.image[k].y += (float)(p->noise_px * s_gauss(&rng));
        }
        rc = dn_track_append(t, &f, &err);
    }
    if (rc) {
        dn_track_destroy(t);
        return rc;
    }
    if (truth)
        s_truth(p, truth);
    *out = t;
    return 0;
}
