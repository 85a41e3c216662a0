/* test_media_cache.c — the block cache behind the AVIOContext: bytes
 * identical to the source at any offset and block geometry, memory and
 * requests bounded as promised, read-ahead correct, AVIO seek/size right,
 * source errors passed on with their class. No video needed. */
#include <stdlib.h>

#include "media_internal.h"
#include "test.h"

#define S_SIZE (300 * 1024 + 123) /* not a multiple of any block size */

static unsigned char s_byte(uint64_t i)
{
    return (unsigned char)(i * 7 ^ i >> 9);
}

/* A pattern file of S_SIZE bytes in the case's temporary directory. */
static const char *s_pattern_file(void)
{
    static char path[1200];
    snprintf(path, sizeof(path), "%s/pattern.bin", dn_test_tmp_dir());
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    for (uint64_t i = 0; i < S_SIZE; i++)
        fputc(s_byte(i), f);
    fclose(f);
    return path;
}

struct s_rig {
    struct dn_byte_source *src;
    struct dn_media_cache *cache;
    struct dn_fault_stats fst;
};

static int s_rig_open(struct s_rig *r, const struct dn_media_cache_options *co,
                      const struct dn_fault_options *faults, struct dn_err *err)
{
    struct dn_byte_source *file;
    struct dn_fault_options none = {0};
    memset(r, 0, sizeof(*r));
    const char *path = s_pattern_file();
    int rc = path ? dn_byte_source_file_new(path, &file, err) : -1;
    if (!rc)
        rc = dn_byte_source_fault_new(file, faults ? faults : &none, &r->fst, &r->src, err);
    if (!rc)
        rc = dn_media_cache_new(r->src, S_SIZE, co, NULL, NULL, &r->cache, err);
    return rc;
}

static void s_rig_close(struct s_rig *r)
{
    dn_media_cache_destroy(r->cache);
    dn_byte_source_destroy(r->src);
}

static bool s_matches(const unsigned char *buf, uint64_t offset, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != s_byte(offset + i))
            return false;
    return true;
}

/* Reads the whole object front to back in `chunk`-byte reads. */
static bool s_read_sequentially(struct s_rig *r, size_t chunk)
{
    unsigned char buf[4096];
    struct dn_err err = {0};
    size_t got;
    for (uint64_t off = 0; off < S_SIZE; off += chunk)
        if (dn_media_cache_read(r->cache, off, buf, chunk, &got, &err) || !s_matches(buf, off, got))
            return false;
    return true;
}

static void s_random_reads(const struct dn_media_cache_options *co)
{
    struct s_rig r;
    struct dn_err err = {0};
    static unsigned char buf[40000];
    DN_CHECK_OK(s_rig_open(&r, co, NULL, &err), &err);
    unsigned seed = 12345;
    for (int i = 0; i < 400; i++) {
        uint64_t off = (uint64_t)rand_r(&seed) % (S_SIZE + 100);
        size_t len = (size_t)rand_r(&seed) % sizeof(buf), got = 0;
        DN_CHECK_OK(dn_media_cache_read(r.cache, off, buf, len, &got, &err), &err);
        size_t want = off >= S_SIZE ? 0 : (S_SIZE - off < len ? (size_t)(S_SIZE - off) : len);
        DN_CHECK_INT(got, want);
        if (!s_matches(buf, off, got))
            dn_test_fail(__FILE__, __LINE__, "bytes differ at %llu+%zu (block %zu)",
                         (unsigned long long)off, got, co->block_bytes);
    }
    s_rig_close(&r);
}

DN_TEST(random_reads_match_the_source)
{
    struct dn_media_cache_options co[] = {
        {4096, 1, 0, false}, {4096, 3, 0, false}, {65536, 4, 0, false},
        {8192, 4, 0, true}, {1 << 20, 2, 0, false}, {4096, 2, S_SIZE, false},
    };
    for (size_t i = 0; i < sizeof(co) / sizeof(co[0]); i++)
        s_random_reads(&co[i]);
}

DN_TEST(small_object_is_read_in_one_piece)
{
    struct dn_media_cache_options co = {4096, 2, 1 << 20, true};
    struct s_rig r;
    struct dn_err err = {0};
    unsigned char buf[1000];
    size_t got;
    struct dn_media_stats st = {0};
    DN_CHECK_OK(s_rig_open(&r, &co, NULL, &err), &err);
    for (uint64_t off = 0; off < S_SIZE; off += 7777)
        DN_CHECK_OK(dn_media_cache_read(r.cache, S_SIZE - 1 - off, buf, sizeof(buf), &got, &err),
                    &err);
    dn_media_cache_stats(r.cache, &st);
    DN_EXPECT_INT(st.source_reads, 1);
    DN_EXPECT_INT(st.source_bytes, S_SIZE);
    DN_EXPECT_INT(r.fst.reads, 1);
    s_rig_close(&r);
}

/* Reading front to back fetches every byte exactly once, whatever the
 * cache size: memory is bounded by blocks x block size, not by the object. */
DN_TEST(sequential_read_fetches_each_byte_once)
{
    struct dn_media_cache_options co = {8192, 2, 0, false};
    struct s_rig r;
    struct dn_err err = {0};
    struct dn_media_stats st = {0};
    DN_CHECK_OK(s_rig_open(&r, &co, NULL, &err), &err);
    DN_EXPECT(s_read_sequentially(&r, 1000));
    dn_media_cache_stats(r.cache, &st);
    DN_EXPECT_INT(st.source_bytes, S_SIZE);
    DN_EXPECT_INT(st.source_reads, (S_SIZE + 8191) / 8192);
    DN_EXPECT(st.cache_hits > st.cache_misses);
    s_rig_close(&r);
}

/* With read-ahead on a slow source the bytes stay right and nothing is
 * fetched twice (at most one block ahead of the reader). */
DN_TEST(read_ahead_reads_right_and_no_more)
{
    struct dn_media_cache_options co = {16384, 3, 0, true};
    struct dn_fault_options slow = {.delay_us = 2000};
    struct s_rig r;
    struct dn_err err = {0};
    struct dn_media_stats st = {0};
    DN_CHECK_OK(s_rig_open(&r, &co, &slow, &err), &err);
    DN_EXPECT(s_read_sequentially(&r, 3000));
    dn_media_cache_stats(r.cache, &st);
    DN_EXPECT_INT(st.source_bytes, S_SIZE);
    s_rig_close(&r);
}

DN_TEST(avio_seek_and_size)
{
    struct dn_media_cache_options co = {4096, 2, 0, false};
    struct s_rig r;
    struct dn_err err = {0};
    unsigned char buf[100];
    DN_CHECK_OK(s_rig_open(&r, &co, NULL, &err), &err);
    AVIOContext *pb = dn_media_cache_avio(r.cache);
    DN_EXPECT_INT(avio_size(pb), S_SIZE);
    DN_EXPECT_INT(avio_seek(pb, S_SIZE - 50, SEEK_SET), S_SIZE - 50);
    DN_EXPECT_INT(avio_read(pb, buf, sizeof(buf)), 50); /* short at the end */
    DN_EXPECT(s_matches(buf, S_SIZE - 50, 50));
    DN_EXPECT(avio_feof(pb));
    DN_EXPECT_INT(avio_seek(pb, 5000, SEEK_SET), 5000);
    DN_EXPECT_INT(avio_read(pb, buf, sizeof(buf)), sizeof(buf));
    DN_EXPECT(s_matches(buf, 5000, sizeof(buf)));
    DN_EXPECT_INT(dn_media_cache_error(r.cache)->cls, DN_ERR_NONE);
    s_rig_close(&r);
}

DN_TEST(source_errors_keep_their_class)
{
    struct dn_media_cache_options co = {4096, 2, 0, false};
    struct dn_fault_options faults = {.fail_at = 10000, .fail_len = 10, .fail_class = DN_ERR_AUTH};
    struct s_rig r;
    struct dn_err err = {0};
    unsigned char buf[100];
    size_t got;
    DN_CHECK_OK(s_rig_open(&r, &co, &faults, &err), &err);
    DN_CHECK_OK(dn_media_cache_read(r.cache, 0, buf, sizeof(buf), &got, &err), &err);
    DN_EXPECT_INT(dn_media_cache_read(r.cache, 9000, buf, sizeof(buf), &got, &err),
                  DN_E(DN_ERR_AUTH));
    /* Through AVIO: libavformat gets an AVERROR, the cache keeps the cause. */
    AVIOContext *pb = dn_media_cache_avio(r.cache);
    /* avio_seek may read forward to a near target (its short-seek path)
     * and meet the fault itself. */
    int64_t sought = avio_seek(pb, 9500, SEEK_SET);
    DN_EXPECT(sought < 0 || avio_read(pb, buf, sizeof(buf)) < 0);
    DN_EXPECT_INT(dn_media_cache_error(r.cache)->cls, DN_ERR_AUTH);
    DN_EXPECT(strstr(dn_media_cache_error(r.cache)->msg, "injected") != NULL);
    s_rig_close(&r);
}

DN_TEST(transient_fault_then_success)
{
    struct dn_media_cache_options co = {4096, 2, 0, false};
    struct dn_fault_options faults = {.fail_at = 0, .fail_len = 1, .fail_times = 1};
    struct s_rig r;
    struct dn_err err = {0};
    unsigned char buf[100];
    size_t got;
    DN_CHECK_OK(s_rig_open(&r, &co, &faults, &err), &err);
    DN_EXPECT_INT(dn_media_cache_read(r.cache, 0, buf, sizeof(buf), &got, &err),
                  DN_E(DN_ERR_NETWORK));
    DN_CHECK_OK(dn_media_cache_read(r.cache, 0, buf, sizeof(buf), &got, &err), &err);
    DN_EXPECT(s_matches(buf, 0, sizeof(buf)));
    DN_EXPECT_INT(r.fst.faults, 1);
    s_rig_close(&r);
}

DN_TEST(object_shorter_than_stat_is_a_conflict)
{
    struct dn_media_cache_options co = {4096, 2, 0, false};
    struct s_rig r;
    struct dn_err err = {0};
    unsigned char buf[100];
    size_t got;
    DN_CHECK_OK(s_rig_open(&r, &co, NULL, &err), &err);
    dn_media_cache_destroy(r.cache); /* again, claiming more bytes than there are */
    DN_CHECK_OK(dn_media_cache_new(r.src, S_SIZE + 5000, &co, NULL, NULL, &r.cache, &err), &err);
    DN_EXPECT_INT(dn_media_cache_read(r.cache, S_SIZE - 10, buf, sizeof(buf), &got, &err),
                  DN_E(DN_ERR_CONFLICT));
    s_rig_close(&r);
}

DN_TEST(file_source_versions)
{
    struct dn_byte_source *src;
    struct dn_source_info a, b;
    struct dn_err err = {0};
    const char *path = s_pattern_file();
    DN_CHECK(path);
    DN_CHECK_OK(dn_byte_source_file_new(path, &src, &err), &err);
    DN_CHECK_OK(dn_byte_source_stat(src, &a, &err), &err);
    DN_CHECK_OK(dn_byte_source_stat(src, &b, &err), &err);
    DN_EXPECT_INT(a.size, S_SIZE);
    DN_EXPECT_STR(a.etag, b.etag);
    DN_EXPECT(dn_byte_source_concurrent(src));
    DN_EXPECT_STR(dn_byte_source_name(src), path);
    dn_byte_source_destroy(src);
    dn_byte_source_destroy(NULL);
    struct dn_byte_source *dir;
    DN_EXPECT_INT(dn_byte_source_file_new(dn_test_tmp_dir(), &dir, &err), DN_E(DN_ERR_BAD_INPUT));
}
