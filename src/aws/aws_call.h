/*
 * aws_call.h — one signed AWS request (private to src/aws): SigV4 headers
 * made fresh for every attempt (credentials may have been refreshed and
 * X-Amz-Date must be current), on top of dn_http_send's retries.
 */
#ifndef DANCER_AWS_CALL_H
#define DANCER_AWS_CALL_H

#include "dancer/http.h"

struct dn_creds_provider;

struct dn_aws_call {
    const char *service; /* signing name: "s3", "sqs" */
    const char *region;
    const char *method;
    const char *url;     /* scheme://host/path, no query */
    const char *host;    /* Host header value, as in url */
    const char *path;    /* wire path, as in url */
    const char *query;   /* wire query without '?'; NULL or "" for none */
    const struct dn_http_header *headers; /* signed and sent; not Host or Content-Type */
    size_t nheaders;
    const void *body;
    size_t body_len;
    const char *content_type; /* required with a body (and signed) */
    bool s3;                  /* S3 signing rules, x-amz-content-sha256 */
    /* passed through to struct dn_http_request */
    long extra_timeout_ms;
    size_t max_body;
    dn_http_body_fn *on_body;
    void *body_user;
    dn_http_error_code_fn *error_code;
    const atomic_bool *cancel;
};

/* Signs and sends. Returns as dn_http_send (0 when a final response
 * arrived, whatever its status), or DN_ERR_AUTH when no credentials. An
 * expired-credentials answer (ExpiredToken, InvalidClientTokenId, ...)
 * invalidates the provider's cache and is sent once more, freshly signed. */
int dn_aws_call_send(struct dn_http_pool *http, struct dn_creds_provider *creds,
                     const struct dn_aws_call *call, struct dn_http_response *resp,
                     struct dn_err *err);

/* "code: message (request id R)" from a failed response into err, with the
 * class from dn_http_status_class unless `cls` is not DN_ERR_NONE.
 * `what` prefixes the message ("s3://b/k", "SQS ReceiveMessage"). */
int dn_aws_call_fail(const struct dn_http_response *resp, enum dn_err_class cls, const char *what,
                     const char *code, const char *message, struct dn_err *err);

#endif
