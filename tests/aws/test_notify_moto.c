/* test_notify_moto.c — the whole S3 → SQS path against the local server:
 * dancer sets a real bucket notification (prefix uploads/, suffix .mp4),
 * receives S3's TestEvent, boto3 (and dancer) upload objects, and the
 * events arrive through dancer's SQS client and parse into the right jobs. */
#include <stdio.h>
#include <stdlib.h>

#include "aws_env.h"
#include "dancer/s3_event.h"
#include "test.h"

struct s_setup {
    char bucket[64], queue[512], arn[256];
};

static int s_configure(struct dn_aws_env *e, struct s_setup *s)
{
    char name[80];
    dn_test_unique_name("dn-notify", s->bucket, sizeof(s->bucket));
    dn_test_unique_name("dn-notify", name, sizeof(name));
    int rc = dn_s3_create_bucket(e->s3, s->bucket, &e->err);
    if (!rc)
        rc = dn_sqs_create_queue(e->sqs, name, NULL, 0, s->queue, sizeof(s->queue), &e->err);
    if (!rc)
        rc = dn_sqs_queue_arn(e->sqs, s->queue, s->arn, sizeof(s->arn), &e->err);
    if (rc)
        return rc;
    /* What `dancer setup` does: read, add our queue, write back. */
    char *events[] = {"s3:ObjectCreated:*"};
    struct dn_s3_queue_config q = {.id = "dancer", .queue_arn = s->arn, .events = events, .nevents = 1,
                                   .prefix = "uploads/", .suffix = ".mp4"};
    struct dn_s3_notification n;
    if (!(rc = dn_s3_get_notification(e->s3, s->bucket, &n, &e->err)) &&
        !(rc = dn_s3_notification_upsert_queue(&n, &q, &e->err)))
        rc = dn_s3_put_notification(e->s3, s->bucket, &n, &e->err);
    dn_s3_notification_clean_up(&n);
    return rc;
}

/* Receives until `want` messages arrived or a receive comes back empty. */
static int s_receive_all(struct dn_aws_env *e, const char *queue, size_t want, struct dn_sqs_messages *all)
{
    memset(all, 0, sizeof(*all));
    all->items = calloc(DN_SQS_BATCH_MAX * 4, sizeof(*all->items));
    while (all->items && all->n < want) {
        struct dn_sqs_messages m;
        struct dn_sqs_receive_opts o = {.max_messages = 10, .wait_s = 2, .visibility_timeout_s = 60};
        int rc = dn_sqs_receive(e->sqs, queue, &o, &m, &e->err);
        if (rc || m.n == 0 || all->n + m.n > DN_SQS_BATCH_MAX * 4) {
            dn_sqs_messages_clean_up(&m);
            return rc;
        }
        memcpy(all->items + all->n, m.items, m.n * sizeof(*m.items));
        all->n += m.n;
        free(m.items); /* the strings moved to `all` */
    }
    return 0;
}

static void s_delete_all(struct dn_aws_env *e, const char *queue, const struct dn_sqs_messages *m)
{
    struct dn_sqs_entry entries[DN_SQS_BATCH_MAX];
    char ids[DN_SQS_BATCH_MAX][8];
    struct dn_sqs_batch_result res;
    for (size_t i = 0; i < m->n && i < DN_SQS_BATCH_MAX; i++) {
        snprintf(ids[i], sizeof(ids[i]), "m%zu", i);
        entries[i] = (struct dn_sqs_entry){.id = ids[i], .receipt_handle = m->items[i].receipt_handle};
    }
    if (m->n && dn_sqs_delete_batch(e->sqs, queue, entries, m->n, &res, &e->err))
        dn_test_fail(__FILE__, __LINE__, "delete: %s", e->err.msg);
    else if (m->n && res.nfailed)
        dn_test_fail(__FILE__, __LINE__, "delete: %zu entries failed", res.nfailed);
}

static int s_upload_with_boto3(struct dn_aws_env *e, const char *bucket, const char *key)
{
    char path[1024], args[2048];
    snprintf(path, sizeof(path), "%s/upload.bin", dn_test_tmp_dir());
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs("not really a video, twenty-nine", f);
    fclose(f);
    snprintf(args, sizeof(args), "'%s' put '%s' '%s'", bucket, key, path);
    return dn_aws_env_fill(e, args);
}

DN_TEST(uploads_arrive_as_jobs)
{
    struct dn_aws_env e;
    struct s_setup s;
    struct dn_sqs_messages m;
    struct dn_s3_event_batch b;
    DN_AWS_ENV_OPEN(&e);
    DN_CHECK_OK(s_configure(&e, &s), &e.err);
    /* S3 (and moto) confirm a new configuration with a TestEvent. */
    DN_CHECK_OK(s_receive_all(&e, s.queue, 1, &m), &e.err);
    DN_CHECK_INT(m.n, 1);
    struct dn_s3_event_filter f;
    dn_s3_event_filter_from_config(&e.cfg, &f);
    f.bucket = s.bucket;
    DN_CHECK_OK(dn_s3_event_parse(m.items[0].body, m.items[0].body_len, &f, &b, &e.err), &e.err);
    DN_EXPECT(b.test_event);
    dn_s3_event_batch_clean_up(&b);
    s_delete_all(&e, s.queue, &m);
    dn_sqs_messages_clean_up(&m);

    const char *weird = "uploads/u 1/s+2/walk \xC3\xBC 100%.mp4";
    DN_CHECK_INT(s_upload_with_boto3(&e, s.bucket, weird), 0);
    DN_CHECK_INT(s_upload_with_boto3(&e, s.bucket, "uploads/u1/notes.txt"), 0); /* filtered by S3 */
    DN_CHECK_INT(s_upload_with_boto3(&e, s.bucket, "other/u1/x.mp4"), 0);       /* filtered by S3 */
    struct dn_s3_put_opts put = {.content_type = "video/mp4"};
    DN_CHECK_OK(dn_s3_put_object(e.s3, s.bucket, "uploads/u2/s3/dancer_put.mp4", "abc", 3, &put, NULL, &e.err),
                &e.err);

    DN_CHECK_OK(s_receive_all(&e, s.queue, 2, &m), &e.err);
    DN_CHECK_INT(m.n, 2);
    int seen_weird = 0, seen_put = 0;
    for (size_t i = 0; i < m.n; i++) {
        DN_CHECK_OK(dn_s3_event_parse(m.items[i].body, m.items[i].body_len, &f, &b, &e.err), &e.err);
        DN_EXPECT_INT(b.nskips, 0);
        DN_CHECK_INT(b.njobs, 1);
        const struct dn_s3_job *j = &b.jobs[0];
        DN_EXPECT_STR(j->bucket, s.bucket);
        DN_EXPECT(!strncmp(j->event_name, "ObjectCreated:", 14));
        struct dn_s3_object_info info;
        DN_CHECK_OK(dn_s3_head_object(e.s3, j->bucket, j->key, j->etag, &info, &e.err), &e.err);
        DN_EXPECT_INT(info.size, j->size);
        if (!strcmp(j->key, weird)) {
            seen_weird++;
            DN_EXPECT_INT(j->size, 31);
            DN_EXPECT_STR(dn_s3_object_info_meta(&info, "subject-height-cm"), "172");
        } else if (!strcmp(j->key, "uploads/u2/s3/dancer_put.mp4")) {
            seen_put++;
            DN_EXPECT_INT(j->size, 3);
        } else {
            dn_test_fail(__FILE__, __LINE__, "unexpected job key \"%s\"", j->key);
        }
        dn_s3_object_info_clean_up(&info);
        dn_s3_event_batch_clean_up(&b);
    }
    DN_EXPECT_INT(seen_weird, 1);
    DN_EXPECT_INT(seen_put, 1);
    s_delete_all(&e, s.queue, &m);
    dn_sqs_messages_clean_up(&m);
    /* Nothing else was sent: the filters held. */
    struct dn_sqs_receive_opts o = {.max_messages = 10, .wait_s = 1, .visibility_timeout_s = -1};
    DN_CHECK_OK(dn_sqs_receive(e.sqs, s.queue, &o, &m, &e.err), &e.err);
    DN_EXPECT_INT(m.n, 0);
    dn_sqs_messages_clean_up(&m);
    dn_aws_env_close(&e);
}
