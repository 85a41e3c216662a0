/* http_retry.c — the retry policy as pure functions (see include/dancer/http.h).
 *
 * Which errors are retried, and the backoff formula, follow the AWS SDKs'
 * standard retry mode:
 *   https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 * Transient errors back off from 50 ms, throttling errors from 1 s, both
 * doubling per retry, capped at 20 s before full jitter is applied. */
#include "dancer/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Error codes the SDKs treat as throttling (standard mode's list, plus
 * SQS's RequestThrottled and KMS's throttling seen through SQS SSE). */
static const char *const s_throttle_codes[] = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException", "KMS.ThrottlingException",
};

/* Error codes the SDKs treat as transient whatever the status (S3 sends
 * RequestTimeout with 400 when the client was too slow to send the body). */
static const char *const s_transient_codes[] = {
    "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
    "ServiceUnavailable", "ServiceUnavailableException",
};

static bool s_in(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(code, list[i]))
            return true;
    return false;
}

const char *dn_http_error_code_base(const char *code)
{
    if (!code)
        return "";
    const char *hash = strrchr(code, '#');
    if (hash)
        code = hash + 1;
    /* SQS's query-compatible codes: "AWS.SimpleQueueService.NonExistentQueue". */
    static const char sqs_ns[] = "AWS.SimpleQueueService.";
    if (!strncmp(code, sqs_ns, sizeof(sqs_ns) - 1))
        code += sizeof(sqs_ns) - 1;
    return code;
}

enum dn_http_retry dn_http_retry_classify(enum dn_http_transport transport, long status,
                                          const char *error_code)
{
    switch (transport) {
    case DN_HTTP_TRANSPORT_OK:
        break;
    case DN_HTTP_TRANSPORT_CONNECT:
    case DN_HTTP_TRANSPORT_TIMEOUT:
    case DN_HTTP_TRANSPORT_IO:
        return DN_HTTP_RETRY_TRANSIENT;
    case DN_HTTP_TRANSPORT_FATAL:
        return DN_HTTP_RETRY_NO;
    }
    const char *code = dn_http_error_code_base(error_code);
    if (status >= 200 && status < 300)
        return DN_HTTP_RETRY_NO;
    /* A throttling code wins over the status: S3 sends SlowDown with 503. */
    if (*code && s_in(code, s_throttle_codes, sizeof(s_throttle_codes) / sizeof(*s_throttle_codes)))
        return DN_HTTP_RETRY_THROTTLE;
    if (status == 429)
        return DN_HTTP_RETRY_THROTTLE;
    if (*code && s_in(code, s_transient_codes, sizeof(s_transient_codes) / sizeof(*s_transient_codes)))
        return DN_HTTP_RETRY_TRANSIENT;
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return DN_HTTP_RETRY_TRANSIENT;
    return DN_HTTP_RETRY_NO;
}

long dn_http_backoff_ms(int retry, enum dn_http_retry kind, double r01)
{
    if (kind == DN_HTTP_RETRY_NO)
        return 0;
    long base = kind == DN_HTTP_RETRY_THROTTLE ? DN_HTTP_THROTTLE_BACKOFF_MS : DN_HTTP_BASE_BACKOFF_MS;
    long cap = DN_HTTP_MAX_BACKOFF_MS;
    /* min(base * 2^retry, cap) without overflowing for large retry counts. */
    for (int i = 0; i < retry && cap > base; i++)
        base *= 2;
    if (base > cap)
        base = cap;
    if (!(r01 >= 0.0))
        r01 = 0.0;
    if (r01 >= 1.0)
        r01 = 0.999999;
    return (long)(r01 * (double)base);
}

/* Parses a non-negative decimal integer that is the whole string. */
static bool s_parse_count(const char *s, long long *out)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

long dn_http_retry_after_ms(const char *retry_after, const char *x_amz_retry_after, time_t now)
{
    long long v;
    /* x-amz-retry-after: milliseconds; invalid values are ignored, as the SDKs do. */
    if (x_amz_retry_after && s_parse_count(x_amz_retry_after, &v))
        return v > 3600000 ? 3600000 : (long)v;
    if (!retry_after || !*retry_after)
        return -1;
    /* RFC 9110 §10.2.3: delay-seconds or an HTTP-date. */
    if (s_parse_count(retry_after, &v))
        return v > 3600 ? 3600000 : (long)(v * 1000);
    time_t when = curl_getdate(retry_after, NULL);
    if (when == (time_t)-1)
        return -1;
    return when <= now ? 0 : (when - now > 3600 ? 3600000 : (long)(when - now) * 1000);
}

long dn_http_retry_delay_ms(long backoff_ms, long hint_ms)
{
    if (hint_ms < 0)
        return backoff_ms;
    if (hint_ms < backoff_ms)
        return backoff_ms;
    if (hint_ms > backoff_ms + DN_HTTP_RETRY_AFTER_SLACK_MS)
        return backoff_ms + DN_HTTP_RETRY_AFTER_SLACK_MS;
    return hint_ms;
}

/* Codes that mean "who you are or what you may do", whatever the status. */
static const char *const s_auth_codes[] = {
    "AccessDenied", "AccessDeniedException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "ExpiredToken", "ExpiredTokenException", "InvalidToken", "InvalidClientTokenId",
    "UnrecognizedClientException", "IncompleteSignature", "MissingAuthenticationToken",
    "RequestExpired", "RequestTimeTooSkewed", "AuthorizationHeaderMalformed",
    "InvalidSecurity", "OptInRequired", "AccountProblem",
};

enum dn_err_class dn_http_status_class(long status, const char *error_code)
{
    const char *code = dn_http_error_code_base(error_code);
    enum dn_http_retry retry = dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, status, code);
    if (retry == DN_HTTP_RETRY_THROTTLE)
        return DN_ERR_THROTTLED;
    if (retry == DN_HTTP_RETRY_TRANSIENT)
        return DN_ERR_NETWORK;
    if (*code && s_in(code, s_auth_codes, sizeof(s_auth_codes) / sizeof(*s_auth_codes)))
        return DN_ERR_AUTH;
    switch (status) {
    case 401:
    case 403:
        return DN_ERR_AUTH;
    case 404:
        return DN_ERR_NOT_FOUND;
    case 409:
    case 412:
        return DN_ERR_CONFLICT;
    default:
        break;
    }
    if (status >= 500)
        return DN_ERR_NETWORK;
    if (status >= 400)
        return DN_ERR_BAD_INPUT;
    /* 3xx: we never follow redirects; S3 sends 301 for a bucket in another
     * region, which is a configuration problem (wrong AWS_REGION). */
    return DN_ERR_CONFIG;
}
