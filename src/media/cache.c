/* cache.c — the AVIOContext libavformat reads videos through: fixed-size
 * blocks of the source kept in a small LRU cache, plus an optional thread
 * that fetches the next block while the current one is demuxed.
 *
 * Why blocks: an S3 read is a ranged GET, costly per request and cheap per
 * byte, while libavformat asks for a few KiB at a time and jumps around
 * (moov at the end, interleaved audio). Whole blocks amortise the requests;
 * the LRU keeps the moov region and the current mdat position both cached;
 * memory is cache_blocks * block_bytes whatever the object size. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/mem.h>

#include "media_internal.h"

/* libavformat's buffer: small reads are served from it without a call. No
 * larger than a block, so that one refill never spans more blocks than the
 * cache holds (that would evict what the next refill needs). */
#define S_AVIO_BUFFER (64 * 1024)
#define S_MIN_BLOCK 4096

enum s_state { S_EMPTY, S_LOADING, S_READY };

struct s_block {
    enum s_state state;
    uint64_t index;  /* block number: offset / block_bytes */
    uint8_t *data;   /* block_bytes, allocated on first use */
    size_t len;      /* valid bytes (short for the last block) */
    uint64_t used;   /* LRU tick of the last use */
    bool ahead;      /* loaded by read-ahead and not used yet */
};

struct dn_media_cache {
    struct dn_byte_source *src;
    uint64_t size;
    size_t block_bytes;
    int nblocks;
    struct s_block *blocks;
    uint64_t tick;
    uint64_t pos; /* AVIO position */
    AVIOContext *avio;
    dn_media_stop_fn *stop;
    void *stop_user;
    struct dn_err err; /* first error seen by the AVIO callbacks */
    struct dn_media_stats stats;

    /* Read-ahead. `lock` guards blocks[], stats and the fields below; the
     * source is read without it. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool thread_running;
    bool quit;
    int64_t want; /* block the thread should fetch, -1 none */
};

static struct s_block *s_find(struct dn_media_cache *c, uint64_t index)
{
    for (int i = 0; i < c->nblocks; i++)
        if (c->blocks[i].state != S_EMPTY && c->blocks[i].index == index)
            return &c->blocks[i];
    return NULL;
}

/* An empty slot, else the least recently used ready one; never one being
 * loaded. NULL when every slot is loading (only with read-ahead and one
 * slot, which s_new prevents). */
static struct s_block *s_victim(struct dn_media_cache *c)
{
    struct s_block *best = NULL;
    for (int i = 0; i < c->nblocks; i++) {
        struct s_block *b = &c->blocks[i];
        if (b->state == S_EMPTY)
            return b;
        if (b->state == S_READY && (!best || b->used < best->used))
            best = b;
    }
    return best;
}

/* Loads block `index` into slot b, which the caller marked S_LOADING. Runs
 * without the lock; returns with it held again. */
static int s_load_locked(struct dn_media_cache *c, struct s_block *b, uint64_t index,
                         struct dn_err *err)
{
    uint64_t offset = index * c->block_bytes;
    size_t want = c->size - offset < c->block_bytes ? (size_t)(c->size - offset) : c->block_bytes;
    size_t got = 0;
    int rc = 0;
    pthread_mutex_unlock(&c->lock);
    if (!b->data && !(b->data = malloc(c->block_bytes)))
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory for a %zu-byte cache block",
                        c->block_bytes);
    if (!rc)
        rc = dn_byte_source_read_at(c->src, offset, b->data, want, &got, err);
    if (!rc && got < want) /* the object shrank since stat: it is not the one we opened */
        rc = dn_err_set(err, DN_ERR_CONFLICT,
                        "object ended at %llu bytes, stat said %llu: it changed while being read",
                        (unsigned long long)(offset + got), (unsigned long long)c->size);
    pthread_mutex_lock(&c->lock);
    c->stats.source_reads++;
    c->stats.source_bytes += got;
    b->state = rc ? S_EMPTY : S_READY;
    b->len = got;
    b->used = ++c->tick;
    pthread_cond_broadcast(&c->cond);
    return rc;
}

static int s_check_stop(struct dn_media_cache *c, struct dn_err *err)
{
    return c->stop ? c->stop(c->stop_user, err) : 0;
}

/* Returns the ready block `index`, loading it (or waiting for the
 * read-ahead thread to finish it). Lock held throughout except while
 * loading. */
static int s_get_locked(struct dn_media_cache *c, uint64_t index, struct s_block **out,
                        struct dn_err *err)
{
    for (;;) {
        struct s_block *b = s_find(c, index);
        if (b && b->state == S_READY) {
            c->stats.cache_hits++;
            c->stats.read_ahead_used += b->ahead;
            b->ahead = false;
            b->used = ++c->tick;
            *out = b;
            return 0;
        }
        if (b) { /* S_LOADING by the read-ahead thread: wait, but stay interruptible */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 100 * 1000 * 1000;
            if (until.tv_nsec >= 1000000000L)
                until.tv_sec++, until.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&c->cond, &c->lock, &until);
            int rc = s_check_stop(c, err);
            if (rc)
                return rc;
            continue;
        }
        c->stats.cache_misses++;
        b = s_victim(c);
        if (!b)
            return dn_err_set(err, DN_ERR_INTERNAL, "cache: no free block");
        b->state = S_LOADING;
        b->index = index;
        b->ahead = false;
        int rc = s_load_locked(c, b, index, err);
        if (rc)
            return rc;
    }
}

/* Asks the read-ahead thread for the block after `index` when it is not
 * cached yet. */
static void s_want_next_locked(struct dn_media_cache *c, uint64_t index)
{
    uint64_t next = index + 1;
    if (!c->thread_running || next * c->block_bytes >= c->size || s_find(c, next))
        return;
    c->want = (int64_t)next;
    pthread_cond_broadcast(&c->cond);
}

static void *s_read_ahead_main(void *arg)
{
    struct dn_media_cache *c = arg;
    struct dn_err ignored = {0};
    pthread_mutex_lock(&c->lock);
    while (!c->quit) {
        if (c->want < 0) {
            pthread_cond_wait(&c->cond, &c->lock);
            continue;
        }
        uint64_t index = (uint64_t)c->want;
        c->want = -1;
        struct s_block *b = s_find(c, index) ? NULL : s_victim(c);
        if (!b)
            continue;
        b->state = S_LOADING;
        b->index = index;
        /* A failed read-ahead is dropped: the demuxer's own read of the
         * block will meet (and report) the error if it is real. */
        if (!s_load_locked(c, b, index, &ignored))
            b->ahead = true;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int dn_media_cache_read(struct dn_media_cache *c, uint64_t offset, void *buf, size_t len,
                        size_t *got, struct dn_err *err)
{
    int rc = 0;
    *got = 0;
    pthread_mutex_lock(&c->lock);
    while (*got < len && offset + *got < c->size) {
        uint64_t at = offset + *got;
        struct s_block *b = NULL;
        if ((rc = s_get_locked(c, at / c->block_bytes, &b, err)))
            break;
        size_t in = (size_t)(at - b->index * c->block_bytes);
        size_t n = b->len - in < len - *got ? b->len - in : len - *got;
        memcpy((char *)buf + *got, b->data + in, n);
        *got += n;
        s_want_next_locked(c, b->index);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* Keeps the first error: later ones are usually consequences. */
static int s_fail(struct dn_media_cache *c, const struct dn_err *err, int averror)
{
    if (c->err.cls == DN_ERR_NONE)
        c->err = *err;
    return averror;
}

static int s_avio_read(void *opaque, uint8_t *buf, int size)
{
    struct dn_media_cache *c = opaque;
    struct dn_err err = {0};
    size_t got = 0;
    if (c->err.cls != DN_ERR_NONE)
        return AVERROR(EIO); /* sticky: libavformat retries reads after errors */
    if (s_check_stop(c, &err))
        return s_fail(c, &err, AVERROR_EXIT);
    if (c->pos >= c->size)
        return AVERROR_EOF;
    if (dn_media_cache_read(c, c->pos, buf, (size_t)size, &got, &err))
        return s_fail(c, &err, err.cls == DN_ERR_CANCELLED ? AVERROR_EXIT : AVERROR(EIO));
    c->pos += got;
    return got ? (int)got : AVERROR_EOF;
}

static int64_t s_avio_seek(void *opaque, int64_t offset, int whence)
{
    struct dn_media_cache *c = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return (int64_t)c->size;
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)c->pos; break;
    case SEEK_END: base = (int64_t)c->size; break;
    default: return AVERROR(EINVAL);
    }
    if (base + offset < 0)
        return AVERROR(EINVAL);
    /* Seeking is free: nothing is read until libavformat asks. */
    c->pos = (uint64_t)(base + offset);
    return (int64_t)c->pos;
}

/* Block geometry: whole object in one block when small enough. */
static void s_geometry(struct dn_media_cache *c, const struct dn_media_cache_options *opt)
{
    c->block_bytes = opt->block_bytes < S_MIN_BLOCK ? S_MIN_BLOCK : opt->block_bytes;
    c->nblocks = opt->cache_blocks < 1 ? 1 : opt->cache_blocks;
    if (c->size <= opt->whole_object_bytes) {
        c->block_bytes = c->size ? (size_t)c->size : 1;
        c->nblocks = 1;
    }
}

int dn_media_cache_new(struct dn_byte_source *src, uint64_t size,
                       const struct dn_media_cache_options *opt, dn_media_stop_fn *stop,
                       void *stop_user, struct dn_media_cache **out, struct dn_err *err)
{
    *out = NULL;
    struct dn_media_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    c->src = src;
    c->size = size;
    c->stop = stop;
    c->stop_user = stop_user;
    c->want = -1;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    s_geometry(c, opt);
    c->blocks = calloc((size_t)c->nblocks, sizeof(*c->blocks));
    int avio_bytes = c->block_bytes < S_AVIO_BUFFER ? (int)c->block_bytes : S_AVIO_BUFFER;
    avio_bytes = avio_bytes < S_MIN_BLOCK ? S_MIN_BLOCK : avio_bytes;
    uint8_t *buffer = av_malloc((size_t)avio_bytes);
    if (buffer && c->blocks)
        c->avio = avio_alloc_context(buffer, avio_bytes, 0, c, s_avio_read, NULL, s_avio_seek);
    if (!c->avio) {
        av_free(buffer);
        goto on_error;
    }
    /* Read-ahead needs a second slot and a source that reads concurrently. */
    if (opt->read_ahead && c->nblocks >= 2 && dn_byte_source_concurrent(src))
        c->thread_running = !pthread_create(&c->thread, NULL, s_read_ahead_main, c);
    *out = c;
    return 0;
on_error:
    dn_media_cache_destroy(c);
    return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
}

AVIOContext *dn_media_cache_avio(struct dn_media_cache *c)
{
    return c->avio;
}

const struct dn_err *dn_media_cache_error(const struct dn_media_cache *c)
{
    return &c->err;
}

void dn_media_cache_stats(const struct dn_media_cache *c, struct dn_media_stats *stats)
{
    struct dn_media_cache *mc = (struct dn_media_cache *)c; /* the lock is not logically state */
    pthread_mutex_lock(&mc->lock);
    stats->source_reads = c->stats.source_reads;
    stats->source_bytes = c->stats.source_bytes;
    stats->cache_hits = c->stats.cache_hits;
    stats->cache_misses = c->stats.cache_misses;
    stats->read_ahead_used = c->stats.read_ahead_used;
    pthread_mutex_unlock(&mc->lock);
}

void dn_media_cache_destroy(struct dn_media_cache *c)
{
    if (!c)
        return;
    if (c->thread_running) {
        pthread_mutex_lock(&c->lock);
        c->quit = true;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    if (c->avio) /* libavformat may have replaced the buffer: free the current one */
        av_freep(&c->avio->buffer);
    avio_context_free(&c->avio);
    for (int i = 0; c->blocks && i < c->nblocks; i++)
        free(c->blocks[i].data);
    free(c->blocks);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
