/* setup_docs.c — the documents `dancer setup` writes: queue policy,
 * RedrivePolicy and the bucket's queue configuration (see setup_internal.h).
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/s3.h"
#include "dancer/worker.h"
#include "setup_internal.h"

cJSON *dn_setup_statement(const char *queue_arn, const char *account, const char *bucket)
{
    char bucket_arn[512];
    snprintf(bucket_arn, sizeof(bucket_arn), "arn:aws:s3:::%s", bucket);
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "Sid", DN_SETUP_POLICY_SID);
    cJSON_AddStringToObject(st, "Effect", "Allow");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(st, "Principal"), "Service", "s3.amazonaws.com");
    cJSON_AddStringToObject(st, "Action", "SQS:SendMessage");
    cJSON_AddStringToObject(st, "Resource", queue_arn);
    cJSON *cond = cJSON_AddObjectToObject(st, "Condition");
    /* Both conditions: SourceArn alone would let a bucket of the same name
     * in another account (after ours is deleted) send to the queue. */
    cJSON_AddStringToObject(cJSON_AddObjectToObject(cond, "StringEquals"), "aws:SourceAccount",
                            account);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(cond, "ArnLike"), "aws:SourceArn", bucket_arn);
    return st;
}

static cJSON *s_policy_new(void)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Version", "2012-10-17");
    cJSON_AddStringToObject(p, "Id", "dancer-s3-notifications");
    cJSON_AddArrayToObject(p, "Statement");
    return p;
}

char *dn_setup_policy_json(const char *queue_arn, const char *account, const char *bucket)
{
    cJSON *p = s_policy_new();
    cJSON_AddItemToArray(cJSON_GetObjectItem(p, "Statement"),
                         dn_setup_statement(queue_arn, account, bucket));
    char *json = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return json;
}

char *dn_setup_redrive_json(const char *dlq_arn, int max_receive_count)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "deadLetterTargetArn", dlq_arn);
    cJSON_AddNumberToObject(r, "maxReceiveCount", max_receive_count);
    char *json = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return json;
}

char *dn_setup_policy_merge(const char *existing, const char *queue_arn, const char *account,
                            const char *bucket, bool *changed)
{
    cJSON *p = existing && *existing ? cJSON_Parse(existing) : NULL;
    cJSON *ours = dn_setup_statement(queue_arn, account, bucket);
    cJSON *stmts = cJSON_GetObjectItem(p, "Statement");
    *changed = true;
    if (cJSON_IsObject(stmts)) { /* a single statement may stand alone */
        cJSON *one = cJSON_DetachItemViaPointer(p, stmts);
        stmts = cJSON_AddArrayToObject(p, "Statement");
        cJSON_AddItemToArray(stmts, one);
    }
    if (!cJSON_IsArray(stmts)) {
        cJSON_Delete(p);
        p = s_policy_new();
        stmts = cJSON_GetObjectItem(p, "Statement");
    }
    cJSON *st, *old = NULL;
    cJSON_ArrayForEach(st, stmts) {
        const cJSON *sid = cJSON_GetObjectItem(st, "Sid");
        if (cJSON_IsString(sid) && !strcmp(sid->valuestring, DN_SETUP_POLICY_SID))
            old = st;
    }
    if (old && cJSON_Compare(old, ours, true)) {
        *changed = false;
        cJSON_Delete(ours);
    } else if (old) {
        cJSON_ReplaceItemViaPointer(stmts, old, ours);
    } else {
        cJSON_AddItemToArray(stmts, ours);
    }
    char *json = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return json;
}

double dn_setup_redrive_count(const cJSON *redrive)
{
    const cJSON *count = cJSON_GetObjectItem(redrive, "maxReceiveCount");
    return cJSON_IsString(count) ? atof(count->valuestring) : cJSON_GetNumberValue(count);
}

bool dn_setup_arn_field(const char *arn, int index, char *out, size_t len)
{
    const char *p = arn ? arn : "";
    for (int i = 0; i < index; i++) {
        p = strchr(p, ':');
        if (!p)
            return false;
        p++;
    }
    size_t n = index >= 5 ? strlen(p) : strcspn(p, ":");
    snprintf(out, len, "%.*s", (int)n, p);
    return n > 0;
}

void dn_setup_queue_config(struct dn_s3_queue_config *q, const char *queue_arn, const char *prefix,
                           const char *suffix)
{
    static char event[] = "s3:ObjectCreated:*";
    static char *events[] = {event};
    memset(q, 0, sizeof(*q));
    q->id = (char *)DN_SETUP_NOTIFICATION_ID;
    q->queue_arn = (char *)queue_arn;
    q->events = events;
    q->nevents = 1;
    q->prefix = prefix && *prefix ? (char *)prefix : NULL;
    q->suffix = suffix && *suffix ? (char *)suffix : NULL;
}

const char *const dn_setup_notification_ids[2] = {DN_SETUP_NOTIFICATION_ID,
                                                   DN_SETUP_NOTIFICATION_ID_UPPER};

int dn_setup_suffix_cases(const char *suffix, char out[2][DN_SETUP_SUFFIX_MAX])
{
    size_t n = suffix ? strlen(suffix) : 0;
    if (n >= DN_SETUP_SUFFIX_MAX)
        n = DN_SETUP_SUFFIX_MAX - 1;
    for (size_t i = 0; i < n; i++) {
        out[0][i] = (char)tolower((unsigned char)suffix[i]);
        out[1][i] = (char)toupper((unsigned char)suffix[i]);
    }
    out[0][n] = out[1][n] = '\0';
    return strcmp(out[0], out[1]) ? 2 : 1;
}

static bool s_same_opt(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

int dn_setup_find_queue_config(const struct dn_s3_notification *n, const char *queue_arn, int i,
                               char cases[2][DN_SETUP_SUFFIX_MAX], int ncase)
{
    const char *other_id = dn_setup_notification_ids[!i], *other = ncase > 1 ? cases[!i] : NULL;
    for (size_t k = 0; k < n->nqueues; k++)
        if (n->queues[k].queue_arn && !strcmp(n->queues[k].queue_arn, queue_arn) &&
            s_same_opt(n->queues[k].suffix, cases[i]))
            return (int)k;
    for (size_t k = 0; k < n->nqueues; k++)
        if (n->queues[k].id && !strcmp(n->queues[k].id, dn_setup_notification_ids[i]))
            return (int)k;
    for (size_t k = 0; k < n->nqueues && i == 0; k++) {
        const struct dn_s3_queue_config *q = &n->queues[k];
        if (q->queue_arn && !strcmp(q->queue_arn, queue_arn) && !(q->id && !strcmp(q->id, other_id)) &&
            !(other && s_same_opt(q->suffix, other)))
            return (int)k;
    }
    return -1;
}

bool dn_setup_queue_config_matches(const struct dn_s3_queue_config *q, const char *queue_arn,
                                   const char *prefix, const char *suffix)
{
    bool created = false;
    for (size_t i = 0; i < q->nevents; i++)
        created |= !strcmp(q->events[i], "s3:ObjectCreated:*");
    return created && q->queue_arn && !strcmp(q->queue_arn, queue_arn) &&
           s_same_opt(q->prefix, prefix) && s_same_opt(q->suffix, suffix);
}

bool dn_setup_filter_selects(const char *prefix, const char *suffix, const char *key)
{
    size_t k = strlen(key), s = suffix ? strlen(suffix) : 0;
    if (prefix && strncmp(key, prefix, strlen(prefix)))
        return false;
    /* S3 compares suffixes exactly; dancer's own filter ignores case, and
     * either way a match here means the result would be sent back. */
    return !s || (k >= s && !strcasecmp(key + k - s, suffix));
}

bool dn_setup_glob(const char *pattern, const char *s)
{
    if (!*pattern)
        return !*s;
    if (*pattern == '*')
        return dn_setup_glob(pattern + 1, s) || (*s && dn_setup_glob(pattern, s + 1));
    if (!*s)
        return false;
    if (*pattern != '?' && tolower((unsigned char)*pattern) != tolower((unsigned char)*s))
        return false;
    return dn_setup_glob(pattern + 1, s + 1);
}
