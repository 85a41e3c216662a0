/*
 * pose_nets.c — the detector and landmark networks with the steps around
 * them, batched: for a sub-batch of ≤ max_batch (frame, ROI) pairs, one crop
 * launch fills the network input (colour conversion + affine warp, fused),
 * one network run, then one download of only what the host needs (detector
 * boxes and scores; decoded landmarks, world landmarks, presence — the
 * heatmap is reduced on the device). CPU path: the same with the _ref twins
 * and no copies.
 */
#include "pose_nets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/nn.h"
#include "dancer/trace.h"

/* Tensor names of the pinned models (models/README.md). */
enum { S_DET_BOXES, S_DET_SCORES };
enum { S_LM_LANDMARKS, S_LM_PRESENCE, S_LM_HEATMAP, S_LM_WORLD };
static const char *const s_det_outputs[] = {"Identity", "Identity_1"};
static const char *const s_lm_outputs[] = {"Identity", "Identity_1", "Identity_3", "Identity_4"};

struct s_net {
    struct dn_nn_model *model;
    struct dn_nn_runner *runner;
    int out[4]; /* output indices, by the enums above */
};

struct dn_pose_nets {
    bool use_gpu;
    struct dn_stream *stream; /* borrowed */
    int max_batch;
    float min_score;
    struct s_net det, lm;
    struct dn_pose_anchor anchors[DN_POSE_DET_ANCHORS];
    struct dn_pose_crop_job *jobs_h; /* max_batch; pinned on the GPU path */
    struct dn_pose_crop_job *jobs_d; /* device copy (GPU path) */
    float (*pads)[4];                /* per item letterbox */
    /* GPU path: host copies of what the host reads. */
    float *det_boxes_h, *det_scores_h;
    float *lm_dec_d, *lm_dec_h, *lm_pres_h, *lm_world_h;
    /* CPU path: the decoded landmarks. */
    float *lm_dec_cpu;
    struct dn_pose_detection *decoded, *kept; /* DN_POSE_DET_ANCHORS each */
    int *idx;                                 /* max_batch */
    const struct dn_pose_frame_ref **frames;  /* max_batch */
    struct dn_pose_rect *rois;                /* max_batch */
    struct dn_pose_nets_stats stats;
};

#define S_DET_BOX_FLOATS ((size_t)DN_POSE_DET_ANCHORS * DN_POSE_DET_COORDS)
#define S_LM_FLOATS ((size_t)DN_POSE_LM_ALL * 5)
#define S_WORLD_FLOATS ((size_t)DN_POSE_LM_ALL * 3)

static int s_net_open(struct s_net *n, const char *path, const char *const *outputs, int n_out,
                      int max_batch, bool use_gpu, struct dn_err *err)
{
    int rc = dn_nn_model_load(path, &n->model, err);
    if (rc)
        return rc;
    for (int i = 0; i < n_out; i++) {
        n->out[i] = dn_nn_model_output_index(n->model, outputs[i]);
        if (n->out[i] < 0)
            return dn_err_set(err, DN_ERR_BAD_INPUT, "%s: no output tensor \"%s\"", path,
                              outputs[i]);
    }
    return dn_nn_runner_new(n->model, max_batch, use_gpu, &n->runner, err);
}

static void s_net_close(struct s_net *n)
{
    dn_nn_runner_destroy(n->runner);
    dn_nn_model_destroy(n->model);
}

static int s_alloc_host(void **p, size_t bytes, struct dn_err *err)
{
    *p = calloc(1, bytes ? bytes : 1);
    return *p ? 0 : dn_err_set(err, DN_ERR_RESOURCE, "out of host memory (%zu bytes)", bytes);
}

static int s_alloc_buffers(struct dn_pose_nets *n, struct dn_err *err)
{
    const size_t b = (size_t)n->max_batch;
    int rc = 0;
    rc = rc ? rc : s_alloc_host((void **)&n->pads, b * sizeof(*n->pads), err);
    rc = rc ? rc : s_alloc_host((void **)&n->decoded, DN_POSE_DET_ANCHORS * sizeof(*n->decoded), err);
    rc = rc ? rc : s_alloc_host((void **)&n->kept, DN_POSE_DET_ANCHORS * sizeof(*n->kept), err);
    rc = rc ? rc : s_alloc_host((void **)&n->idx, b * sizeof(*n->idx), err);
    rc = rc ? rc : s_alloc_host((void **)&n->frames, b * sizeof(*n->frames), err);
    rc = rc ? rc : s_alloc_host((void **)&n->rois, b * sizeof(*n->rois), err);
    if (rc)
        return rc;
    if (!n->use_gpu) {
        rc = s_alloc_host((void **)&n->jobs_h, b * sizeof(*n->jobs_h), err);
        return rc ? rc : s_alloc_host((void **)&n->lm_dec_cpu, b * S_LM_FLOATS * 4, err);
    }
    /* Pinned staging, so the per-step copies are real DMA. */
    rc = rc ? rc : dn_host_alloc((void **)&n->jobs_h, b * sizeof(*n->jobs_h), err);
    rc = rc ? rc : dn_dev_alloc((void **)&n->jobs_d, b * sizeof(*n->jobs_d), err);
    rc = rc ? rc : dn_host_alloc((void **)&n->det_boxes_h, b * S_DET_BOX_FLOATS * 4, err);
    rc = rc ? rc : dn_host_alloc((void **)&n->det_scores_h, b * DN_POSE_DET_ANCHORS * 4, err);
    rc = rc ? rc : dn_dev_alloc((void **)&n->lm_dec_d, b * S_LM_FLOATS * 4, err);
    rc = rc ? rc : dn_host_alloc((void **)&n->lm_dec_h, b * S_LM_FLOATS * 4, err);
    rc = rc ? rc : dn_host_alloc((void **)&n->lm_pres_h, b * 4, err);
    rc = rc ? rc : dn_host_alloc((void **)&n->lm_world_h, b * S_WORLD_FLOATS * 4, err);
    return rc;
}

int dn_pose_nets_new(const char *detector_path, const char *landmark_path, int max_batch,
                     float min_score, bool use_gpu, struct dn_stream *stream,
                     struct dn_pose_nets **out, struct dn_err *err)
{
    struct dn_pose_nets *n = NULL;
    struct dn_pose_ssd_options ssd;
    int rc;
    *out = NULL;
    if (max_batch < 1)
        return dn_err_set(err, DN_ERR_INTERNAL, "pose: max_batch %d < 1", max_batch);
    if (s_alloc_host((void **)&n, sizeof(*n), err))
        return dn_err_code(err);
    n->use_gpu = use_gpu;
    n->stream = stream;
    n->max_batch = max_batch;
    n->min_score = min_score;
    dn_pose_ssd_options_pose(&ssd);
    if (dn_pose_anchors_generate(&ssd, n->anchors, DN_POSE_DET_ANCHORS) != DN_POSE_DET_ANCHORS) {
        rc = dn_err_set(err, DN_ERR_INTERNAL, "pose: SSD anchor count is not %d",
                        DN_POSE_DET_ANCHORS);
        goto on_error;
    }
    rc = s_net_open(&n->det, detector_path, s_det_outputs, 2, max_batch, use_gpu, err);
    if (!rc)
        rc = s_net_open(&n->lm, landmark_path, s_lm_outputs, 4, max_batch, use_gpu, err);
    if (!rc)
        rc = s_alloc_buffers(n, err);
    if (rc)
        goto on_error;
    *out = n;
    return 0;
on_error:
    dn_pose_nets_destroy(n);
    return rc;
}

void dn_pose_nets_destroy(struct dn_pose_nets *n)
{
    if (!n)
        return;
    s_net_close(&n->det);
    s_net_close(&n->lm);
    if (n->use_gpu) {
        dn_host_free((void **)&n->jobs_h);
        dn_dev_free((void **)&n->jobs_d);
        dn_host_free((void **)&n->det_boxes_h);
        dn_host_free((void **)&n->det_scores_h);
        dn_dev_free((void **)&n->lm_dec_d);
        dn_host_free((void **)&n->lm_dec_h);
        dn_host_free((void **)&n->lm_pres_h);
        dn_host_free((void **)&n->lm_world_h);
    } else {
        free(n->jobs_h);
        free(n->lm_dec_cpu);
    }
    free(n->pads);
    free(n->decoded);
    free(n->kept);
    free(n->idx);
    free(n->frames);
    free(n->rois);
    free(n);
}

const char *dn_pose_nets_detector_sha256(const struct dn_pose_nets *n)
{
    return dn_nn_model_sha256(n->det.model);
}

const char *dn_pose_nets_landmark_sha256(const struct dn_pose_nets *n)
{
    return dn_nn_model_sha256(n->lm.model);
}

void dn_pose_nets_get_stats(const struct dn_pose_nets *n, struct dn_pose_nets_stats *st)
{
    *st = n->stats;
}

/* Fills the runner's input from the jobs already in jobs_h. */
static int s_crop(struct dn_pose_nets *n, int count, int size, struct dn_err *err)
{
    dn_trace_push("preprocess");
    int rc = 0;
    if (!n->use_gpu) {
        dn_pose_crop_ref(n->jobs_h, count, size, size);
    } else {
#ifdef DN_HAVE_CUDA
        rc = dn_dev_upload(n->jobs_d, n->jobs_h, (size_t)count * sizeof(*n->jobs_h), n->stream, err);
        if (!rc)
            rc = dn_pose_crop_gpu(n->jobs_d, count, size, size, n->stream, err);
#else
        rc = dn_err_set(err, DN_ERR_INTERNAL, "pose: GPU path in a build without CUDA");
#endif
    }
    dn_trace_pop();
    return rc;
}

/* A network output as host memory: the runner's buffer on the CPU path, a
 * download into staging on the GPU path (complete after the stream sync). */
static const float *s_output(struct dn_pose_nets *n, const struct s_net *net, int which,
                             float *staging, size_t floats, int *rc, struct dn_err *err)
{
    const float *src = dn_nn_runner_output(net->runner, net->out[which]);
    if (!n->use_gpu || *rc)
        return src;
    *rc = dn_dev_download(staging, src, floats * sizeof(float), n->stream, err);
    return staging;
}

/* Detector on frames[0..count): jobs, crop, run, download, sync. */
static int s_detect_batch(struct dn_pose_nets *n, const struct dn_pose_frame_ref *const *frames,
                          int count, const float **boxes, const float **scores,
                          struct dn_err *err)
{
    const size_t in_floats = (size_t)DN_POSE_DET_SIZE * DN_POSE_DET_SIZE * 3;
    float *in = dn_nn_runner_input(n->det.runner, 0);
    for (int i = 0; i < count; i++)
        dn_pose_make_job(frames[i], NULL, DN_POSE_DET_SIZE, in + (size_t)i * in_floats,
                         &n->jobs_h[i], n->pads[i]);
    int rc = s_crop(n, count, DN_POSE_DET_SIZE, err);
    dn_trace_push("detect");
    if (!rc)
        rc = dn_nn_runner_run(n->det.runner, count, n->stream, err);
    *boxes = s_output(n, &n->det, S_DET_BOXES, n->det_boxes_h, count * S_DET_BOX_FLOATS, &rc, err);
    *scores = s_output(n, &n->det, S_DET_SCORES, n->det_scores_h,
                       (size_t)count * DN_POSE_DET_ANCHORS, &rc, err);
    if (!rc && n->use_gpu)
        rc = dn_stream_sync(n->stream, err);
    dn_trace_pop();
    n->stats.detector_items += count;
    n->stats.detector_launches++;
    return rc;
}

/* Decode + NMS + letterbox removal of item i; returns the number kept. */
static int s_detections(struct dn_pose_nets *n, const float *boxes, const float *scores, int i)
{
    int m = dn_pose_decode_boxes(boxes + (size_t)i * S_DET_BOX_FLOATS,
                                 scores + (size_t)i * DN_POSE_DET_ANCHORS, n->anchors,
                                 DN_POSE_DET_ANCHORS, n->min_score, n->decoded);
    int k = dn_pose_nms_weighted(n->decoded, m, DN_POSE_NMS_IOU, n->kept);
    for (int j = 0; j < k; j++)
        dn_pose_detection_unpad(&n->kept[j], n->pads[i]);
    return k;
}

int dn_pose_nets_detect(struct dn_pose_nets *n, const struct dn_pose_frame_ref *const *frames,
                        int count, struct dn_pose_detection *dets, int max_dets, int *counts,
                        struct dn_err *err)
{
    for (int start = 0; start < count; start += n->max_batch) {
        int b = count - start < n->max_batch ? count - start : n->max_batch;
        const float *boxes, *scores;
        int rc = s_detect_batch(n, frames + start, b, &boxes, &scores, err);
        if (rc)
            return rc;
        for (int i = 0; i < b; i++) {
            int k = s_detections(n, boxes, scores, i);
            k = k < max_dets ? k : max_dets;
            memcpy(dets + (size_t)(start + i) * max_dets, n->kept, (size_t)k * sizeof(*dets));
            counts[start + i] = k;
        }
    }
    return 0;
}

/* Landmark net on count ≤ max_batch (frame, ROI) pairs; *lm, *world,
 * *presence point at host results valid until the next call. */
static int s_landmark_batch(struct dn_pose_nets *n, const struct dn_pose_frame_ref *const *frames,
                            const struct dn_pose_rect *rois, int count, const float **lm,
                            const float **world, const float **presence, struct dn_err *err)
{
    const size_t in_floats = (size_t)DN_POSE_LM_SIZE * DN_POSE_LM_SIZE * 3;
    const struct dn_pose_lm_decode dec = {count, DN_POSE_LM_ALL, DN_POSE_LM_SIZE,
                                          DN_POSE_LM_HEATMAP, DN_POSE_LM_HEATMAP_KERNEL,
                                          DN_POSE_LM_HEATMAP_MIN};
    float *in = dn_nn_runner_input(n->lm.runner, 0);
    for (int i = 0; i < count; i++)
        dn_pose_make_job(frames[i], &rois[i], DN_POSE_LM_SIZE, in + (size_t)i * in_floats,
                         &n->jobs_h[i], n->pads[i]);
    int rc = s_crop(n, count, DN_POSE_LM_SIZE, err);
    dn_trace_push("landmarks");
    if (!rc)
        rc = dn_nn_runner_run(n->lm.runner, count, n->stream, err);
    const float *raw = dn_nn_runner_output(n->lm.runner, n->lm.out[S_LM_LANDMARKS]);
    const float *hm = dn_nn_runner_output(n->lm.runner, n->lm.out[S_LM_HEATMAP]);
    if (!rc && !n->use_gpu) {
        dn_pose_lm_decode_ref(n->lm_dec_cpu, raw, hm, &dec);
        *lm = n->lm_dec_cpu;
    } else if (!rc) {
#ifdef DN_HAVE_CUDA
        rc = dn_pose_lm_decode_gpu(n->lm_dec_d, raw, hm, &dec, n->stream, err);
        if (!rc)
            rc = dn_dev_download(n->lm_dec_h, n->lm_dec_d, count * S_LM_FLOATS * 4, n->stream, err);
#endif
        *lm = n->lm_dec_h;
    }
    *presence = s_output(n, &n->lm, S_LM_PRESENCE, n->lm_pres_h, (size_t)count, &rc, err);
    *world = s_output(n, &n->lm, S_LM_WORLD, n->lm_world_h, count * S_WORLD_FLOATS, &rc, err);
    if (!rc && n->use_gpu)
        rc = dn_stream_sync(n->stream, err);
    dn_trace_pop();
    n->stats.landmark_items += count;
    n->stats.landmark_launches++;
    return rc;
}

int dn_pose_nets_landmarks(struct dn_pose_nets *n,
                           const struct dn_pose_frame_ref *const *frames,
                           const struct dn_pose_rect *rois, int count, float *lm, float *world,
                           float *presence, struct dn_err *err)
{
    for (int start = 0; start < count; start += n->max_batch) {
        int b = count - start < n->max_batch ? count - start : n->max_batch;
        const float *l, *w, *p;
        int rc = s_landmark_batch(n, frames + start, rois + start, b, &l, &w, &p, err);
        if (rc)
            return rc;
        memcpy(lm + (size_t)start * S_LM_FLOATS, l, (size_t)b * S_LM_FLOATS * 4);
        memcpy(world + (size_t)start * S_WORLD_FLOATS, w, (size_t)b * S_WORLD_FLOATS * 4);
        memcpy(presence + start, p, (size_t)b * 4);
    }
    return 0;
}

/* The next ≤ max_batch items from *i on whose lane has (with_roi) or lacks
 * a ROI: their indices, frames and ROIs into idx/frames/rois; returns how many. */
static int s_gather(struct dn_pose_nets *n, struct dn_pose_step_item *items, int count, int *i,
                    bool with_roi)
{
    int b = 0;
    for (; *i < count && b < n->max_batch; (*i)++) {
        if (items[*i].lane->have_roi != with_roi)
            continue;
        n->idx[b] = *i;
        n->frames[b] = items[*i].frame;
        n->rois[b++] = items[*i].lane->roi;
    }
    return b;
}

/* Detector for the items whose lane has no ROI, in sub-batches. */
static int s_step_detect(struct dn_pose_nets *n, struct dn_pose_step_item *items, int count,
                         struct dn_err *err)
{
    int i = 0, b;
    while ((b = s_gather(n, items, count, &i, false)) > 0) {
        const float *boxes, *scores;
        int rc = s_detect_batch(n, n->frames, b, &boxes, &scores, err);
        if (rc)
            return rc;
        for (int k = 0; k < b; k++) {
            struct dn_pose_step_item *it = &items[n->idx[k]];
            it->res->detected = true;
            if (s_detections(n, boxes, scores, k) > 0)
                dn_pose_lane_set_detection(it->lane, &n->kept[0], it->frame->up_w,
                                           it->frame->up_h);
            else
                dn_pose_lane_no_pose(it->lane, it->res);
        }
    }
    return 0;
}

/* Landmark net for every item whose lane now has a ROI. */
static int s_step_landmarks(struct dn_pose_nets *n, struct dn_pose_step_item *items, int count,
                            float min_presence, struct dn_err *err)
{
    int i = 0, b;
    while ((b = s_gather(n, items, count, &i, true)) > 0) {
        const float *lm, *world, *pres;
        int rc = s_landmark_batch(n, n->frames, n->rois, b, &lm, &world, &pres, err);
        if (rc)
            return rc;
        for (int k = 0; k < b; k++) {
            struct dn_pose_step_item *it = &items[n->idx[k]];
            dn_pose_lane_on_landmarks(it->lane, lm + k * S_LM_FLOATS, world + k * S_WORLD_FLOATS,
                                      pres[k], min_presence, it->frame->t_us, it->frame->up_w,
                                      it->frame->up_h, it->res);
        }
    }
    return 0;
}

int dn_pose_nets_step(struct dn_pose_nets *n, struct dn_pose_step_item *items, int count,
                      float min_presence, struct dn_err *err)
{
    for (int i = 0; i < count; i++) {
        items[i].res->detected = false;
        items[i].res->valid = false;
        items[i].res->presence = 0.0f;
    }
    int rc = s_step_detect(n, items, count, err);
    return rc ? rc : s_step_landmarks(n, items, count, min_presence, err);
}
