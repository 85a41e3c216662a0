/* test_sqs_stub.c — the SQS client against the scripted server: the JSON
 * 1.0 request on the wire, the queue URL as endpoint, and canned failures
 * (throttling, unknown queue, malformed bodies, a cancelled long poll). */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "dancer/sqs.h"
#include "aws_env.h"
#include "fixture.h"
#include "test.h"

/* The queue URL points at the stub and no endpoint is set: the URL is the endpoint. */
static const char *s_queue(const struct dn_aws_stub_env *e)
{
    static char url[128];
    snprintf(url, sizeof(url), "%s/123456789012/jobs", e->url);
    return url;
}

static bool s_setup(struct dn_aws_stub_env *e)
{
    static const char *const settings[] = {"SQS_QUEUE_URL", "{stub}/123456789012/jobs", "SQS_REGION", "eu-west-1",
                                           "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKIDSTUB",
                                           "DANCER_HTTP_TIMEOUT_MS", "5000", NULL};
    return dn_aws_stub_env_open(e, settings);
}

/* Serves a fixture body as a 200 JSON answer. */
static void s_push_body(struct dn_aws_stub_env *e, const char *fixture)
{
    size_t len;
    char *body = dn_fixture_read(fixture, &len);
    if (!body) {
        dn_test_fail(__FILE__, __LINE__, "fixture %s", fixture);
        return;
    }
    dn_stub_push(e->stub, &(struct dn_stub_response){
                              .status = 200, .body = body, .body_len = len,
                              .headers = "Content-Type: application/x-amz-json-1.0\r\n"});
    free(body);
}

DN_TEST(receive_request_on_the_wire)
{
    struct dn_aws_stub_env e;
    struct dn_sqs_messages m;
    DN_CHECK(s_setup(&e));
    s_push_body(&e, "sqs/receive_two.json");
    struct dn_sqs_receive_opts opts = {.max_messages = 10, .wait_s = 20, .visibility_timeout_s = 300};
    DN_CHECK_OK(dn_sqs_receive(e.aws.sqs, s_queue(&e), &opts, &m, &e.aws.err), &e.aws.err);
    DN_EXPECT_INT(m.n, 2);
    DN_EXPECT_INT(m.items[0].receive_count, 3);
    dn_sqs_messages_clean_up(&m);
    const struct dn_stub_request *r = dn_stub_request(e.stub, 0);
    DN_CHECK(r);
    DN_EXPECT_STR(r->method, "POST");
    DN_EXPECT_STR(r->target, "/"); /* JSON protocol: the endpoint root, QueueUrl in the body */
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "X-Amz-Target"), "AmazonSQS.ReceiveMessage");
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "Content-Type"), "application/x-amz-json-1.0");
    const char *auth = dn_stub_header(e.stub, 0, "Authorization");
    DN_CHECK(auth);
    DN_EXPECT(strstr(auth, "/eu-west-1/sqs/aws4_request") != NULL);
    DN_EXPECT(strstr(auth, "SignedHeaders=content-type;host;x-amz-date;x-amz-target") != NULL);
    DN_EXPECT(dn_stub_header(e.stub, 0, "x-amz-content-sha256") == NULL); /* S3 only */
    cJSON *body = cJSON_Parse(r->body);
    DN_CHECK(body);
    DN_EXPECT_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "QueueUrl")), s_queue(&e));
    DN_EXPECT_INT(cJSON_GetObjectItem(body, "MaxNumberOfMessages")->valueint, 10);
    DN_EXPECT_INT(cJSON_GetObjectItem(body, "WaitTimeSeconds")->valueint, 20);
    DN_EXPECT_INT(cJSON_GetObjectItem(body, "VisibilityTimeout")->valueint, 300);
    char *names = cJSON_PrintUnformatted(cJSON_GetObjectItem(body, "MessageSystemAttributeNames"));
    DN_EXPECT_STR(names, "[\"ApproximateReceiveCount\",\"SentTimestamp\",\"ApproximateFirstReceiveTimestamp\"]");
    free(names);
    cJSON_Delete(body);
    dn_aws_stub_env_close(&e);
}

DN_TEST(throttling_is_retried)
{
    struct dn_aws_stub_env e;
    DN_CHECK(s_setup(&e));
    dn_fixture_push(e.stub, "sqs/throttle.json");
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "{}"});
    DN_CHECK_OK(dn_sqs_change_visibility(e.aws.sqs, s_queue(&e), "handle", 60, &e.aws.err), &e.aws.err);
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 2);
    for (int i = 0; i < 3; i++)
        dn_fixture_push(e.stub, "sqs/throttle.json");
    DN_EXPECT_INT(dn_sqs_change_visibility(e.aws.sqs, s_queue(&e), "handle", 60, &e.aws.err), DN_E(DN_ERR_THROTTLED));
    DN_EXPECT(strstr(e.aws.err.msg, "ThrottlingException: Rate exceeded") != NULL);
    DN_EXPECT(strstr(e.aws.err.msg, "f6e2a1b7-sqs") != NULL); /* request id */
    dn_aws_stub_env_close(&e);
}

DN_TEST(unknown_queue_is_not_found)
{
    struct dn_aws_stub_env e;
    char url[256];
    DN_CHECK(s_setup(&e));
    dn_fixture_push(e.stub, "sqs/queue_does_not_exist.json");
    dn_fixture_push(e.stub, "sqs/query_error_header_only.json");
    DN_EXPECT_INT(dn_sqs_get_queue_url(e.aws.sqs, "nope", url, sizeof(url), &e.aws.err), DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(strstr(e.aws.err.msg, "QueueDoesNotExist") && strstr(e.aws.err.msg, "\"nope\""));
    /* Only the query-compatible header says what went wrong: still understood. */
    DN_EXPECT_INT(dn_sqs_delete_queue(e.aws.sqs, s_queue(&e), &e.aws.err), DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(strstr(e.aws.err.msg, "QueueDoesNotExist") != NULL);
    dn_aws_stub_env_close(&e);
}

DN_TEST(malformed_answers)
{
    struct dn_aws_stub_env e;
    struct dn_sqs_messages m;
    struct dn_sqs_batch_result res;
    DN_CHECK(s_setup(&e));
    dn_fixture_push(e.stub, "sqs/malformed_body.json");
    dn_fixture_push(e.stub, "sqs/malformed_body.json");
    struct dn_sqs_receive_opts opts = {.max_messages = 1, .wait_s = 0, .visibility_timeout_s = -1};
    DN_EXPECT_INT(dn_sqs_receive(e.aws.sqs, s_queue(&e), &opts, &m, &e.aws.err), DN_E(DN_ERR_NETWORK));
    struct dn_sqs_entry entry = {.id = "a", .receipt_handle = "h"};
    DN_EXPECT_INT(dn_sqs_delete_batch(e.aws.sqs, s_queue(&e), &entry, 1, &res, &e.aws.err), DN_E(DN_ERR_NETWORK));
    s_push_body(&e, "sqs/receive_bad_md5.json");
    DN_EXPECT_INT(dn_sqs_receive(e.aws.sqs, s_queue(&e), &opts, &m, &e.aws.err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(e.aws.err.msg, "MD5") != NULL);
    dn_aws_stub_env_close(&e);
}

DN_TEST(bad_batches_never_sent)
{
    struct dn_aws_stub_env e;
    struct dn_sqs_batch_result res;
    DN_CHECK(s_setup(&e));
    struct dn_sqs_entry eleven[11];
    char ids[11][8];
    for (int i = 0; i < 11; i++) {
        snprintf(ids[i], sizeof(ids[i]), "m%d", i);
        eleven[i] = (struct dn_sqs_entry){.id = ids[i], .body = "x"};
    }
    DN_EXPECT_INT(dn_sqs_send_batch(e.aws.sqs, s_queue(&e), eleven, 11, &res, &e.aws.err), DN_E(DN_ERR_INTERNAL));
    DN_EXPECT_INT(dn_sqs_send_batch(e.aws.sqs, s_queue(&e), eleven, 0, &res, &e.aws.err), DN_E(DN_ERR_INTERNAL));
    struct dn_sqs_entry dup[] = {{.id = "a", .body = "x"}, {.id = "a", .body = "y"}};
    DN_EXPECT_INT(dn_sqs_send_batch(e.aws.sqs, s_queue(&e), dup, 2, &res, &e.aws.err), DN_E(DN_ERR_INTERNAL));
    struct dn_sqs_entry bad_id[] = {{.id = "has space", .body = "x"}};
    DN_EXPECT_INT(dn_sqs_send_batch(e.aws.sqs, s_queue(&e), bad_id, 1, &res, &e.aws.err), DN_E(DN_ERR_INTERNAL));
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 0);
    dn_aws_stub_env_close(&e);
}

DN_TEST(long_poll_cancelled)
{
    struct dn_aws_stub_env e;
    struct dn_sqs_messages m;
    atomic_bool cancel = false;
    pthread_t t;
    DN_CHECK(s_setup(&e));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "{}", .delay_ms = 20000});
    struct dn_sqs_receive_opts opts = {.max_messages = 10, .wait_s = 20, .visibility_timeout_s = -1,
                                       .cancel = &cancel};
    DN_CHECK(dn_stub_set_after(&cancel, 300, &t) == 0);
    DN_EXPECT_INT(dn_sqs_receive(e.aws.sqs, s_queue(&e), &opts, &m, &e.aws.err), DN_E(DN_ERR_CANCELLED));
    pthread_join(t, NULL);
    DN_EXPECT_INT(m.n, 0);
    dn_aws_stub_env_close(&e);
}
