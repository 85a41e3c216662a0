/* creds_imds.c — link 4: the EC2 instance role, from the instance metadata
 * service, version 2.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
 *   1. PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds
 *   2. GET /latest/meta-data/iam/security-credentials/        -> role name
 *   3. GET /latest/meta-data/iam/security-credentials/<role>  -> document
 * (2 and 3 carry X-aws-ec2-metadata-token). Like botocore's IMDSFetcher: a
 * 1 s connect timeout and one try for the token, so a machine that is not
 * on EC2 moves on at once; a service that answers the PUT with 403/404/405
 * or lets it time out (the classic cause: a container behind a bridge with
 * the instance's hop limit at 1) is asked without a token (IMDSv1), which
 * fails with 401 where the instance requires v2 — the message then names
 * the hop limit. A fresh token per refresh: refreshes are hours apart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds_links.h"

#define IMDS_CONNECT_MS 1000
#define IMDS_TOTAL_MS 2000
#define IMDS_TOKEN_TTL "21600"
#define IMDS_GET_ATTEMPTS 2
#define IMDS_CREDS_PATH "/latest/meta-data/iam/security-credentials/"

struct s_imds {
    char base[DN_CFG_URL];
    char token_header[256]; /* "X-aws-ec2-metadata-token: ...", "" for IMDSv1 */
    struct dn_creds_http resp;
};

/* The token, or "" to go on without one. Returns DN_CREDS_ABSENT when
 * nothing listens at the endpoint. */
static int s_token(struct s_imds *m, struct dn_strbuf *tried)
{
    char url[DN_CFG_URL + 32];
    const char *headers[] = {"X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL, NULL};
    snprintf(url, sizeof(url), "%s/latest/api/token", m->base);
    int rc = dn_creds_http_request("PUT", url, headers, IMDS_CONNECT_MS, IMDS_TOTAL_MS, &m->resp);
    if (rc && !m->resp.connected) {
        dn_strbuf_addf(tried, "instance metadata (no answer from %s: %s)", m->base, m->resp.error);
        return DN_CREDS_ABSENT;
    }
    m->token_header[0] = '\0';
    if (!rc && m->resp.status == 200 && m->resp.len && m->resp.len < 200 &&
        !strpbrk(m->resp.body, "\r\n"))
        snprintf(m->token_header, sizeof(m->token_header), "X-aws-ec2-metadata-token: %.200s",
                 m->resp.body);
    return 0;
}

/* GET base+path, retried once on no answer or 5xx. Returns 0 with any
 * answer below 500, else DN_ERR_NETWORK. */
static int s_get(struct s_imds *m, const char *path, struct dn_err *err)
{
    char url[DN_CFG_URL + 300];
    const char *headers[] = {m->token_header[0] ? m->token_header : NULL, NULL};
    snprintf(url, sizeof(url), "%s%s", m->base, path);
    for (int attempt = 1;; attempt++) {
        int rc = dn_creds_http_request("GET", url, headers, IMDS_CONNECT_MS, IMDS_TOTAL_MS, &m->resp);
        if (!rc && m->resp.status < 500)
            return 0;
        if (attempt == IMDS_GET_ATTEMPTS)
            return rc ? dn_err_set(err, DN_ERR_NETWORK, "instance metadata: GET %s: %s", url,
                                   m->resp.error)
                      : dn_err_set(err, DN_ERR_NETWORK, "instance metadata: GET %s: HTTP %ld", url,
                                   m->resp.status);
        usleep(100000);
    }
}

/* Step 2: the role name, first line of the listing. */
static int s_role(struct s_imds *m, char *role, size_t len, struct dn_strbuf *tried,
                  struct dn_err *err)
{
    int rc = s_get(m, IMDS_CREDS_PATH, err);
    if (rc)
        return rc;
    if (m->resp.status == 404) {
        dn_strbuf_addf(tried, "instance metadata (%s: the instance has no IAM role)", m->base);
        return DN_CREDS_ABSENT;
    }
    if (m->resp.status == 401 && !m->token_header[0]) {
        dn_strbuf_addf(tried, "instance metadata (%s: no IMDSv2 token and IMDSv1 refused; in a "
                       "container, set the instance's metadata hop limit to 2)", m->base);
        return DN_CREDS_ABSENT;
    }
    size_t n = strcspn(m->resp.body, "\r\n");
    if (m->resp.status != 200 || !n || n >= len || strchr(m->resp.body, '/'))
        return dn_err_set(err, DN_ERR_AUTH, "instance metadata: %s answered HTTP %ld with no role name",
                          IMDS_CREDS_PATH, m->resp.status);
    snprintf(role, len, "%.*s", (int)n, m->resp.body);
    return 0;
}

int dn_creds_imds_fetch(const struct dn_config *cfg, struct dn_creds *out,
                        struct dn_strbuf *tried, struct dn_err *err)
{
    char role[128], path[300];
    if (cfg->aws_ec2_metadata_disabled) {
        dn_strbuf_adds(tried, "instance metadata (AWS_EC2_METADATA_DISABLED)");
        return DN_CREDS_ABSENT;
    }
    struct s_imds *m = calloc(1, sizeof(*m));
    if (!m)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    size_t n = strlen(cfg->aws_ec2_metadata_service_endpoint);
    while (n && cfg->aws_ec2_metadata_service_endpoint[n - 1] == '/')
        n--;
    snprintf(m->base, sizeof(m->base), "%.*s", (int)n, cfg->aws_ec2_metadata_service_endpoint);
    int rc = s_token(m, tried);
    if (!rc)
        rc = s_role(m, role, sizeof(role), tried, err);
    if (!rc) {
        snprintf(path, sizeof(path), IMDS_CREDS_PATH "%s", role);
        rc = s_get(m, path, err);
    }
    if (!rc && m->resp.status != 200)
        rc = dn_err_set(err, DN_ERR_AUTH, "instance metadata: credentials of role %s: HTTP %ld",
                        role, m->resp.status);
    if (!rc)
        rc = dn_creds_doc_parse(m->resp.body, "imds", out, err);
    memset(m, 0, sizeof(*m));
    free(m);
    return rc;
}
