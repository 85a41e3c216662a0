/* endpoint.c — region and endpoint resolution (see include/dancer/endpoint.h). */
#include "dancer/endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/config.h"
#include "dancer/creds.h"
#include "dancer/sigv4.h"
#include "dancer/strbuf.h"

int dn_endpoint_region(const struct dn_config *cfg, enum dn_aws_service svc, char *out,
                       size_t len, struct dn_err *err)
{
    /* SQS first: its own setting, then the region a queue URL names (a
     * queue lives in exactly one region, whatever AWS_REGION says). */
    if (svc == DN_AWS_SQS && cfg->sqs_region[0]) {
        snprintf(out, len, "%s", cfg->sqs_region);
        return 0;
    }
    if (svc == DN_AWS_SQS && dn_endpoint_sqs_url_region(cfg->sqs_queue_url, out, len))
        return 0;
    /* AWS_REGION, AWS_DEFAULT_REGION, the profile's region: the CLI's order. */
    int rc = dn_aws_region(cfg, out, len, err);
    if (rc || out[0])
        return rc;
    /* A local S3/SQS server ignores the region but SigV4 needs one. */
    const char *svc_url = svc == DN_AWS_SQS ? cfg->aws_endpoint_url_sqs : cfg->aws_endpoint_url_s3;
    if (svc_url[0] || cfg->aws_endpoint_url[0]) {
        snprintf(out, len, "us-east-1");
        return 0;
    }
    return dn_err_set(err, DN_ERR_CONFIG, "no AWS region for %s: set %sAWS_REGION (or a profile region)",
                      svc == DN_AWS_SQS ? "SQS" : "S3", svc == DN_AWS_SQS ? "SQS_REGION or " : "");
}

int dn_endpoint_parse(const char *url, const char *what, struct dn_endpoint *out,
                      struct dn_err *err)
{
    memset(out, 0, sizeof(*out));
    out->custom = true;
    const char *p;
    int default_port;
    if (!strncasecmp(url, "https://", 8)) {
        snprintf(out->scheme, sizeof(out->scheme), "https");
        p = url + 8;
        default_port = 443;
    } else if (!strncasecmp(url, "http://", 7)) {
        snprintf(out->scheme, sizeof(out->scheme), "http");
        p = url + 7;
        default_port = 80;
    } else {
        return dn_err_set(err, DN_ERR_CONFIG, "%s: \"%s\" is not an http(s):// URL", what, url);
    }
    size_t hlen = strcspn(p, "/?#");
    if (hlen == 0 || hlen >= sizeof(out->host) || memchr(p, '@', hlen))
        return dn_err_set(err, DN_ERR_CONFIG, "%s: \"%s\" has no usable host", what, url);
    memcpy(out->host, p, hlen);
    /* Drop an explicit default port: curl omits it from Host, and the
     * signature covers Host. */
    char *colon = strrchr(out->host, ':');
    if (colon && !strchr(colon, ']') && atoi(colon + 1) == default_port)
        *colon = '\0';
    for (char *h = out->host; *h; h++)
        *h = (char)tolower((unsigned char)*h);
    const char *path = p + hlen;
    size_t plen = *path == '/' ? strcspn(path, "?#") : 0;
    while (plen && path[plen - 1] == '/')
        plen--;
    if (plen >= sizeof(out->base_path))
        return dn_err_set(err, DN_ERR_CONFIG, "%s: path too long", what);
    memcpy(out->base_path, path, plen);
    return 0;
}

static bool s_china(const char *region)
{
    return !strncmp(region, "cn-", 3);
}

int dn_endpoint_resolve(const struct dn_config *cfg, enum dn_aws_service svc, const char *region,
                        struct dn_endpoint *out, struct dn_err *err)
{
    const char *svc_url = svc == DN_AWS_SQS ? cfg->aws_endpoint_url_sqs : cfg->aws_endpoint_url_s3;
    if (svc_url[0])
        return dn_endpoint_parse(svc_url, svc == DN_AWS_SQS ? "AWS_ENDPOINT_URL_SQS" : "AWS_ENDPOINT_URL_S3",
                                 out, err);
    if (cfg->aws_endpoint_url[0])
        return dn_endpoint_parse(cfg->aws_endpoint_url, "AWS_ENDPOINT_URL", out, err);
    if (svc == DN_AWS_SQS && cfg->sqs_queue_url[0]) {
        int rc = dn_endpoint_parse(cfg->sqs_queue_url, "SQS_QUEUE_URL", out, err);
        out->base_path[0] = '\0'; /* the path is the queue's, not the endpoint's */
        return rc;
    }
    memset(out, 0, sizeof(*out));
    snprintf(out->scheme, sizeof(out->scheme), "https");
    snprintf(out->host, sizeof(out->host), "%s.%s.amazonaws.com%s", svc == DN_AWS_SQS ? "sqs" : "s3",
             region, s_china(region) ? ".cn" : "");
    return 0;
}

/* Copies the label before `suffix` ending at `end` of host into out. */
static bool s_label_before(const char *host, size_t hlen, const char *suffix, const char *prefix,
                           char *out, size_t len)
{
    size_t slen = strlen(suffix), plen = strlen(prefix);
    if (hlen <= slen + plen || strncasecmp(host + hlen - slen, suffix, slen) ||
        strncasecmp(host, prefix, plen))
        return false;
    size_t rlen = hlen - slen - plen;
    if (rlen == 0 || rlen >= len || memchr(host + plen, '.', rlen))
        return false;
    memcpy(out, host + plen, rlen);
    out[rlen] = '\0';
    return true;
}

bool dn_endpoint_sqs_url_region(const char *queue_url, char *out, size_t len)
{
    const char *p = strstr(queue_url, "://");
    if (!p)
        return false;
    p += 3;
    size_t hlen = strcspn(p, "/:?#");
    static const char *const suffixes[] = {".amazonaws.com", ".amazonaws.com.cn"};
    for (size_t i = 0; i < 2; i++) {
        /* sqs.<region>.amazonaws.com (current) or <region>.queue.amazonaws.com (legacy). */
        char sfx[64];
        if (s_label_before(p, hlen, suffixes[i], "sqs.", out, len))
            return true;
        snprintf(sfx, sizeof(sfx), ".queue%s", suffixes[i]);
        if (s_label_before(p, hlen, sfx, "", out, len))
            return true;
    }
    return false;
}

bool dn_endpoint_s3_virtual_ok(const char *bucket)
{
    size_t n = strlen(bucket);
    if (n < 3 || n > 63 || !isalnum((unsigned char)bucket[0]) || !isalnum((unsigned char)bucket[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bucket[i];
        if (!(islower(c) || isdigit(c) || c == '-'))
            return false;
    }
    return true;
}

static bool s_use_virtual(const struct dn_endpoint *ep, int addressing, const char *bucket)
{
    switch (addressing) {
    case DN_ADDRESSING_PATH:
        return false;
    case DN_ADDRESSING_VIRTUAL: {
        /* Dots are allowed when asked for (plain-http servers cope); names
         * that can never be DNS labels fall back to path style. */
        size_t n = strlen(bucket);
        for (size_t i = 0; i < n; i++)
            if (!(islower((unsigned char)bucket[i]) || isdigit((unsigned char)bucket[i]) ||
                  bucket[i] == '-' || bucket[i] == '.'))
                return false;
        return n >= 3 && n <= 63;
    }
    default:
        return !ep->custom && dn_endpoint_s3_virtual_ok(bucket);
    }
}

int dn_endpoint_s3_target(const struct dn_endpoint *ep, int addressing, const char *bucket,
                          const char *key, char **url, char **host, char **path,
                          struct dn_err *err)
{
    struct dn_strbuf h, p, u;
    dn_strbuf_init(&h);
    dn_strbuf_init(&p);
    dn_strbuf_init(&u);
    *url = *host = *path = NULL;
    char *ekey = key ? dn_sigv4_uri_encode(key, true) : NULL;
    char *ebucket = dn_sigv4_uri_encode(bucket, false);
    bool virt = s_use_virtual(ep, addressing, bucket);
    if (virt)
        dn_strbuf_addf(&h, "%s.%s", bucket, ep->host);
    else
        dn_strbuf_adds(&h, ep->host);
    dn_strbuf_adds(&p, ep->base_path);
    if (!virt)
        dn_strbuf_addf(&p, "/%s", ebucket ? ebucket : "");
    if (key)
        dn_strbuf_addf(&p, "/%s", ekey ? ekey : "");
    else if (virt)
        dn_strbuf_addc(&p, '/');
    dn_strbuf_addf(&u, "%s://%s%s", ep->scheme, dn_strbuf_str(&h), dn_strbuf_str(&p));
    bool oom = (key && !ekey) || !ebucket;
    free(ekey);
    free(ebucket);
    *url = dn_strbuf_take(&u);
    *host = dn_strbuf_take(&h);
    *path = dn_strbuf_take(&p);
    if (oom || !*url || !*host || !*path) {
        free(*url);
        free(*host);
        free(*path);
        *url = *host = *path = NULL;
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    }
    return 0;
}
