/*
 * finish.c — the end of a video's way through the pipeline: gait over the
 * tracks that are complete (one batched dn_gait_analyze call), the result
 * document, and the done call. Runs on the pose thread.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/log.h"
#include "dancer/result.h"
#include "dancer/trace.h"
#include "pipeline_internal.h"

/* S3 sends ETags quoted; the document carries the bare value, as S3 event
 * notifications do, so the worker can compare them. */
static void s_bare_etag(const char *etag, char *out, size_t len)
{
    size_t n = strlen(etag);
    if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
        snprintf(out, len, "%.*s", (int)(n - 2), etag + 1);
    else
        snprintf(out, len, "%s", etag);
}

/* The document of v: gait NULL and error set for a failure. */
static cJSON *s_doc(struct dn_pipeline *p, struct dn_pl_video *v, const struct dn_gait_result *gait,
                    const struct dn_err *error)
{
    const struct dn_video_info *vi = &v->info;
    char etag[DN_ETAG_MAX] = "";
    bool s3 = v->bucket[0] != 0;
    long long size = -1;
    /* The probe knows the object when the video opened; the source's stat
     * knows it when only opening failed (not a video, truncated...), and an
     * error result must still name the version it judged. */
    if (v->have_info) {
        if (s3)
            s_bare_etag(vi->etag, etag, sizeof(etag));
        size = (long long)vi->size_bytes;
    } else if (v->have_source) {
        if (s3)
            s_bare_etag(v->source_info.etag, etag, sizeof(etag));
        size = (long long)v->source_info.size;
    }
    struct dn_result_source src = {v->uri, s3 ? v->bucket : NULL, s3 ? v->key : NULL,
                                   etag[0] ? etag : NULL, size};
    struct dn_result_video video = {
        vi->duration_s > 0 ? vi->duration_s : -1.0, vi->avg_fps, vi->display_width,
        vi->display_height, vi->codec[0] ? vi->codec : NULL, vi->rotation_deg,
        v->decoded > 0 ? (long long)v->decoded : vi->frames > 0 ? (long long)vi->frames : -1};
    const struct dn_result_timing timings[] = {
        {"download", v->t.download}, {"demux", v->t.demux}, {"decode", v->t.decode},
        {"pose", v->t.pose}, {"gait", v->t.gait}, {"total", v->t.total}};
    struct dn_result_processing proc = {
        p->version, v->pose_added ? p->model_sha256 : NULL,
        p->device_name, v->have_info ? (v->on_gpu ? "nvdec" : "cpu") : NULL, timings,
        sizeof(timings) / sizeof(timings[0])};
    struct dn_err berr = {0};
    cJSON *doc = NULL;
    if (dn_result_build(&doc, &src, v->have_info ? &video : NULL, gait, &proc, error, &berr))
        dn_logf(DN_LOG_ERROR, "%s: cannot build the result document: %s", v->uri, berr.msg);
    return doc;
}

static void s_done(struct dn_pipeline *p, struct dn_pl_video *v, cJSON *doc,
                   const struct dn_gait_result *gait, const struct dn_err *error)
{
    struct dn_pipeline_output out = {v->index, doc, error, gait,
                                     p->opt.keep_tracks ? v->track : NULL};
    v->state = DN_PL_DONE;
    dn_logf(DN_LOG_DEBUG, "%s: %s (download %.0f, demux %.0f, decode %.0f, pose %.0f, gait %.0f, "
            "total %.0f ms)", v->uri, error ? dn_err_class_name(error->cls) : "analysed",
            v->t.download, v->t.demux, v->t.decode, v->t.pose, v->t.gait, v->t.total);
    p->done(&out, p->user);
    dn_track_destroy(v->track);
    v->track = NULL;
}

static void s_total(struct dn_pipeline *p, struct dn_pl_video *v)
{
    v->t.total = v->t_start_ns ? (double)(dn_pl_now_ns() - v->t_start_ns) / 1e6 : 0.0;
    /* Its share of the batched pose time so far (see struct dn_pipeline). */
    if (p->pose_frames > 0)
        v->t.pose = p->pose_ms * (double)v->pose_frames / (double)p->pose_frames;
}

void dn_pl_finish_failed(struct dn_pipeline *p, struct dn_pl_video *v, const struct dn_err *error)
{
    s_total(p, v);
    s_done(p, v, s_doc(p, v, NULL, error), NULL, error);
}

/* Gait over the n tracked videos vs[], their results into res[]. */
static int s_gait(struct dn_pipeline *p, struct dn_pl_video **vs, size_t n,
                  struct dn_gait_result **res, struct dn_err *err)
{
    struct dn_gait_input *in = calloc(n, sizeof(*in));
    struct dn_gait_options go;
    if (!in)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    for (size_t i = 0; i < n; i++)
        in[i] = (struct dn_gait_input){vs[i]->track, vs[i]->height_cm};
    dn_gait_options_init(&go);
    go.use_gpu = p->use_gpu;
    uint64_t t0 = dn_pl_now_ns();
    dn_trace_push("gait");
    int rc = dn_gait_analyze(in, n, &go, res, err);
    dn_trace_pop();
    double ms = (double)(dn_pl_now_ns() - t0) / 1e6;
    for (size_t i = 0; i < n; i++)
        vs[i]->t.gait = ms / (double)n; /* one batched call: each its share */
    free(in);
    return rc;
}

void dn_pl_finish_tracked(struct dn_pipeline *p)
{
    struct dn_pl_video **vs = calloc(p->n, sizeof(*vs));
    struct dn_gait_result **res = calloc(p->n, sizeof(*res));
    struct dn_err err = {0};
    size_t n = 0;
    for (size_t i = 0; vs && res && i < p->n; i++)
        if (p->videos[i].state == DN_PL_TRACKED)
            vs[n++] = &p->videos[i];
    int rc = !vs || !res ? dn_err_set(&err, DN_ERR_RESOURCE, "out of memory")
                         : n ? s_gait(p, vs, n, res, &err) : 0;
    for (size_t i = 0; i < p->n; i++) {
        struct dn_pl_video *v = &p->videos[i];
        if (v->state != DN_PL_TRACKED)
            continue;
        if (rc) {
            dn_pl_finish_failed(p, v, &err);
            continue;
        }
        struct dn_gait_result *g = NULL;
        for (size_t k = 0; k < n; k++)
            if (vs[k] == v)
                g = res[k];
        s_total(p, v);
        s_done(p, v, s_doc(p, v, g, NULL), g, NULL);
        dn_gait_result_destroy(g);
    }
    free(vs);
    free(res);
}
