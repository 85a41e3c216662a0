/* fuzz_media.c — libFuzzer target for the media stage on any bytes an
 * upload can hold: dancer's byte source and block cache, probe and limits,
 * demux and CPU decode, through to the exported frames. FFmpeg's own
 * parsers are fuzzed upstream (OSS-Fuzz); what is fuzzed here is dancer's
 * code around them, instrumented with ASan/UBSan. Every input must open and
 * decode, or fail with an error record; the frames handed on must be
 * within the size the probe reported. Seeds: tiny h264/hevc mp4 files that
 * tests/fuzz/run.sh makes with ffmpeg. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/config.h"
#include "dancer/media.h"

struct s_mem {
    uint8_t *data;
    size_t size;
};

static int s_stat(void *ctx, struct dn_source_info *info, struct dn_err *err)
{
    (void)err;
    memset(info, 0, sizeof(*info));
    info->size = ((struct s_mem *)ctx)->size;
    strcpy(info->etag, "fuzz");
    return 0;
}

static int s_read_at(void *ctx, uint64_t offset, void *buf, size_t len, size_t *got,
                     struct dn_err *err)
{
    struct s_mem *m = ctx;
    (void)err;
    size_t n = offset >= m->size ? 0 : m->size - (size_t)offset < len ? m->size - (size_t)offset : len;
    if (n)
        memcpy(buf, m->data + offset, n);
    *got = n;
    return 0;
}

static void s_destroy(void *ctx)
{
    struct s_mem *m = ctx;
    free(m->data);
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dn_err err = {0};
    struct s_mem *m = malloc(sizeof(*m));
    if (!m)
        return 0;
    m->size = size;
    m->data = malloc(size ? size : 1);
    if (!m->data) {
        free(m);
        return 0;
    }
    memcpy(m->data, data, size);
    struct dn_byte_source_ops ops = {s_stat, s_read_at, s_destroy, false};
    struct dn_byte_source *src;
    if (dn_byte_source_new(&ops, m, "fuzz.mp4", &src, &err))
        return 0;
    struct dn_media_options opt;
    dn_media_options_init(&opt, NULL);
    opt.decoder = DN_DEVICE_CPU;
    opt.threads = 1;
    opt.read_ahead = false;
    opt.max_width = opt.max_height = 1024; /* keep a run cheap; the limits still apply */
    struct dn_media *media;
    if (dn_media_open(src, &opt, &media, &err)) { /* takes src */
        if (getenv("DN_FUZZ_VERBOSE"))
            fprintf(stderr, "fuzz_media: open: %s\n", err.msg);
        return 0;
    }
    const struct dn_video_info *info = dn_media_info(media);
    const struct dn_frame *f;
    int n_frames = 0;
    for (; n_frames < 64; n_frames++) {
        if (dn_media_next_frame(media, &f, &err) || !f)
            break;
        if (f->width <= 0 || f->height <= 0 || f->width > opt.max_width || f->height > opt.max_height ||
            f->on_device || f->nb_planes < 2 || f->nb_planes > 3)
            abort();
        /* The last byte of each plane's last row must be readable (ASan
         * reports it otherwise): what the pose stage's crop reads at most. */
        const int bytes = dn_pixel_format_bytes(f->format);
        volatile uint8_t sink = 0;
        for (int p = 0; p < f->nb_planes; p++) {
            const int rows = p ? (f->height + 1) / 2 : f->height;
            const size_t row = (size_t)(p ? (f->nb_planes == 2 ? 2 * ((f->width + 1) / 2) : (f->width + 1) / 2)
                                          : f->width) * (size_t)bytes;
            if (!f->planes[p] || f->pitch[p] < row)
                abort();
            sink ^= f->planes[p][0];
            sink ^= f->planes[p][(size_t)(rows - 1) * f->pitch[p] + row - 1];
        }
        (void)sink;
        (void)info;
    }
    if (getenv("DN_FUZZ_VERBOSE")) /* what a seed reaches: tests/fuzz/run.sh checks the seeds decode */
        fprintf(stderr, "fuzz_media: %dx%d, %d frames decoded%s%s\n", info->width, info->height,
                n_frames, err.cls ? ", then: " : "", err.cls ? err.msg : "");
    dn_media_close(media);
    return 0;
}
