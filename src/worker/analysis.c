/* analysis.c — the analysis thread: runs the analyzer on the batch the loop
 * hands over; completions go back to the loop one job at a time. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "dancer/log.h"
#include "dancer/trace.h"
#include "worker_internal.h"

struct s_call {
    struct dn_worker *w;
    struct dn_wbatch *b;
};

/* The analyzer's done callback: any thread, any order. Only queues the job;
 * the loop writes the result (S3 calls stay off the analyzer's threads). */
static void s_done(size_t index, cJSON *doc, const struct dn_err *error, void *user)
{
    struct s_call *c = user;
    struct dn_worker *w = c->w;
    pthread_mutex_lock(&w->lock);
    if (index >= c->b->n || c->b->jobs[index]->completed) {
        pthread_mutex_unlock(&w->lock);
        dn_logf(DN_LOG_ERROR, "analyzer %s: done called twice or out of range (job %zu)",
                w->analyzer->name, index);
        cJSON_Delete(doc);
        return;
    }
    struct dn_wjob *job = c->b->jobs[index];
    job->completed = true;
    job->doc = doc;
    if (error)
        job->error = *error;
    *w->done_tail = job;
    w->done_tail = &job->next_done;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void *dn_worker_analysis_main(void *arg)
{
    struct dn_worker *w = arg;
    dn_trace_name_thread("analysis");
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->an_stop && !w->an_batch)
            pthread_cond_wait(&w->an_cond, &w->lock);
        if (!w->an_batch)
            break;
        struct s_call call = {w, w->an_batch};
        struct dn_err err = {0};
        w->an_batch = NULL;
        pthread_mutex_unlock(&w->lock);

        double now = dn_worker_now();
        for (size_t i = 0; i < call.b->n; i++)
            call.b->jobs[i]->t_started = now; /* written before any done: no race */
        int rc = w->analyzer->analyze(w->analyzer, call.b->ajobs, call.b->n, &w->cancel, s_done,
                                      &call, &err);

        pthread_mutex_lock(&w->lock);
        w->an_returned = call.b;
        w->an_rc = rc;
        w->an_err = err;
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

void dn_worker_batch_free(struct dn_wbatch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        dn_worker_job_free(b->jobs[i]);
    free(b->jobs);
    free(b->ajobs);
    free(b);
}

/* Unlinks the batch's jobs from the active list before they are freed. */
static void s_unlink_jobs(struct dn_worker *w, struct dn_wbatch *b)
{
    for (struct dn_wjob **p = &w->jobs; *p;) {
        bool mine = false;
        for (size_t i = 0; i < b->n && !mine; i++)
            mine = *p == b->jobs[i];
        if (mine)
            *p = (*p)->next;
        else
            p = &(*p)->next;
    }
}

/* analyze() returned (or the batch never ran: rc says why). Jobs without a
 * done call get the batch's error; then the batch and its jobs are freed —
 * the only place jobs that reached the analyzer are freed. */
void dn_worker_batch_returned(struct dn_worker *w, struct dn_wbatch *b, int rc,
                              const struct dn_err *err)
{
    for (size_t i = 0; i < b->n; i++) {
        struct dn_wjob *job = b->jobs[i];
        if (job->processed)
            continue;
        pthread_mutex_lock(&w->lock);
        bool completed = job->completed;
        pthread_mutex_unlock(&w->lock);
        if (!completed) {
            if (atomic_load(&w->cancel.flag))
                dn_err_set(&job->error, DN_ERR_CANCELLED, "stopped by the drain");
            else if (rc && err->cls)
                job->error = *err;
            else
                dn_err_set(&job->error, DN_ERR_INTERNAL, "analyzer %s returned without a result "
                           "for this job", w->analyzer->name);
        }
        /* Completed jobs were all processed already: the loop takes the done
         * list and this batch under one lock hold and does the list first. */
        dn_worker_job_finish(w, job);
    }
    s_unlink_jobs(w, b);
    dn_worker_batch_free(b);
}
