/*
 * pose_internal.h — the host-side stages of the pose pipeline, exposed to
 * src/pose/ and its tests (the way aws-c-auth exposes signing stages): MediaPipe's
 * pose graphs (mediapipe/modules/pose_detection/, pose_landmark/) re-done in C,
 * one function per calculator, each citing the graph config its constants
 * come from. Coordinates follow MediaPipe: "normalised" means divided by the
 * upright frame's width (x, z) or height (y); a rect's rotation is in radians,
 * clockwise in image coordinates (y down).
 */
#ifndef DANCER_POSE_INTERNAL_H
#define DANCER_POSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dancer/pose_kernels.h"

/* ---- constants from the graph configs ------------------------------------ */

/* pose_detection_cpu.pbtxt: ImageToTensorCalculator (224×224, [-1,1],
 * keep_aspect_ratio, BORDER_ZERO) and TensorsToDetectionsCalculator. */
#define DN_POSE_DET_SIZE 224
#define DN_POSE_DET_ANCHORS 2254
#define DN_POSE_DET_COORDS 12   /* box (x, y, w, h) + 4 keypoints (x, y) */
#define DN_POSE_DET_KEYPOINTS 4
#define DN_POSE_DET_SCORE_CLIP 100.0f
#define DN_POSE_DET_MIN_SCORE 0.5f  /* min_score_thresh = Python's min_detection_confidence */
#define DN_POSE_NMS_IOU 0.3f        /* NonMaxSuppressionCalculator min_suppression_threshold */

/* pose_landmark_by_roi_cpu.pbtxt: ImageToTensorCalculator 256×256, [0,1],
 * keep_aspect_ratio, border unset = BORDER_REPLICATE; the model's 39
 * landmarks (33 body + 2 auxiliary for the next ROI + 4 unused). */
#define DN_POSE_LM_SIZE 256
#define DN_POSE_LM_ALL 39
#define DN_POSE_LM_BODY 33
#define DN_POSE_LM_AUX 2           /* landmarks 33, 34 (SplitNormalizedLandmarkList 33..35) */
#define DN_POSE_LM_HEATMAP 64
#define DN_POSE_LM_HEATMAP_KERNEL 7 /* RefineLandmarksFromHeatmapCalculator kernel_size */
#define DN_POSE_LM_HEATMAP_MIN 0.5f /* its min_confidence_to_refine default */
#define DN_POSE_MIN_PRESENCE 0.5f   /* ThresholdingCalculator threshold = min_tracking_confidence */

/* pose_detection_to_roi.pbtxt and pose_landmarks_to_roi.pbtxt:
 * AlignmentPointsRectsCalculator(start 0, end 1, target 90°) and
 * RectTransformationCalculator(scale 1.25, square_long). */
#define DN_POSE_ROI_SCALE 1.25f
#define DN_POSE_ROI_TARGET_DEG 90.0f

/* ---- geometry ------------------------------------------------------------- */

/* MediaPipe's NormalizedRect. */
struct dn_pose_rect {
    float xc, yc, w, h; /* normalised */
    float rotation;     /* radians */
};

/* MediaPipe's RotatedRect (image_to_tensor_utils.h): pixels of the upright frame. */
struct dn_pose_rrect {
    float cx, cy, w, h, rotation;
};

/* NormalizeRadians of detections_to_rects_calculator.h: into [−π, π). */
float dn_pose_normalize_radians(float angle);

/* AlignmentPointsRectsCalculator: centre at point 0, side twice the distance
 * to point 1, rotation turning the 0→1 vector to 90°. Points normalised. */
void dn_pose_rect_from_points(float x0, float y0, float x1, float y1, int img_w, int img_h,
                              struct dn_pose_rect *out);

/* RectTransformationCalculator with the pose graphs' options (scale 1.25,
 * square_long, no shift, no extra rotation). */
void dn_pose_rect_transform(struct dn_pose_rect *r, int img_w, int img_h);

/* GetRoi + PadRoi (image_to_tensor_utils.cc) with keep_aspect_ratio: the rect
 * in pixels, widened to the tensor's aspect ratio; pad gets the letterbox
 * padding (left, top, right, bottom) as fractions of the tensor. rect NULL =
 * the whole frame (the detector's input). */
void dn_pose_roi_pixels(const struct dn_pose_rect *rect, int img_w, int img_h, int tensor_w,
                        int tensor_h, struct dn_pose_rrect *out, float pad[4]);

/* The ImageToTensor sampling map for roi: tensor pixel (u, v) → upright
 * frame pixel, m as dn_pose_crop_job.m (the OpenCV converter maps the rotated
 * rect's corners to the tensor's corners, image_to_tensor_converter_opencv.cc). */
void dn_pose_crop_map(const struct dn_pose_rrect *roi, int tensor_w, int tensor_h, float m[6]);

/* Composes m (→ upright pixel) with the rotation flag: upright pixel →
 * stored pixel of a stored_w × stored_h picture that a viewer turns
 * rotation_deg (0/90/180/270) clockwise. */
void dn_pose_map_to_stored(float m[6], int rotation_deg, int stored_w, int stored_h);

/* A buffered frame as the crop kernel reads it (planes in the session's
 * store: host memory on the CPU path, device memory on the GPU path). */
struct dn_pose_frame_ref {
    const uint8_t *planes[3];
    int pitch[3];
    int width, height;        /* stored luma px */
    int sample_bytes, interleaved;
    int rotation_deg;         /* clockwise turn to view */
    int up_w, up_h;           /* upright px */
    struct dn_pose_colour colour;
    int64_t t_us;             /* presentation time, µs */
};

/* The crop job a frame + ROI make (rect NULL: the detector's letterbox of
 * the whole frame); pad gets the letterbox. Exposed for the preprocessing
 * tests. */
void dn_pose_make_job(const struct dn_pose_frame_ref *f, const struct dn_pose_rect *rect,
                      int tensor_size, float *out, struct dn_pose_crop_job *job, float pad[4]);

/* ---- detector ------------------------------------------------------------- */

struct dn_pose_anchor {
    float xc, yc, w, h;
};

/* SsdAnchorsCalculatorOptions as pose_detection_cpu.pbtxt sets them. */
struct dn_pose_ssd_options {
    int num_layers;
    float min_scale, max_scale;
    int input_h, input_w;
    float offset_x, offset_y;
    int strides[8];
    int n_aspect_ratios;
    float aspect_ratios[4];
    float interpolated_scale_aspect_ratio; /* proto default 1.0 */
    bool reduce_boxes_in_lowest_layer;
    bool fixed_anchor_size;
};

void dn_pose_ssd_options_pose(struct dn_pose_ssd_options *o);

/* SsdAnchorsCalculator::GenerateAnchors: writes up to max anchors, returns
 * how many the options describe (so a caller can size the array). */
int dn_pose_anchors_generate(const struct dn_pose_ssd_options *o, struct dn_pose_anchor *out,
                             int max);

/* MediaPipe's Detection, reduced to what the pose graphs use. */
struct dn_pose_detection {
    float score;
    float xmin, ymin, w, h;                 /* relative bounding box */
    float kp[DN_POSE_DET_KEYPOINTS][2];     /* relative keypoints (x, y) */
};

/* TensorsToDetectionsCalculator::ProcessCPU for the pose detector: boxes is
 * (n_anchors, 12), scores (n_anchors) logits. Writes the detections scoring
 * at least min_score to out (capacity n_anchors), in anchor order; returns
 * their count. */
int dn_pose_decode_boxes(const float *boxes, const float *scores,
                         const struct dn_pose_anchor *anchors, int n_anchors, float min_score,
                         struct dn_pose_detection *out);

/* NonMaxSuppressionCalculator, WEIGHTED, INTERSECTION_OVER_UNION: dets (n)
 * is reordered in place (scratch); the kept detections go to out
 * (capacity n), best first; returns their count. */
int dn_pose_nms_weighted(struct dn_pose_detection *dets, int n, float iou_threshold,
                         struct dn_pose_detection *out);

/* DetectionLetterboxRemovalCalculator. */
void dn_pose_detection_unpad(struct dn_pose_detection *d, const float pad[4]);

/* PoseDetectionToRoi (pose_detection_to_roi.pbtxt): keypoints 0 and 1. */
void dn_pose_detection_to_roi(const struct dn_pose_detection *d, int img_w, int img_h,
                              struct dn_pose_rect *out);

/* ---- landmarks ------------------------------------------------------------ */

/* One landmark, normalised (x, y, z as MediaPipe's NormalizedLandmark) or
 * world (metres). */
struct dn_pose_lm {
    float x, y, z, visibility, presence;
};

/* LandmarkLetterboxRemovalCalculator + LandmarkProjectionCalculator (the
 * NORM_RECT form, no IMAGE_DIMENSIONS): crop-normalised → frame-normalised. */
void dn_pose_project_landmarks(struct dn_pose_lm *lms, int n, const struct dn_pose_rect *roi,
                               const float pad[4]);

/* WorldLandmarkProjectionCalculator: rotates x, y by the ROI's rotation. */
void dn_pose_project_world(struct dn_pose_lm *lms, int n, const struct dn_pose_rect *roi);

/* ---- temporal filters (pose_landmark_filtering.pbtxt) ------------------- */

/* mediapipe/util/filtering/low_pass_filter.cc: state kept in float. */
struct dn_pose_lowpass {
    float alpha, raw, stored;
    bool initialized;
};

/* mediapipe/util/filtering/one_euro_filter.cc. */
struct dn_pose_one_euro {
    double frequency, min_cutoff, beta, derivate_cutoff;
    int64_t last_ns;
    bool have_last; /* MediaPipe uses last_ns == 0 as "none"; see pose_filter.c */
    struct dn_pose_lowpass x, dx;
};

struct dn_pose_one_euro_params {
    double frequency, min_cutoff, beta, derivate_cutoff;
    bool disable_value_scaling;
};

/* VisibilitySmoothing (low pass on visibility) + LandmarksSmoothing (one-euro
 * on x, y, z) for a list of n ≤ DN_POSE_LM_BODY landmarks. */
struct dn_pose_lm_filter {
    int n;
    bool smooth;       /* false: MediaPipe's no_filter (pass through) */
    bool vis_active;   /* the visibility filters hold state */
    bool coord_active; /* the one-euro filters hold state */
    bool gap_resets;   /* a frame without a pose resets the one-euro filters */
    float vis_alpha;
    struct dn_pose_one_euro_params p;
    struct dn_pose_lowpass vis[DN_POSE_LM_BODY];
    struct dn_pose_one_euro f[DN_POSE_LM_BODY][3];
};

/* The three filter groups of PoseLandmarkFiltering. */
struct dn_pose_smoother {
    struct dn_pose_lm_filter body, world, aux;
};

/* smooth = Pose(smooth_landmarks=...): body and world filters on or off;
 * the auxiliary filter (next ROI) is always on, as in the graph. */
void dn_pose_smoother_init(struct dn_pose_smoother *s, bool smooth);
/* A frame without a pose. In the graph only the smoothing calculators that
 * also take IMAGE_SIZE see such a frame (the others get no packet at that
 * timestamp, so they never run): the body and auxiliary one-euro filters
 * reset; the visibility filters and the world one-euro filter keep their
 * state across the gap. */
void dn_pose_smoother_reset(struct dn_pose_smoother *s);
/* Filters one frame in place: body (33) and aux (2) normalised, world (33)
 * in metres, at time t_us. img_w/h: the upright frame. Same as
 * dn_pose_smoother_track then dn_pose_smoother_body with the unfiltered aux. */
void dn_pose_smoother_apply(struct dn_pose_smoother *s, int64_t t_us, int img_w, int img_h,
                            struct dn_pose_lm *body, struct dn_pose_lm *aux,
                            struct dn_pose_lm *world);

/* The two halves, which the graph runs independently: only the auxiliary
 * filter feeds the next ROI (tracking); the body and world filters only
 * shape the output, so the session runs them in frame order after
 * tracking, whatever segment each frame came from. Both take the
 * unfiltered auxiliary landmarks (they set the object scale); _track
 * filters aux in place. */
void dn_pose_smoother_track(struct dn_pose_smoother *s, int64_t t_us, int img_w, int img_h,
                            struct dn_pose_lm *aux);
void dn_pose_smoother_body(struct dn_pose_smoother *s, int64_t t_us, int img_w, int img_h,
                           const struct dn_pose_lm *aux_raw, struct dn_pose_lm *body,
                           struct dn_pose_lm *world);

double dn_pose_one_euro_apply(struct dn_pose_one_euro *f, int64_t t_ns, double value_scale,
                              double value);
float dn_pose_lowpass_apply(struct dn_pose_lowpass *f, float value, float alpha);

/* ---- tracking (pose_landmark_cpu.pbtxt) --------------------------------- */

/* One tracked stream: a video, or one temporal segment of one. Holds what
 * the next frame's ROI depends on: the ROI and the auxiliary filter. */
struct dn_pose_lane {
    bool have_roi;            /* roi is set for the current frame (loop or detector) */
    struct dn_pose_rect roi;  /* for this frame: from the detector or the loop */
    struct dn_pose_smoother smoother; /* its aux filter only */
};

/* What the pipeline produced for one frame. */
struct dn_pose_result {
    bool detected;            /* the detector ran on this frame */
    bool valid;               /* a pose was tracked */
    float presence;           /* pose presence score (0 when the landmark net did not run) */
    struct dn_pose_rect roi;  /* the landmark crop's ROI */
    /* Projected, not yet smoothed (dn_pose_smoother_body does that, in frame order). */
    struct dn_pose_lm body[DN_POSE_LM_BODY];   /* normalised */
    struct dn_pose_lm aux[DN_POSE_LM_AUX];     /* normalised, unfiltered */
    struct dn_pose_lm world[DN_POSE_LM_BODY];  /* metres */
};

void dn_pose_lane_init(struct dn_pose_lane *lane);

/* After the detector ran on this frame: d is its best detection (the first
 * after NMS, as SplitDetectionVectorCalculator keeps), letterbox removed,
 * frame-normalised. PoseDetectionToRoi sets this frame's ROI. */
void dn_pose_lane_set_detection(struct dn_pose_lane *lane, const struct dn_pose_detection *d,
                                int img_w, int img_h);

/* After the landmark network ran on the lane's ROI: lm39 the decoded
 * landmarks (dn_pose_lm_decode output, crop-normalised), world39 the raw
 * world landmarks (39 × 3), presence the pose flag. Fills res (projected,
 * unsmoothed) and prepares the next frame's ROI (or drops tracking). */
void dn_pose_lane_on_landmarks(struct dn_pose_lane *lane, const float *lm39, const float *world39,
                               float presence, float min_presence, int64_t t_us, int img_w,
                               int img_h, struct dn_pose_result *res);

/* A frame without a pose (nobody detected, or presence too low): resets
 * the lane's filter, res invalid. */
void dn_pose_lane_no_pose(struct dn_pose_lane *lane, struct dn_pose_result *res);

/* ---- batching: temporal segments of a chunk (pose_track.c) -------------- */

/* Segment s outputs frames [start, end) of a chunk; it begins tracking at
 * from ≤ start (the warm-up frames from..start are tracked and dropped).
 * Segment 0 continues the previous chunk's lane (from = start = 0). */
struct dn_pose_segment {
    int from, start, end;
};

/* Splits a chunk of n frames into at most `segments` segments (≥ 1), none
 * shorter than min_len unless there is only one, balancing the work
 * (output + warm-up frames) so they finish in the same step. Returns the
 * number used. */
int dn_pose_plan_segments(int n, int segments, int min_len, int warmup,
                          struct dn_pose_segment *out);

#endif
