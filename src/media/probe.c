/* probe.c — what the container says about the video (struct dn_video_info),
 * whether we take it (codec, pixel format, limits, truncation), and, when
 * libavformat cannot open it at all, why. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

#include "media_internal.h"

const char *dn_media_averror(int averror, char *buf, size_t len)
{
    if (av_strerror(averror, buf, len) < 0)
        snprintf(buf, len, "error %d", averror);
    return buf;
}

static double s_q2d(AVRational q)
{
    return q.den ? av_q2d(q) : 0.0;
}

static const int32_t *s_display_matrix(AVStream *st)
{
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
    const AVPacketSideData *sd = av_packet_side_data_get(
        st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
    return sd && sd->size >= 9 * sizeof(int32_t) ? (const int32_t *)sd->data : NULL;
#else
    size_t size = 0;
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    return m && size >= 9 * sizeof(int32_t) ? (const int32_t *)m : NULL;
#endif
}

/* Clockwise degrees a viewer turns the stored frame. av_display_rotation_get
 * gives the matrix's counter-clockwise angle, so the viewer's turn is its
 * negative — what ffmpeg's own autorotate does (cmdutils get_rotation), and
 * checked in test_media against ffmpeg's autorotated pixels. */
static int s_rotation(AVStream *st)
{
    const int32_t *m = s_display_matrix(st);
    if (!m)
        return 0;
    double ccw = av_display_rotation_get(m);
    if (isnan(ccw))
        return 0;
    long quarter = lround(-ccw / 90.0);
    return (int)(((quarter % 4) + 4) % 4) * 90;
}

/* Variable frame rate from the sample table: the frame durations of a
 * constant-rate video agree to the timescale's rounding (a 29.97 fps phone
 * video in timescale 600 has 20s and 21s), those of a variable one differ by
 * far more. 10% separates the two. Without an index (not MP4), fall back to
 * average vs base rate. */
static bool s_is_vfr(AVStream *st)
{
    int n = avformat_index_get_entries_count(st);
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 1; i < n; i++) {
        const AVIndexEntry *a = avformat_index_get_entry(st, i - 1);
        const AVIndexEntry *b = avformat_index_get_entry(st, i);
        int64_t d = b->timestamp - a->timestamp;
        if (d <= 0)
            continue;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    if (hi > 0)
        return (double)hi > 1.1 * (double)lo;
    double avg = s_q2d(st->avg_frame_rate), real = s_q2d(st->r_frame_rate);
    return avg > 0 && real > 0 && fabs(avg - real) > 0.01 * real;
}

static double s_duration(AVFormatContext *fmt, AVStream *st)
{
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        return (double)st->duration * s_q2d(st->time_base);
    if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
        return (double)fmt->duration / AV_TIME_BASE;
    return 0.0;
}

void dn_media_probe_fill(AVFormatContext *fmt, AVStream *st, struct dn_video_info *info)
{
    const AVCodecParameters *par = st->codecpar;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get((enum AVPixelFormat)par->format);
    const char *profile = avcodec_profile_name(par->codec_id, par->profile);
    info->width = par->width;
    info->height = par->height;
    info->rotation_deg = s_rotation(st);
    bool turned = info->rotation_deg == 90 || info->rotation_deg == 270;
    info->display_width = turned ? par->height : par->width;
    info->display_height = turned ? par->width : par->height;
    info->duration_s = s_duration(fmt, st);
    info->avg_fps = s_q2d(st->avg_frame_rate);
    info->real_fps = s_q2d(st->r_frame_rate);
    info->vfr = s_is_vfr(st);
    snprintf(info->codec, sizeof(info->codec), "%s", avcodec_get_name(par->codec_id));
    snprintf(info->profile, sizeof(info->profile), "%s", profile ? profile : "");
    snprintf(info->pix_fmt, sizeof(info->pix_fmt), "%s", desc ? desc->name : "unknown");
    info->bit_depth = desc ? desc->comp[0].depth : 0;
    info->bit_rate = par->bit_rate > 0 ? par->bit_rate : (fmt->bit_rate > 0 ? fmt->bit_rate : 0);
    info->frames = st->nb_frames > 0 ? st->nb_frames : avformat_index_get_entries_count(st);
    snprintf(info->container, sizeof(info->container), "%s", fmt->iformat->name);
}

/* The largest byte offset the video's sample table points at: beyond the
 * object's end means the upload was cut short (moov written first, mdat
 * incomplete). 0 without an index. */
static uint64_t s_index_end(AVStream *st)
{
    uint64_t end = 0;
    int n = avformat_index_get_entries_count(st);
    for (int i = 0; i < n; i++) {
        const AVIndexEntry *e = avformat_index_get_entry(st, i);
        uint64_t last = (uint64_t)e->pos + (uint64_t)e->size;
        end = e->pos >= 0 && last > end ? last : end;
    }
    return end;
}

static bool s_pix_fmt_ok(enum AVPixelFormat f)
{
    return f == AV_PIX_FMT_YUV420P || f == AV_PIX_FMT_YUVJ420P || f == AV_PIX_FMT_YUV420P10LE;
}

int dn_media_probe_check(AVFormatContext *fmt, AVStream *st, const struct dn_video_info *info,
                         const struct dn_media_options *opt, struct dn_err *err)
{
    const AVCodecParameters *par = st->codecpar;
    (void)fmt;
    if (par->codec_id != AV_CODEC_ID_H264 && par->codec_id != AV_CODEC_ID_HEVC)
        return dn_err_set(err, DN_ERR_UNSUPPORTED,
                          "unsupported codec %s: only H.264 and HEVC videos are analysed",
                          info->codec);
    if (par->width <= 0 || par->height <= 0)
        return dn_err_set(err, DN_ERR_BAD_INPUT,
                          "corrupt video: the %s stream has no frame size", info->codec);
    if (par->format != AV_PIX_FMT_NONE && !s_pix_fmt_ok((enum AVPixelFormat)par->format))
        return dn_err_set(err, DN_ERR_UNSUPPORTED,
                          "unsupported pixel format %s: only 8- and 10-bit 4:2:0 is analysed",
                          info->pix_fmt);
    if (par->width > opt->max_width || par->height > opt->max_height)
        return dn_err_set(err, DN_ERR_UNSUPPORTED,
                          "resolution %dx%d exceeds the limit %dx%d (DANCER_MAX_WIDTH, "
                          "DANCER_MAX_HEIGHT)",
                          par->width, par->height, opt->max_width, opt->max_height);
    if (info->duration_s > opt->max_duration_s)
        return dn_err_set(err, DN_ERR_UNSUPPORTED,
                          "duration %.1f s exceeds the limit of %.0f s (DANCER_MAX_DURATION_S)",
                          info->duration_s, opt->max_duration_s);
    uint64_t end = s_index_end(st);
    if (end > info->size_bytes)
        return dn_err_set(err, DN_ERR_BAD_INPUT,
                          "truncated video: its index refers to bytes up to %llu but the object "
                          "has %llu (the upload or recording was cut short)",
                          (unsigned long long)end, (unsigned long long)info->size_bytes);
    return 0;
}

/* ---- why libavformat could not open it ----------------------------------- */

static bool s_is_box_type(const uint8_t *t)
{
    static const char *const known[] = {"ftyp", "moov", "mdat", "free", "skip", "wide", "pnot",
                                        "uuid", "meta", "styp", "sidx", "moof"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (!memcmp(t, known[i], 4))
            return true;
    return false;
}

struct s_boxes {
    bool moov, mdat;
    bool cut;                 /* a box runs past the end of the object */
    char cut_type[5];
    uint64_t cut_claims;      /* where that box says it ends */
};

/* Walks the top-level ISO BMFF boxes: 8-byte headers, sizes chained, so
 * only a few bytes per box are read however big the mdat is. */
static int s_walk_boxes(struct dn_media_cache *c, uint64_t size, struct s_boxes *b,
                        struct dn_err *err)
{
    uint64_t at = 0;
    for (int n = 0; at + 8 <= size && n < 10000; n++) {
        uint8_t h[16];
        size_t got;
        int rc = dn_media_cache_read(c, at, h, size - at >= 16 ? 16 : 8, &got, err);
        if (rc)
            return rc;
        uint64_t len = (uint64_t)h[0] << 24 | (uint64_t)h[1] << 16 | (uint64_t)h[2] << 8 | h[3];
        if (len == 1 && got == 16) { /* 64-bit "largesize" follows the type */
            len = 0;
            for (int i = 8; i < 16; i++)
                len = len << 8 | h[i];
        } else if (len == 0) { /* "to the end of the file" */
            len = size - at;
        }
        if (len < 8 || !s_is_box_type(h + 4))
            break;
        b->moov |= !memcmp(h + 4, "moov", 4);
        b->mdat |= !memcmp(h + 4, "mdat", 4);
        if (at + len > size) {
            b->cut = true;
            memcpy(b->cut_type, h + 4, 4);
            b->cut_claims = at + len;
            break;
        }
        at += len;
    }
    return 0;
}

int dn_media_probe_diagnose(struct dn_media_cache *c, uint64_t size, int averror,
                            struct dn_err *err)
{
    uint8_t head[12] = {0};
    size_t got = 0;
    char why[128];
    int rc = dn_media_cache_read(c, 0, head, sizeof(head), &got, err);
    if (rc)
        return rc;
    dn_media_averror(averror, why, sizeof(why));
    if (got < 8 || !s_is_box_type(head + 4)) {
        if (got >= 4 && !memcmp(head, "\x1a\x45\xdf\xa3", 4))
            return dn_err_set(err, DN_ERR_BAD_INPUT, "corrupt Matroska/WebM file (%s)", why);
        return dn_err_set(err, DN_ERR_BAD_INPUT,
                          "not a video: no MP4/MOV or Matroska header (first bytes %02x %02x %02x "
                          "%02x %02x %02x %02x %02x)",
                          head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7]);
    }
    struct s_boxes b = {0};
    if ((rc = s_walk_boxes(c, size, &b, err)))
        return rc;
    if (!b.moov && b.cut)
        return dn_err_set(err, DN_ERR_BAD_INPUT,
                          "no moov atom: the file ends at %llu bytes inside its %s box, which "
                          "claims %llu (a recording or upload that did not finish)",
                          (unsigned long long)size, b.cut_type, (unsigned long long)b.cut_claims);
    if (!b.moov)
        return dn_err_set(err, DN_ERR_BAD_INPUT,
                          "no moov atom: the MP4 has no movie header, so its frames cannot be "
                          "located");
    if (b.cut)
        return dn_err_set(err, DN_ERR_BAD_INPUT,
                          "truncated video: its %s box claims %llu bytes but the object has %llu",
                          b.cut_type, (unsigned long long)b.cut_claims, (unsigned long long)size);
    return dn_err_set(err, DN_ERR_BAD_INPUT, "corrupt MP4: libavformat cannot read it (%s)", why);
}
