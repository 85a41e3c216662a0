/*
 * result.h — the result document of one video (DESIGN.md, "Result"): what
 * `dancer analyze` prints and the worker writes to S3. Its JSON Schema is
 * src/gait/result.schema.json (schema_version below); every document this
 * module builds validates against it (tests/gait/check_schema.py).
 *
 * Rule: never a guessed number. A value that was not measured is JSON null,
 * and gait.null_reasons says why, keyed like the value.
 *
 * Inputs are plain structs of borrowed pointers, so callers (the CLI, the
 * worker) fill them from whatever they hold; the media stage's probe maps to
 * struct dn_result_video field by field.
 */
#ifndef DANCER_RESULT_H
#define DANCER_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "dancer/err.h"
#include "dancer/gait.h"

struct cJSON;

/* Semantic version of the document; bump the minor version for added
 * fields, the major one for changed or removed fields. */
#define DN_RESULT_SCHEMA_VERSION "1.1.0"

struct dn_result_source {
    const char *uri;    /* Required: "s3://bucket/key" or a local path */
    const char *bucket; /* NULL for a local file */
    const char *key;    /* NULL for a local file */
    const char *etag;   /* NULL when unknown */
    long long size;     /* bytes; < 0 when unknown */
};

struct dn_result_video {
    double duration_s;  /* < 0 when unknown */
    double fps;         /* average frame rate; <= 0 when unknown */
    int width, height;  /* upright frame (rotation applied), px */
    const char *codec;  /* "h264", "hevc"; NULL when unknown */
    int rotation_deg;   /* 0, 90, 180 or 270 (display matrix) */
    long long frames;   /* decoded frames; < 0 when unknown */
};

struct dn_result_timing {
    const char *stage; /* "download", "decode", "pose", "gait", "upload", "total" */
    double ms;
};

struct dn_result_processing {
    const char *version;      /* Required: dancer version, e.g. "0.1.0 (abc1234)" */
    const char *model_sha256; /* source model hash; NULL when pose did not run */
    const char *device;       /* Required: "cpu" or the GPU name */
    const char *decoder;      /* "nvdec" or "cpu"; NULL when decoding did not run */
    const struct dn_result_timing *timings; /* n_timings entries, may be NULL if 0 */
    size_t n_timings;
};

/* Builds the document. source and processing are required. video and gait
 * are NULL when the job failed before that stage (they become null). error
 * is NULL (or cls DN_ERR_NONE) for a successful analysis, else the failure,
 * which becomes {"class", "message"}. On success *out owns a new cJSON
 * object (free with cJSON_Delete). Errors: DN_ERR_INTERNAL when a required
 * field is missing, DN_ERR_RESOURCE when out of memory; *out is NULL then. */
int dn_result_build(struct cJSON **out, const struct dn_result_source *source,
                    const struct dn_result_video *video, const struct dn_gait_result *gait,
                    const struct dn_result_processing *processing, const struct dn_err *error,
                    struct dn_err *err);

/* The gait object alone (the "gait" member of the document), NULL when out
 * of memory. Exposed for reports and tests. */
struct cJSON *dn_result_gait_json(const struct dn_gait_result *gait);

#endif
