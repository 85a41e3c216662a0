/* fixture.h — reads a file from tests/aws/fixtures (DN_AWS_FIXTURES). */
#ifndef DANCER_TEST_FIXTURE_H
#define DANCER_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

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

#endif
