/* test_err.c — error records, class names and the retry decision. */
#include "dancer/err.h"
#include "test.h"

DN_TEST(set_returns_code_and_records)
{
    struct dn_err err = {0};
    int rc = dn_err_set(&err, DN_ERR_BAD_INPUT, "moov atom not found in %s", "x.mp4");
    DN_EXPECT_INT(rc, DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT(rc < 0);
    DN_EXPECT_INT(dn_err_code(&err), rc);
    DN_EXPECT_STR(err.msg, "moov atom not found in x.mp4");
    DN_EXPECT(err.line > 0 && err.file != NULL);
    dn_err_prefix(&err, "s3://%s/%s: ", "b", "k");
    DN_EXPECT_STR(err.msg, "s3://b/k: moov atom not found in x.mp4");
    DN_EXPECT_INT(err.cls, DN_ERR_BAD_INPUT);
    DN_EXPECT_INT(dn_err_set(NULL, DN_ERR_NETWORK, "no record"), DN_E(DN_ERR_NETWORK));
    dn_err_clear(&err);
    DN_EXPECT_INT(dn_err_code(&err), 0);
}

DN_TEST(class_names_are_stable)
{
    DN_EXPECT_STR(dn_err_class_name(DN_ERR_BAD_INPUT), "bad_input");
    DN_EXPECT_STR(dn_err_class_name(DN_ERR_NOT_FOUND), "not_found");
    DN_EXPECT_STR(dn_err_class_name(DN_ERR_THROTTLED), "throttled");
    for (int c = DN_ERR_NONE; c < DN_ERR__COUNT; c++)
        DN_EXPECT(dn_err_class_name((enum dn_err_class)c)[0] != '\0');
}

DN_TEST(retry_decision)
{
    DN_EXPECT(dn_err_retryable(DN_ERR_NETWORK));
    DN_EXPECT(dn_err_retryable(DN_ERR_THROTTLED));
    DN_EXPECT(dn_err_retryable(DN_ERR_RESOURCE));
    DN_EXPECT(!dn_err_retryable(DN_ERR_BAD_INPUT));
    DN_EXPECT(!dn_err_retryable(DN_ERR_UNSUPPORTED));
    DN_EXPECT(!dn_err_retryable(DN_ERR_NOT_FOUND));
    DN_EXPECT_INT(dn_err_exit_status(DN_ERR_CONFIG), 2);
    DN_EXPECT_INT(dn_err_exit_status(DN_ERR_USAGE), 2);
    DN_EXPECT_INT(dn_err_exit_status(DN_ERR_BAD_INPUT), 1);
}
