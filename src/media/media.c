/* media.c — open (probe + limits + decoder), the frame loop with
 * sub-sampling and corrupt-packet accounting, and close (see
 * include/dancer/media.h). Demuxing follows FFmpeg doc/examples/demux_decode.c
 * and avio_read_callback.c. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dancer/config.h"
#include "dancer/log.h"
#include "dancer/trace.h"
#include "media_internal.h"

/* Containers accepted: phones record MP4/MOV; Matroska is cheap to allow.
 * The whitelist also keeps playlist demuxers (HLS, concat), which would
 * open other URLs, away from uploaded bytes. */
#define S_FORMATS "mov,matroska"

struct dn_media {
    struct dn_byte_source *src;
    struct dn_media_options opt;
    struct dn_media_cache *cache;
    AVFormatContext *fmt;
    AVStream *st;
    struct dn_media_decoder *dec;
    AVPacket *pkt;
    struct dn_video_info info;
    struct dn_frame frame;
    struct dn_media_stats stats; /* decode counters; the cache keeps its own */
    struct dn_err stop_err;      /* why the interrupt callback stopped libavformat */
    int64_t last_slot;           /* sub-sampling: slot of the last kept frame */
    double last_pts_s;
    bool flushed, failed;
};

uint64_t dn_media_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct dn_config s_defaults;

static void s_defaults_init(void)
{
    dn_config_init(&s_defaults);
}

void dn_media_options_init(struct dn_media_options *opt, const struct dn_config *cfg)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (!cfg) {
        pthread_once(&once, s_defaults_init);
        cfg = &s_defaults;
    }
    memset(opt, 0, sizeof(*opt));
    opt->decoder = cfg->decoder;
    opt->threads = cfg->decode_threads;
    opt->analysis_fps = cfg->analysis_fps;
    opt->max_corrupt_share = cfg->max_corrupt_pct / 100.0;
    opt->max_width = cfg->max_width;
    opt->max_height = cfg->max_height;
    opt->max_duration_s = cfg->max_duration_s;
    opt->max_object_bytes = (uint64_t)cfg->max_object_mb << 20;
    opt->block_bytes = (size_t)cfg->s3_block_bytes;
    opt->cache_blocks = cfg->s3_cache_blocks;
    opt->whole_object_bytes = (size_t)cfg->s3_whole_object_bytes;
    opt->read_ahead = cfg->s3_read_ahead;
}

/* libav* messages go to our log at debug level: per-macroblock complaints
 * about a corrupt video would drown the JSON log, and we report our own
 * summary of what went wrong. */
static void s_av_log(void *avcl, int level, const char *fmt, va_list vl)
{
    static _Thread_local int prefix = 1;
    char line[1024];
    if (level > AV_LOG_WARNING)
        return;
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &prefix);
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0])
        dn_logf(DN_LOG_DEBUG, "libav: %s", line);
}

static void s_av_log_setup(void)
{
    av_log_set_callback(s_av_log);
}

/* Cancel flag and deadline: asked by the cache before every source read
 * and by libavformat through its interrupt callback. */
static int s_stop(void *user_data, struct dn_err *err)
{
    struct dn_media *m = user_data;
    if (m->opt.cancel && atomic_load(m->opt.cancel))
        return dn_err_set(err, DN_ERR_CANCELLED, "cancelled while reading the video (shutdown)");
    if (m->opt.deadline_ms && dn_media_now_ms() >= m->opt.deadline_ms)
        return dn_err_set(err, DN_ERR_NETWORK, "deadline passed while reading the video");
    return 0;
}

static int s_interrupt(void *opaque)
{
    struct dn_media *m = opaque;
    return s_stop(m, &m->stop_err) != 0;
}

/* After a libav* call failed: what really happened, when we know better
 * than its AVERROR (a source error, cancel, deadline). Returns 0 if not. */
static int s_known_cause(struct dn_media *m, struct dn_err *err)
{
    const struct dn_err *cause = m->cache ? dn_media_cache_error(m->cache) : NULL;
    if (cause && cause->cls != DN_ERR_NONE) {
        *err = *cause;
        return dn_err_code(err);
    }
    if (m->stop_err.cls != DN_ERR_NONE) {
        *err = m->stop_err;
        return dn_err_code(err);
    }
    return 0;
}

static int s_open_source(struct dn_media *m, struct dn_source_info *si, struct dn_err *err)
{
    int rc = dn_byte_source_stat(m->src, si, err);
    if (rc)
        return rc;
    m->info.size_bytes = si->size;
    snprintf(m->info.etag, sizeof(m->info.etag), "%s", si->etag);
    if (si->size == 0)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "empty object (0 bytes): not a video");
    if (si->size > m->opt.max_object_bytes)
        return dn_err_set(err, DN_ERR_UNSUPPORTED,
                          "object of %llu bytes exceeds the limit of %llu (DANCER_MAX_OBJECT_MB)",
                          (unsigned long long)si->size,
                          (unsigned long long)m->opt.max_object_bytes);
    struct dn_media_cache_options co = {m->opt.block_bytes, m->opt.cache_blocks,
                                        m->opt.whole_object_bytes, m->opt.read_ahead};
    return dn_media_cache_new(m->src, si->size, &co, s_stop, m, &m->cache, err);
}

static int s_open_input(struct dn_media *m, struct dn_err *err)
{
    AVDictionary *dict = NULL;
    char why[128];
    if (!(m->fmt = avformat_alloc_context()))
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    m->fmt->pb = dn_media_cache_avio(m->cache);
    m->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    m->fmt->interrupt_callback = (AVIOInterruptCB){s_interrupt, m};
    av_dict_set(&dict, "format_whitelist", S_FORMATS, 0);
    dn_trace_push("demux");
    int av = avformat_open_input(&m->fmt, NULL, NULL, &dict);
    av_dict_free(&dict);
    if (av >= 0 && (av = avformat_find_stream_info(m->fmt, NULL)) < 0 && !s_known_cause(m, err))
        dn_err_set(err, DN_ERR_BAD_INPUT, "cannot read the stream parameters: %s",
                   dn_media_averror(av, why, sizeof(why)));
    dn_trace_pop();
    if (av >= 0)
        return 0;
    if (!m->fmt) /* avformat_open_input freed it: nothing else to read */
        return s_known_cause(m, err) ? dn_err_code(err)
                                      : dn_media_probe_diagnose(m->cache, m->info.size_bytes, av, err);
    return dn_err_code(err);
}

static int s_select_stream(struct dn_media *m, struct dn_err *err)
{
    int index = av_find_best_stream(m->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (index < 0 || (m->fmt->streams[index]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
        char kinds[128] = "";
        for (unsigned i = 0; i < m->fmt->nb_streams && strlen(kinds) < 100; i++) {
            const char *kind = av_get_media_type_string(m->fmt->streams[i]->codecpar->codec_type);
            snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s", i ? ", " : "",
                     kind ? kind : "unknown");
        }
        return dn_err_set(err, DN_ERR_BAD_INPUT, "no video stream (streams: %s)",
                          kinds[0] ? kinds : "none");
    }
    m->st = m->fmt->streams[index];
    /* Only video packets are read: libavformat skips the rest of the mdat. */
    for (unsigned i = 0; i < m->fmt->nb_streams; i++)
        if ((int)i != index)
            m->fmt->streams[i]->discard = AVDISCARD_ALL;
    return 0;
}

/* Every message starts with the input's name, once: some sources (the S3
 * client) already put it there. */
static void s_name_input(const struct dn_byte_source *src, struct dn_err *err)
{
    const char *name = dn_byte_source_name(src);
    if (err && strncmp(err->msg, name, strlen(name)))
        dn_err_prefix(err, "%s: ", name);
}

int dn_media_open(struct dn_byte_source *src, const struct dn_media_options *opt,
                  struct dn_media **out, struct dn_err *err)
{
    static pthread_once_t log_once = PTHREAD_ONCE_INIT;
    struct dn_source_info si;
    int rc;
    *out = NULL;
    pthread_once(&log_once, s_av_log_setup);
    struct dn_media *m = calloc(1, sizeof(*m));
    if (!m) {
        dn_byte_source_destroy(src);
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    }
    m->src = src;
    m->opt = *opt;
    if ((rc = s_open_source(m, &si, err)) || (rc = s_open_input(m, err)) ||
        (rc = s_select_stream(m, err)))
        goto on_error;
    dn_media_probe_fill(m->fmt, m->st, &m->info);
    if ((rc = dn_media_probe_check(m->fmt, m->st, &m->info, &m->opt, err)) ||
        (rc = dn_media_decoder_new(m->st, &m->opt, &m->dec, err)))
        goto on_error;
    if (!(m->pkt = av_packet_alloc())) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
        goto on_error;
    }
    *out = m;
    return 0;
on_error:
    s_name_input(src, err);
    dn_media_close(m);
    return rc;
}

const struct dn_video_info *dn_media_info(const struct dn_media *m)
{
    return &m->info;
}

/* Fails the video once corrupt packets pass the configured share of all of
 * them (the container's frame count when known, else those seen so far). */
static int s_check_corrupt(struct dn_media *m, struct dn_err *err)
{
    int64_t total = m->info.frames > m->stats.packets ? m->info.frames : m->stats.packets;
    if ((double)m->stats.corrupt <= m->opt.max_corrupt_share * (double)total)
        return 0;
    return dn_err_set(err, DN_ERR_BAD_INPUT,
                      "too many corrupt packets: %lld of %lld (more than %.0f%%, "
                      "DANCER_MAX_CORRUPT_PCT)",
                      (long long)m->stats.corrupt, (long long)total,
                      m->opt.max_corrupt_share * 100.0);
}

static double s_pts(struct dn_media *m, const AVFrame *f)
{
    int64_t ts = f->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) /* no timestamp at all: one nominal frame after the last */
        return m->last_pts_s + (m->info.avg_fps > 0 ? 1.0 / m->info.avg_fps : 0.0);
    int64_t start = m->st->start_time != AV_NOPTS_VALUE ? m->st->start_time : 0;
    return (double)(ts - start) * av_q2d(m->st->time_base);
}

/* Sub-sampling to opt.analysis_fps by timestamps, so VFR input works: time
 * is cut into slots of one analysis period and the first frame of each new
 * slot is kept. Slots are absolute (no drift: 90 fps gives 60, not 45) and
 * a pause is not followed by a burst. Slot edges sit a quarter period early
 * so timestamp jitter of a video already at the analysis rate (phones: a
 * millisecond or two) never puts two frames in one slot. */
static bool s_keep(struct dn_media *m, double pts)
{
    if (m->opt.analysis_fps <= 0)
        return true;
    int64_t slot = (int64_t)floor(pts * m->opt.analysis_fps + 0.25);
    if (m->stats.delivered > 0 && slot <= m->last_slot)
        return false;
    m->last_slot = slot;
    return true;
}

/* One decoded frame: count it, and export it when sub-sampling keeps it. */
static int s_take(struct dn_media *m, AVFrame *f, bool corrupt, const struct dn_frame **frame,
                  struct dn_err *err)
{
    int64_t index = m->stats.decoded++;
    m->stats.corrupt += corrupt;
    int rc = corrupt ? s_check_corrupt(m, err) : 0;
    if (rc || !f)
        return rc;
    double pts = s_pts(m, f);
    m->last_pts_s = pts;
    if (!s_keep(m, pts))
        return 0;
    if ((rc = dn_media_decoder_export(m->dec, &m->frame, err)))
        return rc;
    m->frame.rotation_deg = m->info.rotation_deg;
    m->frame.pts_s = pts;
    m->frame.index = index;
    m->frame.corrupt = corrupt;
    m->stats.delivered++;
    *frame = &m->frame;
    return 0;
}

/* Reads the next video packet into the decoder (or flushes at the end). */
static int s_feed(struct dn_media *m, struct dn_err *err)
{
    char why[128];
    bool bad;
    int rc = s_stop(m, err);
    if (rc)
        return rc;
    dn_trace_push("demux");
    int av = av_read_frame(m->fmt, m->pkt);
    dn_trace_pop();
    if (av == AVERROR_EOF) {
        m->flushed = true;
        return dn_media_decoder_send(m->dec, NULL, &bad, err);
    }
    if (av < 0)
        return s_known_cause(m, err) ? dn_err_code(err)
                                      : dn_err_set(err, DN_ERR_BAD_INPUT, "cannot read packet: %s",
                                                   dn_media_averror(av, why, sizeof(why)));
    if (m->pkt->stream_index == m->st->index) {
        m->stats.packets++;
        rc = dn_media_decoder_send(m->dec, m->pkt, &bad, err);
        m->stats.corrupt += !rc && bad;
        if (!rc && bad)
            rc = s_check_corrupt(m, err);
    }
    av_packet_unref(m->pkt);
    return rc;
}

static int s_next(struct dn_media *m, const struct dn_frame **frame, struct dn_err *err)
{
    for (;;) {
        AVFrame *f;
        bool corrupt;
        int rc = dn_media_decoder_receive(m->dec, &f, &corrupt, err);
        if (!rc && (f || corrupt))
            rc = s_take(m, f, corrupt, frame, err);
        if (rc || *frame)
            return rc;
        if (f || corrupt) /* decoded but skipped: the decoder may have more */
            continue;
        if (m->flushed) /* drained after the flush: the end */
            break;
        if ((rc = s_feed(m, err)))
            return rc;
    }
    if (m->stats.decoded == 0)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "no frame could be decoded (%lld packets read)",
                          (long long)m->stats.packets);
    return s_check_corrupt(m, err);
}

int dn_media_next_frame(struct dn_media *m, const struct dn_frame **frame, struct dn_err *err)
{
    *frame = NULL;
    if (m->failed)
        return dn_err_set(err, DN_ERR_INTERNAL, "%s: read after an error",
                          dn_byte_source_name(m->src));
    int rc = s_next(m, frame, err);
    if (rc) {
        m->failed = true;
        *frame = NULL;
        s_name_input(m->src, err);
    }
    return rc;
}

bool dn_media_on_gpu(const struct dn_media *m)
{
    return dn_media_decoder_on_gpu(m->dec);
}

struct dn_stream *dn_media_stream(const struct dn_media *m)
{
    return dn_media_decoder_stream(m->dec);
}

void dn_media_stats(const struct dn_media *m, struct dn_media_stats *stats)
{
    *stats = m->stats;
    if (m->cache)
        dn_media_cache_stats(m->cache, stats);
}

void dn_media_close(struct dn_media *m)
{
    if (!m)
        return;
    av_packet_free(&m->pkt);
    dn_media_decoder_destroy(m->dec);
    avformat_close_input(&m->fmt); /* AVFMT_FLAG_CUSTOM_IO: leaves our AVIOContext alone */
    dn_media_cache_destroy(m->cache);
    dn_byte_source_destroy(m->src);
    free(m);
}

const char *dn_pixel_format_name(enum dn_pixel_format format)
{
    switch (format) {
    case DN_PIX_YUV420P: return "YUV420P";
    case DN_PIX_YUV420P10: return "YUV420P10";
    case DN_PIX_NV12: return "NV12";
    case DN_PIX_P010: return "P010";
    default: return "NONE";
    }
}

int dn_pixel_format_bytes(enum dn_pixel_format format)
{
    return format == DN_PIX_YUV420P10 || format == DN_PIX_P010 ? 2 : 1;
}
