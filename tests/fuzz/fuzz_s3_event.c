/* fuzz_s3_event.c — libFuzzer target for the S3 event parser: any body
 * must parse or be rejected cleanly, and every job it yields must satisfy
 * the filter it was parsed with (decoded UTF-8 key, prefix and suffix). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/s3_event.h"

static void s_check(const struct dn_s3_event_batch *b, const struct dn_s3_event_filter *f)
{
    for (size_t i = 0; i < b->njobs; i++) {
        const struct dn_s3_job *j = &b->jobs[i];
        size_t klen = strlen(j->key);
        if (!j->bucket || !*j->bucket || !klen || !dn_utf8_valid(j->key, klen))
            abort();
        if (f->prefix && strncmp(j->key, f->prefix, strlen(f->prefix)))
            abort();
        size_t slen = f->suffix ? strlen(f->suffix) : 0;
        if (slen && (klen < slen || strcasecmp(j->key + klen - slen, f->suffix)))
            abort();
    }
    if (b->test_event && b->njobs)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dn_s3_event_filter none = {0};
    struct dn_s3_event_filter f = {.event_source = "aws:s3", .event_prefix = "ObjectCreated",
                                   .bucket = "dancer-uploads", .prefix = "uploads", .suffix = ".mp4"};
    struct dn_s3_event_batch b;
    struct dn_err err = {0};
    const struct dn_s3_event_filter *filters[] = {&none, &f};
    for (int k = 0; k < 2; k++) {
        if (!dn_s3_event_parse((const char *)data, size, filters[k], &b, &err))
            s_check(&b, filters[k]);
        else if (b.njobs || b.jobs || b.nskips)
            abort(); /* a rejected body leaves nothing behind */
        dn_s3_event_batch_clean_up(&b);
    }
    char *key = NULL;
    if (!dn_s3_key_decode((const char *)data, size, &key) && !dn_utf8_valid(key, strlen(key)))
        abort();
    free(key);
    return 0;
}
