/* aws_env.c — client-test setup against moto or the scripted server (see aws_env.h). */
#include "aws_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

/* Applies NAME, VALUE pairs (NULL-terminated) as flags. */
static bool s_apply(struct dn_aws_env *e, const char *const *pairs)
{
    for (; pairs && *pairs; pairs += 2)
        if (dn_config_set(&e->cfg, pairs[0], pairs[1], DN_CFG_FLAG, &e->err))
            return false;
    return true;
}

bool dn_aws_env_open_with(struct dn_aws_env *e, const char *const *settings)
{
    /* No developer's ~/.aws files, ever. */
    static const char *const base[] = {
        "AWS_ACCESS_KEY_ID", "testing", "AWS_SECRET_ACCESS_KEY", "testing",
        "AWS_CONFIG_FILE", "/nonexistent/dancer-test/config",
        "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/dancer-test/credentials", NULL,
    };
    struct dn_http_options opt;
    memset(e, 0, sizeof(*e));
    dn_config_init(&e->cfg);
    if (!s_apply(e, base) || !s_apply(e, settings))
        return false;
    dn_http_options_from_config(&e->cfg, &opt);
    return !dn_http_pool_new(&opt, &e->pool, &e->err) &&
           !dn_creds_provider_new(&e->cfg, &e->creds, &e->err) &&
           !dn_s3_client_new(&e->cfg, e->creds, e->pool, &e->s3, &e->err) &&
           !dn_sqs_client_new(&e->cfg, e->creds, e->pool, &e->sqs, &e->err);
}

bool dn_aws_env_open(struct dn_aws_env *e)
{
    const char *endpoint = dn_test_moto_endpoint();
    memset(e, 0, sizeof(*e));
    if (!endpoint)
        return false;
    const char *const settings[] = {"AWS_ENDPOINT_URL", endpoint, "AWS_REGION", "us-east-1", NULL};
    bool ok = dn_aws_env_open_with(e, settings);
    e->endpoint = endpoint;
    return ok;
}

void dn_aws_env_close(struct dn_aws_env *e)
{
    dn_sqs_client_destroy(e->sqs);
    dn_s3_client_destroy(e->s3);
    dn_creds_provider_destroy(e->creds);
    dn_http_pool_destroy(e->pool);
    memset(e, 0, sizeof(*e));
}

int dn_aws_env_fill(struct dn_aws_env *e, const char *args)
{
    char cmd[4096];
    const char *python = getenv("DN_TEST_PYTHON");
    snprintf(cmd, sizeof(cmd), "'%s' '%s/moto_fill.py' '%s' %s", python ? python : "python3",
             DN_AWS_TESTS_DIR, e->endpoint, args);
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}
