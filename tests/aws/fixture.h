/* fixture.h — files from tests/aws/fixtures (DN_AWS_FIXTURES): read them, or
 * serve them as canned responses from the scripted server. */
#ifndef DANCER_TEST_FIXTURE_H
#define DANCER_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "http_stub.h"
#include "test.h"

/* Malloc'd, NUL-terminated contents and their length; NULL if unreadable. */
static inline char *dn_fixture_read(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", DN_AWS_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long n = -1;
    if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
        (data = malloc((size_t)n + 1)) && fread(data, 1, (size_t)n, f) == (size_t)n) {
        data[n] = '\0';
        *len = (size_t)n;
    } else {
        free(data);
        data = NULL;
        fprintf(stderr, "fixture %s unreadable\n", path);
    }
    if (f)
        fclose(f);
    return data;
}

/* The absolute path of a fixture, in a static buffer. */
static inline const char *dn_fixture_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s", DN_AWS_FIXTURES, name);
    return path;
}

/* Queues the canned response in fixture `name` on `stub`; false (with a
 * test failure) when it cannot be read. */
static inline void dn_fixture_push(struct dn_stub *stub, const char *name)
{
    if (!dn_stub_push_file(stub, dn_fixture_path(name)))
        dn_test_fail(__FILE__, __LINE__, "fixture %s unreadable", name);
}

#endif
