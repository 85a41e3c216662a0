/*
 * pose_session.c — frames of many videos in, one landmark track per video
 * out (include/dancer/pose.h). The session buffers a chunk of frames per
 * video (its frame store: host memory on the CPU path, device memory on the
 * GPU path), splits each chunk into temporal segments and tracks every
 * segment of every buffered video in lock-step, so each step hands the
 * networks (segments × videos) items; results go to the tracks in order.
 */
#include "dancer/pose.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/log.h"
#include "pose_internal.h"
#include "pose_nets.h"

struct s_video {
    bool used, ended;
    struct dn_pose_video desc;
    int up_w, up_h;
    enum dn_pixel_format format; /* of the first frame; DN_PIX_NONE before */
    uint8_t *store;              /* cap frames, host or device */
    size_t frame_bytes;
    int cap, n_buf;
    struct dn_pose_frame_ref *slots; /* cap */
    double *pts;                     /* cap */
    struct dn_pose_result *results;  /* cap */
    struct dn_pose_lane carry;       /* tracking state at the end of the last chunk */
    struct dn_pose_smoother smoother; /* body + world smoothing, run in frame order */
    struct dn_track *track;
    double last_pts;
    bool have_pts;
};

/* One lane of a chunk being tracked. */
struct s_lane {
    struct s_video *v;
    struct dn_pose_segment seg;
    struct dn_pose_lane lane;
    struct dn_pose_result scratch; /* warm-up results land here */
};

struct dn_pose_session {
    struct dn_pose_options opt;
    char *detector_path, *landmark_path;
    struct dn_stream *stream; /* owned (GPU path) */
    struct dn_pose_nets *nets;
    int max_segments;
    struct s_video *videos;   /* opt.max_videos */
    struct s_lane *lanes;     /* max_videos × max_segments */
    struct dn_pose_step_item *items;
    struct dn_pose_stats stats;
};

void dn_pose_options_init(struct dn_pose_options *o, bool use_gpu)
{
    memset(o, 0, sizeof(*o));
    o->use_gpu = use_gpu;
    o->max_videos = 10; /* SQS ReceiveMessage returns at most 10 */
    o->smooth = true;
    o->min_detection_score = DN_POSE_DET_MIN_SCORE;
    o->min_presence = DN_POSE_MIN_PRESENCE;
    if (use_gpu) {
        /* bench/pose/segments.py: cuts cost accuracy-neutral but visible
         * differences from sequential tracking, so segments stay ≥ 32
         * frames; 256-frame chunks still give 8 of them (batch 32 from 4
         * videos, 64+ from 8). 1080p NV12: 256 × 3.1 MB per video. */
        o->max_batch = 128;
        o->chunk_frames = 256;
        o->min_segment_frames = 32;
        o->target_batch = 64;
        o->warmup_frames = 4;
        o->frame_store_bytes = (size_t)8 << 30;
    } else {
        /* One frame per video: exact sequential tracking, batched across
         * videos only; nothing to gain from buffering on the CPU. */
        o->max_batch = 8;
        o->chunk_frames = 1;
        o->min_segment_frames = 1;
        o->target_batch = 1;
        o->warmup_frames = 0;
        o->frame_store_bytes = (size_t)1 << 30;
    }
}

/* ---- session lifetime ----------------------------------------------------- */

static int s_check_options(const struct dn_pose_options *o, struct dn_err *err)
{
    if (!o->detector_path || !o->landmark_path)
        return dn_err_set(err, DN_ERR_CONFIG, "pose: detector and landmark model paths are required");
    if (o->max_batch < 1 || o->max_videos < 1 || o->chunk_frames < 1 || o->target_batch < 1 ||
        o->min_segment_frames < 1 || o->warmup_frames < 0 || o->frame_store_bytes == 0)
        return dn_err_set(err, DN_ERR_CONFIG,
                          "pose: batch, videos, chunk, segment and store sizes must be positive");
    return 0;
}

int dn_pose_session_new(const struct dn_pose_options *opt, struct dn_pose_session **out,
                        struct dn_err *err)
{
    struct dn_pose_session *s;
    int rc;
    *out = NULL;
    if ((rc = s_check_options(opt, err)))
        return rc;
    s = calloc(1, sizeof(*s));
    if (!s)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of host memory");
    s->opt = *opt;
    s->detector_path = strdup(opt->detector_path);
    s->landmark_path = strdup(opt->landmark_path);
    s->opt.detector_path = s->detector_path;
    s->opt.landmark_path = s->landmark_path;
    s->max_segments = opt->chunk_frames / opt->min_segment_frames;
    if (s->max_segments < 1)
        s->max_segments = 1;
    size_t n_lanes = (size_t)opt->max_videos * (size_t)s->max_segments;
    s->videos = calloc((size_t)opt->max_videos, sizeof(*s->videos));
    s->lanes = calloc(n_lanes, sizeof(*s->lanes));
    s->items = calloc(n_lanes, sizeof(*s->items));
    if (!s->detector_path || !s->landmark_path || !s->videos || !s->lanes || !s->items) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of host memory");
        goto on_error;
    }
    if (opt->use_gpu && (rc = dn_stream_new(&s->stream, err)))
        goto on_error;
    rc = dn_pose_nets_new(s->detector_path, s->landmark_path, opt->max_batch,
                          opt->min_detection_score, opt->use_gpu, s->stream, &s->nets, err);
    if (rc)
        goto on_error;
    *out = s;
    return 0;
on_error:
    dn_pose_session_destroy(s);
    return rc;
}

static void s_store_free(struct dn_pose_session *s, struct s_video *v)
{
    if (s->opt.use_gpu)
        dn_dev_free((void **)&v->store);
    else
        free(v->store);
    v->store = NULL;
}

static void s_video_free(struct dn_pose_session *s, struct s_video *v)
{
    s_store_free(s, v);
    free(v->slots);
    free(v->pts);
    free(v->results);
    dn_track_destroy(v->track);
    memset(v, 0, sizeof(*v));
}

void dn_pose_session_destroy(struct dn_pose_session *s)
{
    if (!s)
        return;
    if (s->videos)
        for (int i = 0; i < s->opt.max_videos; i++)
            s_video_free(s, &s->videos[i]);
    dn_pose_nets_destroy(s->nets);
    dn_stream_destroy(s->stream);
    free(s->videos);
    free(s->lanes);
    free(s->items);
    free(s->detector_path);
    free(s->landmark_path);
    free(s);
}

const char *dn_pose_session_model_sha256(const struct dn_pose_session *s)
{
    return dn_pose_nets_landmark_sha256(s->nets);
}

const char *dn_pose_session_detector_sha256(const struct dn_pose_session *s)
{
    return dn_pose_nets_detector_sha256(s->nets);
}

void dn_pose_session_stats(const struct dn_pose_session *s, struct dn_pose_stats *st)
{
    struct dn_pose_nets_stats ns;
    *st = s->stats;
    dn_pose_nets_get_stats(s->nets, &ns);
    st->detector_items = ns.detector_items;
    st->landmark_items = ns.landmark_items;
    st->detector_launches = ns.detector_launches;
    st->landmark_launches = ns.landmark_launches;
}

/* ---- videos --------------------------------------------------------------- */

int dn_pose_session_add_video(struct dn_pose_session *s, const struct dn_pose_video *video,
                              int *id, struct dn_err *err)
{
    const struct dn_pose_video *d = video;
    if (d->width < 1 || d->height < 1 || !(d->fps > 0) || !isfinite(d->fps) ||
        (d->rotation_deg != 0 && d->rotation_deg != 90 && d->rotation_deg != 180 &&
         d->rotation_deg != 270))
        return dn_err_set(err, DN_ERR_BAD_INPUT, "pose: bad video %dx%d, %g fps, rotation %d",
                          d->width, d->height, d->fps, d->rotation_deg);
    int i = 0;
    while (i < s->opt.max_videos && s->videos[i].used)
        i++;
    if (i == s->opt.max_videos)
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "pose: already %d videos in the session",
                          s->opt.max_videos);
    struct s_video *v = &s->videos[i];
    memset(v, 0, sizeof(*v));
    v->desc = *d;
    v->up_w = d->rotation_deg % 180 ? d->height : d->width;
    v->up_h = d->rotation_deg % 180 ? d->width : d->height;
    int rc = dn_track_new(&v->track, v->up_w, v->up_h, d->fps, err);
    if (rc)
        return rc;
    v->track->has_world = true;
    dn_pose_lane_init(&v->carry);
    dn_pose_smoother_init(&v->smoother, s->opt.smooth);
    v->used = true;
    *id = i;
    return 0;
}

static int s_video_get(struct dn_pose_session *s, int id, struct s_video **out, struct dn_err *err)
{
    if (id < 0 || id >= s->opt.max_videos || !s->videos[id].used)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "pose: no video %d in the session", id);
    *out = &s->videos[id];
    return 0;
}

/* The store's layout for a format: packed planes, one frame after another. */
static void s_layout(const struct s_video *v, enum dn_pixel_format fmt, int *sb, int *inter,
                     size_t pitch[3], size_t offs[3], size_t *frame_bytes)
{
    const int w = v->desc.width, h = v->desc.height, cw = (w + 1) / 2, ch = (h + 1) / 2;
    *sb = dn_pixel_format_bytes(fmt);
    *inter = fmt == DN_PIX_NV12 || fmt == DN_PIX_P010;
    pitch[0] = (size_t)w * (size_t)*sb;
    pitch[1] = (size_t)cw * (size_t)*sb * (*inter ? 2 : 1);
    pitch[2] = *inter ? 0 : (size_t)cw * (size_t)*sb;
    offs[0] = 0;
    offs[1] = pitch[0] * (size_t)h;
    offs[2] = offs[1] + pitch[1] * (size_t)ch;
    *frame_bytes = offs[2] + pitch[2] * (size_t)ch;
}

/* Sizes and allocates the video's frame store for the first frame's format. */
static int s_store_open(struct dn_pose_session *s, struct s_video *v, enum dn_pixel_format fmt,
                        struct dn_err *err)
{
    int sb, inter;
    size_t pitch[3], offs[3];
    s_layout(v, fmt, &sb, &inter, pitch, offs, &v->frame_bytes);
    size_t share = s->opt.frame_store_bytes / (size_t)s->opt.max_videos;
    size_t cap = share / v->frame_bytes;
    if (cap < 1)
        return dn_err_set(err, DN_ERR_UNSUPPORTED,
                          "pose: a %dx%d frame needs %zu bytes, more than a video's share "
                          "(%zu) of the frame store", v->desc.width, v->desc.height,
                          v->frame_bytes, share);
    v->cap = cap < (size_t)s->opt.chunk_frames ? (int)cap : s->opt.chunk_frames;
    v->slots = calloc((size_t)v->cap, sizeof(*v->slots));
    v->pts = calloc((size_t)v->cap, sizeof(*v->pts));
    v->results = calloc((size_t)v->cap, sizeof(*v->results));
    if (!v->slots || !v->pts || !v->results)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of host memory");
    size_t bytes = v->frame_bytes * (size_t)v->cap;
    int rc = s->opt.use_gpu ? dn_dev_alloc((void **)&v->store, bytes, err)
                            : ((v->store = malloc(bytes)) ? 0
                               : dn_err_set(err, DN_ERR_RESOURCE, "out of host memory (%zu bytes)", bytes));
    if (rc)
        return rc;
    v->format = fmt;
    return 0;
}

static int s_check_frame(const struct s_video *v, const struct dn_frame *f, struct dn_err *err)
{
    if (f->width != v->desc.width || f->height != v->desc.height)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "pose: frame is %dx%d, video is %dx%d",
                          f->width, f->height, v->desc.width, v->desc.height);
    if (f->format < DN_PIX_YUV420P || f->format > DN_PIX_P010)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "pose: unsupported pixel format %s",
                          dn_pixel_format_name(f->format));
    if (v->format != DN_PIX_NONE && f->format != v->format)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "pose: pixel format changed from %s to %s",
                          dn_pixel_format_name(v->format), dn_pixel_format_name(f->format));
    return 0;
}

/* Copies f into slot n_buf and describes it for the crop kernel. */
static int s_store_frame(struct dn_pose_session *s, struct s_video *v, const struct dn_frame *f,
                         struct dn_stream *frame_stream, struct dn_err *err)
{
    int sb, inter, rc = 0;
    size_t pitch[3], offs[3], fb;
    const int h = f->height, ch = (h + 1) / 2;
    s_layout(v, f->format, &sb, &inter, pitch, offs, &fb);
    uint8_t *base = v->store + v->frame_bytes * (size_t)v->n_buf;
    struct dn_pose_frame_ref *r = &v->slots[v->n_buf];
    struct dn_stream *cs = f->on_device ? frame_stream : s->stream;
    for (int p = 0; p < (inter ? 2 : 3) && !rc; p++) {
        int rows = p ? ch : h;
        if (s->opt.use_gpu) {
            rc = dn_dev_copy_2d(base + offs[p], pitch[p], f->planes[p], f->pitch[p], pitch[p],
                                (size_t)rows, cs, err);
        } else if (f->on_device) {
            rc = dn_err_set(err, DN_ERR_UNSUPPORTED, "pose: device frame on the CPU path");
        } else {
            for (int y = 0; y < rows; y++)
                memcpy(base + offs[p] + (size_t)y * pitch[p], f->planes[p] + (size_t)y * f->pitch[p],
                       pitch[p]);
        }
        r->planes[p] = base + offs[p];
        r->pitch[p] = (int)pitch[p];
    }
    /* The decoder may reuse f's buffers when we return. */
    if (!rc && s->opt.use_gpu)
        rc = dn_stream_sync(cs, err);
    r->width = f->width;
    r->height = f->height;
    r->sample_bytes = sb;
    r->interleaved = inter;
    r->rotation_deg = v->desc.rotation_deg;
    r->up_w = v->up_w;
    r->up_h = v->up_h;
    dn_pose_colour_init(&r->colour, (int)f->matrix, f->full_range, sb == 2 ? 10 : 8,
                        f->format == DN_PIX_P010);
    r->t_us = llround(f->pts_s * 1e6);
    v->pts[v->n_buf] = f->pts_s;
    return rc;
}

/* ---- tracking a chunk ----------------------------------------------------- */

static bool s_ready(const struct s_video *v, bool force)
{
    return v->used && v->n_buf > 0 && (force || v->ended || v->n_buf == v->cap);
}

/* Lanes for every ready video's chunk; returns their count. Segments per
 * video: enough for target_batch across the ready videos. */
static int s_plan(struct dn_pose_session *s, bool force)
{
    int n_ready = 0, n_lanes = 0;
    for (int i = 0; i < s->opt.max_videos; i++)
        n_ready += s_ready(&s->videos[i], force);
    if (n_ready == 0)
        return 0;
    int want = (s->opt.target_batch + n_ready - 1) / n_ready;
    want = want < s->max_segments ? want : s->max_segments;
    for (int i = 0; i < s->opt.max_videos; i++) {
        struct s_video *v = &s->videos[i];
        struct dn_pose_segment segs[64];
        if (!s_ready(v, force))
            continue;
        int n = dn_pose_plan_segments(v->n_buf, want < 64 ? want : 64,
                                      s->opt.min_segment_frames, s->opt.warmup_frames, segs);
        for (int k = 0; k < n; k++) {
            struct s_lane *l = &s->lanes[n_lanes++];
            l->v = v;
            l->seg = segs[k];
            if (k == 0)
                l->lane = v->carry;
            else
                dn_pose_lane_init(&l->lane);
        }
    }
    return n_lanes;
}

/* Lock-step: step t gives every lane its frame from + t, until all end. */
static int s_track_lanes(struct dn_pose_session *s, int n_lanes, struct dn_err *err)
{
    for (int t = 0;; t++) {
        int n = 0;
        for (int k = 0; k < n_lanes; k++) {
            struct s_lane *l = &s->lanes[k];
            int fi = l->seg.from + t;
            if (fi >= l->seg.end)
                continue;
            s->items[n].frame = &l->v->slots[fi];
            s->items[n].lane = &l->lane;
            s->items[n].res = fi >= l->seg.start ? &l->v->results[fi] : &l->scratch;
            n++;
        }
        if (n == 0)
            return 0;
        s->stats.steps++;
        if (n > s->stats.max_step_items)
            s->stats.max_step_items = n;
        int rc = dn_pose_nets_step(s->nets, s->items, n, s->opt.min_presence, err);
        if (rc)
            return rc;
    }
}

/* Smooths result r (frame i, in order) and converts it to track units. */
static void s_to_track_frame(struct s_video *v, int i, struct dn_pose_result *r,
                             struct dn_track_frame *tf)
{
    memset(tf, 0, sizeof(*tf));
    tf->time_s = v->pts[i];
    tf->presence = r->presence;
    tf->valid = r->valid;
    if (!r->valid) {
        dn_pose_smoother_reset(&v->smoother);
        return;
    }
    dn_pose_smoother_body(&v->smoother, v->slots[i].t_us, v->up_w, v->up_h, r->aux, r->body,
                          r->world);
    const float w = (float)v->up_w, h = (float)v->up_h;
    for (int k = 0; k < DN_TRACK_LANDMARKS; k++) {
        const struct dn_pose_lm *b = &r->body[k], *g = &r->world[k];
        tf->image[k] = (struct dn_landmark){b->x * w, b->y * h, b->z * w, b->visibility, b->presence};
        tf->world[k] = (struct dn_landmark){g->x, g->y, g->z, g->visibility, g->presence};
    }
}

/* Appends the chunk's results in frame order (smoothing them on the way),
 * keeps the last segment's lane as the carry. */
static int s_finish_chunks(struct dn_pose_session *s, int n_lanes, struct dn_err *err)
{
    struct dn_track_frame tf;
    for (int k = 0; k < n_lanes; k++) {
        struct s_lane *l = &s->lanes[k];
        struct s_video *v = l->v;
        if (l->seg.end == v->n_buf)
            v->carry = l->lane;
        if (k + 1 < n_lanes && s->lanes[k + 1].v == v)
            continue;
        for (int i = 0; i < v->n_buf; i++) {
            s_to_track_frame(v, i, &v->results[i], &tf);
            int rc = dn_track_append(v->track, &tf, err);
            if (rc)
                return rc;
            s->stats.frames++;
            s->stats.frames_with_pose += tf.valid;
        }
        v->n_buf = 0;
    }
    return 0;
}

/* Two ROIs of one person agree when their centres are within a tenth of the
 * size apart and the sizes within a tenth of each other. */
static bool s_same_roi(const struct dn_pose_rect *a, const struct dn_pose_rect *b)
{
    return fabsf(a->xc - b->xc) < 0.1f * a->w && fabsf(a->yc - b->yc) < 0.1f * a->h &&
           fabsf(a->w - b->w) < 0.1f * a->w;
}

/* Re-tracks cut segment l from the previous segment's final lane, frame by
 * frame, until it agrees with l's own results again (then l's results and
 * state stand), the re-tracked pose is lost too, or the segment ends. */
static int s_repair_segment(struct dn_pose_session *s, const struct s_lane *prev, struct s_lane *l,
                            struct dn_err *err)
{
    struct s_video *v = l->v;
    struct dn_pose_lane lane = prev->lane;
    struct dn_pose_result r;
    int i;
    for (i = l->seg.start; i < l->seg.end; i++) {
        struct dn_pose_step_item it = {&v->slots[i], &lane, &r};
        int rc = dn_pose_nets_step(s->nets, &it, 1, s->opt.min_presence, err);
        if (rc)
            return rc;
        if (r.valid && v->results[i].valid && s_same_roi(&r.roi, &v->results[i].roi))
            return 0;
        v->results[i] = r;
        s->stats.repaired_frames++;
        if (!lane.have_roi)
            return 0; /* lost here too: from the next frame on both lanes detect */
    }
    l->lane = lane;
    return 0;
}

/* Sequential tracking keeps a person the detector misses (small, blurred,
 * turned away); a cut restarts from the detector and may lose him for the
 * whole segment. So a cut segment that starts without a pose while the
 * previous segment ends tracking one is repaired, in order (segment k's
 * repair may change the state segment k + 1 continues from). Rare, so
 * one item per launch. */
static int s_repair(struct dn_pose_session *s, int n_lanes, struct dn_err *err)
{
    for (int k = 1; k < n_lanes; k++) {
        struct s_lane *prev = &s->lanes[k - 1], *l = &s->lanes[k];
        if (prev->v != l->v || l->v->results[l->seg.start].valid || !prev->lane.have_roi)
            continue;
        int rc = s_repair_segment(s, prev, l, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int s_run(struct dn_pose_session *s, bool force, struct dn_err *err)
{
    int n_lanes = s_plan(s, force);
    if (n_lanes == 0)
        return 0;
    int rc = s_track_lanes(s, n_lanes, err);
    if (!rc)
        rc = s_repair(s, n_lanes, err);
    return rc ? rc : s_finish_chunks(s, n_lanes, err);
}

/* True when no unfinished video could take another frame. */
static bool s_all_full(const struct dn_pose_session *s)
{
    for (int i = 0; i < s->opt.max_videos; i++) {
        const struct s_video *v = &s->videos[i];
        if (v->used && !v->ended && (v->cap == 0 || v->n_buf < v->cap))
            return false;
    }
    return true;
}

int dn_pose_session_push(struct dn_pose_session *s, int id, const struct dn_frame *f,
                         struct dn_stream *frame_stream, struct dn_err *err)
{
    struct s_video *v = NULL;
    int rc = s_video_get(s, id, &v, err);
    if (!rc && v->ended)
        rc = dn_err_set(err, DN_ERR_INTERNAL, "pose: frame pushed after the end of video %d", id);
    if (!rc)
        rc = s_check_frame(v, f, err);
    if (rc)
        return rc;
    if (v->have_pts && !(f->pts_s > v->last_pts)) {
        s->stats.frames_skipped++;
        return 0;
    }
    if (v->format == DN_PIX_NONE && (rc = s_store_open(s, v, f->format, err)))
        return rc;
    /* Full: track what every video has buffered (others may be full too). */
    if (v->n_buf == v->cap && (rc = s_run(s, false, err)))
        return rc;
    if ((rc = s_store_frame(s, v, f, frame_stream, err)))
        return rc;
    v->n_buf++;
    v->last_pts = f->pts_s;
    v->have_pts = true;
    return s_all_full(s) ? s_run(s, false, err) : 0;
}

int dn_pose_session_end_video(struct dn_pose_session *s, int id, struct dn_err *err)
{
    struct s_video *v = NULL;
    int rc = s_video_get(s, id, &v, err);
    if (rc)
        return rc;
    v->ended = true;
    return s_all_full(s) ? s_run(s, false, err) : 0;
}

int dn_pose_session_flush(struct dn_pose_session *s, struct dn_err *err)
{
    return s_run(s, true, err);
}

int dn_pose_session_take_track(struct dn_pose_session *s, int id, struct dn_track **out,
                               struct dn_err *err)
{
    struct s_video *v = NULL;
    int rc = s_video_get(s, id, &v, err);
    *out = NULL;
    if (rc)
        return rc;
    if (!v->ended)
        return dn_err_set(err, DN_ERR_INTERNAL, "pose: video %d has not ended", id);
    if (v->n_buf > 0 && (rc = s_run(s, true, err)))
        return rc;
    *out = v->track;
    v->track = NULL;
    s_video_free(s, v);
    return 0;
}
