/* test_s3_event.c — S3 notifications to jobs, from fixture bodies: the AWS
 * example, several records with every skip reason, form-URL-encoded keys
 * (unicode, '+', '%'), TestEvent, SNS envelopes, the old direct body, and
 * bodies rejected outright. */
#include <stdlib.h>

#include "dancer/config.h"
#include "dancer/s3_event.h"
#include "fixture.h"
#include "test.h"

/* The defaults dancer runs with, plus S3_BUCKET. */
static void s_filter(struct dn_config *cfg, struct dn_s3_event_filter *f)
{
    dn_config_init(cfg);
    dn_config_set(cfg, "S3_BUCKET", "dancer-uploads", DN_CFG_FLAG, NULL);
    dn_s3_event_filter_from_config(cfg, f);
}

static int s_parse(const char *fixture, const struct dn_s3_event_filter *f, struct dn_s3_event_batch *b,
                   struct dn_err *err)
{
    size_t len;
    char *body = dn_fixture_read(fixture, &len);
    if (!body)
        return dn_err_set(err, DN_ERR_INTERNAL, "fixture %s", fixture);
    int rc = dn_s3_event_parse(body, len, f, b, err);
    free(body);
    return rc;
}

DN_TEST(aws_example_record)
{
    struct dn_config cfg;
    struct dn_s3_event_filter f;
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    s_filter(&cfg, &f);
    DN_CHECK_OK(s_parse("events/aws_put.json", &f, &b, &err), &err);
    DN_CHECK_INT(b.njobs, 1);
    DN_EXPECT_INT(b.nskips, 0);
    DN_EXPECT(!b.test_event);
    const struct dn_s3_job *j = &b.jobs[0];
    DN_EXPECT_STR(j->bucket, "dancer-uploads");
    DN_EXPECT_STR(j->key, "uploads/user123/subject456/20240115_103000_gait.mp4");
    DN_EXPECT(j->size_known);
    DN_EXPECT_INT(j->size, 15728640);
    DN_EXPECT_STR(j->etag, "0123456789abcdef0123456789abcdef");
    DN_EXPECT_STR(j->sequencer, "0A1B2C3D4E5F678901");
    DN_EXPECT_STR(j->event_time, "2024-01-15T10:30:00.000Z");
    DN_EXPECT_STR(j->event_name, "ObjectCreated:Put");
    dn_s3_event_batch_clean_up(&b);
}

/* The skip reason recorded for record `i`, or NULL. */
static const char *s_skip(const struct dn_s3_event_batch *b, int i)
{
    for (size_t k = 0; k < b->nskips; k++)
        if (b->skips[k].record == i)
            return b->skips[k].reason;
    return NULL;
}

DN_TEST(several_records_each_judged)
{
    struct dn_config cfg;
    struct dn_s3_event_filter f;
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    s_filter(&cfg, &f);
    DN_CHECK_OK(s_parse("events/several_records.json", &f, &b, &err), &err);
    DN_CHECK_INT(b.njobs, 2);
    /* '+' is a space, %2B a plus, %25 a percent, UTF-8 escapes decoded. */
    DN_EXPECT_STR(b.jobs[0].key, "uploads/u 1/s+2/caf\xC3\xA9 \xE6\xAD\xA9\xE8\xA1\x8C 100%.mp4");
    DN_EXPECT_STR(b.jobs[1].key, "uploads/u1/s1/CAPS.MP4"); /* suffix compared without case */
    DN_EXPECT_STR(b.jobs[1].event_name, "ObjectCreated:CompleteMultipartUpload");
    DN_CHECK_INT(b.nskips, 11);
    DN_EXPECT(strstr(s_skip(&b, 1), "eventName does not start with EXPECTED_S3_EVENT_PREFIX"));
    DN_EXPECT(strstr(s_skip(&b, 1), "ObjectRemoved:Delete"));
    DN_EXPECT(strstr(s_skip(&b, 2), "S3_SUFFIX"));
    DN_EXPECT(strstr(s_skip(&b, 3), "bucket is not S3_BUCKET"));
    DN_EXPECT(strstr(s_skip(&b, 4), "eventSource"));
    DN_EXPECT(strstr(s_skip(&b, 5), "S3_PREFIX")); /* "uploads2/" is not under "uploads" */
    DN_EXPECT(strstr(s_skip(&b, 7), "not valid form-URL-encoded"));
    DN_EXPECT(strstr(s_skip(&b, 8), "not valid form-URL-encoded"));  /* %00 */
    DN_EXPECT(strstr(s_skip(&b, 9), "not valid form-URL-encoded"));  /* Latin-1, not UTF-8 */
    DN_EXPECT(strstr(s_skip(&b, 10), "not an object"));
    DN_EXPECT(strstr(s_skip(&b, 11), "no s3.bucket.name or s3.object.key"));
    DN_EXPECT(strstr(s_skip(&b, 12), "folder"));
    dn_s3_event_batch_clean_up(&b);
}

DN_TEST(filters_off_accept_everything_wellformed)
{
    struct dn_s3_event_filter f = {0};
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    DN_CHECK_OK(s_parse("events/several_records.json", &f, &b, &err), &err);
    DN_EXPECT_INT(b.njobs, 7);
    DN_EXPECT_INT(b.nskips, 6); /* three bad encodings, a non-object, a missing key, a folder */
    dn_s3_event_batch_clean_up(&b);
}

DN_TEST(moto_record_without_sequencer)
{
    struct dn_config cfg;
    struct dn_s3_event_filter f;
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    s_filter(&cfg, &f);
    DN_CHECK_OK(s_parse("events/moto_style.json", &f, &b, &err), &err);
    DN_CHECK_INT(b.njobs, 1);
    DN_EXPECT_STR(b.jobs[0].key, "uploads/a+b c.mp4");
    DN_EXPECT_STR(b.jobs[0].sequencer, "");
    DN_EXPECT_STR(b.jobs[0].event_time, "2026-11-29T16:15:53.123456");
    dn_s3_event_batch_clean_up(&b);
}

DN_TEST(force_flag_beside_records)
{
    /* dancer reprocess --enqueue --force writes "dancerForce": true beside
     * Records; an ordinary notification has none. */
    static const char forced[] =
        "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Reprocess\","
        "\"s3\":{\"bucket\":{\"name\":\"dancer-uploads\"},\"object\":{\"key\":\"uploads/a.mp4\","
        "\"size\":1,\"eTag\":\"e\"}}}],\"dancerForce\":true}";
    struct dn_config cfg;
    struct dn_s3_event_filter f;
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    s_filter(&cfg, &f);
    DN_CHECK_OK(dn_s3_event_parse(forced, sizeof(forced) - 1, &f, &b, &err), &err);
    DN_EXPECT_INT(b.njobs, 1);
    DN_EXPECT(b.force);
    dn_s3_event_batch_clean_up(&b);
    DN_CHECK_OK(s_parse("events/aws_put.json", &f, &b, &err), &err);
    DN_EXPECT(!b.force);
    dn_s3_event_batch_clean_up(&b);
}

DN_TEST(test_event_recognised)
{
    struct dn_config cfg;
    struct dn_s3_event_filter f;
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    s_filter(&cfg, &f);
    DN_CHECK_OK(s_parse("events/test_event.json", &f, &b, &err), &err);
    DN_EXPECT(b.test_event);
    DN_EXPECT_INT(b.njobs, 0);
    DN_EXPECT_INT(b.nskips, 0);
    dn_s3_event_batch_clean_up(&b);
}

DN_TEST(direct_body_and_sns_envelope)
{
    struct dn_config cfg;
    struct dn_s3_event_filter f;
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    s_filter(&cfg, &f);
    DN_CHECK_OK(s_parse("events/direct.json", &f, &b, &err), &err);
    DN_CHECK_INT(b.njobs, 1);
    DN_EXPECT_STR(b.jobs[0].key, "uploads/u1/s2/direct test+plus.mp4"); /* literal, not decoded */
    DN_EXPECT(!b.jobs[0].size_known);
    dn_s3_event_batch_clean_up(&b);
    DN_CHECK_OK(s_parse("events/sns_wrapped.json", &f, &b, &err), &err);
    DN_CHECK_INT(b.njobs, 1);
    DN_EXPECT_STR(b.jobs[0].key, "uploads/u1/s2/via sns.mp4");
    dn_s3_event_batch_clean_up(&b);
    /* The direct body goes through the same bucket/prefix/suffix checks. */
    const char *other = "{\"bucket\": \"dancer-uploads\", \"key\": \"elsewhere/x.mp4\"}";
    DN_CHECK_OK(dn_s3_event_parse(other, strlen(other), &f, &b, &err), &err);
    DN_EXPECT_INT(b.njobs, 0);
    DN_EXPECT_INT(b.nskips, 1);
    dn_s3_event_batch_clean_up(&b);
}

DN_TEST(bad_bodies_rejected_with_reason)
{
    struct dn_config cfg;
    struct dn_s3_event_filter f;
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    s_filter(&cfg, &f);
    static const struct {
        const char *fixture, *reason;
    } cases[] = {
        {"events/bad_not_json.txt", "not a JSON document"},
        {"events/bad_trailing.json", "not a JSON document"},
        {"events/bad_array.json", "not a JSON object"},
        {"events/bad_records_empty.json", "Records is not a non-empty array"},
        {"events/bad_records_type.json", "Records is not a non-empty array"},
        {"events/bad_unknown.json", "not an S3 event notification"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        DN_EXPECT_INT(s_parse(cases[i].fixture, &f, &b, &err), DN_E(DN_ERR_BAD_INPUT));
        if (!strstr(err.msg, cases[i].reason))
            dn_test_fail(__FILE__, __LINE__, "%s: \"%s\" lacks \"%s\"", cases[i].fixture, err.msg,
                         cases[i].reason);
        DN_EXPECT(b.njobs == 0 && b.jobs == NULL);
    }
    DN_EXPECT_INT(dn_s3_event_parse("", 0, &f, &b, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT(strstr(err.msg, "empty") != NULL);
    /* Oversized: refused before parsing. */
    f.max_body = 64;
    size_t len;
    char *body = dn_fixture_read("events/aws_put.json", &len);
    DN_CHECK(body);
    DN_EXPECT_INT(dn_s3_event_parse(body, len, &f, &b, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT(strstr(err.msg, "more than the 64 accepted") != NULL);
    free(body);
    /* A body need not be NUL-terminated: only len bytes are read. */
    const char direct[] = "{\"bucket\":\"dancer-uploads\",\"key\":\"uploads/a.mp4\"}GARBAGE";
    f.max_body = 0;
    DN_CHECK_OK(dn_s3_event_parse(direct, sizeof(direct) - 1 - 7, &f, &b, &err), &err);
    DN_EXPECT_INT(b.njobs, 1);
    dn_s3_event_batch_clean_up(&b);
}

DN_TEST(key_decoding)
{
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"a+b", "a b"},       {"a%2Bb", "a+b"},         {"100%25", "100%"},
        {"%C3%BC", "\xC3\xBC"}, {"%c3%bc", "\xC3\xBC"}, {"plain/key.mp4", "plain/key.mp4"},
        {"%F0%9F%9A%B6", "\xF0\x9F\x9A\xB6"}, {"", ""},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        char *out = NULL;
        DN_EXPECT_INT(dn_s3_key_decode(ok[i].in, strlen(ok[i].in), &out), 0);
        DN_EXPECT_STR(out, ok[i].out);
        free(out);
    }
    static const char *const bad[] = {"%", "%2", "%zz", "a%00b", "%C3", "%C0%AF", "%ED%A0%80", "%F8%88%80%80%80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char *out = (char *)1;
        DN_EXPECT_INT(dn_s3_key_decode(bad[i], strlen(bad[i]), &out), DN_E(DN_ERR_BAD_INPUT));
        DN_EXPECT(out == NULL);
    }
}
