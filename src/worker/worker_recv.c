/* worker_recv.c — receiving: the receiver thread's long polls, and the
 * loop's turning of messages into jobs (events, de-duplication, results
 * that already exist). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/log.h"
#include "dancer/trace.h"
#include "worker_internal.h"

void *dn_worker_receiver_main(void *arg)
{
    struct dn_worker *w = arg;
    dn_trace_name_thread("receiver");
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->recv_stop && w->recv_permits == 0)
            pthread_cond_wait(&w->recv_cond, &w->lock);
        if (w->recv_stop)
            break;
        w->recv_permits--;
        w->recv_busy = true;
        pthread_mutex_unlock(&w->lock);

        struct dn_wrecv *r = calloc(1, sizeof(*r));
        struct dn_sqs_receive_opts ro = {
            .max_messages = w->cfg->sqs_max_messages,
            .wait_s = w->cfg->sqs_long_poll_timeout_s,
            .visibility_timeout_s = w->cfg->sqs_visibility_timeout_s,
            .cancel = &w->recv_cancel,
        };
        if (r) {
            r->t_sent = dn_worker_now();
            dn_trace_push("receive");
            r->rc = dn_sqs_receive(w->aws->sqs, w->queue_url, &ro, &r->msgs, &r->err);
            dn_trace_pop();
        }
        pthread_mutex_lock(&w->lock);
        w->recv_busy = false;
        if (!r) {
            /* Out of memory: nothing was received; the loop grants again. */
        } else {
            *w->inbox_tail = r;
            w->inbox_tail = &r->next;
        }
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static struct dn_wmsg *s_msg_new(struct dn_worker *w, const struct dn_sqs_message *sm,
                                 double t_sent)
{
    struct dn_wmsg *m = calloc(1, sizeof(*m));
    if (!m || !(m->id = strdup(sm->message_id)) || !(m->receipt = strdup(sm->receipt_handle))) {
        if (m) {
            free(m->id);
            free(m);
        }
        return NULL;
    }
    m->seq = ++w->next_seq;
    m->receive_count = sm->receive_count;
    m->sent_ms = sm->sent_ms;
    m->received_at = t_sent;
    m->visible_until = t_sent + w->cfg->sqs_visibility_timeout_s;
    m->force = w->opt.force;
    pthread_mutex_lock(&w->lock);
    m->next = w->msgs;
    w->msgs = m;
    pthread_mutex_unlock(&w->lock);
    return m;
}

static void s_log_msg(enum dn_log_level lvl, const char *what, const struct dn_wmsg *m,
                      const char *key, const char *reason)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "message_id", m->id);
    cJSON_AddNumberToObject(f, "receive_count", m->receive_count);
    if (key)
        cJSON_AddStringToObject(f, "key", key);
    if (reason)
        cJSON_AddStringToObject(f, "reason", reason);
    dn_log_event(lvl, what, f);
}

static struct dn_wjob *s_find_active(struct dn_worker *w, uint64_t hash)
{
    for (struct dn_wjob *j = w->jobs; j; j = j->next)
        if (j->hash == hash && !j->processed)
            return j;
    return NULL;
}

/* A record without an ETag (the old service's direct test body) gets the
 * object's current one, so de-duplication and the result check work. */
static void s_fill_etag(struct dn_worker *w, struct dn_s3_job *ev, char *etag, size_t len)
{
    struct dn_s3_object_info info = {0};
    struct dn_err err = {0};
    dn_worker_etag_normalize(ev->etag, etag, len);
    if (etag[0] || dn_s3_head_object(w->aws->s3, ev->bucket, ev->key, NULL, &info, &err)) {
        dn_s3_object_info_clean_up(&info);
        return; /* a missing object fails in the analyzer, with a result */
    }
    dn_worker_etag_normalize(info.etag, etag, len);
    if (!ev->size_known) {
        ev->size = info.size;
        ev->size_known = true;
    }
    dn_s3_object_info_clean_up(&info);
}

static struct dn_wjob *s_job_new(const struct dn_s3_job *ev, const char *etag, uint64_t hash)
{
    struct dn_wjob *j = calloc(1, sizeof(*j));
    if (!j || !(j->bucket = strdup(ev->bucket)) || !(j->key = strdup(ev->key))) {
        dn_worker_job_free(j);
        return NULL;
    }
    snprintf(j->etag, sizeof(j->etag), "%s", etag);
    snprintf(j->event_time, sizeof(j->event_time), "%s", ev->event_time);
    j->size = ev->size_known ? ev->size : 0;
    j->hash = hash;
    j->t_queued = dn_worker_now();
    return j;
}

/* Whether the result for this version is already there (idempotence under
 * SQS's at-least-once delivery). An unreadable result only logs: analysing
 * again is the safe side. */
static bool s_result_current(struct dn_worker *w, struct dn_wjob *j, const struct dn_wmsg *m)
{
    enum dn_result_state st;
    struct dn_err err = {0};
    if (!j->etag[0])
        return false;
    int rc = dn_worker_result_state(w->aws->s3, j->rbucket, j->rkey, j->etag, &st, &err);
    if (rc == DN_E(DN_ERR_AUTH)) {
        if (!w->warned_result_auth)
            s_log_msg(DN_LOG_WARN, "cannot read results (s3:GetObject on the results prefix "
                      "missing?): uploads are analysed even when a result exists", m, j->key,
                      err.msg);
        w->warned_result_auth = true;
        return false;
    }
    if (rc) {
        s_log_msg(DN_LOG_WARN, "result check failed; analysing", m, j->key, err.msg);
        return false;
    }
    return st == DN_RESULT_CURRENT;
}

/* One record of message m: attach to a job in flight, skip, or make a new
 * job for `fresh`. */
static void s_add_record(struct dn_worker *w, struct dn_wmsg *m, struct dn_s3_job *ev,
                         struct dn_wbatch *fresh)
{
    char etag[DN_S3_ETAG_MAX];
    s_fill_etag(w, ev, etag, sizeof(etag));
    uint64_t hash = dn_worker_job_hash(ev->bucket, ev->key, etag);
    struct dn_wjob *j = s_find_active(w, hash);
    w->stats.jobs++;
    if (j && etag[0]) {
        s_log_msg(DN_LOG_INFO, "duplicate of a job in flight; joined it", m, ev->key, NULL);
        w->stats.skipped++;
        if (dn_worker_job_wait(j, m))
            m->transient = true;
        return;
    }
    if (!m->force && etag[0] && dn_worker_recent_has(w, hash)) {
        s_log_msg(DN_LOG_INFO, "duplicate of a job just finished; skipped", m, ev->key, NULL);
        w->stats.skipped++;
        return;
    }
    struct dn_err err = {0};
    if (!(j = s_job_new(ev, etag, hash)) ||
        dn_worker_result_location(w->cfg, j->bucket, j->key, j->rbucket, sizeof(j->rbucket),
                                  &j->rkey, &err)) {
        /* Our configuration or memory, not the upload: retry, then DLQ. */
        s_log_msg(DN_LOG_ERROR, "cannot place the result", m, ev->key, err.msg[0] ? err.msg : "out of memory");
        dn_worker_job_free(j);
        m->transient = true;
        return;
    }
    if (!m->force && s_result_current(w, j, m)) {
        s_log_msg(DN_LOG_INFO, "result up to date; skipped", m, ev->key, NULL);
        w->stats.skipped++;
        dn_worker_recent_add(w, hash);
        dn_worker_job_free(j);
        return;
    }
    struct dn_wjob **grown = realloc(fresh->jobs, (fresh->n + 1) * sizeof(*grown));
    if (!grown || dn_worker_job_wait(j, m)) {
        if (grown)
            fresh->jobs = grown;
        dn_worker_job_free(j);
        m->transient = true;
        return;
    }
    fresh->jobs = grown;
    fresh->jobs[fresh->n++] = j;
    j->next = w->jobs;
    w->jobs = j;
}

static void s_on_message(struct dn_worker *w, const struct dn_sqs_message *sm, double t_sent,
                         struct dn_wbatch *fresh)
{
    struct dn_s3_event_batch ev = {0};
    struct dn_err err = {0};
    struct dn_wmsg *m = s_msg_new(w, sm, t_sent);
    if (!m) {
        dn_logf(DN_LOG_ERROR, "out of memory for message %s; it returns after its timeout",
                sm->message_id);
        return;
    }
    w->stats.messages++;
    s_log_msg(DN_LOG_INFO, "received", m, NULL, NULL);
    if (dn_s3_event_parse(sm->body, sm->body_len, &w->filter, &ev, &err)) {
        /* Not an S3 notification at all: no upload to write a result for. */
        s_log_msg(DN_LOG_WARN, "ignored message", m, NULL, err.msg);
        w->stats.ignored++;
    } else if (ev.test_event) {
        s_log_msg(DN_LOG_INFO, "ignored s3:TestEvent", m, NULL, NULL);
        w->stats.ignored++;
    } else {
        m->force |= ev.force;
        for (size_t i = 0; i < ev.nskips; i++)
            s_log_msg(DN_LOG_INFO, "skipped record", m, NULL, ev.skips[i].reason);
        if (!ev.njobs)
            w->stats.ignored++;
        for (size_t i = 0; i < ev.njobs; i++)
            s_add_record(w, m, &ev.jobs[i], fresh);
    }
    dn_s3_event_batch_clean_up(&ev);
    if (m->pending == 0)
        dn_worker_msg_settle(w, m);
}

/* Messages that arrive once the drain has begun go straight back. */
static void s_release_all(struct dn_worker *w, struct dn_wrecv *r)
{
    for (size_t i = 0; i < r->msgs.n; i++) {
        struct dn_wmsg *m = s_msg_new(w, &r->msgs.items[i], r->t_sent);
        if (m)
            dn_worker_release_now(w, m);
    }
}

void dn_worker_on_receive(struct dn_worker *w, struct dn_wrecv *r)
{
    struct dn_wbatch *fresh;
    if (r->rc) {
        /* The receiver tries again after a backoff the loop sets; a drain's
         * abort of the long poll is the expected end, not a failure. But
         * SQS keeps serving an abandoned ReceiveMessage until its wait time
         * is over: a message released meanwhile can be handed to that dead
         * request and stay invisible for a whole visibility timeout (seen on
         * moto with a 20 s poll). Releases wait until then (plus a second). */
        if (r->rc == DN_E(DN_ERR_CANCELLED))
            w->release_hold_until = r->t_sent + w->cfg->sqs_long_poll_timeout_s + 1.0;
        else
            dn_logf(DN_LOG_WARN, "receive failed (%d in a row): %s", w->recv_failures + 1,
                    r->err.msg);
        w->recv_failures++;
        w->last_receive_empty = false;
        return;
    }
    w->recv_failures = 0;
    w->last_receive_empty = r->msgs.n == 0;
    fresh = calloc(1, sizeof(*fresh));
    if (w->draining || !fresh) {
        s_release_all(w, r);
        free(fresh);
        return;
    }
    for (size_t i = 0; i < r->msgs.n; i++)
        s_on_message(w, &r->msgs.items[i], r->t_sent, fresh);
    if (fresh->n == 0) {
        dn_worker_batch_free(fresh);
        return;
    }
    *w->queue_tail = fresh;
    w->queue_tail = &fresh->next;
    w->nqueue++;
}
