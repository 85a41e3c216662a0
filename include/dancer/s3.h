/*
 * s3.h — the S3 calls dancer makes: HeadObject, ranged GetObject into caller
 * memory, PutObject, DeleteObject, CreateBucket, ListObjectsV2 and the bucket
 * notification configuration. REST-XML protocol, SigV4 with S3's rules,
 * responses and errors parsed with expat.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 *
 * Thread rules: a struct dn_s3_client is immutable after dn_s3_client_new;
 * every call may run concurrently from any thread (requests go through the
 * shared struct dn_http_pool, credentials through the thread-safe provider).
 *
 * Keys are plain UTF-8 ("uploads/u 1/a+b.mp4"); the client URI-encodes them
 * with dn_sigv4_uri_encode(key, keep_slash=true), the form the signer signs.
 *
 * Errors, for every call: DN_ERR_NOT_FOUND (NoSuchBucket, NoSuchKey, 404),
 * DN_ERR_AUTH (403, AccessDenied, signature and token errors),
 * DN_ERR_THROTTLED (SlowDown, 429 after every retry), DN_ERR_NETWORK
 * (connection, timeout, 5xx after every retry, garbled response),
 * DN_ERR_CONFIG (bucket in another region: the message names it),
 * DN_ERR_CANCELLED, DN_ERR_INTERNAL (out of memory). Messages carry S3's
 * Code, Message and RequestId.
 */
#ifndef DANCER_S3_H
#define DANCER_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dancer/err.h"
#include "dancer/http.h"

struct dn_config;
struct dn_creds_provider;
struct dn_s3_client;

#define DN_S3_ETAG_MAX 80 /* "<32 hex>" or "<32 hex>-<parts>", quotes included */

/* Region, endpoint and addressing (DANCER_S3_ADDRESSING) come from cfg
 * (see endpoint.h). `creds` and `http` are borrowed and must outlive the
 * client. Errors: DN_ERR_CONFIG (no region, bad endpoint URL), DN_ERR_INTERNAL. */
int dn_s3_client_new(const struct dn_config *cfg, struct dn_creds_provider *creds,
                     struct dn_http_pool *http, struct dn_s3_client **out, struct dn_err *err);
void dn_s3_client_destroy(struct dn_s3_client *c);

/* The signing region in use ("us-east-1"). Valid for the client's life. */
const char *dn_s3_client_region(const struct dn_s3_client *c);

/* "s3://BUCKET" or "s3://BUCKET/REST": the bucket into bucket[bucket_len]
 * and *rest pointing into url after the '/' ("" without one). False, with
 * nothing promised about the outputs, when url is not such a URL: no
 * "s3://", an empty bucket, or a bucket longer than bucket_len - 1. */
bool dn_s3_url_split(const char *url, char *bucket, size_t bucket_len, const char **rest);

/* --- objects ------------------------------------------------------------- */

/* User metadata pair (x-amz-meta-<name>). Names are lower-case, without
 * the prefix: "subject-height-cm". */
struct dn_s3_meta {
    char *name;
    char *value;
};

struct dn_s3_object_info {
    uint64_t size;                /* bytes */
    char etag[DN_S3_ETAG_MAX];    /* as S3 sends it, with quotes */
    char content_type[256];
    char last_modified[64];       /* HTTP-date as sent */
    time_t last_modified_time;    /* UTC seconds; 0 if unparsable */
    struct dn_s3_meta *meta;      /* owned */
    size_t nmeta;
};

/* Value of user metadata `name` ("subject-height-cm", case-insensitive),
 * NULL when absent. Valid until the info is cleaned up. */
const char *dn_s3_object_info_meta(const struct dn_s3_object_info *info, const char *name);
void dn_s3_object_info_clean_up(struct dn_s3_object_info *info);

/* HeadObject. if_match (NULL for none) makes a changed object fail with
 * DN_ERR_CONFLICT (412). `out` is overwritten; clean it up in every case. */
int dn_s3_head_object(struct dn_s3_client *c, const char *bucket, const char *key,
                      const char *if_match, struct dn_s3_object_info *out, struct dn_err *err);

/* Result of a ranged GET. */
struct dn_s3_range {
    uint64_t got;              /* bytes delivered */
    uint64_t object_size;      /* whole object (Content-Range total); 0 if unknown */
    char etag[DN_S3_ETAG_MAX];
};

/* GetObject of bytes [offset, offset + len) streamed to `fn` (see
 * dn_http_body_fn: offsets are relative to `offset`, and restart at 0 on a
 * retry). len 0 means "to the end". if_match: DN_ERR_CONFLICT (412) when the
 * object's ETag differs — the upload was replaced mid-read. A range that
 * starts at or past the end is DN_ERR_BAD_INPUT (416) with the object size
 * in the message and in out->object_size. out may be NULL. */
int dn_s3_get_stream(struct dn_s3_client *c, const char *bucket, const char *key,
                     uint64_t offset, uint64_t len, const char *if_match, dn_http_body_fn *fn,
                     void *user_data, struct dn_s3_range *out, struct dn_err *err);

/* The same into caller memory: buf[0..len) receives the bytes, out->got
 * says how many (fewer than len at the end of the object). No extra copy. */
int dn_s3_get_range(struct dn_s3_client *c, const char *bucket, const char *key, uint64_t offset,
                    void *buf, size_t len, const char *if_match, struct dn_s3_range *out,
                    struct dn_err *err);

/* Whole object into a malloc'd, NUL-terminated buffer (*data, *len) for
 * small objects (results, configs). Bigger than max_bytes: DN_ERR_UNSUPPORTED. */
int dn_s3_get_object(struct dn_s3_client *c, const char *bucket, const char *key,
                     size_t max_bytes, char **data, size_t *len, struct dn_err *err);

struct dn_s3_put_opts {
    const char *content_type;           /* required */
    const struct dn_http_header *meta;  /* user metadata, names without x-amz-meta-; may be NULL */
    size_t nmeta;
    const char *if_match;   /* overwrite only this version (409/412: DN_ERR_CONFLICT) */
    bool if_none_match;     /* create only: If-None-Match: * (412 when it exists) */
};

/* PutObject from memory. etag (may be NULL) receives the new ETag. */
int dn_s3_put_object(struct dn_s3_client *c, const char *bucket, const char *key,
                     const void *data, size_t len, const struct dn_s3_put_opts *opts,
                     char etag[DN_S3_ETAG_MAX], struct dn_err *err);

/* DeleteObject; deleting a missing key succeeds, as in S3. */
int dn_s3_delete_object(struct dn_s3_client *c, const char *bucket, const char *key,
                        struct dn_err *err);

/* CreateBucket in the client's region. An existing bucket you own is not
 * an error (BucketAlreadyOwnedByYou). */
int dn_s3_create_bucket(struct dn_s3_client *c, const char *bucket, struct dn_err *err);

/* --- listing ------------------------------------------------------------- */

struct dn_s3_list_entry {
    char *key;          /* decoded */
    uint64_t size;
    char etag[DN_S3_ETAG_MAX];
    char last_modified[64]; /* ISO 8601 as sent */
};

struct dn_s3_list_page {
    struct dn_s3_list_entry *items; /* owned */
    size_t n, cap;
    char **prefixes;    /* CommonPrefixes (with a delimiter), decoded */
    size_t nprefixes, cap_prefixes;
    bool truncated;
    char *next_token;   /* NextContinuationToken, NULL on the last page */
};

struct dn_s3_list_opts {
    const char *prefix;      /* NULL: whole bucket */
    const char *start_after; /* NULL: from the start */
    const char *delimiter;   /* NULL: flat listing */
    const char *continuation_token; /* from the previous page's next_token */
    int max_keys;            /* 0: S3's default (1000) */
};

/* One ListObjectsV2 page (encoding-type=url, so any key survives XML).
 * `page` is overwritten; clean it up in every case. */
int dn_s3_list_page(struct dn_s3_client *c, const char *bucket, const struct dn_s3_list_opts *opts,
                    struct dn_s3_list_page *page, struct dn_err *err);
void dn_s3_list_page_clean_up(struct dn_s3_list_page *page);

/* Called per key in order; return nonzero to stop (that value is returned). */
typedef int dn_s3_list_fn(const struct dn_s3_list_entry *entry, void *user_data);

/* Every key under prefix (after start_after), following continuation tokens. */
int dn_s3_list_each(struct dn_s3_client *c, const char *bucket, const char *prefix,
                    const char *start_after, dn_s3_list_fn *fn, void *user_data,
                    struct dn_err *err);

/* --- bucket notification configuration --------------------------------- */

/* One QueueConfiguration. */
struct dn_s3_queue_config {
    char *id;        /* may be NULL: S3 assigns one */
    char *queue_arn;
    char **events;   /* "s3:ObjectCreated:*" */
    size_t nevents;
    char *prefix;    /* key filter rules; NULL when absent */
    char *suffix;
};

struct dn_s3_notification {
    struct dn_s3_queue_config *queues;
    size_t nqueues;
    /* The other consumers of the bucket's events, kept as the exact XML S3
     * returned so a rewrite sends them back unchanged (`dancer setup` must
     * not clobber them), in schema order around the queue configurations:
     * TopicConfiguration elements before, CloudFunctionConfiguration and
     * EventBridgeConfiguration (and anything newer) after. NULL when none. */
    char *xml_before;
    char *xml_after;
};

int dn_s3_get_notification(struct dn_s3_client *c, const char *bucket,
                           struct dn_s3_notification *out, struct dn_err *err);
/* Replaces the bucket's whole configuration with n (S3 semantics). */
int dn_s3_put_notification(struct dn_s3_client *c, const char *bucket,
                           const struct dn_s3_notification *n, struct dn_err *err);
void dn_s3_notification_clean_up(struct dn_s3_notification *n);

/* Adds q (copied), replacing a queue configuration with the same Id or, when
 * q has no Id, the same QueueArn. Errors: DN_ERR_INTERNAL (out of memory). */
int dn_s3_notification_upsert_queue(struct dn_s3_notification *n, const struct dn_s3_queue_config *q,
                                    struct dn_err *err);

/* --- parsers, exposed for tests and fuzzing ----------------------------- */

struct dn_s3_error {
    char code[64];
    char message[512];
    char request_id[128];
    char region[64];           /* <Region> of a wrong-region error */
    uint64_t actual_object_size; /* <ActualObjectSize> of InvalidRange */
    bool has_actual_object_size;
};

/* Parses an S3 <Error> document. Returns 0, or -1 when `xml` is not one. */
int dn_s3_xml_parse_error(const char *xml, size_t len, struct dn_s3_error *out);

/* Parses a ListBucketResult into `page` (overwritten). Errors:
 * DN_ERR_NETWORK (malformed response). */
int dn_s3_xml_parse_list(const char *xml, size_t len, struct dn_s3_list_page *page,
                         struct dn_err *err);

/* Parses a NotificationConfiguration into `n` (overwritten). Errors:
 * DN_ERR_NETWORK (malformed response). */
int dn_s3_xml_parse_notification(const char *xml, size_t len, struct dn_s3_notification *n,
                                 struct dn_err *err);

/* Serializes `n` as a PutBucketNotificationConfiguration body into *xml
 * (malloc'd). Errors: DN_ERR_INTERNAL (out of memory). */
int dn_s3_xml_build_notification(const struct dn_s3_notification *n, char **xml,
                                 struct dn_err *err);

#endif
