/* test_media.c — probe and CPU decode of the generated video set, checked
 * against ffprobe (fields, frame count, timestamps) and against ffmpeg's own
 * decode (pixels, bit-exact: the same libavcodec decoders). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "dancer/config.h"
#include "media_util.h"
#include "test.h"

#define SKIP_WITHOUT(name)                                            \
    do {                                                              \
        if (!dn_tm_video(name))                                       \
            DN_SKIP("generated videos missing (media_videos fixture)"); \
    } while (0)

static const cJSON *s_stream(const cJSON *probe)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(probe, "streams"), 0);
}

static const char *s_str(const cJSON *obj, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The clockwise turn a viewer applies, from ffprobe's display-matrix
 * rotation (counter-clockwise degrees). */
static int s_ffprobe_rotation(const cJSON *st)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(st, "side_data_list"), *sd;
    cJSON_ArrayForEach(sd, list) {
        double r = dn_tm_number(sd, "rotation");
        if (!isnan(r))
            return (int)(((lround(-r) % 360) + 360) % 360);
    }
    return 0;
}

static void s_check_probe(const char *name)
{
    struct dn_media_options opt;
    struct dn_media *m;
    struct dn_err err = {0};
    SKIP_WITHOUT(name);
    cJSON *probe = dn_tm_ffprobe(dn_tm_video(name),
                                 "stream=codec_name,profile,pix_fmt,width,height,avg_frame_rate,"
                                 "r_frame_rate,duration,nb_frames,bit_rate:stream_side_data");
    DN_CHECK(probe);
    const cJSON *st = s_stream(probe);
    dn_tm_options(&opt);
    DN_CHECK_OK(dn_tm_open(name, &opt, &m, &err), &err);
    const struct dn_video_info *vi = dn_media_info(m);
    DN_EXPECT_STR(vi->codec, s_str(st, "codec_name"));
    DN_EXPECT_STR(vi->profile, s_str(st, "profile"));
    DN_EXPECT_STR(vi->pix_fmt, s_str(st, "pix_fmt"));
    DN_EXPECT_INT(vi->width, dn_tm_number(st, "width"));
    DN_EXPECT_INT(vi->height, dn_tm_number(st, "height"));
    DN_EXPECT_NEAR(vi->avg_fps, dn_tm_number(st, "avg_frame_rate"), 1e-9);
    DN_EXPECT_NEAR(vi->real_fps, dn_tm_number(st, "r_frame_rate"), 1e-9);
    DN_EXPECT_NEAR(vi->duration_s, dn_tm_number(st, "duration"), 1e-6);
    DN_EXPECT_INT(vi->frames, dn_tm_number(st, "nb_frames"));
    DN_EXPECT_INT(vi->bit_rate, dn_tm_number(st, "bit_rate"));
    DN_EXPECT_INT(vi->rotation_deg, s_ffprobe_rotation(st));
    DN_EXPECT_INT(vi->bit_depth, strstr(vi->pix_fmt, "10") ? 10 : 8);
    DN_EXPECT(strstr(vi->container, "mp4") != NULL);
    DN_EXPECT(vi->etag[0] != '\0');
    dn_media_close(m);
    cJSON_Delete(probe);
}

DN_TEST(probe_h264_moov_at_end) { s_check_probe("h264_moovend.mp4"); }
DN_TEST(probe_h264_faststart) { s_check_probe("h264_faststart.mp4"); }
DN_TEST(probe_hevc) { s_check_probe("hevc.mp4"); }
DN_TEST(probe_hevc_10bit) { s_check_probe("hevc10.mp4"); }
DN_TEST(probe_h264_10bit) { s_check_probe("h264_10bit.mp4"); }
DN_TEST(probe_60fps_cropped) { s_check_probe("fps60.mp4"); }
DN_TEST(probe_vfr) { s_check_probe("vfr.mp4"); }
DN_TEST(probe_rotation_90) { s_check_probe("rotate_tag90.mp4"); }
DN_TEST(probe_rotation_180) { s_check_probe("rotate_tag180.mp4"); }
DN_TEST(probe_rotation_270) { s_check_probe("rotate_tag270.mp4"); }

DN_TEST(vfr_is_detected)
{
    struct dn_media_options opt;
    struct dn_media *m;
    struct dn_err err = {0};
    static const char *const cfr[] = {"h264_moovend.mp4", "hevc.mp4", "fps60.mp4", "fps120.mp4"};
    SKIP_WITHOUT("vfr.mp4");
    dn_tm_options(&opt);
    DN_CHECK_OK(dn_tm_open("vfr.mp4", &opt, &m, &err), &err);
    DN_EXPECT(dn_media_info(m)->vfr);
    dn_media_close(m);
    for (size_t i = 0; i < sizeof(cfr) / sizeof(cfr[0]); i++) {
        DN_CHECK_OK(dn_tm_open(cfr[i], &opt, &m, &err), &err);
        if (dn_media_info(m)->vfr)
            dn_test_fail(__FILE__, __LINE__, "%s reported as VFR", cfr[i]);
        dn_media_close(m);
    }
}

/* Compares `rows` rows of `bytes` bytes of one plane with the reference's
 * packed rows; returns false on the first difference. */
static bool s_plane_equal(const uint8_t *plane, size_t pitch, const unsigned char *ref,
                          size_t bytes, int rows)
{
    for (int y = 0; y < rows; y++)
        if (memcmp(plane + (size_t)y * pitch, ref + (size_t)y * bytes, bytes))
            return false;
    return true;
}

/* Frame bytes of the reference: ffmpeg's rawvideo in the source's own
 * pixel format, so no conversion stands between the two decodes. */
static size_t s_frame_bytes(const struct dn_frame *f)
{
    size_t bps = (size_t)dn_pixel_format_bytes(f->format);
    size_t cw = (size_t)(f->width + 1) / 2, ch = (size_t)(f->height + 1) / 2;
    return bps * ((size_t)f->width * (size_t)f->height + 2 * cw * ch);
}

static bool s_frame_equal(const struct dn_frame *f, const unsigned char *ref)
{
    size_t bps = (size_t)dn_pixel_format_bytes(f->format);
    size_t w = (size_t)f->width, cw = (size_t)(f->width + 1) / 2;
    int ch = (f->height + 1) / 2;
    const unsigned char *u = ref + bps * w * (size_t)f->height;
    const unsigned char *v = u + bps * cw * (size_t)ch;
    return s_plane_equal(f->planes[0], f->pitch[0], ref, bps * w, f->height) &&
           s_plane_equal(f->planes[1], f->pitch[1], u, bps * cw, ch) &&
           s_plane_equal(f->planes[2], f->pitch[2], v, bps * cw, ch);
}

static void s_check_decode(const char *name)
{
    struct dn_media_options opt;
    struct dn_media *m;
    struct dn_err err = {0};
    const struct dn_frame *f;
    char cmd[2048];
    size_t ref_len = 0, at = 0;
    SKIP_WITHOUT(name);
    const char *path = dn_tm_video(name);
    cJSON *probe = dn_tm_ffprobe(path, "stream=start_time,pix_fmt:frame=best_effort_timestamp_time");
    DN_CHECK(probe);
    const cJSON *frames = cJSON_GetObjectItemCaseSensitive(probe, "frames");
    double start = dn_tm_number(s_stream(probe), "start_time");
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -v error -nostdin -noautorotate -i '%s' -map 0:v:0 -fps_mode passthrough "
             "-f rawvideo -pix_fmt %s -",
             path, s_str(s_stream(probe), "pix_fmt"));
    unsigned char *ref = dn_tm_run(cmd, &ref_len);
    DN_CHECK(ref);
    dn_tm_options(&opt);
    DN_CHECK_OK(dn_tm_open(name, &opt, &m, &err), &err);
    int n = 0;
    while (!dn_media_next_frame(m, &f, &err) && f) {
        double want_t = dn_tm_number(cJSON_GetArrayItem(frames, n), "best_effort_timestamp_time");
        DN_EXPECT_NEAR(f->pts_s, want_t - start, 1e-6);
        DN_EXPECT_INT(f->index, n);
        DN_EXPECT(!f->on_device);
        if (at + s_frame_bytes(f) > ref_len || !s_frame_equal(f, ref + at)) {
            dn_test_fail(__FILE__, __LINE__, "%s: frame %d differs from ffmpeg's", name, n);
            break;
        }
        at += s_frame_bytes(f);
        n++;
    }
    DN_EXPECT_INT(err.cls, DN_ERR_NONE);
    DN_EXPECT_INT(n, cJSON_GetArraySize(frames));
    DN_EXPECT_INT(at, ref_len);
    dn_media_close(m);
    free(ref);
    cJSON_Delete(probe);
}

DN_TEST(decode_h264_moov_at_end) { s_check_decode("h264_moovend.mp4"); }
DN_TEST(decode_h264_faststart) { s_check_decode("h264_faststart.mp4"); }
DN_TEST(decode_hevc) { s_check_decode("hevc.mp4"); }
DN_TEST(decode_hevc_10bit) { s_check_decode("hevc10.mp4"); }
DN_TEST(decode_h264_10bit) { s_check_decode("h264_10bit.mp4"); }
DN_TEST(decode_h264_full_range) { s_check_decode("h264_fullrange.mp4"); }
DN_TEST(decode_60fps_cropped) { s_check_decode("fps60.mp4"); }
DN_TEST(decode_vfr) { s_check_decode("vfr.mp4"); }
DN_TEST(decode_rotated) { s_check_decode("rotate_tag90.mp4"); }

DN_TEST(frame_formats)
{
    static const struct {
        const char *name;
        enum dn_pixel_format format;
        bool full_range;
        int width, height;
    } cases[] = {
        {"h264_moovend.mp4", DN_PIX_YUV420P, false, 320, 240},
        {"hevc10.mp4", DN_PIX_YUV420P10, false, 320, 240},
        {"h264_fullrange.mp4", DN_PIX_YUV420P, true, 320, 240},
        {"fps60.mp4", DN_PIX_YUV420P, false, 320, 180},
    };
    struct dn_media_options opt;
    struct dn_err err = {0};
    SKIP_WITHOUT("hevc10.mp4");
    dn_tm_options(&opt);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dn_media *m;
        const struct dn_frame *f;
        DN_CHECK_OK(dn_tm_open(cases[i].name, &opt, &m, &err), &err);
        DN_CHECK_OK(dn_media_next_frame(m, &f, &err), &err);
        DN_CHECK(f);
        DN_EXPECT_INT(f->format, cases[i].format);
        DN_EXPECT_INT(f->full_range, cases[i].full_range);
        DN_EXPECT_INT(f->width, cases[i].width);
        DN_EXPECT_INT(f->height, cases[i].height);
        DN_EXPECT_INT(f->nb_planes, 3);
        DN_EXPECT(f->pitch[0] >= (size_t)f->width * (size_t)dn_pixel_format_bytes(f->format));
        DN_EXPECT(!dn_media_on_gpu(m));
        DN_EXPECT(dn_media_stream(m) == NULL);
        dn_media_close(m);
    }
}

/* Turns a w x h luma plane clockwise by `deg` into out (packed). */
static void s_rotate(const uint8_t *in, size_t pitch, int w, int h, int deg, uint8_t *out)
{
    int ow = deg == 90 || deg == 270 ? h : w;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int ox = x, oy = y;
            if (deg == 90)
                ox = h - 1 - y, oy = x;
            else if (deg == 180)
                ox = w - 1 - x, oy = h - 1 - y;
            else if (deg == 270)
                ox = y, oy = w - 1 - x;
            out[(size_t)oy * (size_t)ow + (size_t)ox] = in[(size_t)y * pitch + (size_t)x];
        }
}

/* The rotation we report, applied to our first frame, must give exactly
 * the luma plane of ffmpeg's autorotated first frame: the sign check. */
static void s_check_rotation(const char *name, int expect_deg)
{
    struct dn_media_options opt;
    struct dn_media *m;
    struct dn_err err = {0};
    const struct dn_frame *f;
    char cmd[2048];
    size_t len = 0;
    SKIP_WITHOUT(name);
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -v error -nostdin -i '%s' -frames:v 1 -f rawvideo -pix_fmt yuv420p -",
             dn_tm_video(name));
    unsigned char *ref = dn_tm_run(cmd, &len);
    DN_CHECK(ref);
    dn_tm_options(&opt);
    DN_CHECK_OK(dn_tm_open(name, &opt, &m, &err), &err);
    DN_CHECK_OK(dn_media_next_frame(m, &f, &err), &err);
    DN_CHECK(f);
    DN_EXPECT_INT(f->rotation_deg, expect_deg);
    DN_EXPECT_INT(dn_media_info(m)->rotation_deg, expect_deg);
    size_t luma = (size_t)f->width * (size_t)f->height;
    uint8_t *turned = malloc(luma);
    s_rotate(f->planes[0], f->pitch[0], f->width, f->height, f->rotation_deg, turned);
    DN_EXPECT(len >= luma && !memcmp(turned, ref, luma));
    bool turned_sideways = expect_deg == 90 || expect_deg == 270;
    DN_EXPECT_INT(dn_media_info(m)->display_width, turned_sideways ? f->height : f->width);
    free(turned);
    free(ref);
    dn_media_close(m);
}

/* make_videos.sh's `rotate` tag R becomes a viewer turn of 360 - R. */
DN_TEST(rotation_matches_ffmpeg_autorotate_90) { s_check_rotation("rotate_tag270.mp4", 90); }
DN_TEST(rotation_matches_ffmpeg_autorotate_180) { s_check_rotation("rotate_tag180.mp4", 180); }
DN_TEST(rotation_matches_ffmpeg_autorotate_270) { s_check_rotation("rotate_tag90.mp4", 270); }
DN_TEST(rotation_none) { s_check_rotation("h264_moovend.mp4", 0); }

DN_TEST(subsample_120fps_to_60)
{
    struct dn_media_options opt;
    struct dn_media *m;
    struct dn_err err = {0};
    const struct dn_frame *f;
    struct dn_media_stats st;
    SKIP_WITHOUT("fps120.mp4");
    dn_tm_options(&opt);
    opt.analysis_fps = 60;
    DN_CHECK_OK(dn_tm_open("fps120.mp4", &opt, &m, &err), &err);
    int n = 0;
    double last = -1;
    while (!dn_media_next_frame(m, &f, &err) && f) {
        DN_EXPECT_INT(f->index, 2 * n);
        if (last >= 0)
            DN_EXPECT_NEAR(f->pts_s - last, 1.0 / 60, 1e-6);
        last = f->pts_s;
        n++;
    }
    dn_media_stats(m, &st);
    DN_EXPECT_INT(err.cls, DN_ERR_NONE);
    DN_EXPECT_INT(st.decoded, 120);
    DN_EXPECT_INT(st.delivered, 60);
    DN_EXPECT_INT(n, 60);
    dn_media_close(m);
}

DN_TEST(subsample_keeps_every_frame_up_to_the_rate)
{
    struct dn_media_options opt;
    long frames;
    struct dn_err err = {0};
    SKIP_WITHOUT("fps60.mp4");
    dn_media_options_init(&opt, NULL); /* default analysis rate: 60 */
    DN_EXPECT_INT(opt.analysis_fps, 60);
    DN_CHECK_OK(dn_tm_decode_all("fps60.mp4", &opt, &frames, NULL, &err), &err);
    DN_EXPECT_INT(frames, 60);
    DN_CHECK_OK(dn_tm_decode_all("vfr.mp4", &opt, &frames, NULL, &err), &err);
    DN_EXPECT_INT(frames, 60);
}

/* The VFR file runs at 30 fps for a second, then at about 15 (its
 * timestamps jitter): at 15 fps analysis the first second is halved, the
 * rest kept, and no two kept frames share a slot. */
DN_TEST(subsample_vfr_by_timestamps)
{
    struct dn_media_options opt;
    struct dn_media *m;
    const struct dn_frame *f;
    struct dn_err err = {0};
    SKIP_WITHOUT("vfr.mp4");
    dn_tm_options(&opt);
    opt.analysis_fps = 15;
    DN_CHECK_OK(dn_tm_open("vfr.mp4", &opt, &m, &err), &err);
    int n = 0, first_second = 0;
    double last = -1;
    while (!dn_media_next_frame(m, &f, &err) && f) {
        if (last >= 0 && f->pts_s - last < 0.5 / 15)
            dn_test_fail(__FILE__, __LINE__, "frames at %.4f and %.4f too close", last, f->pts_s);
        first_second += f->pts_s < 0.99;
        last = f->pts_s;
        n++;
    }
    DN_EXPECT_INT(err.cls, DN_ERR_NONE);
    DN_EXPECT_INT(first_second, 15);
    DN_EXPECT(n >= 40 && n <= 45);
    dn_media_close(m);
}

DN_TEST(options_follow_the_settings)
{
    struct dn_config cfg;
    struct dn_media_options opt;
    struct dn_err err = {0};
    dn_config_init(&cfg);
    DN_CHECK_OK(dn_config_set(&cfg, "DANCER_MAX_WIDTH", "1920", DN_CFG_ENV, &err), &err);
    DN_CHECK_OK(dn_config_set(&cfg, "DANCER_S3_BLOCK_BYTES", "1048576", DN_CFG_ENV, &err), &err);
    DN_CHECK_OK(dn_config_set(&cfg, "DANCER_MAX_CORRUPT_PCT", "10", DN_CFG_ENV, &err), &err);
    DN_CHECK_OK(dn_config_set(&cfg, "DANCER_MAX_OBJECT_MB", "2", DN_CFG_ENV, &err), &err);
    DN_CHECK_OK(dn_config_set(&cfg, "DANCER_DECODER", "cpu", DN_CFG_ENV, &err), &err);
    dn_media_options_init(&opt, &cfg);
    DN_EXPECT_INT(opt.max_width, 1920);
    DN_EXPECT_INT(opt.block_bytes, 1048576);
    DN_EXPECT_NEAR(opt.max_corrupt_share, 0.10, 1e-12);
    DN_EXPECT_INT(opt.max_object_bytes, 2u << 20);
    DN_EXPECT_INT(opt.decoder, DN_DEVICE_CPU);
    DN_EXPECT(opt.read_ahead);
}
