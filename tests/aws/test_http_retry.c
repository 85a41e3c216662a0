/* test_http_retry.c — the retry policy's pure functions: which outcomes are
 * retried, backoff bounds, Retry-After parsing and error classes. */
#include <curl/curl.h>

#include "dancer/http.h"
#include "test.h"

DN_TEST(classify_transport_errors)
{
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_CONNECT, 0, NULL), DN_HTTP_RETRY_TRANSIENT);
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_TIMEOUT, 0, NULL), DN_HTTP_RETRY_TRANSIENT);
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_IO, 0, ""), DN_HTTP_RETRY_TRANSIENT);
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_FATAL, 0, NULL), DN_HTTP_RETRY_NO);
}

DN_TEST(classify_statuses)
{
    static const struct {
        long status;
        enum dn_http_retry want;
    } cases[] = {
        {200, DN_HTTP_RETRY_NO},        {206, DN_HTTP_RETRY_NO},        {301, DN_HTTP_RETRY_NO},
        {400, DN_HTTP_RETRY_NO},        {403, DN_HTTP_RETRY_NO},        {404, DN_HTTP_RETRY_NO},
        {412, DN_HTTP_RETRY_NO},        {416, DN_HTTP_RETRY_NO},        {429, DN_HTTP_RETRY_THROTTLE},
        {500, DN_HTTP_RETRY_TRANSIENT}, {501, DN_HTTP_RETRY_NO},        {502, DN_HTTP_RETRY_TRANSIENT},
        {503, DN_HTTP_RETRY_TRANSIENT}, {504, DN_HTTP_RETRY_TRANSIENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, cases[i].status, NULL), cases[i].want);
}

DN_TEST(classify_throttling_codes)
{
    static const char *const throttles[] = {
        "SlowDown", "ThrottlingException", "RequestThrottled", "Throttling", "RequestLimitExceeded",
        "TooManyRequestsException", "com.amazonaws.sqs#RequestThrottled",
        "AWS.SimpleQueueService.RequestThrottled", "KMS.ThrottlingException",
    };
    for (size_t i = 0; i < sizeof(throttles) / sizeof(*throttles); i++) {
        /* S3 sends SlowDown with 503; SQS throttles with 400. */
        DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, 503, throttles[i]), DN_HTTP_RETRY_THROTTLE);
        DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, 400, throttles[i]), DN_HTTP_RETRY_THROTTLE);
    }
    /* Transient codes whatever the status (S3's 400 RequestTimeout). */
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, 400, "RequestTimeout"), DN_HTTP_RETRY_TRANSIENT);
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, 500, "InternalError"), DN_HTTP_RETRY_TRANSIENT);
    /* Permanent codes stay permanent. */
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, 404, "NoSuchKey"), DN_HTTP_RETRY_NO);
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, 400, "com.amazonaws.sqs#QueueDoesNotExist"),
                  DN_HTTP_RETRY_NO);
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, 403, "AccessDenied"), DN_HTTP_RETRY_NO);
    /* A success is never retried, whatever its body says. */
    DN_EXPECT_INT(dn_http_retry_classify(DN_HTTP_TRANSPORT_OK, 200, "SlowDown"), DN_HTTP_RETRY_NO);
}

DN_TEST(error_code_namespace_stripped)
{
    DN_EXPECT_STR(dn_http_error_code_base("com.amazonaws.sqs#QueueDoesNotExist"), "QueueDoesNotExist");
    DN_EXPECT_STR(dn_http_error_code_base("AWS.SimpleQueueService.NonExistentQueue"), "NonExistentQueue");
    DN_EXPECT_STR(dn_http_error_code_base("SlowDown"), "SlowDown");
    DN_EXPECT_STR(dn_http_error_code_base(NULL), "");
}

DN_TEST(backoff_bounds)
{
    /* Full jitter: r * min(base * 2^i, 20 s); base 50 ms transient, 1 s throttled. */
    DN_EXPECT_INT(dn_http_backoff_ms(0, DN_HTTP_RETRY_TRANSIENT, 0.0), 0);
    DN_EXPECT_INT(dn_http_backoff_ms(0, DN_HTTP_RETRY_TRANSIENT, 0.5), 25);
    DN_EXPECT_INT(dn_http_backoff_ms(1, DN_HTTP_RETRY_TRANSIENT, 0.5), 50);
    DN_EXPECT_INT(dn_http_backoff_ms(0, DN_HTTP_RETRY_THROTTLE, 0.5), 500);
    DN_EXPECT_INT(dn_http_backoff_ms(3, DN_HTTP_RETRY_THROTTLE, 0.5), 4000);
    DN_EXPECT_INT(dn_http_backoff_ms(2, DN_HTTP_RETRY_NO, 0.9), 0);
    for (int retry = 0; retry < 64; retry++) {
        long hi_t = dn_http_backoff_ms(retry, DN_HTTP_RETRY_THROTTLE, 0.999999);
        long hi_n = dn_http_backoff_ms(retry, DN_HTTP_RETRY_TRANSIENT, 0.999999);
        DN_EXPECT(hi_t >= 0 && hi_t < DN_HTTP_MAX_BACKOFF_MS);
        DN_EXPECT(hi_n >= 0 && hi_n < DN_HTTP_MAX_BACKOFF_MS);
        if (retry >= 5) /* 1 s * 2^5 > 20 s: capped */
            DN_EXPECT(hi_t > DN_HTTP_MAX_BACKOFF_MS - 10);
    }
    /* Out-of-range random inputs are clamped, never negative or above the cap. */
    DN_EXPECT_INT(dn_http_backoff_ms(0, DN_HTTP_RETRY_TRANSIENT, -1.0), 0);
    DN_EXPECT(dn_http_backoff_ms(30, DN_HTTP_RETRY_TRANSIENT, 7.0) < DN_HTTP_MAX_BACKOFF_MS);
}

DN_TEST(retry_after_parsing)
{
    time_t now = 1700000000;
    DN_EXPECT_INT(dn_http_retry_after_ms(NULL, NULL, now), -1);
    DN_EXPECT_INT(dn_http_retry_after_ms("", NULL, now), -1);
    DN_EXPECT_INT(dn_http_retry_after_ms("2", NULL, now), 2000);
    DN_EXPECT_INT(dn_http_retry_after_ms(" 0 ", NULL, now), 0);
    DN_EXPECT_INT(dn_http_retry_after_ms("-3", NULL, now), -1);
    DN_EXPECT_INT(dn_http_retry_after_ms("soon", NULL, now), -1);
    DN_EXPECT_INT(dn_http_retry_after_ms("99999999", NULL, now), 3600000);
    /* x-amz-retry-after is in milliseconds and wins. */
    DN_EXPECT_INT(dn_http_retry_after_ms("2", "150", now), 150);
    DN_EXPECT_INT(dn_http_retry_after_ms("2", "garbage", now), 2000);
    /* An HTTP-date 7 s ahead, and one in the past. */
    char date[64];
    time_t later = now + 7;
    struct tm tm;
    gmtime_r(&later, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    DN_EXPECT_INT(dn_http_retry_after_ms(date, NULL, now), 7000);
    DN_EXPECT_INT(dn_http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", NULL, now), 0);
}

DN_TEST(retry_delay_clamps_hint)
{
    DN_EXPECT_INT(dn_http_retry_delay_ms(30, -1), 30);
    DN_EXPECT_INT(dn_http_retry_delay_ms(30, 10), 30);     /* never below the backoff */
    DN_EXPECT_INT(dn_http_retry_delay_ms(30, 1000), 1000); /* the hint is honoured */
    DN_EXPECT_INT(dn_http_retry_delay_ms(30, 60000), 30 + DN_HTTP_RETRY_AFTER_SLACK_MS);
}

DN_TEST(status_classes)
{
    DN_EXPECT_INT(dn_http_status_class(403, "AccessDenied"), DN_ERR_AUTH);
    DN_EXPECT_INT(dn_http_status_class(400, "ExpiredToken"), DN_ERR_AUTH);
    DN_EXPECT_INT(dn_http_status_class(400, "com.amazon.coral.service#UnrecognizedClientException"), DN_ERR_AUTH);
    DN_EXPECT_INT(dn_http_status_class(401, NULL), DN_ERR_AUTH);
    DN_EXPECT_INT(dn_http_status_class(404, NULL), DN_ERR_NOT_FOUND);
    DN_EXPECT_INT(dn_http_status_class(412, "PreconditionFailed"), DN_ERR_CONFLICT);
    DN_EXPECT_INT(dn_http_status_class(409, NULL), DN_ERR_CONFLICT);
    DN_EXPECT_INT(dn_http_status_class(429, NULL), DN_ERR_THROTTLED);
    DN_EXPECT_INT(dn_http_status_class(503, "SlowDown"), DN_ERR_THROTTLED);
    DN_EXPECT_INT(dn_http_status_class(400, "ThrottlingException"), DN_ERR_THROTTLED);
    DN_EXPECT_INT(dn_http_status_class(503, NULL), DN_ERR_NETWORK);
    DN_EXPECT_INT(dn_http_status_class(501, NULL), DN_ERR_NETWORK);
    DN_EXPECT_INT(dn_http_status_class(400, "InvalidArgument"), DN_ERR_BAD_INPUT);
    DN_EXPECT_INT(dn_http_status_class(301, "PermanentRedirect"), DN_ERR_CONFIG);
}
