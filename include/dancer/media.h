/*
 * media.h — video input: byte sources (local file, S3, fault injection),
 * probe, demux and decode (NVDEC with frames kept on the GPU, or libavcodec
 * on the CPU), and the frame interface the pose stage consumes.
 *
 * Flow:
 *     struct dn_byte_source *src;              // dn_byte_source_open(path or s3://, ...)
 *     struct dn_media_options opt;
 *     dn_media_options_init(&opt, cfg);        // limits, cache, decoder from the settings
 *     dn_media_open(src, &opt, &m, &err);      // probe + limits + decoder; takes src
 *     const struct dn_video_info *vi = dn_media_info(m);
 *     const struct dn_frame *f;
 *     while (!(rc = dn_media_next_frame(m, &f, &err)) && f)
 *         use(f);                              // valid until the next call
 *     dn_media_close(m);
 *
 * Bytes reach libavformat through a block-cached AVIOContext: the source is
 * read in fixed-size blocks (ranged GETs for S3) kept in a small LRU cache,
 * so seeking to a moov atom at the end costs one block, and memory per video
 * is block_bytes * cache_blocks (or the whole object when it is at most
 * whole_object_bytes), never the object size. Nothing is written to disk.
 *
 * Threads: one dn_media is used by one thread at a time. Different dn_media
 * objects are independent (one decoder each; decode videos concurrently by
 * giving each its own thread). The cancel flag may be set from any thread
 * or a signal handler.
 *
 * Error classes (the message always says what was wrong and with what):
 *   DN_ERR_BAD_INPUT    empty object, not a video, truncated, no moov atom,
 *                       no video stream, too many corrupt packets
 *   DN_ERR_UNSUPPORTED  codec other than H.264/HEVC, pixel format other than
 *                       8/10-bit 4:2:0, resolution, duration or object size
 *                       beyond the configured limits, --decoder gpu without one
 *   DN_ERR_NOT_FOUND    object or file does not exist (or was deleted)
 *   DN_ERR_CONFLICT     object changed while it was being read (ETag)
 *   DN_ERR_NETWORK      source read failed transiently, or the deadline passed
 *   DN_ERR_CANCELLED    the cancel flag was set
 *   DN_ERR_RESOURCE     out of host or GPU memory
 *   DN_ERR_INTERNAL     a libav* or CUDA failure that no input explains
 */
#ifndef DANCER_MEDIA_H
#define DANCER_MEDIA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dancer/err.h"

struct dn_config;
struct dn_s3_client;
struct dn_stream;

/* ---- byte sources -------------------------------------------------------- */

#define DN_ETAG_MAX 128

/* What a source knows about its object, asked once per open. */
struct dn_source_info {
    uint64_t size;              /* bytes */
    char etag[DN_ETAG_MAX];     /* version tag ("" when the source has none) */
    char content_type[256];     /* "" when unknown */
};

/* A source of bytes at offsets: the seam between the media stage and where
 * a video lives. A new kind of source fills these and calls
 * dn_byte_source_new; the cache and libavformat never see more than this. */
struct dn_byte_source_ops {
    /* Size and version of the object. Errors: DN_ERR_NOT_FOUND, DN_ERR_AUTH,
     * DN_ERR_NETWORK, ... as the source knows them. */
    int (*stat)(void *ctx, struct dn_source_info *info, struct dn_err *err);
    /* Reads up to len bytes at offset into buf and sets *got; *got < len only
     * at the end of the object. Must fail with DN_ERR_CONFLICT when the
     * object is no longer the version stat saw, and DN_ERR_NOT_FOUND when it
     * is gone. */
    int (*read_at)(void *ctx, uint64_t offset, void *buf, size_t len, size_t *got,
                   struct dn_err *err);
    /* Frees ctx. May be NULL. */
    void (*destroy)(void *ctx);
    /* True when read_at may run on two threads at once (different buffers);
     * enables the cache's read-ahead thread. */
    bool concurrent_reads;
};

struct dn_byte_source; /* opaque */

/* Wraps ops + ctx. `name` (path or s3://bucket/key) prefixes error messages
 * and is copied. On success the source owns ctx; on failure ctx is
 * destroyed too, so the caller never frees it. Errors: DN_ERR_RESOURCE. */
int dn_byte_source_new(const struct dn_byte_source_ops *ops, void *ctx, const char *name,
                       struct dn_byte_source **out, struct dn_err *err);

/* A local file read with pread (no copy of it is made). The version tag is
 * built from size and mtime, so a file rewritten while it is read is a
 * DN_ERR_CONFLICT like a changed S3 object. Errors: DN_ERR_NOT_FOUND (no such
 * file), DN_ERR_BAD_INPUT (a directory or not readable). */
int dn_byte_source_file_new(const char *path, struct dn_byte_source **out, struct dn_err *err);

/* An S3 object: HeadObject gives size and ETag, reads are ranged GETs with
 * If-Match on that ETag (DN_ERR_CONFLICT once the object is replaced,
 * DN_ERR_NOT_FOUND once deleted). `client` is borrowed and must outlive the
 * source; bucket and key are copied. Name: "s3://bucket/key".
 * Errors: DN_ERR_RESOURCE. */
int dn_byte_source_s3_new(struct dn_s3_client *client, const char *bucket, const char *key,
                          struct dn_byte_source **out, struct dn_err *err);

/* "s3://bucket/key" through `s3` (may be NULL for local paths only), or a
 * local path. Errors: as the two constructors, DN_ERR_USAGE (malformed
 * s3:// URL), DN_ERR_CONFIG (s3:// without a client). */
int dn_byte_source_open(const char *input, struct dn_s3_client *s3, struct dn_byte_source **out,
                        struct dn_err *err);

/* Faults for tests and benchmarks, applied on top of another source. */
struct dn_fault_options {
    uint64_t fail_at;           /* a read touching [fail_at, fail_at+fail_len) fails ... */
    uint64_t fail_len;          /* ... (0: no such fault) */
    enum dn_err_class fail_class; /* ... with this class (default DN_ERR_NETWORK) */
    int fail_times;             /* ... this many times, then succeeds (0: always) */
    uint64_t change_after_bytes;  /* after this many bytes served, the object "changes":
                                     reads fail with DN_ERR_CONFLICT (0: never) */
    bool delete_instead;        /* ... or is "deleted": DN_ERR_NOT_FOUND */
    unsigned delay_us;          /* sleep before every read (slow network) */
    size_t max_read;            /* cap on bytes per read_at call (0: none) */
};

/* Counters of what a fault source has done (for assertions). */
struct dn_fault_stats {
    uint64_t reads;             /* read_at calls */
    uint64_t bytes;             /* bytes served */
    uint64_t faults;            /* reads failed on purpose */
};

/* Takes ownership of `inner` (destroyed with the new source, or at once on
 * failure). `stats` may be NULL; otherwise it is updated on every read and
 * must outlive the source. Errors: DN_ERR_RESOURCE. */
int dn_byte_source_fault_new(struct dn_byte_source *inner, const struct dn_fault_options *faults,
                             struct dn_fault_stats *stats, struct dn_byte_source **out,
                             struct dn_err *err);

/* Thin wrappers over the ops. Messages do not repeat the source name:
 * dn_media_open puts it in front of every error once. */
int dn_byte_source_stat(struct dn_byte_source *src, struct dn_source_info *info,
                        struct dn_err *err);
int dn_byte_source_read_at(struct dn_byte_source *src, uint64_t offset, void *buf, size_t len,
                           size_t *got, struct dn_err *err);
const char *dn_byte_source_name(const struct dn_byte_source *src);
bool dn_byte_source_concurrent(const struct dn_byte_source *src);

/* NULL is a no-op. */
void dn_byte_source_destroy(struct dn_byte_source *src);

/* ---- probe --------------------------------------------------------------- */

/* Everything the result's `video` section reports, from the container and
 * codec headers (no frame is decoded to fill it). */
struct dn_video_info {
    double duration_s;          /* of the video stream (container's when the stream has none) */
    double avg_fps;             /* frames / duration (avg_frame_rate) */
    double real_fps;            /* base rate all timestamps fit (r_frame_rate) */
    bool vfr;                   /* frame durations vary by > 10% (see probe.c) */
    int width, height;          /* px of the stored (coded, cropped) frame, before rotation */
    int display_width, display_height; /* px after rotation */
    int rotation_deg;           /* 0, 90, 180 or 270: clockwise turn a viewer applies */
    char codec[32];             /* "h264", "hevc" */
    char profile[48];           /* "High", "Main 10"; "" when unknown */
    char pix_fmt[32];           /* "yuv420p", "yuv420p10le" */
    int bit_depth;              /* 8 or 10 */
    int64_t bit_rate;           /* bits/s of the video stream (container's if absent); 0 unknown */
    int64_t frames;             /* frame count from the container's index; 0 unknown */
    char container[64];         /* "mov,mp4,m4a,3gp,3g2,mj2" */
    uint64_t size_bytes;        /* object size */
    char etag[DN_ETAG_MAX];     /* version read (source's tag) */
};

/* ---- frames -------------------------------------------------------------- */

/* Pixel formats a frame can have. The CPU decoder emits YUV420P (8-bit) and
 * YUV420P10 (10-bit in the low bits of little-endian uint16); NVDEC emits
 * NV12 (8-bit) and P010 (10-bit in the HIGH bits of uint16: value << 6). */
enum dn_pixel_format {
    DN_PIX_NONE = 0,
    DN_PIX_YUV420P,   /* planes Y, U, V; chroma (w+1)/2 x (h+1)/2 */
    DN_PIX_YUV420P10, /* as YUV420P, 2 bytes per sample */
    DN_PIX_NV12,      /* planes Y, UV interleaved; chroma (w+1)/2 pairs x (h+1)/2 */
    DN_PIX_P010,      /* as NV12, 2 bytes per sample */
};

enum dn_color_matrix { DN_COLOR_BT601 = 0, DN_COLOR_BT709, DN_COLOR_BT2020 };

/* One decoded picture in stored orientation. Owned by the dn_media that
 * returned it; valid until the next dn_media_next_frame or dn_media_close on
 * that media. Device planes were written on the media's stream
 * (dn_media_stream): enqueue work reading them on that stream, or sync it,
 * before the next call — the next frame's copy reuses the buffer in stream
 * order, so work already queued on that stream is safe. */
struct dn_frame {
    enum dn_pixel_format format;
    bool on_device;             /* planes are CUDA device pointers (else host) */
    int width, height;          /* luma px */
    int nb_planes;              /* 2 (NV12, P010) or 3 (YUV420P*) */
    const uint8_t *planes[3];
    size_t pitch[3];            /* bytes per row of each plane */
    int rotation_deg;           /* as dn_video_info.rotation_deg: turn clockwise to view */
    bool full_range;            /* JPEG range (0-255) rather than video range (16-235) */
    enum dn_color_matrix matrix;
    double pts_s;               /* presentation time, seconds from the stream's start */
    int64_t index;              /* display-order number among all decoded frames, from 0
                                   (counts frames skipped by sub-sampling) */
    bool corrupt;               /* the decoder concealed errors in it (damaged input) */
};

/* ---- demux + decode ------------------------------------------------------ */

struct dn_media_options {
    int decoder;                  /* enum dn_device_choice (auto|cpu|gpu) */
    int threads;                  /* CPU decode threads, 0 = one per core */
    double analysis_fps;          /* deliver at most this many frames/s (0: every frame) */
    double max_corrupt_share;     /* fail when more than this share of packets is corrupt */
    int max_width, max_height;    /* px of the stored frame */
    double max_duration_s;
    uint64_t max_object_bytes;
    size_t block_bytes;           /* cache block size */
    int cache_blocks;             /* blocks kept (LRU) */
    size_t whole_object_bytes;    /* objects up to this size are read in one piece */
    bool read_ahead;              /* fetch the next block in the background */
    const atomic_int *cancel;     /* non-zero: stop with DN_ERR_CANCELLED (may be NULL) */
    uint64_t deadline_ms;         /* dn_media_now_ms() time to give up with DN_ERR_NETWORK (0: none) */
    struct dn_stream *stream;     /* GPU frames are copied on it; NULL: the media makes one */
};

/* Fills opt from the settings (cfg NULL: the settings' defaults). */
void dn_media_options_init(struct dn_media_options *opt, const struct dn_config *cfg);

/* CLOCK_MONOTONIC in ms, for deadline_ms. */
uint64_t dn_media_now_ms(void);

struct dn_media; /* opaque */

/* Opens src (taking ownership: it is destroyed with the media, or at once on
 * failure), probes it, checks the limits and opens a decoder: NVDEC when
 * opt->decoder allows and it works (the first failure to set it up is
 * logged once per process and the CPU is used), else libavcodec with frame
 * threads. Errors: see the top of this file. */
int dn_media_open(struct dn_byte_source *src, const struct dn_media_options *opt,
                  struct dn_media **out, struct dn_err *err);

/* The probe. Valid while m lives. */
const struct dn_video_info *dn_media_info(const struct dn_media *m);

/* Decodes up to the next frame that sub-sampling keeps. Returns 0 and sets
 * *frame, or sets *frame = NULL at the end of the stream. A few corrupt
 * packets are skipped (and counted); past max_corrupt_share the call fails
 * with DN_ERR_BAD_INPUT. After an error the media only closes. */
int dn_media_next_frame(struct dn_media *m, const struct dn_frame **frame, struct dn_err *err);

/* True when frames come from NVDEC (device planes). */
bool dn_media_on_gpu(const struct dn_media *m);

/* The stream GPU frames are written on (NULL on the CPU path). */
struct dn_stream *dn_media_stream(const struct dn_media *m);

struct dn_media_stats {
    int64_t packets;            /* video packets sent to the decoder */
    int64_t corrupt;            /* packets rejected or frames flagged corrupt */
    int64_t decoded;            /* frames out of the decoder */
    int64_t delivered;          /* frames returned by dn_media_next_frame */
    uint64_t source_reads;      /* read_at calls on the source */
    uint64_t source_bytes;      /* bytes fetched from the source */
    uint64_t cache_hits, cache_misses; /* block look-ups */
    uint64_t read_ahead_used;   /* blocks the read-ahead thread had ready in time */
};

void dn_media_stats(const struct dn_media *m, struct dn_media_stats *stats);

/* NULL is a no-op. Waits for the read-ahead thread and the device stream. */
void dn_media_close(struct dn_media *m);

/* "YUV420P", ...; "NONE" for unknown values. */
const char *dn_pixel_format_name(enum dn_pixel_format format);

/* Bytes per sample of a format (1 or 2). */
int dn_pixel_format_bytes(enum dn_pixel_format format);

#endif
