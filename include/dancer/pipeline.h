/*
 * pipeline.h — the analysis pipeline: a batch of videos (local paths or S3
 * objects) in, one result document (result.h) per video out, through the
 * stages in order: byte source → demux/decode (media.h) → pose session
 * (pose.h) → gait (gait.h) → result document.
 *
 *   struct dn_pipeline_options opt;
 *   dn_pipeline_options_init(&opt, cfg);          // settings: device, decoder, models, limits
 *   dn_pipeline_new(&opt, s3, &p, &err);          // loads the models once
 *   dn_pipeline_run(p, inputs, n, cancel, done, user, &err);   // any number of times
 *   dn_pipeline_destroy(p);
 *
 * Threads. dn_pipeline_run starts one decode thread per video (at most
 * opt.max_active videos at once; the next input starts as one finishes)
 * and uses the calling thread as the pose thread: it alone owns the pose
 * session, takes decoded frames from the decode threads, pushes them into
 * the session, and runs gait and builds the documents of videos whose track
 * is complete (all videos that finish together in one dn_gait_analyze
 * call). Decoded frames wait for the pose thread in per-video rings of host
 * copies whose total size is bounded by opt.queue_bytes (GPU frames are
 * handed over one at a time instead: NVDEC's surfaces are few), so memory
 * does not grow with the input. Each input's `done` is called as soon as
 * that input is finished; a slow video holds back nobody else.
 *
 * Errors. A failure of one input (bad file, network, …) goes to that input's
 * done with its class; the others carry on. dn_pipeline_run itself fails
 * only when the batch cannot run at all.
 */
#ifndef DANCER_PIPELINE_H
#define DANCER_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "dancer/analyzer.h"
#include "dancer/err.h"
#include "dancer/gait.h"
#include "dancer/media.h"
#include "dancer/track.h"

struct cJSON;
struct dn_config;
struct dn_s3_client;

#define DN_PIPELINE_PATH_MAX 1024

struct dn_pipeline_options {
    int device;                  /* enum dn_device_choice: pose and gait (DANCER_DEVICE) */
    struct dn_media_options media; /* decoder (DANCER_DECODER), limits, cache, analysis fps;
                                      .cancel and .stream are set per video by the pipeline */
    char model_dir[DN_PIPELINE_PATH_MAX]; /* DANCER_MODEL_DIR, default ~/.cache/dancer/models */
    int max_active;              /* videos decoded and tracked at once (default 10: one
                                    SQS receive; at most the pose session's max_videos) */
    size_t queue_bytes;          /* decoded frames waiting for the pose thread, all
                                    videos together (default 256 MiB; ≥ 1 frame per video) */
    double subject_height_cm;    /* for inputs that give none (0: none; 50..250) */
    bool keep_tracks;            /* hand each track to done (for --landmarks-csv) */
};

/* Fills opt from the settings (cfg NULL: the defaults). The model directory
 * falls back to $HOME/.cache/dancer/models. */
void dn_pipeline_options_init(struct dn_pipeline_options *opt, const struct dn_config *cfg);

/* One video. Strings are borrowed until dn_pipeline_run returns. */
struct dn_pipeline_input {
    const char *uri;             /* local path or "s3://bucket/key"; may be NULL when
                                    bucket and key are given */
    const char *bucket, *key;    /* an S3 object (the worker's jobs); NULL for uri */
    double subject_height_cm;    /* 0: the object's x-amz-meta-subject-height-cm when it
                                    is an S3 object with one, else the options' */
};

/* What done receives; everything is valid only during the call. */
struct dn_pipeline_output {
    size_t index;                /* into the inputs */
    struct cJSON *doc;           /* result document (error documents too: error set,
                                    what was learnt before failing filled in); the callee
                                    owns it. NULL only when out of memory. */
    const struct dn_err *error;  /* NULL on success */
    const struct dn_gait_result *gait;  /* NULL when the job failed before gait */
    const struct dn_track *track;       /* with keep_tracks, when pose ran; else NULL */
};

/* Called once per input, from the pose thread (or the caller's thread for
 * inputs that never started), never concurrently with another done call of
 * the same run, and never after dn_pipeline_run has returned. */
typedef void dn_pipeline_done_fn(const struct dn_pipeline_output *out, void *user_data);

struct dn_pipeline;

/* Resolves the device (dn_device_select), checks the model directory and
 * loads the pose models. s3 is borrowed (may be NULL: then s3:// inputs
 * fail with DN_ERR_CONFIG) and must outlive the pipeline.
 * Errors: DN_ERR_CONFIG (a model file is missing: the message names
 * DANCER_MODEL_DIR and models/fetch.sh), DN_ERR_UNSUPPORTED (--device gpu
 * without a usable GPU), DN_ERR_BAD_INPUT (a model file is corrupt),
 * DN_ERR_RESOURCE. */
int dn_pipeline_new(const struct dn_pipeline_options *opt, struct dn_s3_client *s3,
                    struct dn_pipeline **out, struct dn_err *err);

/* NULL is a no-op. */
void dn_pipeline_destroy(struct dn_pipeline *p);

/* Analyses inputs[0..n): every input gets exactly one done call before
 * this returns. cancel (may be NULL) stops the batch: decoding stops at
 * the next read or frame, the pose thread drops what is queued, and the
 * unfinished inputs end with DN_ERR_CANCELLED. Returns 0 once every input
 * has had its done call; a negative DN_E* (DN_ERR_RESOURCE, DN_ERR_INTERNAL)
 * when the batch could not run — inputs without a done call then get none.
 * One run at a time per pipeline. */
int dn_pipeline_run(struct dn_pipeline *p, const struct dn_pipeline_input *inputs, size_t n,
                    const struct dn_analysis_cancel *cancel, dn_pipeline_done_fn *done,
                    void *user_data, struct dn_err *err);

/* "cpu" or the GPU's name, and the source model's sha256 (64 hex), valid
 * while p lives: what the documents' processing section says. */
const char *dn_pipeline_device_name(const struct dn_pipeline *p);
const char *dn_pipeline_model_sha256(const struct dn_pipeline *p);

/* The worker's analyzer (analyzer.h) on top of a pipeline configured from
 * cfg: a dn_analyzer_factory_fn. Jobs are S3 objects; results carry the
 * ETag of the version read. Errors: as dn_pipeline_new. */
int dn_pipeline_analyzer_new(const struct dn_config *cfg, struct dn_s3_client *s3,
                             struct dn_analyzer **out, struct dn_err *err);

/* The model files of a directory: "<dir>/pose_detection.dnm" and
 * "<dir>/pose_landmark_full.dnm" into det/lm. DN_ERR_CONFIG naming the
 * missing file, DANCER_MODEL_DIR and models/fetch.sh when one is absent. */
int dn_pipeline_model_paths(const char *dir, char *det, size_t det_len, char *lm, size_t lm_len,
                            struct dn_err *err);

#endif
