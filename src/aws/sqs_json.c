/* sqs_json.c — SQS JSON 1.0 response bodies (see include/dancer/sqs.h). */
#include "dancer/sqs.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/http.h"

#include "aws_json.h"

static const char *s_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void dn_sqs_parse_error(const char *json, size_t len, char *code, size_t clen, char *msg,
                        size_t mlen)
{
    cJSON *doc = len ? dn_aws_json_parse(json, len) : NULL;
    const char *type = s_str(doc, "__type");
    /* AWS JSON errors spell it "message"; some services "Message". */
    const char *text = s_str(doc, "message") ? s_str(doc, "message") : s_str(doc, "Message");
    snprintf(code, clen, "%s", dn_http_error_code_base(type));
    snprintf(msg, mlen, "%s", text ? text : "");
    cJSON_Delete(doc);
}

enum dn_err_class dn_sqs_error_class(long status, const char *code)
{
    static const struct {
        const char *code;
        enum dn_err_class cls;
    } map[] = {
        {"QueueDoesNotExist", DN_ERR_NOT_FOUND},   {"NonExistentQueue", DN_ERR_NOT_FOUND},
        {"ReceiptHandleIsInvalid", DN_ERR_CONFLICT}, {"MessageNotInflight", DN_ERR_CONFLICT},
        {"QueueAlreadyExists", DN_ERR_CONFLICT},   {"QueueDeletedRecently", DN_ERR_CONFLICT},
        {"InvalidAttributeName", DN_ERR_CONFIG},   {"InvalidAttributeValue", DN_ERR_CONFIG},
        {"EmptyBatchRequest", DN_ERR_INTERNAL},    {"TooManyEntriesInBatchRequest", DN_ERR_INTERNAL},
        {"BatchEntryIdsNotDistinct", DN_ERR_INTERNAL}, {"InvalidBatchEntryId", DN_ERR_INTERNAL},
        {"BatchRequestTooLong", DN_ERR_INTERNAL},
    };
    const char *base = dn_http_error_code_base(code);
    for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
        if (!strcmp(base, map[i].code))
            return map[i].cls;
    return dn_http_status_class(status, base);
}

/* --- ReceiveMessage ------------------------------------------------------- */

static void s_md5_hex(const char *data, size_t len, char hex[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_md5(), NULL);
    for (unsigned i = 0; i < n && i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[32] = '\0';
}

/* A system attribute that is a decimal integer, 0 when absent or bad. */
static int64_t s_attr_int(const cJSON *attrs, const char *name)
{
    const char *v = s_str(attrs, name);
    char *end;
    long long n = v ? strtoll(v, &end, 10) : 0;
    return v && *v && !*end && n >= 0 ? (int64_t)n : 0;
}

static int s_message(const cJSON *m, struct dn_sqs_message *out, struct dn_err *err)
{
    const char *id = s_str(m, "MessageId"), *handle = s_str(m, "ReceiptHandle");
    const char *body = s_str(m, "Body"), *md5 = s_str(m, "MD5OfBody");
    if (!id || !handle || !body)
        return dn_err_set(err, DN_ERR_NETWORK, "malformed ReceiveMessage response: message without "
                                               "MessageId, ReceiptHandle or Body");
    size_t len = strlen(body);
    if (md5) {
        char hex[33];
        s_md5_hex(body, len, hex);
        if (strcasecmp(hex, md5))
            return dn_err_set(err, DN_ERR_NETWORK, "message %s: body MD5 %s does not match MD5OfBody %s",
                              id, hex, md5);
    }
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(m, "Attributes");
    out->message_id = strdup(id);
    out->receipt_handle = strdup(handle);
    out->body = strdup(body);
    out->body_len = len;
    out->receive_count = (int)s_attr_int(attrs, "ApproximateReceiveCount");
    out->sent_ms = s_attr_int(attrs, "SentTimestamp");
    out->first_receive_ms = s_attr_int(attrs, "ApproximateFirstReceiveTimestamp");
    if (!out->message_id || !out->receipt_handle || !out->body)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    return 0;
}

int dn_sqs_parse_receive(const char *json, size_t len, struct dn_sqs_messages *out,
                         struct dn_err *err)
{
    memset(out, 0, sizeof(*out));
    cJSON *doc = dn_aws_json_parse(json, len);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return dn_err_set(err, DN_ERR_NETWORK, "malformed ReceiveMessage response: not a JSON object");
    }
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(doc, "Messages");
    int rc = 0, count = cJSON_GetArraySize(msgs);
    /* An idle queue answers {} (or an empty Messages list). */
    if (msgs && (!cJSON_IsArray(msgs) || count > DN_SQS_BATCH_MAX))
        rc = dn_err_set(err, DN_ERR_NETWORK, "malformed ReceiveMessage response: bad Messages");
    else if (count && !(out->items = calloc((size_t)count, sizeof(*out->items))))
        rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    const cJSON *m = msgs ? msgs->child : NULL;
    for (; !rc && m; m = m->next)
        rc = s_message(m, &out->items[out->n++], err);
    cJSON_Delete(doc);
    if (rc)
        dn_sqs_messages_clean_up(out);
    return rc;
}

void dn_sqs_messages_clean_up(struct dn_sqs_messages *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].message_id);
        free(m->items[i].receipt_handle);
        free(m->items[i].body);
    }
    free(m->items);
    memset(m, 0, sizeof(*m));
}

/* --- batch results --------------------------------------------------------- */

static struct dn_sqs_entry_result *s_find(struct dn_sqs_batch_result *res, const char *id)
{
    for (size_t i = 0; id && i < res->n; i++)
        if (!strcmp(res->entries[i].id, id))
            return &res->entries[i];
    return NULL;
}

static void s_failed(struct dn_sqs_entry_result *r, const cJSON *f)
{
    const char *code = s_str(f, "Code"), *msg = s_str(f, "Message");
    const cJSON *sender = cJSON_GetObjectItemCaseSensitive(f, "SenderFault");
    r->ok = false;
    r->sender_fault = cJSON_IsTrue(sender);
    snprintf(r->code, sizeof(r->code), "%s", dn_http_error_code_base(code));
    snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "");
    /* A server-side failure of one entry is worth retrying; a sender fault
     * is the entry's own (for receipt handles: no longer ours). */
    r->cls = !r->sender_fault ? DN_ERR_NETWORK : dn_sqs_error_class(400, r->code);
    if (r->cls != DN_ERR_CONFLICT && r->sender_fault)
        r->cls = DN_ERR_BAD_INPUT;
}

int dn_sqs_parse_batch(const char *json, size_t len, const struct dn_sqs_entry *entries, size_t n,
                       struct dn_sqs_batch_result *res, struct dn_err *err)
{
    memset(res, 0, sizeof(*res));
    res->n = n < DN_SQS_BATCH_MAX ? n : DN_SQS_BATCH_MAX;
    for (size_t i = 0; i < res->n; i++) {
        struct dn_sqs_entry_result *r = &res->entries[i];
        snprintf(r->id, sizeof(r->id), "%s", entries[i].id);
        snprintf(r->code, sizeof(r->code), "NoResult"); /* until the answer names it */
        r->cls = DN_ERR_NETWORK;
    }
    cJSON *doc = dn_aws_json_parse(json, len);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return dn_err_set(err, DN_ERR_NETWORK, "malformed batch response: not a JSON object");
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "Successful"))
    {
        struct dn_sqs_entry_result *r = s_find(res, s_str(e, "Id"));
        const char *mid = s_str(e, "MessageId");
        if (!r)
            continue;
        r->ok = true;
        r->code[0] = '\0';
        r->cls = DN_ERR_NONE;
        snprintf(r->message_id, sizeof(r->message_id), "%s", mid ? mid : "");
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "Failed"))
    {
        struct dn_sqs_entry_result *r = s_find(res, s_str(e, "Id"));
        if (r)
            s_failed(r, e);
    }
    cJSON_Delete(doc);
    for (size_t i = 0; i < res->n; i++)
        res->nfailed += !res->entries[i].ok;
    return 0;
}
