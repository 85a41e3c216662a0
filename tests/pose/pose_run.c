/*
 * pose_run.c — the pose pipeline with its networks, on files, for the
 * end-to-end tests and the benchmark (needs the converted models:
 * models/fetch.sh; directory DANCER_MODEL_DIR, default ~/.cache/dancer/models).
 *
 *   pose_run video FILE... [opts] OUT.csv
 *       decodes each FILE (CPU decoder) and runs one session over all of
 *       them; OUT.csv gets video,frame,time_s,valid,presence,landmark,x,y,z,
 *       visibility for every frame; stats on stdout as key=value
 *   pose_run frames RAW FMT W H ROT MATRIX FULL N [opts] OUT
 *       N frames of packed planes (pose_tool layout) as one video at 30 fps;
 *       OUT: per frame float32 valid, presence, 33×5 image px, 33×5 world
 *   pose_run roi RAW FMT W H ROT MATRIX FULL N ROIS OUT
 *       the landmark network on one given ROI per frame (float32 xc, yc, w,
 *       h, rotation); OUT: per frame presence, 35×5 projected normalised
 *       landmarks (33 body + 2 auxiliary), 33×3 world (rotated), unsmoothed
 *   pose_run detect RAW FMT W H ROT MATRIX FULL N OUT
 *       the detector; OUT: per frame count, best detection (score, xmin,
 *       ymin, w, h, 4 keypoints; frame-normalised), its ROI (5)
 *   pose_run compare A.csv B.csv
 *       two video CSVs of the same inputs: landmark differences (px) over
 *       frames valid in both, and frames valid in only one; key=value
 * opts: --gpu --chunk N --min-segment N --target N --warmup N --batch N
 *       --no-smooth --videos N --decoder cpu|gpu|auto (video; default cpu)
 * Exit 0 success, 77 models missing, 2 usage, 1 failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dancer/config.h"
#include "dancer/media.h"
#include "dancer/pose.h"
#include "pose_internal.h"
#include "pose_models.h"
#include "pose_nets.h"

static char s_det[1024], s_lm[1024];
static int s_decoder = DN_DEVICE_CPU;

static int s_models(void)
{
    if (dn_test_pose_models(s_det, sizeof(s_det), s_lm, sizeof(s_lm)))
        return 0;
    fprintf(stderr, "pose_run: models not found: %s (run models/fetch.sh)\n", s_det);
    return 77;
}

static int s_fail(const struct dn_err *err)
{
    fprintf(stderr, "pose_run: %s\n", err->msg);
    return 1;
}

/* Parses the --options among argv[first..], removing them; returns argc. */
static int s_opts(int argc, char **argv, int first, struct dn_pose_options *o)
{
    int out = first;
    bool gpu = false;
    for (int i = first; i < argc; i++)
        gpu |= !strcmp(argv[i], "--gpu");
    dn_pose_options_init(o, gpu);
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        int *target = !strcmp(a, "--chunk") ? &o->chunk_frames
                      : !strcmp(a, "--min-segment") ? &o->min_segment_frames
                      : !strcmp(a, "--target") ? &o->target_batch
                      : !strcmp(a, "--warmup") ? &o->warmup_frames
                      : !strcmp(a, "--batch") ? &o->max_batch
                      : !strcmp(a, "--videos") ? &o->max_videos : NULL;
        if (target && i + 1 < argc)
            *target = atoi(argv[++i]);
        else if (!strcmp(a, "--no-smooth"))
            o->smooth = false;
        else if (!strcmp(a, "--decoder") && i + 1 < argc)
            s_decoder = !strcmp(argv[++i], "gpu") ? DN_DEVICE_GPU
                        : !strcmp(argv[i], "auto") ? DN_DEVICE_AUTO : DN_DEVICE_CPU;
        else if (strcmp(a, "--gpu"))
            argv[out++] = argv[i];
    }
    o->detector_path = s_det;
    o->landmark_path = s_lm;
    return out;
}

/* ---- raw frames (the pose_tool layout) ---------------------------------- */

struct s_raw {
    uint8_t *buf;
    uint8_t *dev;                  /* device copy of buf (--gpu, for the nets commands) */
    size_t frame_bytes;
    int n;
    struct dn_pose_frame_ref ref;  /* of frame 0; planes move by frame_bytes */
    struct dn_frame frame;         /* for the session */
};

static int s_raw_open(char **a, struct s_raw *r)
{
    FILE *f = fopen(a[0], "rb");
    const char *fmt = a[1];
    int w = atoi(a[2]), h = atoi(a[3]), rot = atoi(a[4]), matrix = atoi(a[5]), full = atoi(a[6]);
    int sb = strstr(fmt, "10") ? 2 : 1, inter = !strcmp(fmt, "nv12") || !strcmp(fmt, "p010");
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    memset(r, 0, sizeof(*r));
    r->n = atoi(a[7]);
    r->frame_bytes = (size_t)w * h * sb + (size_t)cw * ch * 2 * sb;
    r->buf = malloc(r->frame_bytes * (size_t)(r->n > 0 ? r->n : 1));
    bool ok = f && r->buf && r->n > 0 && w > 0 && h > 0 &&
              fread(r->buf, r->frame_bytes, (size_t)r->n, f) == (size_t)r->n;
    if (f)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "pose_run: cannot read %d frames of %s %dx%d from %s\n", r->n, fmt, w, h, a[0]);
        return 2;
    }
    struct dn_frame *d = &r->frame;
    d->format = !strcmp(fmt, "yuv420p") ? DN_PIX_YUV420P : !strcmp(fmt, "yuv420p10") ? DN_PIX_YUV420P10
                : inter && sb == 1 ? DN_PIX_NV12 : DN_PIX_P010;
    d->width = w, d->height = h, d->nb_planes = inter ? 2 : 3;
    d->pitch[0] = (size_t)w * sb;
    d->pitch[1] = (size_t)cw * sb * (inter ? 2 : 1);
    d->pitch[2] = inter ? 0 : (size_t)cw * sb;
    d->rotation_deg = rot, d->full_range = full, d->matrix = (enum dn_color_matrix)matrix;
    struct dn_pose_frame_ref *f0 = &r->ref;
    f0->width = w, f0->height = h, f0->sample_bytes = sb, f0->interleaved = inter;
    f0->rotation_deg = rot, f0->up_w = rot % 180 ? h : w, f0->up_h = rot % 180 ? w : h;
    for (int p = 0; p < 3; p++)
        f0->pitch[p] = (int)d->pitch[p];
    dn_pose_colour_init(&f0->colour, matrix, full, sb == 2 ? 10 : 8, !strcmp(fmt, "p010"));
    return 0;
}

/* The nets read frame planes where their kernels run: upload for the GPU. */
static int s_raw_upload(struct s_raw *r, bool gpu, struct dn_err *err)
{
    size_t bytes = r->frame_bytes * (size_t)r->n;
    if (!gpu)
        return 0;
    int rc = dn_dev_alloc((void **)&r->dev, bytes, err);
    return rc ? rc : dn_dev_upload(r->dev, r->buf, bytes, NULL, err) || dn_stream_sync(NULL, err);
}

/* Frame i as the session (dn_frame, host planes) and the nets (frame_ref:
 * device planes after s_raw_upload) see it. */
static void s_raw_frame(struct s_raw *r, int i, struct dn_frame *d, struct dn_pose_frame_ref *f)
{
    const uint8_t *base = r->buf + r->frame_bytes * (size_t)i;
    *d = r->frame;
    *f = r->ref;
    d->planes[0] = base;
    d->planes[1] = base + d->pitch[0] * (size_t)d->height;
    d->planes[2] = d->planes[1] + d->pitch[1] * (size_t)((d->height + 1) / 2);
    d->pts_s = i / 30.0;
    d->index = i;
    for (int p = 0; p < 3; p++)
        f->planes[p] = r->dev ? r->dev + (d->planes[p] - r->buf) : d->planes[p];
    f->t_us = (int64_t)(i * 1e6 / 30.0);
}

static int s_write(const char *path, const float *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(v, sizeof(float), n, f) != n;
    if (f && fclose(f))
        bad = 1;
    return bad;
}

static void s_put_track_frame(const struct dn_track_frame *tf, float *o)
{
    o[0] = tf->valid, o[1] = tf->presence;
    for (int k = 0; k < 33; k++) {
        const struct dn_landmark *l = &tf->image[k], *w = &tf->world[k];
        float *a = o + 2 + k * 5, *b = o + 2 + 165 + k * 5;
        a[0] = l->x, a[1] = l->y, a[2] = l->z, a[3] = l->visibility, a[4] = l->presence;
        b[0] = w->x, b[1] = w->y, b[2] = w->z, b[3] = w->visibility, b[4] = w->presence;
    }
}

static int s_frames(int argc, char **argv)
{
    struct dn_pose_options o;
    struct s_raw r;
    struct dn_err err = {0};
    struct dn_pose_session *s = NULL;
    struct dn_track *t = NULL;
    int id, rc;
    argc = s_opts(argc, argv, 2, &o);
    if (argc != 11)
        return 2;
    if ((rc = s_raw_open(argv + 2, &r)))
        return rc;
    struct dn_pose_video v = {r.frame.width, r.frame.height, r.frame.rotation_deg, 30.0};
    rc = dn_pose_session_new(&o, &s, &err) || dn_pose_session_add_video(s, &v, &id, &err);
    for (int i = 0; !rc && i < r.n; i++) {
        struct dn_frame d;
        struct dn_pose_frame_ref f;
        s_raw_frame(&r, i, &d, &f);
        rc = dn_pose_session_push(s, id, &d, NULL, &err);
    }
    if (!rc)
        rc = dn_pose_session_end_video(s, id, &err) || dn_pose_session_take_track(s, id, &t, &err);
    if (!rc) {
        float *out = calloc(t->n_frames ? t->n_frames : 1, 332 * sizeof(float));
        for (size_t i = 0; i < t->n_frames; i++)
            s_put_track_frame(&t->frames[i], out + i * 332);
        rc = s_write(argv[10], out, t->n_frames * 332);
        free(out);
    } else {
        rc = s_fail(&err);
    }
    dn_track_destroy(t);
    dn_pose_session_destroy(s);
    free(r.buf);
    return rc;
}

/* What the roi and detect commands share: options, frames (uploaded for the
 * GPU), their refs, the nets. */
struct s_netrun {
    struct dn_pose_options o;
    struct s_raw r;
    struct dn_err err;
    struct dn_stream *stream;
    struct dn_pose_nets *n;
    struct dn_pose_frame_ref *refs;
    const struct dn_pose_frame_ref **ptrs;
};

static void s_netrun_close(struct s_netrun *j)
{
    dn_pose_nets_destroy(j->n);
    dn_stream_destroy(j->stream);
    dn_dev_free((void **)&j->r.dev);
    free(j->refs), free(j->ptrs), free(j->r.buf);
}

/* argv[2..9]: the raw frames; `args` arguments in all (after options). */
static int s_netrun_open(struct s_netrun *j, int argc, char **argv, int args)
{
    memset(j, 0, sizeof(*j));
    if (s_opts(argc, argv, 2, &j->o) != args)
        return 2;
    int rc = s_raw_open(argv + 2, &j->r);
    if (rc)
        return rc;
    j->refs = calloc((size_t)j->r.n, sizeof(*j->refs));
    j->ptrs = calloc((size_t)j->r.n, sizeof(*j->ptrs));
    if (!j->refs || !j->ptrs || s_raw_upload(&j->r, j->o.use_gpu, &j->err))
        return s_fail(&j->err);
    for (int i = 0; i < j->r.n; i++) {
        struct dn_frame d;
        s_raw_frame(&j->r, i, &d, &j->refs[i]);
        j->ptrs[i] = &j->refs[i];
    }
    if ((j->o.use_gpu && dn_stream_new(&j->stream, &j->err)) ||
        dn_pose_nets_new(s_det, s_lm, j->o.max_batch, j->o.min_detection_score, j->o.use_gpu,
                         j->stream, &j->n, &j->err))
        return s_fail(&j->err);
    return 0;
}

/* One frame's landmark-stage output: presence, projected landmarks, world. */
static void s_roi_out(const struct s_netrun *j, int i, const struct dn_pose_rect *roi,
                      const float *lm, const float *world, float presence, float *o)
{
    struct dn_pose_lm l[35], w[33];
    struct dn_pose_rrect px;
    float pad[4];
    memcpy(l, lm + (size_t)i * 39 * 5, sizeof(l));
    for (int k = 0; k < 33; k++)
        w[k] = (struct dn_pose_lm){world[i * 117 + k * 3], world[i * 117 + k * 3 + 1],
                                   world[i * 117 + k * 3 + 2], 0, 0};
    dn_pose_roi_pixels(roi, j->refs[i].up_w, j->refs[i].up_h, 256, 256, &px, pad);
    dn_pose_project_landmarks(l, 35, roi, pad);
    dn_pose_project_world(w, 33, roi);
    o[0] = presence;
    memcpy(o + 1, l, sizeof(l));
    for (int k = 0; k < 33; k++)
        memcpy(o + 1 + 175 + k * 3, &w[k], 3 * sizeof(float));
}

static int s_roi(int argc, char **argv)
{
    struct s_netrun j;
    int rc = s_netrun_open(&j, argc, argv, 12);
    size_t len = (size_t)j.r.n, per = 1 + 35 * 5 + 33 * 3;
    struct dn_pose_rect *rois = calloc(len ? len : 1, sizeof(*rois));
    float *lm = calloc(len ? len : 1, 39 * 5 * 4), *world = calloc(len ? len : 1, 39 * 3 * 4);
    float *pres = calloc(len ? len : 1, 4), *out = calloc(len ? len : 1, per * 4);
    FILE *f = rc ? NULL : fopen(argv[10], "rb");
    if (!rc && (!f || fread(rois, sizeof(*rois), len, f) != len)) {
        fprintf(stderr, "pose_run roi: cannot read %zu ROIs from %s\n", len, argv[10]);
        rc = 2;
    }
    if (f)
        fclose(f);
    if (!rc && dn_pose_nets_landmarks(j.n, j.ptrs, rois, j.r.n, lm, world, pres, &j.err))
        rc = s_fail(&j.err);
    for (size_t i = 0; !rc && i < len; i++)
        s_roi_out(&j, (int)i, &rois[i], lm, world, pres[i], out + i * per);
    if (!rc)
        rc = s_write(argv[11], out, len * per);
    s_netrun_close(&j);
    free(rois), free(lm), free(world), free(pres), free(out);
    return rc;
}

static int s_detect(int argc, char **argv)
{
    struct s_netrun j;
    int rc = s_netrun_open(&j, argc, argv, 11);
    size_t len = (size_t)j.r.n;
    struct dn_pose_detection *dets = calloc(len ? len : 1, sizeof(*dets));
    int *counts = calloc(len ? len : 1, sizeof(int));
    float *out = calloc(len ? len : 1, 19 * 4);
    if (!rc && dn_pose_nets_detect(j.n, j.ptrs, j.r.n, dets, 1, counts, &j.err))
        rc = s_fail(&j.err);
    for (size_t i = 0; !rc && i < len; i++) {
        float *v = out + i * 19;
        struct dn_pose_rect roi = {0};
        v[0] = (float)counts[i];
        if (counts[i] > 0) {
            memcpy(v + 1, &dets[i], 13 * sizeof(float));
            dn_pose_detection_to_roi(&dets[i], j.refs[i].up_w, j.refs[i].up_h, &roi);
        }
        memcpy(v + 14, &roi, 5 * sizeof(float));
    }
    if (!rc)
        rc = s_write(argv[10], out, len * 19);
    s_netrun_close(&j);
    free(dets), free(counts), free(out);
    return rc;
}

/* ---- videos --------------------------------------------------------------- */

#define S_MAX_FILES 16

struct s_input {
    struct dn_media *m;
    int id;
    bool done;
    struct dn_track *track;
};

static int s_open_video(const char *path, struct dn_pose_session *s, struct s_input *in,
                        struct dn_err *err)
{
    struct dn_byte_source *src = NULL;
    struct dn_media_options mo;
    dn_media_options_init(&mo, NULL);
    mo.decoder = s_decoder;
    int rc = dn_byte_source_file_new(path, &src, err);
    if (!rc)
        rc = dn_media_open(src, &mo, &in->m, err);
    if (rc)
        return rc;
    const struct dn_video_info *vi = dn_media_info(in->m);
    struct dn_pose_video v = {vi->width, vi->height, vi->rotation_deg,
                              vi->avg_fps > 0 ? vi->avg_fps : 30.0};
    return dn_pose_session_add_video(s, &v, &in->id, err);
}

/* Round-robin: one frame of each video in turn, as decode threads would. */
static int s_pump(struct dn_pose_session *s, struct s_input *in, int n, struct dn_err *err)
{
    for (int left = n; left > 0;) {
        for (int i = 0; i < n; i++) {
            const struct dn_frame *f;
            if (in[i].done)
                continue;
            int rc = dn_media_next_frame(in[i].m, &f, err);
            if (!rc && f)
                rc = dn_pose_session_push(s, in[i].id, f, dn_media_stream(in[i].m), err);
            else if (!rc) {
                in[i].done = true;
                left--;
                rc = dn_pose_session_end_video(s, in[i].id, err);
            }
            if (rc)
                return rc;
        }
    }
    for (int i = 0; i < n; i++) {
        int rc = dn_pose_session_take_track(s, in[i].id, &in[i].track, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int s_write_csv(const char *path, struct s_input *in, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f, "video,frame,time_s,valid,presence,landmark,x,y,z,visibility\n");
    for (int v = 0; v < n; v++) {
        const struct dn_track *t = in[v].track;
        for (size_t i = 0; i < t->n_frames; i++) {
            const struct dn_track_frame *tf = &t->frames[i];
            for (int k = 0; k < DN_TRACK_LANDMARKS; k++)
                fprintf(f, "%d,%zu,%.6f,%d,%.6f,%d,%.4f,%.4f,%.4f,%.6f\n", v, i, tf->time_s,
                        tf->valid, tf->presence, k, tf->image[k].x, tf->image[k].y,
                        tf->image[k].z, tf->image[k].visibility);
        }
    }
    return fclose(f) ? 1 : 0;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int s_video(int argc, char **argv)
{
    struct dn_pose_options o;
    struct dn_err err = {0};
    struct dn_pose_session *s = NULL;
    struct s_input in[S_MAX_FILES];
    struct dn_pose_stats st;
    argc = s_opts(argc, argv, 2, &o);
    int n = argc - 3, rc = 0;
    if (n < 1 || n > S_MAX_FILES)
        return 2;
    memset(in, 0, sizeof(in));
    if (o.max_videos < n)
        o.max_videos = n;
    double t0 = s_now();
    rc = dn_pose_session_new(&o, &s, &err);
    double t1 = s_now();
    for (int i = 0; !rc && i < n; i++)
        rc = s_open_video(argv[2 + i], s, &in[i], &err);
    if (!rc)
        rc = s_pump(s, in, n, &err);
    double t2 = s_now();
    if (!rc) {
        dn_pose_session_stats(s, &st);
        printf("frames=%lld with_pose=%lld skipped=%lld detector_items=%lld landmark_items=%lld "
               "detector_launches=%lld landmark_launches=%lld steps=%lld max_step=%lld repaired=%lld "
               "load_s=%.3f run_s=%.3f fps=%.2f\n",
               (long long)st.frames, (long long)st.frames_with_pose, (long long)st.frames_skipped,
               (long long)st.detector_items, (long long)st.landmark_items,
               (long long)st.detector_launches, (long long)st.landmark_launches,
               (long long)st.steps, (long long)st.max_step_items, (long long)st.repaired_frames,
               t1 - t0, t2 - t1,
               st.frames / (t2 - t1));
        rc = s_write_csv(argv[argc - 1], in, n);
    } else {
        rc = s_fail(&err);
    }
    for (int i = 0; i < n; i++) {
        dn_media_close(in[i].m);
        dn_track_destroy(in[i].track);
    }
    dn_pose_session_destroy(s);
    return rc;
}

/* ---- compare ------------------------------------------------------------ */

/* Reads video,frame,...,landmark,x,y,... rows: xy[(video·F + frame)·33 + k],
 * valid per (video, frame); F frames per video at most. */
static int s_read_csv(const char *path, int F, float *xy, signed char *valid)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f || !fgets(line, sizeof(line), f))
        return -1;
    while (fgets(line, sizeof(line), f)) {
        int v, fr, ok, k;
        double t, p, x, y;
        if (sscanf(line, "%d,%d,%lf,%d,%lf,%d,%lf,%lf", &v, &fr, &t, &ok, &p, &k, &x, &y) != 8 ||
            v < 0 || v >= 16 || fr < 0 || fr >= F || k < 0 || k >= 33)
            continue;
        size_t i = (size_t)v * F + (size_t)fr;
        valid[i] = (signed char)ok;
        xy[(i * 33 + k) * 2] = (float)x, xy[(i * 33 + k) * 2 + 1] = (float)y;
    }
    fclose(f);
    return 0;
}

static int s_cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int s_compare(int argc, char **argv)
{
    enum { F = 20000 };
    if (argc != 4)
        return 2;
    size_t n = (size_t)16 * F;
    float *a = calloc(n * 66, 4), *b = calloc(n * 66, 4), *e = calloc(n * 33, 4);
    signed char *va = calloc(n, 1), *vb = calloc(n, 1);
    memset(va, -1, n), memset(vb, -1, n);
    if (!a || !b || !e || !va || !vb || s_read_csv(argv[2], F, a, va) || s_read_csv(argv[3], F, b, vb))
        return 1;
    size_t m = 0, mismatch = 0, frames = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (va[i] < 0 && vb[i] < 0)
            continue;
        frames++;
        if (va[i] != vb[i]) {
            mismatch++;
            continue;
        }
        for (int k = 0; va[i] > 0 && k < 33; k++) {
            float dx = a[(i * 33 + k) * 2] - b[(i * 33 + k) * 2];
            float dy = a[(i * 33 + k) * 2 + 1] - b[(i * 33 + k) * 2 + 1];
            e[m] = sqrtf(dx * dx + dy * dy);
            sum += e[m++];
        }
    }
    qsort(e, m, sizeof(float), s_cmp_float);
    size_t within = 0;
    for (size_t i = 0; i < m; i++)
        within += e[i] <= 2.0f;
    printf("frames=%zu validity_differs=%zu landmarks=%zu mean_px=%.4f p99_px=%.3f max_px=%.2f "
           "within_2px=%.4f\n", frames, mismatch, m, m ? sum / m : 0.0, m ? e[(size_t)(0.99 * (m - 1))] : 0.0,
           m ? e[m - 1] : 0.0, m ? (double)within / m : 1.0);
    free(a), free(b), free(e), free(va), free(vb);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!strcmp(argv[1], "compare"))
        return s_compare(argc, argv);
    int rc = s_models();
    if (rc)
        return rc;
    if (!strcmp(argv[1], "video"))
        return s_video(argc, argv);
    if (!strcmp(argv[1], "frames"))
        return s_frames(argc, argv);
    if (!strcmp(argv[1], "roi"))
        return s_roi(argc, argv);
    if (!strcmp(argv[1], "detect"))
        return s_detect(argc, argv);
    fprintf(stderr, "pose_run: unknown command %s (see tests/pose/pose_run.c)\n", argv[1]);
    return 2;
}
