/* track.c — the landmark track container (see include/dancer/track.h). */
#include "dancer/track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_names[DN_TRACK_LANDMARKS] = {
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
    "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left",
    "mouth_right", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index",
    "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
};

const char *dn_track_landmark_name(int id)
{
    return id >= 0 && id < DN_TRACK_LANDMARKS ? s_names[id] : "?";
}

int dn_track_new(struct dn_track **out, int width, int height, double fps, struct dn_err *err)
{
    *out = NULL;
    if (width <= 0 || height <= 0 || !(fps > 0) || !isfinite(fps))
        return dn_err_set(err, DN_ERR_BAD_INPUT, "track: invalid frame size %dx%d or fps %g",
                          width, height, fps);
    struct dn_track *t = calloc(1, sizeof(*t));
    if (!t)
        return dn_err_set(err, DN_ERR_RESOURCE, "track: out of memory");
    t->width = width;
    t->height = height;
    t->fps = fps;
    *out = t;
    return 0;
}

int dn_track_reserve(struct dn_track *t, size_t n, struct dn_err *err)
{
    if (n <= t->capacity)
        return 0;
    if (n > DN_TRACK_MAX_FRAMES)
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "track: more than %d frames",
                          DN_TRACK_MAX_FRAMES);
    struct dn_track_frame *f = realloc(t->frames, n * sizeof(*f));
    if (!f)
        return dn_err_set(err, DN_ERR_RESOURCE, "track: out of memory for %zu frames", n);
    t->frames = f;
    t->capacity = n;
    return 0;
}

int dn_track_append(struct dn_track *t, const struct dn_track_frame *frame, struct dn_err *err)
{
    if (!isfinite(frame->time_s))
        return dn_err_set(err, DN_ERR_BAD_INPUT, "track: frame %zu has no finite time", t->n_frames);
    if (t->n_frames > 0 && !(frame->time_s > t->frames[t->n_frames - 1].time_s))
        return dn_err_set(err, DN_ERR_BAD_INPUT,
                          "track: frame %zu at %.6f s is not after the previous one (%.6f s)",
                          t->n_frames, frame->time_s, t->frames[t->n_frames - 1].time_s);
    if (t->n_frames == t->capacity) {
        size_t want = t->capacity ? 2 * t->capacity : 256;
        if (want > DN_TRACK_MAX_FRAMES)
            want = DN_TRACK_MAX_FRAMES;
        if (t->n_frames == want)
            return dn_err_set(err, DN_ERR_UNSUPPORTED, "track: more than %d frames",
                              DN_TRACK_MAX_FRAMES);
        int rc = dn_track_reserve(t, want, err);
        if (rc)
            return rc;
    }
    t->frames[t->n_frames++] = *frame;
    return 0;
}

void dn_track_destroy(struct dn_track *t)
{
    if (!t)
        return;
    free(t->frames);
    free(t);
}
