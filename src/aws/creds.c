/* creds.c — the credentials provider chain (see include/dancer/creds.h).
 * First cut: the environment link only; shared files, container and IMDSv2
 * links follow. */
#include "dancer/creds.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dn_creds_provider {
    struct dn_config cfg;
    pthread_mutex_t lock;
};

int dn_creds_provider_new(const struct dn_config *cfg, struct dn_creds_provider **out,
                          struct dn_err *err)
{
    struct dn_creds_provider *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (!p)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    p->cfg = *cfg;
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return 0;
}

static bool s_from_environment(const struct dn_config *cfg, struct dn_creds *out)
{
    if (!cfg->aws_access_key_id[0] || !cfg->aws_secret_access_key[0])
        return false;
    memset(out, 0, sizeof(*out));
    snprintf(out->access_key_id, sizeof(out->access_key_id), "%s", cfg->aws_access_key_id);
    snprintf(out->secret_access_key, sizeof(out->secret_access_key), "%s", cfg->aws_secret_access_key);
    snprintf(out->session_token, sizeof(out->session_token), "%s", cfg->aws_session_token);
    snprintf(out->source, sizeof(out->source), "environment");
    return true;
}

int dn_creds_provider_get(struct dn_creds_provider *p, struct dn_creds *out, struct dn_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    if (!s_from_environment(&p->cfg, out))
        rc = dn_err_set(err, DN_ERR_AUTH,
                        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void dn_creds_provider_destroy(struct dn_creds_provider *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->lock);
    free(p);
}
