/*
 * pose_detect.c — the detector's host side (pose_detection_cpu.pbtxt):
 * SSD anchors, box and keypoint decoding, weighted non-max suppression,
 * letterbox removal and the detection → ROI step of
 * pose_detection_to_roi.pbtxt. Small work (2254 anchors per frame), done on
 * the host after one download of the network outputs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pose_internal.h"

/* SsdAnchorsCalculator options of pose_detection_cpu.pbtxt. */
void dn_pose_ssd_options_pose(struct dn_pose_ssd_options *o)
{
    static const int strides[5] = {8, 16, 32, 32, 32};
    memset(o, 0, sizeof(*o));
    o->num_layers = 5;
    o->min_scale = 0.1484375f;
    o->max_scale = 0.75f;
    o->input_h = DN_POSE_DET_SIZE;
    o->input_w = DN_POSE_DET_SIZE;
    o->offset_x = 0.5f;
    o->offset_y = 0.5f;
    memcpy(o->strides, strides, sizeof(strides));
    o->n_aspect_ratios = 1;
    o->aspect_ratios[0] = 1.0f;
    o->interpolated_scale_aspect_ratio = 1.0f; /* ssd_anchors_calculator.proto default */
    o->fixed_anchor_size = true;
}

static float s_scale(float min_scale, float max_scale, int index, int n)
{
    if (n == 1)
        return (min_scale + max_scale) * 0.5f;
    return (float)(min_scale + (max_scale - min_scale) * 1.0 * index / (n - 1.0f));
}

/* Anchor sizes of the layers sharing stride strides[first]; returns the
 * index after the last of them. */
static int s_layer_sizes(const struct dn_pose_ssd_options *o, int first, float *aw, float *ah,
                         int *n_sizes)
{
    int last = first, k = 0;
    while (last < o->num_layers && o->strides[last] == o->strides[first]) {
        float scale = s_scale(o->min_scale, o->max_scale, last, o->num_layers);
        float ratios[8], scales[8];
        int n = 0;
        if (last == 0 && o->reduce_boxes_in_lowest_layer) {
            ratios[0] = 1.0f, scales[0] = 0.1f;
            ratios[1] = 2.0f, scales[1] = scale;
            ratios[2] = 0.5f, scales[2] = scale;
            n = 3;
        } else {
            for (int i = 0; i < o->n_aspect_ratios; i++)
                ratios[n] = o->aspect_ratios[i], scales[n++] = scale;
            if (o->interpolated_scale_aspect_ratio > 0.0f) {
                float next = last == o->num_layers - 1
                                 ? 1.0f
                                 : s_scale(o->min_scale, o->max_scale, last + 1, o->num_layers);
                scales[n] = sqrtf(scale * next);
                ratios[n++] = o->interpolated_scale_aspect_ratio;
            }
        }
        for (int i = 0; i < n && k < 32; i++, k++) {
            float r = sqrtf(ratios[i]);
            ah[k] = scales[i] / r;
            aw[k] = scales[i] * r;
        }
        last++;
    }
    *n_sizes = k;
    return last;
}

int dn_pose_anchors_generate(const struct dn_pose_ssd_options *o, struct dn_pose_anchor *out,
                             int max)
{
    int count = 0, layer = 0;
    while (layer < o->num_layers) {
        float aw[32], ah[32];
        int n_sizes;
        int next = s_layer_sizes(o, layer, aw, ah, &n_sizes);
        int stride = o->strides[layer];
        int fh = (int)ceilf(1.0f * (float)o->input_h / (float)stride);
        int fw = (int)ceilf(1.0f * (float)o->input_w / (float)stride);
        for (int y = 0; y < fh; y++) {
            for (int x = 0; x < fw; x++) {
                for (int a = 0; a < n_sizes; a++, count++) {
                    if (count >= max)
                        continue;
                    struct dn_pose_anchor *an = &out[count];
                    an->xc = (x + o->offset_x) * 1.0f / (float)fw;
                    an->yc = (y + o->offset_y) * 1.0f / (float)fh;
                    an->w = o->fixed_anchor_size ? 1.0f : aw[a];
                    an->h = o->fixed_anchor_size ? 1.0f : ah[a];
                }
            }
        }
        layer = next;
    }
    return count;
}

/* TensorsToDetectionsCalculator::DecodeBoxes (reverse_output_order: XYWH, and
 * keypoints x first), the sigmoid with score_clipping_thresh, then
 * ConvertToDetections (min_score_thresh; boxes with negative or NaN size
 * dropped). Scores are tested first so only kept boxes are decoded. */
int dn_pose_decode_boxes(const float *boxes, const float *scores,
                         const struct dn_pose_anchor *anchors, int n_anchors, float min_score,
                         struct dn_pose_detection *out)
{
    const float scale = (float)DN_POSE_DET_SIZE; /* x_scale = y_scale = w_scale = h_scale */
    int n = 0;
    for (int i = 0; i < n_anchors; i++) {
        float s = scores[i];
        s = s < -DN_POSE_DET_SCORE_CLIP ? -DN_POSE_DET_SCORE_CLIP : s;
        s = s > DN_POSE_DET_SCORE_CLIP ? DN_POSE_DET_SCORE_CLIP : s;
        s = 1.0f / (1.0f + expf(-s));
        if (s < min_score)
            continue;
        const float *b = boxes + (size_t)i * DN_POSE_DET_COORDS;
        const struct dn_pose_anchor *a = &anchors[i];
        float xc = b[0] / scale * a->w + a->xc;
        float yc = b[1] / scale * a->h + a->yc;
        float w = b[2] / scale * a->w;
        float h = b[3] / scale * a->h;
        float xmin = xc - w / 2.f, ymin = yc - h / 2.f;
        float xmax = xc + w / 2.f, ymax = yc + h / 2.f;
        struct dn_pose_detection *d = &out[n];
        d->score = s;
        d->xmin = xmin;
        d->ymin = ymin;
        d->w = xmax - xmin;
        d->h = ymax - ymin;
        if (d->w < 0 || d->h < 0 || isnan(d->w) || isnan(d->h))
            continue;
        for (int k = 0; k < DN_POSE_DET_KEYPOINTS; k++) {
            d->kp[k][0] = b[4 + 2 * k] / scale * a->w + a->xc;
            d->kp[k][1] = b[4 + 2 * k + 1] / scale * a->h + a->yc;
        }
        n++;
    }
    return n;
}

/* Highest score first; equal scores keep anchor order (std::sort leaves it
 * unspecified; this only matters for exact ties). */
static int s_by_score(const void *pa, const void *pb)
{
    const struct dn_pose_detection *a = pa, *b = pb;
    return (a->score < b->score) - (a->score > b->score);
}

/* non_max_suppression_calculator.cc OverlapSimilarity, INTERSECTION_OVER_UNION,
 * on Rectangle_f(xmin, ymin, w, h). */
static float s_iou(const struct dn_pose_detection *a, const struct dn_pose_detection *b)
{
    float ax1 = a->xmin + a->w, ay1 = a->ymin + a->h;
    float bx1 = b->xmin + b->w, by1 = b->ymin + b->h;
    if (bx1 < a->xmin || ax1 < b->xmin || by1 < a->ymin || ay1 < b->ymin)
        return 0.0f;
    float iw = fminf(ax1, bx1) - fmaxf(a->xmin, b->xmin);
    float ih = fminf(ay1, by1) - fmaxf(a->ymin, b->ymin);
    float inter = iw * ih;
    float norm = a->w * a->h + b->w * b->h - inter;
    return norm > 0.0f ? inter / norm : 0.0f;
}

/* Score-weighted mean of the candidates' boxes and keypoints; the score
 * stays the seed's (WeightedNonMaxSuppression). */
static void s_weighted(const struct dn_pose_detection *cand, int n, struct dn_pose_detection *o)
{
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0, total = 0, kp[DN_POSE_DET_KEYPOINTS][2] = {{0}};
    for (int i = 0; i < n; i++) {
        const struct dn_pose_detection *c = &cand[i];
        total += c->score;
        x0 += c->xmin * c->score;
        y0 += c->ymin * c->score;
        x1 += (c->xmin + c->w) * c->score;
        y1 += (c->ymin + c->h) * c->score;
        for (int k = 0; k < DN_POSE_DET_KEYPOINTS; k++) {
            kp[k][0] += c->kp[k][0] * c->score;
            kp[k][1] += c->kp[k][1] * c->score;
        }
    }
    o->xmin = x0 / total;
    o->ymin = y0 / total;
    o->w = x1 / total - o->xmin;
    o->h = y1 / total - o->ymin;
    for (int k = 0; k < DN_POSE_DET_KEYPOINTS; k++) {
        o->kp[k][0] = kp[k][0] / total;
        o->kp[k][1] = kp[k][1] / total;
    }
}

/* The remaining detections stay sorted in dets[0..n). Each round splits
 * them, in order, into the seed's overlaps (the seed included, unless its box
 * is empty) and the rest, averages the overlaps into one output and goes on
 * with the rest. The overlaps are gathered in out[kept..], which has room:
 * each round removes at least one detection or ends. */
int dn_pose_nms_weighted(struct dn_pose_detection *dets, int n, float iou_threshold,
                         struct dn_pose_detection *out)
{
    int kept = 0;
    qsort(dets, (size_t)n, sizeof(*dets), s_by_score);
    while (n > 0) {
        struct dn_pose_detection seed = dets[0];
        struct dn_pose_detection *cand = &out[kept];
        int n_cand = 0, n_rest = 0;
        for (int i = 0; i < n; i++) {
            if (s_iou(&dets[i], &seed) > iou_threshold)
                cand[n_cand++] = dets[i];
            else
                dets[n_rest++] = dets[i];
        }
        struct dn_pose_detection w = seed;
        if (n_cand > 0)
            s_weighted(cand, n_cand, &w);
        out[kept++] = w;
        if (n_rest == n)
            break;
        n = n_rest;
    }
    return kept;
}

void dn_pose_detection_unpad(struct dn_pose_detection *d, const float pad[4])
{
    const float left = pad[0], top = pad[1];
    const float lr = pad[0] + pad[2], tb = pad[1] + pad[3];
    d->xmin = (d->xmin - left) / (1.0f - lr);
    d->ymin = (d->ymin - top) / (1.0f - tb);
    d->w = d->w / (1.0f - lr);
    d->h = d->h / (1.0f - tb);
    for (int k = 0; k < DN_POSE_DET_KEYPOINTS; k++) {
        d->kp[k][0] = (d->kp[k][0] - left) / (1.0f - lr);
        d->kp[k][1] = (d->kp[k][1] - top) / (1.0f - tb);
    }
}

void dn_pose_detection_to_roi(const struct dn_pose_detection *d, int img_w, int img_h,
                              struct dn_pose_rect *out)
{
    dn_pose_rect_from_points(d->kp[0][0], d->kp[0][1], d->kp[1][0], d->kp[1][1], img_w, img_h,
                             out);
    dn_pose_rect_transform(out, img_w, img_h);
}
