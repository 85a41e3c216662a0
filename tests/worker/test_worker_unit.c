/* test_worker_unit.c — the worker's pure parts. */
#include <stdlib.h>

#include "dancer/config.h"
#include "test.h"
#include "worker_internal.h"

DN_TEST(result_location_strips_prefix_and_extension)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    char rb[256], *rk;
    dn_config_init(&cfg);
    DN_CHECK_OK(dn_worker_result_location(&cfg, "b", "uploads/u1/s2/x.mp4", rb, sizeof(rb), &rk, &err), &err);
    DN_EXPECT_STR(rb, "b");
    DN_EXPECT_STR(rk, "results/u1/s2/x.json");
    free(rk);
}
