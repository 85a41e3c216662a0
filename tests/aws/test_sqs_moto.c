/* test_sqs_moto.c — every SQS call against the local server (moto): queues
 * and their attributes (Policy, RedrivePolicy), batches with per-entry
 * failures, visibility, and long polls that wait, get woken by a message
 * sent mid-wait, or are cancelled. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "aws_env.h"
#include "http_stub.h"
#include "test.h"

static const char *s_queue(struct dn_aws_env *e, const char *prefix, char *url, size_t len)
{
    char name[80];
    dn_test_unique_name(prefix, name, sizeof(name));
    if (dn_sqs_create_queue(e->sqs, name, NULL, 0, url, len, &e->err)) {
        dn_test_fail(__FILE__, __LINE__, "create queue: %s", e->err.msg);
        return NULL;
    }
    return url;
}

static int s_collect(const char *url, void *user)
{
    (*(int *)user)++;
    (void)url;
    return 0;
}

DN_TEST(queue_lifecycle_and_attributes)
{
    struct dn_aws_env e;
    char name[80], url[512], url2[512], dlq[512], arn[256], dlq_arn[256], policy[1024], redrive[512];
    DN_AWS_ENV_OPEN(&e);
    dn_test_unique_name("dn-sqs", name, sizeof(name));
    struct dn_sqs_attr attrs[] = {{"VisibilityTimeout", "300"}, {"ReceiveMessageWaitTimeSeconds", "20"},
                                  {"MessageRetentionPeriod", "1209600"}};
    DN_CHECK_OK(dn_sqs_create_queue(e.sqs, name, attrs, 3, url, sizeof(url), &e.err), &e.err);
    DN_CHECK_OK(dn_sqs_create_queue(e.sqs, name, attrs, 3, url2, sizeof(url2), &e.err), &e.err); /* idempotent */
    DN_EXPECT_STR(url2, url);
    DN_CHECK_OK(dn_sqs_get_queue_url(e.sqs, name, url2, sizeof(url2), &e.err), &e.err);
    DN_EXPECT_STR(url2, url);
    DN_CHECK_OK(dn_sqs_queue_arn(e.sqs, url, arn, sizeof(arn), &e.err), &e.err);
    DN_EXPECT(!strncmp(arn, "arn:aws:sqs:us-east-1:", 22) && strstr(arn, name));
    /* Policy and RedrivePolicy are JSON documents carried as strings. */
    DN_CHECK(s_queue(&e, "dn-dlq", dlq, sizeof(dlq)));
    DN_CHECK_OK(dn_sqs_queue_arn(e.sqs, dlq, dlq_arn, sizeof(dlq_arn), &e.err), &e.err);
    snprintf(policy, sizeof(policy),
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"AllowS3\",\"Effect\":\"Allow\","
             "\"Principal\":{\"Service\":\"s3.amazonaws.com\"},\"Action\":\"SQS:SendMessage\","
             "\"Resource\":\"%s\"}]}", arn);
    snprintf(redrive, sizeof(redrive), "{\"deadLetterTargetArn\":\"%s\",\"maxReceiveCount\":3}", dlq_arn);
    struct dn_sqs_attr set[] = {{"Policy", policy}, {"RedrivePolicy", redrive}};
    DN_CHECK_OK(dn_sqs_set_attributes(e.sqs, url, set, 2, &e.err), &e.err);
    struct dn_sqs_attrs got;
    DN_CHECK_OK(dn_sqs_get_attributes(e.sqs, url, NULL, 0, &got, &e.err), &e.err);
    DN_EXPECT_STR(dn_sqs_attrs_get(&got, "VisibilityTimeout"), "300");
    DN_EXPECT_STR(dn_sqs_attrs_get(&got, "ReceiveMessageWaitTimeSeconds"), "20");
    DN_EXPECT_STR(dn_sqs_attrs_get(&got, "QueueArn"), arn);
    const char *p = dn_sqs_attrs_get(&got, "Policy"), *r = dn_sqs_attrs_get(&got, "RedrivePolicy");
    DN_EXPECT(p && strstr(p, "s3.amazonaws.com"));
    DN_EXPECT(r && strstr(r, dlq_arn) && strstr(r, "maxReceiveCount"));
    dn_sqs_attrs_clean_up(&got);
    /* Listing by the test's own prefix finds both queues. */
    int n = 0;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "dn-dlq-%ld-", (long)getpid());
    DN_CHECK_OK(dn_sqs_list_queues(e.sqs, prefix, s_collect, &n, &e.err), &e.err);
    DN_EXPECT_INT(n, 1);
    DN_CHECK_OK(dn_sqs_delete_queue(e.sqs, dlq, &e.err), &e.err);
    DN_CHECK_OK(dn_sqs_delete_queue(e.sqs, url, &e.err), &e.err);
    DN_EXPECT_INT(dn_sqs_get_queue_url(e.sqs, name, url2, sizeof(url2), &e.err), DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(strstr(e.err.msg, "QueueDoesNotExist") != NULL);
    DN_EXPECT_INT(dn_sqs_get_attributes(e.sqs, url, NULL, 0, &got, &e.err), DN_E(DN_ERR_NOT_FOUND));
    dn_aws_env_close(&e);
}

DN_TEST(invalid_attribute_name)
{
    struct dn_aws_env e;
    char url[512];
    struct dn_sqs_attrs got;
    DN_AWS_ENV_OPEN(&e);
    DN_CHECK(s_queue(&e, "dn-attr", url, sizeof(url)));
    static const char *const bogus[] = {"MaxReceiveCount"}; /* the old guide's mistake */
    DN_EXPECT_INT(dn_sqs_get_attributes(e.sqs, url, bogus, 1, &got, &e.err), DN_E(DN_ERR_CONFIG));
    DN_EXPECT(strstr(e.err.msg, "InvalidAttributeName") != NULL);
    dn_sqs_attrs_clean_up(&got);
    dn_aws_env_close(&e);
}

static int s_receive(struct dn_aws_env *e, const char *url, int wait, int vis, struct dn_sqs_messages *m)
{
    struct dn_sqs_receive_opts o = {.max_messages = 10, .wait_s = wait, .visibility_timeout_s = vis};
    return dn_sqs_receive(e->sqs, url, &o, m, &e->err);
}

DN_TEST(batches_and_visibility)
{
    struct dn_aws_env e;
    char url[512];
    struct dn_sqs_batch_result res;
    struct dn_sqs_messages m;
    DN_AWS_ENV_OPEN(&e);
    DN_CHECK(s_queue(&e, "dn-msg", url, sizeof(url)));
    struct dn_sqs_entry send[] = {{.id = "a", .body = "{\"bucket\":\"b\",\"key\":\"k1\"}"},
                                  {.id = "b", .body = "unicode \xC3\xBC\xE6\xAD\xA9 \"q\""},
                                  {.id = "c", .body = "third"}};
    DN_CHECK_OK(dn_sqs_send_batch(e.sqs, url, send, 3, &res, &e.err), &e.err);
    DN_EXPECT_INT(res.nfailed, 0);
    DN_EXPECT(res.entries[1].message_id[0] != '\0');
    DN_CHECK_OK(s_receive(&e, url, 1, 300, &m), &e.err);
    DN_CHECK_INT(m.n, 3);
    for (size_t i = 0; i < m.n; i++) {
        DN_EXPECT_INT(m.items[i].receive_count, 1);
        DN_EXPECT(m.items[i].sent_ms > 1600000000000LL && m.items[i].first_receive_ms >= m.items[i].sent_ms);
        bool known = false;
        for (int k = 0; k < 3; k++)
            known |= !strcmp(m.items[i].body, send[k].body);
        DN_EXPECT(known);
    }
    /* Two back to visible, one bogus handle, one timeout over the 12 h limit. */
    struct dn_sqs_entry vis[] = {{.id = "v0", .receipt_handle = m.items[0].receipt_handle},
                                 {.id = "v1", .receipt_handle = m.items[1].receipt_handle},
                                 {.id = "bogus", .receipt_handle = "not-a-handle"},
                                 {.id = "toolong", .receipt_handle = m.items[2].receipt_handle,
                                  .visibility_timeout_s = 50000}};
    DN_CHECK_OK(dn_sqs_change_visibility_batch(e.sqs, url, vis, 4, &res, &e.err), &e.err);
    DN_EXPECT(res.entries[0].ok && res.entries[1].ok);
    DN_EXPECT_INT(res.nfailed, 2);
    DN_EXPECT_STR(res.entries[2].code, "ReceiptHandleIsInvalid");
    DN_EXPECT_INT(res.entries[2].cls, DN_ERR_CONFLICT);
    DN_EXPECT_STR(res.entries[3].code, "InvalidParameterValue");
    DN_EXPECT(res.entries[3].sender_fault);
    /* Those two come back, received a second time. */
    struct dn_sqs_messages again;
    DN_CHECK_OK(s_receive(&e, url, 1, 300, &again), &e.err);
    DN_CHECK_INT(again.n, 2);
    DN_EXPECT_INT(again.items[0].receive_count, 2);
    /* Delete everything, plus a bogus handle that fails alone. */
    struct dn_sqs_entry del[] = {{.id = "d0", .receipt_handle = again.items[0].receipt_handle},
                                 {.id = "d1", .receipt_handle = again.items[1].receipt_handle},
                                 {.id = "d2", .receipt_handle = m.items[2].receipt_handle},
                                 {.id = "dx", .receipt_handle = "bogus-receipt-handle"}};
    DN_CHECK_OK(dn_sqs_delete_batch(e.sqs, url, del, 4, &res, &e.err), &e.err);
    DN_EXPECT(res.entries[0].ok && res.entries[1].ok && res.entries[2].ok);
    DN_EXPECT(!res.entries[3].ok);
    DN_EXPECT_STR(res.entries[3].code, "ReceiptHandleIsInvalid");
    DN_EXPECT(strstr(res.entries[3].message, "bogus-receipt-handle") != NULL);
    dn_sqs_messages_clean_up(&m);
    dn_sqs_messages_clean_up(&again);
    /* Single visibility change of a handle never issued. */
    DN_EXPECT_INT(dn_sqs_change_visibility(e.sqs, url, "never-issued", 30, &e.err), DN_E(DN_ERR_CONFLICT));
    DN_EXPECT(strstr(e.err.msg, "ReceiptHandleIsInvalid") != NULL);
    /* Empty now: an idle receive is success with nothing. */
    DN_CHECK_OK(s_receive(&e, url, 0, -1, &m), &e.err);
    DN_EXPECT_INT(m.n, 0);
    dn_sqs_messages_clean_up(&m);
    dn_aws_env_close(&e);
}

struct s_sender {
    struct dn_aws_env *e;
    const char *url;
    int rc;
};

static void *s_send_later(void *arg)
{
    struct s_sender *s = arg;
    struct dn_sqs_batch_result res;
    struct dn_err err = {0};
    struct dn_sqs_entry entry = {.id = "late", .body = "sent mid-wait"};
    usleep(1500 * 1000);
    s->rc = dn_sqs_send_batch(s->e->sqs, s->url, &entry, 1, &res, &err); /* same client, other thread */
    return NULL;
}

DN_TEST(long_poll_woken_by_a_message)
{
    struct dn_aws_env e;
    char url[512];
    struct dn_sqs_messages m;
    pthread_t t;
    DN_AWS_ENV_OPEN(&e);
    DN_CHECK(s_queue(&e, "dn-poll", url, sizeof(url)));
    struct s_sender sender = {&e, url, -1};
    DN_CHECK(pthread_create(&t, NULL, s_send_later, &sender) == 0);
    /* Waits up to 20 s; the message sent after 1.5 s ends the wait. */
    int rc = s_receive(&e, url, 20, 30, &m);
    pthread_join(t, NULL);
    DN_CHECK_OK(rc, &e.err);
    DN_EXPECT_INT(sender.rc, 0);
    DN_CHECK_INT(m.n, 1);
    DN_EXPECT_STR(m.items[0].body, "sent mid-wait");
    dn_sqs_messages_clean_up(&m);
    dn_aws_env_close(&e);
}

DN_TEST(long_poll_cancelled)
{
    struct dn_aws_env e;
    char url[512];
    struct dn_sqs_messages m;
    atomic_bool cancel = false;
    pthread_t t;
    DN_AWS_ENV_OPEN(&e);
    DN_CHECK(s_queue(&e, "dn-cancel", url, sizeof(url)));
    struct dn_sqs_receive_opts o = {.max_messages = 10, .wait_s = 20, .visibility_timeout_s = -1, .cancel = &cancel};
    DN_CHECK(dn_stub_set_after(&cancel, 500, &t) == 0);
    DN_EXPECT_INT(dn_sqs_receive(e.sqs, url, &o, &m, &e.err), DN_E(DN_ERR_CANCELLED));
    pthread_join(t, NULL);
    DN_EXPECT_INT(m.n, 0);
    /* Out-of-range options are the caller's bug, refused before sending. */
    o = (struct dn_sqs_receive_opts){.max_messages = 11, .wait_s = 0};
    DN_EXPECT_INT(dn_sqs_receive(e.sqs, url, &o, &m, &e.err), DN_E(DN_ERR_INTERNAL));
    o = (struct dn_sqs_receive_opts){.max_messages = 1, .wait_s = 21};
    DN_EXPECT_INT(dn_sqs_receive(e.sqs, url, &o, &m, &e.err), DN_E(DN_ERR_INTERNAL));
    dn_aws_env_close(&e);
}
