/* test_s3_xml.c — S3's XML documents from fixture files: errors, listings
 * (url-encoded keys), notification configurations (round trip that keeps
 * Topic/Lambda/EventBridge configurations), and malformed input. */
#include <stdlib.h>

#include "dancer/s3.h"
#include "fixture.h"
#include "test.h"

DN_TEST(error_documents)
{
    size_t len;
    struct dn_s3_error e;
    char *xml = dn_fixture_read("s3/error_nosuchkey.xml", &len);
    DN_CHECK(xml);
    DN_EXPECT_INT(dn_s3_xml_parse_error(xml, len, &e), 0);
    DN_EXPECT_STR(e.code, "NoSuchKey");
    DN_EXPECT_STR(e.message, "The specified key does not exist.");
    DN_EXPECT_STR(e.request_id, "7K9M1Q2W3E4R5T6Y");
    DN_EXPECT(!e.has_actual_object_size);
    free(xml);

    DN_CHECK((xml = dn_fixture_read("s3/error_invalid_range.xml", &len)));
    DN_EXPECT_INT(dn_s3_xml_parse_error(xml, len, &e), 0);
    DN_EXPECT_STR(e.code, "InvalidRange");
    DN_EXPECT(e.has_actual_object_size);
    DN_EXPECT_INT(e.actual_object_size, 11);
    free(xml);

    DN_CHECK((xml = dn_fixture_read("s3/error_wrong_region.xml", &len)));
    DN_EXPECT_INT(dn_s3_xml_parse_error(xml, len, &e), 0);
    DN_EXPECT_STR(e.region, "eu-west-1");
    free(xml);
}

DN_TEST(error_rejects_other_documents)
{
    struct dn_s3_error e;
    const char *list = "<ListBucketResult><Code>x</Code></ListBucketResult>";
    DN_EXPECT_INT(dn_s3_xml_parse_error(list, strlen(list), &e), -1);
    DN_EXPECT_INT(dn_s3_xml_parse_error("", 0, &e), -1);
    DN_EXPECT_INT(dn_s3_xml_parse_error("<Error>", 7, &e), -1);
    DN_EXPECT_INT(dn_s3_xml_parse_error("<Error></Error>", 15, &e), -1); /* no Code */
    size_t len;
    char *xml = dn_fixture_read("s3/malformed_doctype.xml", &len);
    DN_CHECK(xml);
    DN_EXPECT_INT(dn_s3_xml_parse_error(xml, len, &e), -1); /* DTDs are refused */
    free(xml);
}

DN_TEST(list_page_url_encoded)
{
    size_t len;
    struct dn_s3_list_page page = {0};
    struct dn_err err = {0};
    char *xml = dn_fixture_read("s3/list_page1.xml", &len);
    DN_CHECK(xml);
    DN_CHECK_OK(dn_s3_xml_parse_list(xml, len, &page, &err), &err);
    DN_EXPECT(page.truncated);
    DN_EXPECT_STR(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    DN_CHECK_INT(page.n, 3);
    DN_EXPECT_STR(page.items[0].key, "uploads/u1/s2/20240115_103000_gait.mp4");
    DN_EXPECT_INT(page.items[0].size, 15728640);
    DN_EXPECT_STR(page.items[0].etag, "\"0123456789abcdef0123456789abcdef\"");
    DN_EXPECT_STR(page.items[0].last_modified, "2024-01-15T10:30:00.000Z");
    /* encoding-type=url: '+' is a space, %2B a plus, %25 a percent. */
    DN_EXPECT_STR(page.items[1].key, "uploads/u1/a b+c%d.mp4");
    DN_EXPECT_STR(page.items[1].etag, "\"d41d8cd98f00b204e9800998ecf8427e-2\"");
    DN_EXPECT_STR(page.items[2].key, "uploads/\xC3\xBC\xE6\xAD\xA9\xE8\xA1\x8C/walk one.mp4");
    DN_EXPECT(page.items[2].size == UINT64_MAX);
    dn_s3_list_page_clean_up(&page);
    free(xml);
}

DN_TEST(list_last_page_raw_keys)
{
    size_t len;
    struct dn_s3_list_page page = {0};
    struct dn_err err = {0};
    char *xml = dn_fixture_read("s3/list_last.xml", &len);
    DN_CHECK(xml);
    DN_CHECK_OK(dn_s3_xml_parse_list(xml, len, &page, &err), &err);
    DN_EXPECT(!page.truncated);
    DN_EXPECT(page.next_token == NULL);
    DN_CHECK_INT(page.n, 1);
    /* Without EncodingType the key is taken literally ('+' stays). */
    DN_EXPECT_STR(page.items[0].key, "uploads/plain+name & more.mp4");
    dn_s3_list_page_clean_up(&page);
    free(xml);
}

DN_TEST(list_common_prefixes)
{
    size_t len;
    struct dn_s3_list_page page = {0};
    struct dn_err err = {0};
    char *xml = dn_fixture_read("s3/list_prefixes.xml", &len);
    DN_CHECK(xml);
    DN_CHECK_OK(dn_s3_xml_parse_list(xml, len, &page, &err), &err);
    DN_EXPECT_INT(page.n, 0);
    DN_CHECK_INT(page.nprefixes, 2);
    DN_EXPECT_STR(page.prefixes[0], "uploads/u1/");
    DN_EXPECT_STR(page.prefixes[1], "uploads/user 2/");
    dn_s3_list_page_clean_up(&page);
    free(xml);
}

DN_TEST(list_malformed)
{
    size_t len;
    struct dn_s3_list_page page = {0};
    struct dn_err err = {0};
    char *xml = dn_fixture_read("s3/malformed_truncated.xml", &len);
    DN_CHECK(xml);
    DN_EXPECT_INT(dn_s3_xml_parse_list(xml, len, &page, &err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(err.msg, "malformed ListObjectsV2") != NULL);
    DN_EXPECT(page.items == NULL && page.n == 0);
    free(xml);
    static const char *const bad[] = {
        "<Error><Code>x</Code></Error>",                                              /* wrong root */
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",    /* no Key */
        "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",       /* no token */
        "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key></Contents></ListBucketResult>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        DN_EXPECT_INT(dn_s3_xml_parse_list(bad[i], strlen(bad[i]), &page, &err), DN_E(DN_ERR_NETWORK));
        DN_EXPECT(page.n == 0);
    }
}

DN_TEST(notification_parse)
{
    size_t len;
    struct dn_s3_notification n = {0};
    struct dn_err err = {0};
    char *xml = dn_fixture_read("s3/notification_mixed.xml", &len);
    DN_CHECK(xml);
    DN_CHECK_OK(dn_s3_xml_parse_notification(xml, len, &n, &err), &err);
    DN_CHECK_INT(n.nqueues, 2);
    DN_EXPECT_STR(n.queues[0].id, "UploadNotification");
    DN_EXPECT_STR(n.queues[0].queue_arn, "arn:aws:sqs:us-east-1:123456789012:dancer-upload-notifications");
    DN_CHECK_INT(n.queues[0].nevents, 1);
    DN_EXPECT_STR(n.queues[0].events[0], "s3:ObjectCreated:*");
    DN_EXPECT_STR(n.queues[0].prefix, "uploads/"); /* S3 answers "Prefix"; rules match any case */
    DN_EXPECT_STR(n.queues[0].suffix, ".mp4");
    DN_EXPECT_INT(n.queues[1].nevents, 2);
    DN_EXPECT(n.queues[1].prefix == NULL && n.queues[1].suffix == NULL);
    DN_CHECK(n.xml_before && n.xml_after);
    DN_EXPECT(!strncmp(n.xml_before, "<TopicConfiguration><Id>audit-topic</Id>", 40));
    DN_EXPECT(strstr(n.xml_after, "<CloudFunctionConfiguration><Id>resize</Id>") == n.xml_after);
    DN_EXPECT(strstr(n.xml_after, "<Value>.jpg &amp; .png</Value>") != NULL); /* verbatim, still escaped */
    DN_EXPECT(strstr(n.xml_after, "<EventBridgeConfiguration/>") != NULL);
    dn_s3_notification_clean_up(&n);
    free(xml);
}

DN_TEST(notification_round_trip_keeps_other_consumers)
{
    size_t len;
    struct dn_s3_notification n = {0}, again = {0};
    struct dn_err err = {0};
    char *xml = dn_fixture_read("s3/notification_mixed.xml", &len), *built = NULL;
    DN_CHECK(xml);
    DN_CHECK_OK(dn_s3_xml_parse_notification(xml, len, &n, &err), &err);
    /* dancer setup: replace its own configuration, add nothing else. */
    char *events[] = {"s3:ObjectCreated:*"};
    struct dn_s3_queue_config mine = {.id = "UploadNotification",
                                      .queue_arn = "arn:aws:sqs:eu-west-1:1:new-queue",
                                      .events = events, .nevents = 1,
                                      .prefix = "uploads/", .suffix = ".mp4"};
    DN_CHECK_OK(dn_s3_notification_upsert_queue(&n, &mine, &err), &err);
    DN_EXPECT_INT(n.nqueues, 2);
    DN_CHECK_OK(dn_s3_xml_build_notification(&n, &built, &err), &err);
    DN_CHECK_OK(dn_s3_xml_parse_notification(built, strlen(built), &again, &err), &err);
    DN_CHECK_INT(again.nqueues, 2);
    DN_EXPECT_STR(again.queues[0].queue_arn, "arn:aws:sqs:eu-west-1:1:new-queue");
    DN_EXPECT_STR(again.queues[0].prefix, "uploads/");
    DN_EXPECT_STR(again.queues[1].id, "thumbs");
    DN_EXPECT_STR(again.xml_before, n.xml_before);
    DN_EXPECT_STR(again.xml_after, n.xml_after);
    /* Schema order: Topic, Queue, CloudFunction, EventBridge. */
    char *topic = strstr(built, "<TopicConfiguration>"), *queue = strstr(built, "<QueueConfiguration>");
    char *lambda = strstr(built, "<CloudFunctionConfiguration>");
    DN_EXPECT(topic && queue && lambda && topic < queue && queue < lambda);
    /* A new queue without an Id is matched by ARN, then appended. */
    struct dn_s3_queue_config other = {.queue_arn = "arn:aws:sqs:us-east-1:1:third",
                                       .events = events, .nevents = 1};
    DN_CHECK_OK(dn_s3_notification_upsert_queue(&n, &other, &err), &err);
    DN_CHECK_OK(dn_s3_notification_upsert_queue(&n, &other, &err), &err);
    DN_EXPECT_INT(n.nqueues, 3);
    dn_s3_notification_clean_up(&n);
    dn_s3_notification_clean_up(&again);
    free(built);
    free(xml);
}

DN_TEST(notification_empty_and_escaping)
{
    size_t len;
    struct dn_s3_notification n = {0};
    struct dn_err err = {0};
    char *xml = dn_fixture_read("s3/notification_empty.xml", &len), *built = NULL;
    DN_CHECK(xml);
    DN_CHECK_OK(dn_s3_xml_parse_notification(xml, len, &n, &err), &err);
    DN_EXPECT_INT(n.nqueues, 0);
    DN_EXPECT(n.xml_before == NULL && n.xml_after == NULL);
    char *events[] = {"s3:ObjectCreated:*"};
    struct dn_s3_queue_config q = {.queue_arn = "arn:x", .events = events, .nevents = 1,
                                   .prefix = "a&b<c>\"'"};
    DN_CHECK_OK(dn_s3_notification_upsert_queue(&n, &q, &err), &err);
    DN_CHECK_OK(dn_s3_xml_build_notification(&n, &built, &err), &err);
    DN_EXPECT(strstr(built, "<Value>a&amp;b&lt;c&gt;&quot;&apos;</Value>") != NULL);
    dn_s3_notification_clean_up(&n);
    DN_CHECK_OK(dn_s3_xml_parse_notification(built, strlen(built), &n, &err), &err);
    DN_EXPECT_STR(n.queues[0].prefix, "a&b<c>\"'");
    DN_EXPECT(n.queues[0].id == NULL);
    dn_s3_notification_clean_up(&n);
    free(built);
    free(xml);
    const char *bad = "<NotificationConfiguration><QueueConfiguration><Id>x</Id></QueueConfiguration></NotificationConfiguration>";
    DN_EXPECT_INT(dn_s3_xml_parse_notification(bad, strlen(bad), &n, &err), DN_E(DN_ERR_NETWORK));
}

DN_TEST(parse_overwrites_uninitialised_output)
{
    /* The fuzzer's first find: parsers must overwrite their output, never
     * free what an uninitialised struct happens to hold. */
    struct dn_s3_notification n;
    struct dn_s3_list_page page;
    struct dn_err err = {0};
    const char *empty = "<NotificationConfiguration/>";
    const char *list = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
    memset(&n, 0xA5, sizeof(n));
    memset(&page, 0xA5, sizeof(page));
    DN_CHECK_OK(dn_s3_xml_parse_notification(empty, strlen(empty), &n, &err), &err);
    DN_EXPECT_INT(n.nqueues, 0);
    DN_CHECK_OK(dn_s3_xml_parse_list(list, strlen(list), &page, &err), &err);
    DN_EXPECT_INT(page.n, 0);
    dn_s3_notification_clean_up(&n);
    dn_s3_list_page_clean_up(&page);
}
