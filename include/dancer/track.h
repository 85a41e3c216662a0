/*
 * track.h — the landmark track: what the pose stage produces for one video and
 * the gait stage consumes. Plain data plus an append-only frame array.
 *
 * Coordinates. Image landmarks are in pixels of the *upright* frame (the
 * container's rotation flag already applied), origin top-left, x right, y
 * down; width/height are that frame's. z is MediaPipe's relative depth: same
 * scale as x, origin at the hip midpoint, smaller = closer to the camera.
 * World landmarks are the landmark model's own 3D estimate in metres, origin
 * at the hip midpoint, axes as the image (x right, y down, z away from the
 * camera); they are a model estimate, not a measurement.
 *
 * Frames. One entry per *analysed* frame (the pose stage may skip frames; fps
 * is the rate of analysed frames). Times are strictly increasing. A frame
 * without a tracked pose is still appended, with valid = false, so the gait
 * stage sees dropouts as gaps in time rather than as a shorter video.
 *
 * Memory. A frame is ~1.4 KB; a 60 s video at 60 fps is ~5 MB. The array grows
 * by doubling and is bounded by DN_TRACK_MAX_FRAMES.
 *
 * Threads: a track is not locked; one writer, or any number of readers once
 * complete.
 */
#ifndef DANCER_TRACK_H
#define DANCER_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dancer/err.h"

/* BlazePose's 33 body landmarks, in the model's output order. */
#define DN_TRACK_LANDMARKS 33
enum dn_landmark_id {
    DN_LM_NOSE = 0,
    DN_LM_LEFT_EYE_INNER, DN_LM_LEFT_EYE, DN_LM_LEFT_EYE_OUTER,
    DN_LM_RIGHT_EYE_INNER, DN_LM_RIGHT_EYE, DN_LM_RIGHT_EYE_OUTER,
    DN_LM_LEFT_EAR, DN_LM_RIGHT_EAR, DN_LM_MOUTH_LEFT, DN_LM_MOUTH_RIGHT,
    DN_LM_LEFT_SHOULDER = 11, DN_LM_RIGHT_SHOULDER,
    DN_LM_LEFT_ELBOW, DN_LM_RIGHT_ELBOW, DN_LM_LEFT_WRIST, DN_LM_RIGHT_WRIST,
    DN_LM_LEFT_PINKY, DN_LM_RIGHT_PINKY, DN_LM_LEFT_INDEX, DN_LM_RIGHT_INDEX,
    DN_LM_LEFT_THUMB, DN_LM_RIGHT_THUMB,
    DN_LM_LEFT_HIP = 23, DN_LM_RIGHT_HIP,
    DN_LM_LEFT_KNEE, DN_LM_RIGHT_KNEE, DN_LM_LEFT_ANKLE, DN_LM_RIGHT_ANKLE,
    DN_LM_LEFT_HEEL, DN_LM_RIGHT_HEEL, DN_LM_LEFT_FOOT_INDEX, DN_LM_RIGHT_FOOT_INDEX = 32,
};

/* Upper bound on frames per track: 15 min at 120 fps (~150 MB). Longer input
 * must be rejected before pose estimation; append refuses beyond it. */
#define DN_TRACK_MAX_FRAMES 108000

struct dn_landmark {
    float x, y, z;    /* see the coordinate note above */
    float visibility; /* 0..1: landmark visible (not occluded), after sigmoid */
    float presence;   /* 0..1: landmark inside the frame, after sigmoid */
};

struct dn_track_frame {
    double time_s;  /* presentation time from the start of the video, s */
    float presence; /* pose presence score of the landmark model, 0..1 */
    bool valid;     /* a pose was tracked; when false the landmarks are ignored */
    struct dn_landmark image[DN_TRACK_LANDMARKS]; /* px, upright frame */
    struct dn_landmark world[DN_TRACK_LANDMARKS]; /* m, hip-centred; only when track.has_world */
};

struct dn_track {
    int width, height; /* upright frame, px (> 0) */
    double fps;        /* nominal rate of the analysed frames, Hz (> 0) */
    bool has_world;    /* world[] is filled (false e.g. for a CSV track) */
    size_t n_frames;
    struct dn_track_frame *frames; /* n_frames entries, owned by the track */
    size_t capacity;               /* private: allocated entries */
};

/* Allocates an empty track. width, height and fps must be positive and
 * finite (DN_ERR_BAD_INPUT otherwise); DN_ERR_RESOURCE when out of memory.
 * On success *out owns the track (free with dn_track_destroy); on error *out
 * is NULL. has_world starts false: the producer sets it. */
int dn_track_new(struct dn_track **out, int width, int height, double fps, struct dn_err *err);

/* Reserves room for n frames (an optimisation; append grows as needed).
 * Errors as dn_track_append. */
int dn_track_reserve(struct dn_track *track, size_t n, struct dn_err *err);

/* Copies *frame to the end of the track. Errors: DN_ERR_BAD_INPUT when
 * time_s is not finite or not greater than the previous frame's;
 * DN_ERR_UNSUPPORTED beyond DN_TRACK_MAX_FRAMES; DN_ERR_RESOURCE when out of
 * memory. On error the track is unchanged. */
int dn_track_append(struct dn_track *track, const struct dn_track_frame *frame, struct dn_err *err);

/* Frees the track and its frames. NULL is a no-op. */
void dn_track_destroy(struct dn_track *track);

/* "nose", "left_heel", ... (MediaPipe's names); "?" out of range. Static. */
const char *dn_track_landmark_name(int id);

/*
 * Per-frame landmarks CSV (DESIGN.md, `--landmarks-csv`):
 *     frame,time_s,landmark,x,y,z,visibility
 * one row per landmark of every valid frame; frame = index in the track,
 * landmark = BlazePose index 0..32, x/y/z as image[] above.
 */

/* Writes the header and the rows of every valid frame to out.
 * DN_ERR_INTERNAL when a write fails (disk full). */
int dn_track_write_csv(const struct dn_track *track, FILE *out, struct dn_err *err);

/* Reads a CSV written by dn_track_write_csv (or the synthetic walker's truth
 * file, same format) into a new track. width/height: the frame size, which
 * the CSV does not carry (> 0). fps <= 0: estimated from the median time step.
 * Frame indices absent from the file become invalid frames (time
 * interpolated from fps); a frame with some landmarks missing is valid with
 * those landmarks at visibility 0. presence is set to 1 for rows present;
 * has_world is false. Rows may come in any landmark order but frames must
 * not decrease. Errors: DN_ERR_NOT_FOUND (cannot open), DN_ERR_BAD_INPUT
 * (malformed row, with its line number), others as dn_track_append. */
int dn_track_read_csv(const char *path, int width, int height, double fps,
                      struct dn_track **out, struct dn_err *err);

#endif
