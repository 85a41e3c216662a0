/* test_s3_moto.c — every S3 call against the local S3 server (moto):
 * objects with awkward keys, metadata, ranged GETs (206, 416, If-Match),
 * conditional PUTs, pagination over more than 1000 keys, and the bucket
 * notification configuration. */
#include <stdlib.h>

#include "aws_env.h"
#include "test.h"

static const char *s_bucket(struct dn_aws_env *e, char *buf, size_t len)
{
    dn_test_unique_name("dn-s3", buf, len);
    if (dn_s3_create_bucket(e->s3, buf, &e->err))
        dn_test_fail(__FILE__, __LINE__, "create bucket: %s", e->err.msg);
    return buf;
}

/* Keys that stress encoding: spaces, '+', '%', unicode, '~', dot segments. */
static const char *const s_keys[] = {
    "uploads/u1/s2/20240115_103000_gait.mp4",
    "uploads/with space/a+b%c~d.mp4",
    "uploads/\xC3\xBC\xE6\xAD\xA9\xE8\xA1\x8C/walk.mp4",
    "uploads/dots/../still/./literal.mp4",
    "uploads/double//slash.mp4",
};

DN_TEST(objects_round_trip)
{
    struct dn_aws_env e;
    char bucket[64], etag[DN_S3_ETAG_MAX];
    DN_AWS_ENV_OPEN(&e);
    s_bucket(&e, bucket, sizeof(bucket));
    struct dn_http_header meta[] = {{"subject-height-cm", "172.5"}};
    struct dn_s3_put_opts opts = {.content_type = "video/mp4", .meta = meta, .nmeta = 1};
    for (size_t i = 0; i < sizeof(s_keys) / sizeof(*s_keys); i++) {
        struct dn_s3_object_info info;
        const char *body = "hello world";
        DN_CHECK_OK(dn_s3_put_object(e.s3, bucket, s_keys[i], body, 11, &opts, etag, &e.err), &e.err);
        DN_EXPECT_STR(etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
        DN_CHECK_OK(dn_s3_head_object(e.s3, bucket, s_keys[i], NULL, &info, &e.err), &e.err);
        DN_EXPECT_INT(info.size, 11);
        DN_EXPECT_STR(info.etag, etag);
        DN_EXPECT_STR(info.content_type, "video/mp4");
        DN_EXPECT(info.last_modified_time > 0);
        DN_EXPECT_STR(dn_s3_object_info_meta(&info, "subject-height-cm"), "172.5");
        dn_s3_object_info_clean_up(&info);
        char *data;
        size_t len;
        DN_CHECK_OK(dn_s3_get_object(e.s3, bucket, s_keys[i], 1024, &data, &len, &e.err), &e.err);
        DN_EXPECT_INT(len, 11);
        DN_EXPECT_STR(data, body);
        free(data);
    }
    /* The listing gives the keys back exactly. */
    struct dn_s3_list_page page;
    DN_CHECK_OK(dn_s3_list_page(e.s3, bucket, &(struct dn_s3_list_opts){.prefix = "uploads/"}, &page, &e.err),
                &e.err);
    DN_EXPECT_INT(page.n, sizeof(s_keys) / sizeof(*s_keys));
    for (size_t i = 0; i < sizeof(s_keys) / sizeof(*s_keys); i++) {
        bool found = false;
        for (size_t k = 0; k < page.n; k++)
            found |= !strcmp(page.items[k].key, s_keys[i]);
        if (!found)
            dn_test_fail(__FILE__, __LINE__, "key \"%s\" not listed", s_keys[i]);
    }
    dn_s3_list_page_clean_up(&page);
    dn_aws_env_close(&e);
}

DN_TEST(ranged_gets)
{
    struct dn_aws_env e;
    char bucket[64], etag[DN_S3_ETAG_MAX], buf[16];
    struct dn_s3_range r;
    DN_AWS_ENV_OPEN(&e);
    s_bucket(&e, bucket, sizeof(bucket));
    struct dn_s3_put_opts opts = {.content_type = "application/octet-stream"};
    DN_CHECK_OK(dn_s3_put_object(e.s3, bucket, "v.mp4", "0123456789", 10, &opts, etag, &e.err), &e.err);
    /* 206 with the slice, the total size and the ETag. */
    DN_CHECK_OK(dn_s3_get_range(e.s3, bucket, "v.mp4", 2, buf, 3, etag, &r, &e.err), &e.err);
    DN_EXPECT_INT(r.got, 3);
    DN_EXPECT(!memcmp(buf, "234", 3));
    DN_EXPECT_INT(r.object_size, 10);
    DN_EXPECT_STR(r.etag, etag);
    /* A range running past the end returns what there is. */
    DN_CHECK_OK(dn_s3_get_range(e.s3, bucket, "v.mp4", 8, buf, 16, NULL, &r, &e.err), &e.err);
    DN_EXPECT_INT(r.got, 2);
    DN_EXPECT(!memcmp(buf, "89", 2));
    /* The unquoted ETag of an S3 event works too. */
    char bare[DN_S3_ETAG_MAX];
    snprintf(bare, sizeof(bare), "%.*s", (int)strlen(etag) - 2, etag + 1);
    DN_CHECK_OK(dn_s3_get_range(e.s3, bucket, "v.mp4", 0, buf, 1, bare, &r, &e.err), &e.err);
    /* 416: starts past the end. */
    DN_EXPECT_INT(dn_s3_get_range(e.s3, bucket, "v.mp4", 100, buf, 4, NULL, &r, &e.err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(r.object_size, 10);
    DN_EXPECT(strstr(e.err.msg, "not satisfiable") != NULL);
    /* 412: the object changed under us. */
    DN_EXPECT_INT(dn_s3_get_range(e.s3, bucket, "v.mp4", 0, buf, 4, "\"0000\"", &r, &e.err),
                  DN_E(DN_ERR_CONFLICT));
    DN_EXPECT(strstr(e.err.msg, "PreconditionFailed") != NULL);
    struct dn_s3_object_info info;
    DN_EXPECT_INT(dn_s3_head_object(e.s3, bucket, "v.mp4", "\"0000\"", &info, &e.err), DN_E(DN_ERR_CONFLICT));
    dn_s3_object_info_clean_up(&info);
    /* 404s. */
    DN_EXPECT_INT(dn_s3_get_range(e.s3, bucket, "missing.mp4", 0, buf, 4, NULL, &r, &e.err),
                  DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(strstr(e.err.msg, "NoSuchKey") != NULL);
    DN_EXPECT_INT(dn_s3_head_object(e.s3, bucket, "missing.mp4", NULL, &info, &e.err), DN_E(DN_ERR_NOT_FOUND));
    dn_s3_object_info_clean_up(&info);
    DN_EXPECT_INT(dn_s3_get_range(e.s3, "dn-no-such-bucket-x", "k", 0, buf, 4, NULL, &r, &e.err),
                  DN_E(DN_ERR_NOT_FOUND));
    dn_aws_env_close(&e);
}

DN_TEST(conditional_puts_and_delete)
{
    struct dn_aws_env e;
    char bucket[64], etag[DN_S3_ETAG_MAX];
    DN_AWS_ENV_OPEN(&e);
    s_bucket(&e, bucket, sizeof(bucket));
    struct dn_s3_put_opts create = {.content_type = "application/json", .if_none_match = true};
    DN_CHECK_OK(dn_s3_put_object(e.s3, bucket, "r.json", "{}", 2, &create, etag, &e.err), &e.err);
    DN_EXPECT_INT(dn_s3_put_object(e.s3, bucket, "r.json", "{}", 2, &create, NULL, &e.err), DN_E(DN_ERR_CONFLICT));
    struct dn_s3_put_opts replace = {.content_type = "application/json", .if_match = etag};
    DN_CHECK_OK(dn_s3_put_object(e.s3, bucket, "r.json", "[]", 2, &replace, NULL, &e.err), &e.err);
    DN_CHECK_OK(dn_s3_delete_object(e.s3, bucket, "r.json", &e.err), &e.err);
    DN_CHECK_OK(dn_s3_delete_object(e.s3, bucket, "r.json", &e.err), &e.err); /* idempotent */
    struct dn_s3_object_info info;
    DN_EXPECT_INT(dn_s3_head_object(e.s3, bucket, "r.json", NULL, &info, &e.err), DN_E(DN_ERR_NOT_FOUND));
    dn_s3_object_info_clean_up(&info);
    DN_CHECK_OK(dn_s3_create_bucket(e.s3, bucket, &e.err), &e.err); /* already ours: fine */
    dn_aws_env_close(&e);
}

struct s_count {
    int n;
    char last[64];
    bool ordered;
};

static int s_count_key(const struct dn_s3_list_entry *entry, void *user)
{
    struct s_count *c = user;
    if (c->n && strcmp(c->last, entry->key) >= 0)
        c->ordered = false;
    snprintf(c->last, sizeof(c->last), "%s", entry->key);
    c->n++;
    return 0;
}

static int s_stop_at_ten(const struct dn_s3_list_entry *entry, void *user)
{
    (void)entry;
    return ++*(int *)user == 10 ? 42 : 0;
}

DN_TEST(pagination_over_1000_keys)
{
    struct dn_aws_env e;
    char bucket[64], args[256];
    DN_AWS_ENV_OPEN(&e);
    s_bucket(&e, bucket, sizeof(bucket));
    snprintf(args, sizeof(args), "%s many uploads/p/ 1105", bucket);
    DN_CHECK_INT(dn_aws_env_fill(&e, args), 0);
    DN_CHECK_OK(dn_s3_put_object(e.s3, bucket, "other/x", "x", 1,
                                 &(struct dn_s3_put_opts){.content_type = "text/plain"}, NULL, &e.err),
                &e.err);
    /* Page by page: 1000 then 105, linked by the continuation token. */
    struct dn_s3_list_page page;
    DN_CHECK_OK(dn_s3_list_page(e.s3, bucket, &(struct dn_s3_list_opts){.prefix = "uploads/"}, &page, &e.err),
                &e.err);
    DN_EXPECT_INT(page.n, 1000);
    DN_EXPECT(page.truncated && page.next_token);
    struct dn_s3_list_opts next = {.prefix = "uploads/", .continuation_token = page.next_token};
    struct dn_s3_list_page page2;
    DN_CHECK_OK(dn_s3_list_page(e.s3, bucket, &next, &page2, &e.err), &e.err);
    DN_EXPECT_INT(page2.n, 105);
    DN_EXPECT(!page2.truncated);
    dn_s3_list_page_clean_up(&page);
    dn_s3_list_page_clean_up(&page2);
    /* The iterator follows the tokens itself. */
    struct s_count c = {.ordered = true};
    DN_CHECK_OK(dn_s3_list_each(e.s3, bucket, "uploads/", NULL, s_count_key, &c, &e.err), &e.err);
    DN_EXPECT_INT(c.n, 1105);
    DN_EXPECT(c.ordered);
    DN_EXPECT_STR(c.last, "uploads/p/01104");
    /* start-after, a small page size, and stopping early. */
    c = (struct s_count){.ordered = true};
    DN_CHECK_OK(dn_s3_list_each(e.s3, bucket, "uploads/", "uploads/p/01100", s_count_key, &c, &e.err), &e.err);
    DN_EXPECT_INT(c.n, 4);
    int seen = 0;
    DN_EXPECT_INT(dn_s3_list_each(e.s3, bucket, NULL, NULL, s_stop_at_ten, &seen, &e.err), 42);
    DN_EXPECT_INT(seen, 10);
    DN_CHECK_OK(dn_s3_list_page(e.s3, bucket, &(struct dn_s3_list_opts){.max_keys = 7}, &page, &e.err), &e.err);
    DN_EXPECT_INT(page.n, 7);
    dn_s3_list_page_clean_up(&page);
    DN_CHECK_OK(dn_s3_list_page(e.s3, bucket, &(struct dn_s3_list_opts){.delimiter = "/"}, &page, &e.err),
                &e.err);
    DN_EXPECT_INT(page.nprefixes, 2); /* other/ and uploads/ */
    dn_s3_list_page_clean_up(&page);
    dn_aws_env_close(&e);
}

DN_TEST(notification_configuration)
{
    struct dn_aws_env e;
    char bucket[64];
    struct dn_s3_notification n;
    DN_AWS_ENV_OPEN(&e);
    s_bucket(&e, bucket, sizeof(bucket));
    DN_CHECK_OK(dn_s3_get_notification(e.s3, bucket, &n, &e.err), &e.err);
    DN_EXPECT_INT(n.nqueues, 0);
    /* Another consumer's Lambda configuration is already there. */
    n.xml_after = strdup("<CloudFunctionConfiguration><Id>resize</Id><CloudFunction>"
                         "arn:aws:lambda:us-east-1:123456789012:function:resize</CloudFunction>"
                         "<Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration>");
    DN_CHECK_OK(dn_s3_put_notification(e.s3, bucket, &n, &e.err), &e.err);
    dn_s3_notification_clean_up(&n);
    /* dancer adds its queue, reading and rewriting the whole configuration. */
    char *events[] = {"s3:ObjectCreated:*"};
    struct dn_s3_queue_config q = {.id = "dancer-uploads", .queue_arn = "arn:aws:sqs:us-east-1:123456789012:q",
                                   .events = events, .nevents = 1, .prefix = "uploads/", .suffix = ".mp4"};
    DN_CHECK_OK(dn_s3_get_notification(e.s3, bucket, &n, &e.err), &e.err);
    DN_CHECK_OK(dn_s3_notification_upsert_queue(&n, &q, &e.err), &e.err);
    DN_CHECK_OK(dn_s3_put_notification(e.s3, bucket, &n, &e.err), &e.err);
    dn_s3_notification_clean_up(&n);
    DN_CHECK_OK(dn_s3_get_notification(e.s3, bucket, &n, &e.err), &e.err);
    DN_CHECK_INT(n.nqueues, 1);
    DN_EXPECT_STR(n.queues[0].id, "dancer-uploads");
    DN_EXPECT_STR(n.queues[0].queue_arn, q.queue_arn);
    DN_EXPECT_STR(n.queues[0].prefix, "uploads/");
    DN_EXPECT_STR(n.queues[0].suffix, ".mp4");
    DN_CHECK_INT(n.queues[0].nevents, 1);
    DN_EXPECT_STR(n.queues[0].events[0], "s3:ObjectCreated:*");
    DN_EXPECT(n.xml_after && strstr(n.xml_after, "function:resize") != NULL);
    dn_s3_notification_clean_up(&n);
    dn_aws_env_close(&e);
}
