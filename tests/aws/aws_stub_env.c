/* aws_stub_env.c — the clients against the scripted server (see aws_env.h). */
#include <stdio.h>
#include <string.h>

#include "aws_env.h"
#include "http_stub.h"
#include "test.h"

bool dn_aws_stub_env_open(struct dn_aws_stub_env *e, const char *const *settings)
{
    const char *list[64];
    char values[16][512];
    size_t n = 0, nv = 0;
    memset(e, 0, sizeof(*e));
    if (!(e->stub = dn_stub_start())) {
        dn_test_fail(__FILE__, __LINE__, "cannot start the scripted server");
        return false;
    }
    snprintf(e->url, sizeof(e->url), "%s", dn_stub_url(e->stub));
    for (; settings[n] && n + 2 < sizeof(list) / sizeof(*list); n += 2) {
        list[n] = settings[n];
        list[n + 1] = settings[n + 1];
        if (!strncmp(settings[n + 1], "{stub}", 6) && nv < 16) {
            snprintf(values[nv], sizeof(values[nv]), "%s%s", e->url, settings[n + 1] + 6);
            list[n + 1] = values[nv++];
        }
    }
    list[n] = NULL;
    if (dn_aws_env_open_with(&e->aws, list))
        return true;
    dn_test_fail(__FILE__, __LINE__, "setup: %s", e->aws.err.msg);
    return false;
}

void dn_aws_stub_env_close(struct dn_aws_stub_env *e)
{
    dn_aws_env_close(&e->aws);
    dn_stub_stop(e->stub);
    e->stub = NULL;
}

