/* aws.c — the AWS clients the worker commands share, and the queue URL. */
#include <string.h>

#include "dancer/config.h"
#include "dancer/creds.h"
#include "dancer/http.h"
#include "dancer/s3.h"
#include "dancer/sqs.h"
#include "dancer/worker.h"

int dn_worker_aws_open(const struct dn_config *cfg, struct dn_worker_aws *out,
                       struct dn_err *err)
{
    struct dn_http_options hopt;
    int rc;
    memset(out, 0, sizeof(*out));
    dn_http_options_from_config(cfg, &hopt);
    if ((rc = dn_http_pool_new(&hopt, &out->http, err)) ||
        (rc = dn_creds_provider_new(cfg, &out->creds, err)) ||
        (rc = dn_s3_client_new(cfg, out->creds, out->http, &out->s3, err)) ||
        (rc = dn_sqs_client_new(cfg, out->creds, out->http, &out->sqs, err)))
        dn_worker_aws_close(out);
    return rc;
}

void dn_worker_aws_close(struct dn_worker_aws *c)
{
    if (!c)
        return;
    dn_sqs_client_destroy(c->sqs);
    dn_s3_client_destroy(c->s3);
    dn_creds_provider_destroy(c->creds);
    dn_http_pool_destroy(c->http);
    memset(c, 0, sizeof(*c));
}

int dn_worker_queue_url(const struct dn_config *cfg, struct dn_sqs_client *sqs, char *url,
                        size_t len, struct dn_err *err)
{
    if (cfg->sqs_queue_url[0]) {
        snprintf(url, len, "%s", cfg->sqs_queue_url);
        return 0;
    }
    if (!cfg->sqs_queue_name[0])
        return dn_err_set(err, DN_ERR_CONFIG,
                          "SQS_QUEUE_URL: not set (nor SQS_QUEUE_NAME): set one in the "
                          "environment or --config FILE");
    int rc = dn_sqs_get_queue_url(sqs, cfg->sqs_queue_name, url, len, err);
    if (rc)
        dn_err_prefix(err, "SQS_QUEUE_NAME %s: ", cfg->sqs_queue_name);
    return rc;
}
