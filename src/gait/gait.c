/* gait.c — dn_gait_analyze: the gait stage over a batch of landmark tracks
 * (see include/dancer/gait.h; methods in src/gait/README.md). */
#include "dancer/gait.h"

#include <stdlib.h>
#include <string.h>

#include "dancer/trace.h"
#include "gait_internal.h"

static const struct dn_gait_param_info s_params[DN_GP_COUNT] = {
    [DN_GP_CADENCE] = {"cadence_steps_per_min", "steps/min"},
    [DN_GP_STEP_TIME] = {"step_time_s", "s"},
    [DN_GP_STRIDE_TIME] = {"stride_time_s", "s"},
    [DN_GP_STANCE_PCT] = {"stance_pct", "%"},
    [DN_GP_SWING_PCT] = {"swing_pct", "%"},
    [DN_GP_DOUBLE_SUPPORT_PCT] = {"double_support_pct", "%"},
    [DN_GP_STEP_LENGTH] = {"step_length", "leg"},
    [DN_GP_STRIDE_LENGTH] = {"stride_length", "leg"},
    [DN_GP_SPEED] = {"walking_speed", "leg/s"},
    [DN_GP_STEP_LENGTH_M] = {"step_length_m", "m"},
    [DN_GP_STRIDE_LENGTH_M] = {"stride_length_m", "m"},
    [DN_GP_SPEED_M_S] = {"walking_speed_m_s", "m/s"},
    [DN_GP_KNEE_ROM] = {"knee_flexion_rom_deg", "deg"},
    [DN_GP_KNEE_PEAK] = {"knee_flexion_peak_deg", "deg"},
    [DN_GP_HIP_ROM] = {"hip_flexion_rom_deg", "deg"},
    [DN_GP_HIP_PEAK_FLEX] = {"hip_flexion_peak_deg", "deg"},
    [DN_GP_HIP_PEAK_EXT] = {"hip_extension_peak_deg", "deg"},
};

static const char *const s_sym_keys[DN_GS_COUNT] = {"step_time", "stance", "step_length", "knee_flexion_rom"};
static const char *const s_view_names[] = {"none", "side", "front", "back"};

const struct dn_gait_param_info *dn_gait_param_info(int id)
{
    return id >= 0 && id < DN_GP_COUNT ? &s_params[id] : NULL;
}

const char *dn_gait_sym_key(int id)
{
    return id >= 0 && id < DN_GS_COUNT ? s_sym_keys[id] : NULL;
}

const char *dn_gait_view_name(int view)
{
    return view >= 0 && view <= DN_GAIT_VIEW_BACK ? s_view_names[view] : "none";
}

void dn_gait_options_init(struct dn_gait_options *o)
{
    memset(o, 0, sizeof(*o));
    o->cutoff_hz = 6.0; /* Winter: most gait kinematics lie below 6 Hz */
    o->max_gap_s = 0.2;
    o->min_visibility = 0.3f;
    o->min_presence = 0.5f;
    o->hampel_k = 4.0f;
    o->min_bout_s = 1.0;
}

void dn_gait_result_destroy(struct dn_gait_result *r)
{
    if (!r)
        return;
    free(r->events);
    free(r->bouts);
    free(r);
}

static int s_check_inputs(const struct dn_gait_input *in, size_t n, struct dn_err *err)
{
    for (size_t i = 0; i < n; i++) {
        double h = in[i].subject_height_cm;
        if (!in[i].track)
            return dn_err_set(err, DN_ERR_BAD_INPUT, "gait: video %zu has no track", i);
        if (h != 0 && !(h >= 50 && h <= 250))
            return dn_err_set(err, DN_ERR_BAD_INPUT,
                              "gait: subject height %g cm is outside 50..250 cm", h);
    }
    return 0;
}

/* Points the video's state at row v of the batch and allocates its result
 * and per-frame arrays. */
static int s_video_init(struct dn_gait_video *w, struct dn_gait_batch *b, int v,
                        const struct dn_gait_input *in, const struct dn_gait_options *o,
                        struct dn_err *err)
{
    const struct dn_track *t = in->track;
    memset(w, 0, sizeof(*w));
    w->in = in;
    w->opts = o;
    w->fps = t->fps;
    w->t0 = t->n_frames ? t->frames[0].time_s : 0;
    w->len = b->len[v];
    w->T = b->T;
    w->x = b->x + (size_t)v * b->T * DN_GK_CHANNELS;
    w->vis = b->vis + (size_t)v * b->T * DN_GK_POINTS;
    w->dir = b->dir + (size_t)v * b->T;
    w->limb = b->limb + (size_t)v * b->T * DN_GK_LIMBS;
    w->sig = b->sig + (size_t)v * b->T * DN_GK_SIGNALS;
    w->kind = b->kind + (size_t)v * b->T * DN_GK_SIGNALS;
    w->where = b->where + (size_t)v * b->T * DN_GK_SIGNALS;
    w->value = b->value + (size_t)v * b->T * DN_GK_SIGNALS;
    memset(w->dir, 0, (size_t)b->T * sizeof(float));
    for (size_t i = 0; i < (size_t)b->T * DN_GK_LIMBS; i++)
        w->limb[i] = NAN;
    w->res = calloc(1, sizeof(*w->res));
    w->label = calloc((size_t)w->len + 1, 1);
    w->leg_frame_px = calloc((size_t)w->len + 1, sizeof(float));
    w->torso_px = calloc((size_t)w->len + 1, sizeof(float));
    if (!w->res || !w->label || !w->leg_frame_px || !w->torso_px)
        return dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
    w->res->fps = t->fps;
    w->res->cutoff_hz = dn_gait_cutoff(o, t->fps);
    w->leg_px_side = NAN;
    return 0;
}

static void s_video_clean_up(struct dn_gait_video *w)
{
    free(w->label);
    free(w->leg_frame_px);
    free(w->torso_px);
    dn_gait_result_destroy(w->res); /* still owned here: handed over on success */
    w->label = NULL;
    w->leg_frame_px = w->torso_px = NULL;
    w->res = NULL;
}

/* Everything after the filter, for one video. */
static int s_analyze_video(struct dn_gait_video *w, struct dn_err *err)
{
    int rc = dn_gait_find_events(w, err);
    if (!rc)
        rc = dn_gait_compute_params(w, err);
    return rc;
}

int dn_gait_analyze(const struct dn_gait_input *in, size_t n, const struct dn_gait_options *o,
                    struct dn_gait_result **results, struct dn_err *err)
{
    struct dn_gait_batch *b = NULL;
    struct dn_gait_video *w = calloc(n ? n : 1, sizeof(*w));
    int rc, T = 3;
    if (!w)
        return dn_err_set(err, DN_ERR_RESOURCE, "gait: out of memory");
    dn_trace_push("gait");
    if ((rc = s_check_inputs(in, n, err)))
        goto cleanup;
    for (size_t v = 0; v < n; v++)
        if (dn_gait_grid_len(in[v].track) > T)
            T = dn_gait_grid_len(in[v].track);
    if ((rc = dn_gait_batch_new(&b, (int)n, T, o->use_gpu, err)))
        goto cleanup;
    for (size_t v = 0; v < n; v++)
        dn_gait_batch_pack(b, (int)v, in[v].track, o, dn_gait_grid_len(in[v].track));
    if ((rc = dn_gait_batch_filter(b, err)))
        goto cleanup;
    for (size_t v = 0; v < n && !rc; v++)
        if (!(rc = s_video_init(&w[v], b, (int)v, &in[v], o, err)) && !(rc = dn_gait_find_bouts(&w[v], err)))
            dn_gait_limb_lengths(&w[v]);
    if (rc || (rc = dn_gait_batch_signals(b, err)))
        goto cleanup;
    for (size_t v = 0; v < n && !rc; v++)
        rc = s_analyze_video(&w[v], err);
    for (size_t v = 0; v < n && !rc; v++) {
        results[v] = w[v].res;
        w[v].res = NULL;
    }
cleanup:
    for (size_t v = 0; v < n; v++)
        s_video_clean_up(&w[v]);
    free(w);
    dn_gait_batch_destroy(b);
    dn_trace_pop();
    return rc;
}
