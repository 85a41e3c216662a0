/* creds_fixture.c — see creds_fixture.h. */
#include "creds_fixture.h"

#include "test.h"

void dn_test_cfg_set(struct dn_config *cfg, const char *name, const char *value)
{
    struct dn_err err = {0};
    if (dn_config_set(cfg, name, value, DN_CFG_FLAG, &err))
        dn_test_fail(__FILE__, __LINE__, "%s: %s", name, err.msg);
}

int dn_test_creds_get_once(const struct dn_config *cfg, struct dn_creds *out, struct dn_err *err)
{
    struct dn_creds_provider *p = NULL;
    int rc = dn_creds_provider_new(cfg, &p, err);
    if (!rc)
        rc = dn_creds_provider_get(p, out, err);
    dn_creds_provider_destroy(p);
    return rc;
}
