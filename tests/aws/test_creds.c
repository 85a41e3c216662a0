/* test_creds.c — the credentials chain without a network: environment,
 * shared files (profiles, precedence, errors), region lookup, the
 * credentials document and time parsing, the container URL rule, and the
 * message that lists what was tried. Endpoints that answer are in
 * test_creds_remote.c. */
#include <stdio.h>
#include <stdlib.h>

#include "creds_links.h" /* internal: the links' parsers */
#include "dancer/creds.h"
#include "creds_fixture.h"
#include "test.h"

/* A config with nothing from the real environment: files in the case's
 * temp dir, instance metadata off. */
static const char *s_cfg(struct dn_config *cfg)
{
    static char cred[1200], conf[1200];
    const char *dir = dn_test_tmp_dir();
    struct dn_err err = {0};
    dn_config_init(cfg);
    snprintf(cred, sizeof(cred), "%s/credentials", dir);
    snprintf(conf, sizeof(conf), "%s/config", dir);
    remove(cred);
    remove(conf);
    dn_config_set(cfg, "AWS_SHARED_CREDENTIALS_FILE", cred, DN_CFG_FLAG, &err);
    dn_config_set(cfg, "AWS_CONFIG_FILE", conf, DN_CFG_FLAG, &err);
    dn_config_set(cfg, "AWS_EC2_METADATA_DISABLED", "true", DN_CFG_FLAG, &err);
    return dir;
}

static void s_write(const char *dir, const char *name, const char *text)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        dn_test_fail(__FILE__, __LINE__, "cannot write %s", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

static const char s_creds_file[] =
    "# comment\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key=secret/default+key\n"
    "\n"
    "[dev]\r\n"
    "  aws_access_key_id : AKIDDEV\r\n"
    "  aws_secret_access_key = devsecret\r\n"
    "  AWS_Session_Token = devtoken # not a comment\r\n"
    "region = eu-west-1\n"
    "[onlyregion]\n"
    "region = ap-south-1\n";

static const char s_config_file[] =
    "[default]\n"
    "region = us-west-2\n"
    "s3 =\n"
    "    addressing_style = path\n"
    "    aws_access_key_id = NESTED_NOT_A_KEY\n"
    "[profile cfgonly]\n"
    "aws_access_key_id = AKIDCFG\n"
    "aws_secret_access_key = cfgsecret\n"
    "region = sa-east-1\n"
    "[cfgbare]\n"
    "aws_access_key_id = AKIDBARE\n"
    "aws_secret_access_key = baresecret\n"
    "[profile dev]\n"
    "aws_access_key_id = AKIDDEV_FROM_CONFIG\n"
    "aws_secret_access_key = other\n"
    "region = us-east-2\n"
    "[profile onlyregion]\n"
    "region = ca-central-1\n";

DN_TEST(environment_first)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    const char *dir = s_cfg(&cfg);
    s_write(dir, "credentials", s_creds_file);
    dn_test_cfg_set(&cfg, "AWS_ACCESS_KEY_ID", "AKIDENV");
    dn_test_cfg_set(&cfg, "AWS_SECRET_ACCESS_KEY", "envsecret");
    dn_test_cfg_set(&cfg, "AWS_SESSION_TOKEN", "envtoken");
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "dev");
    DN_CHECK_OK(dn_test_creds_get_once(&cfg, &c, &err), &err);
    DN_EXPECT_STR(c.access_key_id, "AKIDENV");
    DN_EXPECT_STR(c.secret_access_key, "envsecret");
    DN_EXPECT_STR(c.session_token, "envtoken");
    DN_EXPECT_STR(c.source, "environment");
    DN_EXPECT_INT(c.expiration, 0);
}

DN_TEST(environment_half_a_pair_is_an_error)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    const char *dir = s_cfg(&cfg);
    s_write(dir, "credentials", s_creds_file);
    dn_test_cfg_set(&cfg, "AWS_ACCESS_KEY_ID", "AKIDENV");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "AWS_SECRET_ACCESS_KEY is not") != NULL);
}

DN_TEST(credentials_file_default_profile)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    const char *dir = s_cfg(&cfg);
    s_write(dir, "credentials", s_creds_file);
    DN_CHECK_OK(dn_test_creds_get_once(&cfg, &c, &err), &err);
    DN_EXPECT_STR(c.access_key_id, "AKIDDEFAULT");
    DN_EXPECT_STR(c.secret_access_key, "secret/default+key");
    DN_EXPECT_STR(c.session_token, "");
    DN_EXPECT_STR(c.source, "shared-file");
}

/* [dev] in the credentials file (CRLF, ':' delimiter, indented keys,
 * mixed-case key, '#' inside a value) wins over [profile dev] in config. */
DN_TEST(credentials_file_named_profile_wins_over_config)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    const char *dir = s_cfg(&cfg);
    s_write(dir, "credentials", s_creds_file);
    s_write(dir, "config", s_config_file);
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "dev");
    DN_CHECK_OK(dn_test_creds_get_once(&cfg, &c, &err), &err);
    DN_EXPECT_STR(c.access_key_id, "AKIDDEV");
    DN_EXPECT_STR(c.secret_access_key, "devsecret");
    DN_EXPECT_STR(c.session_token, "devtoken # not a comment");
}

DN_TEST(config_file_profile_sections)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    const char *dir = s_cfg(&cfg);
    s_write(dir, "config", s_config_file);
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "cfgonly");
    DN_CHECK_OK(dn_test_creds_get_once(&cfg, &c, &err), &err);
    DN_EXPECT_STR(c.access_key_id, "AKIDCFG");
    /* [cfgbare] in the config file is not a profile (it needs "profile "). */
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "cfgbare");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "AWS_PROFILE=cfgbare: no such profile") != NULL);
}

/* The nested "s3 =" block's indented lines are not keys of [default]. */
DN_TEST(config_nested_settings_are_not_keys)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    s_write(dn_test_tmp_dir(), "config", s_config_file);
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_AUTH));
    DN_EXPECT(strstr(err.msg, "profile default:") != NULL);
    DN_EXPECT(strstr(err.msg, "/config has no keys") != NULL);
}

DN_TEST(missing_profile_is_a_config_error)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    const char *dir = s_cfg(&cfg);
    s_write(dir, "credentials", s_creds_file);
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "nope");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "AWS_PROFILE=nope") != NULL);
}

DN_TEST(profile_with_half_a_pair_is_an_error)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    const char *dir = s_cfg(&cfg);
    s_write(dir, "credentials", "[default]\naws_access_key_id = AKID\n");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "[profile default]: aws_access_key_id is set but "
                              "aws_secret_access_key is not") != NULL);
}

DN_TEST(assume_role_profile_is_refused_not_skipped)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    const char *dir = s_cfg(&cfg);
    s_write(dir, "credentials", s_creds_file);
    s_write(dir, "config", "[profile ops]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n");
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "ops");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "uses role_arn") != NULL);
    s_write(dir, "config", "[profile ops]\ncredential_process = /bin/true\n");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "uses credential_process") != NULL);
}

DN_TEST(nothing_anywhere_lists_what_was_tried)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_AUTH));
    DN_EXPECT(strstr(err.msg, "environment (AWS_ACCESS_KEY_ID unset)") != NULL);
    DN_EXPECT(strstr(err.msg, "shared files (profile default:") != NULL);
    DN_EXPECT(strstr(err.msg, "credentials missing") != NULL);
    DN_EXPECT(strstr(err.msg, "container (") != NULL);
    DN_EXPECT(strstr(err.msg, "instance metadata (AWS_EC2_METADATA_DISABLED)") != NULL);
}

/* Instance metadata enabled but nothing listening: passes on at once. */
DN_TEST(no_metadata_service_passes_on)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    dn_test_cfg_set(&cfg, "AWS_EC2_METADATA_DISABLED", "false");
    dn_test_cfg_set(&cfg, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9/");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_AUTH));
    DN_EXPECT(strstr(err.msg, "instance metadata (no answer from http://127.0.0.1:9") != NULL);
}

DN_TEST(profile_region)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    char region[64];
    const char *dir = s_cfg(&cfg);
    DN_CHECK_OK(dn_aws_profile_region(&cfg, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "");
    s_write(dir, "credentials", s_creds_file);
    s_write(dir, "config", s_config_file);
    DN_CHECK_OK(dn_aws_profile_region(&cfg, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "us-west-2");
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "cfgonly");
    DN_CHECK_OK(dn_aws_profile_region(&cfg, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "sa-east-1");
    /* The credentials file's value wins, as botocore merges the files. */
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "onlyregion");
    DN_CHECK_OK(dn_aws_profile_region(&cfg, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "ap-south-1");
    dn_test_cfg_set(&cfg, "AWS_PROFILE", "nope");
    DN_EXPECT_INT(dn_aws_profile_region(&cfg, region, sizeof(region), &err), DN_E(DN_ERR_CONFIG));
}

DN_TEST(region_order)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    char region[64];
    const char *dir = s_cfg(&cfg);
    s_write(dir, "config", s_config_file);
    DN_CHECK_OK(dn_aws_region(&cfg, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "us-west-2");
    dn_test_cfg_set(&cfg, "AWS_DEFAULT_REGION", "eu-north-1");
    DN_CHECK_OK(dn_aws_region(&cfg, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "eu-north-1");
    dn_test_cfg_set(&cfg, "AWS_REGION", "me-south-1");
    DN_CHECK_OK(dn_aws_region(&cfg, region, sizeof(region), &err), &err);
    DN_EXPECT_STR(region, "me-south-1");
}

DN_TEST(time_parse)
{
    time_t t = 0;
    DN_CHECK_INT(dn_creds_time_parse("2015-08-30T12:36:00Z", &t), 0);
    DN_EXPECT_INT(t, 1440938160);
    DN_CHECK_INT(dn_creds_time_parse("2015-08-30T12:36:00.123Z", &t), 0);
    DN_EXPECT_INT(t, 1440938160);
    DN_CHECK_INT(dn_creds_time_parse("2015-08-30T14:36:00+02:00", &t), 0);
    DN_EXPECT_INT(t, 1440938160);
    DN_CHECK_INT(dn_creds_time_parse("2015-08-30T07:06:00-05:30", &t), 0);
    DN_EXPECT_INT(t, 1440938160);
    DN_EXPECT_INT(dn_creds_time_parse("2015-08-30 12:36:00Z", &t), -1);
    DN_EXPECT_INT(dn_creds_time_parse("2015-08-30T12:36:00", &t), -1);
    DN_EXPECT_INT(dn_creds_time_parse("2015-13-30T12:36:00Z", &t), -1);
    DN_EXPECT_INT(dn_creds_time_parse("tomorrow", &t), -1);
}

DN_TEST(credentials_document)
{
    struct dn_creds c;
    struct dn_err err = {0};
    DN_CHECK_OK(dn_creds_doc_parse("{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIA1\","
                                   "\"SecretAccessKey\":\"s\",\"Token\":\"t\",\"Expiration\":"
                                   "\"2015-08-30T12:36:00Z\"}", "imds", &c, &err), &err);
    DN_EXPECT_STR(c.access_key_id, "ASIA1");
    DN_EXPECT_STR(c.session_token, "t");
    DN_EXPECT_INT(c.expiration, 1440938160);
    DN_EXPECT_STR(c.source, "imds");
    DN_EXPECT_INT(dn_creds_doc_parse("{\"Code\":\"AssumeRoleUnauthorizedAccess\"}", "imds", &c, &err),
                  DN_E(DN_ERR_AUTH));
    DN_EXPECT(strstr(err.msg, "AssumeRoleUnauthorizedAccess") != NULL);
    DN_EXPECT_INT(dn_creds_doc_parse("{\"AccessKeyId\":\"A\"}", "container", &c, &err), DN_E(DN_ERR_AUTH));
    DN_EXPECT_INT(dn_creds_doc_parse("<html>", "container", &c, &err), DN_E(DN_ERR_AUTH));
    DN_EXPECT_INT(dn_creds_doc_parse("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\","
                                     "\"Expiration\":\"soon\"}", "container", &c, &err),
                  DN_E(DN_ERR_AUTH));
    DN_EXPECT_STR(c.access_key_id, ""); /* nothing half-filled on error */
}

/* Plain http FULL_URI only to loopback or the agents; never tried elsewhere. */
DN_TEST(container_full_uri_rule)
{
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://203.0.113.7/creds");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(err.msg, "not 203.0.113.7") != NULL);
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_CONFIG));
    /* Allowed, configured, and nothing answers: an error, not the next link. */
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(err.msg, "container credentials: GET http://127.0.0.1:9/creds") != NULL);
}

DN_TEST(destroy_null_is_a_no_op)
{
    dn_creds_provider_destroy(NULL);
}
