/* pipeline_test.c — helpers of the pipeline tests (pipeline_test.h). */
#include "pipeline_test.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dancer/config.h"
#include "test.h"

const char *dn_pt_clip(const char *name)
{
    static char path[2048];
    const char *dir = getenv("DN_TEST_PIPELINE_DIR");
    if (!dir)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

static void s_options(struct dn_pipeline_options *opt)
{
    const char *dir = getenv("DANCER_MODEL_DIR");
    dn_pipeline_options_init(opt, NULL);
    if (dir && dir[0])
        snprintf(opt->model_dir, sizeof(opt->model_dir), "%s", dir);
    opt->device = DN_DEVICE_CPU;
    opt->media.decoder = DN_DEVICE_CPU;
    opt->media.threads = 1; /* CI has two cores and several videos decode at once */
    opt->keep_tracks = true;
}

const char *dn_pt_missing(void)
{
    struct dn_pipeline_options opt;
    struct dn_err err = {0};
    char det[2048], lm[2048];
    s_options(&opt);
    if (dn_pipeline_model_paths(opt.model_dir, det, sizeof(det), lm, sizeof(lm), &err))
        return "no converted models (models/fetch.sh)";
    const char *clip = dn_pt_clip("walk_a.mp4");
    if (!clip || access(clip, R_OK))
        return "no walker clips (tests/pipeline/make_clips.sh needs numpy)";
    return NULL;
}

static uint64_t s_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

static void s_done(const struct dn_pipeline_output *out, void *user)
{
    struct dn_pt_run *run = user;
    struct dn_pt_result *r = &run->res[out->index];
    r->calls++;
    r->cls = out->error ? out->error->cls : DN_ERR_NONE;
    cJSON_Delete(r->doc);
    r->doc = out->doc;
    if (out->track) {
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < out->track->n_frames; i++) {
            const struct dn_track_frame *f = &out->track->frames[i];
            h = s_fnv(h, &f->time_s, sizeof(f->time_s));
            h = s_fnv(h, &f->valid, sizeof(f->valid));
            if (f->valid)
                h = s_fnv(h, f->image, sizeof(f->image));
        }
        r->track_frames = out->track->n_frames;
        r->track_hash = h;
    }
    if (run->n_done < DN_PT_MAX)
        run->order[run->n_done++] = (int)out->index;
}

bool dn_pt_run_with(const char *const *names, size_t n, struct dn_pt_run *run,
                    const struct dn_analysis_cancel *cancel, struct dn_s3_client *s3)
{
    struct dn_pipeline_options opt;
    struct dn_pipeline_input in[DN_PT_MAX];
    char paths[DN_PT_MAX][2048];
    struct dn_pipeline *p = NULL;
    struct dn_err err = {0};
    memset(run, 0, sizeof(*run));
    memset(in, 0, sizeof(in));
    s_options(&opt);
    for (size_t i = 0; i < n && i < DN_PT_MAX; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s",
                 strncmp(names[i], "s3://", 5) ? dn_pt_clip(names[i]) : names[i]);
        in[i].uri = paths[i];
    }
    int rc = dn_pipeline_new(&opt, s3, &p, &err);
    if (!rc)
        rc = dn_pipeline_run(p, in, n, cancel, s_done, run, &err);
    dn_pipeline_destroy(p);
    if (rc)
        dn_test_fail(__FILE__, __LINE__, "pipeline: %s", err.msg);
    return rc == 0;
}

void dn_pt_run_free(struct dn_pt_run *run)
{
    for (int i = 0; i < DN_PT_MAX; i++)
        cJSON_Delete(run->res[i].doc);
    memset(run, 0, sizeof(*run));
}

bool dn_pt_same_analysis(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"video", "gait", "quality", "error"};
    if (!a || !b)
        return false;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a, keys[i]),
                           cJSON_GetObjectItemCaseSensitive(b, keys[i]), true))
            return false;
    return true;
}

static const cJSON *s_item(const cJSON *doc, const char *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, obj), key);
}

const char *dn_pt_str(const cJSON *doc, const char *obj, const char *key)
{
    const cJSON *s = s_item(doc, obj, key);
    return cJSON_IsString(s) ? s->valuestring : "";
}

double dn_pt_num(const cJSON *doc, const char *obj, const char *key)
{
    const cJSON *x = s_item(doc, obj, key);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}
