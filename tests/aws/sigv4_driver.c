/*
 * sigv4_driver.c — signs requests with dancer's signer for the botocore
 * differential test (tests/aws/sigv4_botocore_diff.py).
 *
 * stdin: one JSON request spec per line
 *   {"id": 7, "method": "GET", "path": "/b/k" | "path_prefix": "/b", "key": "raw key",
 *    "query": "list-type=2&prefix=a%2F", "headers": [["Host", "h"], ...],
 *    "body_hex": "..." | "payload_hash": "UNSIGNED-PAYLOAD",
 *    "region": "eu-west-1", "service": "s3", "time": 1440938160, "s3": true,
 *    "access_key_id": "...", "secret_access_key": "...", "session_token": "..."}
 * With "key", the path is path_prefix + "/" + dn_sigv4_uri_encode(key, keep '/'):
 * the wire path dancer's S3 client sends, compared with botocore's.
 * stdout: one JSON line per request
 *   {"id", "path", "canonical", "string_to_sign", "authorization", "amz_date",
 *    "content_sha256"}  or  {"id", "error"}
 * Exit: 0 when every line was read (per-request failures are reported in
 * the output), 2 on malformed input.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/creds.h"
#include "dancer/sigv4.h"

#define MAX_HEADERS 64

static const char *s_str(const cJSON *o, const char *name, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : def;
}

static int s_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Body from hex (bodies may be binary) into the payload hash. */
static int s_payload_hash(const cJSON *spec, char hash[65])
{
    const char *given = s_str(spec, "payload_hash", NULL);
    if (given) {
        snprintf(hash, 65, "%s", given);
        return 0;
    }
    const char *hex = s_str(spec, "body_hex", "");
    size_t n = strlen(hex) / 2;
    unsigned char *body = malloc(n + 1);
    if (!body)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = s_hexval(hex[2 * i]), lo = s_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(body);
            return -1;
        }
        body[i] = (unsigned char)(hi * 16 + lo);
    }
    dn_sigv4_sha256_hex(body, n, hash);
    free(body);
    return 0;
}

static char *s_wire_path(const cJSON *spec)
{
    const char *key = s_str(spec, "key", NULL);
    if (!key)
        return strdup(s_str(spec, "path", "/"));
    char *enc = dn_sigv4_uri_encode(key, true);
    const char *prefix = s_str(spec, "path_prefix", "");
    size_t len = strlen(prefix) + strlen(enc) + 2;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/%s", prefix, enc);
    free(enc);
    return path;
}

static size_t s_headers(const cJSON *spec, struct dn_sigv4_header *h)
{
    size_t n = 0;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(spec, "headers"))
    {
        const cJSON *name = cJSON_GetArrayItem(pair, 0), *value = cJSON_GetArrayItem(pair, 1);
        if (n < MAX_HEADERS && cJSON_IsString(name) && cJSON_IsString(value))
            h[n++] = (struct dn_sigv4_header){name->valuestring, value->valuestring};
    }
    return n;
}

static void s_fill_creds(const cJSON *spec, struct dn_creds *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", s_str(spec, "access_key_id", ""));
    snprintf(c->secret_access_key, sizeof(c->secret_access_key), "%s",
             s_str(spec, "secret_access_key", ""));
    snprintf(c->session_token, sizeof(c->session_token), "%s", s_str(spec, "session_token", ""));
}

/* Signs one spec and adds the stages to `out`. */
static void s_sign(const cJSON *spec, cJSON *out)
{
    struct dn_sigv4_header headers[MAX_HEADERS];
    struct dn_creds creds;
    struct dn_sigv4_signed sig;
    struct dn_err err = {0};
    char hash[65], *canonical = NULL, *signed_headers = NULL, *sts = NULL;
    char *path = s_wire_path(spec);
    s_fill_creds(spec, &creds);
    struct dn_sigv4_request req = {
        .method = s_str(spec, "method", "GET"), .path = path, .query = s_str(spec, "query", ""),
        .headers = headers, .nheaders = s_headers(spec, headers), .payload_hash = hash,
        .region = s_str(spec, "region", ""), .service = s_str(spec, "service", ""),
        .time = (time_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(spec, "time")),
        .s3_rules = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "s3")),
    };
    if (!path || s_payload_hash(spec, hash)) {
        cJSON_AddStringToObject(out, "error", "bad path or body_hex");
        goto cleanup;
    }
    cJSON_AddStringToObject(out, "path", path);
    if (dn_sigv4_sign(&req, &creds, &sig, &err) ||
        dn_sigv4_canonical_request(&req, sig.amz_date, creds.session_token, &canonical,
                                   &signed_headers, &err)) {
        cJSON_AddStringToObject(out, "error", err.msg);
        goto cleanup;
    }
    sts = dn_sigv4_string_to_sign(canonical, sig.amz_date, req.region, req.service);
    cJSON_AddStringToObject(out, "canonical", canonical);
    cJSON_AddStringToObject(out, "string_to_sign", sts ? sts : "");
    cJSON_AddStringToObject(out, "authorization", sig.authorization);
    cJSON_AddStringToObject(out, "amz_date", sig.amz_date);
    cJSON_AddStringToObject(out, "content_sha256", sig.content_sha256);
cleanup:
    free(path);
    free(canonical);
    free(signed_headers);
    free(sts);
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    int status = 0;
    while (getline(&line, &cap, stdin) > 0) {
        cJSON *spec = cJSON_Parse(line);
        if (!spec) {
            fprintf(stderr, "sigv4_driver: malformed input line\n");
            status = 2;
            break;
        }
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "id", cJSON_Duplicate(cJSON_GetObjectItem(spec, "id"), 1));
        s_sign(spec, out);
        char *text = cJSON_PrintUnformatted(out);
        if (text)
            puts(text);
        free(text);
        cJSON_Delete(out);
        cJSON_Delete(spec);
    }
    free(line);
    return status;
}
