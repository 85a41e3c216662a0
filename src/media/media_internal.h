/*
 * media_internal.h — what the files of src/media share and nobody else sees:
 * the block cache behind the AVIOContext, the probe helpers and the decoder.
 */
#ifndef DANCER_MEDIA_INTERNAL_H
#define DANCER_MEDIA_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "dancer/media.h"

/* ---- cache.c: block-cached AVIOContext over a byte source ---------------- */

/* Returns non-zero and fills err when reading must stop (cancel, deadline).
 * Called from the demuxing thread only. */
typedef int dn_media_stop_fn(void *user_data, struct dn_err *err);

struct dn_media_cache_options {
    size_t block_bytes;
    int cache_blocks;
    size_t whole_object_bytes;
    bool read_ahead;
};

struct dn_media_cache;

/* src is borrowed and must outlive the cache; size is the object size from
 * stat. Errors: DN_ERR_RESOURCE. */
int dn_media_cache_new(struct dn_byte_source *src, uint64_t size,
                       const struct dn_media_cache_options *opt, dn_media_stop_fn *stop,
                       void *stop_user, struct dn_media_cache **out, struct dn_err *err);

/* The AVIOContext to give libavformat (owned by the cache). */
AVIOContext *dn_media_cache_avio(struct dn_media_cache *c);

/* A read through the cache, for code that inspects the bytes itself. *got
 * is short only at the end of the object. */
int dn_media_cache_read(struct dn_media_cache *c, uint64_t offset, void *buf, size_t len,
                        size_t *got, struct dn_err *err);

/* The first error the AVIO callbacks hit (class NONE when none): libavformat
 * only passes on an AVERROR code, this says what really happened. */
const struct dn_err *dn_media_cache_error(const struct dn_media_cache *c);

void dn_media_cache_stats(const struct dn_media_cache *c, struct dn_media_stats *stats);

/* Stops the read-ahead thread and frees everything. NULL is a no-op. */
void dn_media_cache_destroy(struct dn_media_cache *c);

/* ---- probe.c: container facts and input diagnosis ------------------------ */

/* Fills info from an opened format context and its chosen video stream. */
void dn_media_probe_fill(AVFormatContext *fmt, AVStream *st, struct dn_video_info *info);

/* Checks the stream against what we decode and the configured limits.
 * Errors: DN_ERR_UNSUPPORTED, DN_ERR_BAD_INPUT (truncated). */
int dn_media_probe_check(AVFormatContext *fmt, AVStream *st, const struct dn_video_info *info,
                         const struct dn_media_options *opt, struct dn_err *err);

/* Explains why libavformat could not open an input (not a video, no moov
 * atom, truncated) by looking at its first bytes and its top-level boxes.
 * Always returns a DN_ERR_BAD_INPUT code with the reason in err. */
int dn_media_probe_diagnose(struct dn_media_cache *c, uint64_t size, int averror,
                            struct dn_err *err);

/* av_err2str for our messages. */
const char *dn_media_averror(int averror, char *buf, size_t len);

/* ---- decode.c: the decoder of one video stream --------------------------- */

struct dn_media_decoder;

/* Opens a decoder for st: NVDEC when opt->decoder allows and it can be set
 * up, libavcodec on the CPU otherwise. Errors: DN_ERR_UNSUPPORTED (no
 * decoder, or gpu forced and unavailable), DN_ERR_RESOURCE. */
int dn_media_decoder_new(AVStream *st, const struct dn_media_options *opt,
                         struct dn_media_decoder **out, struct dn_err *err);

/* Sends one packet (NULL: flush). AVERROR(EAGAIN) from the decoder is not
 * possible here because the caller drains frames first. A packet the
 * decoder rejects as invalid data sets *bad and returns 0. */
int dn_media_decoder_send(struct dn_media_decoder *d, const AVPacket *pkt, bool *bad,
                          struct dn_err *err);

/* Receives the next decoded frame into *frame (owned by the decoder, valid
 * until the next receive); *frame = NULL when the decoder needs input (or,
 * after the flush, has no more). *corrupt is set for concealed frames. */
int dn_media_decoder_receive(struct dn_media_decoder *d, AVFrame **frame, bool *corrupt,
                             struct dn_err *err);

/* Turns the last received frame into a dn_frame: host planes point into the
 * AVFrame; NVDEC frames are copied into the decoder's device buffer on its
 * stream and the AVFrame is released at once. */
int dn_media_decoder_export(struct dn_media_decoder *d, struct dn_frame *out,
                            struct dn_err *err);

bool dn_media_decoder_on_gpu(const struct dn_media_decoder *d);
struct dn_stream *dn_media_decoder_stream(const struct dn_media_decoder *d);

void dn_media_decoder_destroy(struct dn_media_decoder *d);

#endif
