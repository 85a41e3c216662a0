/* source_fault.c — a byte source that injects faults into another one:
 * failing reads at chosen offsets, slow reads, short reads, and an object
 * that changes or disappears part-way (see dn_byte_source_fault_new). Tests
 * and benchmarks use it to reach every error path of the cache and demuxer
 * without a misbehaving server. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dancer/media.h"

struct s_fault {
    struct dn_byte_source *inner;
    struct dn_fault_options opt;
    struct dn_fault_stats *stats; /* caller's, may be NULL */
    struct dn_fault_stats own;
    pthread_mutex_t lock; /* the counters: read-ahead may read concurrently */
    int failed;           /* faults injected at fail_at so far */
};

static int s_fault_stat(void *ctx, struct dn_source_info *info, struct dn_err *err)
{
    struct s_fault *f = ctx;
    int rc = dn_byte_source_stat(f->inner, info, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&f->lock);
    bool changed = f->opt.change_after_bytes && f->own.bytes >= f->opt.change_after_bytes;
    pthread_mutex_unlock(&f->lock);
    if (changed && f->opt.delete_instead)
        return dn_err_set(err, DN_ERR_NOT_FOUND, "object does not exist (deleted)");
    if (changed) /* a new upload under the same key has a new ETag */
        snprintf(info->etag + strnlen(info->etag, DN_ETAG_MAX - 9), 9, "-changed");
    return 0;
}

/* Decides, under the lock, whether this read fails on purpose. */
static int s_fault_decide(struct s_fault *f, uint64_t offset, size_t len, struct dn_err *err)
{
    const struct dn_fault_options *o = &f->opt;
    if (o->change_after_bytes && f->own.bytes >= o->change_after_bytes) {
        f->own.faults++;
        if (o->delete_instead)
            return dn_err_set(err, DN_ERR_NOT_FOUND, "object was deleted (injected)");
        return dn_err_set(err, DN_ERR_CONFLICT,
                          "object changed since it was opened: ETag no longer matches (injected)");
    }
    bool hits = o->fail_len && offset < o->fail_at + o->fail_len && offset + len > o->fail_at;
    if (hits && (o->fail_times == 0 || f->failed < o->fail_times)) {
        f->failed++;
        f->own.faults++;
        return dn_err_set(err, o->fail_class ? o->fail_class : DN_ERR_NETWORK,
                          "read of %zu bytes at %llu failed (injected)", len,
                          (unsigned long long)offset);
    }
    return 0;
}

static int s_fault_read_at(void *ctx, uint64_t offset, void *buf, size_t len, size_t *got,
                           struct dn_err *err)
{
    struct s_fault *f = ctx;
    if (f->opt.delay_us)
        usleep(f->opt.delay_us);
    if (f->opt.max_read && len > f->opt.max_read)
        len = f->opt.max_read;
    pthread_mutex_lock(&f->lock);
    f->own.reads++;
    int rc = s_fault_decide(f, offset, len, err);
    pthread_mutex_unlock(&f->lock);
    if (!rc)
        rc = dn_byte_source_read_at(f->inner, offset, buf, len, got, err);
    pthread_mutex_lock(&f->lock);
    f->own.bytes += *got;
    if (f->stats)
        *f->stats = f->own;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static void s_fault_destroy(void *ctx)
{
    struct s_fault *f = ctx;
    dn_byte_source_destroy(f->inner);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

int dn_byte_source_fault_new(struct dn_byte_source *inner, const struct dn_fault_options *faults,
                             struct dn_fault_stats *stats, struct dn_byte_source **out,
                             struct dn_err *err)
{
    static struct dn_byte_source_ops ops_serial = {
        .stat = s_fault_stat, .read_at = s_fault_read_at, .destroy = s_fault_destroy};
    static struct dn_byte_source_ops ops_concurrent = {.stat = s_fault_stat,
                                                       .read_at = s_fault_read_at,
                                                       .destroy = s_fault_destroy,
                                                       .concurrent_reads = true};
    *out = NULL;
    struct s_fault *f = calloc(1, sizeof(*f));
    if (!f) {
        dn_byte_source_destroy(inner);
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    }
    f->inner = inner;
    f->opt = *faults;
    f->stats = stats;
    if (stats)
        memset(stats, 0, sizeof(*stats));
    pthread_mutex_init(&f->lock, NULL);
    char name[1100];
    snprintf(name, sizeof(name), "%s", dn_byte_source_name(inner));
    return dn_byte_source_new(dn_byte_source_concurrent(inner) ? &ops_concurrent : &ops_serial, f,
                              name, out, err);
}
