/*
 * pose_roi.c — rectangles and maps of the pose graphs: ROI from two
 * alignment points, the ROI transformation, the ImageToTensor crop map and
 * the landmark projections back to the frame. Float arithmetic in the order
 * MediaPipe's calculators use, so results agree to float rounding.
 */
#include <math.h>
#include <string.h>

#include "pose_internal.h"

float dn_pose_normalize_radians(float angle)
{
    /* detections_to_rects_calculator.h: computed in double (M_PI), stored float. */
    return (float)(angle - 2 * M_PI * floor((angle - (-M_PI)) / (2 * M_PI)));
}

/* AlignmentPointsRectsCalculator::DetectionToNormalizedRect and
 * DetectionsToRectsCalculator::ComputeRotation (start 0, end 1, target 90°). */
void dn_pose_rect_from_points(float x0, float y0, float x1, float y1, int img_w, int img_h,
                              struct dn_pose_rect *out)
{
    const float w = (float)img_w, h = (float)img_h;
    const float xc = x0 * w, yc = y0 * h;
    const float xs = x1 * w, ys = y1 * h;
    const float box = sqrtf((xs - xc) * (xs - xc) + (ys - yc) * (ys - yc)) * 2.0f;
    const float target = (float)(M_PI * DN_POSE_ROI_TARGET_DEG / 180.f);
    out->xc = xc / w;
    out->yc = yc / h;
    out->w = box / w;
    out->h = box / h;
    out->rotation = dn_pose_normalize_radians(target - atan2f(-(ys - yc), xs - xc));
}

/* RectTransformationCalculator::TransformNormalizedRect with scale_x = scale_y
 * = 1.25 and square_long (shift 0: the centre stays). */
void dn_pose_rect_transform(struct dn_pose_rect *r, int img_w, int img_h)
{
    float long_side = fmaxf(r->w * (float)img_w, r->h * (float)img_h);
    r->w = long_side / (float)img_w * DN_POSE_ROI_SCALE;
    r->h = long_side / (float)img_h * DN_POSE_ROI_SCALE;
}

/* image_to_tensor_utils.cc GetRoi + PadRoi(keep_aspect_ratio = true). */
void dn_pose_roi_pixels(const struct dn_pose_rect *rect, int img_w, int img_h, int tensor_w,
                        int tensor_h, struct dn_pose_rrect *out, float pad[4])
{
    if (rect) {
        out->cx = rect->xc * (float)img_w;
        out->cy = rect->yc * (float)img_h;
        out->w = rect->w * (float)img_w;
        out->h = rect->h * (float)img_h;
        out->rotation = rect->rotation;
    } else {
        out->cx = 0.5f * (float)img_w;
        out->cy = 0.5f * (float)img_h;
        out->w = (float)img_w;
        out->h = (float)img_h;
        out->rotation = 0.0f;
    }
    const float tensor_aspect = (float)tensor_h / (float)tensor_w;
    const float roi_aspect = out->h / out->w;
    float hpad = 0.0f, vpad = 0.0f;
    if (tensor_aspect > roi_aspect) {
        out->h = out->w * tensor_aspect;
        vpad = (1.0f - roi_aspect / tensor_aspect) / 2.0f;
    } else {
        out->w = out->h / tensor_aspect;
        hpad = (1.0f - tensor_aspect / roi_aspect) / 2.0f;
    }
    pad[0] = hpad;
    pad[1] = vpad;
    pad[2] = hpad;
    pad[3] = vpad;
}

/* cv::getPerspectiveTransform from cv::boxPoints(roi) to the tensor corners
 * (image_to_tensor_converter_opencv.cc) is this affine map: tensor pixel
 * (u, v) → centre + R(θ)·((u/W − ½)·w, (v/H − ½)·h). Same as
 * GetRotatedSubRectToRectTransformMatrix, scaled to pixels. */
void dn_pose_crop_map(const struct dn_pose_rrect *roi, int tensor_w, int tensor_h, float m[6])
{
    const float c = cosf(roi->rotation), s = sinf(roi->rotation);
    const float sx = roi->w / (float)tensor_w, sy = roi->h / (float)tensor_h;
    m[0] = c * sx;
    m[1] = -s * sy;
    m[2] = roi->cx - 0.5f * c * roi->w + 0.5f * s * roi->h;
    m[3] = s * sx;
    m[4] = c * sy;
    m[5] = roi->cy - 0.5f * s * roi->w - 0.5f * c * roi->h;
}

/* Upright pixel (X, Y) → stored pixel, pixel centres on integers (what a
 * lossless turn of the picture does): 90: x = Y, y = H−1−X; 180: x = W−1−X,
 * y = H−1−Y; 270: x = W−1−Y, y = X (W, H the stored size). */
void dn_pose_map_to_stored(float m[6], int rotation_deg, int stored_w, int stored_h)
{
    const float a[6] = {m[0], m[1], m[2], m[3], m[4], m[5]};
    const float wm1 = (float)(stored_w - 1), hm1 = (float)(stored_h - 1);
    switch (rotation_deg) {
    case 90:
        m[0] = a[3], m[1] = a[4], m[2] = a[5];
        m[3] = -a[0], m[4] = -a[1], m[5] = hm1 - a[2];
        break;
    case 180:
        m[0] = -a[0], m[1] = -a[1], m[2] = wm1 - a[2];
        m[3] = -a[3], m[4] = -a[4], m[5] = hm1 - a[5];
        break;
    case 270:
        m[0] = -a[3], m[1] = -a[4], m[2] = wm1 - a[5];
        m[3] = a[0], m[4] = a[1], m[5] = a[2];
        break;
    default:
        break;
    }
}

/* LandmarkLetterboxRemovalCalculator then LandmarkProjectionCalculator's
 * NORM_RECT-only path (rotation in normalised space; exact for the square
 * pixel ROIs the pose graph makes). */
void dn_pose_project_landmarks(struct dn_pose_lm *lms, int n, const struct dn_pose_rect *roi,
                               const float pad[4])
{
    const float lr = pad[0] + pad[2], tb = pad[1] + pad[3];
    const float c = cosf(roi->rotation), s = sinf(roi->rotation);
    for (int i = 0; i < n; i++) {
        struct dn_pose_lm *l = &lms[i];
        float x = (l->x - pad[0]) / (1.0f - lr);
        float y = (l->y - pad[1]) / (1.0f - tb);
        float z = l->z / (1.0f - lr);
        x -= 0.5f;
        y -= 0.5f;
        float nx = c * x - s * y, ny = s * x + c * y;
        l->x = nx * roi->w + roi->xc;
        l->y = ny * roi->h + roi->yc;
        l->z = z * roi->w;
    }
}

void dn_pose_project_world(struct dn_pose_lm *lms, int n, const struct dn_pose_rect *roi)
{
    const float c = cosf(roi->rotation), s = sinf(roi->rotation);
    for (int i = 0; i < n; i++) {
        float x = lms[i].x, y = lms[i].y;
        lms[i].x = c * x - s * y;
        lms[i].y = s * x + c * y;
    }
}

/* A frame + ROI (NULL: the whole frame, letterboxed) as a crop job: the
 * ImageToTensor options of the two graphs. */
void dn_pose_make_job(const struct dn_pose_frame_ref *f, const struct dn_pose_rect *rect,
                      int tensor_size, float *out, struct dn_pose_crop_job *job, float pad[4])
{
    struct dn_pose_rrect roi;
    memset(job, 0, sizeof(*job));
    for (int p = 0; p < 3; p++) {
        job->planes[p] = f->planes[p];
        job->pitch[p] = f->pitch[p];
    }
    job->width = f->width;
    job->height = f->height;
    job->sample_bytes = f->sample_bytes;
    job->interleaved = f->interleaved;
    job->colour = f->colour;
    dn_pose_roi_pixels(rect, f->up_w, f->up_h, tensor_size, tensor_size, &roi, pad);
    dn_pose_crop_map(&roi, tensor_size, tensor_size, job->m);
    dn_pose_map_to_stored(job->m, f->rotation_deg, f->width, f->height);
    /* The detector takes [-1, 1] with a black (zero) border
     * (pose_detection_cpu.pbtxt); the landmark net [0, 1] with the default
     * replicated border (pose_landmark_by_roi_cpu.pbtxt). */
    if (!rect) {
        job->out_scale = 2.0f, job->out_offset = -1.0f, job->border = DN_POSE_BORDER_ZERO;
    } else {
        job->out_scale = 1.0f, job->out_offset = 0.0f, job->border = DN_POSE_BORDER_REPLICATE;
    }
    job->out = out;
}
