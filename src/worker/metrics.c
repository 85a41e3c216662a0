/* metrics.c — what the worker tells the outside: CloudWatch embedded-metric-
 * format lines per job, the periodic status line (the old service's uptime,
 * processed, errors, queue depth), and the health file Docker checks.
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm */
#endif
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "dancer/log.h"
#include "worker_internal.h"

#define S_HEALTH_EVERY_S 5.0

static double s_wall_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

/* Seconds since the epoch of an S3 eventTime ("2024-01-15T10:30:00.000Z";
 * the local server omits the Z, and S3 means UTC either way); < 0 if
 * unparsable. */
static double s_event_time(const char *iso)
{
    struct tm tm;
    double frac = 0;
    int n = 0;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    if (iso[n] == '.')
        sscanf(iso + n, "%lf", &frac);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + frac;
}

/* The EMF envelope: one metric directive, dimension Service. */
static cJSON *s_emf_new(const char *ns, cJSON **metrics)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *aws = cJSON_AddObjectToObject(doc, "_aws");
    cJSON_AddNumberToObject(aws, "Timestamp", (double)(long long)(s_wall_s() * 1000));
    cJSON *dirs = cJSON_AddArrayToObject(aws, "CloudWatchMetrics");
    cJSON *dir = cJSON_CreateObject();
    cJSON_AddItemToArray(dirs, dir);
    cJSON_AddStringToObject(dir, "Namespace", ns);
    cJSON *dims = cJSON_AddArrayToObject(dir, "Dimensions");
    cJSON *set = cJSON_CreateArray();
    cJSON_AddItemToArray(set, cJSON_CreateString("Service"));
    cJSON_AddItemToArray(dims, set);
    *metrics = cJSON_AddArrayToObject(dir, "Metrics");
    cJSON_AddStringToObject(doc, "Service", "dancer-worker");
    return doc;
}

static void s_emf_add(cJSON *doc, cJSON *metrics, const char *name, const char *unit, double v)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "Name", name);
    cJSON_AddStringToObject(m, "Unit", unit);
    cJSON_AddItemToArray(metrics, m);
    cJSON_AddNumberToObject(doc, name, v);
}

/* Stage timings of the result ("decode": 812.5) as <Stage>Ms metrics. */
static void s_emf_stages(cJSON *doc, cJSON *metrics, const cJSON *result)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(result, "processing"), "timings_ms");
    const cJSON *stage;
    cJSON_ArrayForEach(stage, t) {
        char name[64];
        if (!cJSON_IsNumber(stage) || !stage->string || !stage->string[0])
            continue;
        snprintf(name, sizeof(name), "%c%sMs", toupper((unsigned char)stage->string[0]),
                 stage->string + 1);
        s_emf_add(doc, metrics, name, "Milliseconds", stage->valuedouble);
    }
}

void dn_worker_metrics_job(struct dn_worker *w, const struct dn_wjob *job, const char *outcome,
                           const cJSON *result)
{
    cJSON *metrics;
    bool ok = !strcmp(outcome, "result");
    if (!w->cfg->metrics_namespace[0] || !strcmp(outcome, "released"))
        return;
    cJSON *doc = s_emf_new(w->cfg->metrics_namespace, &metrics);
    double secs = dn_worker_now() - job->t_started;
    s_emf_add(doc, metrics, "VideosOk", "Count", ok);
    s_emf_add(doc, metrics, "VideosFailed", "Count", !strcmp(outcome, "error_result"));
    s_emf_add(doc, metrics, "VideosRetried", "Count", !strcmp(outcome, "retry"));
    s_emf_add(doc, metrics, "JobSeconds", "Seconds", secs);
    double sent = s_event_time(job->event_time);
    if (sent > 0)
        s_emf_add(doc, metrics, "QueueLagSeconds", "Seconds", s_wall_s() - sent);
    const cJSON *frames = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(result, "video"), "frames");
    if (ok && cJSON_IsNumber(frames) && secs > 0)
        s_emf_add(doc, metrics, "FramesPerSecond", "Count/Second", frames->valuedouble / secs);
    s_emf_stages(doc, metrics, result);
    dn_log_raw_json(doc);
}

static long s_attr(const struct dn_sqs_attrs *a, const char *name)
{
    const char *v = dn_sqs_attrs_get(a, name);
    return v ? atol(v) : -1;
}

void dn_worker_status(struct dn_worker *w, double now)
{
    static const char *const names[] = {"ApproximateNumberOfMessages",
                                        "ApproximateNumberOfMessagesNotVisible",
                                        "ApproximateNumberOfMessagesDelayed"};
    struct dn_sqs_attrs attrs = {0};
    struct dn_err err = {0};
    size_t in_flight = 0;
    if (!w->cfg->status_interval_s || now - w->last_status < w->cfg->status_interval_s)
        return;
    w->last_status = now;
    pthread_mutex_lock(&w->lock);
    for (struct dn_wmsg *m = w->msgs; m; m = m->next)
        in_flight++;
    pthread_mutex_unlock(&w->lock);
    int rc = dn_sqs_get_attributes(w->aws->sqs, w->queue_url, names, 3, &attrs, &err);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "uptime_s", (long long)(now - w->started));
    cJSON_AddNumberToObject(f, "processed", (double)(w->stats.ok + w->stats.failed));
    cJSON_AddNumberToObject(f, "errors", (double)w->stats.failed);
    cJSON_AddNumberToObject(f, "retried", (double)w->stats.retried);
    cJSON_AddNumberToObject(f, "skipped", (double)w->stats.skipped);
    cJSON_AddNumberToObject(f, "messages_in_flight", (double)in_flight);
    if (!rc) {
        cJSON_AddNumberToObject(f, "queue_depth", s_attr(&attrs, names[0]));
        cJSON_AddNumberToObject(f, "queue_in_flight", s_attr(&attrs, names[1]));
        cJSON_AddNumberToObject(f, "queue_delayed", s_attr(&attrs, names[2]));
    } else {
        cJSON_AddStringToObject(f, "queue_error", err.msg);
    }
    dn_log_event(DN_LOG_INFO, "status", f);
    if (!rc && w->cfg->metrics_namespace[0]) {
        cJSON *metrics, *doc = s_emf_new(w->cfg->metrics_namespace, &metrics);
        s_emf_add(doc, metrics, "QueueDepth", "Count", (double)s_attr(&attrs, names[0]));
        dn_log_raw_json(doc);
    }
    dn_sqs_attrs_clean_up(&attrs);
}

void dn_worker_health_touch(struct dn_worker *w, double now)
{
    if (!w->cfg->health_file[0] || now - w->last_health < S_HEALTH_EVERY_S)
        return;
    w->last_health = now;
    /* Rewritten rather than utime'd so a first run creates it; the content
     * is for people, the mtime is what the health check reads. */
    FILE *f = fopen(w->cfg->health_file, "w");
    if (!f) {
        dn_logf(DN_LOG_WARN, "DANCER_HEALTH_FILE %s: cannot write", w->cfg->health_file);
        return;
    }
    fprintf(f, "alive %.0f\n", s_wall_s());
    fclose(f);
}
