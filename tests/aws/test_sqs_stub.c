/* test_sqs_stub.c — the SQS client against the scripted server: the JSON
 * 1.0 request on the wire, the queue URL as endpoint, and canned failures
 * (throttling, unknown queue, malformed bodies, a cancelled long poll). */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "dancer/config.h"
#include "dancer/creds.h"
#include "dancer/http.h"
#include "dancer/sqs.h"
#include "fixture.h"
#include "http_stub.h"
#include "test.h"

struct s_env {
    struct dn_stub *stub;
    struct dn_config cfg;
    struct dn_http_pool *pool;
    struct dn_creds_provider *creds;
    struct dn_sqs_client *sqs;
    struct dn_err err;
    char queue[256];
};

/* The queue URL points at the stub; no endpoint setting: the URL is the endpoint. */
static bool s_setup(struct s_env *e)
{
    struct dn_http_options opt = {.connect_timeout_ms = 2000, .timeout_ms = 5000, .max_attempts = 3,
                                  .max_idle = 2};
    memset(e, 0, sizeof(*e));
    dn_config_init(&e->cfg);
    if (!(e->stub = dn_stub_start()))
        return false;
    snprintf(e->queue, sizeof(e->queue), "%s/123456789012/jobs", dn_stub_url(e->stub));
    return !dn_config_set(&e->cfg, "SQS_QUEUE_URL", e->queue, DN_CFG_FLAG, &e->err) &&
           !dn_config_set(&e->cfg, "SQS_REGION", "eu-west-1", DN_CFG_FLAG, &e->err) &&
           !dn_config_set(&e->cfg, "AWS_ACCESS_KEY_ID", "AKIDSTUB", DN_CFG_FLAG, &e->err) &&
           !dn_config_set(&e->cfg, "AWS_SECRET_ACCESS_KEY", "secret", DN_CFG_FLAG, &e->err) &&
           !dn_http_pool_new(&opt, &e->pool, &e->err) &&
           !dn_creds_provider_new(&e->cfg, &e->creds, &e->err) &&
           !dn_sqs_client_new(&e->cfg, e->creds, e->pool, &e->sqs, &e->err);
}

static void s_teardown(struct s_env *e)
{
    dn_sqs_client_destroy(e->sqs);
    dn_creds_provider_destroy(e->creds);
    dn_http_pool_destroy(e->pool);
    dn_stub_stop(e->stub);
}

static void s_push(struct s_env *e, const char *fixture)
{
    if (!dn_stub_push_file(e->stub, dn_fixture_path(fixture)))
        dn_test_fail(__FILE__, __LINE__, "fixture %s", fixture);
}

static const char *s_header(struct s_env *e, int i, const char *name)
{
    static char value[4096];
    const struct dn_stub_request *r = dn_stub_request(e->stub, i);
    return r && dn_stub_request_header(r, name, value, sizeof(value)) ? value : NULL;
}

/* Serves a fixture body as a 200 JSON answer. */
static void s_push_body(struct s_env *e, const char *fixture)
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
    struct s_env e;
    struct dn_sqs_messages m;
    DN_CHECK(s_setup(&e));
    s_push_body(&e, "sqs/receive_two.json");
    struct dn_sqs_receive_opts opts = {.max_messages = 10, .wait_s = 20, .visibility_timeout_s = 300};
    DN_CHECK_OK(dn_sqs_receive(e.sqs, e.queue, &opts, &m, &e.err), &e.err);
    DN_EXPECT_INT(m.n, 2);
    DN_EXPECT_INT(m.items[0].receive_count, 3);
    dn_sqs_messages_clean_up(&m);
    const struct dn_stub_request *r = dn_stub_request(e.stub, 0);
    DN_CHECK(r);
    DN_EXPECT_STR(r->method, "POST");
    DN_EXPECT_STR(r->target, "/"); /* JSON protocol: the endpoint root, QueueUrl in the body */
    DN_EXPECT_STR(s_header(&e, 0, "X-Amz-Target"), "AmazonSQS.ReceiveMessage");
    DN_EXPECT_STR(s_header(&e, 0, "Content-Type"), "application/x-amz-json-1.0");
    const char *auth = s_header(&e, 0, "Authorization");
    DN_CHECK(auth);
    DN_EXPECT(strstr(auth, "/eu-west-1/sqs/aws4_request") != NULL);
    DN_EXPECT(strstr(auth, "SignedHeaders=content-type;host;x-amz-date;x-amz-target") != NULL);
    DN_EXPECT(s_header(&e, 0, "x-amz-content-sha256") == NULL); /* S3 only */
    cJSON *body = cJSON_Parse(r->body);
    DN_CHECK(body);
    DN_EXPECT_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "QueueUrl")), e.queue);
    DN_EXPECT_INT(cJSON_GetObjectItem(body, "MaxNumberOfMessages")->valueint, 10);
    DN_EXPECT_INT(cJSON_GetObjectItem(body, "WaitTimeSeconds")->valueint, 20);
    DN_EXPECT_INT(cJSON_GetObjectItem(body, "VisibilityTimeout")->valueint, 300);
    char *names = cJSON_PrintUnformatted(cJSON_GetObjectItem(body, "MessageSystemAttributeNames"));
    DN_EXPECT_STR(names, "[\"ApproximateReceiveCount\",\"SentTimestamp\",\"ApproximateFirstReceiveTimestamp\"]");
    free(names);
    cJSON_Delete(body);
    s_teardown(&e);
}

DN_TEST(throttling_is_retried)
{
    struct s_env e;
    DN_CHECK(s_setup(&e));
    s_push(&e, "sqs/throttle.json");
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "{}"});
    DN_CHECK_OK(dn_sqs_change_visibility(e.sqs, e.queue, "handle", 60, &e.err), &e.err);
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 2);
    for (int i = 0; i < 3; i++)
        s_push(&e, "sqs/throttle.json");
    DN_EXPECT_INT(dn_sqs_change_visibility(e.sqs, e.queue, "handle", 60, &e.err), DN_E(DN_ERR_THROTTLED));
    DN_EXPECT(strstr(e.err.msg, "ThrottlingException: Rate exceeded") != NULL);
    DN_EXPECT(strstr(e.err.msg, "f6e2a1b7-sqs") != NULL); /* request id */
    s_teardown(&e);
}

DN_TEST(unknown_queue_is_not_found)
{
    struct s_env e;
    char url[256];
    DN_CHECK(s_setup(&e));
    s_push(&e, "sqs/queue_does_not_exist.json");
    s_push(&e, "sqs/query_error_header_only.json");
    DN_EXPECT_INT(dn_sqs_get_queue_url(e.sqs, "nope", url, sizeof(url), &e.err), DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(strstr(e.err.msg, "QueueDoesNotExist") && strstr(e.err.msg, "\"nope\""));
    /* Only the query-compatible header says what went wrong: still understood. */
    DN_EXPECT_INT(dn_sqs_delete_queue(e.sqs, e.queue, &e.err), DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(strstr(e.err.msg, "QueueDoesNotExist") != NULL);
    s_teardown(&e);
}

DN_TEST(malformed_answers)
{
    struct s_env e;
    struct dn_sqs_messages m;
    struct dn_sqs_batch_result res;
    DN_CHECK(s_setup(&e));
    s_push(&e, "sqs/malformed_body.json");
    s_push(&e, "sqs/malformed_body.json");
    struct dn_sqs_receive_opts opts = {.max_messages = 1, .wait_s = 0, .visibility_timeout_s = -1};
    DN_EXPECT_INT(dn_sqs_receive(e.sqs, e.queue, &opts, &m, &e.err), DN_E(DN_ERR_NETWORK));
    struct dn_sqs_entry entry = {.id = "a", .receipt_handle = "h"};
    DN_EXPECT_INT(dn_sqs_delete_batch(e.sqs, e.queue, &entry, 1, &res, &e.err), DN_E(DN_ERR_NETWORK));
    s_push_body(&e, "sqs/receive_bad_md5.json");
    DN_EXPECT_INT(dn_sqs_receive(e.sqs, e.queue, &opts, &m, &e.err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(e.err.msg, "MD5") != NULL);
    s_teardown(&e);
}

DN_TEST(bad_batches_never_sent)
{
    struct s_env e;
    struct dn_sqs_batch_result res;
    DN_CHECK(s_setup(&e));
    struct dn_sqs_entry eleven[11];
    char ids[11][8];
    for (int i = 0; i < 11; i++) {
        snprintf(ids[i], sizeof(ids[i]), "m%d", i);
        eleven[i] = (struct dn_sqs_entry){.id = ids[i], .body = "x"};
    }
    DN_EXPECT_INT(dn_sqs_send_batch(e.sqs, e.queue, eleven, 11, &res, &e.err), DN_E(DN_ERR_INTERNAL));
    DN_EXPECT_INT(dn_sqs_send_batch(e.sqs, e.queue, eleven, 0, &res, &e.err), DN_E(DN_ERR_INTERNAL));
    struct dn_sqs_entry dup[] = {{.id = "a", .body = "x"}, {.id = "a", .body = "y"}};
    DN_EXPECT_INT(dn_sqs_send_batch(e.sqs, e.queue, dup, 2, &res, &e.err), DN_E(DN_ERR_INTERNAL));
    struct dn_sqs_entry bad_id[] = {{.id = "has space", .body = "x"}};
    DN_EXPECT_INT(dn_sqs_send_batch(e.sqs, e.queue, bad_id, 1, &res, &e.err), DN_E(DN_ERR_INTERNAL));
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 0);
    s_teardown(&e);
}

static void *s_cancel_later(void *arg)
{
    usleep(300 * 1000);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

DN_TEST(long_poll_cancelled)
{
    struct s_env e;
    struct dn_sqs_messages m;
    atomic_bool cancel = false;
    pthread_t t;
    DN_CHECK(s_setup(&e));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "{}", .delay_ms = 20000});
    struct dn_sqs_receive_opts opts = {.max_messages = 10, .wait_s = 20, .visibility_timeout_s = -1,
                                       .cancel = &cancel};
    DN_CHECK(pthread_create(&t, NULL, s_cancel_later, &cancel) == 0);
    DN_EXPECT_INT(dn_sqs_receive(e.sqs, e.queue, &opts, &m, &e.err), DN_E(DN_ERR_CANCELLED));
    pthread_join(t, NULL);
    DN_EXPECT_INT(m.n, 0);
    s_teardown(&e);
}
