/*
 * pipeline.c — the pipeline object (device, models, the pose session) and a
 * run: decode threads feed the pose thread (the caller), which hands
 * finished tracks to gait (finish.c). pipeline.h describes the threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dancer/config.h"
#include "dancer/device.h"
#include "dancer/log.h"
#include "dancer/s3.h"
#include "dancer/trace.h"
#include "dn_git_commit.h" /* generated: DN_GIT_COMMIT */
#include "pipeline_internal.h"

#ifndef DN_VERSION
#define DN_VERSION "0.0.0"
#endif

#define S_DETECTOR "pose_detection.dnm"
#define S_LANDMARK "pose_landmark_full.dnm"

void dn_pipeline_options_init(struct dn_pipeline_options *opt, const struct dn_config *cfg)
{
    memset(opt, 0, sizeof(*opt));
    dn_media_options_init(&opt->media, cfg);
    opt->device = cfg ? cfg->device : DN_DEVICE_AUTO;
    opt->max_active = 10;
    opt->queue_bytes = (size_t)256 << 20;
    if (cfg && cfg->model_dir[0]) {
        snprintf(opt->model_dir, sizeof(opt->model_dir), "%s", cfg->model_dir);
    } else {
        const char *home = getenv("HOME");
        snprintf(opt->model_dir, sizeof(opt->model_dir), "%s/.cache/dancer/models",
                 home && home[0] ? home : ".");
    }
}

int dn_pipeline_model_paths(const char *dir, char *det, size_t det_len, char *lm, size_t lm_len,
                            struct dn_err *err)
{
    struct stat st;
    snprintf(det, det_len, "%s/%s", dir, S_DETECTOR);
    snprintf(lm, lm_len, "%s/%s", dir, S_LANDMARK);
    const char *missing = stat(det, &st) || !S_ISREG(st.st_mode) ? det
                          : stat(lm, &st) || !S_ISREG(st.st_mode) ? lm : NULL;
    if (!missing)
        return 0;
    return dn_err_set(err, DN_ERR_CONFIG, "pose model %s not found: run models/fetch.sh to "
                      "download and convert the models, or set DANCER_MODEL_DIR to the "
                      "directory holding %s and %s", missing, S_DETECTOR, S_LANDMARK);
}

static int s_pose_new(struct dn_pipeline *p, struct dn_err *err)
{
    char det[DN_PIPELINE_PATH_MAX + 64], lm[DN_PIPELINE_PATH_MAX + 64];
    struct dn_pose_options po;
    int rc = dn_pipeline_model_paths(p->opt.model_dir, det, sizeof(det), lm, sizeof(lm), err);
    if (rc)
        return rc;
    dn_pose_options_init(&po, p->use_gpu);
    po.detector_path = det;
    po.landmark_path = lm;
    /* The gait stage low-passes every landmark with a zero-lag filter;
     * MediaPipe's causal one-euro smoothing would add a speed-dependent
     * lag to the feet on top (heel strikes and toe offs late by up to a
     * frame or two on the walker, step-time errors up to twice as large). */
    po.smooth = false;
    if (po.max_videos < p->opt.max_active)
        po.max_videos = p->opt.max_active;
    rc = dn_pose_session_new(&po, &p->pose, err);
    if (!rc)
        snprintf(p->model_sha256, sizeof(p->model_sha256), "%s",
                 dn_pose_session_model_sha256(p->pose));
    return rc;
}

int dn_pipeline_new(const struct dn_pipeline_options *opt, struct dn_s3_client *s3,
                    struct dn_pipeline **out, struct dn_err *err)
{
    *out = NULL;
    if (opt->max_active < 1 || opt->queue_bytes == 0)
        return dn_err_set(err, DN_ERR_CONFIG, "pipeline: max_active and queue_bytes must be "
                          "positive");
    if (opt->subject_height_cm != 0.0 &&
        !(opt->subject_height_cm >= 50.0 && opt->subject_height_cm <= 250.0))
        return dn_err_set(err, DN_ERR_USAGE, "subject height %g cm is outside 50..250",
                          opt->subject_height_cm);
    struct dn_pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    p->opt = *opt;
    p->s3 = s3;
    snprintf(p->version, sizeof(p->version), "%s (%s)", DN_VERSION, DN_GIT_COMMIT);
    int rc = dn_device_select(opt->device, &p->use_gpu, err);
    if (!rc && p->use_gpu) {
        struct dn_device_info di;
        dn_device_probe(&di);
        snprintf(p->device_name, sizeof(p->device_name), "%s", di.name);
    } else {
        snprintf(p->device_name, sizeof(p->device_name), "cpu");
    }
    if (!rc)
        rc = s_pose_new(p, err);
    if (rc) {
        dn_pipeline_destroy(p);
        return rc;
    }
    *out = p;
    return 0;
}

void dn_pipeline_destroy(struct dn_pipeline *p)
{
    if (!p)
        return;
    dn_pose_session_destroy(p->pose);
    free(p);
}

const char *dn_pipeline_device_name(const struct dn_pipeline *p)
{
    return p->device_name;
}

const char *dn_pipeline_model_sha256(const struct dn_pipeline *p)
{
    return p->model_sha256;
}

/* ---- a run ---------------------------------------------------------------- */

/* "s3://bucket/key" into bucket and key; both left "" when uri is not one. */
static void s_split_s3(const char *uri, char *bucket, size_t blen, char *key, size_t klen)
{
    const char *rest;
    if (dn_s3_url_split(uri, bucket, blen, &rest) && rest[0])
        snprintf(key, klen, "%s", rest);
    else
        bucket[0] = '\0';
}

static void s_video_init(struct dn_pipeline *p, struct dn_pl_video *v, size_t i,
                         const struct dn_pipeline_input *in)
{
    memset(v, 0, sizeof(*v));
    v->p = p;
    v->index = i;
    v->in = in;
    v->pose_id = -1;
    atomic_init(&v->stop, 0);
    atomic_init(&v->download_ns, 0);
    if (in->bucket && in->key) {
        snprintf(v->bucket, sizeof(v->bucket), "%s", in->bucket);
        snprintf(v->key, sizeof(v->key), "%s", in->key);
        snprintf(v->uri, sizeof(v->uri), "s3://%s/%s", in->bucket, in->key);
    } else {
        snprintf(v->uri, sizeof(v->uri), "%s", in->uri ? in->uri : "");
        /* A malformed s3:// URL stays a "path" and fails in the byte source
         * with DN_ERR_USAGE, which says what is wrong with it. */
        s_split_s3(v->uri, v->bucket, sizeof(v->bucket), v->key, sizeof(v->key));
    }
}

static int s_run_init(struct dn_pipeline *p, const struct dn_pipeline_input *inputs, size_t n,
                      struct dn_err *err)
{
    pthread_condattr_t ca;
    p->videos = calloc(n, sizeof(*p->videos));
    if (!p->videos)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    p->n = n;
    p->pose_ms = 0;
    p->pose_frames = 0;
    for (size_t i = 0; i < n; i++)
        s_video_init(p, &p->videos[i], i, &inputs[i]);
    /* Waits poll the cancel flags on a monotonic clock. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, &ca);
    pthread_cond_init(&p->space, &ca);
    pthread_condattr_destroy(&ca);
    return 0;
}

static void s_run_clean_up(struct dn_pipeline *p)
{
    for (size_t i = 0; i < p->n; i++)
        dn_pl_slots_free(&p->videos[i]);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->space);
    pthread_mutex_destroy(&p->lock);
    free(p->videos);
    p->videos = NULL;
    p->n = 0;
}

static bool s_cancelled(const struct dn_pipeline *p)
{
    return p->cancel && atomic_load(&p->cancel->flag);
}

static void s_start(struct dn_pipeline *p, struct dn_pl_video *v)
{
    struct dn_err err = {0};
    v->state = DN_PL_RUNNING;
    v->t_start_ns = dn_pl_now_ns();
    if (!pthread_create(&v->thread, NULL, dn_pl_decode_main, v)) {
        v->thread_started = true;
        return;
    }
    dn_err_set(&err, DN_ERR_RESOURCE, "%s: cannot start a decode thread", v->uri);
    dn_pl_finish_failed(p, v, &err);
}

/* Stops a video's decoding: its queued and future frames are dropped. */
static void s_stop(struct dn_pl_video *v)
{
    atomic_store(&v->stop, 1);
    pthread_cond_broadcast(&v->p->space);
}

/* A pose failure other than a refused frame leaves the session's tracks
 * incomplete (pose.h): every video in it fails with that error (a GPU out
 * of memory is transient: the worker retries them), and the session is made
 * anew once their decoders have stopped (s_repair). */
static void s_break(struct dn_pipeline *p, const struct dn_err *why)
{
    if (!p->broken.cls)
        p->broken = *why;
    for (size_t i = 0; i < p->n; i++) {
        struct dn_pl_video *v = &p->videos[i];
        if (v->state != DN_PL_RUNNING || v->pose_failed)
            continue;
        v->pose_failed = true;
        dn_err_set(&v->pose_err, why->cls, "%s: pose stage failed on another video of the "
                   "batch: %s", v->uri, why->msg);
        s_stop(v);
    }
}

/* Pushes slot s of video v into the pose session (lock not held). */
static void s_push(struct dn_pipeline *p, struct dn_pl_video *v, struct dn_pl_slot *s)
{
    uint64_t t0 = dn_pl_now_ns();
    int rc = 0;
    if (!v->pose_added) {
        const struct dn_video_info *vi = &v->info;
        struct dn_pose_video pv = {vi->width, vi->height, vi->rotation_deg, vi->avg_fps};
        double cap = p->opt.media.analysis_fps;
        if (!(pv.fps > 0))
            pv.fps = vi->real_fps > 0 ? vi->real_fps : 30.0;
        if (cap > 0 && pv.fps > cap)
            pv.fps = cap; /* media delivers at most this rate */
        rc = dn_pose_session_add_video(p->pose, &pv, &v->pose_id, &v->pose_err);
        v->pose_added = !rc;
    }
    if (!rc) {
        dn_trace_push("pose");
        rc = dn_pose_session_push(p->pose, v->pose_id, &s->frame,
                                  s->frame.on_device ? v->stream : NULL, &v->pose_err);
        dn_trace_pop();
    }
    p->pose_ms += (double)(dn_pl_now_ns() - t0) / 1e6;
    if (!rc) {
        v->pose_frames++;
        p->pose_frames++;
        return;
    }
    dn_err_prefix(&v->pose_err, "%s: ", v->uri);
    v->pose_failed = true;
    s_stop(v);
    if (v->pose_err.cls != DN_ERR_BAD_INPUT && v->pose_added)
        s_break(p, &v->pose_err);
}

/* One frame from every video that has one queued (round robin keeps the
 * videos level, so the pose session batches across them). */
static bool s_push_round(struct dn_pipeline *p)
{
    bool progress = false;
    for (size_t i = 0; i < p->n; i++) {
        struct dn_pl_video *v = &p->videos[i];
        if (v->state != DN_PL_RUNNING)
            continue;
        pthread_mutex_lock(&p->lock);
        struct dn_pl_slot *s = v->count > 0 ? &v->slots[v->head] : NULL;
        pthread_mutex_unlock(&p->lock);
        if (!s)
            continue;
        if (!atomic_load(&v->stop))
            s_push(p, v, s);
        else
            v->dropped = true;
        pthread_mutex_lock(&p->lock);
        v->head = (v->head + 1) % v->n_slots;
        v->count--;
        pthread_cond_broadcast(&p->space);
        pthread_mutex_unlock(&p->lock);
        progress = true;
    }
    return progress;
}

/* Takes v's track out of the session; on failure, or with a discarded
 * track, the video leaves the session all the same. */
static int s_take(struct dn_pipeline *p, struct dn_pl_video *v, bool keep, struct dn_err *err)
{
    uint64_t t0 = dn_pl_now_ns();
    struct dn_track *track = NULL;
    dn_trace_push("pose");
    int rc = dn_pose_session_end_video(p->pose, v->pose_id, err);
    int rc2 = dn_pose_session_take_track(p->pose, v->pose_id, &track, rc ? NULL : err);
    dn_trace_pop();
    p->pose_ms += (double)(dn_pl_now_ns() - t0) / 1e6;
    rc = rc ? rc : rc2;
    if (keep && !rc)
        v->track = track;
    else
        dn_track_destroy(track);
    if (rc) {
        dn_err_prefix(err, "%s: ", v->uri);
        s_break(p, err);
    }
    return rc;
}

/* A video whose decode thread ended and whose frames are all taken. */
static void s_ended(struct dn_pipeline *p, struct dn_pl_video *v)
{
    struct dn_err err = {0}, terr = {0};
    pthread_join(v->thread, NULL);
    v->thread_started = false;
    if (v->pose_failed)
        err = v->pose_err;
    else if (v->err.cls)
        err = v->err;
    else if (v->dropped) /* stopped by the cancel flag after the last frame was decoded */
        dn_err_set(&err, DN_ERR_CANCELLED, "%s: cancelled", v->uri);
    else if (!v->pose_added)
        dn_err_set(&err, DN_ERR_BAD_INPUT, "%s: no frame decoded", v->uri);
    /* A broken session is destroyed with every track in it. */
    if (v->pose_added && !p->broken.cls && s_take(p, v, !err.cls, &terr) && !err.cls)
        err = terr;
    if (err.cls) {
        dn_pl_finish_failed(p, v, &err);
        return;
    }
    v->state = DN_PL_TRACKED;
}

/* Handles every video that has ended; returns how many. */
static int s_handle_ends(struct dn_pipeline *p)
{
    int ended = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct dn_pl_video *v = &p->videos[i];
        if (v->state != DN_PL_RUNNING)
            continue;
        pthread_mutex_lock(&p->lock);
        bool over = v->ended && v->count == 0;
        pthread_mutex_unlock(&p->lock);
        if (over) {
            s_ended(p, v);
            ended++;
        }
    }
    return ended;
}

/* Counts videos by state; starts waiting ones while fewer than max_active
 * run, or fails them when the batch is cancelled. */
static size_t s_schedule(struct dn_pipeline *p, bool cancelled)
{
    size_t running = 0, done = 0;
    struct dn_err err = {0};
    for (size_t i = 0; i < p->n; i++) {
        running += p->videos[i].state == DN_PL_RUNNING;
        done += p->videos[i].state == DN_PL_DONE;
    }
    for (size_t i = 0; i < p->n; i++) {
        struct dn_pl_video *v = &p->videos[i];
        if (cancelled && v->state == DN_PL_RUNNING)
            s_stop(v);
        if (v->state != DN_PL_WAITING)
            continue;
        if (cancelled || !p->pose) {
            if (cancelled)
                dn_err_set(&err, DN_ERR_CANCELLED, "%s: cancelled before it started", v->uri);
            else
                dn_err_set(&err, p->broken.cls, "%s: %s", v->uri, p->broken.msg);
            dn_pl_finish_failed(p, v, &err);
            done++;
        } else if (running < (size_t)p->opt.max_active && !p->broken.cls) {
            s_start(p, v);
            running += v->state == DN_PL_RUNNING;
            done += v->state == DN_PL_DONE;
        }
    }
    return done;
}

/* A broken session, once no video uses it, is replaced by a new one; when
 * that fails too, p->pose stays NULL and the videos left fail (s_schedule). */
static void s_repair(struct dn_pipeline *p)
{
    if (!p->broken.cls || !p->pose)
        return;
    for (size_t i = 0; i < p->n; i++)
        if (p->videos[i].state == DN_PL_RUNNING)
            return;
    dn_logf(DN_LOG_WARN, "pose session failed (%s); starting a new one", p->broken.msg);
    dn_pose_session_destroy(p->pose);
    p->pose = NULL;
    struct dn_err err = {0};
    if (s_pose_new(p, &err))
        p->broken = err;
    else
        dn_err_clear(&p->broken);
}

/* Sleeps until a decode thread publishes something, or 100 ms pass (the
 * cancel flag is polled: the worker sets it without signalling us). */
static void s_wait(struct dn_pipeline *p)
{
    struct timespec ts;
    dn_pl_deadline(&ts);
    pthread_mutex_lock(&p->lock);
    bool ready = false;
    for (size_t i = 0; i < p->n && !ready; i++)
        ready = p->videos[i].state == DN_PL_RUNNING && (p->videos[i].count || p->videos[i].ended);
    if (!ready)
        pthread_cond_timedwait(&p->work, &p->lock, &ts);
    pthread_mutex_unlock(&p->lock);
}

int dn_pipeline_run(struct dn_pipeline *p, const struct dn_pipeline_input *inputs, size_t n,
                    const struct dn_analysis_cancel *cancel, dn_pipeline_done_fn *done,
                    void *user_data, struct dn_err *err)
{
    if (n == 0)
        return 0;
    int rc = s_run_init(p, inputs, n, err);
    if (rc)
        return rc;
    p->cancel = cancel;
    p->done = done;
    p->user = user_data;
    dn_trace_name_thread("pose");
    while (s_schedule(p, s_cancelled(p)) < n) {
        bool progress = s_push_round(p);
        if (s_handle_ends(p) > 0) {
            dn_pl_finish_tracked(p); /* now: a finished video waits for nobody */
            s_repair(p);
            progress = true;
        }
        if (!progress)
            s_wait(p);
    }
    s_run_clean_up(p);
    return 0;
}
