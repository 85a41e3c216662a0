/* doctor.c — `dancer doctor`: the old set-up guide's troubleshooting list,
 * checked against the live account. One PASS/FAIL/SKIP line per check,
 * with the fix after each FAIL. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/config.h"
#include "dancer/creds.h"
#include "dancer/s3.h"
#include "dancer/sqs.h"
#include "dancer/worker.h"
#include "setup_internal.h"

struct s_doc {
    const struct dn_config *cfg;
    struct dn_worker_aws *aws;
    FILE *out;
    int nfail;
    char url[DN_CFG_URL], arn[512], account[64], name[DN_CFG_STR];
    struct dn_sqs_attrs attrs;
    bool queue_ok;
    struct dn_s3_notification notif;
    bool notif_ok;
    char setup_cmd[DN_CFG_URL];
};

static void s_line(struct s_doc *d, const char *verdict, const char *check, const char *fix,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void s_line(struct s_doc *d, const char *verdict, const char *check, const char *fix,
                   const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    fprintf(d->out, "%-4s  %s: %s\n", verdict, check, detail);
    if (!strcmp(verdict, "FAIL"))
        d->nfail++;
    if (!strcmp(verdict, "FAIL") || (fix && !strcmp(verdict, "WARN")))
        fprintf(d->out, "      fix: %s\n", fix ? fix : d->setup_cmd);
    fflush(d->out);
}

#define PASS(d, check, ...) s_line(d, "PASS", check, NULL, __VA_ARGS__)
#define FAIL(d, check, fix, ...) s_line(d, "FAIL", check, fix, __VA_ARGS__)
#define SKIP(d, check, ...) s_line(d, "SKIP", check, NULL, __VA_ARGS__)
/* Works, with a stated cost; does not fail the run. */
#define WARN(d, check, fix, ...) s_line(d, "WARN", check, fix, __VA_ARGS__)

/* ---- settings, credentials, queue ------------------------------------------ */

static void s_settings(struct s_doc *d)
{
    const struct dn_config *c = d->cfg;
    if (!c->sqs_queue_url[0] && !c->sqs_queue_name[0])
        FAIL(d, "settings", "set SQS_QUEUE_URL (or SQS_QUEUE_NAME) in the environment or --config",
             "no queue configured");
    else if (!c->s3_bucket[0])
        FAIL(d, "settings", "set S3_BUCKET to the upload bucket", "S3_BUCKET is not set, so the "
             "bucket notification and the results cannot be checked");
    else
        PASS(d, "settings", "queue %s, bucket %s, uploads %s*%s, results s3://%s/%s",
             c->sqs_queue_url[0] ? c->sqs_queue_url : c->sqs_queue_name, c->s3_bucket,
             c->s3_prefix, c->s3_suffix, c->results_bucket[0] ? c->results_bucket : c->s3_bucket,
             c->results_prefix);
}

static void s_credentials(struct s_doc *d)
{
    struct dn_creds creds;
    struct dn_err err = {0};
    if (dn_creds_provider_get(d->aws->creds, &creds, &err))
        FAIL(d, "credentials", "give the worker credentials: an instance or task role, AWS_PROFILE, "
             "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", "%s", err.msg);
    else
        PASS(d, "credentials", "from %s", creds.source);
    memset(&creds, 0, sizeof(creds)); /* no secret lingers on the stack */
}

static void s_queue(struct s_doc *d)
{
    struct dn_err err = {0};
    int rc = dn_worker_queue_url(d->cfg, d->aws->sqs, d->url, sizeof(d->url), &err);
    if (!rc)
        rc = dn_sqs_get_attributes(d->aws->sqs, d->url, NULL, 0, &d->attrs, &err);
    const char *arn = dn_sqs_attrs_get(&d->attrs, "QueueArn");
    if (rc || !arn) {
        FAIL(d, "queue exists and is reachable", NULL, "%s", rc ? err.msg : "no QueueArn");
        return;
    }
    snprintf(d->arn, sizeof(d->arn), "%s", arn);
    dn_setup_arn_field(arn, 4, d->account, sizeof(d->account));
    dn_setup_arn_field(arn, 5, d->name, sizeof(d->name));
    d->queue_ok = true;
    PASS(d, "queue exists and is reachable", "%s (%s)", d->url, arn);
}

/* ---- queue policy ------------------------------------------------------------ */

/* True when `v` (a string or an array of strings) has an entry for which
 * match(entry, want) holds. */
static bool s_any(const cJSON *v, const char *want, bool (*match)(const char *, const char *))
{
    const cJSON *e;
    if (cJSON_IsString(v))
        return match(v->valuestring, want);
    cJSON_ArrayForEach(e, v)
        if (cJSON_IsString(e) && match(e->valuestring, want))
            return true;
    return false;
}

static bool s_ieq(const char *a, const char *b)
{
    return !strcasecmp(a, b);
}

/* Every entry of v matches: the statement grants nothing else. */
static bool s_only(const cJSON *v, const char *want)
{
    const cJSON *e;
    if (cJSON_IsString(v))
        return !strcasecmp(v->valuestring, want);
    cJSON_ArrayForEach(e, v)
        if (!cJSON_IsString(e) || strcasecmp(e->valuestring, want))
            return false;
    return cJSON_GetArraySize(v) > 0;
}

/* The condition value for `key` under any of the operators given. */
static const cJSON *s_condition(const cJSON *st, const char *const *ops, const char *key)
{
    const cJSON *cond = cJSON_GetObjectItem(st, "Condition");
    for (; *ops; ops++) {
        const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(cond, *ops), key);
        if (v)
            return v;
    }
    return NULL;
}

/* The Allow statement with principal s3.amazonaws.com, NULL if none. */
static const cJSON *s_s3_statement(const cJSON *policy)
{
    const cJSON *st, *stmts = cJSON_GetObjectItem(policy, "Statement");
    if (cJSON_IsObject(stmts))
        return stmts;
    cJSON_ArrayForEach(st, stmts) {
        const cJSON *principal = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "Principal"), "Service");
        const cJSON *effect = cJSON_GetObjectItem(st, "Effect");
        if (cJSON_IsString(effect) && !strcmp(effect->valuestring, "Allow") &&
            s_any(principal, "s3.amazonaws.com", s_ieq))
            return st;
    }
    return NULL;
}

static void s_policy_conditions(struct s_doc *d, const cJSON *st)
{
    static const char *const eq[] = {"StringEquals", "ArnEquals", NULL};
    static const char *const like[] = {"ArnLike", "StringLike", "ArnEquals", "StringEquals", NULL};
    char bucket_arn[512];
    snprintf(bucket_arn, sizeof(bucket_arn), "arn:aws:s3:::%s", d->cfg->s3_bucket);
    const cJSON *acct = s_condition(st, eq, "aws:SourceAccount");
    if (!acct)
        FAIL(d, "queue policy aws:SourceAccount", NULL, "no aws:SourceAccount condition: any "
             "account's bucket could send to this queue");
    else if (!s_any(acct, d->account, s_ieq))
        FAIL(d, "queue policy aws:SourceAccount", NULL, "condition names another account (queue "
             "account %s)", d->account);
    else
        PASS(d, "queue policy aws:SourceAccount", "%s", d->account);
    const cJSON *src = s_condition(st, like, "aws:SourceArn");
    if (!src)
        FAIL(d, "queue policy aws:SourceArn", NULL, "no aws:SourceArn condition");
    else if (!d->cfg->s3_bucket[0])
        SKIP(d, "queue policy aws:SourceArn", "S3_BUCKET not set");
    else if (!s_any(src, bucket_arn, dn_setup_glob))
        FAIL(d, "queue policy aws:SourceArn", NULL, "the condition does not match bucket %s: the "
             "bucket name in the policy and the notification's bucket differ", d->cfg->s3_bucket);
    else
        PASS(d, "queue policy aws:SourceArn", "matches %s", bucket_arn);
}

static void s_policy(struct s_doc *d)
{
    const char *text = dn_sqs_attrs_get(&d->attrs, "Policy");
    cJSON *policy = text && *text ? cJSON_Parse(text) : NULL;
    const cJSON *st = s_s3_statement(policy);
    const char *check = "queue policy lets S3 send";
    if (!policy) {
        FAIL(d, check, NULL, text && *text ? "the Policy attribute is not JSON"
                                           : "the queue has no policy: S3 cannot deliver events");
    } else if (!st) {
        FAIL(d, check, NULL, "no Allow statement with principal s3.amazonaws.com");
    } else if (!s_any(cJSON_GetObjectItem(st, "Action"), "sqs:SendMessage", dn_setup_glob)) {
        FAIL(d, check, NULL, "the s3.amazonaws.com statement does not allow sqs:SendMessage");
    } else if (!s_any(cJSON_GetObjectItem(st, "Resource"), d->arn, dn_setup_glob)) {
        FAIL(d, check, NULL, "the statement's Resource is not this queue (%s)", d->arn);
    } else {
        PASS(d, check, "s3.amazonaws.com may sqs:SendMessage to %s", d->arn);
        if (s_only(cJSON_GetObjectItem(st, "Action"), "sqs:SendMessage"))
            PASS(d, "queue policy is least-privilege", "sqs:SendMessage only");
        else
            FAIL(d, "queue policy is least-privilege", NULL, "the s3.amazonaws.com statement "
                 "allows more than sqs:SendMessage");
        s_policy_conditions(d, st);
    }
    cJSON_Delete(policy);
}

/* ---- queue encryption -------------------------------------------------------- */

/* S3 sends nothing to a queue encrypted with the AWS managed key
 * (alias/aws/sqs): that key's policy cannot be changed to let
 * s3.amazonaws.com use it, and the notifications are dropped with no error
 * anywhere (AWS: "Granting permissions to publish event notification
 * messages to a destination"). SSE-SQS works; a customer managed key works
 * when its key policy lets s3.amazonaws.com kms:GenerateDataKey and
 * kms:Decrypt, which dancer (no KMS client) cannot read: a WARN. */
static void s_encryption(struct s_doc *d)
{
    const char *check = "queue encryption lets S3 send";
    const char *key = dn_sqs_attrs_get(&d->attrs, "KmsMasterKeyId");
    const char *sse = dn_sqs_attrs_get(&d->attrs, "SqsManagedSseEnabled");
    size_t n = key ? strlen(key) : 0, tail = strlen("alias/aws/sqs");
    if (!n)
        PASS(d, check, "%s", sse && !strcmp(sse, "true") ? "SSE-SQS" : "no KMS key");
    else if (n >= tail && !strcmp(key + n - tail, "alias/aws/sqs"))
        FAIL(d, check, "encrypt the queue with SSE-SQS (aws sqs set-queue-attributes --queue-url URL "
             "--attributes SqsManagedSseEnabled=true,KmsMasterKeyId=) or with a customer managed key "
             "whose key policy lets s3.amazonaws.com kms:GenerateDataKey and kms:Decrypt",
             "KmsMasterKeyId %s is the AWS managed key: S3 cannot use it and drops every notification "
             "for this queue", key);
    else
        WARN(d, check, "let s3.amazonaws.com kms:GenerateDataKey and kms:Decrypt in the key's policy "
             "(and the worker kms:Decrypt)", "KmsMasterKeyId %s: S3 can send only if the key policy "
             "lets it (not checked)", key);
}

/* ---- bucket notification ----------------------------------------------------- */

static bool s_sends_created(const struct dn_s3_queue_config *q)
{
    for (size_t i = 0; i < q->nevents; i++)
        if (!strncmp(q->events[i], "s3:ObjectCreated:", 17))
            return true;
    return false;
}

/* Whether a configuration's prefix is the worker's S3_PREFIX, which the
 * worker reads as a folder ("uploads" as "uploads/"). */
static bool s_prefix_ok(const struct s_doc *d, const struct dn_s3_queue_config *q)
{
    char want[DN_CFG_URL];
    const char *p = d->cfg->s3_prefix, *have = q->prefix ? q->prefix : "";
    size_t n = strlen(p);
    /* A prefix filling the whole setting has no room for the '/': compare it as is. */
    if (snprintf(want, sizeof(want), "%s%s", p, n && p[n - 1] != '/' ? "/" : "") >= (int)sizeof(want))
        snprintf(want, sizeof(want), "%s", p);
    return !strcmp(have, want) || !strcmp(have, p);
}

/* The notification filters against the worker's S3_PREFIX / S3_SUFFIX. S3
 * compares suffixes case-sensitively and the worker does not, so each case
 * of the suffix (.mp4 and .MP4: dn_setup_suffix_cases) needs its own
 * configuration, or uploads named the other way are never notified. */
static void s_filters(struct s_doc *d)
{
    char cases[2][DN_SETUP_SUFFIX_MAX];
    int ncase = dn_setup_suffix_cases(d->cfg->s3_suffix, cases);
    for (int c = 0; c < ncase; c++) {
        const char *check = c ? "notification filter, upper case" : "notification filter";
        const struct dn_s3_queue_config *exact = NULL, *any = NULL;
        for (size_t i = 0; i < d->notif.nqueues; i++) {
            const struct dn_s3_queue_config *q = &d->notif.queues[i];
            if (!q->queue_arn || strcmp(q->queue_arn, d->arn) || !s_sends_created(q))
                continue;
            any = any ? any : q;
            if (!strcmp(q->suffix ? q->suffix : "", cases[c]) && (!exact || s_prefix_ok(d, q)))
                exact = q;
        }
        if (exact && s_prefix_ok(d, exact))
            PASS(d, check, "prefix \"%s\", suffix \"%s\"", exact->prefix ? exact->prefix : "", cases[c]);
        else if (exact)
            FAIL(d, check, NULL, "prefix \"%s\", but the worker expects uploads under S3_PREFIX \"%s\"",
                 exact->prefix ? exact->prefix : "", d->cfg->s3_prefix);
        else if (c == 0)
            FAIL(d, check, NULL, "no configuration for keys ending in \"%s\" (S3_SUFFIX \"%s\"); this "
                 "queue's has suffix \"%s\"", cases[c], d->cfg->s3_suffix,
                 any && any->suffix ? any->suffix : "");
        else
            FAIL(d, check, NULL, "no configuration for keys ending in \"%s\": S3 compares suffixes "
                 "case-sensitively, so such uploads (cameras write .MP4, .MOV) are never notified",
                 cases[c]);
    }
}

static void s_notification(struct s_doc *d)
{
    struct dn_err err = {0};
    const char *check = "bucket notification points at this queue";
    if (!d->cfg->s3_bucket[0]) {
        SKIP(d, check, "S3_BUCKET not set");
        return;
    }
    if (dn_s3_get_notification(d->aws->s3, d->cfg->s3_bucket, &d->notif, &err)) {
        FAIL(d, check, NULL, "%s", err.msg);
        return;
    }
    d->notif_ok = true;
    int at = -1;
    for (size_t i = 0; i < d->notif.nqueues && at < 0; i++)
        if (d->notif.queues[i].queue_arn && !strcmp(d->notif.queues[i].queue_arn, d->arn))
            at = (int)i;
    if (at < 0 && d->notif.nqueues)
        FAIL(d, check, NULL, "bucket %s sends to %s, not to this queue (%s)", d->cfg->s3_bucket,
             d->notif.queues[0].queue_arn ? d->notif.queues[0].queue_arn : "?", d->arn);
    else if (at < 0)
        FAIL(d, check, NULL, "bucket %s has no queue notification", d->cfg->s3_bucket);
    else if (!s_sends_created(&d->notif.queues[at]))
        FAIL(d, check, NULL, "the configuration for this queue sends no s3:ObjectCreated events");
    else
        PASS(d, check, "s3://%s -> %s", d->cfg->s3_bucket, d->arn);
    if (at >= 0)
        s_filters(d);
}

/* ---- dead-letter queue ----------------------------------------------------- */

static void s_dlq(struct s_doc *d)
{
    static const char *const names[] = {"MessageRetentionPeriod", "ApproximateNumberOfMessages"};
    const char *check = "dead-letter queue attached";
    const char *text = dn_sqs_attrs_get(&d->attrs, "RedrivePolicy");
    cJSON *rp = text && *text ? cJSON_Parse(text) : NULL;
    const cJSON *target = cJSON_GetObjectItem(rp, "deadLetterTargetArn");
    double mrc = dn_setup_redrive_count(rp);
    char name[DN_CFG_STR], url[DN_CFG_URL];
    struct dn_sqs_attrs dattrs = {0};
    struct dn_err err = {0};
    if (!rp || !cJSON_IsString(target))
        FAIL(d, check, NULL, "no RedrivePolicy: a failing upload is retried until retention drops "
             "it (note: maxReceiveCount belongs inside RedrivePolicy; a MaxReceiveCount queue "
             "attribute does not exist)");
    else if (!(mrc >= 1 && mrc <= 1000))
        FAIL(d, check, NULL, "maxReceiveCount %s is not 1..1000", text);
    else if (!dn_setup_arn_field(target->valuestring, 5, name, sizeof(name)) ||
             dn_sqs_get_queue_url(d->aws->sqs, name, url, sizeof(url), &err) ||
             dn_sqs_get_attributes(d->aws->sqs, url, names, 2, &dattrs, &err))
        FAIL(d, check, NULL, "the dead-letter queue %s cannot be read: %s", target->valuestring,
             err.msg[0] ? err.msg : "bad ARN");
    else if (atol(dn_sqs_attrs_get(&dattrs, names[0]) ? dn_sqs_attrs_get(&dattrs, names[0]) : "0") <
             atol(dn_sqs_attrs_get(&d->attrs, names[0]) ? dn_sqs_attrs_get(&d->attrs, names[0]) : "0"))
        FAIL(d, check, "give the dead-letter queue a MessageRetentionPeriod at least the queue's "
             "(a message keeps its original enqueue time when it moves)",
             "%s keeps messages for less time than this queue", name);
    else
        PASS(d, check, "%s after %.0f receives", target->valuestring, mrc);
    /* Uploads that failed maxReceiveCount times wait there without a result:
     * the first place to look when a result is missing. */
    const char *dead = dn_sqs_attrs_get(&dattrs, names[1]);
    if (dead && atol(dead) > 0)
        WARN(d, "dead-letter queue is empty", "read them (aws sqs receive-message --queue-url URL; the "
             "worker's log names each failure), fix the cause, then move them back: aws sqs "
             "start-message-move-task --source-arn DLQ_ARN",
             "%s upload message(s) in %s failed %.0f times and have no result", dead, name, mrc);
    else if (dead)
        PASS(d, "dead-letter queue is empty", "%s", name);
    dn_sqs_attrs_clean_up(&dattrs);
    cJSON_Delete(rp);
}

/* ---- the worker's own permissions ------------------------------------------- */

/* Delete and change-visibility with a receipt handle that cannot exist: SQS
 * checks the caller's permission first, so AccessDenied means no
 * permission and an invalid-handle answer means it is there. (moto checks
 * no permissions at all.) */
static void s_permissions(struct s_doc *d)
{
    const char *check = "worker may receive, delete and change visibility";
    struct dn_sqs_entry e = {.id = "doctor", .receipt_handle = "dancer-doctor-probe",
                             .visibility_timeout_s = 0};
    struct dn_sqs_batch_result res;
    struct dn_err err = {0};
    const char *fix = "grant sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility "
                      "and sqs:GetQueueAttributes on the queue to the worker's role";
    if (dn_sqs_delete_batch(d->aws->sqs, d->url, &e, 1, &res, &err) ||
        dn_sqs_change_visibility_batch(d->aws->sqs, d->url, &e, 1, &res, &err)) {
        FAIL(d, check, fix, "%s", err.msg);
        return;
    }
    const char *depth = dn_sqs_attrs_get(&d->attrs, "ApproximateNumberOfMessages");
    if (depth && strcmp(depth, "0")) {
        /* A test receive would count against a real message's maxReceiveCount. */
        PASS(d, check, "delete and change-visibility allowed; receive not probed (%s messages "
             "waiting)", depth);
        return;
    }
    struct dn_sqs_receive_opts ro = {.max_messages = 1, .wait_s = 0, .visibility_timeout_s = 0};
    struct dn_sqs_messages m = {0};
    if (dn_sqs_receive(d->aws->sqs, d->url, &ro, &m, &err))
        FAIL(d, check, fix, "%s", err.msg);
    else
        PASS(d, check, "receive, delete and change-visibility allowed");
    dn_sqs_messages_clean_up(&m);
}

/* ---- results ------------------------------------------------------------------ */

static void s_results(struct s_doc *d)
{
    const char *check = "results cannot retrigger the notification";
    char rbucket[DN_CFG_STR], sample[DN_CFG_URL + 128], *rkey = NULL;
    struct dn_err err = {0};
    const struct dn_config *c = d->cfg;
    snprintf(sample, sizeof(sample), "%s%su/s/x%s", c->s3_prefix,
             c->s3_prefix[0] && c->s3_prefix[strlen(c->s3_prefix) - 1] != '/' ? "/" : "", c->s3_suffix);
    if (dn_worker_result_location(c, c->s3_bucket, sample, rbucket, sizeof(rbucket), &rkey, &err)) {
        FAIL(d, check, "set RESULTS_PREFIX or RESULTS_BUCKET", "%s", err.msg);
        return;
    }
    bool loops = false;
    for (size_t i = 0; d->notif_ok && !strcmp(rbucket, c->s3_bucket) && i < d->notif.nqueues; i++)
        loops |= s_sends_created(&d->notif.queues[i]) &&
                 dn_setup_filter_selects(d->notif.queues[i].prefix, d->notif.queues[i].suffix, rkey);
    if (loops)
        FAIL(d, check, "narrow the notification filter (prefix uploads/, suffix .mp4) or move "
             "results with RESULTS_PREFIX / RESULTS_BUCKET", "result s3://%s/%s would match the "
             "bucket's notification filter", rbucket, rkey);
    else if (!d->notif_ok)
        SKIP(d, check, "the notification could not be read");
    else
        PASS(d, check, "results go to s3://%s/%s...", rbucket, c->results_prefix);
    /* The idempotence check reads results; without s3:GetObject S3 answers
     * 403 even for a missing key, and every redelivery is analysed again.
     * That costs GPU time, not correctness (the result is rewritten with the
     * same content), and the deployment template's strict role leaves the
     * permission out by default: a warning, not a failure. */
    struct dn_s3_object_info info = {0};
    int rc = dn_s3_head_object(d->aws->s3, rbucket, rkey, NULL, &info, &err);
    if (rc == DN_E(DN_ERR_AUTH))
        WARN(d, "worker may read results", "grant s3:GetObject on the results prefix "
             "(template parameter AllowResultChecks=true) to skip redelivered uploads",
             "no: redelivered uploads will be analysed again (%s)", err.msg);
    else if (rc && rc != DN_E(DN_ERR_NOT_FOUND))
        FAIL(d, "worker may read results", "grant s3:GetObject on the results prefix (the worker "
             "skips uploads whose result exists)", "%s", err.msg);
    else
        PASS(d, "worker may read results", "s3://%s/%s", rbucket, c->results_prefix);
    dn_s3_object_info_clean_up(&info);
    free(rkey);
}

int dn_doctor_run(const struct dn_config *cfg, struct dn_worker_aws *aws, FILE *out, int *nfail,
                  struct dn_err *err)
{
    struct s_doc d = {.cfg = cfg, .aws = aws, .out = out};
    (void)err;
    snprintf(d.setup_cmd, sizeof(d.setup_cmd), "dancer setup --bucket %s --queue %s",
             cfg->s3_bucket[0] ? cfg->s3_bucket : "BUCKET",
             cfg->sqs_queue_name[0] ? cfg->sqs_queue_name : "QUEUE");
    s_settings(&d);
    s_credentials(&d);
    s_queue(&d);
    if (d.queue_ok) {
        s_policy(&d);
        s_encryption(&d);
        s_notification(&d);
        s_dlq(&d);
        s_permissions(&d);
        s_results(&d);
    } else {
        SKIP(&d, "queue policy, notification, dead-letter queue, permissions",
             "they need the queue");
    }
    *nfail = d.nfail;
    dn_sqs_attrs_clean_up(&d.attrs);
    dn_s3_notification_clean_up(&d.notif);
    return 0;
}
