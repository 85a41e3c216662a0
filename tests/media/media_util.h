/*
 * media_util.h — what the media tests share: the generated video set
 * (tests/media/make_videos.sh, run by the media_videos fixture) and the
 * ffmpeg/ffprobe CLI as the reference every result is compared with.
 */
#ifndef DANCER_TEST_MEDIA_UTIL_H
#define DANCER_TEST_MEDIA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "dancer/media.h"

struct cJSON;

/* Path of a generated video (static buffer, overwritten by the next call);
 * NULL when the set is missing (the caller skips). */
const char *dn_tm_video(const char *name);

/* Size of a generated video in bytes (0 when missing). */
uint64_t dn_tm_size(const char *name);

/* Runs a shell command and returns its whole stdout in a malloc'ed buffer
 * (NUL-terminated, *len without the NUL). NULL when it fails to start or
 * exits non-zero. */
unsigned char *dn_tm_run(const char *cmd, size_t *len);

/* ffprobe -of json on the first video stream: `-show_entries ENTRIES`.
 * The caller cJSON_Delete()s the result; NULL on failure. */
struct cJSON *dn_tm_ffprobe(const char *path, const char *entries);

/* Number in a cJSON object field, parsing strings ("30/1", "2.0") too;
 * NaN when absent. */
double dn_tm_number(const struct cJSON *obj, const char *field);

/* Test defaults: the settings' defaults, CPU decode, every frame, two
 * decode threads (CI has two cores). */
void dn_tm_options(struct dn_media_options *opt);

/* Opens a generated video with a local file source. */
int dn_tm_open(const char *name, const struct dn_media_options *opt, struct dn_media **m,
               struct dn_err *err);

/* Opens, decodes to the end and closes: the number of frames delivered, or
 * the error code. stats may be NULL. */
int dn_tm_decode_all(const char *name, const struct dn_media_options *opt, long *frames,
                     struct dn_media_stats *stats, struct dn_err *err);

#endif
