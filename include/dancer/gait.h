/*
 * gait.h — gait events and spatiotemporal parameters from landmark tracks
 * (issue #5). One call analyses a whole batch of videos; the time-series work
 * runs as batched kernels (kernels/gait_*.cu) or their C twins.
 *
 * Pipeline per video (details and citations in src/gait/README.md):
 *   1. resample the track onto a uniform time grid; landmarks with low
 *      presence or outside the frame are missing; repair brief left/right
 *      leg swaps of the pose model;
 *   2. filter (kernel): visibility gate, spike rejection, gap filling up to
 *      max_gap_s, zero-lag 2nd-order Butterworth low-pass (cutoff_hz);
 *   3. walking bouts: per frame view (side / front / back), direction,
 *      standing still, leaving the frame; turns and short runs excluded;
 *   4. kinematics (kernel): knee/hip flexion, foot-to-pelvis signals along
 *      the walking axis (x in side views, depth z in front/back views) and
 *      foot speeds; event candidates (kernel): extrema, parabolic peaks;
 *   5. events after Zeni et al. 2008 (heel strike = leading heel furthest
 *      ahead of the pelvis, toe off = trailing toe furthest behind), each
 *      refined to when the foot comes to rest / starts to move;
 *   6. strides, parameters (mean, CV, n per side and overall), symmetry,
 *      quality and confidence.
 *
 * Never a guessed number: a parameter that cannot be measured has n = 0 and
 * a reason. Lengths are always given in leg lengths and in metres only when
 * a scale is known (subject height, or the landmark model's world
 * coordinates), named by scale_source. Leg length = |hip - knee| + |knee -
 * ankle| (landmarks, median over side-view frames) + the vertical ankle-to-
 * heel landmark distance with the foot flat (at 20 % of each side-view
 * stride): the hip joint's height above the heel landmark.
 *
 * Threads: dn_gait_analyze is reentrant; results are plain data.
 */
#ifndef DANCER_GAIT_H
#define DANCER_GAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dancer/err.h"
#include "dancer/track.h"

enum dn_gait_view { DN_GAIT_VIEW_NONE, DN_GAIT_VIEW_SIDE, DN_GAIT_VIEW_FRONT, DN_GAIT_VIEW_BACK };
enum dn_gait_side { DN_GAIT_LEFT, DN_GAIT_RIGHT };
enum dn_gait_event_type { DN_GAIT_HEEL_STRIKE, DN_GAIT_TOE_OFF };

/* Leg length per subject height, to turn a height into a scale: the leg is
 * measured as the hip joint's height above the heel landmark (see below),
 * 0.530 H for the hip joint (Winter, Biomechanics and Motor Control of Human
 * Movement, 4th ed., 2009, Fig. 4.1) less ~0.01 H for the heel landmark at
 * the back of the heel, above the floor. */
#define DN_GAIT_LEG_PER_HEIGHT 0.52

struct dn_gait_event {
    double time_s;    /* from the start of the video */
    double frame;     /* fractional index of the analysis grid (0 = first track frame) */
    int side;         /* enum dn_gait_side */
    int type;         /* enum dn_gait_event_type */
    float confidence; /* 0..1: signal prominence x landmark visibility (README) */
    int bout;         /* index into dn_gait_result.bouts */
};

struct dn_gait_bout {
    double start_s, end_s;
    int view;      /* enum dn_gait_view */
    int direction; /* side view: +1 walking left to right in the image, -1 right to left; else 0 */
    bool treadmill; /* side view with a still pelvis: lengths and speed not measurable */
    int strides;   /* complete strides in this bout, both feet, from its events */
    /* The bout's rhythm from the periodicity of the feet (README "Rhythm"):
     * stride period, s, and the autocorrelation at it (stride regularity,
     * Moe-Nilssen & Helbostad 2004); NaN when the bout shows no clear
     * alternating rhythm. */
    double stride_period_s, stride_regularity;
    /* Why the bout's events were rejected and dropped ("" when kept). */
    char events_rejected[160];
};

/* Parameters, in the order of the result JSON. */
enum dn_gait_param_id {
    DN_GP_CADENCE,         /* steps/min */
    DN_GP_STEP_TIME,       /* s */
    DN_GP_STRIDE_TIME,     /* s */
    DN_GP_STANCE_PCT,      /* % of stride */
    DN_GP_SWING_PCT,       /* % of stride */
    DN_GP_DOUBLE_SUPPORT_PCT, /* % of stride, both feet on the ground */
    DN_GP_STEP_LENGTH,     /* leg lengths */
    DN_GP_STRIDE_LENGTH,   /* leg lengths */
    DN_GP_SPEED,           /* leg lengths/s */
    DN_GP_STEP_LENGTH_M,   /* m */
    DN_GP_STRIDE_LENGTH_M, /* m */
    DN_GP_SPEED_M_S,       /* m/s */
    DN_GP_KNEE_ROM,        /* deg, per gait cycle (side view) */
    DN_GP_KNEE_PEAK,       /* deg, peak knee flexion per cycle */
    DN_GP_HIP_ROM,         /* deg */
    DN_GP_HIP_PEAK_FLEX,   /* deg, peak hip flexion per cycle */
    DN_GP_HIP_PEAK_EXT,    /* deg, peak hip extension per cycle (positive = extension) */
    DN_GP_COUNT
};

/* Left/right symmetry indices, 100 |L - R| / ((L + R) / 2) (Robinson et al. 1987). */
enum dn_gait_sym_id { DN_GS_STEP_TIME, DN_GS_STANCE, DN_GS_STEP_LENGTH, DN_GS_KNEE_ROM, DN_GS_COUNT };

struct dn_gait_param_info {
    const char *key;  /* JSON key: "cadence_steps_per_min" */
    const char *unit; /* "steps/min", "s", "%", "leg", "leg/s", "m", "m/s", "deg" */
};
/* Static description of a parameter; NULL out of range. */
const struct dn_gait_param_info *dn_gait_param_info(int id);
const char *dn_gait_sym_key(int id); /* "step_time", ...; NULL out of range */
const char *dn_gait_view_name(int view); /* "none", "side", "front", "back" */

/* Mean and coefficient of variation (sd / |mean|, sample sd) of n values;
 * n == 0: not measured (mean and cv NaN); cv is NaN for n < 2. */
struct dn_gait_stat {
    double mean, cv;
    int n;
};

struct dn_gait_param {
    struct dn_gait_stat all, side[2]; /* side[DN_GAIT_LEFT], side[DN_GAIT_RIGHT] */
    char reason[320];                 /* why all.n == 0; "" when measured */
};

#define DN_GAIT_CURVE_POINTS 101 /* 0..100 % of the gait cycle, heel strike to heel strike */
struct dn_gait_curve {
    int cycles; /* 0: no curve */
    float mean[DN_GAIT_CURVE_POINTS], sd[DN_GAIT_CURVE_POINTS];
};

/* Where cadence, step and stride time come from (README "Rhythm"). */
enum dn_gait_temporal { DN_GAIT_TEMPORAL_NONE, DN_GAIT_TEMPORAL_EVENTS, DN_GAIT_TEMPORAL_PERIODICITY };

struct dn_gait_quality {
    int frames;                  /* frames of the track */
    double frames_with_pose_pct; /* frames with a pose whose leg landmarks are all visible */
    double frames_in_bouts_pct;  /* frames inside walking bouts */
    int complete_strides;        /* both feet, all bouts */
    int strides[2];              /* per foot */
    double stride_time_cv;       /* NaN when < 2 strides */
    double regularity;           /* exp(-(stride_time_cv / 0.10)^2), 0 when unknown */
    double event_confidence;     /* mean event confidence, 0 when none */
    double stride_regularity;    /* mean bout stride regularity (autocorrelation), NaN when none */
    double confidence;           /* 0..1, see README ("confidence") */
};

struct dn_gait_result {
    bool detected;     /* gait_cycle_detected: >= 2 complete strides, or a rhythm over >= 2 strides */
    int temporal;      /* enum dn_gait_temporal: source of cadence, step and stride time */
    char reason[256];  /* why not detected; "" when detected */
    int view;          /* the view with the most strides (enum dn_gait_view) */
    double fps;        /* analysis rate (the track's fps) */
    double cutoff_hz;  /* low-pass cutoff used */
    double leg_length_px;   /* NaN when not measured */
    double leg_length_m;    /* NaN when the scale is unknown */
    char scale_source[32];  /* "subject_height", "world_landmarks" or "" */
    char scale_reason[160]; /* why metres are unknown, when scale_source is "" */
    struct dn_gait_param params[DN_GP_COUNT];
    double symmetry[DN_GS_COUNT]; /* NaN when either side is unmeasured */
    struct dn_gait_quality quality;
    struct dn_gait_curve knee[2], hip[2]; /* per side, side view */
    size_t n_events;
    struct dn_gait_event *events; /* time order; owned */
    size_t n_bouts;
    struct dn_gait_bout *bouts; /* owned */
};

/* One video of a batch. track is borrowed for the duration of the call. */
struct dn_gait_input {
    const struct dn_track *track;
    double subject_height_cm; /* 0 = unknown; else 50..250 */
};

struct dn_gait_options {
    bool use_gpu;          /* run the kernels on the GPU (caller checked dn_device_select) */
    double cutoff_hz;      /* low-pass cutoff, default 6 Hz; capped at 0.3 x fps */
    double max_gap_s;      /* longest dropout filled, default 0.2 s */
    float min_visibility;  /* landmarks below are missing, default 0.3 */
    float min_presence;    /* landmarks below are missing (outside the frame), default 0.5 */
    float hampel_k;        /* spike rejection threshold in robust sd, default 4; 0 = off */
    double min_bout_s;     /* shortest walking bout, default 1.0 s */
};

/* Fills the defaults above. */
void dn_gait_options_init(struct dn_gait_options *opts);

/* Analyses n videos. results must point to n pointers; on success each
 * receives a result owned by the caller (dn_gait_result_destroy). A video
 * without usable gait is not an error: its result has detected = false and a
 * reason. Errors (no result is returned then): DN_ERR_BAD_INPUT (NULL track,
 * subject height out of range), DN_ERR_RESOURCE (out of host or GPU memory),
 * DN_ERR_INTERNAL (a GPU launch failed). */
int dn_gait_analyze(const struct dn_gait_input *inputs, size_t n, const struct dn_gait_options *opts,
                    struct dn_gait_result **results, struct dn_err *err);

/* Frees a result; NULL is a no-op. */
void dn_gait_result_destroy(struct dn_gait_result *result);

/* Writes a self-contained SVG report of a result to out: knee and hip
 * flexion over the normalised gait cycle (mean +- sd per side, toe off
 * marked at the mean stance %), the main numbers, or the reason when no
 * gait cycle was detected. DN_ERR_INTERNAL when a write fails. */
int dn_gait_report_svg(const struct dn_gait_result *result, FILE *out, struct dn_err *err);

#endif
