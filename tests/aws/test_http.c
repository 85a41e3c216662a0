/* test_http.c — dn_http_send against the local scripted server: reuse,
 * retries and their limits (attempts are counted, never timed), streaming,
 * caps, timeouts and cancellation. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "dancer/http.h"
#include "fixture.h"
#include "test.h"

struct s_env {
    struct dn_stub *stub;
    struct dn_http_pool *pool;
    struct dn_http_response resp;
    struct dn_err err;
    char url[256];
};

static bool s_setup(struct s_env *e, long timeout_ms, int attempts)
{
    struct dn_http_options opt = {.connect_timeout_ms = 2000, .timeout_ms = timeout_ms,
                                  .max_attempts = attempts, .max_idle = 4};
    memset(e, 0, sizeof(*e));
    dn_http_response_init(&e->resp);
    e->stub = dn_stub_start();
    if (!e->stub || dn_http_pool_new(&opt, &e->pool, &e->err))
        return false;
    snprintf(e->url, sizeof(e->url), "%s/path?x=1", dn_stub_url(e->stub));
    return true;
}

static void s_teardown(struct s_env *e)
{
    dn_http_response_clean_up(&e->resp);
    dn_http_pool_destroy(e->pool);
    dn_stub_stop(e->stub);
}

static int s_get(struct s_env *e)
{
    struct dn_http_request req = {.method = "GET", .url = e->url};
    return dn_http_send(e->pool, &req, &e->resp, &e->err);
}

DN_TEST(connection_reused)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "one"});
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "two"});
    DN_EXPECT_INT(s_get(&e), 0);
    DN_EXPECT_STR(e.resp.body.data, "one");
    DN_EXPECT_INT(s_get(&e), 0);
    DN_EXPECT_STR(e.resp.body.data, "two");
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 2);
    DN_EXPECT_INT(dn_stub_connection_count(e.stub), 1); /* keep-alive through the pool */
    s_teardown(&e);
}

DN_TEST(retries_503_then_succeeds)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 503, .body = "busy"});
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "ok"});
    DN_EXPECT_INT(s_get(&e), 0);
    DN_EXPECT_INT(e.resp.status, 200);
    DN_EXPECT_INT(e.resp.attempts, 2);
    DN_EXPECT_STR(e.resp.body.data, "ok");
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 2);
    s_teardown(&e);
}

DN_TEST(retry_after_429_honoured)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_fixture_push(e.stub, "http/throttle_429_retry_after.json");
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "ok"});
    DN_EXPECT_INT(s_get(&e), 0);
    DN_EXPECT_INT(e.resp.status, 200);
    DN_EXPECT_INT(e.resp.attempts, 2);
    s_teardown(&e);
}

/* S3's SlowDown arrives as XML; the retry decision needs the service's code. */
static void s_xml_code(const struct dn_http_response *resp, char *code, size_t len)
{
    const char *p = resp->body.data ? strstr(resp->body.data, "<Code>") : NULL;
    snprintf(code, len, "%.*s", p ? (int)strcspn(p + 6, "<") : 0, p ? p + 6 : "");
}

DN_TEST(attempts_bounded_and_final_status_returned)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 5000, 3));
    for (int i = 0; i < 4; i++)
        dn_fixture_push(e.stub, "s3/throttle_slowdown.json");
    struct dn_http_request req = {.method = "GET", .url = e.url, .error_code = s_xml_code};
    /* Four queued, three attempts allowed: the third answer is final. */
    DN_EXPECT_INT(dn_http_send(e.pool, &req, &e.resp, &e.err), 0);
    DN_EXPECT_INT(e.resp.status, 503);
    DN_EXPECT_INT(e.resp.attempts, 3);
    DN_EXPECT_STR(e.resp.error_code, "SlowDown");
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 3);
    s_teardown(&e);
}

DN_TEST(client_errors_not_retried)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 404, .body = "no"});
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "never"});
    DN_EXPECT_INT(s_get(&e), 0);
    DN_EXPECT_INT(e.resp.status, 404);
    DN_EXPECT_INT(e.resp.attempts, 1);
    DN_EXPECT_STR(e.resp.body.data, "no");
    s_teardown(&e);
}

DN_TEST(connection_refused_is_network_after_retries)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 5000, 2));
    /* A port nobody listens on: the stub's, after it stops. */
    snprintf(e.url, sizeof(e.url), "%s/", dn_stub_url(e.stub));
    dn_stub_stop(e.stub);
    e.stub = NULL;
    DN_EXPECT_INT(s_get(&e), DN_E(DN_ERR_NETWORK));
    DN_EXPECT_INT(e.err.cls, DN_ERR_NETWORK);
    DN_EXPECT_INT(e.resp.attempts, 2);
    DN_EXPECT(strstr(e.err.msg, "after 2 attempts") != NULL);
    s_teardown(&e);
}

DN_TEST(timeout_is_network_error)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 1000, 1));
    dn_fixture_push(e.stub, "http/timeout.json");
    DN_EXPECT_INT(s_get(&e), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(e.err.msg, "imed out") != NULL);
    s_teardown(&e);
}

/* A write-at-offset consumer, like a ranged GET into caller memory. */
static int s_write_at(const void *data, size_t len, uint64_t offset, void *user)
{
    char *buf = user;
    if (offset + len > 15)
        return DN_E(DN_ERR_INTERNAL);
    memcpy(buf + offset, data, len);
    return 0;
}

DN_TEST(reset_mid_body_is_retried_and_stream_restarts)
{
    struct s_env e;
    char buf[16] = "";
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_fixture_push(e.stub, "http/truncated_body.json");
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "0123456789"});
    struct dn_http_request req = {.method = "GET", .url = e.url, .on_body = s_write_at, .body_user = buf};
    DN_EXPECT_INT(dn_http_send(e.pool, &req, &e.resp, &e.err), 0);
    DN_EXPECT_INT(e.resp.attempts, 2);
    DN_EXPECT_INT(e.resp.body_bytes, 10);
    DN_EXPECT_STR(buf, "0123456789");
    DN_EXPECT_INT(e.resp.body.len, 0); /* streamed, not buffered */
    s_teardown(&e);
}

DN_TEST(body_cap_enforced)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "0123456789"});
    struct dn_http_request req = {.method = "GET", .url = e.url, .max_body = 4};
    DN_EXPECT_INT(dn_http_send(e.pool, &req, &e.resp, &e.err), DN_E(DN_ERR_UNSUPPORTED));
    DN_EXPECT_INT(e.resp.attempts, 1);
    s_teardown(&e);
}

DN_TEST(content_type_is_explicit)
{
    struct s_env e;
    char value[128];
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200});
    struct dn_http_header h[] = {{"X-Amz-Target", "AmazonSQS.ReceiveMessage"}};
    struct dn_http_request req = {.method = "POST", .url = e.url, .headers = h, .nheaders = 1,
                                  .body = "{}", .body_len = 2,
                                  .content_type = "application/x-amz-json-1.0"};
    DN_EXPECT_INT(dn_http_send(e.pool, &req, &e.resp, &e.err), 0);
    const struct dn_stub_request *r = dn_stub_request(e.stub, 0);
    DN_CHECK(r != NULL);
    DN_EXPECT_STR(r->method, "POST");
    DN_EXPECT_STR(r->target, "/path?x=1");
    DN_EXPECT_STR(r->body, "{}");
    DN_CHECK(dn_stub_request_header(r, "Content-Type", value, sizeof(value)));
    DN_EXPECT_STR(value, "application/x-amz-json-1.0");
    DN_CHECK(dn_stub_request_header(r, "X-Amz-Target", value, sizeof(value)));
    DN_EXPECT_STR(value, "AmazonSQS.ReceiveMessage");
    DN_EXPECT(!dn_stub_request_header(r, "Expect", value, sizeof(value)));
    s_teardown(&e);
}

/* Adds a header that changes per attempt, as SigV4's X-Amz-Date does. */
static int s_prepare(void *user, struct dn_http_header *out, size_t max, size_t *n, struct dn_err *err)
{
    static char value[16];
    int *calls = user;
    (void)err;
    if (max < 1)
        return DN_E(DN_ERR_INTERNAL);
    snprintf(value, sizeof(value), "%d", ++*calls);
    out[0] = (struct dn_http_header){"X-Attempt", value};
    *n = 1;
    return 0;
}

DN_TEST(prepare_runs_per_attempt)
{
    struct s_env e;
    char value[64];
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 500});
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200});
    int calls = 0;
    struct dn_http_request req = {.method = "GET", .url = e.url, .prepare = s_prepare, .prepare_user = &calls};
    DN_EXPECT_INT(dn_http_send(e.pool, &req, &e.resp, &e.err), 0);
    DN_EXPECT_INT(calls, 2);
    DN_CHECK(dn_stub_request_header(dn_stub_request(e.stub, 1), "X-Attempt", value, sizeof(value)));
    DN_EXPECT_STR(value, "2");
    s_teardown(&e);
}

DN_TEST(cancel_aborts_a_waiting_request)
{
    struct s_env e;
    atomic_bool cancel = false;
    pthread_t t;
    DN_CHECK(s_setup(&e, 30000, 3));
    /* A long poll that would answer after 20 s. */
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "late", .delay_ms = 20000});
    struct dn_http_request req = {.method = "GET", .url = e.url, .cancel = &cancel, .extra_timeout_ms = 20000};
    DN_CHECK(dn_stub_set_after(&cancel, 300, &t) == 0);
    DN_EXPECT_INT(dn_http_send(e.pool, &req, &e.resp, &e.err), DN_E(DN_ERR_CANCELLED));
    DN_EXPECT_INT(e.resp.attempts, 1);
    pthread_join(t, NULL);
    /* Already cancelled: nothing is sent. */
    DN_EXPECT_INT(dn_http_send(e.pool, &req, &e.resp, &e.err), DN_E(DN_ERR_CANCELLED));
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 1);
    s_teardown(&e);
}

DN_TEST(response_headers_readable)
{
    struct s_env e;
    DN_CHECK(s_setup(&e, 5000, 3));
    dn_stub_push(e.stub, &(struct dn_stub_response){
                             .status = 200, .headers = "ETag: \"abc\"\r\nx-amz-meta-subject-height-cm:  172 \r\n"});
    DN_EXPECT_INT(s_get(&e), 0);
    DN_EXPECT_STR(dn_http_response_header(&e.resp, "etag"), "\"abc\"");
    DN_EXPECT_STR(dn_http_response_header(&e.resp, "X-Amz-Meta-Subject-Height-Cm"), "172");
    DN_EXPECT(dn_http_response_header(&e.resp, "missing") == NULL);
    s_teardown(&e);
}
