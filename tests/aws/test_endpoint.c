/* test_endpoint.c — region precedence, endpoint overrides, S3 addressing and s3:// URLs. */
#include <stdio.h>
#include <stdlib.h>

#include "dancer/config.h"
#include "dancer/endpoint.h"
#include "dancer/s3.h"
#include "test.h"

static void s_set(struct dn_config *cfg, const char *name, const char *value)
{
    struct dn_err err = {0};
    if (dn_config_set(cfg, name, value, DN_CFG_FLAG, &err))
        dn_test_fail(__FILE__, __LINE__, "%s", err.msg);
}

/* Defaults only (the test environment is not read), and no shared files:
 * a developer's ~/.aws/config must not supply a region. */
static void s_cfg(struct dn_config *cfg)
{
    dn_config_init(cfg);
    s_set(cfg, "AWS_CONFIG_FILE", "/nonexistent/dancer-test/config");
    s_set(cfg, "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/dancer-test/credentials");
}

DN_TEST(region_from_profile)
{
    struct dn_config cfg;
    char region[64], path[1024];
    struct dn_err err = {0};
    const char *dir = dn_test_tmp_dir();
    DN_CHECK(dir);
    snprintf(path, sizeof(path), "%s/config", dir);
    FILE *f = fopen(path, "w");
    DN_CHECK(f);
    fputs("[default]\nregion = sa-east-1\n[profile other]\nregion = eu-north-1\n", f);
    fclose(f);
    s_cfg(&cfg);
    s_set(&cfg, "AWS_CONFIG_FILE", path);
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_S3, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "sa-east-1");
    s_set(&cfg, "AWS_PROFILE", "other");
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_SQS, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "eu-north-1");
    s_set(&cfg, "AWS_DEFAULT_REGION", "ca-central-1"); /* the environment wins over the file */
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_S3, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "ca-central-1");
}

DN_TEST(region_precedence_sqs)
{
    struct dn_config cfg;
    char region[64];
    struct dn_err err = {0};
    s_cfg(&cfg);
    DN_EXPECT_INT(dn_endpoint_region(&cfg, DN_AWS_SQS, region, sizeof(region), &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "SQS_REGION") && strstr(err.msg, "AWS_REGION"));
    s_set(&cfg, "AWS_DEFAULT_REGION", "eu-west-1");
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_SQS, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "eu-west-1");
    s_set(&cfg, "AWS_REGION", "eu-central-1");
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_SQS, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "eu-central-1");
    /* The queue URL's own region beats the general settings ... */
    s_set(&cfg, "SQS_QUEUE_URL", "https://sqs.us-west-2.amazonaws.com/123456789012/q");
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_SQS, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "us-west-2");
    /* ... and SQS_REGION beats everything. */
    s_set(&cfg, "SQS_REGION", "ap-south-1");
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_SQS, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "ap-south-1");
    /* S3 ignores the SQS settings. */
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_S3, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "eu-central-1");
}

DN_TEST(region_defaults_for_custom_endpoint)
{
    struct dn_config cfg;
    char region[64];
    struct dn_err err = {0};
    s_cfg(&cfg);
    DN_EXPECT_INT(dn_endpoint_region(&cfg, DN_AWS_S3, region, sizeof(region), &err), DN_E(DN_ERR_CONFIG));
    s_set(&cfg, "AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000");
    DN_CHECK_OK(dn_endpoint_region(&cfg, DN_AWS_S3, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "us-east-1");
    DN_EXPECT_INT(dn_endpoint_region(&cfg, DN_AWS_SQS, region, sizeof(region), &err), DN_E(DN_ERR_CONFIG));
}

DN_TEST(sqs_url_region)
{
    char r[64];
    DN_EXPECT(dn_endpoint_sqs_url_region("https://sqs.eu-west-3.amazonaws.com/1/q", r, sizeof(r)));
    DN_EXPECT_STR(r, "eu-west-3");
    DN_EXPECT(dn_endpoint_sqs_url_region("https://us-west-1.queue.amazonaws.com/1/q", r, sizeof(r)));
    DN_EXPECT_STR(r, "us-west-1");
    DN_EXPECT(dn_endpoint_sqs_url_region("https://sqs.cn-north-1.amazonaws.com.cn/1/q", r, sizeof(r)));
    DN_EXPECT_STR(r, "cn-north-1");
    DN_EXPECT(!dn_endpoint_sqs_url_region("http://127.0.0.1:5000/123456789012/q", r, sizeof(r)));
    DN_EXPECT(!dn_endpoint_sqs_url_region("https://queue.amazonaws.com/1/q", r, sizeof(r)));
    DN_EXPECT(!dn_endpoint_sqs_url_region("not a url", r, sizeof(r)));
}

DN_TEST(endpoint_overrides)
{
    struct dn_config cfg;
    struct dn_endpoint ep;
    struct dn_err err = {0};
    s_cfg(&cfg);
    DN_CHECK_OK(dn_endpoint_resolve(&cfg, DN_AWS_S3, "us-east-2", &ep, &err), &err);
    DN_EXPECT_STR(ep.host, "s3.us-east-2.amazonaws.com");
    DN_EXPECT_STR(ep.scheme, "https");
    DN_EXPECT(!ep.custom);
    DN_CHECK_OK(dn_endpoint_resolve(&cfg, DN_AWS_SQS, "cn-north-1", &ep, &err), &err);
    DN_EXPECT_STR(ep.host, "sqs.cn-north-1.amazonaws.com.cn");
    /* The queue URL is SQS's endpoint when no endpoint setting is given. */
    s_set(&cfg, "SQS_QUEUE_URL", "http://localhost:4566/000000000000/jobs");
    DN_CHECK_OK(dn_endpoint_resolve(&cfg, DN_AWS_SQS, "us-east-1", &ep, &err), &err);
    DN_EXPECT_STR(ep.host, "localhost:4566");
    DN_EXPECT_STR(ep.base_path, "");
    s_set(&cfg, "AWS_ENDPOINT_URL", "HTTP://Minio.Local:80/");
    DN_CHECK_OK(dn_endpoint_resolve(&cfg, DN_AWS_SQS, "us-east-1", &ep, &err), &err);
    DN_EXPECT_STR(ep.scheme, "http");
    DN_EXPECT_STR(ep.host, "minio.local"); /* default port dropped: it is not in Host */
    DN_EXPECT(ep.custom);
    s_set(&cfg, "AWS_ENDPOINT_URL_S3", "https://s3.example.com:8443/base/");
    DN_CHECK_OK(dn_endpoint_resolve(&cfg, DN_AWS_S3, "us-east-1", &ep, &err), &err);
    DN_EXPECT_STR(ep.host, "s3.example.com:8443");
    DN_EXPECT_STR(ep.base_path, "/base");
    s_set(&cfg, "AWS_ENDPOINT_URL_S3", "ftp://nope");
    DN_EXPECT_INT(dn_endpoint_resolve(&cfg, DN_AWS_S3, "us-east-1", &ep, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "AWS_ENDPOINT_URL_S3") != NULL);
}

DN_TEST(virtual_host_names)
{
    DN_EXPECT(dn_endpoint_s3_virtual_ok("dancer-uploads"));
    DN_EXPECT(dn_endpoint_s3_virtual_ok("abc"));
    DN_EXPECT(!dn_endpoint_s3_virtual_ok("ab"));
    DN_EXPECT(!dn_endpoint_s3_virtual_ok("my.bucket"));   /* breaks the TLS wildcard */
    DN_EXPECT(!dn_endpoint_s3_virtual_ok("My_Bucket"));   /* legacy names */
    DN_EXPECT(!dn_endpoint_s3_virtual_ok("-bucket"));
    DN_EXPECT(!dn_endpoint_s3_virtual_ok("bucket-"));
}

static void s_target(const struct dn_endpoint *ep, int addressing, const char *bucket, const char *key,
                     const char *want_url, const char *want_host, const char *want_path)
{
    char *url, *host, *path;
    struct dn_err err = {0};
    if (dn_endpoint_s3_target(ep, addressing, bucket, key, &url, &host, &path, &err)) {
        dn_test_fail(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    DN_EXPECT_STR(url, want_url);
    DN_EXPECT_STR(host, want_host);
    DN_EXPECT_STR(path, want_path);
    free(url);
    free(host);
    free(path);
}

DN_TEST(s3_addressing)
{
    struct dn_endpoint aws = {.scheme = "https", .host = "s3.us-east-1.amazonaws.com"};
    struct dn_endpoint local = {.scheme = "http", .host = "127.0.0.1:5000", .custom = true};
    /* AWS endpoint, auto: virtual-hosted for DNS-safe names. */
    s_target(&aws, DN_ADDRESSING_AUTO, "uploads", "a b/ü+%.mp4",
             "https://uploads.s3.us-east-1.amazonaws.com/a%20b/%C3%BC%2B%25.mp4",
             "uploads.s3.us-east-1.amazonaws.com", "/a%20b/%C3%BC%2B%25.mp4");
    /* Dotted bucket: path style even on AWS. */
    s_target(&aws, DN_ADDRESSING_AUTO, "my.bucket", "k", "https://s3.us-east-1.amazonaws.com/my.bucket/k",
             "s3.us-east-1.amazonaws.com", "/my.bucket/k");
    /* Custom endpoint, auto: path style. Bucket operations have no key. */
    s_target(&local, DN_ADDRESSING_AUTO, "uploads", NULL, "http://127.0.0.1:5000/uploads",
             "127.0.0.1:5000", "/uploads");
    s_target(&aws, DN_ADDRESSING_AUTO, "uploads", NULL, "https://uploads.s3.us-east-1.amazonaws.com/",
             "uploads.s3.us-east-1.amazonaws.com", "/");
    /* Forced styles. */
    s_target(&aws, DN_ADDRESSING_PATH, "uploads", "k", "https://s3.us-east-1.amazonaws.com/uploads/k",
             "s3.us-east-1.amazonaws.com", "/uploads/k");
    s_target(&local, DN_ADDRESSING_VIRTUAL, "uploads", "k", "http://uploads.127.0.0.1:5000/k",
             "uploads.127.0.0.1:5000", "/k");
    s_target(&aws, DN_ADDRESSING_VIRTUAL, "Legacy_Name", "k",
             "https://s3.us-east-1.amazonaws.com/Legacy_Name/k", "s3.us-east-1.amazonaws.com",
             "/Legacy_Name/k");
    /* Keys are never normalised: dot segments and double slashes stay. */
    s_target(&local, DN_ADDRESSING_PATH, "b", "a/../b//c", "http://127.0.0.1:5000/b/a/../b//c",
             "127.0.0.1:5000", "/b/a/../b//c");
}

DN_TEST(s3_url_split)
{
    char bucket[8];
    const char *rest = NULL;
    DN_CHECK(dn_s3_url_split("s3://bkt/uploads/a b.mp4", bucket, sizeof(bucket), &rest));
    DN_EXPECT_STR(bucket, "bkt");
    DN_EXPECT_STR(rest, "uploads/a b.mp4");
    DN_CHECK(dn_s3_url_split("s3://bkt", bucket, sizeof(bucket), &rest));
    DN_EXPECT_STR(rest, "");
    DN_CHECK(dn_s3_url_split("s3://bkt/", bucket, sizeof(bucket), &rest));
    DN_EXPECT_STR(rest, "");
    DN_EXPECT(dn_s3_url_split("s3://1234567/k", bucket, sizeof(bucket), &rest)); /* 7 fits in 8 */
    DN_EXPECT(!dn_s3_url_split("s3://12345678/k", bucket, sizeof(bucket), &rest));
    DN_EXPECT(!dn_s3_url_split("s3:///k", bucket, sizeof(bucket), &rest));
    DN_EXPECT(!dn_s3_url_split("s3://", bucket, sizeof(bucket), &rest));
    DN_EXPECT(!dn_s3_url_split("https://bkt/k", bucket, sizeof(bucket), &rest));
    DN_EXPECT(!dn_s3_url_split("walk.mp4", bucket, sizeof(bucket), &rest));
}
