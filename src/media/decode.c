/* decode.c — one video stream's decoder: NVDEC through libavcodec's native
 * h264/hevc decoders with the CUDA hwaccel (frames copied into our device
 * buffer and released at once), or the same decoders on the CPU with frame
 * threads. Follows FFmpeg doc/examples/hw_decode.c. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

#include "dancer/config.h"
#include "dancer/device.h"
#include "dancer/log.h"
#include "dancer/trace.h"
#include "media_internal.h"

/* Device buffer rows start at multiples of this (what cudaMallocPitch
 * would pick on current GPUs; keeps kernels' row loads aligned). */
#define S_PITCH_ALIGN 256

struct dn_media_decoder {
    AVCodecContext *ctx;
    AVFrame *frame;
    AVBufferRef *hw_device;
    bool gpu;          /* NVDEC configured */
    bool gpu_forced;   /* --decoder gpu: no silent CPU fallback */
    bool gpu_refused;  /* forced, and NVDEC cannot decode this stream */
    struct dn_stream *stream;
    bool own_stream;
    uint8_t *dev_buf;  /* our copy of the current NVDEC frame */
    size_t dev_pitch, dev_bytes;
};

/* "Said once in the log": a worker decodes thousands of videos and the
 * reason the GPU is not used does not change between them. */
static atomic_int s_said_no_gpu;

static void s_say_once(const char *fmt, const char *what)
{
    if (!atomic_exchange(&s_said_no_gpu, 1))
        dn_logf(DN_LOG_WARN, fmt, what);
}

static enum AVPixelFormat s_get_format(AVCodecContext *ctx, const enum AVPixelFormat *fmts)
{
    struct dn_media_decoder *d = ctx->opaque;
    const enum AVPixelFormat *p;
    for (p = fmts; *p != AV_PIX_FMT_NONE; p++)
        if (*p == AV_PIX_FMT_CUDA)
            return AV_PIX_FMT_CUDA;
    /* No CUDA in the list: its hwaccel failed to initialise (libnvcuvid
     * missing, profile NVDEC cannot do) and libavcodec asks again. */
    if (d->gpu_forced) {
        d->gpu_refused = true;
        return AV_PIX_FMT_NONE;
    }
    d->gpu = false;
    s_say_once("decode: NVDEC could not decode %s; decoding on the CPU",
               avcodec_get_name(ctx->codec_id));
    for (p = fmts; *p != AV_PIX_FMT_NONE; p++)
        if (!(av_pix_fmt_desc_get(*p)->flags & AV_PIX_FMT_FLAG_HWACCEL))
            return *p;
    return AV_PIX_FMT_NONE;
}

/* Whether to try NVDEC: the decoder setting, a usable GPU, and a stream
 * NVDEC decodes (its H.264 decoder is 8-bit 4:2:0 only). */
static int s_want_gpu(AVStream *st, const struct dn_media_options *opt, bool *gpu,
                      struct dn_err *err)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(st->codecpar->format);
    int rc = dn_device_select(opt->decoder, gpu, err);
    if (rc)
        return rc;
    if (!*gpu && opt->decoder == DN_DEVICE_AUTO) {
        struct dn_device_info info;
        dn_device_probe(&info);
        s_say_once("decode: no NVDEC (%s); decoding on the CPU", info.reason);
    }
    if (*gpu && st->codecpar->codec_id == AV_CODEC_ID_H264 && desc && desc->comp[0].depth > 8) {
        if (opt->decoder == DN_DEVICE_GPU)
            return dn_err_set(err, DN_ERR_UNSUPPORTED, "NVDEC cannot decode %d-bit H.264",
                              desc->comp[0].depth);
        *gpu = false;
    }
    return 0;
}

/* NVDEC set-up: our stream, FFmpeg's CUDA device on it, one thread (the
 * hardware is the parallelism). A failure in auto mode falls back to CPU. */
static int s_setup_gpu(struct dn_media_decoder *d, const struct dn_media_options *opt,
                       struct dn_err *err)
{
    int rc = 0;
    d->stream = opt->stream;
    if (!d->stream) {
        rc = dn_stream_new(&d->stream, err);
        d->own_stream = !rc;
    }
    if (!rc)
        rc = dn_device_av_hwdevice_new(d->stream, &d->hw_device, err);
    if (rc && !d->gpu_forced) {
        s_say_once("decode: NVDEC unavailable (%s); decoding on the CPU", err->msg);
        dn_err_clear(err);
        d->gpu = false;
        return 0;
    }
    if (rc)
        return rc;
    d->ctx->hw_device_ctx = av_buffer_ref(d->hw_device);
    if (!d->ctx->hw_device_ctx)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    d->ctx->get_format = s_get_format;
    d->ctx->opaque = d;
    d->ctx->thread_count = 1;
    return 0;
}

int dn_media_decoder_new(AVStream *st, const struct dn_media_options *opt,
                         struct dn_media_decoder **out, struct dn_err *err)
{
    char why[128];
    int rc, av;
    *out = NULL;
    struct dn_media_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    d->gpu_forced = opt->decoder == DN_DEVICE_GPU;
    /* The native decoders by name: the only ones with the CUDA hwaccel and
     * the ones `ffmpeg` uses, which the parity tests compare against. */
    const AVCodec *codec =
        avcodec_find_decoder_by_name(st->codecpar->codec_id == AV_CODEC_ID_H264 ? "h264" : "hevc");
    if (!codec) {
        rc = dn_err_set(err, DN_ERR_UNSUPPORTED, "this FFmpeg has no %s decoder",
                        avcodec_get_name(st->codecpar->codec_id));
        goto on_error;
    }
    d->ctx = avcodec_alloc_context3(codec);
    d->frame = av_frame_alloc();
    if (!d->ctx || !d->frame || avcodec_parameters_to_context(d->ctx, st->codecpar) < 0) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
        goto on_error;
    }
    d->ctx->pkt_timebase = st->time_base;
    d->ctx->thread_count = opt->threads; /* 0: libavcodec picks one per core */
    if ((rc = s_want_gpu(st, opt, &d->gpu, err)))
        goto on_error;
    if (d->gpu && (rc = s_setup_gpu(d, opt, err)))
        goto on_error;
    if ((av = avcodec_open2(d->ctx, codec, NULL)) < 0) {
        rc = dn_err_set(err, av == AVERROR(ENOMEM) ? DN_ERR_RESOURCE : DN_ERR_BAD_INPUT,
                        "cannot open the %s decoder: %s", codec->name,
                        dn_media_averror(av, why, sizeof(why)));
        goto on_error;
    }
    *out = d;
    return 0;
on_error:
    dn_media_decoder_destroy(d);
    return rc;
}

static int s_refused(struct dn_media_decoder *d, struct dn_err *err)
{
    return dn_err_set(err, DN_ERR_UNSUPPORTED, "NVDEC cannot decode this %s stream (%s)",
                      avcodec_get_name(d->ctx->codec_id),
                      avcodec_profile_name(d->ctx->codec_id, d->ctx->profile)
                          ? avcodec_profile_name(d->ctx->codec_id, d->ctx->profile)
                          : "unknown profile");
}

int dn_media_decoder_send(struct dn_media_decoder *d, const AVPacket *pkt, bool *bad,
                          struct dn_err *err)
{
    char why[128];
    *bad = false;
    dn_trace_push("decode");
    int av = avcodec_send_packet(d->ctx, pkt);
    dn_trace_pop();
    if (d->gpu_refused)
        return s_refused(d, err);
    if (av >= 0 || av == AVERROR_EOF) /* EOF: a second flush, harmless */
        return 0;
    if (av == AVERROR(ENOMEM))
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory while decoding");
    if (av == AVERROR(EAGAIN))
        return dn_err_set(err, DN_ERR_INTERNAL, "decoder full: frames were not drained");
    if (d->gpu && av != AVERROR_INVALIDDATA) /* a hardware failure is not the video's fault */
        return dn_err_set(err, d->gpu_forced ? DN_ERR_UNSUPPORTED : DN_ERR_INTERNAL,
                          "NVDEC decode failed: %s", dn_media_averror(av, why, sizeof(why)));
    *bad = true; /* invalid data: counted against max_corrupt_share by the caller */
    return 0;
}

int dn_media_decoder_receive(struct dn_media_decoder *d, AVFrame **frame, bool *corrupt,
                             struct dn_err *err)
{
    *frame = NULL;
    *corrupt = false;
    av_frame_unref(d->frame);
    dn_trace_push("decode");
    int av = avcodec_receive_frame(d->ctx, d->frame);
    dn_trace_pop();
    /* Expected states, not errors: the decoder wants input, or is drained. */
    if (av == AVERROR(EAGAIN) || av == AVERROR_EOF)
        return 0;
    if (av == AVERROR(ENOMEM))
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory while decoding");
    if (d->gpu_refused)
        return s_refused(d, err);
    if (av < 0) { /* with frame threads a bad packet surfaces here */
        *corrupt = true;
        return 0;
    }
    *corrupt = d->frame->decode_error_flags != 0 || (d->frame->flags & AV_FRAME_FLAG_CORRUPT);
    *frame = d->frame;
    return 0;
}

static void s_color(const AVFrame *f, struct dn_frame *out)
{
    out->full_range = f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P;
    switch (f->colorspace) {
    case AVCOL_SPC_BT709: out->matrix = DN_COLOR_BT709; break;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: out->matrix = DN_COLOR_BT2020; break;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: out->matrix = DN_COLOR_BT601; break;
    default: /* unspecified: the usual convention, HD is BT.709 */
        out->matrix = f->height >= 720 ? DN_COLOR_BT709 : DN_COLOR_BT601;
    }
}

static int s_export_host(const AVFrame *f, struct dn_frame *out, struct dn_err *err)
{
    switch (f->format) {
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_YUVJ420P: out->format = DN_PIX_YUV420P; break;
    case AV_PIX_FMT_YUV420P10LE: out->format = DN_PIX_YUV420P10; break;
    default:
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "decoder produced pixel format %s",
                          av_get_pix_fmt_name(f->format));
    }
    out->on_device = false;
    out->nb_planes = 3;
    for (int i = 0; i < 3; i++) {
        out->planes[i] = f->data[i];
        out->pitch[i] = (size_t)f->linesize[i];
    }
    return 0;
}

/* Copies an NVDEC frame (NV12/P010, two planes) into our device buffer and
 * releases it. The stream is synchronised before the release: the AVFrame
 * is a mapped NVDEC surface, and the Video Codec SDK samples finish their
 * copy before cuvidUnmapVideoFrame for the surface may be reused at once. */
static int s_export_device(struct dn_media_decoder *d, AVFrame *f, struct dn_frame *out,
                           struct dn_err *err)
{
    const AVHWFramesContext *fc = (const AVHWFramesContext *)f->hw_frames_ctx->data;
    if (fc->sw_format != AV_PIX_FMT_NV12 && fc->sw_format != AV_PIX_FMT_P010)
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "NVDEC produced pixel format %s",
                          av_get_pix_fmt_name(fc->sw_format));
    out->format = fc->sw_format == AV_PIX_FMT_NV12 ? DN_PIX_NV12 : DN_PIX_P010;
    size_t row = (size_t)((f->width + 1) & ~1) * (size_t)dn_pixel_format_bytes(out->format);
    size_t rows_uv = (size_t)(f->height + 1) / 2;
    size_t pitch = (row + S_PITCH_ALIGN - 1) / S_PITCH_ALIGN * S_PITCH_ALIGN;
    size_t bytes = pitch * ((size_t)f->height + rows_uv);
    if (bytes != d->dev_bytes) { /* first frame, or the stream changed size */
        dn_dev_free((void **)&d->dev_buf);
        d->dev_bytes = 0;
        if (dn_dev_alloc((void **)&d->dev_buf, bytes, err))
            return dn_err_code(err);
        d->dev_bytes = bytes;
        d->dev_pitch = pitch;
    }
    uint8_t *uv = d->dev_buf + pitch * (size_t)f->height;
    dn_trace_push("copy");
    int rc = dn_dev_copy_2d(d->dev_buf, pitch, f->data[0], (size_t)f->linesize[0], row,
                            (size_t)f->height, d->stream, err);
    if (!rc)
        rc = dn_dev_copy_2d(uv, pitch, f->data[1], (size_t)f->linesize[1], row, rows_uv,
                            d->stream, err);
    if (!rc)
        rc = dn_stream_sync(d->stream, err);
    dn_trace_pop();
    av_frame_unref(f);
    out->on_device = true;
    out->nb_planes = 2;
    out->planes[0] = d->dev_buf;
    out->planes[1] = uv;
    out->pitch[0] = out->pitch[1] = pitch;
    return rc;
}

int dn_media_decoder_export(struct dn_media_decoder *d, struct dn_frame *out,
                            struct dn_err *err)
{
    AVFrame *f = d->frame;
    memset(out->planes, 0, sizeof(out->planes));
    memset(out->pitch, 0, sizeof(out->pitch));
    out->width = f->width;
    out->height = f->height;
    s_color(f, out);
    if (f->format == AV_PIX_FMT_CUDA)
        return s_export_device(d, f, out, err);
    return s_export_host(f, out, err);
}

bool dn_media_decoder_on_gpu(const struct dn_media_decoder *d)
{
    return d->gpu;
}

struct dn_stream *dn_media_decoder_stream(const struct dn_media_decoder *d)
{
    return d->gpu ? d->stream : NULL;
}

void dn_media_decoder_destroy(struct dn_media_decoder *d)
{
    if (!d)
        return;
    av_frame_free(&d->frame);
    avcodec_free_context(&d->ctx);
    av_buffer_unref(&d->hw_device);
    if (d->dev_buf) { /* nothing may still be copying into the buffer */
        dn_stream_sync(d->stream, NULL);
        dn_dev_free((void **)&d->dev_buf);
    }
    if (d->own_stream)
        dn_stream_destroy(d->stream);
    free(d);
}
