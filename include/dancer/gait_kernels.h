/*
 * gait_kernels.h — the gait stage's batched time-series kernels: one call
 * covers every video of a batch. Each op has a C reference twin
 * (kernels/ref/gait_<op>_ref.c, dn_gait_<op>_ref) and a CUDA launcher
 * (kernels/gait_<op>.cu, dn_gait_<op>_gpu) with the same arguments plus the
 * stream and an error record. The launchers take device pointers; the ref
 * twins host pointers. The per-element math both share is in gait_math.h.
 *
 * Layout (llm.c style): V videos, T = the longest video's sample count (the
 * rest of a shorter video's rows is padding), C channels, S signals.
 *   landmark series  x   is (V, T, C) float, C = 3 * DN_GK_POINTS, channel
 *                        3k = x, 3k+1 = y, 3k+2 = z of point k (enum
 *                        dn_gk_point), px; z is the pose model's relative
 *                        depth (track.h), smaller = nearer the camera
 *   visibility       vis is (V, T, DN_GK_POINTS) float in [0, 1]
 *   walking direction dir is (V, T) float: side view +1 toward +x, -1 toward
 *                        -x; front/back view -2 toward the camera (-z), +2
 *                        away from it (+z); 0 not in a walking bout
 *   limb lengths     limb is (V, T, DN_GK_LIMBS) float, px: thigh and shank of
 *                        the left leg, then of the right leg, as the host
 *                        estimated them for the bout the frame belongs to;
 *                        NaN where unknown (outside side-view bouts)
 *   signals          sig is (V, S, T) float, S = DN_GK_SIGNALS (enum dn_gk_signal)
 * Missing samples are NaN throughout.
 */
#ifndef DANCER_GAIT_KERNELS_H
#define DANCER_GAIT_KERNELS_H

#include "dancer/device.h"
#include "dancer/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The landmarks the gait stage uses, in channel order. */
enum dn_gk_point {
    DN_GK_NOSE, DN_GK_EAR_L, DN_GK_EAR_R, DN_GK_SHOULDER_L, DN_GK_SHOULDER_R,
    DN_GK_HIP_L, DN_GK_HIP_R, DN_GK_KNEE_L, DN_GK_KNEE_R, DN_GK_ANKLE_L, DN_GK_ANKLE_R,
    DN_GK_HEEL_L, DN_GK_HEEL_R, DN_GK_TOE_L, DN_GK_TOE_R,
    DN_GK_POINTS
};
#define DN_GK_DIMS 3 /* x, y, z per point */
#define DN_GK_CHANNELS (DN_GK_DIMS * DN_GK_POINTS)

/* Per-frame signals computed by the kinematics op. _L/_R pairs are adjacent
 * (left first) so side = signal & 1. */
enum dn_gk_signal {
    DN_GK_KNEE_FLEX_L, DN_GK_KNEE_FLEX_R, /* deg, 180 - hip-knee-ankle angle, image plane */
    DN_GK_HIP_FLEX_L, DN_GK_HIP_FLEX_R,   /* deg, thigh vs trunk axis, + = knee anterior; side view only */
    DN_GK_HEEL_REL_L, DN_GK_HEEL_REL_R,   /* heel ahead of the pelvis (Zeni 2008), along x (side
                                           * view) or z (front/back), in torso lengths (shoulder
                                           * midpoint to hip midpoint); walking bouts only */
    DN_GK_TOE_REL_L, DN_GK_TOE_REL_R,     /* toe ahead of the pelvis, likewise */
    DN_GK_HEEL_SPEED_L, DN_GK_HEEL_SPEED_R, /* px/frame, image speed of the heel */
    DN_GK_TOE_SPEED_L, DN_GK_TOE_SPEED_R,   /* px/frame, image speed of the toe */
    /* Label-free Zeni signals: the leading heel (max of HEEL_REL_L/R) and the
     * trailing toe (min of TOE_REL_L/R), and which side that is (0 left, 1
     * right). A pose model's brief left/right swap exchanges the two
     * per-side signals but leaves these unchanged. */
    DN_GK_HEEL_LEAD, DN_GK_TOE_TRAIL, DN_GK_HEEL_LEAD_SIDE, DN_GK_TOE_TRAIL_SIDE,
    /* deg, knee flexion of a rigid two-link leg (thigh and shank of `limb`)
     * from the hip-ankle distance by the law of cosines; the knee landmark
     * is not used. NaN where the lengths are unknown. */
    DN_GK_KNEE_CHAIN_L, DN_GK_KNEE_CHAIN_R,
    DN_GK_SIGNALS
};
#define DN_GK_LIMBS 4 /* thigh L, shank L, thigh R, shank R */

/* Per-video filter settings (fps differs between videos, so these do). */
struct dn_gait_filter_params {
    int len;       /* samples of this video (<= T); later rows stay NaN */
    int max_gap;   /* longest run of missing samples filled by interpolation */
    int min_seg;   /* shortest run of present samples kept (>= DN_GK_PADLEN + 1) */
    float min_vis; /* samples whose visibility is below this are missing */
    float hampel_k; /* spike rejection: |x - median5| > k * its robust sd; 0 = off */
    int hampel_w;   /* half window of that sd, samples (3..24) */
    float hampel_floor; /* smallest sd, in the channel's units (px) */
    double b[3], a[3]; /* 2nd-order Butterworth low-pass, a[0] = 1 (dn_gait_butter2) */
};

/* Edge padding of the zero-lag filter: scipy.signal.filtfilt's default for a
 * 2nd-order section, 3 * max(len(a), len(b)). */
#define DN_GK_PADLEN 9

/* 2nd-order Butterworth low-pass by the bilinear transform with prewarping
 * (the design of scipy.signal.butter(2, cutoff_hz / (fs / 2))). Requires
 * 0 < cutoff_hz < fs_hz / 2. */
void dn_gait_butter2(double cutoff_hz, double fs_hz, double b[3], double a[3]);

/* filter: in place on x (V, T, C), per (video, channel) series:
 * reject samples with vis < min_vis or non-finite, reject spikes (Hampel),
 * fill gaps up to max_gap samples linearly, then filter each remaining run
 * of present samples forward and backward (zero lag, as scipy filtfilt with
 * padtype "odd"); runs shorter than min_seg become NaN. p is (V). */
void dn_gait_filter_ref(float *x, const float *vis, const struct dn_gait_filter_params *p,
                        int V, int T, int C);
int dn_gait_filter_gpu(float *x, const float *vis, const struct dn_gait_filter_params *p,
                       int V, int T, int C, struct dn_stream *stream, struct dn_err *err);

/* kinematics: sig (V, S, T) from the filtered x (V, T, C), dir (V, T) and
 * limb (V, T, DN_GK_LIMBS). Speeds are central differences (one-sided at
 * the ends). */
void dn_gait_kinematics_ref(float *sig, const float *x, const float *dir, const float *limb, int V, int T,
                            int C);
int dn_gait_kinematics_gpu(float *sig, const float *x, const float *dir, const float *limb, int V, int T,
                           int C, struct dn_stream *stream, struct dn_err *err);

/* extrema: per sample of sig (V, S, T), len (V): kind = +1 local maximum,
 * -1 local minimum, 0 neither (or a neighbour missing, or t >= len);
 * where = sub-sample position t + delta of the vertex of the parabola through
 * the three samples, value = the parabola's value there (only where kind != 0). */
void dn_gait_extrema_ref(signed char *kind, float *where, float *value, const float *sig,
                         const int *len, int V, int S, int T);
int dn_gait_extrema_gpu(signed char *kind, float *where, float *value, const float *sig,
                        const int *len, int V, int S, int T, struct dn_stream *stream,
                        struct dn_err *err);

#ifdef __cplusplus
}
#endif

#endif
