/* nn_test_util.h — where the tests find the fetched networks. */
#ifndef DANCER_TESTS_NN_TEST_UTIL_H
#define DANCER_TESTS_NN_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* $DANCER_CACHE/models/<name>.dnm (default ~/.cache/dancer), or NULL when
 * models/fetch.sh has not been run: the caller skips. */
static inline const char *nn_test_model(const char *name, char *buf, size_t len)
{
    const char *cache = getenv("DANCER_CACHE"), *home = getenv("HOME");
    if (cache)
        snprintf(buf, len, "%s/models/%s.dnm", cache, name);
    else
        snprintf(buf, len, "%s/.cache/dancer/models/%s.dnm", home ? home : "", name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

#endif
