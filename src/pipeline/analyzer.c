/*
 * analyzer.c — the worker's analyzer (analyzer.h) on top of the pipeline:
 * the worker's jobs become S3 inputs, each input's done becomes the job's.
 */
#include <stdlib.h>

#include "dancer/config.h"
#include "dancer/pipeline.h"

struct s_analyzer {
    struct dn_analyzer base;
    struct dn_pipeline *p;
};

struct s_call {
    dn_analysis_done_fn *done;
    void *user;
};

static void s_done(const struct dn_pipeline_output *out, void *user)
{
    struct s_call *c = user;
    c->done(out->index, out->doc, out->error, c->user); /* the worker takes the document */
}

static int s_analyze(struct dn_analyzer *self, const struct dn_analysis_job *jobs, size_t n,
                     const struct dn_analysis_cancel *cancel, dn_analysis_done_fn *done,
                     void *user, struct dn_err *err)
{
    struct s_analyzer *a = (struct s_analyzer *)self;
    struct s_call call = {done, user};
    struct dn_pipeline_input *in = calloc(n ? n : 1, sizeof(*in));
    if (!in)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    for (size_t i = 0; i < n; i++)
        in[i] = (struct dn_pipeline_input){.bucket = jobs[i].bucket, .key = jobs[i].key};
    int rc = dn_pipeline_run(a->p, in, n, cancel, s_done, &call, err);
    free(in);
    return rc;
}

static void s_destroy(struct dn_analyzer *self)
{
    struct s_analyzer *a = (struct s_analyzer *)self;
    if (!a)
        return;
    dn_pipeline_destroy(a->p);
    free(a);
}

int dn_pipeline_analyzer_new(const struct dn_config *cfg, struct dn_s3_client *s3,
                             struct dn_analyzer **out, struct dn_err *err)
{
    struct dn_pipeline_options opt;
    struct s_analyzer *a = calloc(1, sizeof(*a));
    *out = NULL;
    if (!a)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    a->base = (struct dn_analyzer){"pipeline", s_analyze, s_destroy};
    dn_pipeline_options_init(&opt, cfg);
    /* One receive is at most SQS_MAX_MESSAGES jobs: all of them at once. */
    opt.max_active = cfg && cfg->sqs_max_messages > 0 ? cfg->sqs_max_messages : 10;
    int rc = dn_pipeline_new(&opt, s3, &a->p, err);
    if (rc) {
        free(a);
        return rc;
    }
    *out = &a->base;
    return 0;
}
