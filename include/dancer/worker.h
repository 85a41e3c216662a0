/*
 * worker.h — the SQS worker and its companion commands: `dancer worker`,
 * `reprocess`, `setup` and `doctor` (module src/worker/, library dn_worker).
 *
 * The worker loop, in one paragraph: a receiver thread long-polls the queue
 * (at most DANCER_PREFETCH_BATCHES batches ahead of the analysis); the loop
 * thread parses each message into jobs, drops duplicates (same bucket, key
 * and ETag, within the batch and across recent ones) and jobs whose result
 * already exists for that ETag, and hands the rest to the analysis thread as
 * one batch (analyzer.h); a heartbeat thread extends the visibility of every
 * message in flight; each finished job's result is written to S3 and a
 * message is deleted once all its jobs have their results. A transient
 * failure makes the message visible again after an exponential backoff, so
 * the queue's RedrivePolicy moves it to the dead-letter queue after
 * maxReceiveCount receives; nothing is deleted without its result written.
 * SIGTERM, SIGINT or an EC2 Spot / Auto Scaling termination notice drains:
 * no new receive, in-flight jobs get DANCER_DRAIN_GRACE_S, the rest is
 * released (visible again at once).
 *
 * Thread rules: every function here is called from one thread (the CLI's);
 * dn_worker_run starts and joins its own threads before it returns.
 */
#ifndef DANCER_WORKER_H
#define DANCER_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dancer/err.h"

struct cJSON;
struct dn_analyzer;
struct dn_config;
struct dn_creds_provider;
struct dn_http_pool;
struct dn_s3_client;
struct dn_sqs_client;

/* ---- AWS plumbing shared by the four commands ------------------------- */

struct dn_worker_aws {
    struct dn_http_pool *http;
    struct dn_creds_provider *creds;
    struct dn_s3_client *s3;
    struct dn_sqs_client *sqs;
};

/* Opens the HTTP pool, the credentials chain and both clients from cfg
 * (which must outlive them). `out` is zeroed first, so closing after a
 * failure is safe. Errors: DN_ERR_CONFIG (no region, bad endpoint),
 * DN_ERR_INTERNAL. */
int dn_worker_aws_open(const struct dn_config *cfg, struct dn_worker_aws *out,
                        struct dn_err *err);
void dn_worker_aws_close(struct dn_worker_aws *c);

/* SQS_QUEUE_URL, else GetQueueUrl(SQS_QUEUE_NAME), into url[len].
 * Errors: DN_ERR_CONFIG (neither set), DN_ERR_NOT_FOUND (no such queue),
 * the SQS client's. */
int dn_worker_queue_url(const struct dn_config *cfg, struct dn_sqs_client *sqs, char *url,
                        size_t len, struct dn_err *err);

/* ---- results ---------------------------------------------------------- */

/* Where the result of s3://bucket/key goes: RESULTS_BUCKET (default: the
 * source bucket) and RESULTS_PREFIX + the key without S3_PREFIX, extension
 * replaced by ".json": uploads/u1/s2/x.mp4 -> results/u1/s2/x.json. A prefix
 * without a trailing '/' names a folder, as in the event filter. *rkey is
 * malloc'd. Errors: DN_ERR_CONFIG (the result would overwrite the source),
 * DN_ERR_RESOURCE. */
int dn_worker_result_location(const struct dn_config *cfg, const char *bucket, const char *key,
                              char *rbucket, size_t rlen, char **rkey, struct dn_err *err);

enum dn_result_state {
    DN_RESULT_ABSENT,  /* no result object */
    DN_RESULT_CURRENT, /* a result (or error result) for this source ETag exists */
    DN_RESULT_STALE,   /* a result for another version of the upload exists */
};

/* Whether a result for the upload version `source_etag` (quoted or not)
 * exists: HeadObject of the result (user metadata source-etag, written by
 * dn_worker_result_put), falling back to the document's source.etag for a
 * result written by other means. Errors: the S3 client's; DN_ERR_AUTH when
 * the role may not read results (HeadObject then answers 403 even for a
 * missing key), which callers treat as "unknown". */
int dn_worker_result_state(struct dn_s3_client *s3, const char *rbucket, const char *rkey,
                           const char *source_etag, enum dn_result_state *state,
                           struct dn_err *err);

/* Writes `doc` as the result object, with the source ETag as user metadata
 * (x-amz-meta-source-etag) so the next check is one HeadObject. */
int dn_worker_result_put(struct dn_s3_client *s3, const char *rbucket, const char *rkey,
                         const struct cJSON *doc, const char *source_etag, struct dn_err *err);

/* `etag` without quotes and lower-cased into out[len] ("" for NULL). */
void dn_worker_etag_normalize(const char *etag, char *out, size_t len);

/* ---- the worker --------------------------------------------------------- */

struct dn_worker_options {
    bool once;           /* one receive, its jobs, then return */
    bool exit_when_idle; /* return when a receive brings nothing and nothing is in flight */
    bool force;          /* analyse even when a current result exists */
};

/* What a run did; also the numbers of the status line. */
struct dn_worker_stats {
    uint64_t messages;   /* received (each receive of a message counts) */
    uint64_t jobs;       /* jobs parsed from them */
    uint64_t analysed;   /* jobs handed to the analyzer */
    uint64_t ok;         /* results written */
    uint64_t failed;     /* error results written (permanent failures) */
    uint64_t retried;    /* messages released for a retry (transient failures) */
    uint64_t skipped;    /* duplicates and up-to-date results */
    uint64_t ignored;    /* test events, unexpected events, unusable bodies */
    uint64_t deleted;    /* messages deleted */
    uint64_t released;   /* messages released at shutdown */
};

/* Runs the worker until --once / --exit-when-idle says so, or a drain ends.
 * `analyzer` and `aws` are borrowed. Installs SIGTERM/SIGINT handlers for
 * the duration of the call (the previous ones are restored). Returns 0 after
 * a normal end or a drain, whatever happened to individual videos; negative
 * only when the worker could not run: DN_ERR_CONFIG (no queue),
 * DN_ERR_NOT_FOUND (queue missing), DN_ERR_AUTH, DN_ERR_INTERNAL. stats may
 * be NULL. */
int dn_worker_run(const struct dn_config *cfg, const struct dn_worker_options *opt,
                  struct dn_worker_aws *aws, struct dn_analyzer *analyzer,
                  struct dn_worker_stats *stats, struct dn_err *err);

/* ---- reprocess ---------------------------------------------------------- */

struct dn_reprocess_options {
    const char *bucket;  /* required */
    const char *prefix;  /* "" for the whole bucket */
    bool enqueue;        /* send S3-event-shaped messages instead of analysing here */
    bool force;          /* include uploads with a current result */
    bool dry_run;        /* list what would be done, do nothing */
    bool progress_bar;   /* a redrawn bar (a terminal) rather than one line per video */
    int batch;           /* videos per local analysis batch, >= 1 */
    FILE *out;           /* progress and the summary; required */
};

struct dn_reprocess_stats {
    uint64_t listed;     /* objects under the prefix with the upload suffix */
    uint64_t current;    /* skipped: result up to date */
    uint64_t todo;       /* to process (or enqueue) */
    uint64_t ok, failed, retry; /* local: results, error results, transient failures */
    uint64_t enqueued;   /* --enqueue: messages sent */
};

/* Lists s3://bucket/prefix (S3_SUFFIX filter), skips uploads whose result is
 * current unless force, then analyses the rest here in batches (analyzer
 * required), or enqueues them (SQS client and queue required), or only
 * lists them (dry_run). Re-running continues where a stopped run ended,
 * because finished uploads have current results. Returns 0 when every
 * upload got a result or an error result (or was enqueued); DN_ERR_NETWORK
 * when some failed transiently (run again); the clients' errors. */
int dn_reprocess_run(const struct dn_config *cfg, const struct dn_reprocess_options *opt,
                     struct dn_worker_aws *aws, struct dn_analyzer *analyzer,
                     struct dn_reprocess_stats *stats, struct dn_err *err);

/* The message body --enqueue sends for one object: an S3 notification with
 * one ObjectCreated record (eventName "ObjectCreated:Reprocess"), plus
 * "dancerForce": true when force. malloc'd; NULL when out of memory. */
char *dn_reprocess_event_body(const char *bucket, const char *key, uint64_t size,
                              const char *etag, bool force);

/* ---- setup -------------------------------------------------------------- */

struct dn_setup_options {
    const char *bucket;     /* required */
    const char *queue;      /* queue name, required */
    const char *dlq;        /* NULL: "<queue>-dlq" */
    int max_receive_count;  /* 1..1000 */
    const char *prefix;     /* notification key prefix ("uploads/") */
    const char *suffix;     /* notification key suffix (".mp4") */
    FILE *out;              /* one line per step; required */
};

/* Makes the live configuration match: DLQ, queue with RedrivePolicy and the
 * recommended attributes, the least-privilege queue policy (other statements
 * kept), the bucket notification (other configurations kept). Each step
 * prints "created", "updated" or "unchanged", so a second run prints only
 * "unchanged". Errors: the clients' (DN_ERR_CONFLICT when S3 refuses
 * overlapping notification configurations: the message names them). */
int dn_setup_run(const struct dn_config *cfg, const struct dn_setup_options *opt,
                 struct dn_worker_aws *aws, struct dn_err *err);

/* --print: the same documents and the equivalent AWS CLI commands, as a
 * shell script. Touches nothing; when aws is not NULL and the queue exists,
 * its ARN gives the account id, else the script asks STS for it. */
int dn_setup_print(const struct dn_config *cfg, const struct dn_setup_options *opt,
                   struct dn_worker_aws *aws, struct dn_err *err);

/* The documents, malloc'd (NULL when out of memory); exposed for tests. */
char *dn_setup_policy_json(const char *queue_arn, const char *account, const char *bucket);
char *dn_setup_redrive_json(const char *dlq_arn, int max_receive_count);

/* ---- doctor ------------------------------------------------------------- */

/* Checks the live set-up named by the settings (queue, S3_BUCKET, S3_PREFIX,
 * S3_SUFFIX, RESULTS_*), printing one "PASS|FAIL|SKIP  check: detail" line
 * per item to `out`, with the fix after each FAIL. *nfail gets the number
 * of FAIL lines. Returns 0 when the checks ran (whatever they found). */
int dn_doctor_run(const struct dn_config *cfg, struct dn_worker_aws *aws, FILE *out, int *nfail,
                  struct dn_err *err);

#endif
