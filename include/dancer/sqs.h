/*
 * sqs.h — the SQS calls dancer makes, over the AWS JSON 1.0 protocol
 * (POST, X-Amz-Target: AmazonSQS.<Op>, Content-Type: application/x-amz-json-1.0).
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/sqs-json-faqs.html
 *
 * Thread rules: a struct dn_sqs_client is immutable after dn_sqs_client_new;
 * every call may run concurrently from any thread (the worker receives while
 * the heartbeat thread extends visibility).
 *
 * Endpoint: AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL when set; otherwise the
 * queue URL's own scheme and host for calls on a queue, and the configured
 * queue URL's (or https://sqs.<region>.amazonaws.com) for the rest.
 *
 * Errors, for every call: DN_ERR_NOT_FOUND (QueueDoesNotExist),
 * DN_ERR_AUTH (AccessDenied, bad or expired credentials), DN_ERR_THROTTLED
 * (RequestThrottled, ThrottlingException after every retry), DN_ERR_NETWORK
 * (connection, timeout, 5xx after every retry, garbled response),
 * DN_ERR_CONFIG (InvalidAttributeName/Value: a bad queue setting),
 * DN_ERR_CONFLICT (ReceiptHandleIsInvalid, MessageNotInflight: the message is
 * no longer ours; QueueAlreadyExists, QueueDeletedRecently), DN_ERR_BAD_INPUT
 * (other 4xx), DN_ERR_CANCELLED, DN_ERR_INTERNAL (out of memory, a malformed
 * batch: the caller's bug). Messages name the operation, the queue, SQS's
 * error code and text, and the request id.
 */
#ifndef DANCER_SQS_H
#define DANCER_SQS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dancer/err.h"

struct dn_config;
struct dn_creds_provider;
struct dn_http_pool;
struct dn_sqs_client;

#define DN_SQS_BATCH_MAX 10  /* entries per batch call, and messages per receive */
#define DN_SQS_WAIT_MAX 20   /* long-poll seconds */
#define DN_SQS_ID_MAX 80     /* batch entry id: [A-Za-z0-9_-]{1,80} */

/* `creds` and `http` are borrowed and must outlive the client.
 * Errors: DN_ERR_CONFIG (no region, bad endpoint or queue URL), DN_ERR_INTERNAL. */
int dn_sqs_client_new(const struct dn_config *cfg, struct dn_creds_provider *creds,
                      struct dn_http_pool *http, struct dn_sqs_client **out, struct dn_err *err);
void dn_sqs_client_destroy(struct dn_sqs_client *c);

/* The signing region in use. Valid for the client's life. */
const char *dn_sqs_client_region(const struct dn_sqs_client *c);

/* --- queues --------------------------------------------------------------- */

/* A queue attribute to send ("VisibilityTimeout", "300"). Policy and
 * RedrivePolicy values are JSON documents as strings. */
struct dn_sqs_attr {
    const char *name;
    const char *value;
};

/* Queue attributes as received; strings owned. */
struct dn_sqs_attrs {
    struct dn_sqs_attr_item {
        char *name;
        char *value;
    } *items;
    size_t n;
};

/* Value of attribute `name`, NULL when absent. Valid until clean-up. */
const char *dn_sqs_attrs_get(const struct dn_sqs_attrs *a, const char *name);
void dn_sqs_attrs_clean_up(struct dn_sqs_attrs *a);

/* GetQueueUrl of queue `name` into url[len]. */
int dn_sqs_get_queue_url(struct dn_sqs_client *c, const char *name, char *url, size_t len,
                         struct dn_err *err);

/* CreateQueue (idempotent while the attributes match; different ones are
 * DN_ERR_CONFLICT QueueAlreadyExists). attrs may be NULL. url may be NULL. */
int dn_sqs_create_queue(struct dn_sqs_client *c, const char *name, const struct dn_sqs_attr *attrs,
                        size_t nattrs, char *url, size_t len, struct dn_err *err);

/* DeleteQueue. */
int dn_sqs_delete_queue(struct dn_sqs_client *c, const char *queue_url, struct dn_err *err);

/* GetQueueAttributes for `names` (NULL: "All"). `out` is overwritten;
 * clean it up in every case. */
int dn_sqs_get_attributes(struct dn_sqs_client *c, const char *queue_url, const char *const *names,
                          size_t nnames, struct dn_sqs_attrs *out, struct dn_err *err);

/* SetQueueAttributes. */
int dn_sqs_set_attributes(struct dn_sqs_client *c, const char *queue_url,
                          const struct dn_sqs_attr *attrs, size_t nattrs, struct dn_err *err);

/* The queue's ARN (attribute QueueArn) into arn[len]: what a bucket
 * notification and a queue policy name. */
int dn_sqs_queue_arn(struct dn_sqs_client *c, const char *queue_url, char *arn, size_t len,
                     struct dn_err *err);

/* Called per queue URL; return nonzero to stop (that value is returned). */
typedef int dn_sqs_url_fn(const char *queue_url, void *user_data);

/* ListQueues whose names start with prefix (NULL: all), following NextToken. */
int dn_sqs_list_queues(struct dn_sqs_client *c, const char *prefix, dn_sqs_url_fn *fn,
                       void *user_data, struct dn_err *err);

/* --- messages ------------------------------------------------------------- */

struct dn_sqs_receive_opts {
    int max_messages;         /* 1..10 */
    int wait_s;               /* long poll, 0..20 */
    int visibility_timeout_s; /* < 0: the queue's default */
    const atomic_bool *cancel; /* NULL, or set (any thread, a signal handler)
                                * to end a waiting receive with DN_ERR_CANCELLED */
};

struct dn_sqs_message {
    char *message_id;
    char *receipt_handle;   /* the handle to delete or extend this receive */
    char *body;             /* NUL-terminated; MD5OfBody verified */
    size_t body_len;
    int receive_count;      /* ApproximateReceiveCount; 0 if absent */
    int64_t sent_ms;        /* SentTimestamp, ms since the epoch; 0 if absent */
    int64_t first_receive_ms; /* ApproximateFirstReceiveTimestamp; 0 if absent */
};

struct dn_sqs_messages {
    struct dn_sqs_message *items;
    size_t n;
};

/* ReceiveMessage with the system attributes above. No message after the
 * wait is success with n == 0 (the expected idle state, not an error). A
 * body whose MD5 does not match MD5OfBody fails the call (DN_ERR_NETWORK);
 * its messages come back after their visibility timeout. `out` is
 * overwritten; clean it up in every case. */
int dn_sqs_receive(struct dn_sqs_client *c, const char *queue_url,
                   const struct dn_sqs_receive_opts *opts, struct dn_sqs_messages *out,
                   struct dn_err *err);
void dn_sqs_messages_clean_up(struct dn_sqs_messages *m);

/* ChangeMessageVisibility of one message. */
int dn_sqs_change_visibility(struct dn_sqs_client *c, const char *queue_url,
                             const char *receipt_handle, int timeout_s, struct dn_err *err);

/* One entry of a batch call. Which fields count depends on the call:
 *   DeleteMessageBatch:           id, receipt_handle
 *   ChangeMessageVisibilityBatch: id, receipt_handle, visibility_timeout_s
 *   SendMessageBatch:             id, body, delay_s
 * Ids are the caller's, unique in the batch, [A-Za-z0-9_-]{1,80}. */
struct dn_sqs_entry {
    const char *id;
    const char *receipt_handle;
    int visibility_timeout_s;
    const char *body;
    int delay_s;
};

/* Outcome of one entry, in the order the entries were given. */
struct dn_sqs_entry_result {
    char id[DN_SQS_ID_MAX + 1];
    bool ok;
    char message_id[128];  /* SendMessageBatch: the new message's id */
    char code[128];        /* failed: SQS's code ("ReceiptHandleIsInvalid") */
    char message[256];     /* failed: SQS's text */
    bool sender_fault;     /* failed: true when the entry itself was wrong */
    enum dn_err_class cls; /* failed: conflict (handle no longer ours),
                            * network (sender_fault false: retry it),
                            * bad_input (anything else) */
};

struct dn_sqs_batch_result {
    struct dn_sqs_entry_result entries[DN_SQS_BATCH_MAX];
    size_t n;
    size_t nfailed;
};

/* The batch calls return 0 when SQS answered the batch, whatever happened
 * to each entry: check res->nfailed and each entry. A malformed batch (0 or
 * more than 10 entries, bad or repeated ids) is DN_ERR_INTERNAL and nothing
 * is sent. */
int dn_sqs_delete_batch(struct dn_sqs_client *c, const char *queue_url,
                        const struct dn_sqs_entry *entries, size_t n,
                        struct dn_sqs_batch_result *res, struct dn_err *err);
int dn_sqs_change_visibility_batch(struct dn_sqs_client *c, const char *queue_url,
                                   const struct dn_sqs_entry *entries, size_t n,
                                   struct dn_sqs_batch_result *res, struct dn_err *err);
int dn_sqs_send_batch(struct dn_sqs_client *c, const char *queue_url,
                      const struct dn_sqs_entry *entries, size_t n,
                      struct dn_sqs_batch_result *res, struct dn_err *err);

/* --- parsers, exposed for tests and fuzzing ----------------------------- */

/* A ReceiveMessage response body into `out` (overwritten). Errors:
 * DN_ERR_NETWORK (malformed, or a body failing its MD5), DN_ERR_INTERNAL. */
int dn_sqs_parse_receive(const char *json, size_t len, struct dn_sqs_messages *out,
                         struct dn_err *err);

/* A batch response body (Successful/Failed) matched to `entries`, into res.
 * Errors: DN_ERR_NETWORK (malformed). */
int dn_sqs_parse_batch(const char *json, size_t len, const struct dn_sqs_entry *entries, size_t n,
                       struct dn_sqs_batch_result *res, struct dn_err *err);

/* An error body's __type (namespace stripped) and message into code[clen],
 * msg[mlen]; "" when absent. Never fails. */
void dn_sqs_parse_error(const char *json, size_t len, char *code, size_t clen, char *msg,
                        size_t mlen);

/* The error class of an SQS error code (namespace allowed) and status. */
enum dn_err_class dn_sqs_error_class(long status, const char *code);

#endif
