/* creds_http.c — the small HTTP requests of the container and instance
 * metadata links, and the credentials document they both serve (see
 * creds_links.h). libcurl directly: these requests want their own short
 * timeouts and no retry policy of the general client (src/aws/http.c), and
 * that client needs credentials to exist first. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds_links.h"

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;

static void s_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t s_on_body(char *data, size_t size, size_t n, void *user_data)
{
    struct dn_creds_http *resp = user_data;
    size_t len = size * n;
    if (resp->len + len >= sizeof(resp->body))
        return 0; /* larger than any credentials document: abort the transfer */
    memcpy(resp->body + resp->len, data, len);
    resp->len += len;
    resp->body[resp->len] = '\0';
    return len;
}

static void s_setup(CURL *h, const char *method, const char *url, struct curl_slist *hdrs,
                    long connect_ms, long total_ms, struct dn_creds_http *resp)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "PUT")) { /* an empty body, not libcurl's default read from stdin */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never via a proxy: see creds_links.h */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM: we are threaded */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "dancer");
}

int dn_creds_http_request(const char *method, const char *url, const char *const *headers,
                          long connect_ms, long total_ms, struct dn_creds_http *resp)
{
    struct curl_slist *hdrs = NULL;
    int rc = -1;
    memset(resp, 0, sizeof(*resp));
    pthread_once(&s_curl_once, s_curl_init);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(resp->error, sizeof(resp->error), "out of memory");
        return -1;
    }
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *next = curl_slist_append(hdrs, headers[i]);
        if (!next) {
            snprintf(resp->error, sizeof(resp->error), "out of memory");
            goto cleanup;
        }
        hdrs = next;
    }
    s_setup(h, method, url, hdrs, connect_ms, total_ms, resp);
    CURLcode cc = curl_easy_perform(h);
    curl_off_t connect_us = 0;
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
    resp->connected = connect_us > 0;
    resp->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
    if (cc != CURLE_OK) {
        snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(cc));
        goto cleanup;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    rc = 0;
cleanup:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

int dn_creds_time_parse(const char *iso, time_t *out)
{
    struct tm tm = {0};
    int n = 0, oh = 0, om = 0;
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
        return -1;
    const char *p = iso + n;
    if (*p == '.')
        p += 1 + strspn(p + 1, "0123456789");
    int sign;
    if (!strcmp(p, "Z"))
        sign = 0;
    else if ((*p == '+' || *p == '-') && strlen(p) == 6 && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
        sign = *p == '+' ? 1 : -1;
    else
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm) - sign * (oh * 3600 + om * 60);
    return 0;
}

/* Copies string member `name` into dst; false when absent or too long. */
static bool s_member(const cJSON *doc, const char *name, char *dst, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
        return false;
    memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
    return true;
}

int dn_creds_doc_parse(const char *json, const char *source, struct dn_creds *out,
                       struct dn_err *err)
{
    char code[64] = "", expiration[64] = "";
    int rc = 0;
    memset(out, 0, sizeof(*out));
    cJSON *doc = cJSON_Parse(json);
    if (!cJSON_IsObject(doc)) {
        rc = dn_err_set(err, DN_ERR_AUTH, "%s: credentials document is not a JSON object", source);
        goto cleanup;
    }
    if (s_member(doc, "Code", code, sizeof(code)) && strcmp(code, "Success")) {
        rc = dn_err_set(err, DN_ERR_AUTH, "%s: credentials not available (Code %s)", source, code);
        goto cleanup;
    }
    if (!s_member(doc, "AccessKeyId", out->access_key_id, sizeof(out->access_key_id)) ||
        !s_member(doc, "SecretAccessKey", out->secret_access_key, sizeof(out->secret_access_key))) {
        rc = dn_err_set(err, DN_ERR_AUTH, "%s: credentials document lacks AccessKeyId or "
                        "SecretAccessKey (or they are too long)", source);
        goto cleanup;
    }
    if (cJSON_GetObjectItemCaseSensitive(doc, "Token") &&
        !s_member(doc, "Token", out->session_token, sizeof(out->session_token))) {
        rc = dn_err_set(err, DN_ERR_AUTH, "%s: Token is not a string of at most %zu bytes", source,
                        sizeof(out->session_token) - 1);
        goto cleanup;
    }
    if (s_member(doc, "Expiration", expiration, sizeof(expiration)) &&
        dn_creds_time_parse(expiration, &out->expiration)) {
        rc = dn_err_set(err, DN_ERR_AUTH, "%s: Expiration \"%s\" is not an ISO 8601 time", source,
                        expiration);
        goto cleanup;
    }
    snprintf(out->source, sizeof(out->source), "%s", source);
cleanup:
    if (rc)
        memset(out, 0, sizeof(*out));
    cJSON_Delete(doc);
    return rc;
}
