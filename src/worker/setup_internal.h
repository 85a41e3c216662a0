/*
 * setup_internal.h — what `setup` and `doctor` share (private to
 * src/worker): the documents `setup` writes, and the rules `doctor` checks
 * them by. Single-threaded callers (the CLI).
 */
#ifndef DANCER_SETUP_INTERNAL_H
#define DANCER_SETUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct dn_s3_notification;
struct dn_s3_queue_config;

/* The statement dancer owns in a queue policy, found and replaced by Sid so
 * that other statements survive a re-run. */
#define DN_SETUP_POLICY_SID "AllowS3ToSendMessages"
/* The Ids of dancer's queue configurations in the bucket notification: one
 * per case of the suffix (dn_setup_suffix_cases). */
#define DN_SETUP_NOTIFICATION_ID "dancer-uploads"
#define DN_SETUP_NOTIFICATION_ID_UPPER "dancer-uploads-uppercase"
#define DN_SETUP_SUFFIX_MAX 256
/* The recommended queue attributes (the old guide's, minus its invalid
 * MaxReceiveCount attribute, which belongs inside RedrivePolicy). */
#define DN_SETUP_RETENTION_S "1209600" /* 14 days */

/* The least-privilege statement: principal s3.amazonaws.com, action
 * SQS:SendMessage only, resource the queue, aws:SourceAccount and
 * aws:SourceArn conditions. NULL when out of memory. */
struct cJSON *dn_setup_statement(const char *queue_arn, const char *account, const char *bucket);

/* `existing` (a Policy attribute, may be NULL or "") with dancer's statement
 * put in place of one with the same Sid, others kept. *changed says whether
 * that differs from `existing`. malloc'd JSON; NULL when out of memory. An
 * unparsable existing policy is replaced (and *changed set). */
char *dn_setup_policy_merge(const char *existing, const char *queue_arn, const char *account,
                            const char *bucket, bool *changed);

/* maxReceiveCount of a RedrivePolicy document: SQS returns it as a number
 * or as a string. NaN when it is neither (or redrive is NULL). */
double dn_setup_redrive_count(const struct cJSON *redrive);

/* Field `index` (0-based, ':'-separated) of an ARN into out: 4 is the
 * account, 5 the resource name. False when the ARN has fewer fields. */
bool dn_setup_arn_field(const char *arn, int index, char *out, size_t len);

/* The queue configuration dancer wants for queue_arn, prefix and suffix
 * (strings borrowed; events points at a static array). */
void dn_setup_queue_config(struct dn_s3_queue_config *q, const char *queue_arn, const char *prefix,
                           const char *suffix);

/* S3 compares a notification's suffix with the key case-sensitively, and
 * cameras name files .mp4 or .MP4 (.mov or .MOV): the suffix in lower and in
 * upper case, the notification filters dancer sets up (the worker's own
 * S3_SUFFIX filter ignores case). Returns how many: 2, or 1 when the
 * suffix has no letters (an empty one: a configuration without a suffix
 * filter). Configuration i has Id dn_setup_notification_ids[i]. */
int dn_setup_suffix_cases(const char *suffix, char out[2][DN_SETUP_SUFFIX_MAX]);
extern const char *const dn_setup_notification_ids[2];

/* Index of the queue configuration for case i of the suffix (cases[0..ncase)
 * from dn_setup_suffix_cases): the one sending to queue_arn with exactly
 * that suffix, else the one with its Id, else, for i = 0, another one
 * sending to queue_arn that is not the other case's (a filter since
 * changed); -1 when none. */
int dn_setup_find_queue_config(const struct dn_s3_notification *n, const char *queue_arn, int i,
                               char cases[2][DN_SETUP_SUFFIX_MAX], int ncase);

/* Whether a configuration sends ObjectCreated events with exactly this
 * prefix and suffix ("" and NULL alike). */
bool dn_setup_queue_config_matches(const struct dn_s3_queue_config *q, const char *queue_arn,
                                   const char *prefix, const char *suffix);

/* Whether a notification filter (prefix, suffix; NULL = none) selects key. */
bool dn_setup_filter_selects(const char *prefix, const char *suffix, const char *key);

/* Case-insensitive IAM string match with '*' and '?' wildcards (StringLike,
 * ArnLike). */
bool dn_setup_glob(const char *pattern, const char *s);

#endif
