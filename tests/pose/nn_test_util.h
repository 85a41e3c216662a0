/* nn_test_util.h — where the tests find the fetched networks. */
#ifndef DANCER_TESTS_NN_TEST_UTIL_H
#define DANCER_TESTS_NN_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dancer/device.h"

/* <dir>/<name>.dnm with dir = $DANCER_MODEL_DIR (dancer's own setting; the
 * device scripts set it), else $DANCER_CACHE/models (models/fetch.sh's
 * output; default ~/.cache/dancer), or NULL when absent: the caller skips. */
static inline const char *nn_test_model(const char *name, char *buf, size_t len)
{
    const char *dir = getenv("DANCER_MODEL_DIR"), *cache = getenv("DANCER_CACHE");
    const char *home = getenv("HOME");
    if (dir && dir[0])
        snprintf(buf, len, "%s/%s.dnm", dir, name);
    else if (cache)
        snprintf(buf, len, "%s/models/%s.dnm", cache, name);
    else
        snprintf(buf, len, "%s/.cache/dancer/models/%s.dnm", home ? home : "", name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* In a DN_TEST case: skip (77) unless a GPU is usable, saying why. */
#define NN_TEST_NEED_GPU()                                       \
    do {                                                         \
        struct dn_device_info info_;                             \
        dn_device_probe(&info_);                                 \
        if (!info_.usable)                                       \
            DN_SKIP(info_.reason[0] ? info_.reason : "no GPU");  \
    } while (0)

#endif
