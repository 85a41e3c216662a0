/*
 * pose_nets.h — the two networks with their pre- and post-processing, run
 * on batches of (frame, lane) pairs from any mix of videos: one crop launch,
 * one network launch and one download per sub-batch of at most max_batch
 * items. Internal to src/pose/ and its tests.
 */
#ifndef DANCER_POSE_NETS_H
#define DANCER_POSE_NETS_H

#include <stdbool.h>
#include <stdint.h>

#include "dancer/device.h"
#include "dancer/err.h"
#include "pose_internal.h"

/* One lane's work in a step: its current frame and where the result goes. */
struct dn_pose_step_item {
    const struct dn_pose_frame_ref *frame;
    struct dn_pose_lane *lane;
    struct dn_pose_result *res;
};

struct dn_pose_nets_stats {
    int64_t detector_items, landmark_items;       /* frames through each network */
    int64_t detector_launches, landmark_launches; /* network runs */
};

struct dn_pose_nets;

/* Loads both .dnm files and makes runners for max_batch items. stream: the
 * GPU stream everything is enqueued on (NULL on the CPU path); borrowed.
 * min_score: the detector's min_score_thresh (DN_POSE_DET_MIN_SCORE).
 * Errors: those of dn_nn_model_load / dn_nn_runner_new, DN_ERR_BAD_INPUT when
 * a model lacks the tensors the pose graphs read. */
int dn_pose_nets_new(const char *detector_path, const char *landmark_path, int max_batch,
                     float min_score, bool use_gpu, struct dn_stream *stream,
                     struct dn_pose_nets **out, struct dn_err *err);
void dn_pose_nets_destroy(struct dn_pose_nets *nets);

/* sha256 of the source .tflite files (64 hex chars, owned by nets). */
const char *dn_pose_nets_detector_sha256(const struct dn_pose_nets *nets);
const char *dn_pose_nets_landmark_sha256(const struct dn_pose_nets *nets);
void dn_pose_nets_get_stats(const struct dn_pose_nets *nets, struct dn_pose_nets_stats *st);

/* One tracking step for n items: the detector on the frames of lanes that
 * have no ROI, then the landmark network on every lane that has one; each
 * item's result and lane are updated (dn_pose_lane_*). */
int dn_pose_nets_step(struct dn_pose_nets *nets, struct dn_pose_step_item *items, int n,
                      float min_presence, struct dn_err *err);

/* The detector alone: for frame i, up to max_dets detections (NMS output,
 * best first, letterbox removed: frame-normalised) go to
 * dets[i·max_dets ..], their count to counts[i]. */
int dn_pose_nets_detect(struct dn_pose_nets *nets, const struct dn_pose_frame_ref *const *frames,
                        int n, struct dn_pose_detection *dets, int max_dets, int *counts,
                        struct dn_err *err);

/* The landmark network alone on given ROIs: lm (n, 39, 5) crop-normalised
 * decoded landmarks, world (n, 39, 3), presence (n). */
int dn_pose_nets_landmarks(struct dn_pose_nets *nets,
                           const struct dn_pose_frame_ref *const *frames,
                           const struct dn_pose_rect *rois, int n, float *lm, float *world,
                           float *presence, struct dn_err *err);

#endif
