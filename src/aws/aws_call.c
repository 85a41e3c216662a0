/* aws_call.c — SigV4-signed requests with per-attempt signing (see aws_call.h). */
#include "aws_call.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/creds.h"
#include "dancer/sigv4.h"

/* Per-request signing state; the prepare hook refills it every attempt. */
struct s_signer {
    const struct dn_aws_call *call;
    struct dn_creds_provider *provider;
    const struct dn_sigv4_header *sign_headers;
    size_t nsign;
    char payload_hash[65];
    struct dn_creds creds;
    struct dn_sigv4_signed sig;
};

static int s_prepare(void *user, struct dn_http_header *out, size_t max, size_t *n,
                     struct dn_err *err)
{
    struct s_signer *s = user;
    const struct dn_aws_call *call = s->call;
    int rc = dn_creds_provider_get(s->provider, &s->creds, err);
    if (rc)
        return rc;
    struct dn_sigv4_request req = {
        .method = call->method, .path = call->path, .query = call->query,
        .headers = s->sign_headers, .nheaders = s->nsign, .payload_hash = s->payload_hash,
        .region = call->region, .service = call->service, .time = time(NULL), .s3_rules = call->s3,
    };
    if ((rc = dn_sigv4_sign(&req, &s->creds, &s->sig, err)))
        return rc;
    size_t k = 0;
    if (max < 4)
        return dn_err_set(err, DN_ERR_INTERNAL, "aws_call: header room");
    out[k++] = (struct dn_http_header){"X-Amz-Date", s->sig.amz_date};
    if (call->s3)
        out[k++] = (struct dn_http_header){"x-amz-content-sha256", s->sig.content_sha256};
    if (s->creds.session_token[0])
        out[k++] = (struct dn_http_header){"X-Amz-Security-Token", s->creds.session_token};
    out[k++] = (struct dn_http_header){"Authorization", s->sig.authorization};
    *n = k;
    return 0;
}

static bool s_expired(const struct dn_http_response *resp)
{
    static const char *const codes[] = {"ExpiredToken", "ExpiredTokenException", "RequestExpired",
                                        "InvalidClientTokenId", "InvalidToken", "TokenRefreshRequired"};
    const char *code = dn_http_error_code_base(resp->error_code);
    if (resp->status != 400 && resp->status != 403)
        return false;
    for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++)
        if (!strcmp(code, codes[i]))
            return true;
    return false;
}

int dn_aws_call_send(struct dn_http_pool *http, struct dn_creds_provider *creds,
                     const struct dn_aws_call *call, struct dn_http_response *resp,
                     struct dn_err *err)
{
    size_t n = call->nheaders + 2;
    struct dn_sigv4_header *sign = calloc(n, sizeof(*sign));
    struct dn_http_header *send = calloc(n, sizeof(*send));
    struct s_signer *signer = calloc(1, sizeof(*signer));
    char *url = NULL;
    int rc;
    if (!sign || !send || !signer) {
        rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
        goto cleanup;
    }
    size_t ns = 0, nh = 0;
    sign[ns++] = (struct dn_sigv4_header){"host", call->host};
    send[nh++] = (struct dn_http_header){"Host", call->host};
    if (call->body)
        sign[ns++] = (struct dn_sigv4_header){"content-type", call->content_type};
    for (size_t i = 0; i < call->nheaders; i++) {
        sign[ns++] = (struct dn_sigv4_header){call->headers[i].name, call->headers[i].value};
        send[nh++] = call->headers[i];
    }
    size_t qlen = call->query ? strlen(call->query) : 0;
    size_t ulen = strlen(call->url) + qlen + 2;
    if (!(url = malloc(ulen))) {
        rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
        goto cleanup;
    }
    snprintf(url, ulen, "%s%s%s", call->url, qlen ? "?" : "", qlen ? call->query : "");
    signer->call = call;
    signer->provider = creds;
    signer->sign_headers = sign;
    signer->nsign = ns;
    dn_sigv4_sha256_hex(call->body ? call->body : "", call->body ? call->body_len : 0,
                        signer->payload_hash);
    struct dn_http_request req = {
        .method = call->method, .url = url, .headers = send, .nheaders = nh,
        .body = call->body, .body_len = call->body_len, .content_type = call->content_type,
        .extra_timeout_ms = call->extra_timeout_ms, .max_body = call->max_body,
        .on_body = call->on_body, .body_user = call->body_user,
        .prepare = s_prepare, .prepare_user = signer,
        .error_code = call->error_code, .cancel = call->cancel,
    };
    rc = dn_http_send(http, &req, resp, err);
    /* Temporary credentials can expire between the provider's refresh and
     * the request: drop the cached ones and sign once more with fresh ones. */
    if (!rc && s_expired(resp)) {
        dn_creds_provider_invalidate(creds);
        rc = dn_http_send(http, &req, resp, err);
    }
cleanup:
    if (signer) /* the credentials and signature must not linger in freed memory */
        OPENSSL_cleanse(signer, sizeof(*signer));
    free(signer);
    free(sign);
    free(send);
    free(url);
    return rc;
}

int dn_aws_call_fail(const struct dn_http_response *resp, enum dn_err_class cls, const char *what,
                     const char *code, const char *message, struct dn_err *err)
{
    const char *rid = dn_http_response_header(resp, "x-amz-request-id");
    if (!rid)
        rid = dn_http_response_header(resp, "x-amzn-RequestId");
    if (cls == DN_ERR_NONE)
        cls = dn_http_status_class(resp->status, code);
    return dn_err_set(err, cls, "%s: HTTP %ld%s%s%s%s%s%s%s", what, resp->status,
                      code && *code ? " " : "", code ? code : "",
                      message && *message ? ": " : "", message ? message : "",
                      rid ? " (request id " : "", rid ? rid : "", rid ? ")" : "");
}
