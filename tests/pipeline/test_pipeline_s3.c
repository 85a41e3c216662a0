/*
 * test_pipeline_s3.c — S3 inputs through the local S3 server (moto): the
 * object's ETag and its x-amz-meta-subject-height-cm reach the document, and
 * the worker's analyzer runs the same pipeline on its jobs.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_env.h"
#include "dancer/pipeline.h"
#include "pipeline_test.h"
#include "test.h"

/* A fresh bucket with walk_a.mp4 under `key`, uploaded by boto3 with
 * x-amz-meta-subject-height-cm: 172 (tests/aws/moto_fill.py). */
static bool s_upload(struct dn_aws_env *e, char *bucket, size_t len, const char *key)
{
    char args[4096];
    dn_test_unique_name("dn-pipeline", bucket, len);
    if (dn_s3_create_bucket(e->s3, bucket, &e->err))
        return false;
    snprintf(args, sizeof(args), "'%s' put '%s' '%s'", bucket, key, dn_pt_clip("walk_a.mp4"));
    if (dn_aws_env_fill(e, args) != 0)
        return dn_err_set(&e->err, DN_ERR_INTERNAL, "upload to %s failed", bucket), false;
    return true;
}

/* Uploads walk_a.mp4 as key or fails the case (and returns). */
#define UPLOAD(e, bucket, key)                                     \
    do {                                                           \
        if (!s_upload(e, bucket, sizeof(bucket), key)) {           \
            dn_test_fail(__FILE__, __LINE__, "%s", (e)->err.msg);  \
            dn_aws_env_close(e);                                   \
            return;                                                \
        }                                                          \
    } while (0)

DN_TEST(s3_input_like_a_local_file)
{
    struct dn_aws_env e;
    struct dn_pt_run s3 = {0}, local = {0};
    char bucket[64], url[2][256];
    DN_PT_SETUP();
    DN_AWS_ENV_OPEN(&e);
    UPLOAD(&e, bucket, "uploads/u1/s1/walk.mp4");
    snprintf(url[0], sizeof(url[0]), "s3://%s/uploads/u1/s1/walk.mp4", bucket);
    snprintf(url[1], sizeof(url[1]), "s3://%s/uploads/u1/s1/missing.mp4", bucket);
    const char *names[] = {url[0], url[1]}, *lnames[] = {"walk_a.mp4"};
    bool ok = dn_pt_run_with(names, 2, &s3, NULL, e.s3) && dn_pt_run(lnames, 1, &local, NULL);
    if (ok) {
        cJSON *doc = s3.res[0].doc;
        DN_EXPECT_INT(s3.res[0].cls, DN_ERR_NONE);
        DN_EXPECT_STR(dn_pt_str(doc, "source", "bucket"), bucket);
        DN_EXPECT_STR(dn_pt_str(doc, "source", "key"), "uploads/u1/s1/walk.mp4");
        DN_EXPECT(strlen(dn_pt_str(doc, "source", "etag")) == 32); /* bare MD5 hex, no quotes */
        DN_EXPECT(dn_pt_num(doc, "source", "size") == dn_pt_num(local.res[0].doc, "source", "size"));
        /* the object's metadata gives the scale */
        DN_EXPECT_STR(dn_pt_str(doc, "gait", "scale_source"), "subject_height");
        DN_EXPECT(s3.res[0].track_hash == local.res[0].track_hash);
        DN_EXPECT(cJSON_Compare(cJSON_GetObjectItem(doc, "video"),
                                cJSON_GetObjectItem(local.res[0].doc, "video"), true));
        DN_EXPECT_INT(s3.res[1].cls, DN_ERR_NOT_FOUND);
    }
    dn_pt_run_free(&s3);
    dn_pt_run_free(&local);
    dn_aws_env_close(&e);
}

struct s_jobs {
    int calls[2];
    enum dn_err_class cls[2];
    char etag[2][64];
};

static void s_job_done(size_t index, cJSON *doc, const struct dn_err *error, void *user)
{
    struct s_jobs *j = user;
    j->calls[index]++;
    j->cls[index] = error ? error->cls : DN_ERR_NONE;
    snprintf(j->etag[index], sizeof(j->etag[index]), "%s", dn_pt_str(doc, "source", "etag"));
    cJSON_Delete(doc);
}

/* The worker's analyzer: jobs in, one done per job, the ETag read. */
DN_TEST(analyzer_runs_worker_jobs)
{
    struct dn_aws_env e;
    struct dn_analyzer *a = NULL;
    struct dn_analysis_cancel cancel;
    struct s_jobs j = {0};
    char bucket[64];
    DN_PT_SETUP();
    DN_AWS_ENV_OPEN(&e);
    UPLOAD(&e, bucket, "uploads/a.mp4");
    const char *dir = getenv("DANCER_MODEL_DIR");
    if (dir && dir[0])
        snprintf(e.cfg.model_dir, sizeof(e.cfg.model_dir), "%s", dir);
    e.cfg.device = DN_DEVICE_CPU;
    struct dn_analysis_job jobs[2] = {{bucket, "uploads/a.mp4", "", 0},
                                      {bucket, "uploads/none.mp4", "", 0}};
    dn_analysis_cancel_init(&cancel);
    int rc = dn_pipeline_analyzer_new(&e.cfg, e.s3, &a, &e.err);
    if (!rc)
        rc = a->analyze(a, jobs, 2, &cancel, s_job_done, &j, &e.err);
    DN_EXPECT_INT(rc, 0);
    if (!rc) {
        DN_EXPECT_STR(a->name, "pipeline");
        DN_EXPECT_INT(j.calls[0], 1);
        DN_EXPECT_INT(j.calls[1], 1);
        DN_EXPECT_INT(j.cls[0], DN_ERR_NONE);
        DN_EXPECT_INT(j.cls[1], DN_ERR_NOT_FOUND);
        DN_EXPECT(strlen(j.etag[0]) == 32);
    } else {
        dn_test_fail(__FILE__, __LINE__, "%s", e.err.msg);
    }
    if (a)
        a->destroy(a);
    dn_aws_env_close(&e);
}
