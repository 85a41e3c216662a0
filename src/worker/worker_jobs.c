/* worker_jobs.c — outcomes: a finished job's result is written, then every
 * message waiting on it is settled (deleted when all its jobs have results,
 * released for a retry otherwise). Loop thread only. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/log.h"
#include "dancer/result.h"
#include "dancer/trace.h"
#include "worker_internal.h"

#ifndef DN_VERSION
#define DN_VERSION "0"
#endif

enum s_outcome { S_OK, S_PERMANENT, S_TRANSIENT, S_CANCELLED };

uint64_t dn_worker_job_hash(const char *bucket, const char *key, const char *etag)
{
    const char *parts[3] = {bucket, key, etag};
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; p && *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull; /* separator: ("ab","c") != ("a","bc") */
    }
    return h;
}

int dn_worker_backoff_s(int base_s, int max_s, int receive_count)
{
    long long s = base_s;
    for (int i = 1; i < receive_count && s < max_s; i++)
        s *= 2;
    if (s > max_s)
        s = max_s;
    if (s > DN_WORKER_MAX_INVISIBLE_S)
        s = DN_WORKER_MAX_INVISIBLE_S;
    return s < 0 ? 0 : (int)s;
}

bool dn_worker_recent_has(const struct dn_worker *w, uint64_t hash)
{
    for (size_t i = 0; i < w->recent_n; i++)
        if (w->recent[i] == hash)
            return true;
    return false;
}

void dn_worker_recent_add(struct dn_worker *w, uint64_t hash)
{
    if (dn_worker_recent_has(w, hash))
        return;
    w->recent[w->recent_pos] = hash;
    w->recent_pos = (w->recent_pos + 1) % DN_WORKER_RECENT;
    if (w->recent_n < DN_WORKER_RECENT)
        w->recent_n++;
}

void dn_worker_job_free(struct dn_wjob *job)
{
    if (!job)
        return;
    cJSON_Delete(job->doc);
    free(job->bucket);
    free(job->key);
    free(job->rkey);
    free(job->waiters);
    free(job);
}

int dn_worker_job_wait(struct dn_wjob *job, struct dn_wmsg *m)
{
    if (job->nwaiters == job->cap_waiters) {
        size_t cap = job->cap_waiters ? job->cap_waiters * 2 : 2;
        struct dn_wmsg **grown = realloc(job->waiters, cap * sizeof(*grown));
        if (!grown)
            return DN_E(DN_ERR_RESOURCE);
        job->waiters = grown;
        job->cap_waiters = cap;
    }
    job->waiters[job->nwaiters++] = m;
    m->pending++;
    return 0;
}

struct cJSON *dn_worker_error_doc(const char *bucket, const char *key, const char *etag,
                                  uint64_t size, const struct dn_err *error)
{
    char uri[2048];
    cJSON *doc = NULL;
    struct dn_err err = {0};
    snprintf(uri, sizeof(uri), "s3://%s/%s", bucket, key);
    struct dn_result_source src = {
        .uri = uri, .bucket = bucket, .key = key,
        .etag = etag && etag[0] ? etag : NULL,
        .size = size ? (long long)size : -1,
    };
    /* The analysis never reached a device: "none" says so honestly. */
    struct dn_result_processing proc = {.version = DN_VERSION, .device = "none"};
    if (dn_result_build(&doc, &src, NULL, NULL, &proc, error, &err))
        dn_logf(DN_LOG_ERROR, "building the error result of %s: %s", uri, err.msg);
    return doc;
}

/* Classes that are the upload's fault: retrying cannot help, the error
 * result tells the uploader. Everything else (network, throttling, memory,
 * our credentials or configuration, bugs) is retried and ends in the DLQ,
 * where a person can redrive it once the cause is fixed. */
bool dn_worker_permanent(enum dn_err_class cls)
{
    return cls == DN_ERR_BAD_INPUT || cls == DN_ERR_UNSUPPORTED || cls == DN_ERR_NOT_FOUND;
}

/* The version the result describes: what the analyzer read, else the event's. */
const char *dn_worker_doc_etag(const cJSON *doc, const char *fallback)
{
    const cJSON *etag = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "source"), "etag");
    return cJSON_IsString(etag) && etag->valuestring[0] ? etag->valuestring : fallback;
}

static enum s_outcome s_classify(struct dn_worker *w, struct dn_wjob *job)
{
    enum dn_err_class cls = job->error.cls;
    if (cls == DN_ERR_NONE && !job->doc) {
        dn_err_set(&job->error, DN_ERR_INTERNAL, "the analyzer reported success without a result");
        cls = DN_ERR_INTERNAL;
    }
    if (cls == DN_ERR_NONE)
        return S_OK;
    if (cls == DN_ERR_CANCELLED && w->draining)
        return S_CANCELLED;
    return dn_worker_permanent(cls) ? S_PERMANENT : S_TRANSIENT;
}

static void s_log_job(struct dn_worker *w, const struct dn_wjob *job, const char *outcome)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "key", job->key);
    cJSON_AddStringToObject(f, "bucket", job->bucket);
    cJSON_AddStringToObject(f, "outcome", outcome);
    if (job->nwaiters) {
        cJSON_AddStringToObject(f, "message_id", job->waiters[0]->id);
        cJSON_AddNumberToObject(f, "receive_count", job->waiters[0]->receive_count);
    }
    if (job->t_started > 0) /* 0: never reached the analyzer (drained first) */
        cJSON_AddNumberToObject(f, "wait_ms", (job->t_started - job->t_queued) * 1e3);
    cJSON_AddNumberToObject(f, "total_ms", (dn_worker_now() - job->t_queued) * 1e3);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(job->doc, "processing"), "timings_ms");
    if (t)
        cJSON_AddItemToObject(f, "timings_ms", cJSON_Duplicate(t, true));
    if (job->error.cls) {
        cJSON_AddStringToObject(f, "error_class", dn_err_class_name(job->error.cls));
        cJSON_AddStringToObject(f, "error", job->error.msg);
    }
    dn_log_event(job->error.cls && strcmp(outcome, "error_result") ? DN_LOG_WARN : DN_LOG_INFO,
                 "job finished", f);
    (void)w;
}

/* Writes the result (or error result); a failed write turns the outcome
 * transient, because a message is never deleted without its result. */
static enum s_outcome s_write(struct dn_worker *w, struct dn_wjob *job, enum s_outcome out)
{
    struct dn_err err = {0};
    if (out == S_PERMANENT && !job->doc)
        job->doc = dn_worker_error_doc(job->bucket, job->key, job->etag, job->size, &job->error);
    if (!job->doc)
        return S_TRANSIENT;
    dn_trace_push("upload");
    int rc = dn_worker_result_put(w->aws->s3, job->rbucket, job->rkey, job->doc,
                                  dn_worker_doc_etag(job->doc, job->etag), &err);
    dn_trace_pop();
    if (rc) {
        dn_logf(DN_LOG_ERROR, "%s; the message will be retried", err.msg);
        job->error = err;
        return S_TRANSIENT;
    }
    return out;
}

void dn_worker_job_finish(struct dn_worker *w, struct dn_wjob *job)
{
    static const char *const names[] = {"result", "error_result", "retry", "released"};
    enum s_outcome out = s_classify(w, job);
    if (out == S_OK || out == S_PERMANENT)
        out = s_write(w, job, out);
    job->processed = true;
    s_log_job(w, job, names[out]);
    dn_worker_metrics_job(w, job, names[out], job->doc);
    if (out == S_OK)
        w->stats.ok++;
    else if (out == S_PERMANENT)
        w->stats.failed++;
    if (out == S_OK || out == S_PERMANENT)
        dn_worker_recent_add(w, job->hash);
    for (size_t i = 0; i < job->nwaiters; i++) {
        struct dn_wmsg *m = job->waiters[i];
        m->transient |= out == S_TRANSIENT;
        m->cancelled |= out == S_CANCELLED;
        if (--m->pending == 0)
            dn_worker_msg_settle(w, m);
    }
    cJSON_Delete(job->doc);
    job->doc = NULL;
}

void dn_worker_msg_settle(struct dn_worker *w, struct dn_wmsg *m)
{
    pthread_mutex_lock(&w->lock);
    m->state = DN_WMSG_FINISHING;
    pthread_mutex_unlock(&w->lock);
    if (m->transient || m->cancelled) {
        if (w->nrelease == sizeof(w->to_release) / sizeof(*w->to_release))
            dn_worker_flush_now(w);
        m->release_s = m->transient ? dn_worker_backoff_s(w->cfg->retry_base_s,
                                                           w->cfg->retry_max_s, m->receive_count)
                                    : 0;
        w->to_release[w->nrelease++] = m;
    } else {
        if (w->ndelete == sizeof(w->to_delete) / sizeof(*w->to_delete))
            dn_worker_flush(w);
        w->to_delete[w->ndelete++] = m;
    }
}

/* Takes m out of the table and frees it. */
static void s_msg_drop(struct dn_worker *w, struct dn_wmsg *m)
{
    pthread_mutex_lock(&w->lock);
    for (struct dn_wmsg **p = &w->msgs; *p; p = &(*p)->next) {
        if (*p == m) {
            *p = m->next;
            break;
        }
    }
    pthread_mutex_unlock(&w->lock);
    free(m->id);
    free(m->receipt);
    free(m);
}

static void s_log_entry(const char *what, const struct dn_wmsg *m,
                        const struct dn_sqs_entry_result *r)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "message_id", m->id);
    cJSON_AddNumberToObject(f, "receive_count", m->receive_count);
    cJSON_AddStringToObject(f, "code", r->code);
    cJSON_AddStringToObject(f, "error", r->message);
    dn_log_event(DN_LOG_WARN, what, f);
}

/* One batch call (delete, or change visibility) over ms[0..n), n <= 10. */
static void s_batch_call(struct dn_worker *w, struct dn_wmsg **ms, size_t n, bool del)
{
    struct dn_sqs_entry e[DN_SQS_BATCH_MAX];
    char ids[DN_SQS_BATCH_MAX][24];
    struct dn_sqs_batch_result res = {0};
    struct dn_err err = {0};
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof(ids[i]), "m%zu", i);
        e[i] = (struct dn_sqs_entry){.id = ids[i], .receipt_handle = ms[i]->receipt,
                                     .visibility_timeout_s = ms[i]->release_s};
    }
    int rc = del ? dn_sqs_delete_batch(w->aws->sqs, w->queue_url, e, n, &res, &err)
                 : dn_sqs_change_visibility_batch(w->aws->sqs, w->queue_url, e, n, &res, &err);
    for (size_t i = 0; i < n; i++) {
        struct dn_wmsg *m = ms[i];
        if (rc) {
            /* The message comes back after its visibility timeout; its
             * result (if any) is found then and it is deleted. */
            dn_logf(DN_LOG_ERROR, "%s of message %s failed: %s", del ? "delete" : "release",
                    m->id, err.msg);
        } else if (!res.entries[i].ok) {
            s_log_entry(del ? "delete failed" : "release failed", m, &res.entries[i]);
        } else if (del) {
            w->stats.deleted++;
        } else {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "message_id", m->id);
            cJSON_AddNumberToObject(f, "receive_count", m->receive_count);
            cJSON_AddNumberToObject(f, "visible_in_s", m->release_s);
            dn_log_event(m->transient ? DN_LOG_WARN : DN_LOG_INFO,
                         m->transient ? "released for a retry" : "released", f);
            if (m->transient)
                w->stats.retried++;
            else
                w->stats.released++;
        }
        s_msg_drop(w, m);
    }
}

/* True while releases wait for a long poll the drain aborted (see
 * dn_worker_on_receive); a second signal ends the wait, like the grace. */
static bool s_releases_held(struct dn_worker *w)
{
    if (!w->draining || dn_worker_signal_count() >= 2)
        return false;
    if (dn_worker_receiving(w)) /* its abort is on the way: wait to learn when it was sent */
        return true;
    double left = w->release_hold_until - dn_worker_now();
    if (left <= 0)
        return false;
    if (!w->hold_logged)
        dn_logf(DN_LOG_INFO, "releasing %zu message(s) in %.1f s, when the aborted long poll has "
                "ended at SQS (a message released into it would stay invisible)", w->nrelease, left);
    w->hold_logged = true;
    return true;
}

static void s_flush(struct dn_worker *w, bool hold)
{
    for (size_t i = 0; i < w->ndelete; i += DN_SQS_BATCH_MAX) {
        size_t n = w->ndelete - i < DN_SQS_BATCH_MAX ? w->ndelete - i : DN_SQS_BATCH_MAX;
        s_batch_call(w, w->to_delete + i, n, true);
    }
    w->ndelete = 0;
    if (!w->nrelease || (hold && s_releases_held(w)))
        return;
    pthread_mutex_lock(&w->vis_lock); /* see worker_internal.h: no extension after this */
    for (size_t i = 0; i < w->nrelease; i += DN_SQS_BATCH_MAX) {
        size_t n = w->nrelease - i < DN_SQS_BATCH_MAX ? w->nrelease - i : DN_SQS_BATCH_MAX;
        s_batch_call(w, w->to_release + i, n, false);
    }
    pthread_mutex_unlock(&w->vis_lock);
    w->nrelease = 0;
}

void dn_worker_flush(struct dn_worker *w)
{
    s_flush(w, true);
}

void dn_worker_flush_now(struct dn_worker *w)
{
    s_flush(w, false);
}

void dn_worker_release_now(struct dn_worker *w, struct dn_wmsg *m)
{
    m->cancelled = true;
    dn_worker_msg_settle(w, m);
}
