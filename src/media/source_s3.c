/* source_s3.c — the S3 byte source: HeadObject for size and ETag, then
 * ranged GETs with If-Match on that ETag, so an upload replaced while it is
 * read fails with DN_ERR_CONFLICT instead of decoding as a splice of two
 * videos, and a deleted one with DN_ERR_NOT_FOUND (the client maps 412 and
 * 404). Also the "local path or s3:// URL" front door. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/media.h"
#include "dancer/s3.h"

struct s_s3 {
    struct dn_s3_client *client; /* borrowed */
    char *bucket, *key;
    char etag[DN_S3_ETAG_MAX];   /* "" until stat: reads before it are unconditional */
};

static int s_s3_stat(void *ctx, struct dn_source_info *info, struct dn_err *err)
{
    struct s_s3 *s = ctx;
    struct dn_s3_object_info oi;
    int rc = dn_s3_head_object(s->client, s->bucket, s->key, NULL, &oi, err);
    if (!rc) {
        info->size = oi.size;
        snprintf(info->etag, sizeof(info->etag), "%s", oi.etag);
        snprintf(info->content_type, sizeof(info->content_type), "%s", oi.content_type);
        snprintf(s->etag, sizeof(s->etag), "%s", oi.etag);
    }
    dn_s3_object_info_clean_up(&oi);
    return rc;
}

static int s_s3_read_at(void *ctx, uint64_t offset, void *buf, size_t len, size_t *got,
                        struct dn_err *err)
{
    struct s_s3 *s = ctx;
    struct dn_s3_range range = {0};
    int rc = dn_s3_get_range(s->client, s->bucket, s->key, offset, buf, len,
                             s->etag[0] ? s->etag : NULL, &range, err);
    *got = rc ? 0 : (size_t)range.got;
    return rc;
}

static void s_s3_destroy(void *ctx)
{
    struct s_s3 *s = ctx;
    free(s->bucket);
    free(s->key);
    free(s);
}

static const struct dn_byte_source_ops s_s3_ops = {
    .stat = s_s3_stat,
    .read_at = s_s3_read_at,
    .destroy = s_s3_destroy,
    .concurrent_reads = true, /* the client is thread-safe (s3.h) */
};

int dn_byte_source_s3_new(struct dn_s3_client *client, const char *bucket, const char *key,
                          struct dn_byte_source **out, struct dn_err *err)
{
    char name[1200];
    *out = NULL;
    struct s_s3 *s = calloc(1, sizeof(*s));
    if (s) {
        s->client = client;
        s->bucket = strdup(bucket);
        s->key = strdup(key);
    }
    if (!s || !s->bucket || !s->key) {
        if (s)
            s_s3_destroy(s);
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    }
    snprintf(name, sizeof(name), "s3://%s/%s", bucket, key);
    return dn_byte_source_new(&s_s3_ops, s, name, out, err);
}

int dn_byte_source_open(const char *input, struct dn_s3_client *s3, struct dn_byte_source **out,
                        struct dn_err *err)
{
    *out = NULL;
    if (strncmp(input, "s3://", 5))
        return dn_byte_source_file_new(input, out, err);
    char bucket[256];
    const char *key;
    if (!dn_s3_url_split(input, bucket, sizeof(bucket), &key) || !key[0])
        return dn_err_set(err, DN_ERR_USAGE, "%s: expected s3://BUCKET/KEY (a bucket name of at most "
                          "%zu characters)", input, sizeof(bucket) - 1);
    if (!s3)
        return dn_err_set(err, DN_ERR_CONFIG, "%s: S3 input without an S3 client", input);
    return dn_byte_source_s3_new(s3, bucket, key, out, err);
}
