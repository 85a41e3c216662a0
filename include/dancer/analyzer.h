/*
 * analyzer.h — the seam between the worker and the analysis.
 *
 * The worker (src/worker/) owns everything about the queue: receiving,
 * de-duplication, visibility, retries, writing results, deleting messages.
 * The analysis (media → pose → gait → result document) sits behind this one
 * small interface, so the same worker drives the real pipeline in the
 * `dancer` binary and a test analyzer in tests/worker/ (which is compiled
 * into the tests only: the dancer binary never produces invented output).
 *
 * One call analyses one batch: the GPU stages want frames from several
 * videos at once, and the worker hands over every new job of a receive as
 * one batch. Each job reports its own completion through `done` as soon as
 * it is finished, so one slow video does not hold back the other videos'
 * results and message deletes.
 *
 * The pipeline's factory (dn_pipeline_analyzer_new) is named in
 * DN_CLI_PIPELINE (src/cli/cli.h): `dancer worker` and `dancer reprocess`
 * run it; the tests' dancer-test binary plugs in a test analyzer instead.
 *
 * Threads: analyze() runs on the worker's analysis thread, one call at a
 * time. `done` may be called from any thread (the analyzer's own decode or
 * GPU threads), concurrently, at most once per job, and never after
 * analyze() has returned. The cancel flags may be set from any thread while
 * analyze() runs: the analyzer then stops within a few seconds and reports
 * the unfinished jobs as DN_ERR_CANCELLED.
 */
#ifndef DANCER_ANALYZER_H
#define DANCER_ANALYZER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dancer/err.h"

struct cJSON;
struct dn_config;
struct dn_s3_client;

/* One video to analyse. Strings are owned by the worker and stay valid
 * until analyze() returns. */
struct dn_analysis_job {
    const char *bucket;   /* source object */
    const char *key;
    const char *etag;     /* version the S3 event names, unquoted; "" when unknown */
    uint64_t size;        /* bytes; 0 when unknown */
};

/* Shutdown request, set together by the worker: media (libavformat's
 * interrupt callback) reads the int, HTTP (libcurl) the bool. */
struct dn_analysis_cancel {
    atomic_bool flag;
    atomic_int iflag;
};

static inline void dn_analysis_cancel_init(struct dn_analysis_cancel *c)
{
    atomic_init(&c->flag, false);
    atomic_init(&c->iflag, 0);
}

static inline void dn_analysis_cancel_set(struct dn_analysis_cancel *c)
{
    atomic_store(&c->flag, true);
    atomic_store(&c->iflag, 1);
}

/* Completion of jobs[index].
 *   error NULL or DN_ERR_NONE: `doc` is the result document (result.h), and
 *     must carry source.etag of the version actually read.
 *   error set: the failure. `doc` may be an error document the analyzer
 *     built with what it learnt before failing (video probe, timings), or
 *     NULL; the worker builds one then. Whether the failure is permanent
 *     (an error result is written) or transient (the message is retried) is
 *     decided by the worker from the class alone.
 * `doc` (may be NULL) passes to the worker, which frees it. `error` is only
 * read during the call. */
typedef void dn_analysis_done_fn(size_t index, struct cJSON *doc, const struct dn_err *error,
                                 void *user_data);

struct dn_analyzer {
    const char *name; /* "pipeline", "test-probe": logs and processing info */
    /* Analyses jobs[0..n). Returns 0 once every job has had its done call;
     * a negative DN_E* when the batch could not run at all (err says why),
     * in which case jobs without a done call get that error. */
    int (*analyze)(struct dn_analyzer *self, const struct dn_analysis_job *jobs, size_t n,
                   const struct dn_analysis_cancel *cancel, dn_analysis_done_fn *done,
                   void *user_data, struct dn_err *err);
    /* Frees the analyzer (NULL-safe at the call site: the worker checks). */
    void (*destroy)(struct dn_analyzer *self);
};

/* Makes an analyzer. `s3` is borrowed and outlives the analyzer; cfg is
 * read during the call only. The dancer binary passes the pipeline's
 * factory; tests pass theirs. Errors: as the analyzer's set-up (DN_ERR_CONFIG
 * for a missing model, DN_ERR_RESOURCE, ...). */
typedef int dn_analyzer_factory_fn(const struct dn_config *cfg, struct dn_s3_client *s3,
                                   struct dn_analyzer **out, struct dn_err *err);

#endif
