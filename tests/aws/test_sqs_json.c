/* test_sqs_json.c — SQS JSON bodies from fixtures: ReceiveMessage (system
 * attributes, MD5 check), batch results matched to entries, error types. */
#include <stdlib.h>

#include "dancer/sqs.h"
#include "fixture.h"
#include "test.h"

DN_TEST(receive_two_messages)
{
    size_t len;
    struct dn_sqs_messages m;
    struct dn_err err = {0};
    char *json = dn_fixture_read("sqs/receive_two.json", &len);
    DN_CHECK(json);
    DN_CHECK_OK(dn_sqs_parse_receive(json, len, &m, &err), &err);
    DN_CHECK_INT(m.n, 2);
    DN_EXPECT_STR(m.items[0].message_id, "5fea7756-0ea4-451a-a703-a558b933e274");
    DN_EXPECT(!strncmp(m.items[0].receipt_handle, "MbZj6wDWli+JvwwJaBV+", 20));
    DN_EXPECT(!strncmp(m.items[0].body, "{\"Records\"", 10));
    DN_EXPECT_INT(m.items[0].body_len, strlen(m.items[0].body));
    DN_EXPECT_INT(m.items[0].receive_count, 3);
    DN_EXPECT_INT(m.items[0].sent_ms, 1705314600000LL);
    DN_EXPECT_INT(m.items[0].first_receive_ms, 1705314601234LL);
    /* JSON escapes decoded; the MD5 is over the decoded UTF-8 bytes. */
    DN_EXPECT_STR(m.items[1].body, "unicode \xC3\xBC\xE6\xAD\xA9 and \"quotes\" \\ and newline\n");
    DN_EXPECT_INT(m.items[1].receive_count, 0); /* attributes absent */
    dn_sqs_messages_clean_up(&m);
    free(json);
}

DN_TEST(receive_rejects_bad_md5_and_shapes)
{
    size_t len;
    struct dn_sqs_messages m;
    struct dn_err err = {0};
    char *json = dn_fixture_read("sqs/receive_bad_md5.json", &len);
    DN_CHECK(json);
    DN_EXPECT_INT(dn_sqs_parse_receive(json, len, &m, &err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(err.msg, "does not match MD5OfBody") != NULL);
    DN_EXPECT(m.n == 0 && m.items == NULL);
    free(json);
    DN_CHECK((json = dn_fixture_read("sqs/receive_malformed.json", &len)));
    DN_EXPECT_INT(dn_sqs_parse_receive(json, len, &m, &err), DN_E(DN_ERR_NETWORK));
    free(json);
    static const char *const bad[] = {"", "[]", "{\"Messages\": 3}", "not json", "{\"Messages\": [1]}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        DN_EXPECT_INT(dn_sqs_parse_receive(bad[i], strlen(bad[i]), &m, &err), DN_E(DN_ERR_NETWORK));
}

DN_TEST(receive_idle_queue)
{
    size_t len;
    struct dn_sqs_messages m;
    struct dn_err err = {0};
    char *json = dn_fixture_read("sqs/receive_empty.json", &len);
    DN_CHECK(json);
    DN_CHECK_OK(dn_sqs_parse_receive(json, len, &m, &err), &err);
    DN_EXPECT_INT(m.n, 0);
    DN_CHECK_OK(dn_sqs_parse_receive("{\"Messages\": []}", 16, &m, &err), &err);
    DN_EXPECT_INT(m.n, 0);
    free(json);
}

DN_TEST(batch_results_in_entry_order)
{
    size_t len;
    struct dn_sqs_batch_result res;
    struct dn_err err = {0};
    const struct dn_sqs_entry e[] = {{.id = "a"}, {.id = "b"}, {.id = "c"}, {.id = "d"}, {.id = "e"}, {.id = "f"}};
    char *json = dn_fixture_read("sqs/batch_mixed.json", &len);
    DN_CHECK(json);
    DN_CHECK_OK(dn_sqs_parse_batch(json, len, e, 6, &res, &err), &err);
    DN_CHECK_INT(res.n, 6);
    DN_EXPECT_INT(res.nfailed, 4);
    DN_EXPECT(res.entries[0].ok);
    DN_EXPECT(!res.entries[1].ok);
    DN_EXPECT_STR(res.entries[1].code, "ReceiptHandleIsInvalid");
    DN_EXPECT(res.entries[1].sender_fault);
    DN_EXPECT_INT(res.entries[1].cls, DN_ERR_CONFLICT); /* the message is no longer ours */
    DN_EXPECT(strstr(res.entries[1].message, "not a valid receipt handle") != NULL);
    DN_EXPECT(res.entries[2].ok);
    DN_EXPECT_STR(res.entries[2].message_id, "mid-c");
    DN_EXPECT_INT(res.entries[3].cls, DN_ERR_NETWORK); /* server's fault: retry the entry */
    DN_EXPECT_INT(res.entries[4].cls, DN_ERR_BAD_INPUT);
    /* An entry the answer never mentions is not assumed done. */
    DN_EXPECT(!res.entries[5].ok);
    DN_EXPECT_STR(res.entries[5].code, "NoResult");
    DN_EXPECT_INT(dn_sqs_parse_batch("nope", 4, e, 1, &res, &err), DN_E(DN_ERR_NETWORK));
    free(json);
}

DN_TEST(error_types)
{
    char code[64], msg[128];
    const char *body = "{\"__type\": \"com.amazon.coral.service#AWS.SimpleQueueService.NonExistentQueue\","
                       " \"message\": \"The specified queue does not exist.\"}";
    dn_sqs_parse_error(body, strlen(body), code, sizeof(code), msg, sizeof(msg));
    DN_EXPECT_STR(code, "NonExistentQueue");
    DN_EXPECT_STR(msg, "The specified queue does not exist.");
    dn_sqs_parse_error("garbage", 7, code, sizeof(code), msg, sizeof(msg));
    DN_EXPECT_STR(code, "");
    DN_EXPECT_STR(msg, "");
    DN_EXPECT_INT(dn_sqs_error_class(400, "com.amazonaws.sqs#QueueDoesNotExist"), DN_ERR_NOT_FOUND);
    DN_EXPECT_INT(dn_sqs_error_class(400, "NonExistentQueue"), DN_ERR_NOT_FOUND);
    DN_EXPECT_INT(dn_sqs_error_class(400, "ReceiptHandleIsInvalid"), DN_ERR_CONFLICT);
    DN_EXPECT_INT(dn_sqs_error_class(400, "MessageNotInflight"), DN_ERR_CONFLICT);
    DN_EXPECT_INT(dn_sqs_error_class(400, "InvalidAttributeName"), DN_ERR_CONFIG);
    DN_EXPECT_INT(dn_sqs_error_class(400, "TooManyEntriesInBatchRequest"), DN_ERR_INTERNAL);
    DN_EXPECT_INT(dn_sqs_error_class(400, "ThrottlingException"), DN_ERR_THROTTLED);
    DN_EXPECT_INT(dn_sqs_error_class(400, "RequestThrottled"), DN_ERR_THROTTLED);
    DN_EXPECT_INT(dn_sqs_error_class(400, "InvalidClientTokenId"), DN_ERR_AUTH);
    DN_EXPECT_INT(dn_sqs_error_class(403, "AccessDenied"), DN_ERR_AUTH);
    DN_EXPECT_INT(dn_sqs_error_class(400, "InvalidParameterValue"), DN_ERR_BAD_INPUT);
    DN_EXPECT_INT(dn_sqs_error_class(500, "InternalError"), DN_ERR_NETWORK);
}
