/*
 * http.h — HTTP/1.1 requests on libcurl, with the AWS SDKs' "standard"
 * retry mode: exponential backoff with full jitter, at most AWS_MAX_ATTEMPTS
 * attempts (default 3), retrying network errors, 5xx, 429 and throttling
 * error codes, and honouring Retry-After / x-amz-retry-after.
 *   https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 *
 * Thread rules. One struct dn_http_pool serves every thread of the process.
 * A libcurl easy handle may only be used by one thread at a time, so each
 * request checks an idle handle out of the pool and puts it back when done;
 * the handle keeps its open connections, so the next request to the same
 * host (from any thread) reuses them. DNS cache and TLS sessions are shared
 * between all handles through a curl share object guarded by the pool's
 * locks. dn_http_send may therefore be called concurrently from the decode
 * threads (S3) and the heartbeat thread (SQS) with one pool.
 *
 * Nothing here logs header values: Authorization, X-Amz-Security-Token and
 * signatures never reach the log (debug lines name method, host and path).
 */
#ifndef DANCER_HTTP_H
#define DANCER_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dancer/err.h"
#include "dancer/strbuf.h"

struct dn_config;

/* Defaults, documented in the AWS retry-behavior page above. */
#define DN_HTTP_MAX_BACKOFF_MS 20000     /* MAX_BACKOFF, applied before jitter */
#define DN_HTTP_BASE_BACKOFF_MS 50       /* transient errors (2026 standard mode) */
#define DN_HTTP_THROTTLE_BACKOFF_MS 1000 /* throttling errors */
#define DN_HTTP_RETRY_AFTER_SLACK_MS 5000 /* a server hint may add at most this */
#define DN_HTTP_DEFAULT_MAX_BODY (8u << 20)   /* buffered 2xx body cap, bytes */
#define DN_HTTP_ERROR_BODY_MAX (64u << 10)    /* error bodies are truncated here */

/* One request or response header. Names compare case-insensitively. */
struct dn_http_header {
    const char *name;
    const char *value;
};

struct dn_http_options {
    long connect_timeout_ms; /* TCP+TLS connect, per attempt */
    long timeout_ms;         /* whole attempt; a request adds extra_timeout_ms */
    int max_attempts;        /* attempts incl. the first, >= 1 */
    int max_idle;            /* idle easy handles kept for reuse */
};

/* DANCER_HTTP_CONNECT_TIMEOUT_MS, DANCER_HTTP_TIMEOUT_MS, AWS_MAX_ATTEMPTS. */
void dn_http_options_from_config(const struct dn_config *cfg, struct dn_http_options *out);

struct dn_http_pool;

/* opt is copied. Errors: DN_ERR_INTERNAL (libcurl init, out of memory). */
int dn_http_pool_new(const struct dn_http_options *opt, struct dn_http_pool **out,
                     struct dn_err *err);
/* Closes every idle handle and its connections. No request may be in flight. */
void dn_http_pool_destroy(struct dn_http_pool *pool);

/* Streamed response body: called with successive pieces of a 2xx body.
 * `offset` is the position of `data` in this response's body; a retried
 * attempt starts again at offset 0, so a consumer that writes at
 * buf + offset (a ranged GET into caller memory) is retry-safe without any
 * extra copy. Return 0 to go on, or a negative DN_E* code to abort the
 * transfer (dn_http_send then returns that code, without retrying). */
typedef int dn_http_body_fn(const void *data, size_t len, uint64_t offset, void *user_data);

/* Called before every attempt to add headers that must be fresh per attempt
 * (SigV4: X-Amz-Date, Authorization). Writes at most `max` headers to `out`
 * (their strings must stay valid until the next call or the end of the
 * request) and their count to *n. Return 0 or a negative DN_E* with err set;
 * an error ends the request without retrying. */
typedef int dn_http_prepare_fn(void *user_data, struct dn_http_header *out, size_t max, size_t *n,
                               struct dn_err *err);

struct dn_http_response;

/* Extracts the service's error code ("SlowDown", "ThrottlingException") from
 * an error response into code[len] ("" when none); used to classify retries. */
typedef void dn_http_error_code_fn(const struct dn_http_response *resp, char *code, size_t len);

struct dn_http_request {
    const char *method;      /* "GET", "HEAD", "PUT", "POST", "DELETE"; required */
    const char *url;         /* absolute and already percent-encoded; required */
    const struct dn_http_header *headers; /* sent as given (a Host header overrides curl's) */
    size_t nheaders;
    const void *body;         /* borrowed; NULL when there is none */
    size_t body_len;
    const char *content_type; /* required whenever body != NULL: curl would otherwise
                               * send application/x-www-form-urlencoded */
    long extra_timeout_ms;    /* added to timeout_ms: a long poll's wait time */
    size_t max_body;          /* buffered 2xx body cap; 0: DN_HTTP_DEFAULT_MAX_BODY */
    dn_http_body_fn *on_body; /* NULL: buffer the body in response.body */
    void *body_user;
    dn_http_prepare_fn *prepare; /* NULL: no per-attempt headers */
    void *prepare_user;
    dn_http_error_code_fn *error_code; /* NULL: retry on status alone */
    const atomic_bool *cancel; /* NULL: not cancellable. Set to true (from any
                                * thread or a signal handler) to abort within
                                * about a second, including backoff sleeps. */
    int max_attempts;          /* 0: the pool's */
};

/* What came back. Caller-owned: dn_http_response_init before use,
 * dn_http_response_clean_up after. */
struct dn_http_response {
    long status;            /* of the last attempt; 0 when no response arrived */
    int attempts;           /* attempts made */
    struct dn_strbuf body;  /* buffered body; for a streamed request only an
                             * error body (status >= 300), capped at DN_HTTP_ERROR_BODY_MAX */
    uint64_t body_bytes;    /* 2xx body bytes received (streamed or buffered) */
    char error_code[128];   /* from the request's error_code fn, "" if none */
    struct dn_http_resp_header {
        char *name;
        char *value;
    } *headers;             /* of the last attempt's final response */
    size_t nheaders;
    size_t cap_headers;
};

void dn_http_response_init(struct dn_http_response *resp);
void dn_http_response_clean_up(struct dn_http_response *resp);

/* Value of a response header (case-insensitive name), NULL when absent.
 * Valid until the response is cleaned up. */
const char *dn_http_response_header(const struct dn_http_response *resp, const char *name);

/* Performs `req`, retrying per the standard mode. Returns 0 when a final
 * response arrived — whatever its status: the caller maps non-2xx to an
 * error with its service's error body. Negative when none did:
 *   DN_ERR_NETWORK   connect failure, reset, timeout (after every attempt)
 *   DN_ERR_CANCELLED req->cancel was set
 *   DN_ERR_UNSUPPORTED a buffered body exceeded max_body
 *   DN_ERR_CONFIG    malformed URL, TLS certificate rejected
 *   DN_ERR_INTERNAL  out of memory, libcurl failure
 *   or the code returned by on_body / prepare.
 * resp is reset first. Thread-safe with respect to the pool. */
int dn_http_send(struct dn_http_pool *pool, const struct dn_http_request *req,
                 struct dn_http_response *resp, struct dn_err *err);

/* --- retry policy: pure functions, exposed for tests ------------------- */

/* How an attempt ended below HTTP. */
enum dn_http_transport {
    DN_HTTP_TRANSPORT_OK,      /* a response arrived */
    DN_HTTP_TRANSPORT_CONNECT, /* DNS or TCP/TLS connect failed */
    DN_HTTP_TRANSPORT_TIMEOUT, /* connect or transfer timed out */
    DN_HTTP_TRANSPORT_IO,      /* connection reset, partial response */
    DN_HTTP_TRANSPORT_FATAL,   /* bad URL, certificate, cancel, consumer abort: never retried */
};

enum dn_http_retry {
    DN_HTTP_RETRY_NO,
    DN_HTTP_RETRY_TRANSIENT, /* network error, 500/502/503/504, RequestTimeout...: base 50 ms */
    DN_HTTP_RETRY_THROTTLE,  /* 429, SlowDown, ThrottlingException...: base 1 s */
};

/* Decides whether an attempt's outcome is retried, and with which backoff.
 * error_code may be NULL or "" and may carry a namespace
 * ("com.amazonaws.sqs#RequestThrottled", "AWS.SimpleQueueService.X"). */
enum dn_http_retry dn_http_retry_classify(enum dn_http_transport transport, long status,
                                          const char *error_code);

/* Full-jitter delay before retry number `retry` (0 = before the second
 * attempt): r01 * min(base * 2^retry, DN_HTTP_MAX_BACKOFF_MS), r01 in [0,1). */
long dn_http_backoff_ms(int retry, enum dn_http_retry kind, double r01);

/* A server's retry hint in ms: x-amz-retry-after (ms) wins, else Retry-After
 * (delta-seconds or HTTP-date, relative to `now`). -1 when absent or invalid. */
long dn_http_retry_after_ms(const char *retry_after, const char *x_amz_retry_after, time_t now);

/* The delay actually slept: the hint, clamped to [backoff, backoff +
 * DN_HTTP_RETRY_AFTER_SLACK_MS] (as the SDKs clamp x-amz-retry-after), or
 * backoff when there is no hint. */
long dn_http_retry_delay_ms(long backoff_ms, long hint_ms);

/* Default error class of an HTTP error status and service code (both
 * optional): 401/403 auth, 404 not_found, 409/412 conflict, 429 and throttling
 * codes throttled, 5xx network, other 4xx bad_input. Services refine it. */
enum dn_err_class dn_http_status_class(long status, const char *error_code);

/* error_code without its namespace: "com.amazonaws.sqs#QueueDoesNotExist" ->
 * "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue" ->
 * "NonExistentQueue". Returns a pointer into `code`. */
const char *dn_http_error_code_base(const char *code);

#endif
