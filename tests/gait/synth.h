/*
 * synth.h — analytic landmark tracks with exactly known gait events, for the
 * gait unit tests (the rendered synthetic walker lives in tests/walker/).
 *
 * Side view: pelvis at constant speed; the stance foot lies still on the
 * floor from heel strike to toe off (stance * T), the swing heel moves to the
 * next footprint along a cubic and arrives moving (forward and down), as a
 * real heel does. Periodic and symmetric: cadence, step length (footprints
 * exactly step_len leg lengths apart) and stance are known exactly.
 *
 * Front view ("still stance" model, 3D + pinhole camera): the subject walks
 * toward the camera; the stance foot is fixed on the ground from heel strike
 * to toe off, the swing foot moves with a cosine ease and lifts.
 */
#ifndef DANCER_TEST_SYNTH_H
#define DANCER_TEST_SYNTH_H

#include "dancer/track.h"

enum synth_view { SYNTH_SIDE, SYNTH_FRONT, SYNTH_STILL };

struct synth_params {
    int view;            /* enum synth_view */
    int direction;       /* side view: +1 walking toward +x, -1 toward -x */
    double fps, duration_s;
    double cadence;      /* steps/min */
    double stance;       /* stance fraction of the stride, 0.5..0.8 */
    double step_len;     /* leg lengths */
    double leg_px;       /* side view: leg length in px (thigh + shank 0.9, ankle above heel 0.1) */
    int width, height;
    double noise_px;     /* Gaussian pixel noise sd on every landmark */
    double dropout_every_s, dropout_s; /* pose missing for dropout_s every ..., 0 = never */
    unsigned seed;
    double t_first_hs;   /* time of the first right heel strike (may be negative) */
    double knee_inward;  /* side view: the knee landmark is reported this fraction of its distance
                          * from the hip-ankle line closer to it (a pose model's bias: BlazePose
                          * ~0.15 at the swing peak); the truth keeps the true knee */
};

#define SYNTH_MAX_EVENTS 256
struct synth_truth {
    int n_hs[2], n_to[2];           /* [left, right] */
    double hs[2][SYNTH_MAX_EVENTS]; /* s */
    double to[2][SYNTH_MAX_EVENTS];
    double knee_rom[2];             /* deg, per stride (identical strides) */
};

/* Defaults: side view, +x, 30 fps, 10 s, 110 steps/min, 62 % stance, 0.75
 * leg step, 300 px leg, 1920x1080, no noise or dropouts. */
void synth_defaults(struct synth_params *p);

/* Builds the track and, when truth is not NULL, the events inside [0, duration). */
int synth_track(const struct synth_params *p, struct dn_track **out, struct synth_truth *truth);

#endif
