/* test_config.c — settings table, .env parsing and precedence. */
#include <stdlib.h>

#include "dancer/config.h"
#include "test.h"

static const char *s_write(const char *name, const char *text)
{
    static char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dn_test_tmp_dir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

DN_TEST(defaults_are_valid_and_documented)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    dn_config_init(&cfg);
    DN_EXPECT_INT(cfg.sqs_long_poll_timeout_s, 20);
    DN_EXPECT_INT(cfg.sqs_visibility_timeout_s, 300);
    DN_EXPECT_INT(cfg.sqs_max_messages, 10);
    DN_EXPECT_STR(cfg.expected_event_source, "aws:s3");
    DN_EXPECT_STR(cfg.expected_event_prefix, "ObjectCreated");
    DN_EXPECT_STR(cfg.s3_prefix, "uploads");
    DN_EXPECT_STR(cfg.results_prefix, "results/");
    DN_EXPECT_INT(cfg.aws_max_attempts, 3);
    /* Every default must pass its own validation. */
    for (size_t i = 0; i < dn_config_setting_count(); i++) {
        const struct dn_setting_info *s = dn_config_setting(i);
        struct dn_config tmp = cfg;
        DN_EXPECT(s->doc && *s->doc);
        if (dn_config_set(&tmp, s->name, s->def, DN_CFG_DEFAULT, &err))
            dn_test_fail(__FILE__, __LINE__, "default of %s invalid: %s", s->name, err.msg);
    }
}

DN_TEST(readme_lists_every_setting)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/README.md", getenv("DN_SOURCE_DIR") ? getenv("DN_SOURCE_DIR") : ".");
    FILE *f = fopen(path, "r");
    if (!f)
        DN_SKIP("README.md not found");
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    for (size_t i = 0; i < dn_config_setting_count(); i++) {
        char needle[128];
        snprintf(needle, sizeof(needle), "`%s`", dn_config_setting(i)->name);
        if (!strstr(text, needle))
            dn_test_fail(__FILE__, __LINE__, "README.md does not document %s", dn_config_setting(i)->name);
    }
}

DN_TEST(invalid_values_name_the_variable)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    dn_config_init(&cfg);
    DN_EXPECT_INT(dn_config_set(&cfg, "SQS_MAX_MESSAGES", "11", DN_CFG_ENV, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "SQS_MAX_MESSAGES") != NULL);
    DN_EXPECT(strstr(err.msg, "environment") != NULL);
    DN_EXPECT(strchr(err.msg, '\n') == NULL);
    DN_EXPECT_INT(cfg.sqs_max_messages, 10); /* unchanged on error */
    DN_EXPECT(dn_config_set(&cfg, "SQS_LONG_POLL_TIMEOUT", "abc", DN_CFG_FLAG, &err) < 0);
    DN_EXPECT(strstr(err.msg, "SQS_LONG_POLL_TIMEOUT") != NULL);
    DN_EXPECT(dn_config_set(&cfg, "SQS_LONG_POLL_TIMEOUT", "", DN_CFG_FLAG, &err) < 0);
    DN_EXPECT(dn_config_set(&cfg, "SQS_LONG_POLL_TIMEOUT", "5x", DN_CFG_FLAG, &err) < 0);
    DN_EXPECT(dn_config_set(&cfg, "SQS_LONG_POLL_TIMEOUT", "99999999999999999999", DN_CFG_FLAG, &err) < 0);
    DN_EXPECT(dn_config_set(&cfg, "DANCER_DEVICE", "tpu", DN_CFG_FLAG, &err) < 0);
    DN_EXPECT(strstr(err.msg, "auto|cpu|gpu") != NULL);
    DN_EXPECT(dn_config_set(&cfg, "AWS_EC2_METADATA_DISABLED", "maybe", DN_CFG_ENV, &err) < 0);
    DN_EXPECT(dn_config_set(&cfg, "NOT_A_SETTING", "1", DN_CFG_ENV, &err) < 0);
    DN_EXPECT_INT(err.cls, DN_ERR_CONFIG);
}

DN_TEST(enums_and_bools_parse)
{
    struct dn_config cfg;
    char buf[64];
    dn_config_init(&cfg);
    DN_CHECK_OK(dn_config_set(&cfg, "DANCER_DEVICE", "GPU", DN_CFG_FLAG, NULL), (struct dn_err *)NULL);
    DN_EXPECT_INT(cfg.device, DN_DEVICE_GPU);
    DN_CHECK_OK(dn_config_get(&cfg, "DANCER_DEVICE", buf, sizeof(buf)), (struct dn_err *)NULL);
    DN_EXPECT_STR(buf, "gpu");
    DN_CHECK_OK(dn_config_set(&cfg, "AWS_EC2_METADATA_DISABLED", "Yes", DN_CFG_ENV, NULL), (struct dn_err *)NULL);
    DN_EXPECT(cfg.aws_ec2_metadata_disabled);
}

DN_TEST(secrets_are_never_shown)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    char buf[64];
    dn_config_init(&cfg);
    DN_CHECK_OK(dn_config_set(&cfg, "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI", DN_CFG_ENV, &err), &err);
    DN_CHECK_OK(dn_config_get(&cfg, "AWS_SECRET_ACCESS_KEY", buf, sizeof(buf)), &err);
    DN_EXPECT_STR(buf, "(set)");
    DN_EXPECT_STR(cfg.aws_secret_access_key, "wJalrXUtnFEMI");
}

DN_TEST(env_file_syntax)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    const char *path = s_write("ok.env",
                               "# old service config.env\n"
                               "\n"
                               "SQS_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/q # comment\n"
                               "export SQS_REGION=eu-west-1\n"
                               "S3_PREFIX='uploads/with #hash'\n"
                               "RESULTS_PREFIX=\"res \\\"q\\\"/\"\n"
                               "SQS_MAX_MESSAGES = 4\r\n"
                               "SOME_OTHER_TOOL=ignored\n");
    DN_CHECK(path);
    dn_config_init(&cfg);
    DN_CHECK_OK(dn_config_load_file(&cfg, path, &err), &err);
    DN_EXPECT_STR(cfg.sqs_queue_url, "https://sqs.us-east-1.amazonaws.com/123456789012/q");
    DN_EXPECT_STR(cfg.sqs_region, "eu-west-1");
    DN_EXPECT_STR(cfg.s3_prefix, "uploads/with #hash");
    DN_EXPECT_STR(cfg.results_prefix, "res \"q\"/");
    DN_EXPECT_INT(cfg.sqs_max_messages, 4);
    DN_EXPECT_INT(dn_config_source_of(&cfg, "SQS_REGION"), DN_CFG_FILE);
}

DN_TEST(env_file_errors_point_at_the_line)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    dn_config_init(&cfg);
    const char *path = s_write("bad.env", "SQS_REGION=x\nSQS_VISIBILITY_TIMEOUT=-5\n");
    DN_CHECK(path);
    DN_EXPECT(dn_config_load_file(&cfg, path, &err) < 0);
    DN_EXPECT(strstr(err.msg, ":2: SQS_VISIBILITY_TIMEOUT") != NULL);
    path = s_write("quote.env", "S3_PREFIX=\"never closed\n");
    DN_EXPECT(dn_config_load_file(&cfg, path, &err) < 0);
    DN_EXPECT(strstr(err.msg, "unterminated") != NULL);
    path = s_write("noeq.env", "JUSTAWORD\n");
    DN_EXPECT(dn_config_load_file(&cfg, path, &err) < 0);
    DN_EXPECT(dn_config_load_file(&cfg, "/nonexistent/x.env", &err) < 0);
    DN_EXPECT_INT(err.cls, DN_ERR_CONFIG);
}

DN_TEST(precedence_flag_env_file_default)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    const char *path = s_write("prec.env", "SQS_MAX_MESSAGES=5\nSQS_LONG_POLL_TIMEOUT=7\nSQS_REGION=from-file\n");
    DN_CHECK(path);
    setenv("SQS_MAX_MESSAGES", "6", 1);
    setenv("SQS_REGION", "from-env", 1);
    unsetenv("SQS_LONG_POLL_TIMEOUT");
    unsetenv("SQS_VISIBILITY_TIMEOUT");
    DN_CHECK_OK(dn_config_load(&cfg, path, &err), &err);
    DN_CHECK_OK(dn_config_set(&cfg, "SQS_MAX_MESSAGES", "2", DN_CFG_FLAG, &err), &err);
    DN_EXPECT_INT(cfg.sqs_max_messages, 2);          /* flag */
    DN_EXPECT_STR(cfg.sqs_region, "from-env");       /* env over file */
    DN_EXPECT_INT(cfg.sqs_long_poll_timeout_s, 7);   /* file over default */
    DN_EXPECT_INT(cfg.sqs_visibility_timeout_s, 300); /* default */
    DN_EXPECT_INT(dn_config_source_of(&cfg, "SQS_MAX_MESSAGES"), DN_CFG_FLAG);
    DN_EXPECT_INT(dn_config_source_of(&cfg, "SQS_REGION"), DN_CFG_ENV);
    DN_EXPECT_INT(dn_config_source_of(&cfg, "SQS_LONG_POLL_TIMEOUT"), DN_CFG_FILE);
    DN_EXPECT_INT(dn_config_source_of(&cfg, "SQS_VISIBILITY_TIMEOUT"), DN_CFG_DEFAULT);
    unsetenv("SQS_MAX_MESSAGES");
    unsetenv("SQS_REGION");
}
