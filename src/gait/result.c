/* result.c — the result document (see include/dancer/result.h and
 * src/gait/result.schema.json). */
#include "dancer/result.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Builders remember the first allocation failure instead of checking every
 * call: cJSON returns NULL when out of memory, and the document is dropped
 * once at the end. */
struct s_doc {
    bool oom;
};

static cJSON *s_check(struct s_doc *d, cJSON *item)
{
    if (!item)
        d->oom = true;
    return item;
}

/* A number rounded to `digits` decimals (results are read by people; the
 * last float bits are noise), or null when not finite. */
static void s_num(struct s_doc *d, cJSON *obj, const char *key, double x, int digits)
{
    if (!isfinite(x)) {
        s_check(d, cJSON_AddNullToObject(obj, key));
        return;
    }
    double scale = pow(10, digits);
    s_check(d, cJSON_AddNumberToObject(obj, key, round(x * scale) / scale));
}

static void s_str(struct s_doc *d, cJSON *obj, const char *key, const char *s)
{
    s_check(d, s && *s ? cJSON_AddStringToObject(obj, key, s) : cJSON_AddNullToObject(obj, key));
}

static cJSON *s_obj(struct s_doc *d, cJSON *parent, const char *key)
{
    cJSON *o = s_check(d, cJSON_CreateObject());
    if (o && parent && !cJSON_AddItemToObject(parent, key, o)) {
        cJSON_Delete(o);
        d->oom = true;
        return NULL;
    }
    return o;
}

static cJSON *s_arr(struct s_doc *d, cJSON *parent, const char *key)
{
    cJSON *a = s_check(d, cJSON_CreateArray());
    if (a && !cJSON_AddItemToObject(parent, key, a)) {
        cJSON_Delete(a);
        d->oom = true;
        return NULL;
    }
    return a;
}

/* Digits per unit: times in 0.1 ms, percentages and degrees in 0.01. */
static int s_digits(const char *unit)
{
    return !strcmp(unit, "s") ? 4 : !strcmp(unit, "%") || !strcmp(unit, "deg") || !strcmp(unit, "steps/min") ? 2 : 4;
}

static void s_stat(struct s_doc *d, cJSON *obj, const char *key, const struct dn_gait_stat *st, int digits)
{
    cJSON *o = s_obj(d, obj, key);
    if (!o)
        return;
    s_num(d, o, "mean", st->n ? st->mean : NAN, digits);
    s_num(d, o, "cv", st->n > 1 ? st->cv : NAN, 4);
    s_check(d, cJSON_AddNumberToObject(o, "n", st->n));
}

/* The flat summary values (DESIGN.md's contract), the per-parameter detail
 * and the reason for every null. */
static void s_params(struct s_doc *d, cJSON *g, cJSON *reasons, const struct dn_gait_result *r)
{
    cJSON *detail = s_obj(d, NULL, NULL);
    for (int p = 0; p < DN_GP_COUNT && detail; p++) {
        const struct dn_gait_param_info *info = dn_gait_param_info(p);
        const struct dn_gait_param *par = &r->params[p];
        int digits = s_digits(info->unit);
        s_num(d, g, info->key, par->all.n ? par->all.mean : NAN, digits);
        if (!par->all.n)
            s_str(d, reasons, info->key, par->reason[0] ? par->reason : "not measured");
        cJSON *o = s_obj(d, detail, info->key);
        if (!o)
            break;
        s_str(d, o, "unit", info->unit);
        s_num(d, o, "mean", par->all.n ? par->all.mean : NAN, digits);
        s_num(d, o, "cv", par->all.n > 1 ? par->all.cv : NAN, 4);
        s_check(d, cJSON_AddNumberToObject(o, "n", par->all.n));
        s_stat(d, o, "left", &par->side[DN_GAIT_LEFT], digits);
        s_stat(d, o, "right", &par->side[DN_GAIT_RIGHT], digits);
    }
    if (detail && !cJSON_AddItemToObject(g, "parameters", detail)) {
        cJSON_Delete(detail);
        d->oom = true;
    }
}

static void s_symmetry(struct s_doc *d, cJSON *g, cJSON *reasons, const struct dn_gait_result *r)
{
    cJSON *o = s_obj(d, g, "symmetry_index_pct");
    char key[64];
    for (int i = 0; i < DN_GS_COUNT && o; i++) {
        s_num(d, o, dn_gait_sym_key(i), r->symmetry[i], 2);
        if (isfinite(r->symmetry[i]))
            continue;
        snprintf(key, sizeof(key), "symmetry_index_pct.%s", dn_gait_sym_key(i));
        s_str(d, reasons, key, r->detected ? "needs both sides measured" : "gait cycle not detected");
    }
}

static const char *s_direction(const struct dn_gait_bout *b)
{
    if (b->view == DN_GAIT_VIEW_SIDE)
        return b->direction > 0 ? "left_to_right" : "right_to_left";
    return b->view == DN_GAIT_VIEW_FRONT ? "toward_camera" : "away_from_camera";
}

static void s_bouts_events(struct s_doc *d, cJSON *g, const struct dn_gait_result *r)
{
    cJSON *bouts = s_arr(d, g, "bouts"), *events = s_arr(d, g, "events");
    for (size_t i = 0; i < r->n_bouts && bouts; i++) {
        const struct dn_gait_bout *b = &r->bouts[i];
        cJSON *o = s_check(d, cJSON_CreateObject());
        if (!o || !cJSON_AddItemToArray(bouts, o))
            break;
        s_num(d, o, "start_s", b->start_s, 4);
        s_num(d, o, "end_s", b->end_s, 4);
        s_str(d, o, "view", dn_gait_view_name(b->view));
        s_str(d, o, "direction", s_direction(b));
        s_check(d, cJSON_AddBoolToObject(o, "treadmill", b->treadmill));
        s_check(d, cJSON_AddNumberToObject(o, "strides", b->strides));
        s_num(d, o, "stride_period_s", b->stride_period_s, 4);
        s_num(d, o, "stride_regularity", b->stride_regularity, 3);
        s_str(d, o, "events_rejected", b->events_rejected[0] ? b->events_rejected : NULL);
    }
    for (size_t i = 0; i < r->n_events && events; i++) {
        const struct dn_gait_event *e = &r->events[i];
        cJSON *o = s_check(d, cJSON_CreateObject());
        if (!o || !cJSON_AddItemToArray(events, o))
            break;
        s_num(d, o, "time_s", e->time_s, 4);
        s_num(d, o, "frame", e->frame, 2);
        s_str(d, o, "side", e->side == DN_GAIT_LEFT ? "left" : "right");
        s_str(d, o, "type", e->type == DN_GAIT_HEEL_STRIKE ? "heel_strike" : "toe_off");
        s_num(d, o, "confidence", e->confidence, 3);
        s_check(d, cJSON_AddNumberToObject(o, "bout", e->bout));
    }
}

static void s_curve(struct s_doc *d, cJSON *parent, const char *key, const struct dn_gait_curve *c)
{
    if (c->cycles == 0) {
        s_check(d, cJSON_AddNullToObject(parent, key));
        return;
    }
    cJSON *o = s_obj(d, parent, key), *mean = o ? s_arr(d, o, "mean") : NULL, *sd = o ? s_arr(d, o, "sd") : NULL;
    if (!mean || !sd)
        return;
    s_check(d, cJSON_AddNumberToObject(o, "cycles", c->cycles));
    for (int p = 0; p < DN_GAIT_CURVE_POINTS; p++) {
        if (!cJSON_AddItemToArray(mean, s_check(d, cJSON_CreateNumber(round(c->mean[p] * 10) / 10))) ||
            !cJSON_AddItemToArray(sd, s_check(d, cJSON_CreateNumber(round(c->sd[p] * 10) / 10))))
            d->oom = true;
    }
}

static void s_curves(struct s_doc *d, cJSON *g, const struct dn_gait_result *r)
{
    cJSON *c = s_obj(d, g, "curves"), *knee = c ? s_obj(d, c, "knee_flexion_deg") : NULL;
    cJSON *hip = c ? s_obj(d, c, "hip_flexion_deg") : NULL;
    if (!knee || !hip)
        return;
    s_curve(d, knee, "left", &r->knee[DN_GAIT_LEFT]);
    s_curve(d, knee, "right", &r->knee[DN_GAIT_RIGHT]);
    s_curve(d, hip, "left", &r->hip[DN_GAIT_LEFT]);
    s_curve(d, hip, "right", &r->hip[DN_GAIT_RIGHT]);
}

static void s_methods(struct s_doc *d, cJSON *g, const struct dn_gait_result *r)
{
    cJSON *m = s_obj(d, g, "method");
    if (!m)
        return;
    s_str(d, m, "events_side_view", "zeni2008: heel strike at the heel's most anterior, toe off at the toe's "
                                    "most posterior position relative to the pelvis");
    s_str(d, m, "events_front_view", "zeni2008 along the pose model's relative depth (foot image speed without "
                                     "depth); used for no parameter: timing from the rhythm, no stance");
    s_str(d, m, "temporal", r->temporal == DN_GAIT_TEMPORAL_EVENTS        ? "events"
                            : r->temporal == DN_GAIT_TEMPORAL_PERIODICITY ? "periodicity"
                                                                          : NULL);
    s_str(d, m, "rhythm", "stride period = first dominant autocorrelation peak of the left-minus-right foot "
                          "landmarks (sagittal axes: x, y side view; z, y front/back; torso lengths, "
                          "detrended, RMS-flattened over a stride) over a bout, parabolic vertex, peaks at its "
                          "multiples (Moe-Nilssen & Helbostad 2004); events rejected when their mean step or "
                          "stride is > 5 % off it or heel strikes do not alternate");
    s_str(d, m, "filter", "gap fill <= max gap, 2nd-order Butterworth low-pass, forward-backward");
    s_num(d, m, "cutoff_hz", r->cutoff_hz, 3);
    s_num(d, m, "fps", r->fps, 3);
    s_str(d, m, "leg_length", "|hip-knee| + |knee-ankle| + vertical ankle-heel with the foot flat (landmarks)");
}

cJSON *dn_result_gait_json(const struct dn_gait_result *r)
{
    struct s_doc d = {false};
    cJSON *g = s_obj(&d, NULL, NULL), *reasons = s_obj(&d, NULL, NULL);
    if (!g || !reasons)
        goto fail;
    s_check(&d, cJSON_AddBoolToObject(g, "gait_cycle_detected", r->detected));
    s_str(&d, g, "reason", r->detected ? NULL : r->reason);
    s_str(&d, g, "view", r->view == DN_GAIT_VIEW_NONE ? NULL : dn_gait_view_name(r->view));
    s_str(&d, g, "scale_source", r->scale_source);
    s_num(&d, g, "leg_length_px", r->leg_length_px, 2);
    s_num(&d, g, "leg_length_m", r->leg_length_m, 4);
    if (!isfinite(r->leg_length_px))
        s_str(&d, reasons, "leg_length_px", "needs a side-view walking bout");
    if (!isfinite(r->leg_length_m))
        s_str(&d, reasons, "leg_length_m", r->scale_reason[0] ? r->scale_reason : "scale unknown");
    s_params(&d, g, reasons, r);
    s_symmetry(&d, g, reasons, r);
    if (!cJSON_AddItemToObject(g, "null_reasons", reasons)) {
        cJSON_Delete(reasons);
        goto fail;
    }
    reasons = NULL;
    s_methods(&d, g, r);
    s_bouts_events(&d, g, r);
    s_curves(&d, g, r);
    if (d.oom)
        goto fail;
    return g;
fail:
    cJSON_Delete(g);
    cJSON_Delete(reasons);
    return NULL;
}

static void s_quality(struct s_doc *d, cJSON *doc, const struct dn_gait_result *r)
{
    if (!r) {
        s_check(d, cJSON_AddNullToObject(doc, "quality"));
        return;
    }
    const struct dn_gait_quality *q = &r->quality;
    cJSON *o = s_obj(d, doc, "quality");
    if (!o)
        return;
    s_num(d, o, "confidence", q->confidence, 3);
    s_check(d, cJSON_AddNumberToObject(o, "frames", q->frames));
    s_num(d, o, "frames_with_pose_pct", q->frames_with_pose_pct, 2);
    s_num(d, o, "frames_in_walking_bouts_pct", q->frames_in_bouts_pct, 2);
    s_check(d, cJSON_AddNumberToObject(o, "complete_strides", q->complete_strides));
    s_check(d, cJSON_AddNumberToObject(o, "complete_strides_left", q->strides[DN_GAIT_LEFT]));
    s_check(d, cJSON_AddNumberToObject(o, "complete_strides_right", q->strides[DN_GAIT_RIGHT]));
    s_num(d, o, "stride_time_cv", q->stride_time_cv, 4);
    s_num(d, o, "regularity", q->regularity, 3);
    s_num(d, o, "event_confidence", q->event_confidence, 3);
    s_num(d, o, "stride_regularity", q->stride_regularity, 3);
    s_str(d, o, "confidence_method",
          r->temporal == DN_GAIT_TEMPORAL_PERIODICITY
              ? "periodicity only: 0.5 * min(1, strides spanned / 6) * sqrt(frames_with_pose * stride_regularity)"
              : "min(1, complete_strides / 6) * cbrt(frames_with_pose * regularity * event_confidence)");
}

static void s_source(struct s_doc *d, cJSON *doc, const struct dn_result_source *s)
{
    cJSON *o = s_obj(d, doc, "source");
    if (!o)
        return;
    s_str(d, o, "uri", s->uri);
    s_str(d, o, "bucket", s->bucket);
    s_str(d, o, "key", s->key);
    s_str(d, o, "etag", s->etag);
    s_num(d, o, "size", s->size >= 0 ? (double)s->size : NAN, 0);
}

static void s_video(struct s_doc *d, cJSON *doc, const struct dn_result_video *v)
{
    if (!v) {
        s_check(d, cJSON_AddNullToObject(doc, "video"));
        return;
    }
    cJSON *o = s_obj(d, doc, "video");
    if (!o)
        return;
    s_num(d, o, "duration_s", v->duration_s >= 0 ? v->duration_s : NAN, 4);
    s_num(d, o, "fps", v->fps > 0 ? v->fps : NAN, 4);
    s_check(d, cJSON_AddNumberToObject(o, "width", v->width));
    s_check(d, cJSON_AddNumberToObject(o, "height", v->height));
    s_str(d, o, "codec", v->codec);
    s_check(d, cJSON_AddNumberToObject(o, "rotation_deg", v->rotation_deg));
    s_num(d, o, "frames", v->frames >= 0 ? (double)v->frames : NAN, 0);
}

static void s_processing(struct s_doc *d, cJSON *doc, const struct dn_result_processing *p)
{
    cJSON *o = s_obj(d, doc, "processing"), *t = o ? s_obj(d, NULL, NULL) : NULL;
    if (!t)
        return;
    s_str(d, o, "version", p->version);
    s_str(d, o, "model_sha256", p->model_sha256);
    s_str(d, o, "device", p->device);
    s_str(d, o, "decoder", p->decoder);
    for (size_t i = 0; i < p->n_timings; i++)
        s_num(d, t, p->timings[i].stage, p->timings[i].ms, 3);
    if (!cJSON_AddItemToObject(o, "timings_ms", t)) {
        cJSON_Delete(t);
        d->oom = true;
    }
}

static void s_error(struct s_doc *d, cJSON *doc, const struct dn_err *e)
{
    if (!e || e->cls == DN_ERR_NONE) {
        s_check(d, cJSON_AddNullToObject(doc, "error"));
        return;
    }
    cJSON *o = s_obj(d, doc, "error");
    if (!o)
        return;
    s_str(d, o, "class", dn_err_class_name(e->cls));
    s_str(d, o, "message", e->msg[0] ? e->msg : dn_err_class_name(e->cls));
}

int dn_result_build(struct cJSON **out, const struct dn_result_source *source,
                    const struct dn_result_video *video, const struct dn_gait_result *gait,
                    const struct dn_result_processing *proc, const struct dn_err *error,
                    struct dn_err *err)
{
    struct s_doc d = {false};
    *out = NULL;
    if (!source || !source->uri || !proc || !proc->version || !proc->device)
        return dn_err_set(err, DN_ERR_INTERNAL, "result: source.uri, processing.version and "
                                                "processing.device are required");
    cJSON *doc = s_obj(&d, NULL, NULL);
    if (!doc)
        return dn_err_set(err, DN_ERR_RESOURCE, "result: out of memory");
    s_str(&d, doc, "schema_version", DN_RESULT_SCHEMA_VERSION);
    s_source(&d, doc, source);
    s_video(&d, doc, video);
    cJSON *g = gait ? dn_result_gait_json(gait) : cJSON_CreateNull();
    if (!g || !cJSON_AddItemToObject(doc, "gait", g)) {
        cJSON_Delete(g);
        d.oom = true;
    }
    s_quality(&d, doc, gait);
    s_processing(&d, doc, proc);
    s_error(&d, doc, error);
    if (d.oom) {
        cJSON_Delete(doc);
        return dn_err_set(err, DN_ERR_RESOURCE, "result: out of memory");
    }
    *out = doc;
    return 0;
}
