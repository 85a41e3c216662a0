/* worker.c — dn_worker_run: set-up, the loop, the drain, tear-down (see
 * include/dancer/worker.h for the flow and worker_internal.h for threads). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dancer/log.h"
#include "worker_internal.h"

/* The loop wakes at least this often to notice signals and timers. */
#define S_WAKE_S 0.25
/* After the grace period the analyzer is cancelled; if it has still not
 * returned this much later, the worker releases everything and leaves. */
#define S_CANCEL_WAIT_S 15.0

double dn_worker_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void dn_worker_abstime(struct timespec *ts, double in_s)
{
    clock_gettime(CLOCK_REALTIME, ts); /* pthread_cond_timedwait's default clock */
    ts->tv_sec += (time_t)in_s;
    ts->tv_nsec += (long)((in_s - (double)(time_t)in_s) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* ---- set-up and tear-down ---------------------------------------------- */

/* Logs the queue's redrive set-up once: without a dead-letter queue a
 * failing upload is retried until the retention period drops it. */
static int s_check_queue(struct dn_worker *w, struct dn_err *err)
{
    /* Also the check that the queue is there and ours to read. */
    static const char *const names[] = {"RedrivePolicy"};
    struct dn_sqs_attrs a = {0};
    int rc = dn_sqs_get_attributes(w->aws->sqs, w->queue_url, names, 1, &a, err);
    if (rc) {
        dn_err_prefix(err, "queue %s: ", w->queue_url);
        goto cleanup;
    }
    const char *redrive = dn_sqs_attrs_get(&a, "RedrivePolicy");
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "queue_url", w->queue_url);
    cJSON_AddStringToObject(f, "analyzer", w->analyzer->name);
    cJSON_AddNumberToObject(f, "max_messages", w->cfg->sqs_max_messages);
    cJSON_AddNumberToObject(f, "visibility_timeout_s", w->cfg->sqs_visibility_timeout_s);
    cJSON_AddNumberToObject(f, "visibility_extension_s", w->cfg->visibility_extension_s);
    cJSON_AddStringToObject(f, "redrive_policy", redrive ? redrive : "none");
    dn_log_event(DN_LOG_INFO, "worker started", f);
    if (!redrive)
        dn_logf(DN_LOG_WARN, "queue %s has no RedrivePolicy: a failing upload is retried until "
                "the retention period drops it (run `dancer setup`)", w->queue_url);
cleanup:
    dn_sqs_attrs_clean_up(&a);
    return rc;
}

static int s_init(struct dn_worker *w, struct dn_err *err)
{
    int rc = dn_worker_queue_url(w->cfg, w->aws->sqs, w->queue_url, sizeof(w->queue_url), err);
    if (rc)
        return rc;
    dn_s3_event_filter_from_config(w->cfg, &w->filter);
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->vis_lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->recv_cond, NULL);
    pthread_cond_init(&w->an_cond, NULL);
    pthread_cond_init(&w->hb_cond, NULL);
    pthread_cond_init(&w->spot_cond, NULL);
    w->inbox_tail = &w->inbox;
    w->done_tail = &w->done_head;
    w->queue_tail = &w->queue;
    atomic_init(&w->recv_cancel, false);
    atomic_init(&w->drain_requested, false);
    dn_analysis_cancel_init(&w->cancel);
    w->started = dn_worker_now();
    return s_check_queue(w, err);
}

static int s_start_threads(struct dn_worker *w, struct dn_err *err)
{
    if (pthread_create(&w->receiver, NULL, dn_worker_receiver_main, w))
        return dn_err_set(err, DN_ERR_RESOURCE, "cannot start the receiver thread");
    w->receiver_up = true;
    if (pthread_create(&w->analysis, NULL, dn_worker_analysis_main, w))
        return dn_err_set(err, DN_ERR_RESOURCE, "cannot start the analysis thread");
    w->analysis_up = true;
    if (pthread_create(&w->heartbeat, NULL, dn_worker_heartbeat_main, w))
        return dn_err_set(err, DN_ERR_RESOURCE, "cannot start the heartbeat thread");
    w->heartbeat_up = true;
    if (w->cfg->spot_poll_s > 0 && !w->cfg->aws_ec2_metadata_disabled) {
        w->spot_up = !pthread_create(&w->spot, NULL, dn_worker_spot_main, w);
        if (!w->spot_up)
            dn_logf(DN_LOG_WARN, "cannot start the Spot notice poller");
    }
    return 0;
}

static void s_stop(struct dn_worker *w, bool *flag, pthread_cond_t *cond)
{
    pthread_mutex_lock(&w->lock);
    *flag = true;
    pthread_cond_broadcast(cond);
    pthread_mutex_unlock(&w->lock);
}

/* Joins every thread but a stuck analysis (abandoned: see s_drain_done). */
static void s_stop_threads(struct dn_worker *w, bool abandon_analysis)
{
    atomic_store(&w->recv_cancel, true);
    s_stop(w, &w->recv_stop, &w->recv_cond);
    if (w->receiver_up)
        pthread_join(w->receiver, NULL);
    s_stop(w, &w->hb_stop, &w->hb_cond);
    if (w->heartbeat_up)
        pthread_join(w->heartbeat, NULL);
    s_stop(w, &w->spot_stop, &w->spot_cond);
    if (w->spot_up)
        pthread_join(w->spot, NULL);
    s_stop(w, &w->an_stop, &w->an_cond);
    if (w->analysis_up && !abandon_analysis)
        pthread_join(w->analysis, NULL);
    else if (w->analysis_up)
        pthread_detach(w->analysis);
    w->receiver_up = w->heartbeat_up = w->spot_up = w->analysis_up = false;
}

/* ---- the loop ------------------------------------------------------------ */

struct s_events {
    struct dn_wrecv *inbox;
    struct dn_wjob *done;
    struct dn_wbatch *returned;
    int an_rc;
    struct dn_err an_err;
};

/* Waits for something to do (or S_WAKE_S) and takes it, all under one lock
 * hold: the done list is complete for a returned batch (analysis.c). */
static void s_wait(struct dn_worker *w, struct s_events *ev)
{
    struct timespec until;
    dn_worker_abstime(&until, S_WAKE_S);
    pthread_mutex_lock(&w->lock);
    while (!w->inbox && !w->done_head && !w->an_returned) {
        if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT)
            break;
    }
    ev->inbox = w->inbox;
    w->inbox = NULL;
    w->inbox_tail = &w->inbox;
    ev->done = w->done_head;
    w->done_head = NULL;
    w->done_tail = &w->done_head;
    ev->returned = w->an_returned;
    w->an_returned = NULL;
    ev->an_rc = w->an_rc;
    ev->an_err = w->an_err;
    pthread_mutex_unlock(&w->lock);
}

static bool s_idle(struct dn_worker *w)
{
    pthread_mutex_lock(&w->lock);
    bool none = !w->msgs;
    pthread_mutex_unlock(&w->lock);
    return none && !w->nqueue && !w->an_busy && !w->ndelete && !w->nrelease;
}

bool dn_worker_receiving(struct dn_worker *w)
{
    pthread_mutex_lock(&w->lock);
    bool busy = w->recv_busy || w->recv_permits > 0 || w->inbox;
    pthread_mutex_unlock(&w->lock);
    return busy;
}

static void s_dispatch(struct dn_worker *w)
{
    struct dn_wbatch *b = w->queue;
    if (w->an_busy || !b || w->draining)
        return;
    w->queue = b->next;
    if (!w->queue)
        w->queue_tail = &w->queue;
    w->nqueue--;
    b->next = NULL;
    b->ajobs = calloc(b->n, sizeof(*b->ajobs));
    if (!b->ajobs) {
        struct dn_err e = {0};
        int rc = dn_err_set(&e, DN_ERR_RESOURCE, "out of memory for the analysis batch");
        dn_worker_batch_returned(w, b, rc, &e);
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        b->ajobs[i] = (struct dn_analysis_job){b->jobs[i]->bucket, b->jobs[i]->key,
                                               b->jobs[i]->etag, b->jobs[i]->size};
    w->an_busy = true;
    w->stats.analysed += b->n;
    pthread_mutex_lock(&w->lock);
    w->an_batch = b;
    pthread_cond_signal(&w->an_cond);
    pthread_mutex_unlock(&w->lock);
}

/* Grants the receiver one long poll when the pipeline has room: the
 * analysis plus DANCER_PREFETCH_BATCHES batches waiting for it. */
static void s_grant(struct dn_worker *w, double now)
{
    size_t in_system = (w->an_busy ? 1 : 0) + w->nqueue;
    if (w->draining || w->fatal_rc || (w->opt.once && w->once_received) || dn_worker_receiving(w) ||
        now < w->recv_retry_at || in_system >= 1 + (size_t)w->cfg->prefetch_batches)
        return;
    if (w->opt.exit_when_idle && w->last_receive_empty && s_idle(w))
        return; /* about to exit: no new long poll */
    pthread_mutex_lock(&w->lock);
    w->recv_permits = 1;
    pthread_cond_signal(&w->recv_cond);
    pthread_mutex_unlock(&w->lock);
    w->once_received = true;
}

static void s_on_inbox(struct dn_worker *w, struct dn_wrecv *r, double now)
{
    while (r) {
        struct dn_wrecv *next = r->next;
        dn_worker_on_receive(w, r);
        if (r->rc && r->rc != DN_E(DN_ERR_CANCELLED)) {
            int shift = w->recv_failures < 5 ? w->recv_failures : 5;
            w->recv_retry_at = now + (1 << shift); /* 2, 4, ... 32 s */
            if (w->opt.once || w->opt.exit_when_idle) {
                /* A batch run cannot wait for the queue to come back. */
                w->fatal_rc = r->rc;
                w->fatal = r->err;
            }
        }
        dn_sqs_messages_clean_up(&r->msgs);
        free(r);
        r = next;
    }
}

/* ---- the drain ----------------------------------------------------------- */

static void s_drain_start(struct dn_worker *w, double now, const char *why)
{
    w->draining = true;
    w->drain_deadline = now + w->cfg->drain_grace_s;
    dn_logf(DN_LOG_WARN, "%s: draining (no new receives; in-flight jobs get %d s, the rest is "
            "released)", why, w->cfg->drain_grace_s);
    atomic_store(&w->recv_cancel, true);
    s_stop(w, &w->recv_stop, &w->recv_cond);
}

/* Queued batches never started: their messages go back at once. */
static void s_drain_queue(struct dn_worker *w)
{
    while (w->queue) {
        struct dn_wbatch *b = w->queue;
        w->queue = b->next;
        w->nqueue--;
        for (size_t i = 0; i < b->n; i++) {
            dn_err_set(&b->jobs[i]->error, DN_ERR_CANCELLED, "not started before the drain");
            b->jobs[i]->completed = true;
        }
        dn_worker_batch_returned(w, b, 0, NULL);
    }
    w->queue_tail = &w->queue;
}

static void s_drain_step(struct dn_worker *w, double now)
{
    int sigs = dn_worker_signal_count();
    if (!w->draining && sigs > 0)
        s_drain_start(w, now, "SIGTERM/SIGINT");
    else if (!w->draining && atomic_load(&w->drain_requested))
        s_drain_start(w, now, "instance termination notice");
    if (!w->draining)
        return;
    if (sigs >= 2 && w->drain_deadline > now)
        w->drain_deadline = now; /* a second signal: no grace */
    s_drain_queue(w);
    if (w->an_busy && !w->cancel_sent && now >= w->drain_deadline) {
        dn_logf(DN_LOG_WARN, "drain grace period over: cancelling the analysis");
        dn_analysis_cancel_set(&w->cancel);
        w->cancel_sent = true;
        w->hard_deadline = now + S_CANCEL_WAIT_S;
    }
}

/* True when the drain is over; sets *abandon when the analyzer ignored the
 * cancel: every message still held is released and the worker leaves the
 * analysis thread behind (the process is about to exit). */
static bool s_drain_done(struct dn_worker *w, double now, bool *abandon)
{
    if (!w->an_busy)
        return !dn_worker_receiving(w) && s_idle(w);
    if (!w->cancel_sent || now < w->hard_deadline)
        return false;
    dn_logf(DN_LOG_ERROR, "analyzer %s did not stop %.0f s after the cancel; releasing its "
            "messages and leaving", w->analyzer->name, S_CANCEL_WAIT_S);
    *abandon = true;
    return true;
}

static bool s_finished(struct dn_worker *w, double now, bool *abandon)
{
    if (w->fatal_rc)
        return true;
    if (w->draining)
        return s_drain_done(w, now, abandon);
    if (w->opt.once)
        return w->once_received && !dn_worker_receiving(w) && s_idle(w);
    if (w->opt.exit_when_idle)
        return w->last_receive_empty && !dn_worker_receiving(w) && s_idle(w);
    return false;
}

static bool s_iterate(struct dn_worker *w, bool *abandon)
{
    struct s_events ev;
    s_wait(w, &ev);
    double now = dn_worker_now();
    s_on_inbox(w, ev.inbox, now);
    for (struct dn_wjob *j = ev.done, *next; j; j = next) {
        next = j->next_done;
        dn_worker_job_finish(w, j);
    }
    if (ev.returned) {
        w->an_busy = false;
        dn_worker_batch_returned(w, ev.returned, ev.an_rc, &ev.an_err);
    }
    s_drain_step(w, now);
    s_dispatch(w);
    dn_worker_flush(w);
    s_grant(w, now);
    dn_worker_health_touch(w, now);
    dn_worker_status(w, now);
    return !s_finished(w, now, abandon);
}

/* Messages still held at the end (after an error or an abandoned drain)
 * go back to the queue at once rather than after their timeout. */
static void s_release_rest(struct dn_worker *w)
{
    struct dn_wmsg *held[64];
    size_t n;
    do {
        n = 0;
        pthread_mutex_lock(&w->lock);
        for (struct dn_wmsg *m = w->msgs; m && n < 64; m = m->next)
            if (m->state == DN_WMSG_INFLIGHT)
                held[n++] = m;
        pthread_mutex_unlock(&w->lock);
        for (size_t i = 0; i < n; i++)
            dn_worker_release_now(w, held[i]);
        dn_worker_flush_now(w);
    } while (n == 64);
}

static void s_free_all(struct dn_worker *w, bool abandoned)
{
    s_drain_queue(w);
    dn_worker_flush_now(w);
    if (abandoned)
        return; /* the running batch's jobs are the analysis thread's now */
    while (w->msgs) {
        struct dn_wmsg *m = w->msgs;
        w->msgs = m->next;
        free(m->id);
        free(m->receipt);
        free(m);
    }
    pthread_mutex_destroy(&w->lock);
    pthread_mutex_destroy(&w->vis_lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->recv_cond);
    pthread_cond_destroy(&w->an_cond);
    pthread_cond_destroy(&w->hb_cond);
    pthread_cond_destroy(&w->spot_cond);
}

static void s_log_end(const struct dn_worker *w)
{
    const struct dn_worker_stats *s = &w->stats;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "uptime_s", (long long)(dn_worker_now() - w->started));
    cJSON_AddNumberToObject(f, "messages", (double)s->messages);
    cJSON_AddNumberToObject(f, "jobs", (double)s->jobs);
    cJSON_AddNumberToObject(f, "analysed", (double)s->analysed);
    cJSON_AddNumberToObject(f, "ok", (double)s->ok);
    cJSON_AddNumberToObject(f, "failed", (double)s->failed);
    cJSON_AddNumberToObject(f, "retried", (double)s->retried);
    cJSON_AddNumberToObject(f, "skipped", (double)s->skipped);
    cJSON_AddNumberToObject(f, "ignored", (double)s->ignored);
    cJSON_AddNumberToObject(f, "deleted", (double)s->deleted);
    cJSON_AddNumberToObject(f, "released", (double)s->released);
    dn_log_event(DN_LOG_INFO, "worker stopped", f);
}

int dn_worker_run(const struct dn_config *cfg, const struct dn_worker_options *opt,
                  struct dn_worker_aws *aws, struct dn_analyzer *analyzer,
                  struct dn_worker_stats *stats, struct dn_err *err)
{
    struct dn_worker *w = calloc(1, sizeof(*w));
    bool abandon = false;
    int rc;
    if (!w)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    w->cfg = cfg;
    w->opt = *opt;
    w->aws = aws;
    w->analyzer = analyzer;
    if ((rc = s_init(w, err))) {
        free(w);
        return rc;
    }
    dn_worker_signals_install();
    rc = s_start_threads(w, err);
    while (!rc && s_iterate(w, &abandon))
        ;
    s_stop_threads(w, abandon);
    /* A receive that finished as the threads stopped: release what it got. */
    struct dn_wrecv *left = w->inbox;
    w->inbox = NULL;
    w->draining = true;
    s_on_inbox(w, left, dn_worker_now());
    s_release_rest(w);
    dn_worker_signals_restore();
    if (!rc && w->fatal_rc) {
        rc = w->fatal_rc;
        *err = w->fatal;
    }
    s_log_end(w);
    if (stats)
        *stats = w->stats;
    s_free_all(w, abandon);
    if (!abandon)
        free(w);
    return rc;
}
