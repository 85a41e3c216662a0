/* heartbeat.c — keeps messages in flight invisible: before a message's
 * visibility timeout runs out, ChangeMessageVisibilityBatch asks for
 * DANCER_VISIBILITY_EXTENSION_S more, never past SQS's 12 hours from
 * receipt. Locking: see worker_internal.h (vis_lock, then lock; messages
 * found again by seq after the unlocked SQS call). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dancer/log.h"
#include "dancer/trace.h"
#include "worker_internal.h"

/* A message due for an extension, copied out of the table. */
struct s_due {
    uint64_t seq;
    char *receipt;
    char id[128];
    int timeout_s;
};

int dn_worker_extension_s(int extension_s, double received_at, double now)
{
    double left = DN_WORKER_MAX_INVISIBLE_S - DN_WORKER_VIS_MARGIN_S - (now - received_at);
    if (left < extension_s)
        return left < 0 ? 0 : (int)left;
    return extension_s;
}

static double s_tick_s(const struct dn_worker *w)
{
    double t = w->cfg->visibility_extension_s / 4.0;
    return t > 1.0 ? 1.0 : t < 0.25 ? 0.25 : t;
}

static struct dn_wmsg *s_find_locked(struct dn_worker *w, uint64_t seq)
{
    for (struct dn_wmsg *m = w->msgs; m; m = m->next)
        if (m->seq == seq)
            return m;
    return NULL;
}

static void s_log(enum dn_log_level lvl, const char *what, const char *id, const char *detail)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "message_id", id);
    if (detail)
        cJSON_AddStringToObject(f, "reason", detail);
    dn_log_event(lvl, what, f);
}

/* Messages whose remaining visibility is below the threshold: half the
 * extension, so one failed call still leaves time for the next tick. */
static size_t s_collect_locked(struct dn_worker *w, double now, struct s_due *due, size_t max)
{
    int ext = w->cfg->visibility_extension_s;
    double threshold = ext / 2.0 > 2 * s_tick_s(w) ? ext / 2.0 : 2 * s_tick_s(w);
    size_t n = 0;
    for (struct dn_wmsg *m = w->msgs; m && n < max; m = m->next) {
        double remaining = m->visible_until - now;
        if (m->state != DN_WMSG_INFLIGHT || m->hb_stopped || remaining >= threshold)
            continue;
        int t = dn_worker_extension_s(ext, m->received_at, now);
        if (t <= remaining) {
            /* SQS will show it again at 12 h, whatever we ask. */
            m->hb_stopped = true;
            s_log(DN_LOG_WARN, "message reaches SQS's 12-hour visibility limit; it may be "
                  "delivered again", m->id, NULL);
            continue;
        }
        if (!(due[n].receipt = strdup(m->receipt)))
            break;
        due[n].seq = m->seq;
        due[n].timeout_s = t;
        snprintf(due[n].id, sizeof(due[n].id), "%s", m->id);
        n++;
    }
    return n;
}

/* One ChangeMessageVisibilityBatch over due[0..n), n <= 10, then the
 * outcome per entry. A handle SQS no longer honours (ReceiptHandleIsInvalid,
 * MessageNotInflight: we were late, or it was deleted meanwhile) stops the
 * heartbeat for that message only. */
static void s_extend(struct dn_worker *w, struct s_due *due, size_t n)
{
    struct dn_sqs_entry e[DN_SQS_BATCH_MAX];
    char ids[DN_SQS_BATCH_MAX][24];
    struct dn_sqs_batch_result res = {0};
    struct dn_err err = {0};
    double t0 = dn_worker_now();
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof(ids[i]), "h%zu", i);
        e[i] = (struct dn_sqs_entry){.id = ids[i], .receipt_handle = due[i].receipt,
                                     .visibility_timeout_s = due[i].timeout_s};
    }
    if (dn_sqs_change_visibility_batch(w->aws->sqs, w->queue_url, e, n, &res, &err)) {
        dn_logf(DN_LOG_WARN, "visibility heartbeat failed (tried again next tick): %s", err.msg);
        return;
    }
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < n; i++) {
        struct dn_wmsg *m = s_find_locked(w, due[i].seq);
        if (!m)
            continue; /* deleted meanwhile */
        if (res.entries[i].ok) {
            m->visible_until = t0 + due[i].timeout_s; /* SQS counts from the call */
        } else if (res.entries[i].cls == DN_ERR_CONFLICT) {
            m->hb_stopped = true;
            if (m->state == DN_WMSG_INFLIGHT)
                s_log(DN_LOG_WARN, "visibility heartbeat lost the message", m->id,
                      res.entries[i].code);
        } else {
            s_log(DN_LOG_WARN, "visibility heartbeat entry failed (tried again next tick)",
                  m->id, res.entries[i].code);
        }
    }
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < n; i++)
        if (res.entries[i].ok)
            s_log(DN_LOG_DEBUG, "visibility extended", due[i].id, NULL);
}

static void s_tick(struct dn_worker *w)
{
    enum { MAX_DUE = 100 };
    struct s_due due[MAX_DUE];
    pthread_mutex_lock(&w->vis_lock);
    pthread_mutex_lock(&w->lock);
    size_t n = s_collect_locked(w, dn_worker_now(), due, MAX_DUE);
    pthread_mutex_unlock(&w->lock);
    if (n)
        dn_trace_push("heartbeat");
    for (size_t i = 0; i < n; i += DN_SQS_BATCH_MAX)
        s_extend(w, due + i, n - i < DN_SQS_BATCH_MAX ? n - i : DN_SQS_BATCH_MAX);
    if (n)
        dn_trace_pop();
    pthread_mutex_unlock(&w->vis_lock);
    for (size_t i = 0; i < n; i++)
        free(due[i].receipt);
}

void *dn_worker_heartbeat_main(void *arg)
{
    struct dn_worker *w = arg;
    dn_trace_name_thread("heartbeat");
    pthread_mutex_lock(&w->lock);
    while (!w->hb_stop) {
        struct timespec until;
        dn_worker_abstime(&until, s_tick_s(w));
        int rc = pthread_cond_timedwait(&w->hb_cond, &w->lock, &until);
        if (w->hb_stop)
            break;
        if (rc != ETIMEDOUT)
            continue; /* spurious wake-up: wait out the tick */
        pthread_mutex_unlock(&w->lock);
        s_tick(w);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}
