/*
 * pipeline_test.h — what the pipeline tests share: the walker clips of
 * make_clips.sh, a pipeline on the real models, and a run that records
 * every done call.
 */
#ifndef DANCER_TEST_PIPELINE_H
#define DANCER_TEST_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dancer/pipeline.h"

struct cJSON;

#define DN_PT_MAX 8

struct dn_pt_result {
    int calls;               /* done calls for this input (must be 1) */
    enum dn_err_class cls;   /* of the error, DN_ERR_NONE on success */
    struct cJSON *doc;       /* owned */
    size_t track_frames;     /* 0 when no track */
    uint64_t track_hash;     /* FNV-1a of the track's frames */
};

struct dn_pt_run {
    struct dn_pt_result res[DN_PT_MAX];
    int order[DN_PT_MAX];    /* input index of the k-th done call */
    int n_done;
};

/* Path of a clip (static buffer); NULL when the clips are missing. */
const char *dn_pt_clip(const char *name);

/* Why the pipeline tests cannot run here (no models, no clips), or NULL. */
const char *dn_pt_missing(void);

/* Runs the named clips (an absent name is a missing file) through a
 * pipeline on the CPU; false when the pipeline could not be made or run
 * (the test has failed then). s3 may be NULL; names starting "s3://" are
 * passed as they are. */
bool dn_pt_run_with(const char *const *names, size_t n, struct dn_pt_run *run,
                    const struct dn_analysis_cancel *cancel, struct dn_s3_client *s3);
#define dn_pt_run(names, n, run, cancel) dn_pt_run_with(names, n, run, cancel, NULL)
void dn_pt_run_free(struct dn_pt_run *run);

/* Same video, gait and quality sections (timings may differ). */
bool dn_pt_same_analysis(const struct cJSON *a, const struct cJSON *b);

/* doc[obj][key] as a string ("" when absent) or number (NaN when absent). */
const char *dn_pt_str(const struct cJSON *doc, const char *obj, const char *key);
double dn_pt_num(const struct cJSON *doc, const char *obj, const char *key);

#define DN_PT_SETUP()                      \
    do {                                   \
        const char *dn_why_ = dn_pt_missing(); \
        if (dn_why_)                       \
            DN_SKIP(dn_why_);              \
    } while (0)

#endif
