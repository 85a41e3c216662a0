/*
 * s3_event.h — S3 event notifications, as they arrive in SQS message bodies,
 * turned into jobs (one per accepted record).
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 *
 * Accepted bodies:
 *   {"Records": [...]}               S3's notification, one or more records
 *   {"Event": "s3:TestEvent", ...}   sent by S3 when a configuration is saved:
 *                                    recognised, no jobs (test_event = true)
 *   {"Type": "Notification", "Message": "<one of the above>"}
 *                                    the same delivered through SNS
 *   {"bucket": "b", "key": "k"}      the old service's direct test body (key
 *                                    taken literally, size unknown)
 * Object keys in records are form-URL-encoded by S3 ("a+b%2Bc" is "a b+c"):
 * '+' becomes a space first, then %XX is decoded; the result must be UTF-8.
 *
 * Pure functions; thread-safe (JSON parses are serialised, see src/aws/aws_json.h).
 */
#ifndef DANCER_S3_EVENT_H
#define DANCER_S3_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dancer/err.h"

struct dn_config;

#define DN_S3_EVENT_MAX_BODY (1u << 20) /* SQS's largest message: 1 MiB */

/* One object to process. Strings owned by the batch. */
struct dn_s3_job {
    char *bucket;
    char *key;             /* decoded UTF-8 */
    uint64_t size;         /* bytes; valid when size_known */
    bool size_known;       /* false for the direct test body */
    char etag[80];         /* unquoted hex as in the event; "" when absent */
    char sequencer[64];    /* orders events of one key; "" when absent */
    char event_time[40];   /* ISO 8601 as sent; "" when absent */
    char event_name[64];   /* "ObjectCreated:Put"; "" for the direct body */
};

/* Checks a record must pass. Strings are borrowed; NULL or "" skips a check. */
struct dn_s3_event_filter {
    const char *event_source; /* exact eventSource, e.g. "aws:s3" */
    const char *event_prefix; /* eventName prefix, e.g. "ObjectCreated" */
    const char *bucket;       /* exact bucket name */
    const char *prefix;       /* key prefix; one without a trailing '/' names a
                               * folder: "uploads" accepts "uploads/a.mp4", not
                               * "uploads2/a.mp4" */
    const char *suffix;       /* key suffix, compared case-insensitively
                               * (".mp4" accepts "walk.MP4") */
    size_t max_body;          /* larger bodies are rejected; 0: DN_S3_EVENT_MAX_BODY */
};

/* EXPECTED_S3_EVENT_SOURCE, EXPECTED_S3_EVENT_PREFIX, S3_BUCKET, S3_PREFIX,
 * S3_SUFFIX. The filter points into cfg: keep cfg alive while using it. */
void dn_s3_event_filter_from_config(const struct dn_config *cfg, struct dn_s3_event_filter *out);

/* Why a record was not turned into a job, for the worker's log. */
struct dn_s3_event_skip {
    int record;        /* index in Records */
    char reason[320];
};

struct dn_s3_event_batch {
    struct dn_s3_job *jobs;
    size_t njobs;
    struct dn_s3_event_skip *skips;
    size_t nskips;
    bool test_event;   /* s3:TestEvent: nothing to do, delete the message */
    bool force;        /* "dancerForce": true beside Records (`dancer reprocess
                        * --enqueue --force`): analyse even if a result exists */
};

/* Parses one message body. Returns 0 when it is a notification (jobs and
 * skips filled; both may be empty for a TestEvent). Errors: DN_ERR_BAD_INPUT
 * when the body itself is unusable — larger than max_body, not JSON, not an
 * S3 notification, empty Records — with the reason in err; DN_ERR_INTERNAL
 * (out of memory). `out` is overwritten; clean it up in every case. */
int dn_s3_event_parse(const char *body, size_t len, const struct dn_s3_event_filter *filter,
                      struct dn_s3_event_batch *out, struct dn_err *err);

void dn_s3_event_batch_clean_up(struct dn_s3_event_batch *batch);

/* Form-URL-decodes in[0..len) ('+' is a space, then %XX) into a malloc'd
 * string *out. Returns 0; DN_E(DN_ERR_BAD_INPUT) for a bad escape, an
 * encoded NUL or invalid UTF-8 (*out NULL); DN_E(DN_ERR_INTERNAL) on OOM. */
int dn_s3_key_decode(const char *in, size_t len, char **out);

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool dn_utf8_valid(const char *s, size_t len);

#endif
