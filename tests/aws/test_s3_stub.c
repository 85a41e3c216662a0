/* test_s3_stub.c — the S3 client against the scripted server: the request
 * it puts on the wire (path, Range, If-Match, metadata, signing headers),
 * and how canned failures (SlowDown, 5xx, wrong region, 416, malformed
 * listing) come back as errors. */
#include <stdlib.h>

#include "dancer/s3.h"
#include "aws_env.h"
#include "dancer/log.h"
#include "fixture.h"
#include "test.h"

static bool s_setup(struct dn_aws_stub_env *e)
{
    static const char *const settings[] = {"AWS_ENDPOINT_URL_S3", "{stub}", "AWS_REGION", "us-east-1",
                                           "AWS_ACCESS_KEY_ID", "AKIDSTUB", "AWS_SESSION_TOKEN", "tok+en/=",
                                           "DANCER_HTTP_TIMEOUT_MS", "5000", NULL};
    return dn_aws_stub_env_open(e, settings);
}

DN_TEST(ranged_get_request_and_result)
{
    struct dn_aws_stub_env e;
    char buf[8] = "";
    struct dn_s3_range got;
    DN_CHECK(s_setup(&e));
    dn_stub_push(e.stub, &(struct dn_stub_response){
                             .status = 206, .body = "llo",
                             .headers = "Content-Range: bytes 2-4/11\r\nETag: \"5eb6\"\r\n"});
    DN_CHECK_OK(dn_s3_get_range(e.aws.s3, "bkt", "up loads/ü+x.mp4", 2, buf, 3, "5eb6", &got, &e.aws.err), &e.aws.err);
    DN_EXPECT_INT(got.got, 3);
    DN_EXPECT_INT(got.object_size, 11);
    DN_EXPECT_STR(got.etag, "\"5eb6\"");
    DN_EXPECT(!memcmp(buf, "llo", 3));
    const struct dn_stub_request *r = dn_stub_request(e.stub, 0);
    DN_CHECK(r);
    DN_EXPECT_STR(r->method, "GET");
    DN_EXPECT_STR(r->target, "/bkt/up%20loads/%C3%BC%2Bx.mp4"); /* path style on a custom endpoint */
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "Range"), "bytes=2-4");
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "If-Match"), "\"5eb6\""); /* quoted for the wire */
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "x-amz-content-sha256"),
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "X-Amz-Security-Token"), "tok+en/=");
    const char *auth = dn_stub_header(e.stub, 0, "Authorization");
    DN_CHECK(auth);
    DN_EXPECT(strstr(auth, "Credential=AKIDSTUB/") && strstr(auth, "/us-east-1/s3/aws4_request"));
    DN_EXPECT(strstr(auth, "SignedHeaders=host;if-match;range;x-amz-content-sha256;x-amz-date;x-amz-security-token"));
    dn_aws_stub_env_close(&e);
}

DN_TEST(slowdown_is_retried)
{
    struct dn_aws_stub_env e;
    char buf[4];
    DN_CHECK(s_setup(&e));
    dn_fixture_push(e.stub, "s3/throttle_slowdown.json");
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 206, .body = "abcd",
                                                    .headers = "Content-Range: bytes 0-3/4\r\n"});
    DN_CHECK_OK(dn_s3_get_range(e.aws.s3, "bkt", "k", 0, buf, 4, NULL, NULL, &e.aws.err), &e.aws.err);
    DN_EXPECT(!memcmp(buf, "abcd", 4));
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 2);
    /* Throttled every time: a throttled error, after three attempts. */
    for (int i = 0; i < 3; i++)
        dn_fixture_push(e.stub, "s3/throttle_slowdown.json");
    DN_EXPECT_INT(dn_s3_get_range(e.aws.s3, "bkt", "k", 0, buf, 4, NULL, NULL, &e.aws.err), DN_E(DN_ERR_THROTTLED));
    DN_EXPECT(strstr(e.aws.err.msg, "SlowDown") && strstr(e.aws.err.msg, "4442587FB7D0A2F9"));
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 5);
    dn_aws_stub_env_close(&e);
}

DN_TEST(server_errors_become_network_errors)
{
    struct dn_aws_stub_env e;
    struct dn_s3_object_info info;
    DN_CHECK(s_setup(&e));
    for (int i = 0; i < 3; i++)
        dn_fixture_push(e.stub, "s3/internal_error.json");
    DN_EXPECT_INT(dn_s3_head_object(e.aws.s3, "bkt", "k", NULL, &info, &e.aws.err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(e.aws.err.msg, "s3://bkt/k: HTTP 500") != NULL);
    dn_s3_object_info_clean_up(&info);
    dn_aws_stub_env_close(&e);
}

DN_TEST(wrong_region_names_the_region)
{
    struct dn_aws_stub_env e;
    char buf[4];
    DN_CHECK(s_setup(&e));
    dn_fixture_push(e.stub, "s3/wrong_region.json");
    DN_EXPECT_INT(dn_s3_get_range(e.aws.s3, "bkt", "k", 0, buf, 4, NULL, NULL, &e.aws.err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(e.aws.err.msg, "set AWS_REGION=eu-west-1") != NULL);
    dn_aws_stub_env_close(&e);
}

DN_TEST(invalid_range_reports_size)
{
    struct dn_aws_stub_env e;
    char buf[4];
    struct dn_s3_range got;
    DN_CHECK(s_setup(&e));
    dn_fixture_push(e.stub, "s3/invalid_range.json");
    DN_EXPECT_INT(dn_s3_get_range(e.aws.s3, "bkt", "k", 100, buf, 4, NULL, &got, &e.aws.err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(got.object_size, 11);
    DN_EXPECT(strstr(e.aws.err.msg, "not satisfiable (object is 11 bytes)") != NULL);
    dn_aws_stub_env_close(&e);
}

DN_TEST(oversized_answer_does_not_overrun)
{
    struct dn_aws_stub_env e;
    char buf[8] = "-------";
    DN_CHECK(s_setup(&e));
    /* A server that ignores Range and sends the whole object. */
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .body = "0123456789"});
    DN_EXPECT_INT(dn_s3_get_range(e.aws.s3, "bkt", "k", 0, buf, 4, NULL, NULL, &e.aws.err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(e.aws.err.msg, "more than the 4 bytes") != NULL);
    DN_EXPECT(!memcmp(buf + 4, "---", 3));
    dn_aws_stub_env_close(&e);
}

DN_TEST(malformed_listing_is_an_error)
{
    struct dn_aws_stub_env e;
    struct dn_s3_list_page page;
    DN_CHECK(s_setup(&e));
    dn_fixture_push(e.stub, "s3/malformed_list.json");
    DN_EXPECT_INT(dn_s3_list_page(e.aws.s3, "bkt", &(struct dn_s3_list_opts){.prefix = "up loads/"}, &page, &e.aws.err),
                  DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(e.aws.err.msg, "malformed ListObjectsV2") != NULL);
    const struct dn_stub_request *r = dn_stub_request(e.stub, 0);
    DN_CHECK(r);
    DN_EXPECT_STR(r->target, "/bkt?encoding-type=url&list-type=2&prefix=up%20loads%2F");
    dn_s3_list_page_clean_up(&page);
    dn_aws_stub_env_close(&e);
}

DN_TEST(head_reads_metadata)
{
    struct dn_aws_stub_env e;
    struct dn_s3_object_info info;
    DN_CHECK(s_setup(&e));
    dn_stub_push(e.stub, &(struct dn_stub_response){
                             .status = 200,
                             .headers = "ETag: \"abc\"\r\nContent-Type: video/mp4\r\n"
                                        "Last-Modified: Mon, 15 Jan 2024 10:30:00 GMT\r\n"
                                        "X-Amz-Meta-Subject-Height-Cm: 172.5\r\nx-amz-meta-camera: pixel 8\r\n"});
    DN_CHECK_OK(dn_s3_head_object(e.aws.s3, "bkt", "k.mp4", NULL, &info, &e.aws.err), &e.aws.err);
    DN_EXPECT_STR(info.etag, "\"abc\"");
    DN_EXPECT_STR(info.content_type, "video/mp4");
    DN_EXPECT_INT(info.last_modified_time, 1705314600);
    DN_EXPECT_STR(dn_s3_object_info_meta(&info, "subject-height-cm"), "172.5");
    DN_EXPECT_STR(dn_s3_object_info_meta(&info, "Camera"), "pixel 8");
    DN_EXPECT(dn_s3_object_info_meta(&info, "missing") == NULL);
    DN_EXPECT_STR(dn_stub_request(e.stub, 0)->method, "HEAD");
    dn_s3_object_info_clean_up(&info);
    dn_aws_stub_env_close(&e);
}

DN_TEST(put_sends_type_metadata_and_condition)
{
    struct dn_aws_stub_env e;
    char etag[DN_S3_ETAG_MAX];
    DN_CHECK(s_setup(&e));
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 200, .headers = "ETag: \"new\"\r\n"});
    struct dn_http_header meta[] = {{"source-etag", "abc"}};
    struct dn_s3_put_opts opts = {.content_type = "application/json", .meta = meta, .nmeta = 1,
                                  .if_none_match = true};
    DN_CHECK_OK(dn_s3_put_object(e.aws.s3, "bkt", "results/a.json", "{}", 2, &opts, etag, &e.aws.err), &e.aws.err);
    DN_EXPECT_STR(etag, "\"new\"");
    const struct dn_stub_request *r = dn_stub_request(e.stub, 0);
    DN_CHECK(r);
    DN_EXPECT_STR(r->method, "PUT");
    DN_EXPECT_STR(r->body, "{}");
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "Content-Type"), "application/json");
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "x-amz-meta-source-etag"), "abc");
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "If-None-Match"), "*");
    DN_EXPECT_STR(dn_stub_header(e.stub, 0, "x-amz-content-sha256"),
                  "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    dn_aws_stub_env_close(&e);
}

DN_TEST(logs_carry_no_secrets)
{
    struct dn_aws_stub_env e;
    char buf[4], log[16384] = "", path[1024];
    DN_CHECK(s_setup(&e));
    snprintf(path, sizeof(path), "%s/log.txt", dn_test_tmp_dir());
    FILE *f = fopen(path, "w+");
    DN_CHECK(f);
    /* Debug level: every retry is logged, with method, host and path. */
    dn_log_configure(DN_LOG_TEXT, DN_LOG_DEBUG, f);
    dn_fixture_push(e.stub, "s3/throttle_slowdown.json");
    dn_fixture_push(e.stub, "s3/internal_error.json");
    dn_fixture_push(e.stub, "s3/internal_error.json");
    DN_EXPECT_INT(dn_s3_get_range(e.aws.s3, "bkt", "k", 0, buf, 4, NULL, NULL, &e.aws.err), DN_E(DN_ERR_NETWORK));
    dn_log_configure(DN_LOG_JSON, DN_LOG_INFO, NULL);
    rewind(f);
    size_t n = fread(log, 1, sizeof(log) - 1, f);
    log[n] = '\0';
    fclose(f);
    DN_EXPECT(strstr(log, "retrying") != NULL); /* the retries were logged... */
    /* ...without credentials, tokens or signatures, and so is the error. */
    const char *secrets[] = {"AKIDSTUB", "tok+en", "Signature", "Authorization", "testing"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++) {
        DN_EXPECT(strstr(log, secrets[i]) == NULL);
        DN_EXPECT(strstr(e.aws.err.msg, secrets[i]) == NULL);
    }
    dn_aws_stub_env_close(&e);
}

DN_TEST(expired_token_resigned_once)
{
    struct dn_aws_stub_env e;
    char buf[4];
    DN_CHECK(s_setup(&e));
    dn_fixture_push(e.stub, "s3/expired_token.json");
    dn_stub_push(e.stub, &(struct dn_stub_response){.status = 206, .body = "abcd",
                                                    .headers = "Content-Range: bytes 0-3/4\r\n"});
    DN_CHECK_OK(dn_s3_get_range(e.aws.s3, "bkt", "k", 0, buf, 4, NULL, NULL, &e.aws.err), &e.aws.err);
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 2);
    /* Still expired after a fresh signature: an auth error, no loop. */
    dn_fixture_push(e.stub, "s3/expired_token.json");
    dn_fixture_push(e.stub, "s3/expired_token.json");
    DN_EXPECT_INT(dn_s3_get_range(e.aws.s3, "bkt", "k", 0, buf, 4, NULL, NULL, &e.aws.err), DN_E(DN_ERR_AUTH));
    DN_EXPECT(strstr(e.aws.err.msg, "ExpiredToken") != NULL);
    DN_EXPECT_INT(dn_stub_request_count(e.stub), 4);
    dn_aws_stub_env_close(&e);
}
