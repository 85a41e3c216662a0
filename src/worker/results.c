/* results.c — where a result goes, whether it is current, and writing it
 * (see include/dancer/worker.h, "results"). Shared by the worker loop and
 * `reprocess`, so both decide "already done" the same way. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/config.h"
#include "dancer/s3.h"
#include "dancer/strbuf.h"
#include "dancer/worker.h"
#include "worker_internal.h"

/* Result documents are small; a bigger object under the result key is not
 * one of ours and is read no further than this. */
#define S_RESULT_MAX_BYTES (8u << 20)

void dn_worker_etag_normalize(const char *etag, char *out, size_t len)
{
    size_t n = 0;
    if (!len)
        return;
    for (const char *p = etag ? etag : ""; *p && n + 1 < len; p++)
        if (*p != '"')
            out[n++] = (char)tolower((unsigned char)*p);
    out[n] = '\0';
}

/* Length of `prefix` to strip from `key`, or 0 when key is not under it.
 * "uploads" and "uploads/" both strip "uploads/" (a folder, as the event
 * filter reads S3_PREFIX); "up-" strips "up-" only when it ends the name
 * with a separator the user chose. */
static size_t s_strip_len(const char *prefix, const char *key)
{
    size_t n = strlen(prefix);
    if (!n || strncmp(key, prefix, n))
        return 0;
    if (prefix[n - 1] == '/')
        return n;
    return key[n] == '/' ? n + 1 : 0;
}

int dn_worker_result_location(const struct dn_config *cfg, const char *bucket, const char *key,
                              char *rbucket, size_t rlen, char **rkey, struct dn_err *err)
{
    struct dn_strbuf b;
    const char *rest = key + s_strip_len(cfg->s3_prefix, key);
    const char *slash = strrchr(rest, '/');
    const char *dot = strrchr(slash ? slash + 1 : rest, '.');
    size_t stem = dot && dot != (slash ? slash + 1 : rest) ? (size_t)(dot - rest) : strlen(rest);
    size_t plen = strlen(cfg->results_prefix);

    *rkey = NULL;
    snprintf(rbucket, rlen, "%s", cfg->results_bucket[0] ? cfg->results_bucket : bucket);
    dn_strbuf_init(&b);
    dn_strbuf_adds(&b, cfg->results_prefix);
    if (plen && cfg->results_prefix[plen - 1] != '/')
        dn_strbuf_addc(&b, '/');
    dn_strbuf_add(&b, rest, stem);
    dn_strbuf_adds(&b, ".json");
    *rkey = dn_strbuf_take(&b);
    if (!*rkey)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    if (!strcmp(rbucket, bucket) && !strcmp(*rkey, key)) {
        free(*rkey);
        *rkey = NULL;
        return dn_err_set(err, DN_ERR_CONFIG,
                          "s3://%s/%s: its result key is the upload itself; set RESULTS_PREFIX "
                          "or RESULTS_BUCKET", bucket, key);
    }
    return 0;
}

/* source.etag of a result document already fetched; "" when absent. */
static void s_doc_etag(const char *json, size_t len, char *out, size_t olen)
{
    cJSON *doc = cJSON_ParseWithLength(json, len);
    dn_worker_etag_normalize(dn_worker_doc_etag(doc, ""), out, olen);
    cJSON_Delete(doc);
}

int dn_worker_result_state(struct dn_s3_client *s3, const char *rbucket, const char *rkey,
                           const char *source_etag, enum dn_result_state *state,
                           struct dn_err *err)
{
    struct dn_s3_object_info info = {0};
    char want[DN_S3_ETAG_MAX], have[DN_S3_ETAG_MAX] = "";
    char *data = NULL;
    size_t len = 0;
    int rc;

    *state = DN_RESULT_ABSENT;
    dn_worker_etag_normalize(source_etag, want, sizeof(want));
    rc = dn_s3_head_object(s3, rbucket, rkey, NULL, &info, err);
    if (rc == DN_E(DN_ERR_NOT_FOUND)) { /* the expected state of a new upload */
        rc = 0;
        goto cleanup;
    }
    if (rc)
        goto cleanup;
    const char *meta = dn_s3_object_info_meta(&info, "source-etag");
    if (meta) {
        dn_worker_etag_normalize(meta, have, sizeof(have));
    } else {
        /* Written by something other than dn_worker_result_put (an
         * `analyze -o` copied up by hand): the document itself says. */
        rc = dn_s3_get_object(s3, rbucket, rkey, S_RESULT_MAX_BYTES, &data, &len, err);
        if (rc == DN_E(DN_ERR_NOT_FOUND) || rc == DN_E(DN_ERR_UNSUPPORTED)) {
            rc = 0; /* deleted since, or not a result: treat as stale */
            dn_err_clear(err);
        } else if (rc) {
            goto cleanup;
        } else {
            s_doc_etag(data, len, have, sizeof(have));
        }
    }
    *state = want[0] && !strcmp(want, have) ? DN_RESULT_CURRENT : DN_RESULT_STALE;
cleanup:
    free(data);
    dn_s3_object_info_clean_up(&info);
    if (!rc)
        dn_err_clear(err);
    return rc;
}

int dn_worker_result_put(struct dn_s3_client *s3, const char *rbucket, const char *rkey,
                         const struct cJSON *doc, const char *source_etag, struct dn_err *err)
{
    char etag[DN_S3_ETAG_MAX];
    char *json = cJSON_PrintUnformatted(doc);
    if (!json)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory printing the result");
    dn_worker_etag_normalize(source_etag, etag, sizeof(etag));
    struct dn_http_header meta[] = {{"source-etag", etag}};
    struct dn_s3_put_opts opts = {
        .content_type = "application/json",
        .meta = meta,
        .nmeta = etag[0] ? 1 : 0,
    };
    int rc = dn_s3_put_object(s3, rbucket, rkey, json, strlen(json), &opts, NULL, err);
    if (rc)
        dn_err_prefix(err, "writing result s3://%s/%s: ", rbucket, rkey);
    free(json);
    return rc;
}
