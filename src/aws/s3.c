/* s3.c — the S3 client (see include/dancer/s3.h).
 * REST-XML: https://docs.aws.amazon.com/AmazonS3/latest/API/Welcome.html */
#include "dancer/s3.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/config.h"
#include "dancer/endpoint.h"
#include "dancer/sigv4.h"
#include "dancer/strbuf.h"

#include "aws_call.h"

struct dn_s3_client {
    struct dn_endpoint ep;
    char region[64];
    int addressing; /* enum dn_addressing */
    struct dn_creds_provider *creds;
    struct dn_http_pool *http;
};

bool dn_s3_url_split(const char *url, char *bucket, size_t bucket_len, const char **rest)
{
    if (strncmp(url, "s3://", 5))
        return false;
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t n = slash ? (size_t)(slash - b) : strlen(b);
    if (n == 0 || n >= bucket_len)
        return false;
    memcpy(bucket, b, n);
    bucket[n] = '\0';
    *rest = slash ? slash + 1 : "";
    return true;
}

int dn_s3_client_new(const struct dn_config *cfg, struct dn_creds_provider *creds,
                     struct dn_http_pool *http, struct dn_s3_client **out, struct dn_err *err)
{
    struct dn_s3_client *c = calloc(1, sizeof(*c));
    int rc;
    *out = NULL;
    if (!c)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    if ((rc = dn_endpoint_region(cfg, DN_AWS_S3, c->region, sizeof(c->region), err)) ||
        (rc = dn_endpoint_resolve(cfg, DN_AWS_S3, c->region, &c->ep, err))) {
        free(c);
        return rc;
    }
    c->addressing = cfg->s3_addressing;
    c->creds = creds;
    c->http = http;
    *out = c;
    return 0;
}

void dn_s3_client_destroy(struct dn_s3_client *c)
{
    free(c);
}

const char *dn_s3_client_region(const struct dn_s3_client *c)
{
    return c->region;
}

/* --- shared plumbing ----------------------------------------------------- */

/* A request being built: target strings owned here. */
struct s_req {
    struct dn_aws_call call;
    char *url, *host, *path;
    char what[600]; /* "s3://bucket/key" for messages */
};

static int s_req_init(struct dn_s3_client *c, struct s_req *r, const char *method,
                      const char *bucket, const char *key, struct dn_err *err)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->what, sizeof(r->what), "s3://%s/%s", bucket, key ? key : "");
    if (!*bucket)
        return dn_err_set(err, DN_ERR_USAGE, "%s: empty bucket name", r->what);
    if (key && !*key)
        return dn_err_set(err, DN_ERR_USAGE, "%s: empty key", r->what);
    int rc = dn_endpoint_s3_target(&c->ep, c->addressing, bucket, key, &r->url, &r->host, &r->path, err);
    if (rc)
        return rc;
    r->call = (struct dn_aws_call){
        .service = "s3", .region = c->region, .method = method, .url = r->url,
        .host = r->host, .path = r->path, .s3 = true,
    };
    return 0;
}

static void s_req_clean_up(struct s_req *r)
{
    free(r->url);
    free(r->host);
    free(r->path);
}

/* S3's error Code from an XML body, for retry classification. */
static void s_error_code(const struct dn_http_response *resp, char *code, size_t len)
{
    struct dn_s3_error e;
    code[0] = '\0';
    if (resp->body.len && !dn_s3_xml_parse_error(resp->body.data, resp->body.len, &e))
        snprintf(code, len, "%s", e.code);
}

static int s_send(struct dn_s3_client *c, struct s_req *r, struct dn_http_response *resp,
                  struct dn_err *err)
{
    r->call.error_code = s_error_code;
    int rc = dn_aws_call_send(c->http, c->creds, &r->call, resp, err);
    if (rc)
        dn_err_prefix(err, "%s: ", r->what);
    return rc;
}

/* Maps a non-2xx response to an error, with S3's own words. */
static int s_fail(struct dn_s3_client *c, const struct s_req *r, const struct dn_http_response *resp,
                  struct dn_err *err)
{
    struct dn_s3_error e;
    if (dn_s3_xml_parse_error(resp->body.data ? resp->body.data : "", resp->body.len, &e))
        memset(&e, 0, sizeof(e));
    const char *code = e.code[0] ? e.code : NULL;
    const char *region = e.region[0] ? e.region : dn_http_response_header(resp, "x-amz-bucket-region");
    if (region && *region && strcmp(region, c->region) &&
        (resp->status == 301 || resp->status == 400 || resp->status == 403))
        return dn_err_set(err, DN_ERR_CONFIG, "%s: the bucket is in region %s, not %s: set AWS_REGION=%s",
                          r->what, region, c->region, region);
    if (resp->status == 416 || (code && !strcmp(code, "InvalidRange"))) {
        return dn_err_set(err, DN_ERR_BAD_INPUT, "%s: requested range not satisfiable (object is %" PRIu64
                          " bytes)", r->what, e.actual_object_size);
    }
    enum dn_err_class cls = DN_ERR_NONE;
    if (code && (!strcmp(code, "NoSuchKey") || !strcmp(code, "NoSuchBucket")))
        cls = DN_ERR_NOT_FOUND;
    else if (code && (!strcmp(code, "PreconditionFailed") || !strcmp(code, "ConditionalRequestConflict")))
        cls = DN_ERR_CONFLICT;
    if (!e.message[0] && resp->status == 404)
        snprintf(e.message, sizeof(e.message), "not found");
    else if (!e.message[0] && resp->status == 412)
        snprintf(e.message, sizeof(e.message), "the object changed (ETag differs)");
    return dn_aws_call_fail(resp, cls, r->what, code, e.message, err);
}

static bool s_ok(const struct dn_http_response *resp)
{
    return resp->status >= 200 && resp->status < 300;
}

static void s_copy_header(const struct dn_http_response *resp, const char *name, char *dst, size_t cap)
{
    const char *v = dn_http_response_header(resp, name);
    snprintf(dst, cap, "%s", v ? v : "");
}

/* --- HeadObject ---------------------------------------------------------- */

const char *dn_s3_object_info_meta(const struct dn_s3_object_info *info, const char *name)
{
    for (size_t i = 0; i < info->nmeta; i++)
        if (!strcasecmp(info->meta[i].name, name))
            return info->meta[i].value;
    return NULL;
}

void dn_s3_object_info_clean_up(struct dn_s3_object_info *info)
{
    if (!info)
        return;
    for (size_t i = 0; i < info->nmeta; i++) {
        free(info->meta[i].name);
        free(info->meta[i].value);
    }
    free(info->meta);
    memset(info, 0, sizeof(*info));
}

static int s_info_from(const struct dn_http_response *resp, struct dn_s3_object_info *out,
                       struct dn_err *err)
{
    static const char prefix[] = "x-amz-meta-";
    const char *len = dn_http_response_header(resp, "Content-Length");
    out->size = len ? strtoull(len, NULL, 10) : 0;
    s_copy_header(resp, "ETag", out->etag, sizeof(out->etag));
    s_copy_header(resp, "Content-Type", out->content_type, sizeof(out->content_type));
    s_copy_header(resp, "Last-Modified", out->last_modified, sizeof(out->last_modified));
    time_t t = out->last_modified[0] ? curl_getdate(out->last_modified, NULL) : 0;
    out->last_modified_time = t == (time_t)-1 ? 0 : t;
    for (size_t i = 0; i < resp->nheaders; i++) {
        const char *name = resp->headers[i].name;
        if (strncasecmp(name, prefix, sizeof(prefix) - 1) || !name[sizeof(prefix) - 1])
            continue;
        void *v = realloc(out->meta, (out->nmeta + 1) * sizeof(*out->meta));
        if (!v)
            return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
        out->meta = v;
        struct dn_s3_meta *m = &out->meta[out->nmeta];
        m->name = strdup(name + sizeof(prefix) - 1);
        m->value = strdup(resp->headers[i].value);
        if (!m->name || !m->value) {
            free(m->name);
            free(m->value);
            return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
        }
        for (char *p = m->name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        out->nmeta++;
    }
    return 0;
}

/* If-Match needs the quoted entity-tag (RFC 9110 §13.1.1); events carry it bare. */
static void s_quote_etag(const char *etag, char out[DN_S3_ETAG_MAX + 2])
{
    snprintf(out, DN_S3_ETAG_MAX + 2, etag[0] == '"' || !strcmp(etag, "*") ? "%s" : "\"%s\"", etag);
}

int dn_s3_head_object(struct dn_s3_client *c, const char *bucket, const char *key,
                      const char *if_match, struct dn_s3_object_info *out, struct dn_err *err)
{
    struct s_req r;
    struct dn_http_response resp;
    char quoted[DN_S3_ETAG_MAX + 2];
    struct dn_http_header h[1];
    dn_http_response_init(&resp);
    memset(out, 0, sizeof(*out));
    int rc = s_req_init(c, &r, "HEAD", bucket, key, err);
    if (rc)
        goto cleanup;
    if (if_match) {
        s_quote_etag(if_match, quoted);
        h[0] = (struct dn_http_header){"If-Match", quoted};
        r.call.headers = h;
        r.call.nheaders = 1;
    }
    if ((rc = s_send(c, &r, &resp, err)))
        goto cleanup;
    rc = s_ok(&resp) ? s_info_from(&resp, out, err) : s_fail(c, &r, &resp, err);
cleanup:
    dn_http_response_clean_up(&resp);
    s_req_clean_up(&r);
    return rc;
}

/* --- GetObject ----------------------------------------------------------- */

/* Total size from a Content-Range: "bytes 0-99/1234" (or "bytes *\/1234"). */
static uint64_t s_range_total(const char *content_range)
{
    const char *slash = content_range ? strchr(content_range, '/') : NULL;
    return slash && slash[1] != '*' ? strtoull(slash + 1, NULL, 10) : 0;
}

int dn_s3_get_stream(struct dn_s3_client *c, const char *bucket, const char *key,
                     uint64_t offset, uint64_t len, const char *if_match, dn_http_body_fn *fn,
                     void *user_data, struct dn_s3_range *out, struct dn_err *err)
{
    struct s_req r;
    struct dn_http_response resp;
    char range[64], quoted[DN_S3_ETAG_MAX + 2];
    struct dn_http_header h[2];
    size_t nh = 0;
    struct dn_s3_range local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof(*out));
    dn_http_response_init(&resp);
    int rc = s_req_init(c, &r, "GET", bucket, key, err);
    if (rc)
        goto cleanup;
    if (len)
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, offset, offset + len - 1);
    else
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", offset);
    if (offset || len)
        h[nh++] = (struct dn_http_header){"Range", range};
    if (if_match) {
        s_quote_etag(if_match, quoted);
        h[nh++] = (struct dn_http_header){"If-Match", quoted};
    }
    r.call.headers = h;
    r.call.nheaders = nh;
    r.call.on_body = fn;
    r.call.body_user = user_data;
    if ((rc = s_send(c, &r, &resp, err)))
        goto cleanup;
    if (!s_ok(&resp)) {
        struct dn_s3_error e;
        if (!dn_s3_xml_parse_error(resp.body.data ? resp.body.data : "", resp.body.len, &e))
            out->object_size = e.actual_object_size;
        if (!out->object_size)
            out->object_size = s_range_total(dn_http_response_header(&resp, "Content-Range"));
        rc = s_fail(c, &r, &resp, err);
        goto cleanup;
    }
    out->got = resp.body_bytes;
    s_copy_header(&resp, "ETag", out->etag, sizeof(out->etag));
    if (resp.status == 206) {
        out->object_size = s_range_total(dn_http_response_header(&resp, "Content-Range"));
    } else {
        const char *cl = dn_http_response_header(&resp, "Content-Length");
        out->object_size = cl ? strtoull(cl, NULL, 10) : resp.body_bytes;
    }
cleanup:
    dn_http_response_clean_up(&resp);
    s_req_clean_up(&r);
    return rc;
}

struct s_mem_sink {
    char *buf;
    size_t cap;
    bool overflow;
};

static int s_mem_write(const void *data, size_t len, uint64_t offset, void *user)
{
    struct s_mem_sink *s = user;
    /* S3 sends exactly the range asked for; more means a server that
     * ignored Range, which must not overrun the caller's buffer. */
    if (offset > s->cap || len > s->cap - offset) {
        s->overflow = true;
        return DN_E(DN_ERR_NETWORK);
    }
    memcpy(s->buf + offset, data, len);
    return 0;
}

int dn_s3_get_range(struct dn_s3_client *c, const char *bucket, const char *key, uint64_t offset,
                    void *buf, size_t len, const char *if_match, struct dn_s3_range *out,
                    struct dn_err *err)
{
    struct s_mem_sink sink = {buf, len, false};
    if (len == 0)
        return dn_err_set(err, DN_ERR_USAGE, "s3://%s/%s: empty range", bucket, key);
    int rc = dn_s3_get_stream(c, bucket, key, offset, len, if_match, s_mem_write, &sink, out, err);
    if (rc && sink.overflow)
        rc = dn_err_set(err, DN_ERR_NETWORK, "s3://%s/%s: server sent more than the %zu bytes asked for",
                        bucket, key, len);
    return rc;
}

int dn_s3_get_object(struct dn_s3_client *c, const char *bucket, const char *key,
                     size_t max_bytes, char **data, size_t *len, struct dn_err *err)
{
    struct s_req r;
    struct dn_http_response resp;
    *data = NULL;
    *len = 0;
    dn_http_response_init(&resp);
    int rc = s_req_init(c, &r, "GET", bucket, key, err);
    if (rc)
        goto cleanup;
    r.call.max_body = max_bytes;
    if ((rc = s_send(c, &r, &resp, err)))
        goto cleanup;
    if (!s_ok(&resp)) {
        rc = s_fail(c, &r, &resp, err);
        goto cleanup;
    }
    *len = resp.body.len;
    if (!(*data = dn_strbuf_take(&resp.body)))
        rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
cleanup:
    dn_http_response_clean_up(&resp);
    s_req_clean_up(&r);
    return rc;
}

/* --- PutObject, DeleteObject, CreateBucket ------------------------------- */

int dn_s3_put_object(struct dn_s3_client *c, const char *bucket, const char *key,
                     const void *data, size_t len, const struct dn_s3_put_opts *opts,
                     char etag[DN_S3_ETAG_MAX], struct dn_err *err)
{
    struct s_req r;
    struct dn_http_response resp;
    struct dn_http_header *h = calloc(opts->nmeta + 2, sizeof(*h));
    char **names = calloc(opts->nmeta + 1, sizeof(*names));
    char quoted[DN_S3_ETAG_MAX + 2];
    size_t nh = 0;
    dn_http_response_init(&resp);
    int rc = s_req_init(c, &r, "PUT", bucket, key, err);
    if (rc)
        goto cleanup;
    if (!h || !names) {
        rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < opts->nmeta; i++) {
        size_t n = strlen(opts->meta[i].name) + 12;
        if (!(names[i] = malloc(n))) {
            rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
            goto cleanup;
        }
        snprintf(names[i], n, "x-amz-meta-%s", opts->meta[i].name);
        h[nh++] = (struct dn_http_header){names[i], opts->meta[i].value};
    }
    if (opts->if_match) {
        s_quote_etag(opts->if_match, quoted);
        h[nh++] = (struct dn_http_header){"If-Match", quoted};
    } else if (opts->if_none_match) {
        h[nh++] = (struct dn_http_header){"If-None-Match", "*"};
    }
    r.call.headers = h;
    r.call.nheaders = nh;
    r.call.body = data ? data : "";
    r.call.body_len = len;
    r.call.content_type = opts->content_type ? opts->content_type : "application/octet-stream";
    if ((rc = s_send(c, &r, &resp, err)))
        goto cleanup;
    if (!s_ok(&resp))
        rc = s_fail(c, &r, &resp, err);
    else if (etag)
        s_copy_header(&resp, "ETag", etag, DN_S3_ETAG_MAX);
cleanup:
    for (size_t i = 0; names && i < opts->nmeta; i++)
        free(names[i]);
    free(names);
    free(h);
    dn_http_response_clean_up(&resp);
    s_req_clean_up(&r);
    return rc;
}

/* One bodiless or small-body request whose success needs no parsing. */
static int s_simple(struct dn_s3_client *c, const char *method, const char *bucket, const char *key,
                    const char *query, const char *body, struct dn_http_response *resp,
                    struct dn_err *err)
{
    struct s_req r;
    int rc = s_req_init(c, &r, method, bucket, key, err);
    if (rc)
        goto cleanup;
    r.call.query = query;
    if (body) {
        r.call.body = body;
        r.call.body_len = strlen(body);
        r.call.content_type = "application/xml";
    }
    if ((rc = s_send(c, &r, resp, err)))
        goto cleanup;
    if (!s_ok(resp))
        rc = s_fail(c, &r, resp, err);
cleanup:
    s_req_clean_up(&r);
    return rc;
}

int dn_s3_delete_object(struct dn_s3_client *c, const char *bucket, const char *key,
                        struct dn_err *err)
{
    struct dn_http_response resp;
    dn_http_response_init(&resp);
    int rc = s_simple(c, "DELETE", bucket, key, NULL, NULL, &resp, err);
    dn_http_response_clean_up(&resp);
    return rc;
}

int dn_s3_create_bucket(struct dn_s3_client *c, const char *bucket, struct dn_err *err)
{
    struct dn_http_response resp;
    char body[256];
    /* us-east-1 is the one region that takes no LocationConstraint. */
    bool constraint = strcmp(c->region, "us-east-1") != 0;
    snprintf(body, sizeof(body),
             "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
             "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
             c->region);
    dn_http_response_init(&resp);
    int rc = s_simple(c, "PUT", bucket, NULL, NULL, constraint ? body : NULL, &resp, err);
    if (rc && resp.status == 409 && !strcmp(resp.error_code, "BucketAlreadyOwnedByYou")) {
        dn_err_clear(err);
        rc = 0;
    }
    dn_http_response_clean_up(&resp);
    return rc;
}

/* --- ListObjectsV2 ------------------------------------------------------- */

static void s_add_param(struct dn_strbuf *q, const char *name, const char *value)
{
    if (!value)
        return;
    char *enc = dn_sigv4_uri_encode(value, false);
    if (!enc) {
        q->oom = true;
        return;
    }
    dn_strbuf_addf(q, "%s%s=%s", q->len ? "&" : "", name, enc);
    free(enc);
}

int dn_s3_list_page(struct dn_s3_client *c, const char *bucket, const struct dn_s3_list_opts *opts,
                    struct dn_s3_list_page *page, struct dn_err *err)
{
    struct dn_strbuf q;
    struct dn_http_response resp;
    char max_keys[16];
    dn_strbuf_init(&q);
    dn_http_response_init(&resp);
    memset(page, 0, sizeof(*page));
    snprintf(max_keys, sizeof(max_keys), "%d", opts->max_keys);
    s_add_param(&q, "continuation-token", opts->continuation_token);
    s_add_param(&q, "delimiter", opts->delimiter);
    s_add_param(&q, "encoding-type", "url");
    s_add_param(&q, "list-type", "2");
    s_add_param(&q, "max-keys", opts->max_keys > 0 ? max_keys : NULL);
    s_add_param(&q, "prefix", opts->prefix);
    s_add_param(&q, "start-after", opts->start_after);
    int rc = q.oom ? dn_err_set(err, DN_ERR_INTERNAL, "out of memory")
                   : s_simple(c, "GET", bucket, NULL, dn_strbuf_str(&q), NULL, &resp, err);
    if (!rc) {
        rc = dn_s3_xml_parse_list(resp.body.data ? resp.body.data : "", resp.body.len, page, err);
        if (rc)
            dn_err_prefix(err, "s3://%s: ", bucket);
    }
    dn_http_response_clean_up(&resp);
    dn_strbuf_clean_up(&q);
    return rc;
}

int dn_s3_list_each(struct dn_s3_client *c, const char *bucket, const char *prefix,
                    const char *start_after, dn_s3_list_fn *fn, void *user_data,
                    struct dn_err *err)
{
    struct dn_s3_list_page page = {0};
    char *token = NULL;
    int rc = 0;
    do {
        struct dn_s3_list_opts opts = {.prefix = prefix, .continuation_token = token,
                                       .start_after = token ? NULL : start_after};
        if ((rc = dn_s3_list_page(c, bucket, &opts, &page, err)))
            break;
        for (size_t i = 0; i < page.n && !rc; i++)
            rc = fn(&page.items[i], user_data);
        free(token);
        token = page.next_token; /* taken over from the page */
        page.next_token = NULL;
        dn_s3_list_page_clean_up(&page);
    } while (!rc && token);
    free(token);
    dn_s3_list_page_clean_up(&page);
    return rc;
}

/* --- bucket notification configuration ----------------------------------- */

int dn_s3_get_notification(struct dn_s3_client *c, const char *bucket,
                           struct dn_s3_notification *out, struct dn_err *err)
{
    struct dn_http_response resp;
    dn_http_response_init(&resp);
    memset(out, 0, sizeof(*out));
    int rc = s_simple(c, "GET", bucket, NULL, "notification", NULL, &resp, err);
    if (!rc) {
        rc = dn_s3_xml_parse_notification(resp.body.data ? resp.body.data : "", resp.body.len, out, err);
        if (rc)
            dn_err_prefix(err, "s3://%s: ", bucket);
    }
    dn_http_response_clean_up(&resp);
    return rc;
}

int dn_s3_put_notification(struct dn_s3_client *c, const char *bucket,
                           const struct dn_s3_notification *n, struct dn_err *err)
{
    struct dn_http_response resp;
    char *xml = NULL;
    dn_http_response_init(&resp);
    int rc = dn_s3_xml_build_notification(n, &xml, err);
    if (!rc)
        rc = s_simple(c, "PUT", bucket, NULL, "notification", xml, &resp, err);
    free(xml);
    dn_http_response_clean_up(&resp);
    return rc;
}
