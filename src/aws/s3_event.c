/* s3_event.c — S3 notifications to jobs (see include/dancer/s3_event.h). */
#include "dancer/s3_event.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/config.h"
#include "dancer/strbuf.h"

#include "aws_json.h"

void dn_s3_event_filter_from_config(const struct dn_config *cfg, struct dn_s3_event_filter *out)
{
    memset(out, 0, sizeof(*out));
    out->event_source = cfg->expected_event_source;
    out->event_prefix = cfg->expected_event_prefix;
    out->bucket = cfg->s3_bucket;
    out->prefix = cfg->s3_prefix;
    out->suffix = cfg->s3_suffix;
}

bool dn_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if (n >= len - i) /* the sequence needs n more bytes */
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

static int s_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int dn_s3_key_decode(const char *in, size_t len, char **out)
{
    char *d = malloc(len + 1);
    size_t n = 0;
    *out = NULL;
    if (!d)
        return DN_E(DN_ERR_INTERNAL);
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '+') {
            d[n++] = ' ';
        } else if (in[i] == '%') {
            if (len - i < 3)
                goto bad;
            int hi = s_hex((unsigned char)in[i + 1]), lo = s_hex((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                goto bad;
            d[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (in[i] == '\0') {
            goto bad;
        } else {
            d[n++] = in[i];
        }
    }
    d[n] = '\0';
    if (!dn_utf8_valid(d, n))
        goto bad;
    *out = d;
    return 0;
bad:
    free(d);
    return DN_E(DN_ERR_BAD_INPUT);
}

/* --- records ------------------------------------------------------------- */

struct s_ctx {
    const struct dn_s3_event_filter *f;
    struct dn_s3_event_batch *b;
    bool oom;
};

static void s_skip(struct s_ctx *c, int record, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_skip(struct s_ctx *c, int record, const char *fmt, ...)
{
    struct dn_s3_event_batch *b = c->b;
    void *v = realloc(b->skips, (b->nskips + 1) * sizeof(*b->skips));
    if (!v) {
        c->oom = true;
        return;
    }
    b->skips = v;
    struct dn_s3_event_skip *s = &b->skips[b->nskips++];
    s->record = record;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
    va_end(ap);
}

static const char *s_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool s_has_prefix(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(key, prefix, n))
        return false;
    /* "uploads" names a folder: the next character must be '/'. */
    return prefix[n - 1] == '/' || key[n] == '/';
}

static bool s_has_suffix(const char *key, const char *suffix)
{
    size_t k = strlen(key), n = strlen(suffix);
    return k >= n && !strcasecmp(key + k - n, suffix);
}

/* Bucket, prefix and suffix checks; NULL when the object is wanted. */
static const char *s_filter_reason(const struct dn_s3_event_filter *f, const char *bucket,
                                   const char *key)
{
    if (f->bucket && *f->bucket && strcmp(bucket, f->bucket))
        return "bucket is not S3_BUCKET";
    if (!*key || key[strlen(key) - 1] == '/')
        return "key names a folder, not an object";
    if (f->prefix && *f->prefix && !s_has_prefix(key, f->prefix))
        return "key is not under S3_PREFIX";
    if (f->suffix && *f->suffix && !s_has_suffix(key, f->suffix))
        return "key does not end with S3_SUFFIX";
    return NULL;
}

/* Takes ownership of j's strings. */
static void s_add_job(struct s_ctx *c, struct dn_s3_job *j)
{
    struct dn_s3_event_batch *b = c->b;
    void *v = realloc(b->jobs, (b->njobs + 1) * sizeof(*b->jobs));
    if (!v) {
        free(j->bucket);
        free(j->key);
        c->oom = true;
        return;
    }
    b->jobs = v;
    b->jobs[b->njobs++] = *j;
}

static bool s_size(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d > 9007199254740992.0 || d != floor(d))
        return false;
    *out = (uint64_t)d;
    return true;
}

/* The checks on a record's envelope; NULL when it is a wanted event. */
static const char *s_envelope_reason(const struct dn_s3_event_filter *f, const cJSON *rec,
                                     const char **bucket, const char **raw_key)
{
    const char *source = s_str(rec, "eventSource"), *name = s_str(rec, "eventName");
    const cJSON *s3 = cJSON_GetObjectItemCaseSensitive(rec, "s3");
    const cJSON *bkt = cJSON_GetObjectItemCaseSensitive(s3, "bucket");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(s3, "object");
    if (!cJSON_IsObject(rec))
        return "record is not an object";
    if (f->event_source && *f->event_source && (!source || strcmp(source, f->event_source)))
        return "eventSource is not EXPECTED_S3_EVENT_SOURCE";
    if (f->event_prefix && *f->event_prefix &&
        (!name || strncmp(name, f->event_prefix, strlen(f->event_prefix))))
        return "eventName does not start with EXPECTED_S3_EVENT_PREFIX";
    *bucket = s_str(bkt, "name");
    *raw_key = s_str(obj, "key");
    if (!*bucket || !**bucket || !*raw_key)
        return "record has no s3.bucket.name or s3.object.key";
    return NULL;
}

static void s_copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void s_record(struct s_ctx *c, const cJSON *rec, int index)
{
    const char *bucket = NULL, *raw_key = NULL, *why;
    if ((why = s_envelope_reason(c->f, rec, &bucket, &raw_key))) {
        const char *name = cJSON_IsObject(rec) ? s_str(rec, "eventName") : NULL;
        s_skip(c, index, "%s (eventName \"%.64s\")", why, name ? name : "");
        return;
    }
    struct dn_s3_job j = {0};
    int rc = dn_s3_key_decode(raw_key, strlen(raw_key), &j.key);
    if (rc) {
        if (rc == DN_E(DN_ERR_INTERNAL))
            c->oom = true;
        else
            s_skip(c, index, "key \"%.200s\" is not valid form-URL-encoded UTF-8", raw_key);
        return;
    }
    if ((why = s_filter_reason(c->f, bucket, j.key))) {
        s_skip(c, index, "%s: s3://%.63s/%.200s", why, bucket, j.key);
        free(j.key);
        return;
    }
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "s3"), "object");
    j.size_known = s_size(cJSON_GetObjectItemCaseSensitive(obj, "size"), &j.size);
    s_copy_str(j.etag, sizeof(j.etag), s_str(obj, "eTag"));
    s_copy_str(j.sequencer, sizeof(j.sequencer), s_str(obj, "sequencer"));
    s_copy_str(j.event_time, sizeof(j.event_time), s_str(rec, "eventTime"));
    s_copy_str(j.event_name, sizeof(j.event_name), s_str(rec, "eventName"));
    if (!(j.bucket = strdup(bucket))) {
        free(j.key);
        c->oom = true;
        return;
    }
    s_add_job(c, &j);
}

/* {"bucket": ..., "key": ...}: the old service's direct test body. */
static int s_direct(struct s_ctx *c, const char *bucket, const char *key, struct dn_err *err)
{
    const char *why;
    if (!*bucket || !dn_utf8_valid(key, strlen(key)))
        return dn_err_set(err, DN_ERR_BAD_INPUT, "direct body: empty bucket or key not UTF-8");
    if ((why = s_filter_reason(c->f, bucket, key))) {
        s_skip(c, 0, "%s: s3://%.63s/%.200s", why, bucket, key);
        return 0;
    }
    struct dn_s3_job j = {.bucket = strdup(bucket), .key = strdup(key)};
    if (!j.bucket || !j.key) {
        free(j.bucket);
        free(j.key);
        c->oom = true;
        return 0;
    }
    s_add_job(c, &j);
    return 0;
}

static int s_document(struct s_ctx *c, const cJSON *root, int depth, struct dn_err *err);

static int s_parse_text(struct s_ctx *c, const char *body, size_t len, int depth, struct dn_err *err)
{
    cJSON *root = dn_aws_json_parse(body, len);
    if (!root)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "message body is not a JSON document");
    int rc = s_document(c, root, depth, err);
    cJSON_Delete(root);
    return rc;
}

static int s_document(struct s_ctx *c, const cJSON *root, int depth, struct dn_err *err)
{
    if (!cJSON_IsObject(root))
        return dn_err_set(err, DN_ERR_BAD_INPUT, "message body is not a JSON object");
    const cJSON *records = cJSON_GetObjectItemCaseSensitive(root, "Records");
    const char *event = s_str(root, "Event"), *type = s_str(root, "Type");
    const char *message = s_str(root, "Message");
    const char *bucket = s_str(root, "bucket"), *key = s_str(root, "key");
    if (records) {
        c->b->force = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "dancerForce"));
        if (!cJSON_IsArray(records) || cJSON_GetArraySize(records) == 0)
            return dn_err_set(err, DN_ERR_BAD_INPUT, "Records is not a non-empty array");
        int i = 0;
        for (const cJSON *r = records->child; r && !c->oom; r = r->next)
            s_record(c, r, i++);
        return 0;
    }
    if (event && !strcmp(event, "s3:TestEvent")) {
        c->b->test_event = true;
        return 0;
    }
    if (type && !strcmp(type, "Notification") && message && depth == 0)
        return s_parse_text(c, message, strlen(message), depth + 1, err);
    if (bucket && key)
        return s_direct(c, bucket, key, err);
    return dn_err_set(err, DN_ERR_BAD_INPUT,
                      "message body is not an S3 event notification (no Records, Event, or bucket and key)");
}

int dn_s3_event_parse(const char *body, size_t len, const struct dn_s3_event_filter *filter,
                      struct dn_s3_event_batch *out, struct dn_err *err)
{
    struct s_ctx c = {.f = filter, .b = out};
    size_t max = filter->max_body ? filter->max_body : DN_S3_EVENT_MAX_BODY;
    memset(out, 0, sizeof(*out));
    if (len > max)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "message body is %zu bytes, more than the %zu accepted",
                          len, max);
    if (len == 0)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "message body is empty");
    int rc = s_parse_text(&c, body, len, 0, err);
    if (c.oom) {
        dn_s3_event_batch_clean_up(out);
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    }
    if (rc)
        dn_s3_event_batch_clean_up(out);
    return rc;
}

void dn_s3_event_batch_clean_up(struct dn_s3_event_batch *batch)
{
    if (!batch)
        return;
    for (size_t i = 0; i < batch->njobs; i++) {
        free(batch->jobs[i].bucket);
        free(batch->jobs[i].key);
    }
    free(batch->jobs);
    free(batch->skips);
    memset(batch, 0, sizeof(*batch));
}
