/* test_media_bad.c — every bad input and every failing source ends in its
 * error class with a message that says what was wrong, and nothing crashes
 * or leaks (the sanitizer and valgrind runs cover the last part). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dancer/config.h"
#include "dancer/device.h"
#include "media_util.h"
#include "test.h"

#define SKIP_WITHOUT(name)                                            \
    do {                                                              \
        if (!dn_tm_video(name))                                       \
            DN_SKIP("generated videos missing (media_videos fixture)"); \
    } while (0)

/* Opens and decodes `name`; expects the failure class and a message part. */
static void s_expect_failure(const char *name, const struct dn_media_options *opt,
                             enum dn_err_class cls, const char *says)
{
    struct dn_err err = {0};
    long frames;
    SKIP_WITHOUT(name);
    int rc = dn_tm_decode_all(name, opt, &frames, NULL, &err);
    DN_EXPECT_INT(rc, DN_E(cls));
    DN_EXPECT_INT(err.cls, cls);
    if (!strstr(err.msg, says))
        dn_test_fail(__FILE__, __LINE__, "%s: message \"%s\" does not say \"%s\"", name, err.msg,
                     says);
    if (!strstr(err.msg, name)) /* every message names its input */
        dn_test_fail(__FILE__, __LINE__, "message \"%s\" does not name %s", err.msg, name);
}

static void s_expect(const char *name, enum dn_err_class cls, const char *says)
{
    struct dn_media_options opt;
    dn_tm_options(&opt);
    s_expect_failure(name, &opt, cls, says);
}

DN_TEST(zero_byte_object) { s_expect("empty.mp4", DN_ERR_BAD_INPUT, "empty object"); }
DN_TEST(text_is_not_a_video) { s_expect("notvideo.mp4", DN_ERR_BAD_INPUT, "not a video"); }
DN_TEST(random_bytes_are_not_a_video) { s_expect("random.mp4", DN_ERR_BAD_INPUT, "not a video"); }
DN_TEST(no_video_stream) { s_expect("audio_only.mp4", DN_ERR_BAD_INPUT, "no video stream (streams: audio)"); }
DN_TEST(unsupported_codec) { s_expect("mpeg4.mp4", DN_ERR_UNSUPPORTED, "unsupported codec mpeg4"); }
DN_TEST(unsupported_pixel_format) { s_expect("yuv422.mp4", DN_ERR_UNSUPPORTED, "pixel format yuv422p"); }
DN_TEST(truncated_with_moov_first) { s_expect("truncated_faststart.mp4", DN_ERR_BAD_INPUT, "truncated"); }
DN_TEST(truncated_with_moov_last) { s_expect("truncated_moovend.mp4", DN_ERR_BAD_INPUT, "did not finish"); }
DN_TEST(missing_moov) { s_expect("nomoov.mp4", DN_ERR_BAD_INPUT, "no moov atom"); }
DN_TEST(too_many_corrupt_packets) { s_expect("corrupt_many.mp4", DN_ERR_BAD_INPUT, "corrupt packets"); }

DN_TEST(missing_file)
{
    struct dn_byte_source *src;
    struct dn_err err = {0};
    DN_EXPECT_INT(dn_byte_source_file_new("/nonexistent/v.mp4", &src, &err), DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(src == NULL);
    DN_EXPECT(strstr(err.msg, "/nonexistent/v.mp4") != NULL);
}

/* Two damaged packets of 60, with 5% allowed: the video decodes, the
 * damage is counted, and the frames it spoiled come out flagged. One
 * decode thread: with frame threads, whether damage surfaces as a flagged
 * frame or a failed one depends on timing. */
DN_TEST(a_few_corrupt_packets_are_survived)
{
    struct dn_media_options opt;
    struct dn_media_stats st;
    struct dn_media *m;
    const struct dn_frame *f;
    struct dn_err err = {0};
    long frames = 0, flagged = 0;
    SKIP_WITHOUT("corrupt_few.mp4");
    dn_tm_options(&opt);
    opt.threads = 1;
    DN_CHECK_OK(dn_tm_open("corrupt_few.mp4", &opt, &m, &err), &err);
    while (!dn_media_next_frame(m, &f, &err) && f) {
        frames++;
        flagged += f->corrupt;
    }
    dn_media_stats(m, &st);
    dn_media_close(m);
    DN_EXPECT_INT(err.cls, DN_ERR_NONE);
    DN_EXPECT(st.corrupt >= 1 && st.corrupt <= 3);
    DN_EXPECT(flagged >= 1 && flagged <= st.corrupt);
    DN_EXPECT(frames >= 55);
    DN_EXPECT_INT(st.packets, 60);
    /* With frame threads the damage is survived all the same. */
    opt.threads = 2;
    DN_CHECK_OK(dn_tm_decode_all("corrupt_few.mp4", &opt, &frames, &st, &err), &err);
    DN_EXPECT(st.corrupt >= 1 && st.corrupt <= 3 && frames >= 55);
    /* The same file fails when no corruption is tolerated. */
    opt.max_corrupt_share = 0;
    s_expect_failure("corrupt_few.mp4", &opt, DN_ERR_BAD_INPUT, "DANCER_MAX_CORRUPT_PCT");
}

DN_TEST(resolution_limit)
{
    struct dn_media_options opt;
    dn_tm_options(&opt);
    opt.max_width = 160;
    s_expect_failure("h264_moovend.mp4", &opt, DN_ERR_UNSUPPORTED, "DANCER_MAX_WIDTH");
    dn_tm_options(&opt);
    opt.max_height = 200;
    s_expect_failure("h264_moovend.mp4", &opt, DN_ERR_UNSUPPORTED, "320x240 exceeds");
}

DN_TEST(duration_limit)
{
    struct dn_media_options opt;
    dn_tm_options(&opt);
    opt.max_duration_s = 1.5;
    s_expect_failure("h264_moovend.mp4", &opt, DN_ERR_UNSUPPORTED, "DANCER_MAX_DURATION_S");
}

DN_TEST(object_size_limit)
{
    struct dn_media_options opt;
    dn_tm_options(&opt);
    opt.max_object_bytes = 1000;
    s_expect_failure("h264_moovend.mp4", &opt, DN_ERR_UNSUPPORTED, "DANCER_MAX_OBJECT_MB");
}

DN_TEST(gpu_forced_without_gpu)
{
    struct dn_device_info info;
    struct dn_media_options opt;
    dn_device_probe(&info);
    if (info.usable)
        DN_SKIP("a GPU is present: bench/gpu-check.sh covers NVDEC");
    dn_tm_options(&opt);
    opt.decoder = DN_DEVICE_GPU;
    s_expect_failure("h264_moovend.mp4", &opt, DN_ERR_UNSUPPORTED, "GPU requested");
}

/* ---- sources that fail part-way ----------------------------------------- */

/* Opens `name` through a fault source with small uncached-ahead blocks (so
 * reads keep reaching the source during decode) and decodes to the end. */
static int s_decode_faulty(const char *name, const struct dn_fault_options *faults,
                           struct dn_media_options *opt, struct dn_fault_stats *fst,
                           long *frames, struct dn_err *err)
{
    struct dn_byte_source *file, *src;
    struct dn_media *m = NULL;
    const struct dn_frame *f;
    int rc = dn_byte_source_file_new(dn_tm_video(name), &file, err);
    if (!rc)
        rc = dn_byte_source_fault_new(file, faults, fst, &src, err);
    if (!rc)
        rc = dn_media_open(src, opt, &m, err);
    *frames = 0;
    while (!rc && !(rc = dn_media_next_frame(m, &f, err)) && f)
        (*frames)++;
    dn_media_close(m);
    return rc;
}

static void s_small_blocks(struct dn_media_options *opt)
{
    dn_tm_options(opt);
    opt->block_bytes = 4096;
    opt->cache_blocks = 2;
    opt->whole_object_bytes = 0;
    opt->read_ahead = false;
}

DN_TEST(read_error_mid_stream_is_a_network_error)
{
    struct dn_media_options opt;
    struct dn_fault_stats fst;
    struct dn_err err = {0};
    long frames;
    SKIP_WITHOUT("long.mp4");
    struct dn_fault_options faults = {.fail_at = dn_tm_size("long.mp4") * 7 / 10, .fail_len = 1};
    s_small_blocks(&opt);
    int rc = s_decode_faulty("long.mp4", &faults, &opt, &fst, &frames, &err);
    DN_EXPECT_INT(rc, DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(err.msg, "injected") != NULL);
    DN_EXPECT(frames > 0 && frames < 120); /* it failed mid-stream, not at open */
    DN_EXPECT(fst.faults >= 1);
}

DN_TEST(object_changed_mid_stream_is_a_conflict)
{
    struct dn_media_options opt;
    struct dn_err err = {0};
    long frames;
    SKIP_WITHOUT("long.mp4");
    struct dn_fault_options faults = {.change_after_bytes = dn_tm_size("long.mp4") * 6 / 10};
    s_small_blocks(&opt);
    DN_EXPECT_INT(s_decode_faulty("long.mp4", &faults, &opt, NULL, &frames, &err),
                  DN_E(DN_ERR_CONFLICT));
    DN_EXPECT(strstr(err.msg, "ETag") != NULL);
    DN_EXPECT(frames > 0);
}

DN_TEST(object_deleted_mid_stream_is_not_found)
{
    struct dn_media_options opt;
    struct dn_err err = {0};
    long frames;
    SKIP_WITHOUT("long.mp4");
    struct dn_fault_options faults = {.change_after_bytes = dn_tm_size("long.mp4") * 6 / 10,
                                      .delete_instead = true};
    s_small_blocks(&opt);
    DN_EXPECT_INT(s_decode_faulty("long.mp4", &faults, &opt, NULL, &frames, &err),
                  DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(strstr(err.msg, "deleted") != NULL);
}

DN_TEST(local_file_rewritten_mid_stream_is_a_conflict)
{
    struct dn_media_options opt;
    struct dn_byte_source *src;
    struct dn_media *m;
    const struct dn_frame *f;
    struct dn_err err = {0};
    char path[1200], cmd[2600];
    SKIP_WITHOUT("long.mp4");
    snprintf(path, sizeof(path), "%s/copy.mp4", dn_test_tmp_dir());
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", dn_tm_video("long.mp4"), path);
    DN_CHECK(system(cmd) == 0);
    s_small_blocks(&opt);
    DN_CHECK_OK(dn_byte_source_file_new(path, &src, &err), &err);
    DN_CHECK_OK(dn_media_open(src, &opt, &m, &err), &err);
    DN_CHECK_OK(dn_media_next_frame(m, &f, &err), &err);
    struct timespec later[2] = {{.tv_sec = 1}, {.tv_sec = 1}}; /* a new mtime: a new version */
    DN_CHECK(utimensat(AT_FDCWD, path, later, 0) == 0);
    int rc;
    while (!(rc = dn_media_next_frame(m, &f, &err)) && f)
        ;
    DN_EXPECT_INT(rc, DN_E(DN_ERR_CONFLICT));
    DN_EXPECT(strstr(err.msg, "changed while being read") != NULL);
    /* After a failure the media only closes. */
    DN_EXPECT_INT(dn_media_next_frame(m, &f, &err), DN_E(DN_ERR_INTERNAL));
    dn_media_close(m);
}

DN_TEST(cancel_before_open)
{
    struct dn_media_options opt;
    atomic_int cancel = 1;
    dn_tm_options(&opt);
    opt.cancel = &cancel;
    s_expect_failure("h264_moovend.mp4", &opt, DN_ERR_CANCELLED, "cancelled");
}

DN_TEST(cancel_mid_stream)
{
    struct dn_media_options opt;
    struct dn_media *m;
    const struct dn_frame *f;
    struct dn_err err = {0};
    atomic_int cancel = 0;
    SKIP_WITHOUT("long.mp4");
    s_small_blocks(&opt);
    opt.cancel = &cancel;
    DN_CHECK_OK(dn_tm_open("long.mp4", &opt, &m, &err), &err);
    for (int i = 0; i < 5; i++)
        DN_CHECK_OK(dn_media_next_frame(m, &f, &err), &err);
    atomic_store(&cancel, 1);
    int rc;
    while (!(rc = dn_media_next_frame(m, &f, &err)) && f)
        ;
    DN_EXPECT_INT(rc, DN_E(DN_ERR_CANCELLED));
    dn_media_close(m);
}

DN_TEST(deadline_passed)
{
    struct dn_media_options opt;
    dn_tm_options(&opt);
    opt.deadline_ms = dn_media_now_ms() - 1;
    s_expect_failure("h264_moovend.mp4", &opt, DN_ERR_NETWORK, "deadline");
}

DN_TEST(deadline_during_slow_reads)
{
    struct dn_media_options opt;
    struct dn_fault_options faults = {.delay_us = 20000}; /* 20 ms per 4 KiB read */
    struct dn_err err = {0};
    long frames;
    SKIP_WITHOUT("h264_faststart.mp4");
    s_small_blocks(&opt);
    opt.deadline_ms = dn_media_now_ms() + 100; /* the file needs ~19 reads: ~380 ms */
    DN_EXPECT_INT(s_decode_faulty("h264_faststart.mp4", &faults, &opt, NULL, &frames, &err),
                  DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(err.msg, "deadline") != NULL);
}
