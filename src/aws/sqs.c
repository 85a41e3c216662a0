/* sqs.c — the SQS client, AWS JSON 1.0 protocol (see include/dancer/sqs.h).
 * API reference: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/ */
#include "dancer/sqs.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/config.h"
#include "dancer/endpoint.h"
#include "dancer/http.h"
#include "dancer/strbuf.h"

#include "aws_call.h"
#include "aws_json.h"

#define S_MAX_RESPONSE (1u << 20)
/* Ten messages of up to 1 MiB each, JSON-escaped: room for the worst case. */
#define S_MAX_RECEIVE (64u << 20)

struct dn_sqs_client {
    struct dn_endpoint ep;  /* for calls without a queue URL */
    bool ep_from_setting;   /* AWS_ENDPOINT_URL(_SQS): used for every call */
    char region[64];
    struct dn_creds_provider *creds;
    struct dn_http_pool *http;
};

int dn_sqs_client_new(const struct dn_config *cfg, struct dn_creds_provider *creds,
                      struct dn_http_pool *http, struct dn_sqs_client **out, struct dn_err *err)
{
    struct dn_sqs_client *c = calloc(1, sizeof(*c));
    int rc;
    *out = NULL;
    if (!c)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    if ((rc = dn_endpoint_region(cfg, DN_AWS_SQS, c->region, sizeof(c->region), err)) ||
        (rc = dn_endpoint_resolve(cfg, DN_AWS_SQS, c->region, &c->ep, err))) {
        free(c);
        return rc;
    }
    c->ep_from_setting = cfg->aws_endpoint_url_sqs[0] || cfg->aws_endpoint_url[0];
    c->creds = creds;
    c->http = http;
    *out = c;
    return 0;
}

void dn_sqs_client_destroy(struct dn_sqs_client *c)
{
    free(c);
}

const char *dn_sqs_client_region(const struct dn_sqs_client *c)
{
    return c->region;
}

/* --- one call --------------------------------------------------------------- */

struct s_op {
    const char *name;         /* "ReceiveMessage" */
    const char *queue_url;    /* NULL for calls not on a queue */
    size_t max_body;
    long extra_timeout_ms;
    const atomic_bool *cancel;
};

static void s_error_code(const struct dn_http_response *resp, char *code, size_t len)
{
    char msg[8];
    dn_sqs_parse_error(resp->body.data ? resp->body.data : "", resp->body.len, code, len, msg, sizeof(msg));
    if (!code[0]) {
        /* The query-compatible header carries it too: "AWS.SimpleQueueService.X;Sender". */
        const char *q = dn_http_response_header(resp, "x-amzn-query-error");
        if (q)
            snprintf(code, len, "%.*s", (int)strcspn(q, ";"), q);
    }
}

static int s_fail(const struct s_op *op, const struct dn_http_response *resp, struct dn_err *err)
{
    char code[128], msg[512], what[1200];
    dn_sqs_parse_error(resp->body.data ? resp->body.data : "", resp->body.len, code, sizeof(code), msg,
                       sizeof(msg));
    if (!code[0])
        snprintf(code, sizeof(code), "%s", resp->error_code);
    snprintf(what, sizeof(what), "SQS %s%s%s", op->name, op->queue_url ? " " : "",
             op->queue_url ? op->queue_url : "");
    enum dn_err_class cls = dn_sqs_error_class(resp->status, code);
    if (cls == DN_ERR_NOT_FOUND && !strcmp(dn_http_error_code_base(code), "NonExistentQueue"))
        snprintf(code, sizeof(code), "QueueDoesNotExist");
    return dn_aws_call_fail(resp, cls, what, dn_http_error_code_base(code), msg, err);
}

/* The endpoint of a call: the setting, else the queue URL's host. */
static int s_endpoint(struct dn_sqs_client *c, const char *queue_url, struct dn_endpoint *ep,
                      struct dn_err *err)
{
    if (c->ep_from_setting || !queue_url) {
        *ep = c->ep;
        return 0;
    }
    int rc = dn_endpoint_parse(queue_url, "queue URL", ep, err);
    ep->base_path[0] = '\0';
    return rc;
}

/* POSTs `body` (consumed: NULL means it could not be built) as operation
 * op; *text gets the answer (malloc'd, "{}" for an empty one). */
static int s_call_raw(struct dn_sqs_client *c, const struct s_op *op, cJSON *body, char **text,
                      size_t *len, struct dn_err *err)
{
    struct dn_http_response resp;
    struct dn_endpoint ep;
    char target[64], url[600], path[300];
    char *json = NULL;
    dn_http_response_init(&resp);
    *text = NULL;
    int rc = s_endpoint(c, op->queue_url, &ep, err);
    if (rc)
        goto cleanup;
    if (!body || !(json = cJSON_PrintUnformatted(body))) {
        rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
        goto cleanup;
    }
    snprintf(target, sizeof(target), "AmazonSQS.%s", op->name);
    snprintf(url, sizeof(url), "%s://%s%s/", ep.scheme, ep.host, ep.base_path);
    snprintf(path, sizeof(path), "%s/", ep.base_path);
    struct dn_http_header h[] = {{"X-Amz-Target", target}};
    struct dn_aws_call call = {
        .service = "sqs", .region = c->region, .method = "POST", .url = url, .host = ep.host,
        .path = path, .headers = h, .nheaders = 1, .body = json, .body_len = strlen(json),
        .content_type = "application/x-amz-json-1.0", .max_body = op->max_body,
        .extra_timeout_ms = op->extra_timeout_ms, .cancel = op->cancel, .error_code = s_error_code,
    };
    if ((rc = dn_aws_call_send(c->http, c->creds, &call, &resp, err))) {
        dn_err_prefix(err, "SQS %s: ", op->name);
        goto cleanup;
    }
    if (resp.status < 200 || resp.status >= 300) {
        rc = s_fail(op, &resp, err);
        goto cleanup;
    }
    /* Operations without output may answer an empty body. */
    if (!resp.body.len)
        dn_strbuf_adds(&resp.body, "{}");
    *len = resp.body.len;
    if (!(*text = dn_strbuf_take(&resp.body)))
        rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
cleanup:
    cJSON_Delete(body);
    free(json);
    dn_http_response_clean_up(&resp);
    return rc;
}

/* The same, with the answer parsed into *out (a JSON object). */
static int s_call(struct dn_sqs_client *c, const struct s_op *op, cJSON *body, cJSON **out,
                  struct dn_err *err)
{
    char *text;
    size_t len;
    *out = NULL;
    int rc = s_call_raw(c, op, body, &text, &len, err);
    if (rc)
        return rc;
    *out = dn_aws_json_parse(text, len);
    free(text);
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return dn_err_set(err, DN_ERR_NETWORK, "SQS %s: response is not a JSON object", op->name);
    }
    return 0;
}

/* A call whose answer is ignored. */
static int s_call_void(struct dn_sqs_client *c, const struct s_op *op, cJSON *body, struct dn_err *err)
{
    cJSON *out = NULL;
    int rc = s_call(c, op, body, &out, err);
    cJSON_Delete(out);
    return rc;
}

static cJSON *s_queue_body(const char *queue_url)
{
    cJSON *b = cJSON_CreateObject();
    if (b && !cJSON_AddStringToObject(b, "QueueUrl", queue_url)) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

/* Adds {"Attributes": {name: value...}}; false on OOM. */
static bool s_add_attrs(cJSON *b, const struct dn_sqs_attr *attrs, size_t n)
{
    if (!b || !n)
        return b != NULL;
    cJSON *a = cJSON_AddObjectToObject(b, "Attributes");
    for (size_t i = 0; a && i < n; i++)
        if (!cJSON_AddStringToObject(a, attrs[i].name, attrs[i].value))
            return false;
    return a != NULL;
}

static int s_copy_url(const cJSON *out, char *url, size_t len, const char *op, struct dn_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(out, "QueueUrl");
    if (!cJSON_IsString(v))
        return dn_err_set(err, DN_ERR_NETWORK, "SQS %s: response has no QueueUrl", op);
    if (url && (size_t)snprintf(url, len, "%s", v->valuestring) >= len)
        return dn_err_set(err, DN_ERR_INTERNAL, "SQS %s: queue URL longer than %zu bytes", op, len);
    return 0;
}

/* --- queues ----------------------------------------------------------------- */

/* GetQueueUrl and CreateQueue: a queue name in, a queue URL out. */
static int s_named_queue(struct dn_sqs_client *c, const char *opname, const char *name,
                         const struct dn_sqs_attr *attrs, size_t nattrs, char *url, size_t len,
                         struct dn_err *err)
{
    struct s_op op = {.name = opname, .max_body = S_MAX_RESPONSE};
    cJSON *b = cJSON_CreateObject(), *out = NULL;
    if (b && (!cJSON_AddStringToObject(b, "QueueName", name) || !s_add_attrs(b, attrs, nattrs)))
        cJSON_Delete(b), b = NULL;
    int rc = s_call(c, &op, b, &out, err);
    if (!rc)
        rc = s_copy_url(out, url, len, op.name, err);
    else
        dn_err_prefix(err, "queue \"%s\": ", name);
    cJSON_Delete(out);
    return rc;
}

int dn_sqs_get_queue_url(struct dn_sqs_client *c, const char *name, char *url, size_t len,
                         struct dn_err *err)
{
    return s_named_queue(c, "GetQueueUrl", name, NULL, 0, url, len, err);
}

int dn_sqs_create_queue(struct dn_sqs_client *c, const char *name, const struct dn_sqs_attr *attrs,
                        size_t nattrs, char *url, size_t len, struct dn_err *err)
{
    return s_named_queue(c, "CreateQueue", name, attrs, nattrs, url, len, err);
}

int dn_sqs_delete_queue(struct dn_sqs_client *c, const char *queue_url, struct dn_err *err)
{
    struct s_op op = {.name = "DeleteQueue", .queue_url = queue_url, .max_body = S_MAX_RESPONSE};
    return s_call_void(c, &op, s_queue_body(queue_url), err);
}

const char *dn_sqs_attrs_get(const struct dn_sqs_attrs *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->items[i].name, name))
            return a->items[i].value;
    return NULL;
}

void dn_sqs_attrs_clean_up(struct dn_sqs_attrs *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->items[i].name);
        free(a->items[i].value);
    }
    free(a->items);
    memset(a, 0, sizeof(*a));
}

static int s_take_attrs(const cJSON *out, struct dn_sqs_attrs *a, struct dn_err *err)
{
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(out, "Attributes"), *v;
    size_t n = (size_t)cJSON_GetArraySize(attrs);
    if (attrs && !cJSON_IsObject(attrs))
        return dn_err_set(err, DN_ERR_NETWORK, "SQS GetQueueAttributes: Attributes is not an object");
    if (n && !(a->items = calloc(n, sizeof(*a->items))))
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    cJSON_ArrayForEach(v, attrs)
    {
        if (!cJSON_IsString(v))
            continue;
        struct dn_sqs_attr_item *it = &a->items[a->n++];
        it->name = strdup(v->string);
        it->value = strdup(v->valuestring);
        if (!it->name || !it->value)
            return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

int dn_sqs_get_attributes(struct dn_sqs_client *c, const char *queue_url, const char *const *names,
                          size_t nnames, struct dn_sqs_attrs *out, struct dn_err *err)
{
    struct s_op op = {.name = "GetQueueAttributes", .queue_url = queue_url, .max_body = S_MAX_RESPONSE};
    static const char *const all[] = {"All"};
    cJSON *b = s_queue_body(queue_url), *resp = NULL;
    memset(out, 0, sizeof(*out));
    cJSON *list = b ? cJSON_CreateStringArray(names ? names : all, names ? (int)nnames : 1) : NULL;
    if (!list || !cJSON_AddItemToObject(b, "AttributeNames", list)) {
        cJSON_Delete(list);
        cJSON_Delete(b), b = NULL;
    }
    int rc = s_call(c, &op, b, &resp, err);
    if (!rc && (rc = s_take_attrs(resp, out, err)))
        dn_sqs_attrs_clean_up(out);
    cJSON_Delete(resp);
    return rc;
}

int dn_sqs_set_attributes(struct dn_sqs_client *c, const char *queue_url,
                          const struct dn_sqs_attr *attrs, size_t nattrs, struct dn_err *err)
{
    struct s_op op = {.name = "SetQueueAttributes", .queue_url = queue_url, .max_body = S_MAX_RESPONSE};
    cJSON *b = s_queue_body(queue_url);
    if (b && !s_add_attrs(b, attrs, nattrs))
        cJSON_Delete(b), b = NULL;
    return s_call_void(c, &op, b, err);
}

int dn_sqs_queue_arn(struct dn_sqs_client *c, const char *queue_url, char *arn, size_t len,
                     struct dn_err *err)
{
    static const char *const names[] = {"QueueArn"};
    struct dn_sqs_attrs a;
    int rc = dn_sqs_get_attributes(c, queue_url, names, 1, &a, err);
    const char *v = rc ? NULL : dn_sqs_attrs_get(&a, "QueueArn");
    if (!rc && !v)
        rc = dn_err_set(err, DN_ERR_NETWORK, "SQS GetQueueAttributes %s: no QueueArn", queue_url);
    if (!rc)
        snprintf(arn, len, "%s", v);
    dn_sqs_attrs_clean_up(&a);
    return rc;
}

/* One ListQueues page: calls fn per URL, returns the NextToken (malloc'd) in *next. */
static int s_list_page(struct dn_sqs_client *c, const char *prefix, const char *token,
                       dn_sqs_url_fn *fn, void *user, char **next, struct dn_err *err)
{
    struct s_op op = {.name = "ListQueues", .max_body = S_MAX_RESPONSE};
    cJSON *b = cJSON_CreateObject(), *out = NULL;
    const cJSON *u;
    *next = NULL;
    if (b && ((prefix && !cJSON_AddStringToObject(b, "QueueNamePrefix", prefix)) ||
              (token && !cJSON_AddStringToObject(b, "NextToken", token)) ||
              !cJSON_AddNumberToObject(b, "MaxResults", 1000)))
        cJSON_Delete(b), b = NULL;
    int rc = s_call(c, &op, b, &out, err);
    const cJSON *urls = cJSON_GetObjectItemCaseSensitive(out, "QueueUrls"); /* NULL-safe */
    cJSON_ArrayForEach(u, urls)
    {
        if (cJSON_IsString(u) && (rc = fn(u->valuestring, user)))
            break;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(out, "NextToken");
    if (!rc && cJSON_IsString(t) && *t->valuestring && !(*next = strdup(t->valuestring)))
        rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    cJSON_Delete(out);
    return rc;
}

int dn_sqs_list_queues(struct dn_sqs_client *c, const char *prefix, dn_sqs_url_fn *fn,
                       void *user_data, struct dn_err *err)
{
    char *token = NULL;
    int rc;
    do {
        char *next = NULL;
        rc = s_list_page(c, prefix, token, fn, user_data, &next, err);
        free(token);
        token = next;
    } while (!rc && token);
    free(token);
    return rc;
}

/* --- messages --------------------------------------------------------------- */

int dn_sqs_receive(struct dn_sqs_client *c, const char *queue_url,
                   const struct dn_sqs_receive_opts *opts, struct dn_sqs_messages *out,
                   struct dn_err *err)
{
    static const char *const sys[] = {"ApproximateReceiveCount", "SentTimestamp",
                                      "ApproximateFirstReceiveTimestamp"};
    int max = opts->max_messages, wait = opts->wait_s;
    memset(out, 0, sizeof(*out));
    if (max < 1 || max > DN_SQS_BATCH_MAX || wait < 0 || wait > DN_SQS_WAIT_MAX)
        return dn_err_set(err, DN_ERR_INTERNAL, "SQS ReceiveMessage: %d messages, %d s wait: out of range",
                          max, wait);
    /* The long poll's wait is added to the attempt's timeout so a quiet
     * queue never looks like a dead connection. */
    struct s_op op = {.name = "ReceiveMessage", .queue_url = queue_url, .max_body = S_MAX_RECEIVE,
                      .extra_timeout_ms = 1000L * wait, .cancel = opts->cancel};
    cJSON *b = s_queue_body(queue_url);
    cJSON *names = b ? cJSON_CreateStringArray(sys, 3) : NULL;
    if (!names || !cJSON_AddItemToObject(b, "MessageSystemAttributeNames", names) ||
        !cJSON_AddNumberToObject(b, "MaxNumberOfMessages", max) ||
        !cJSON_AddNumberToObject(b, "WaitTimeSeconds", wait) ||
        (opts->visibility_timeout_s >= 0 &&
         !cJSON_AddNumberToObject(b, "VisibilityTimeout", opts->visibility_timeout_s))) {
        if (names && !cJSON_GetObjectItemCaseSensitive(b, "MessageSystemAttributeNames"))
            cJSON_Delete(names);
        cJSON_Delete(b), b = NULL;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = s_call_raw(c, &op, b, &text, &len, err);
    if (!rc && (rc = dn_sqs_parse_receive(text, len, out, err)))
        dn_err_prefix(err, "SQS ReceiveMessage %s: ", queue_url);
    free(text);
    return rc;
}

int dn_sqs_change_visibility(struct dn_sqs_client *c, const char *queue_url,
                             const char *receipt_handle, int timeout_s, struct dn_err *err)
{
    struct s_op op = {.name = "ChangeMessageVisibility", .queue_url = queue_url, .max_body = S_MAX_RESPONSE};
    cJSON *b = s_queue_body(queue_url);
    if (b && (!cJSON_AddStringToObject(b, "ReceiptHandle", receipt_handle) ||
              !cJSON_AddNumberToObject(b, "VisibilityTimeout", timeout_s)))
        cJSON_Delete(b), b = NULL;
    return s_call_void(c, &op, b, err);
}

/* Batch shape rules SQS would reject anyway; checked first so a bug never
 * reaches the wire. */
static int s_check_batch(const char *op, const struct dn_sqs_entry *e, size_t n, struct dn_err *err)
{
    if (n < 1 || n > DN_SQS_BATCH_MAX)
        return dn_err_set(err, DN_ERR_INTERNAL, "SQS %s: %zu entries (1 to 10 allowed)", op, n);
    for (size_t i = 0; i < n; i++) {
        size_t len = e[i].id ? strlen(e[i].id) : 0;
        if (len < 1 || len > DN_SQS_ID_MAX || strspn(e[i].id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
                                                               "nopqrstuvwxyz0123456789-_") != len)
            return dn_err_set(err, DN_ERR_INTERNAL, "SQS %s: entry %zu: bad id", op, i);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(e[i].id, e[k].id))
                return dn_err_set(err, DN_ERR_INTERNAL, "SQS %s: id \"%s\" repeated", op, e[i].id);
    }
    return 0;
}

enum s_batch_kind { S_DELETE, S_VISIBILITY, S_SEND };

static cJSON *s_batch_entry(enum s_batch_kind kind, const struct dn_sqs_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "Id", e->id);
    if (ok && kind != S_SEND)
        ok = cJSON_AddStringToObject(o, "ReceiptHandle", e->receipt_handle ? e->receipt_handle : "");
    if (ok && kind == S_VISIBILITY)
        ok = cJSON_AddNumberToObject(o, "VisibilityTimeout", e->visibility_timeout_s);
    if (ok && kind == S_SEND)
        ok = cJSON_AddStringToObject(o, "MessageBody", e->body ? e->body : "") &&
             (!e->delay_s || cJSON_AddNumberToObject(o, "DelaySeconds", e->delay_s));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int s_batch(struct dn_sqs_client *c, const char *name, enum s_batch_kind kind,
                   const char *queue_url, const struct dn_sqs_entry *e, size_t n,
                   struct dn_sqs_batch_result *res, struct dn_err *err)
{
    struct s_op op = {.name = name, .queue_url = queue_url, .max_body = S_MAX_RESPONSE};
    memset(res, 0, sizeof(*res));
    int rc = s_check_batch(name, e, n, err);
    if (rc)
        return rc;
    cJSON *b = s_queue_body(queue_url);
    cJSON *list = b ? cJSON_AddArrayToObject(b, "Entries") : NULL;
    for (size_t i = 0; list && i < n; i++) {
        cJSON *entry = s_batch_entry(kind, &e[i]);
        if (!entry || !cJSON_AddItemToArray(list, entry)) {
            cJSON_Delete(entry);
            list = NULL;
        }
    }
    if (!list)
        cJSON_Delete(b), b = NULL;
    char *text = NULL;
    size_t len = 0;
    if (!(rc = s_call_raw(c, &op, b, &text, &len, err)) &&
        (rc = dn_sqs_parse_batch(text, len, e, n, res, err)))
        dn_err_prefix(err, "SQS %s %s: ", name, queue_url);
    free(text);
    return rc;
}

int dn_sqs_delete_batch(struct dn_sqs_client *c, const char *queue_url,
                        const struct dn_sqs_entry *entries, size_t n,
                        struct dn_sqs_batch_result *res, struct dn_err *err)
{
    return s_batch(c, "DeleteMessageBatch", S_DELETE, queue_url, entries, n, res, err);
}

int dn_sqs_change_visibility_batch(struct dn_sqs_client *c, const char *queue_url,
                                   const struct dn_sqs_entry *entries, size_t n,
                                   struct dn_sqs_batch_result *res, struct dn_err *err)
{
    return s_batch(c, "ChangeMessageVisibilityBatch", S_VISIBILITY, queue_url, entries, n, res, err);
}

int dn_sqs_send_batch(struct dn_sqs_client *c, const char *queue_url,
                      const struct dn_sqs_entry *entries, size_t n,
                      struct dn_sqs_batch_result *res, struct dn_err *err)
{
    return s_batch(c, "SendMessageBatch", S_SEND, queue_url, entries, n, res, err);
}
