/* creds_container.c — link 3: container credentials (ECS task roles, EKS
 * Pod Identity), per the SDKs' shared behaviour:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
 *   - AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is fetched from the ECS agent
 *     (http://169.254.170.2; DANCER_CONTAINER_CREDENTIALS_ENDPOINT moves it
 *     for tests) and wins over _FULL_URI;
 *   - _FULL_URI over plain http only to loopback or the ECS/EKS agent
 *     addresses, since the Authorization token would cross a network in
 *     clear otherwise (botocore's _ALLOWED_HOSTS rule);
 *   - Authorization: the content of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
 *     re-read at every refresh because EKS rotates it, else
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN; CR/LF in it is refused.
 * Timeouts and attempts as botocore's ContainerMetadataFetcher: 2 s, 3 tries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "creds_links.h"

#define CONTAINER_TIMEOUT_MS 2000
#define CONTAINER_ATTEMPTS 3
#define CONTAINER_RETRY_US 500000

/* Host part of an http(s) URL into host[]; NULL when not http(s). Returns
 * the scheme ("http" or "https"). */
static const char *s_url_host(const char *url, char *host, size_t len)
{
    const char *scheme = !strncasecmp(url, "https://", 8) ? "https"
                         : !strncasecmp(url, "http://", 7) ? "http" : NULL;
    if (!scheme)
        return NULL;
    const char *h = url + strlen(scheme) + 3;
    size_t n = *h == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/?#");
    snprintf(host, len, "%.*s", (int)n, h);
    return scheme;
}

static bool s_host_allowed_plain(const char *host)
{
    static const char *const agents[] = {"localhost", "169.254.170.2", "169.254.170.23",
                                         "[fd00:ec2::23]", "[::1]"};
    if (!strncmp(host, "127.", 4))
        return true;
    for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++)
        if (!strcasecmp(host, agents[i]))
            return true;
    return false;
}

static int s_url(const struct dn_config *cfg, char *url, size_t len, struct dn_err *err)
{
    char host[256];
    if (cfg->aws_container_credentials_relative_uri[0]) {
        const char *base = cfg->container_credentials_endpoint;
        size_t n = strlen(base);
        while (n && base[n - 1] == '/')
            n--;
        snprintf(url, len, "%.*s%s%s", (int)n, base,
                 cfg->aws_container_credentials_relative_uri[0] == '/' ? "" : "/",
                 cfg->aws_container_credentials_relative_uri);
        return 0;
    }
    const char *full = cfg->aws_container_credentials_full_uri;
    const char *scheme = s_url_host(full, host, sizeof(host));
    if (!scheme)
        return dn_err_set(err, DN_ERR_CONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI: not an http(s) URL");
    if (!strcmp(scheme, "http") && !s_host_allowed_plain(host))
        return dn_err_set(err, DN_ERR_CONFIG,
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http only to loopback or the "
                          "ECS/EKS agent (169.254.170.2, 169.254.170.23), not %s; use https",
                          host);
    snprintf(url, len, "%s", full);
    return 0;
}

/* "Authorization: <token>" into hdr, "" when no token is configured. */
static int s_auth_header(const struct dn_config *cfg, char *hdr, size_t len, struct dn_err *err)
{
    char token[4096] = "";
    hdr[0] = '\0';
    if (cfg->aws_container_authorization_token_file[0]) {
        FILE *f = fopen(cfg->aws_container_authorization_token_file, "r");
        if (!f)
            return dn_err_set(err, DN_ERR_CONFIG, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: cannot read %s",
                              cfg->aws_container_authorization_token_file);
        size_t n = fread(token, 1, sizeof(token) - 1, f);
        fclose(f);
        while (n && (token[n - 1] == '\n' || token[n - 1] == '\r'))
            n--; /* a file written with echo ends in a newline; the header must not */
        token[n] = '\0';
    } else {
        snprintf(token, sizeof(token), "%s", cfg->aws_container_authorization_token);
    }
    int rc = 0;
    if (strpbrk(token, "\r\n"))
        rc = dn_err_set(err, DN_ERR_CONFIG, "container authorization token contains a line break");
    else if (token[0])
        snprintf(hdr, len, "Authorization: %s", token);
    memset(token, 0, sizeof(token));
    return rc;
}

/* GET with retries on no answer and 5xx. Returns 0 with a 2xx..4xx answer. */
static int s_get(const char *url, const char *auth, struct dn_creds_http *resp, struct dn_err *err)
{
    const char *headers[] = {auth[0] ? auth : NULL, NULL};
    for (int attempt = 1;; attempt++) {
        int rc = dn_creds_http_request("GET", url, headers, CONTAINER_TIMEOUT_MS,
                                       CONTAINER_TIMEOUT_MS, resp);
        if (!rc && resp->status < 500)
            return 0;
        if (attempt == CONTAINER_ATTEMPTS)
            return rc ? dn_err_set(err, DN_ERR_NETWORK, "container credentials: GET %s: %s", url,
                                   resp->error)
                      : dn_err_set(err, DN_ERR_NETWORK, "container credentials: GET %s: HTTP %ld",
                                   url, resp->status);
        usleep(CONTAINER_RETRY_US);
    }
}

int dn_creds_container_fetch(const struct dn_config *cfg, struct dn_creds *out,
                             struct dn_strbuf *tried, struct dn_err *err)
{
    char url[2 * DN_CFG_URL], auth[4200];
    if (!cfg->aws_container_credentials_relative_uri[0] && !cfg->aws_container_credentials_full_uri[0]) {
        dn_strbuf_adds(tried, "container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI unset)");
        return DN_CREDS_ABSENT;
    }
    struct dn_creds_http *resp = malloc(sizeof(*resp));
    if (!resp)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    int rc = s_url(cfg, url, sizeof(url), err);
    if (!rc)
        rc = s_auth_header(cfg, auth, sizeof(auth), err);
    if (!rc)
        rc = s_get(url, auth, resp, err);
    if (!rc && resp->status != 200)
        rc = dn_err_set(err, DN_ERR_AUTH, "container credentials: GET %s: HTTP %ld%s", url,
                        resp->status,
                        resp->status == 401 || resp->status == 403
                            ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])" : "");
    if (!rc)
        rc = dn_creds_doc_parse(resp->body, "container", out, err);
    memset(auth, 0, sizeof(auth));
    memset(resp, 0, sizeof(*resp));
    free(resp);
    return rc;
}
