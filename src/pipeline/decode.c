/*
 * decode.c — the decode thread of one video: S3 metadata, a timed byte
 * source, demux + decode (media.h), and the ring of decoded frames the pose
 * thread takes them from (pipeline_internal.h says who owns what).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dancer/device.h"
#include "dancer/log.h"
#include "dancer/s3.h"
#include "dancer/trace.h"
#include "pipeline_internal.h"

/* Most frames one video keeps queued: a few cover the jitter between
 * decode and pose; more only hold memory. */
#define S_MAX_SLOTS 8

/* How often a waiting thread looks at the cancel flags, ns. */
#define S_POLL_NS 100000000L

uint64_t dn_pl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- a byte source that measures the download --------------------------- */

/* Time this thread spent in source reads: the decode thread subtracts it
 * from its demux and decode times, so waiting for bytes counts as download
 * only (reads on the cache's read-ahead thread overlap decoding instead). */
static _Thread_local uint64_t s_tl_read_ns;

struct s_timed {
    struct dn_byte_source *inner;
    struct dn_pl_video *v;
};

static void s_timed_add(struct s_timed *t, uint64_t t0)
{
    uint64_t dt = dn_pl_now_ns() - t0;
    s_tl_read_ns += dt;
    atomic_fetch_add(&t->v->download_ns, dt);
}

static int s_timed_stat(void *ctx, struct dn_source_info *info, struct dn_err *err)
{
    uint64_t t0 = dn_pl_now_ns();
    struct s_timed *t = ctx;
    int rc = dn_byte_source_stat(t->inner, info, err);
    s_timed_add(ctx, t0);
    if (!rc) { /* keep it: an error result still names the version it read */
        t->v->source_info = *info;
        t->v->have_source = true;
    }
    return rc;
}

static int s_timed_read(void *ctx, uint64_t offset, void *buf, size_t len, size_t *got,
                        struct dn_err *err)
{
    uint64_t t0 = dn_pl_now_ns();
    dn_trace_push("download");
    int rc = dn_byte_source_read_at(((struct s_timed *)ctx)->inner, offset, buf, len, got, err);
    dn_trace_pop();
    s_timed_add(ctx, t0);
    return rc;
}

static void s_timed_destroy(void *ctx)
{
    struct s_timed *t = ctx;
    dn_byte_source_destroy(t->inner);
    free(t);
}

/* Wraps inner (taken in every case) in a source that times its reads. */
static int s_timed_new(struct dn_pl_video *v, struct dn_byte_source *inner,
                       struct dn_byte_source **out, struct dn_err *err)
{
    struct dn_byte_source_ops ops = {s_timed_stat, s_timed_read, s_timed_destroy,
                                     dn_byte_source_concurrent(inner)};
    struct s_timed *t = malloc(sizeof(*t));
    if (!t) {
        dn_byte_source_destroy(inner);
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    }
    *t = (struct s_timed){inner, v};
    return dn_byte_source_new(&ops, t, v->uri, out, err);
}

/* ---- opening ------------------------------------------------------------- */

/* x-amz-meta-subject-height-cm, when the object has a usable one. A bad
 * value is the uploader's mistake, not the video's: logged and ignored. */
static double s_meta_height(const struct dn_pl_video *v, const char *value)
{
    char *end;
    double h = value ? strtod(value, &end) : 0.0;
    if (!value)
        return 0.0;
    if (end == value || *end || !isfinite(h) || h < 50.0 || h > 250.0) {
        dn_logf(DN_LOG_WARN, "%s: ignoring x-amz-meta-subject-height-cm '%.40s' (not a height "
                "in cm between 50 and 250)", v->uri, value);
        return 0.0;
    }
    return h;
}

/* The byte source of the video, and for an S3 object its metadata. */
static int s_source(struct dn_pl_video *v, struct dn_byte_source **out, struct dn_err *err)
{
    struct dn_pipeline *p = v->p;
    struct dn_byte_source *src = NULL;
    int rc;
    v->height_cm = v->in->subject_height_cm > 0 ? v->in->subject_height_cm : 0.0;
    if (v->bucket[0]) {
        if (!p->s3)
            return dn_err_set(err, DN_ERR_CONFIG, "%s: S3 input without an S3 client (AWS "
                              "settings)", v->uri);
        struct dn_s3_object_info oi = {0};
        uint64_t t0 = dn_pl_now_ns();
        rc = dn_s3_head_object(p->s3, v->bucket, v->key, NULL, &oi, err);
        atomic_fetch_add(&v->download_ns, dn_pl_now_ns() - t0);
        if (!rc && v->height_cm == 0.0)
            v->height_cm = s_meta_height(v, dn_s3_object_info_meta(&oi, "subject-height-cm"));
        dn_s3_object_info_clean_up(&oi);
        if (!rc)
            rc = dn_byte_source_s3_new(p->s3, v->bucket, v->key, &src, err);
    } else {
        rc = dn_byte_source_open(v->uri, NULL, &src, err);
    }
    if (!rc && v->height_cm == 0.0)
        v->height_cm = p->opt.subject_height_cm;
    return rc ? rc : s_timed_new(v, src, out, err);
}

static int s_open(struct dn_pl_video *v, struct dn_media **m, struct dn_err *err)
{
    struct dn_byte_source *src = NULL;
    int rc = s_source(v, &src, err);
    if (rc)
        return rc;
    struct dn_media_options mo = v->p->opt.media;
    mo.cancel = &v->stop;
    mo.stream = NULL;
    uint64_t t0 = dn_pl_now_ns(), r0 = s_tl_read_ns;
    rc = dn_media_open(src, &mo, m, err); /* takes src */
    v->t.demux += (double)(dn_pl_now_ns() - t0 - (s_tl_read_ns - r0)) / 1e6;
    if (rc)
        return rc;
    v->info = *dn_media_info(*m);
    v->on_gpu = dn_media_on_gpu(*m);
    v->stream = dn_media_stream(*m);
    v->have_info = true;
    return 0;
}

/* ---- the ring ------------------------------------------------------------- */

static size_t s_plane_geometry(const struct dn_frame *f, size_t row[3], int rows[3])
{
    const int sb = dn_pixel_format_bytes(f->format), cw = (f->width + 1) / 2;
    const int ch = (f->height + 1) / 2;
    const bool inter = f->nb_planes == 2;
    size_t total = 0;
    for (int i = 0; i < f->nb_planes; i++) {
        row[i] = (size_t)(i == 0 ? f->width : inter ? 2 * cw : cw) * (size_t)sb;
        rows[i] = i == 0 ? f->height : ch;
        total += row[i] * (size_t)rows[i];
    }
    return total;
}

/* Sizes the ring at the first frame: the video's share of queue_bytes. A
 * borrowed (GPU) frame is handed over one at a time. */
static int s_slots_alloc(struct dn_pl_video *v, const struct dn_frame *f, bool borrow,
                         struct dn_err *err)
{
    size_t row[3];
    int rows[3];
    size_t bytes = s_plane_geometry(f, row, rows);
    size_t share = v->p->opt.queue_bytes / (size_t)v->p->opt.max_active;
    size_t n = borrow ? 1 : share / (bytes ? bytes : 1);
    n = n < 1 ? 1 : n > S_MAX_SLOTS ? S_MAX_SLOTS : n;
    v->slots = calloc(n, sizeof(*v->slots));
    if (!v->slots)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    v->n_slots = (int)n;
    for (size_t i = 0; i < n && !borrow; i++)
        if (!(v->slots[i].buf = malloc(bytes)))
            return dn_err_set(err, DN_ERR_RESOURCE, "out of memory (%zu bytes per frame)", bytes);
    return 0;
}

void dn_pl_slots_free(struct dn_pl_video *v)
{
    for (int i = 0; i < v->n_slots; i++)
        free(v->slots[i].buf);
    free(v->slots);
    v->slots = NULL;
    v->n_slots = 0;
}

/* Copies f into slot s (packed planes); device planes come down to host
 * memory when the pose stage runs on the CPU. */
static int s_copy(struct dn_pl_slot *s, const struct dn_frame *f, struct dn_stream *stream,
                  struct dn_err *err)
{
    size_t row[3], off = 0;
    int rows[3], rc = 0;
    s_plane_geometry(f, row, rows);
    s->frame = *f;
    s->frame.on_device = false;
    for (int i = 0; i < f->nb_planes && !rc; i++) {
        uint8_t *dst = s->buf + off;
        if (f->on_device)
            rc = dn_dev_copy_2d(dst, row[i], f->planes[i], f->pitch[i], row[i], (size_t)rows[i],
                                stream, err);
        else
            for (int y = 0; y < rows[i]; y++)
                memcpy(dst + (size_t)y * row[i], f->planes[i] + (size_t)y * f->pitch[i], row[i]);
        s->frame.planes[i] = dst;
        s->frame.pitch[i] = row[i];
        off += row[i] * (size_t)rows[i];
    }
    return rc ? rc : f->on_device ? dn_stream_sync(stream, err) : 0;
}

void dn_pl_deadline(struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += S_POLL_NS;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits (lock held) while cond holds and the video is not stopped. */
#define S_WAIT_WHILE(v, cond)                                              \
    while ((cond) && !atomic_load(&(v)->stop)) {                           \
        struct timespec ts_;                                               \
        dn_pl_deadline(&ts_);                                              \
        pthread_cond_timedwait(&(v)->p->space, &(v)->p->lock, &ts_);       \
    }

/* Hands f to the pose thread. A borrowed frame lives in the media's
 * buffer, valid until the next decode: wait until the pose thread took it. */
static int s_publish(struct dn_pl_video *v, const struct dn_frame *f, struct dn_err *err)
{
    struct dn_pipeline *p = v->p;
    bool borrow = f->on_device && p->use_gpu;
    int rc = 0;
    if (!v->slots && (rc = s_slots_alloc(v, f, borrow, err)))
        return rc;
    pthread_mutex_lock(&p->lock);
    S_WAIT_WHILE(v, v->count == v->n_slots);
    int at = (v->head + v->count) % v->n_slots;
    pthread_mutex_unlock(&p->lock);
    if (atomic_load(&v->stop))
        return dn_err_set(err, DN_ERR_CANCELLED, "%s: stopped while decoding", v->uri);
    /* The slot is the pose thread's only once count covers it. */
    struct dn_pl_slot *s = &v->slots[at];
    if (borrow)
        s->frame = *f;
    else if ((rc = s_copy(s, f, v->stream, err)))
        return rc;
    pthread_mutex_lock(&p->lock);
    v->count++;
    pthread_cond_signal(&p->work);
    if (borrow) /* the pose thread takes or drops it even after a stop */
        while (v->count > 0)
            pthread_cond_wait(&p->space, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

static int s_frames(struct dn_pl_video *v, struct dn_media *m, struct dn_err *err)
{
    const struct dn_frame *f;
    int rc;
    for (;;) {
        uint64_t t0 = dn_pl_now_ns(), r0 = s_tl_read_ns;
        dn_trace_push("decode");
        rc = dn_media_next_frame(m, &f, err);
        dn_trace_pop();
        v->t.decode += (double)(dn_pl_now_ns() - t0 - (s_tl_read_ns - r0)) / 1e6;
        if (rc || !f)
            return rc;
        if ((rc = s_publish(v, f, err)))
            return rc;
    }
}

void *dn_pl_decode_main(void *arg)
{
    struct dn_pl_video *v = arg;
    struct dn_pipeline *p = v->p;
    struct dn_media *m = NULL;
    struct dn_err err = {0};
    dn_trace_name_thread("decode");
    int rc = s_open(v, &m, &err);
    if (!rc)
        rc = s_frames(v, m, &err);
    if (m) {
        struct dn_media_stats st;
        dn_media_stats(m, &st);
        v->decoded = st.decoded;
    }
    dn_media_close(m); /* joins the read-ahead thread: download_ns is final */
    v->t.download = (double)atomic_load(&v->download_ns) / 1e6;
    pthread_mutex_lock(&p->lock);
    if (rc)
        v->err = err;
    v->ended = true;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}
