/*
 * pose_track.c — one tracked stream, as pose_landmark_cpu.pbtxt loops:
 * the detector runs when the previous frame left no ROI (first frame, or the
 * pose presence fell to the threshold or below); otherwise the ROI comes from
 * the previous frame's smoothed auxiliary landmarks (pose_landmarks_to_roi.pbtxt
 * through PreviousLoopbackCalculator). The networks run elsewhere, batched
 * over many lanes (pose_session.c); these functions are the per-lane steps
 * around them.
 */
#include <string.h>

#include "pose_internal.h"

void dn_pose_lane_init(struct dn_pose_lane *lane)
{
    memset(lane, 0, sizeof(*lane));
    dn_pose_smoother_init(&lane->smoother, false); /* the aux filter is on either way */
}

void dn_pose_lane_set_detection(struct dn_pose_lane *lane, const struct dn_pose_detection *d,
                                int img_w, int img_h)
{
    dn_pose_detection_to_roi(d, img_w, img_h, &lane->roi);
    lane->have_roi = true;
}

void dn_pose_lane_no_pose(struct dn_pose_lane *lane, struct dn_pose_result *res)
{
    dn_pose_smoother_reset(&lane->smoother);
    lane->have_roi = false;
    res->valid = false;
}

/* lm39: (39, 5) crop-normalised, from dn_pose_lm_decode; world39: (39, 3). */
void dn_pose_lane_on_landmarks(struct dn_pose_lane *lane, const float *lm39, const float *world39,
                               float presence, float min_presence, int64_t t_us, int img_w,
                               int img_h, struct dn_pose_result *res)
{
    struct dn_pose_lm body[DN_POSE_LM_BODY], aux[DN_POSE_LM_AUX], world[DN_POSE_LM_BODY];
    struct dn_pose_rrect px;
    float pad[4];

    res->presence = presence;
    res->roi = lane->roi;
    /* ThresholdingCalculator: accept when presence > threshold (in double). */
    if (!((double)presence > (double)min_presence)) {
        dn_pose_lane_no_pose(lane, res);
        return;
    }
    for (int i = 0; i < DN_POSE_LM_BODY + DN_POSE_LM_AUX; i++) {
        const float *l = lm39 + i * 5;
        struct dn_pose_lm *d = i < DN_POSE_LM_BODY ? &body[i] : &aux[i - DN_POSE_LM_BODY];
        *d = (struct dn_pose_lm){l[0], l[1], l[2], l[3], l[4]};
    }
    /* VisibilityCopyCalculator: world landmarks get the body's visibility
     * and presence before either list is projected or filtered. */
    for (int i = 0; i < DN_POSE_LM_BODY; i++) {
        const float *w = world39 + i * 3;
        world[i] = (struct dn_pose_lm){w[0], w[1], w[2], body[i].visibility, body[i].presence};
    }
    /* The letterbox of the landmark crop (zero for the square ROIs made here). */
    dn_pose_roi_pixels(&lane->roi, img_w, img_h, DN_POSE_LM_SIZE, DN_POSE_LM_SIZE, &px, pad);
    dn_pose_project_landmarks(body, DN_POSE_LM_BODY, &lane->roi, pad);
    dn_pose_project_landmarks(aux, DN_POSE_LM_AUX, &lane->roi, pad);
    dn_pose_project_world(world, DN_POSE_LM_BODY, &lane->roi);

    memcpy(res->aux, aux, sizeof(aux));
    dn_pose_smoother_track(&lane->smoother, t_us, img_w, img_h, aux);

    /* PoseLandmarksToRoi on the filtered auxiliary landmarks: next frame's ROI. */
    dn_pose_rect_from_points(aux[0].x, aux[0].y, aux[1].x, aux[1].y, img_w, img_h, &lane->roi);
    dn_pose_rect_transform(&lane->roi, img_w, img_h);
    lane->have_roi = true;

    res->valid = true;
    memcpy(res->body, body, sizeof(body));
    memcpy(res->world, world, sizeof(world));
}

/* Batching: a chunk of frames split into temporal segments that are tracked
 * independently (pose.h, README.md). */

int dn_pose_plan_segments(int n, int segments, int min_len, int warmup,
                          struct dn_pose_segment *out)
{
    int s = segments < 1 ? 1 : segments;
    if (min_len < 1)
        min_len = 1;
    if (s > n / min_len)
        s = n / min_len > 1 ? n / min_len : 1;
    int per;
    for (;;) {
        /* Segment 0 has no warm-up, the others warmup frames each. */
        per = (n + (s - 1) * warmup + s - 1) / s;
        if (s == 1 || per - warmup >= 1)
            break;
        s--;
    }
    int start = 0;
    for (int i = 0; i < s; i++) {
        int len = i == 0 ? per : per - warmup;
        if (len > n - start || i == s - 1)
            len = n - start;
        out[i].start = start;
        out[i].end = start + len;
        out[i].from = i == 0 ? 0 : (start - warmup > 0 ? start - warmup : 0);
        start += len;
    }
    return s;
}
