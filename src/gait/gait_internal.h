/*
 * gait_internal.h — what the gait stage's files share: the batch buffers the
 * kernels work on, and the per-video working state. Not a public contract.
 */
#ifndef DANCER_GAIT_INTERNAL_H
#define DANCER_GAIT_INTERNAL_H

#include <math.h>
#include <stdbool.h>

#include "dancer/gait.h"
#include "dancer/gait_kernels.h"

/* Per-frame class from the bout segmentation. */
enum dn_gait_label {
    DN_GL_INVALID, /* pose missing, legs not all visible, or leaving the frame */
    DN_GL_STILL,   /* standing: the feet do not move relative to each other */
    DN_GL_SIDE_POS, DN_GL_SIDE_NEG, /* side view walking toward +x / -x */
    DN_GL_FRONT, DN_GL_BACK,        /* walking toward / away from the camera */
    DN_GL_COUNT
};

/* Host (and, on the GPU path, device) buffers for V videos of up to T
 * samples, laid out as gait_kernels.h describes. Allocated once per batch. */
struct dn_gait_batch {
    int V, T;
    bool gpu;
    float *x, *vis, *dir, *limb, *sig, *where, *value; /* host, (V,T,C) (V,T,K) (V,T) (V,T,4) (V,S,T)... */
    signed char *kind;
    struct dn_gait_filter_params *params; /* (V) */
    int *len;                             /* (V) */
    unsigned char *swap;                  /* (2 T) scratch of the leg-swap test */
    float *swap_ratio;                    /* (2 T) likewise */
    struct {
        float *x, *vis, *dir, *limb, *sig, *where, *value;
        signed char *kind;
        struct dn_gait_filter_params *params;
        int *len;
    } dev;
    struct dn_stream *stream;
};

/* Working state of one video. Pointers into the batch are views; the
 * per-frame arrays (len entries) are owned and freed by dn_gait_video_clean_up. */
struct dn_gait_video {
    const struct dn_gait_input *in;
    const struct dn_gait_options *opts;
    double fps, t0; /* grid sample i is at time t0 + i / fps */
    int len, T;     /* samples of this video; row stride of the batch */
    float *x, *vis, *dir, *limb, *sig, *where, *value;
    signed char *kind;
    /* per-frame measures (bouts.c) */
    unsigned char *label;
    float *leg_frame_px, *torso_px; /* per frame: thigh + shank, shoulders to hips */
    double leg_px_side; /* thigh + shank, median over side-view bout frames, NaN if none */
    double leg_px;      /* the leg length of the result (params.c), NaN if not measured */
    struct dn_gait_result *res;
    size_t cap_events, cap_bouts;
};

/* Landmark channel access on the filtered series. */
static inline float dn_gv_x(const struct dn_gait_video *v, int i, int k)
{
    return v->x[(long)i * DN_GK_CHANNELS + DN_GK_DIMS * k];
}
static inline float dn_gv_y(const struct dn_gait_video *v, int i, int k)
{
    return v->x[(long)i * DN_GK_CHANNELS + DN_GK_DIMS * k + 1];
}
static inline float dn_gv_z(const struct dn_gait_video *v, int i, int k)
{
    return v->x[(long)i * DN_GK_CHANNELS + DN_GK_DIMS * k + 2];
}
static inline const float *dn_gv_sig(const struct dn_gait_video *v, int s)
{
    return v->sig + (long)s * v->T;
}
static inline double dn_gv_time(const struct dn_gait_video *v, double i)
{
    return v->t0 + i / v->fps;
}

/* batch.c */
int dn_gait_batch_new(struct dn_gait_batch **out, int V, int T, bool gpu, struct dn_err *err);
void dn_gait_batch_destroy(struct dn_gait_batch *b);
/* Fills row v of x/vis/params from the track (resampled to its fps grid). */
void dn_gait_batch_pack(struct dn_gait_batch *b, int v, const struct dn_track *track,
                        const struct dn_gait_options *opts, int len);
int dn_gait_batch_filter(struct dn_gait_batch *b, struct dn_err *err);
int dn_gait_batch_signals(struct dn_gait_batch *b, struct dn_err *err);
/* Grid length for a track: samples from the first to the last frame. */
int dn_gait_grid_len(const struct dn_track *track);
/* Low-pass cutoff used for a frame rate. */
double dn_gait_cutoff(const struct dn_gait_options *opts, double fps);

/* bouts.c: labels every frame, sets dir, fills res->bouts. */
int dn_gait_find_bouts(struct dn_gait_video *v, struct dn_err *err);

/* limbs.c: thigh and shank lengths per side-view bout and leg into limb
 * (NaN elsewhere), for the kinematics kernel's rigid-chain knee angle. */
void dn_gait_limb_lengths(struct dn_gait_video *v);

/* rhythm.c: stride period (s) of frames [lo, hi) from the periodicity of
 * the feet, and the autocorrelation at it; both NaN without a clear
 * alternating rhythm spanning two strides. side: a side-view bout (else
 * front/back), which picks the feet's axes. */
void dn_gait_rhythm(const struct dn_gait_video *v, int lo, int hi, bool side, double *stride_s, double *regularity);

/* events.c: fills res->events from the signals and candidates. */
int dn_gait_find_events(struct dn_gait_video *v, struct dn_err *err);
int dn_gait_add_event(struct dn_gait_video *v, const struct dn_gait_event *e, struct dn_err *err);

/* params.c: strides, parameters, curves, symmetry, scale, quality. */
int dn_gait_compute_params(struct dn_gait_video *v, struct dn_err *err);

/* stats.c: small numeric helpers. */
void dn_gait_stat_of(struct dn_gait_stat *st, const double *x, int n);
double dn_gait_median(double *x, int n); /* sorts x; NaN for n == 0 */
/* Quantile q in [0, 1] with linear interpolation (numpy's default); sorts x. */
double dn_gait_quantile(double *x, int n, double q);
/* Linear interpolation of s[i * stride] at fractional index where; NaN outside [0, len - 1]. */
double dn_gait_interp(const float *s, long stride, int len, double where);

#endif
