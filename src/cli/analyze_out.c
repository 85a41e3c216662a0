/*
 * analyze_out.c — what `dancer analyze` writes besides the JSON lines: the
 * --pretty summary (read back from the result document, so failed inputs
 * print the same way) and the names of per-input files.
 */
#include "analyze_out.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void dn_analyze_out_name(const char *pattern, size_t index, size_t n, char *out, size_t len)
{
    if (n <= 1) {
        snprintf(out, len, "%s", pattern);
        return;
    }
    /* Several inputs: FILE.ext becomes FILE-<input number>.ext (from 1). */
    const char *slash = strrchr(pattern, '/'), *dot = strrchr(pattern, '.');
    if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : pattern))
        dot = pattern + strlen(pattern);
    snprintf(out, len, "%.*s-%zu%s", (int)(dot - pattern), pattern, index + 1, dot);
}

static const cJSON *s_get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *s_reason(const cJSON *gait, const char *key)
{
    const cJSON *r = s_get(s_get(gait, "null_reasons"), key);
    return cJSON_IsString(r) ? r->valuestring : "not measured";
}

/* One row: label, value with unit (or "—" and why), optionally the same
 * quantity in a second unit (metres, when the scale is known). */
static void s_row(FILE *out, const cJSON *gait, const char *label, const char *key,
                  const char *fmt, const char *unit, const char *key2, const char *unit2)
{
    const cJSON *v = s_get(gait, key), *v2 = key2 ? s_get(gait, key2) : NULL;
    char a[64], b[64];
    if (!cJSON_IsNumber(v)) {
        fprintf(out, "  %-20s —  (%s)\n", label, s_reason(gait, key));
        return;
    }
    snprintf(a, sizeof(a), fmt, v->valuedouble);
    fprintf(out, "  %-20s %s %s", label, a, unit);
    if (key2 && cJSON_IsNumber(v2)) {
        snprintf(b, sizeof(b), fmt, v2->valuedouble);
        fprintf(out, "   %s %s", b, unit2);
    } else if (key2) {
        fprintf(out, "   (%s: %s)", unit2, s_reason(gait, key2));
    }
    fputc('\n', out);
}

static void s_header(FILE *out, const cJSON *doc)
{
    const cJSON *src = s_get(doc, "source"), *video = s_get(doc, "video");
    const cJSON *uri = s_get(src, "uri");
    fprintf(out, "%s\n", cJSON_IsString(uri) ? uri->valuestring : "?");
    if (cJSON_IsObject(video)) {
        const cJSON *w = s_get(video, "width"), *h = s_get(video, "height");
        const cJSON *fps = s_get(video, "fps"), *dur = s_get(video, "duration_s");
        fprintf(out, "  video                %dx%d, %.3g fps, %.1f s\n",
                cJSON_IsNumber(w) ? w->valueint : 0, cJSON_IsNumber(h) ? h->valueint : 0,
                cJSON_IsNumber(fps) ? fps->valuedouble : NAN,
                cJSON_IsNumber(dur) ? dur->valuedouble : NAN);
    }
}

static void s_quality(FILE *out, const cJSON *doc, const cJSON *gait)
{
    const cJSON *q = s_get(doc, "quality"), *view = s_get(gait, "view");
    const cJSON *conf = s_get(q, "confidence"), *strides = s_get(q, "complete_strides");
    const cJSON *pose = s_get(q, "frames_with_pose_pct");
    /* Timed from the feet's rhythm (front/back views): no stride has events,
     * but the period spans this many (the stride time's n). */
    const cJSON *method = s_get(s_get(gait, "method"), "temporal");
    const cJSON *spanned = s_get(s_get(s_get(gait, "parameters"), "stride_time_s"), "n");
    char rhythm[64] = "";
    if (cJSON_IsString(method) && !strcmp(method->valuestring, "periodicity") && cJSON_IsNumber(spanned))
        snprintf(rhythm, sizeof(rhythm), " (timed over %d from the feet's rhythm)", spanned->valueint);
    fprintf(out, "  view                 %s, %d complete strides%s, pose in %.0f %% of frames\n",
            cJSON_IsString(view) ? view->valuestring : "none",
            cJSON_IsNumber(strides) ? strides->valueint : 0, rhythm,
            cJSON_IsNumber(pose) ? pose->valuedouble : 0.0);
    if (cJSON_IsNumber(conf))
        fprintf(out, "  confidence           %.2f (0..1)\n", conf->valuedouble);
}

void dn_analyze_out_pretty(FILE *out, const cJSON *doc)
{
    const cJSON *gait = s_get(doc, "gait"), *error = s_get(doc, "error");
    s_header(out, doc);
    if (cJSON_IsObject(error)) {
        const cJSON *cls = s_get(error, "class"), *msg = s_get(error, "message");
        fprintf(out, "  error                %s: %s\n\n", cJSON_IsString(cls) ? cls->valuestring : "?",
                cJSON_IsString(msg) ? msg->valuestring : "");
        return;
    }
    if (!cJSON_IsObject(gait))
        return;
    s_quality(out, doc, gait);
    if (!cJSON_IsTrue(s_get(gait, "gait_cycle_detected"))) {
        const cJSON *why = s_get(gait, "reason");
        fprintf(out, "  no gait cycle        %s\n\n", cJSON_IsString(why) ? why->valuestring : "");
        return;
    }
    s_row(out, gait, "cadence", "cadence_steps_per_min", "%.1f", "steps/min", NULL, NULL);
    s_row(out, gait, "step time", "step_time_s", "%.3f", "s", NULL, NULL);
    s_row(out, gait, "stride time", "stride_time_s", "%.3f", "s", NULL, NULL);
    s_row(out, gait, "stance", "stance_pct", "%.1f", "%", NULL, NULL);
    s_row(out, gait, "swing", "swing_pct", "%.1f", "%", NULL, NULL);
    s_row(out, gait, "double support", "double_support_pct", "%.1f", "%", NULL, NULL);
    s_row(out, gait, "step length", "step_length", "%.2f", "leg", "step_length_m", "m");
    s_row(out, gait, "stride length", "stride_length", "%.2f", "leg", "stride_length_m", "m");
    s_row(out, gait, "walking speed", "walking_speed", "%.2f", "leg/s", "walking_speed_m_s", "m/s");
    s_row(out, gait, "knee flexion ROM", "knee_flexion_rom_deg", "%.1f", "deg", NULL, NULL);
    s_row(out, gait, "hip flexion ROM", "hip_flexion_rom_deg", "%.1f", "deg", NULL, NULL);
    fputc('\n', out);
}
