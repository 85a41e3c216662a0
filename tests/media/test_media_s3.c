/* test_media_s3.c — the media stage reading from the local S3 server
 * (moto): videos uploaded with boto3 probe and decode to exactly what the
 * local-file path gives (which test_media checks bit-exact against ffmpeg),
 * through many ranged GETs or one whole-object GET; bad uploads fail with
 * their class; an object replaced or deleted mid-stream is a conflict or
 * not_found (If-Match on the ETag from HeadObject). */
#include <stdlib.h>

#include "aws_env.h"
#include "media_util.h"
#include "test.h"

/* The generated videos and moto, or a skip (DN_AWS_ENV_OPEN, aws_env.h). */
#define OPEN_ENV(e)                                                    \
    do {                                                               \
        if (!dn_tm_video("h264_moovend.mp4"))                          \
            DN_SKIP("generated videos missing (media_videos fixture)"); \
        DN_AWS_ENV_OPEN(e);                                            \
    } while (0)

#define UPLOAD(e, bucket, names, n)                                              \
    do {                                                                         \
        if (!s_upload(e, bucket, sizeof(bucket), names, n)) {                    \
            dn_test_fail(__FILE__, __LINE__, "upload: %s", (e)->err.msg);        \
            dn_aws_env_close(e);                                                 \
            return;                                                              \
        }                                                                        \
    } while (0)

/* A fresh bucket holding the named generated videos, uploaded by boto3
 * (an independent client, like the phones' uploaders). */
static bool s_upload(struct dn_aws_env *e, char *bucket, size_t len, const char *const *names,
                     size_t n)
{
    char args[8192];
    dn_test_unique_name("dn-media", bucket, len);
    if (dn_s3_create_bucket(e->s3, bucket, &e->err))
        return false;
    if (n == 0)
        return true;
    int at = snprintf(args, sizeof(args), "'%s' put", bucket);
    for (size_t i = 0; i < n && at < (int)sizeof(args); i++) /* one boto3 run for all */
        at += snprintf(args + at, sizeof(args) - (size_t)at, " '%s' '%s'", names[i],
                       dn_tm_video(names[i]));
    if (at >= (int)sizeof(args) || dn_aws_env_fill(e, args) != 0)
        return dn_err_set(&e->err, DN_ERR_INTERNAL, "upload to %s failed", bucket), false;
    return true;
}

static int s_open_s3(struct dn_aws_env *e, const char *bucket, const char *key,
                     const struct dn_media_options *opt, struct dn_media **m, struct dn_err *err)
{
    char url[512];
    struct dn_byte_source *src;
    snprintf(url, sizeof(url), "s3://%s/%s", bucket, key);
    int rc = dn_byte_source_open(url, e->s3, &src, err);
    return rc ? rc : dn_media_open(src, opt, m, err);
}

/* Small blocks: the decode reaches S3 with many ranged GETs. */
static void s_streaming(struct dn_media_options *opt)
{
    dn_tm_options(opt);
    opt->block_bytes = 16384;
    opt->cache_blocks = 3;
    opt->whole_object_bytes = 0;
}

/* S3 and local file give the same probe and the same frames, byte for byte. */
static void s_same_as_local(struct dn_aws_env *e, const char *bucket, const char *name,
                            const struct dn_media_options *opt, struct dn_media_stats *st)
{
    struct dn_media *a = NULL, *b = NULL;
    const struct dn_frame *fa, *fb;
    struct dn_err err = {0};
    DN_CHECK_OK(s_open_s3(e, bucket, name, opt, &a, &err), &err);
    DN_CHECK_OK(dn_tm_open(name, opt, &b, &err), &err);
    const struct dn_video_info *ia = dn_media_info(a), *ib = dn_media_info(b);
    DN_EXPECT_INT(ia->frames, ib->frames);
    DN_EXPECT_INT(ia->rotation_deg, ib->rotation_deg);
    DN_EXPECT_STR(ia->profile, ib->profile);
    DN_EXPECT_NEAR(ia->duration_s, ib->duration_s, 1e-9);
    DN_EXPECT_INT(ia->size_bytes, ib->size_bytes);
    DN_EXPECT(ia->etag[0] == '"'); /* S3's ETag, quoted */
    long n = 0;
    for (;; n++) {
        DN_CHECK_OK(dn_media_next_frame(a, &fa, &err), &err);
        DN_CHECK_OK(dn_media_next_frame(b, &fb, &err), &err);
        DN_CHECK((fa == NULL) == (fb == NULL));
        if (!fa)
            break;
        DN_EXPECT_NEAR(fa->pts_s, fb->pts_s, 1e-12);
        int bps = dn_pixel_format_bytes(fa->format);
        for (int p = 0; p < 3; p++) {
            int w = (p ? (fa->width + 1) / 2 : fa->width) * bps, h = p ? (fa->height + 1) / 2 : fa->height;
            for (int y = 0; y < h; y++)
                if (memcmp(fa->planes[p] + (size_t)y * fa->pitch[p], fb->planes[p] + (size_t)y * fb->pitch[p],
                           (size_t)w)) {
                    dn_test_fail(__FILE__, __LINE__, "%s: frame %ld plane %d differs", name, n, p);
                    goto done;
                }
        }
    }
done:
    DN_EXPECT_INT(n, ib->frames);
    dn_media_stats(a, st);
    dn_media_close(a);
    dn_media_close(b);
}

DN_TEST(s3_streams_the_same_frames_as_local)
{
    static const char *const names[] = {"h264_moovend.mp4", "h264_faststart.mp4", "hevc10.mp4",
                                        "rotate_tag270.mp4"};
    struct dn_aws_env e;
    struct dn_media_options opt;
    struct dn_media_stats st;
    char bucket[64];
    OPEN_ENV(&e);
    UPLOAD(&e, bucket, names, 4);
    s_streaming(&opt);
    for (int i = 0; i < 4; i++) {
        s_same_as_local(&e, bucket, names[i], &opt, &st);
        /* Many 16 KiB ranged GETs, each byte fetched once, except that a
         * moov at the end may cost its block twice (read first, needed again
         * after the mdat) and read-ahead may fetch one block early. */
        DN_EXPECT(st.source_reads >= 3);
        if (st.source_bytes > dn_tm_size(names[i]) + 2 * opt.block_bytes)
            dn_test_fail(__FILE__, __LINE__, "%s: %llu bytes fetched for %llu (%llu reads)", names[i],
                         (unsigned long long)st.source_bytes, (unsigned long long)dn_tm_size(names[i]),
                         (unsigned long long)st.source_reads);
    }
    dn_aws_env_close(&e);
}

DN_TEST(s3_small_object_is_one_get)
{
    static const char *const names[] = {"hevc.mp4"};
    struct dn_aws_env e;
    struct dn_media_options opt;
    struct dn_media_stats st;
    char bucket[64];
    OPEN_ENV(&e);
    UPLOAD(&e, bucket, names, 1);
    dn_tm_options(&opt); /* default whole-object threshold: 32 MiB */
    s_same_as_local(&e, bucket, names[0], &opt, &st);
    DN_EXPECT_INT(st.source_reads, 1);
    DN_EXPECT_INT(st.source_bytes, dn_tm_size(names[0]));
    dn_aws_env_close(&e);
}

DN_TEST(s3_bad_uploads)
{
    static const struct {
        const char *name;
        enum dn_err_class cls;
        const char *says;
    } cases[] = {
        {"empty.mp4", DN_ERR_BAD_INPUT, "empty object"},
        {"notvideo.mp4", DN_ERR_BAD_INPUT, "not a video"},
        {"truncated_moovend.mp4", DN_ERR_BAD_INPUT, "no moov atom"},
        {"truncated_faststart.mp4", DN_ERR_BAD_INPUT, "truncated"},
        {"audio_only.mp4", DN_ERR_BAD_INPUT, "no video stream"},
        {"mpeg4.mp4", DN_ERR_UNSUPPORTED, "unsupported codec"},
    };
    const char *names[6];
    struct dn_aws_env e;
    struct dn_media_options opt;
    char bucket[64];
    OPEN_ENV(&e);
    for (int i = 0; i < 6; i++)
        names[i] = cases[i].name;
    UPLOAD(&e, bucket, names, 6);
    s_streaming(&opt);
    for (int i = 0; i < 6; i++) {
        struct dn_media *m = NULL;
        struct dn_err err = {0};
        DN_EXPECT_INT(s_open_s3(&e, bucket, cases[i].name, &opt, &m, &err), DN_E(cases[i].cls));
        if (!strstr(err.msg, cases[i].says) || strncmp(err.msg, "s3://", 5))
            dn_test_fail(__FILE__, __LINE__, "%s: \"%s\"", cases[i].name, err.msg);
        DN_EXPECT(m == NULL);
    }
    dn_aws_env_close(&e);
}

DN_TEST(s3_missing_object_is_not_found)
{
    struct dn_aws_env e;
    struct dn_media_options opt;
    struct dn_media *m = NULL;
    struct dn_err err = {0};
    char bucket[64];
    OPEN_ENV(&e);
    UPLOAD(&e, bucket, NULL, 0);
    dn_tm_options(&opt);
    DN_EXPECT_INT(s_open_s3(&e, bucket, "uploads/none.mp4", &opt, &m, &err), DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(strstr(err.msg, "uploads/none.mp4") != NULL);
    DN_EXPECT_INT(dn_byte_source_open("s3://bucket-only", e.s3, &(struct dn_byte_source *){NULL}, &err),
                  DN_E(DN_ERR_USAGE));
    dn_aws_env_close(&e);
}

/* Opens long.mp4 from S3, decodes a few frames, lets `change` act on the
 * object, and decodes on: returns the final code. */
static int s_change_mid_stream(struct dn_aws_env *e, const char *bucket,
                               void (*change)(struct dn_aws_env *, const char *), struct dn_err *err)
{
    struct dn_media_options opt;
    struct dn_media *m = NULL;
    const struct dn_frame *f;
    s_streaming(&opt);
    opt.read_ahead = false;
    int rc = s_open_s3(e, bucket, "long.mp4", &opt, &m, err);
    for (int i = 0; !rc && i < 5; i++)
        rc = dn_media_next_frame(m, &f, err);
    if (!rc)
        change(e, bucket);
    while (!rc && !(rc = dn_media_next_frame(m, &f, err)) && f)
        ;
    dn_media_close(m);
    return rc;
}

static void s_replace(struct dn_aws_env *e, const char *bucket)
{
    char args[2048];
    snprintf(args, sizeof(args), "'%s' put long.mp4 '%s'", bucket, dn_tm_video("hevc.mp4"));
    if (dn_aws_env_fill(e, args) != 0)
        dn_test_fail(__FILE__, __LINE__, "re-upload failed");
}

static void s_delete(struct dn_aws_env *e, const char *bucket)
{
    if (dn_s3_delete_object(e->s3, bucket, "long.mp4", &e->err))
        dn_test_fail(__FILE__, __LINE__, "delete: %s", e->err.msg);
}

/* long.mp4 in a fresh bucket, changed by `change` after five frames. */
static void s_check_change(void (*change)(struct dn_aws_env *, const char *), enum dn_err_class cls)
{
    static const char *const names[] = {"long.mp4"};
    struct dn_aws_env e;
    struct dn_err err = {0};
    char bucket[64];
    OPEN_ENV(&e);
    UPLOAD(&e, bucket, names, 1);
    DN_EXPECT_INT(s_change_mid_stream(&e, bucket, change, &err), DN_E(cls));
    DN_EXPECT(strncmp(err.msg, "s3://", 5) == 0);
    dn_aws_env_close(&e);
}

DN_TEST(s3_object_replaced_mid_stream_is_a_conflict) { s_check_change(s_replace, DN_ERR_CONFLICT); }
DN_TEST(s3_object_deleted_mid_stream_is_not_found) { s_check_change(s_delete, DN_ERR_NOT_FOUND); }
