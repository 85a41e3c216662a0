/* test_wire_sigs.c — the requests dancer's S3 and SQS clients put on the
 * wire carry valid SigV4 signatures. The scripted server records them;
 * verify_wire_sigs.py recomputes each signature from what arrived, with
 * botocore, as AWS would (moto checks none). */
#include <stdio.h>
#include <stdlib.h>

#include "aws_env.h"
#include "http_stub.h"
#include "test.h"

static const char *const s_keys[] = {
    "uploads/u 1/s+2/20240115_103000_gait.mp4", "100%25 real%.mp4", "~user/a=b&c;d",
    "\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x98\x80 \xC3\xA9.mp4", "a//b/../c/./d", "tab\tand\xC2\xA0nbsp",
};

/* Every S3 request shape the client makes; the stub answers each with 200. */
static void s_s3_calls(struct dn_aws_stub_env *e)
{
    char buf[8];
    struct dn_s3_object_info info;
    struct dn_s3_list_page page;
    struct dn_s3_notification n = {0};
    struct dn_http_header meta[] = {{"subject-height-cm", " 172.5 "}, {"Camera", "Pixel  8"}};
    for (size_t i = 0; i < sizeof(s_keys) / sizeof(*s_keys); i++) {
        struct dn_s3_put_opts put = {.content_type = "video/mp4", .meta = meta, .nmeta = 2,
                                     .if_none_match = i % 2 == 0, .if_match = i % 2 ? "abc" : NULL};
        dn_s3_put_object(e->aws.s3, "dancer-uploads", s_keys[i], "body\n", 5, &put, NULL, &e->aws.err);
        dn_s3_head_object(e->aws.s3, "dancer-uploads", s_keys[i], "\"abc\"", &info, &e->aws.err);
        dn_s3_object_info_clean_up(&info);
        dn_s3_get_range(e->aws.s3, "dancer-uploads", s_keys[i], 1, buf, sizeof(buf), "abc", NULL, &e->aws.err);
        dn_s3_delete_object(e->aws.s3, "dancer-uploads", s_keys[i], &e->aws.err);
        struct dn_s3_list_opts list = {.prefix = s_keys[i], .start_after = s_keys[(i + 1) % 6],
                                       .continuation_token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
                                       .delimiter = "/", .max_keys = 7};
        dn_s3_list_page(e->aws.s3, "dancer-uploads", &list, &page, &e->aws.err);
        dn_s3_list_page_clean_up(&page);
    }
    dn_s3_create_bucket(e->aws.s3, "dancer.dotted.bucket", &e->aws.err);
    dn_s3_get_notification(e->aws.s3, "dancer-uploads", &n, &e->aws.err);
    dn_s3_put_notification(e->aws.s3, "dancer-uploads", &n, &e->aws.err);
}

static void s_sqs_calls(struct dn_aws_stub_env *e, const char *queue)
{
    struct dn_sqs_messages m;
    struct dn_sqs_batch_result res;
    struct dn_sqs_attrs a;
    char url[256];
    struct dn_sqs_receive_opts o = {.max_messages = 10, .wait_s = 0, .visibility_timeout_s = 300};
    struct dn_sqs_entry entries[] = {{.id = "a", .body = "{\"k\": \"\xC3\xBC \\u00fc\"}", .receipt_handle = "h+/="},
                                     {.id = "b", .body = "plain", .receipt_handle = "x", .visibility_timeout_s = 9}};
    struct dn_sqs_attr attrs[] = {{"Policy", "{\"Version\":\"2012-10-17\"}"}, {"VisibilityTimeout", "300"}};
    dn_sqs_receive(e->aws.sqs, queue, &o, &m, &e->aws.err);
    dn_sqs_messages_clean_up(&m);
    dn_sqs_send_batch(e->aws.sqs, queue, entries, 2, &res, &e->aws.err);
    dn_sqs_delete_batch(e->aws.sqs, queue, entries, 2, &res, &e->aws.err);
    dn_sqs_change_visibility_batch(e->aws.sqs, queue, entries, 2, &res, &e->aws.err);
    dn_sqs_change_visibility(e->aws.sqs, queue, "h+/=", 30, &e->aws.err);
    dn_sqs_set_attributes(e->aws.sqs, queue, attrs, 2, &e->aws.err);
    dn_sqs_get_attributes(e->aws.sqs, queue, NULL, 0, &a, &e->aws.err);
    dn_sqs_attrs_clean_up(&a);
    dn_sqs_get_queue_url(e->aws.sqs, "jobs", url, sizeof(url), &e->aws.err);
}

DN_TEST(client_requests_verify_with_botocore)
{
    static const char *const settings[] = {
        "AWS_ENDPOINT_URL", "{stub}/", "AWS_REGION", "eu-west-1", "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLE+/=", "AWS_MAX_ATTEMPTS", "1", NULL};
    struct dn_aws_stub_env e;
    char queue[128], path[1024], cmd[2048];
    DN_CHECK(dn_aws_stub_env_open(&e, settings));
    /* Enough canned 200s for every call; bodies the parsers accept or not — only the requests matter. */
    for (int i = 0; i < 64; i++)
        dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "{}"});
    s_s3_calls(&e);
    snprintf(queue, sizeof(queue), "%s/123456789012/jobs", e.url);
    s_sqs_calls(&e, queue);
    DN_EXPECT(dn_stub_request_count(e.stub) >= 40);
    snprintf(path, sizeof(path), "%s/requests.jsonl", dn_test_tmp_dir());
    DN_CHECK(dn_stub_dump(e.stub, path));
    const char *python = getenv("DN_TEST_PYTHON");
    snprintf(cmd, sizeof(cmd), "'%s' '%s/verify_wire_sigs.py' '%s' 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'",
             python ? python : "python3", DN_AWS_TESTS_DIR, path);
    int rc = system(cmd);
    DN_EXPECT_INT(rc == -1 ? -1 : WEXITSTATUS(rc), 0);
    dn_aws_stub_env_close(&e);
}
