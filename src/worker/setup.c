/* setup.c — `dancer setup`: queue, dead-letter queue, queue policy and
 * bucket notification, made to match idempotently; and `--print`. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/config.h"
#include "dancer/s3.h"
#include "dancer/sqs.h"
#include "dancer/worker.h"
#include "setup_internal.h"

struct s_setup {
    const struct dn_config *cfg;
    const struct dn_setup_options *opt;
    struct dn_worker_aws *aws;
    char dlq_name[DN_CFG_STR];
    char queue_url[DN_CFG_URL], dlq_url[DN_CFG_URL];
    char queue_arn[512], dlq_arn[512], account[64];
    char vis[16], wait[16];
    struct dn_s3_notification notif; /* the bucket's, read once before anything is created */
};

static void s_step(struct s_setup *s, const char *what, const char *state, const char *detail)
{
    fprintf(s->opt->out, "%-9s %s%s%s\n", state, what, detail ? ": " : "", detail ? detail : "");
    fflush(s->opt->out);
}

/* Whether the queue's current value of `name` already says `want`. A
 * RedrivePolicy compares as JSON (SQS may return it reformatted, with the
 * count as a number or a string). */
static bool s_attr_same(const char *name, const char *have, const char *want)
{
    if (!have)
        return false;
    if (strcmp(name, "RedrivePolicy"))
        return !strcmp(have, want);
    cJSON *a = cJSON_Parse(have), *b = cJSON_Parse(want);
    const cJSON *ta = cJSON_GetObjectItem(a, "deadLetterTargetArn");
    const cJSON *tb = cJSON_GetObjectItem(b, "deadLetterTargetArn");
    const cJSON *cb = cJSON_GetObjectItem(b, "maxReceiveCount");
    bool same = cJSON_IsString(ta) && cJSON_IsString(tb) && !strcmp(ta->valuestring, tb->valuestring) &&
                dn_setup_redrive_count(a) == cJSON_GetNumberValue(cb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return same;
}

/* The queue `name` with `attrs`: created when missing, else the attributes
 * that differ are set. Prints one step line; url receives the queue URL. */
static int s_ensure_queue(struct s_setup *s, const char *what, const char *name,
                          const struct dn_sqs_attr *attrs, size_t n, char *url, size_t len,
                          struct dn_err *err)
{
    struct dn_sqs_attrs have = {0};
    struct dn_sqs_attr diff[8];
    char names[256] = "";
    size_t nd = 0;
    int rc = dn_sqs_get_queue_url(s->aws->sqs, name, url, len, err);
    if (rc == DN_E(DN_ERR_NOT_FOUND)) {
        dn_err_clear(err);
        if (!(rc = dn_sqs_create_queue(s->aws->sqs, name, attrs, n, url, len, err)))
            s_step(s, what, "created", url);
        return rc;
    }
    if (rc || (rc = dn_sqs_get_attributes(s->aws->sqs, url, NULL, 0, &have, err)))
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        if (s_attr_same(attrs[i].name, dn_sqs_attrs_get(&have, attrs[i].name), attrs[i].value))
            continue;
        diff[nd++] = attrs[i];
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", nd > 1 ? ", " : "",
                 attrs[i].name);
    }
    if (nd && !(rc = dn_sqs_set_attributes(s->aws->sqs, url, diff, nd, err)))
        s_step(s, what, "updated", names);
    else if (!nd)
        s_step(s, what, "unchanged", url);
cleanup:
    dn_sqs_attrs_clean_up(&have);
    return rc;
}

static int s_queues(struct s_setup *s, struct dn_err *err)
{
    char what[DN_CFG_STR + 32], *redrive = NULL;
    struct dn_sqs_attr dlq_attrs[] = {{"MessageRetentionPeriod", DN_SETUP_RETENTION_S}};
    snprintf(what, sizeof(what), "dead-letter queue %s", s->dlq_name);
    int rc = s_ensure_queue(s, what, s->dlq_name, dlq_attrs, 1, s->dlq_url, sizeof(s->dlq_url), err);
    if (!rc)
        rc = dn_sqs_queue_arn(s->aws->sqs, s->dlq_url, s->dlq_arn, sizeof(s->dlq_arn), err);
    if (!rc && !(redrive = dn_setup_redrive_json(s->dlq_arn, s->opt->max_receive_count)))
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    if (rc)
        return rc;
    struct dn_sqs_attr attrs[] = {
        {"VisibilityTimeout", s->vis},
        {"MessageRetentionPeriod", DN_SETUP_RETENTION_S},
        {"ReceiveMessageWaitTimeSeconds", s->wait},
        {"RedrivePolicy", redrive},
    };
    snprintf(what, sizeof(what), "queue %s", s->opt->queue);
    rc = s_ensure_queue(s, what, s->opt->queue, attrs, 4, s->queue_url, sizeof(s->queue_url), err);
    if (!rc)
        rc = dn_sqs_queue_arn(s->aws->sqs, s->queue_url, s->queue_arn, sizeof(s->queue_arn), err);
    if (!rc && !dn_setup_arn_field(s->queue_arn, 4, s->account, sizeof(s->account)))
        rc = dn_err_set(err, DN_ERR_NETWORK, "queue ARN %s names no account", s->queue_arn);
    free(redrive);
    return rc;
}

static int s_policy(struct s_setup *s, struct dn_err *err)
{
    static const char *const names[] = {"Policy"};
    struct dn_sqs_attrs have = {0};
    bool changed;
    int rc = dn_sqs_get_attributes(s->aws->sqs, s->queue_url, names, 1, &have, err);
    if (rc)
        return rc;
    const char *old = dn_sqs_attrs_get(&have, "Policy");
    char *policy = dn_setup_policy_merge(old, s->queue_arn, s->account, s->opt->bucket, &changed);
    if (!policy) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    } else if (changed) {
        struct dn_sqs_attr a = {"Policy", policy};
        if (!(rc = dn_sqs_set_attributes(s->aws->sqs, s->queue_url, &a, 1, err)))
            s_step(s, "queue policy (s3.amazonaws.com may SendMessage from this bucket and account)",
                   old && *old ? "updated" : "created", NULL);
    } else {
        s_step(s, "queue policy", "unchanged", NULL);
    }
    free(policy);
    dn_sqs_attrs_clean_up(&have);
    return rc;
}

/* One queue configuration per case of the suffix (dn_setup_suffix_cases:
 * S3 matches suffixes case-sensitively), changed in one PUT. */
static int s_notification(struct s_setup *s, struct dn_err *err)
{
    struct dn_s3_notification *n = &s->notif;
    char cases[2][DN_SETUP_SUFFIX_MAX], what[2][DN_CFG_STR + 64];
    const char *state[2] = {"unchanged", "unchanged"};
    bool put = false;
    int ncase = dn_setup_suffix_cases(s->opt->suffix, cases), rc = 0;
    for (int i = 0; i < ncase && !rc; i++) {
        snprintf(what[i], sizeof(what[i]), "bucket notification s3://%s/%s*%s -> %s", s->opt->bucket,
                 s->opt->prefix, cases[i], s->opt->queue);
        int at = dn_setup_find_queue_config(n, s->queue_arn, i, cases, ncase);
        if (at >= 0 && dn_setup_queue_config_matches(&n->queues[at], s->queue_arn, s->opt->prefix,
                                                      cases[i]))
            continue;
        struct dn_s3_queue_config want;
        dn_setup_queue_config(&want, s->queue_arn, s->opt->prefix, cases[i]);
        want.id = (char *)dn_setup_notification_ids[i];
        if (at >= 0 && n->queues[at].id)
            want.id = n->queues[at].id; /* replace that configuration, whatever its Id */
        rc = dn_s3_notification_upsert_queue(n, &want, err);
        state[i] = at >= 0 ? "updated" : "created";
        put = true;
    }
    if (!rc && put && (rc = dn_s3_put_notification(s->aws->s3, s->opt->bucket, n, err))) {
        if (rc == DN_E(DN_ERR_BAD_INPUT) || rc == DN_E(DN_ERR_CONFLICT))
            dn_err_prefix(err, "another configuration of the bucket overlaps (same events, "
                          "overlapping prefix/suffix); S3 said: ");
    }
    for (int i = 0; i < ncase && !rc; i++)
        s_step(s, what[i], state[i], NULL);
    return rc;
}

/* The bucket's notification configuration, read before anything is
 * created: a missing or unreadable bucket (a typo, another account's, a
 * missing s3:GetBucketNotification grant) would otherwise fail at the last
 * step and leave two new queues behind. s_notification changes it. */
static int s_read_bucket(struct s_setup *s, struct dn_err *err)
{
    int rc = dn_s3_get_notification(s->aws->s3, s->opt->bucket, &s->notif, err);
    if (rc)
        dn_err_prefix(err, "bucket %s (nothing was created or changed): ", s->opt->bucket);
    return rc;
}

static void s_init(struct s_setup *s, const struct dn_config *cfg,
                   const struct dn_setup_options *opt, struct dn_worker_aws *aws)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->opt = opt;
    s->aws = aws;
    if (opt->dlq && *opt->dlq)
        snprintf(s->dlq_name, sizeof(s->dlq_name), "%s", opt->dlq);
    else
        snprintf(s->dlq_name, sizeof(s->dlq_name), "%s-dlq", opt->queue);
    snprintf(s->vis, sizeof(s->vis), "%d", cfg->sqs_visibility_timeout_s);
    snprintf(s->wait, sizeof(s->wait), "%d", cfg->sqs_long_poll_timeout_s);
}

int dn_setup_run(const struct dn_config *cfg, const struct dn_setup_options *opt,
                 struct dn_worker_aws *aws, struct dn_err *err)
{
    struct s_setup s;
    s_init(&s, cfg, opt, aws);
    int rc = s_read_bucket(&s, err);
    if (!rc)
        rc = s_queues(&s, err);
    if (!rc)
        rc = s_policy(&s, err);
    if (!rc)
        rc = s_notification(&s, err);
    if (!rc)
        fprintf(opt->out, "done: run the worker with SQS_QUEUE_URL=%s S3_BUCKET=%s\n", s.queue_url,
                opt->bucket);
    dn_s3_notification_clean_up(&s.notif);
    return rc;
}

/* ---- --print --------------------------------------------------------------- */

/* JSON inside an unquoted heredoc: the shell must leave it alone except
 * for ${ACCOUNT_ID}-style variables we put there on purpose. */
static void s_heredoc(FILE *out, const char *file, const char *json)
{
    fprintf(out, "cat > %s <<EOF\n", file);
    for (const char *p = json; *p; p++) {
        if ((*p == '`' || *p == '\\') || (*p == '$' && p[1] != '{'))
            fputc('\\', out);
        fputc(*p, out);
    }
    fputs("\nEOF\n", out);
}

static char *s_attrs_json(const char *vis, const char *wait, const char *redrive)
{
    cJSON *a = cJSON_CreateObject();
    if (vis)
        cJSON_AddStringToObject(a, "VisibilityTimeout", vis);
    cJSON_AddStringToObject(a, "MessageRetentionPeriod", DN_SETUP_RETENTION_S);
    if (wait)
        cJSON_AddStringToObject(a, "ReceiveMessageWaitTimeSeconds", wait);
    if (redrive)
        cJSON_AddStringToObject(a, "RedrivePolicy", redrive);
    char *json = cJSON_Print(a);
    cJSON_Delete(a);
    return json;
}

static void s_print_queues(struct s_setup *s, FILE *out)
{
    char *dlq_attrs = s_attrs_json(NULL, NULL, NULL);
    fprintf(out, "\n# 1. dead-letter queue\n");
    s_heredoc(out, "dancer-dlq-attributes.json", dlq_attrs ? dlq_attrs : "{}");
    fprintf(out, "aws sqs create-queue --region \"$REGION\" --queue-name %s --attributes "
            "file://dancer-dlq-attributes.json\n", s->dlq_name);
    char arn[512];
    snprintf(arn, sizeof(arn), "arn:aws:sqs:${REGION}:${ACCOUNT_ID}:%s", s->dlq_name);
    char *redrive = dn_setup_redrive_json(arn, s->opt->max_receive_count);
    char *attrs = s_attrs_json(s->vis, s->wait, redrive);
    fprintf(out, "\n# 2. queue: maxReceiveCount lives inside RedrivePolicy (a MaxReceiveCount\n"
            "#    queue attribute, as the old set-up guide had it, is rejected by SQS)\n");
    s_heredoc(out, "dancer-queue-attributes.json", attrs ? attrs : "{}");
    fprintf(out, "aws sqs create-queue --region \"$REGION\" --queue-name %s --attributes "
            "file://dancer-queue-attributes.json\n"
            "QUEUE_URL=$(aws sqs get-queue-url --region \"$REGION\" --queue-name %s --query "
            "QueueUrl --output text)\n", s->opt->queue, s->opt->queue);
    free(dlq_attrs);
    free(redrive);
    free(attrs);
}

static void s_print_policy(struct s_setup *s, FILE *out)
{
    char qarn[512];
    snprintf(qarn, sizeof(qarn), "arn:aws:sqs:${REGION}:${ACCOUNT_ID}:%s", s->opt->queue);
    char *policy = dn_setup_policy_json(qarn, "${ACCOUNT_ID}", s->opt->bucket);
    cJSON *wrap = cJSON_CreateObject();
    cJSON_AddStringToObject(wrap, "Policy", policy ? policy : "");
    char *attr = cJSON_Print(wrap);
    fprintf(out, "\n# 3. queue policy: only s3.amazonaws.com, only SQS:SendMessage, only from\n"
            "#    this bucket in this account (replaces the queue's whole Policy)\n");
    s_heredoc(out, "dancer-queue-policy.json", attr ? attr : "{}");
    fprintf(out, "aws sqs set-queue-attributes --region \"$REGION\" --queue-url \"$QUEUE_URL\" "
            "--attributes file://dancer-queue-policy.json\n");
    cJSON_Delete(wrap);
    free(policy);
    free(attr);
}

static void s_print_notification(struct s_setup *s, FILE *out, size_t others)
{
    cJSON *doc = cJSON_CreateObject(), *qs = cJSON_AddArrayToObject(doc, "QueueConfigurations");
    char qarn[512], cases[2][DN_SETUP_SUFFIX_MAX];
    snprintf(qarn, sizeof(qarn), "arn:aws:sqs:${REGION}:${ACCOUNT_ID}:%s", s->opt->queue);
    int ncase = dn_setup_suffix_cases(s->opt->suffix, cases);
    for (int c = 0; c < ncase; c++) { /* one per case: S3 matches suffixes case-sensitively */
        cJSON *q = cJSON_CreateObject();
        cJSON_AddItemToArray(qs, q);
        cJSON_AddStringToObject(q, "Id", dn_setup_notification_ids[c]);
        cJSON_AddStringToObject(q, "QueueArn", qarn);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(q, "Events"), cJSON_CreateString("s3:ObjectCreated:*"));
        cJSON *rules = cJSON_AddArrayToObject(
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(q, "Filter"), "Key"), "FilterRules");
        const char *vals[2] = {s->opt->prefix, cases[c]}, *names[2] = {"prefix", "suffix"};
        for (int i = 0; i < 2; i++) {
            if (!vals[i] || !*vals[i])
                continue;
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "Name", names[i]);
            cJSON_AddStringToObject(r, "Value", vals[i]);
            cJSON_AddItemToArray(rules, r);
        }
    }
    char *json = cJSON_Print(doc);
    fprintf(out, "\n# 4. bucket notification. put-bucket-notification-configuration REPLACES the\n"
            "#    bucket's whole configuration: add the bucket's other configurations\n"
            "#    (aws s3api get-bucket-notification-configuration --bucket %s) to this\n"
            "#    file first. `dancer setup` itself keeps them.%s\n", s->opt->bucket,
            others ? "\n#    This bucket has other notification configurations right now." : "");
    s_heredoc(out, "dancer-notification.json", json ? json : "{}");
    fprintf(out, "aws s3api put-bucket-notification-configuration --region \"$REGION\" --bucket %s "
            "--notification-configuration file://dancer-notification.json\n", s->opt->bucket);
    cJSON_Delete(doc);
    free(json);
}

/* What the live account already tells (account id, other configurations);
 * nothing when the queue or bucket is missing or unreachable. */
static void s_peek(struct s_setup *s, size_t *others)
{
    struct dn_err err = {0};
    struct dn_s3_notification n = {0};
    char url[DN_CFG_URL];
    *others = 0;
    if (!s->aws)
        return;
    if (!dn_sqs_get_queue_url(s->aws->sqs, s->opt->queue, url, sizeof(url), &err) &&
        !dn_sqs_queue_arn(s->aws->sqs, url, s->queue_arn, sizeof(s->queue_arn), &err))
        dn_setup_arn_field(s->queue_arn, 4, s->account, sizeof(s->account));
    if (!dn_s3_get_notification(s->aws->s3, s->opt->bucket, &n, &err)) {
        char cases[2][DN_SETUP_SUFFIX_MAX];
        int ncase = dn_setup_suffix_cases(s->opt->suffix, cases), ours = 0, at[2] = {-1, -1};
        for (int i = 0; i < ncase && s->queue_arn[0]; i++) {
            at[i] = dn_setup_find_queue_config(&n, s->queue_arn, i, cases, ncase);
            ours += at[i] >= 0 && (i == 0 || at[i] != at[0]);
        }
        *others = n.nqueues - (size_t)ours + (n.xml_before != NULL) + (n.xml_after != NULL);
    }
    dn_s3_notification_clean_up(&n);
}

int dn_setup_print(const struct dn_config *cfg, const struct dn_setup_options *opt,
                   struct dn_worker_aws *aws, struct dn_err *err)
{
    struct s_setup s;
    size_t others;
    FILE *out = opt->out;
    (void)err;
    s_init(&s, cfg, opt, aws);
    s_peek(&s, &others);
    fprintf(out, "#!/bin/sh\n# What `dancer setup --bucket %s --queue %s` does, as AWS CLI commands.\n"
            "set -e\nREGION=%s\n", opt->bucket, opt->queue,
            aws ? dn_sqs_client_region(aws->sqs) : (cfg->aws_region[0] ? cfg->aws_region : "us-east-1"));
    if (s.account[0])
        fprintf(out, "ACCOUNT_ID=%s  # from the existing queue's ARN\n", s.account);
    else
        fprintf(out, "ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)\n");
    s_print_queues(&s, out);
    s_print_policy(&s, out);
    s_print_notification(&s, out, others);
    return 0;
}
