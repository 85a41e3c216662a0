/* test_worker_unit.c — the worker's pure parts: result placement, backoff,
 * the 12-hour visibility cap, de-duplication keys, the documents setup
 * writes and the rules doctor checks them by, and the --enqueue body read
 * back through dancer's own event parser. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/config.h"
#include "dancer/s3.h"
#include "dancer/s3_event.h"
#include "setup_internal.h"
#include "test.h"
#include "worker_internal.h"

static char *s_key(struct dn_config *cfg, const char *bucket, const char *key, char *rb, size_t n)
{
    struct dn_err err = {0};
    char *rk = NULL;
    if (dn_worker_result_location(cfg, bucket, key, rb, n, &rk, &err))
        return NULL;
    return rk;
}

DN_TEST(result_location)
{
    struct dn_config cfg;
    char rb[256], *rk;
    dn_config_init(&cfg);
    static const char *const cases[][2] = {
        {"uploads/u1/s2/20240115_103000_gait.mp4", "results/u1/s2/20240115_103000_gait.json"},
        {"uploads/a.b/c.MP4", "results/a.b/c.json"},       /* dots in folders stay */
        {"uploads/noext", "results/noext.json"},
        {"uploads/.hidden", "results/.hidden.json"},
        {"uploadsX/y.mp4", "results/uploadsX/y.json"},     /* not under the folder */
        {"elsewhere/y.mp4", "results/elsewhere/y.json"},
        {"uploads/with space/a+b.mp4", "results/with space/a+b.json"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        DN_CHECK((rk = s_key(&cfg, "src", cases[i][0], rb, sizeof(rb))) != NULL);
        DN_EXPECT_STR(rk, cases[i][1]);
        DN_EXPECT_STR(rb, "src");
        free(rk);
    }
    /* A prefix given with its slash, results elsewhere, a prefix without one. */
    dn_config_set(&cfg, "S3_PREFIX", "uploads/", DN_CFG_ENV, NULL);
    dn_config_set(&cfg, "RESULTS_BUCKET", "out", DN_CFG_ENV, NULL);
    dn_config_set(&cfg, "RESULTS_PREFIX", "reports", DN_CFG_ENV, NULL);
    DN_CHECK((rk = s_key(&cfg, "src", "uploads/u/x.mp4", rb, sizeof(rb))) != NULL);
    DN_EXPECT_STR(rk, "reports/u/x.json");
    DN_EXPECT_STR(rb, "out");
    free(rk);
    /* An empty results prefix puts results beside nothing; one that would
     * overwrite the upload itself is refused. */
    dn_config_set(&cfg, "RESULTS_BUCKET", "", DN_CFG_ENV, NULL);
    dn_config_set(&cfg, "RESULTS_PREFIX", "uploads/", DN_CFG_ENV, NULL);
    DN_EXPECT(s_key(&cfg, "src", "uploads/x.json", rb, sizeof(rb)) == NULL);
}

DN_TEST(backoff_doubles_per_receive_and_caps)
{
    DN_EXPECT_INT(dn_worker_backoff_s(30, 900, 1), 30);
    DN_EXPECT_INT(dn_worker_backoff_s(30, 900, 2), 60);
    DN_EXPECT_INT(dn_worker_backoff_s(30, 900, 3), 120);
    DN_EXPECT_INT(dn_worker_backoff_s(30, 900, 10), 900);
    DN_EXPECT_INT(dn_worker_backoff_s(30, 900, 0), 30);   /* count unknown */
    DN_EXPECT_INT(dn_worker_backoff_s(0, 900, 5), 0);
    DN_EXPECT_INT(dn_worker_backoff_s(40000, 43200, 3), 43200); /* SQS's maximum */
    DN_EXPECT_INT(dn_worker_backoff_s(1, 43200, 1000), 43200);  /* no overflow */
}

DN_TEST(extension_never_passes_12_hours_from_receipt)
{
    double t0 = 1000.0;
    DN_EXPECT_INT(dn_worker_extension_s(300, t0, t0 + 10), 300);
    /* 11 h 58 min in: only what is left of 12 h, minus the margin. */
    int left = dn_worker_extension_s(300, t0, t0 + 43200 - 120);
    DN_EXPECT_INT(left, 120 - DN_WORKER_VIS_MARGIN_S);
    DN_EXPECT_INT(dn_worker_extension_s(300, t0, t0 + 43200 - 5), 0);
    DN_EXPECT_INT(dn_worker_extension_s(300, t0, t0 + 50000), 0);
}

DN_TEST(dedup_key_and_etag_normalisation)
{
    char a[80], b[80];
    dn_worker_etag_normalize("\"ABCdef-2\"", a, sizeof(a));
    DN_EXPECT_STR(a, "abcdef-2");
    dn_worker_etag_normalize(NULL, b, sizeof(b));
    DN_EXPECT_STR(b, "");
    DN_EXPECT(dn_worker_job_hash("b", "k", "e") == dn_worker_job_hash("b", "k", "e"));
    DN_EXPECT(dn_worker_job_hash("b", "k", "e") != dn_worker_job_hash("b", "k", "f"));
    DN_EXPECT(dn_worker_job_hash("ab", "c", "e") != dn_worker_job_hash("a", "bc", "e"));
}

DN_TEST(permanent_classes)
{
    DN_EXPECT(dn_worker_permanent(DN_ERR_BAD_INPUT));
    DN_EXPECT(dn_worker_permanent(DN_ERR_UNSUPPORTED));
    DN_EXPECT(dn_worker_permanent(DN_ERR_NOT_FOUND));
    /* Retried, and dead-lettered at last: not the upload's fault. */
    DN_EXPECT(!dn_worker_permanent(DN_ERR_NETWORK));
    DN_EXPECT(!dn_worker_permanent(DN_ERR_THROTTLED));
    DN_EXPECT(!dn_worker_permanent(DN_ERR_RESOURCE));
    DN_EXPECT(!dn_worker_permanent(DN_ERR_AUTH));
    DN_EXPECT(!dn_worker_permanent(DN_ERR_CONFLICT));
    DN_EXPECT(!dn_worker_permanent(DN_ERR_INTERNAL));
}

DN_TEST(enqueue_body_parses_back_to_the_object)
{
    static const char *const keys[] = {"uploads/u 1/a+b%c.mp4", "uploads/\xC3\xBC/x.mp4"};
    for (size_t i = 0; i < 2; i++) {
        struct dn_s3_event_batch ev = {0};
        struct dn_err err = {0};
        struct dn_s3_event_filter f = {.event_source = "aws:s3", .event_prefix = "ObjectCreated",
                                       .bucket = "bkt", .prefix = "uploads", .suffix = ".mp4"};
        char *body = dn_reprocess_event_body("bkt", keys[i], 1234, "abc", i == 1);
        DN_CHECK(body != NULL);
        DN_CHECK_OK(dn_s3_event_parse(body, strlen(body), &f, &ev, &err), &err);
        DN_CHECK_INT(ev.njobs, 1);
        DN_EXPECT_STR(ev.jobs[0].key, keys[i]);
        DN_EXPECT_STR(ev.jobs[0].bucket, "bkt");
        DN_EXPECT_STR(ev.jobs[0].etag, "abc");
        DN_EXPECT_INT(ev.jobs[0].size, 1234);
        /* The force flag is the exact text the worker looks for. */
        DN_EXPECT((strstr(body, "\"dancerForce\":true") != NULL) == (i == 1));
        dn_s3_event_batch_clean_up(&ev);
        free(body);
    }
}

DN_TEST(policy_statement_is_least_privilege)
{
    char *json = dn_setup_policy_json("arn:aws:sqs:eu-west-1:111122223333:q", "111122223333", "bkt");
    cJSON *p = cJSON_Parse(json);
    const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "Statement"), 0);
    DN_CHECK(st != NULL);
    DN_EXPECT_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "Principal"), "Service")->valuestring,
                  "s3.amazonaws.com");
    DN_EXPECT_STR(cJSON_GetObjectItem(st, "Action")->valuestring, "SQS:SendMessage");
    DN_EXPECT_STR(cJSON_GetObjectItem(st, "Resource")->valuestring, "arn:aws:sqs:eu-west-1:111122223333:q");
    const cJSON *c = cJSON_GetObjectItem(st, "Condition");
    DN_EXPECT_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "StringEquals"), "aws:SourceAccount")->valuestring,
                  "111122223333");
    DN_EXPECT_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "ArnLike"), "aws:SourceArn")->valuestring,
                  "arn:aws:s3:::bkt");
    cJSON_Delete(p);
    free(json);
    json = dn_setup_redrive_json("arn:aws:sqs:r:1:q-dlq", 3);
    DN_EXPECT_STR(json, "{\"deadLetterTargetArn\":\"arn:aws:sqs:r:1:q-dlq\",\"maxReceiveCount\":3}");
    free(json);
}

DN_TEST(policy_merge_keeps_other_statements)
{
    const char *arn = "arn:aws:sqs:r:1:q";
    bool changed;
    char *first = dn_setup_policy_merge(NULL, arn, "1", "bkt", &changed);
    DN_EXPECT(changed);
    char *again = dn_setup_policy_merge(first, arn, "1", "bkt", &changed);
    DN_EXPECT(!changed);
    DN_EXPECT_STR(again, first);
    const char *theirs = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Sid\":\"Theirs\",\"Effect\":"
                         "\"Allow\",\"Principal\":\"*\",\"Action\":\"sqs:GetQueueUrl\",\"Resource\":\"*\"}}";
    char *merged = dn_setup_policy_merge(theirs, arn, "1", "bkt", &changed);
    DN_EXPECT(changed);
    cJSON *p = cJSON_Parse(merged);
    DN_EXPECT_INT(cJSON_GetArraySize(cJSON_GetObjectItem(p, "Statement")), 2);
    cJSON_Delete(p);
    char *other_bucket = dn_setup_policy_merge(merged, arn, "1", "other", &changed);
    DN_EXPECT(changed);
    p = cJSON_Parse(other_bucket);
    DN_EXPECT_INT(cJSON_GetArraySize(cJSON_GetObjectItem(p, "Statement")), 2); /* replaced, not added */
    cJSON_Delete(p);
    char *garbage = dn_setup_policy_merge("not json", arn, "1", "bkt", &changed);
    DN_EXPECT(changed && garbage && strstr(garbage, "AllowS3ToSendMessages"));
    free(first);
    free(again);
    free(merged);
    free(other_bucket);
    free(garbage);
}

DN_TEST(doctor_rules)
{
    char f[64];
    DN_EXPECT(dn_setup_arn_field("arn:aws:sqs:us-east-1:123456789012:my-q", 4, f, sizeof(f)));
    DN_EXPECT_STR(f, "123456789012");
    DN_EXPECT(dn_setup_arn_field("arn:aws:sqs:us-east-1:123456789012:my-q", 5, f, sizeof(f)));
    DN_EXPECT_STR(f, "my-q");
    DN_EXPECT(!dn_setup_arn_field("arn:aws", 4, f, sizeof(f)));
    /* SQS may hand maxReceiveCount back as a string. */
    cJSON *rp = cJSON_Parse("{\"maxReceiveCount\":\"4\"}");
    DN_EXPECT_INT((int)dn_setup_redrive_count(rp), 4);
    cJSON_Delete(rp);
    rp = cJSON_Parse("{\"maxReceiveCount\":3}");
    DN_EXPECT_INT((int)dn_setup_redrive_count(rp), 3);
    cJSON_Delete(rp);
    DN_EXPECT(isnan(dn_setup_redrive_count(NULL)));
    DN_EXPECT(dn_setup_glob("arn:aws:s3:::bkt*", "arn:aws:s3:::bkt"));
    DN_EXPECT(dn_setup_glob("arn:aws:s3:::*", "arn:aws:s3:::bkt"));
    DN_EXPECT(dn_setup_glob("SQS:SendMessage", "sqs:sendmessage"));
    DN_EXPECT(dn_setup_glob("sqs:*", "sqs:SendMessage"));
    DN_EXPECT(!dn_setup_glob("arn:aws:s3:::other", "arn:aws:s3:::bkt"));
    DN_EXPECT(dn_setup_filter_selects("uploads/", ".mp4", "uploads/a.MP4"));
    DN_EXPECT(!dn_setup_filter_selects("uploads/", ".mp4", "results/a.json"));
    DN_EXPECT(dn_setup_filter_selects(NULL, NULL, "results/a.json"));
    DN_EXPECT(dn_setup_filter_selects("", ".json", "results/a.json"));
}

/* S3 matches notification suffixes case-sensitively: setup makes one
 * configuration per case, and finds each again by queue and exact suffix,
 * else by its Id; an older configuration for the queue (another filter) is
 * taken over by the first. */
DN_TEST(notification_per_suffix_case)
{
    char c[2][DN_SETUP_SUFFIX_MAX];
    DN_EXPECT_INT(dn_setup_suffix_cases(".mp4", c), 2);
    DN_EXPECT_STR(c[0], ".mp4");
    DN_EXPECT_STR(c[1], ".MP4");
    DN_EXPECT_INT(dn_setup_suffix_cases(".Mov", c), 2);
    DN_EXPECT_STR(c[0], ".mov");
    DN_EXPECT_STR(c[1], ".MOV");
    DN_EXPECT_INT(dn_setup_suffix_cases("_2024", c), 1);
    DN_EXPECT_STR(c[0], "_2024");
    DN_EXPECT_INT(dn_setup_suffix_cases("", c), 1);
    DN_EXPECT_STR(c[0], "");

    const char *arn = "arn:aws:sqs:us-east-1:123456789012:q";
    struct dn_s3_queue_config qs[3] = {
        {.id = "someone-else", .queue_arn = "arn:aws:sqs:us-east-1:123456789012:other", .suffix = ".mp4"},
        {.id = "made-by-hand", .queue_arn = (char *)arn, .suffix = ".MP4"},
        {.id = "dancer-uploads", .queue_arn = (char *)arn, .suffix = ".mov"},
    };
    struct dn_s3_notification n = {.queues = qs, .nqueues = 3};
    int nc = dn_setup_suffix_cases(".mp4", c);
    DN_EXPECT_INT(dn_setup_find_queue_config(&n, arn, 1, c, nc), 1); /* queue + exact suffix */
    DN_EXPECT_INT(dn_setup_find_queue_config(&n, arn, 0, c, nc), 2); /* its Id (suffix changed) */
    qs[2].id = "generated-id";
    /* any other for the queue, but not the upper case's own */
    DN_EXPECT_INT(dn_setup_find_queue_config(&n, arn, 0, c, nc), 2);
    qs[2].queue_arn = "arn:aws:sqs:us-east-1:123456789012:gone";
    DN_EXPECT_INT(dn_setup_find_queue_config(&n, arn, 0, c, nc), -1);
    n.nqueues = 1;
    DN_EXPECT_INT(dn_setup_find_queue_config(&n, arn, 1, c, nc), -1);
}
