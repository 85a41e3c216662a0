/* config.c — the settings table and its loaders (see include/dancer/config.h). */
#include "dancer/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/log.h"

enum s_type { S_STR, S_INT, S_BOOL, S_ENUM };

struct s_setting {
    struct dn_setting_info info;
    enum s_type type;
    size_t offset;
    size_t size; /* S_STR: capacity of the char array */
    long min, max;
};

#define STR(field, name, def, doc) \
    {{name, def, NULL, doc, false}, S_STR, offsetof(struct dn_config, field), \
     sizeof(((struct dn_config *)0)->field), 0, 0}
#define SECRET(field, name, doc) \
    {{name, "", NULL, doc, true}, S_STR, offsetof(struct dn_config, field), \
     sizeof(((struct dn_config *)0)->field), 0, 0}
#define INT(field, name, def, lo, hi, doc) \
    {{name, def, NULL, doc, false}, S_INT, offsetof(struct dn_config, field), \
     sizeof(int), lo, hi}
#define BOOL(field, name, def, doc) \
    {{name, def, NULL, doc, false}, S_BOOL, offsetof(struct dn_config, field), \
     sizeof(bool), 0, 1}
#define ENUM(field, name, def, choices, doc) \
    {{name, def, choices, doc, false}, S_ENUM, offsetof(struct dn_config, field), \
     sizeof(int), 0, 0}

/* The table. Order is the README's order; keep the README table in step (a
 * unit test checks that every name here appears there). */
static const struct s_setting s_settings[] = {
    STR(sqs_queue_url, "SQS_QUEUE_URL", "", "queue to poll (or give SQS_QUEUE_NAME)"),
    STR(sqs_queue_name, "SQS_QUEUE_NAME", "", "queue name, resolved with GetQueueUrl when no URL is set"),
    STR(sqs_region, "SQS_REGION", "", "region of the queue (else AWS_REGION / AWS_DEFAULT_REGION / profile)"),
    INT(sqs_long_poll_timeout_s, "SQS_LONG_POLL_TIMEOUT", "20", 0, 20, "ReceiveMessage wait time, seconds"),
    INT(sqs_visibility_timeout_s, "SQS_VISIBILITY_TIMEOUT", "300", 0, 43200, "visibility timeout asked at receive, seconds"),
    INT(sqs_max_messages, "SQS_MAX_MESSAGES", "10", 1, 10, "messages per ReceiveMessage (SQS allows at most 10)"),
    STR(expected_event_source, "EXPECTED_S3_EVENT_SOURCE", "aws:s3", "eventSource a record must have"),
    STR(expected_event_prefix, "EXPECTED_S3_EVENT_PREFIX", "ObjectCreated", "eventName prefix a record must have"),
    STR(s3_bucket, "S3_BUCKET", "", "upload bucket (events from other buckets are skipped when set)"),
    STR(s3_prefix, "S3_PREFIX", "uploads", "upload key prefix; stripped when naming results"),
    STR(s3_suffix, "S3_SUFFIX", ".mp4", "upload key suffix a record must have"),
    STR(results_bucket, "RESULTS_BUCKET", "", "bucket for result JSON (default: the source bucket)"),
    STR(results_prefix, "RESULTS_PREFIX", "results/", "key prefix for result JSON"),
    ENUM(s3_addressing, "DANCER_S3_ADDRESSING", "auto", "auto|path|virtual",
         "S3 URL style: auto = path-style for custom endpoints, virtual-hosted for AWS"),

    STR(aws_access_key_id, "AWS_ACCESS_KEY_ID", "", "static credentials (first in the chain)"),
    SECRET(aws_secret_access_key, "AWS_SECRET_ACCESS_KEY", "secret key of the static credentials"),
    SECRET(aws_session_token, "AWS_SESSION_TOKEN", "session token of temporary credentials"),
    STR(aws_profile, "AWS_PROFILE", "", "profile in the shared credentials/config files (default: default)"),
    STR(aws_shared_credentials_file, "AWS_SHARED_CREDENTIALS_FILE", "", "default ~/.aws/credentials"),
    STR(aws_config_file, "AWS_CONFIG_FILE", "", "default ~/.aws/config"),
    STR(aws_region, "AWS_REGION", "", "region for every service"),
    STR(aws_default_region, "AWS_DEFAULT_REGION", "", "region when AWS_REGION is unset"),
    STR(aws_endpoint_url, "AWS_ENDPOINT_URL", "", "endpoint for every service (e.g. a local S3+SQS server)"),
    STR(aws_endpoint_url_sqs, "AWS_ENDPOINT_URL_SQS", "", "endpoint for SQS only"),
    STR(aws_endpoint_url_s3, "AWS_ENDPOINT_URL_S3", "", "endpoint for S3 only"),
    INT(aws_max_attempts, "AWS_MAX_ATTEMPTS", "3", 1, 20, "attempts per request incl. the first (SDK standard mode: 3)"),
    BOOL(aws_ec2_metadata_disabled, "AWS_EC2_METADATA_DISABLED", "false", "skip EC2 instance metadata credentials"),
    STR(aws_ec2_metadata_service_endpoint, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254",
        "instance metadata service (IMDSv2)"),
    STR(aws_container_credentials_relative_uri, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "",
        "ECS task role credentials path (on 169.254.170.2)"),
    STR(aws_container_credentials_full_uri, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "", "container credentials URL"),
    SECRET(aws_container_authorization_token, "AWS_CONTAINER_AUTHORIZATION_TOKEN",
           "Authorization header for the container credentials URL"),
    STR(aws_container_authorization_token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "",
        "file holding that header (EKS Pod Identity)"),
    STR(container_credentials_endpoint, "DANCER_CONTAINER_CREDENTIALS_ENDPOINT", "http://169.254.170.2",
        "where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is fetched (the ECS agent; tests use a local server)"),

    ENUM(log_format, "DANCER_LOG_FORMAT", "json", "json|text", "log lines on stderr"),
    ENUM(log_level, "DANCER_LOG_LEVEL", "info", "debug|info|warn|error", "minimum level logged"),
    ENUM(device, "DANCER_DEVICE", "auto", "auto|cpu|gpu", "where pose and gait kernels run"),
    ENUM(decoder, "DANCER_DECODER", "auto", "auto|cpu|gpu", "video decoder: NVDEC or FFmpeg software"),
    STR(model_dir, "DANCER_MODEL_DIR", "", "converted models (default: ~/.cache/dancer/models)"),
    INT(http_connect_timeout_ms, "DANCER_HTTP_CONNECT_TIMEOUT_MS", "3100", 100, 600000,
        "TCP+TLS connect timeout per attempt"),
    INT(http_timeout_ms, "DANCER_HTTP_TIMEOUT_MS", "60000", 1000, 3600000,
        "whole-request timeout per attempt (long polls add their wait time)"),
    INT(max_width, "DANCER_MAX_WIDTH", "4096", 16, 16384, "widest stored video frame accepted, px"),
    INT(max_height, "DANCER_MAX_HEIGHT", "4096", 16, 16384, "tallest stored video frame accepted, px"),
    INT(max_duration_s, "DANCER_MAX_DURATION_S", "600", 1, 86400, "longest video accepted, seconds"),
    INT(max_object_mb, "DANCER_MAX_OBJECT_MB", "4096", 1, 1048576, "largest video object accepted, MiB"),
    INT(s3_block_bytes, "DANCER_S3_BLOCK_BYTES", "8388608", 65536, 268435456,
        "bytes per ranged GET / cache block when streaming a video"),
    INT(s3_cache_blocks, "DANCER_S3_CACHE_BLOCKS", "4", 1, 64,
        "cache blocks kept per video (memory: blocks x block bytes)"),
    INT(s3_whole_object_bytes, "DANCER_S3_WHOLE_OBJECT_BYTES", "33554432", 0, 1073741824,
        "videos up to this size are fetched whole in one GET"),
    BOOL(s3_read_ahead, "DANCER_S3_READ_AHEAD", "true", "fetch the next block while demuxing the current one"),
    INT(analysis_fps, "DANCER_ANALYSIS_FPS", "60", 0, 1000,
        "frames per second analysed; faster videos are sub-sampled (0: every frame)"),
    INT(max_corrupt_pct, "DANCER_MAX_CORRUPT_PCT", "5", 0, 100,
        "share of corrupt packets (percent) past which a video fails"),
    INT(decode_threads, "DANCER_DECODE_THREADS", "0", 0, 64, "CPU decode threads per video (0: one per core)"),

    INT(visibility_extension_s, "DANCER_VISIBILITY_EXTENSION_S", "300", 2, 43200,
        "seconds each visibility heartbeat asks for (extends when half is left; never past 12 h from receipt)"),
    INT(retry_base_s, "DANCER_RETRY_BASE_S", "30", 0, 43200,
        "a transiently failed message is retried after this many seconds, doubled per receive"),
    INT(retry_max_s, "DANCER_RETRY_MAX_S", "900", 0, 43200, "cap of that retry backoff, seconds"),
    INT(drain_grace_s, "DANCER_DRAIN_GRACE_S", "90", 0, 3600,
        "on SIGTERM/SIGINT or a Spot notice, seconds in-flight jobs get to finish before release"),
    INT(prefetch_batches, "DANCER_PREFETCH_BATCHES", "1", 0, 4,
        "batches received ahead while the current one is analysed"),
    STR(health_file, "DANCER_HEALTH_FILE", "", "file the worker loop touches every few seconds (Docker HEALTHCHECK)"),
    INT(status_interval_s, "DANCER_STATUS_INTERVAL_S", "60", 0, 86400,
        "seconds between worker status lines (uptime, processed, errors, queue depth); 0: none"),
    INT(spot_poll_s, "DANCER_SPOT_POLL_S", "5", 0, 3600,
        "seconds between EC2 Spot/Auto Scaling termination checks (IMDSv2); 0: off"),
    STR(metrics_namespace, "DANCER_METRICS_NAMESPACE", "Dancer",
        "CloudWatch namespace of the embedded-metric-format lines; empty: no metric lines"),
};

#define S_COUNT (sizeof(s_settings) / sizeof(s_settings[0]))
_Static_assert(S_COUNT <= DN_CFG_MAX_SETTINGS, "raise DN_CFG_MAX_SETTINGS");

static const char *const s_source_names[] = {"default", "config file", "environment", "flag"};

static const struct s_setting *s_find(const char *name, size_t *index)
{
    for (size_t i = 0; i < S_COUNT; i++) {
        if (!strcmp(s_settings[i].info.name, name)) {
            if (index)
                *index = i;
            return &s_settings[i];
        }
    }
    return NULL;
}

/* Index of `value` in a "a|b|c" list, or -1. */
static int s_choice_index(const char *choices, const char *value)
{
    int index = 0;
    size_t vlen = strlen(value);
    for (const char *p = choices; *p; index++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && !strncasecmp(p, value, len))
            return index;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

static int s_parse_bool(const char *value, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off", ""};
    for (size_t i = 0; i < 4; i++)
        if (!strcasecmp(value, yes[i]))
            return *out = true, 0;
    for (size_t i = 0; i < 5; i++)
        if (!strcasecmp(value, no[i]))
            return *out = false, 0;
    return -1;
}

int dn_config_set(struct dn_config *cfg, const char *name, const char *value,
                  enum dn_config_source source, struct dn_err *err)
{
    size_t index;
    const struct s_setting *s = s_find(name, &index);
    if (!s)
        return dn_err_set(err, DN_ERR_CONFIG, "%s: unknown setting", name);
    const char *from = s_source_names[source];
    /* Secrets never appear in messages, not even malformed ones. */
    const char *shown = s->info.secret ? "(hidden)" : value;
    char *field = (char *)cfg + s->offset;

    switch (s->type) {
    case S_STR:
        if (strlen(value) >= s->size)
            return dn_err_set(err, DN_ERR_CONFIG, "%s: value too long (%zu bytes, at most %zu) (%s)",
                              name, strlen(value), s->size - 1, from);
        memcpy(field, value, strlen(value) + 1);
        break;
    case S_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        while (end && isspace((unsigned char)*end))
            end++;
        if (!*value || errno || *end || v < s->min || v > s->max)
            return dn_err_set(err, DN_ERR_CONFIG,
                              "%s: must be an integer from %ld to %ld, got \"%s\" (%s)", name,
                              s->min, s->max, shown, from);
        *(int *)field = (int)v;
        break;
    }
    case S_BOOL:
        if (s_parse_bool(value, (bool *)field))
            return dn_err_set(err, DN_ERR_CONFIG, "%s: must be true or false, got \"%s\" (%s)",
                              name, shown, from);
        break;
    case S_ENUM: {
        int choice = s_choice_index(s->info.choices, value);
        if (choice < 0)
            return dn_err_set(err, DN_ERR_CONFIG, "%s: must be one of %s, got \"%s\" (%s)", name,
                              s->info.choices, shown, from);
        *(int *)field = choice;
        break;
    }
    }
    cfg->sources[index] = (unsigned char)source;
    return 0;
}

void dn_config_init(struct dn_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < S_COUNT; i++) {
        int rc = dn_config_set(cfg, s_settings[i].info.name, s_settings[i].info.def,
                               DN_CFG_DEFAULT, NULL);
        (void)rc; /* defaults are valid by construction; test_config checks it */
    }
}

/* Parses the value part of a .env line in place. Returns NULL on a
 * malformed (unterminated) quote. */
static char *s_env_value(char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v == '\'') { /* single quotes: literal, as in sh */
        char *end = strchr(v + 1, '\'');
        if (!end)
            return NULL;
        *end = '\0';
        return v + 1;
    }
    if (*v == '"') { /* double quotes: \" \\ \n \$ escapes, as docker/dotenv */
        char *out = v, *p = v + 1;
        for (; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
                *out++ = *p == 'n' ? '\n' : *p;
            } else {
                *out++ = *p;
            }
        }
        if (*p != '"')
            return NULL;
        *out = '\0';
        return v;
    }
    /* Unquoted: an inline comment starts at " #"; trailing blanks dropped. */
    for (char *p = v; *p; p++) {
        if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    }
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1]))
        v[--n] = '\0';
    return v;
}

static int s_load_line(struct dn_config *cfg, const char *path, int lineno, char *line,
                       struct dn_err *err)
{
    char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p || *p == '#')
        return 0;
    if (!strncmp(p, "export ", 7))
        p += 7;
    char *eq = strchr(p, '=');
    char *key_end = eq;
    if (!eq)
        return dn_err_set(err, DN_ERR_CONFIG, "%s:%d: expected KEY=VALUE", path, lineno);
    while (key_end > p && isspace((unsigned char)key_end[-1]))
        key_end--;
    *key_end = '\0';
    for (char *k = p; *k; k++)
        if (!(isalnum((unsigned char)*k) || *k == '_'))
            return dn_err_set(err, DN_ERR_CONFIG, "%s:%d: bad variable name \"%s\"", path, lineno, p);
    char *value = s_env_value(eq + 1);
    if (!value)
        return dn_err_set(err, DN_ERR_CONFIG, "%s:%d: %s: unterminated quote", path, lineno, p);
    if (!s_find(p, NULL)) {
        dn_logf(DN_LOG_DEBUG, "%s:%d: %s is not a dancer setting; ignored", path, lineno, p);
        return 0;
    }
    int rc = dn_config_set(cfg, p, value, DN_CFG_FILE, err);
    if (rc)
        dn_err_prefix(err, "%s:%d: ", path, lineno);
    return rc;
}

int dn_config_load_file(struct dn_config *cfg, const char *path, struct dn_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return dn_err_set(err, DN_ERR_CONFIG, "--config %s: %s", path, strerror(errno));
    char line[8192];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof(line), f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
            rc = dn_err_set(err, DN_ERR_CONFIG, "%s:%d: line too long", path, lineno);
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        rc = s_load_line(cfg, path, lineno, line, err);
    }
    fclose(f);
    return rc;
}

int dn_config_load_env(struct dn_config *cfg, struct dn_err *err)
{
    for (size_t i = 0; i < S_COUNT; i++) {
        const char *value = getenv(s_settings[i].info.name);
        if (!value)
            continue;
        int rc = dn_config_set(cfg, s_settings[i].info.name, value, DN_CFG_ENV, err);
        if (rc)
            return rc;
    }
    return 0;
}

int dn_config_load(struct dn_config *cfg, const char *path, struct dn_err *err)
{
    dn_config_init(cfg);
    if (path) {
        int rc = dn_config_load_file(cfg, path, err);
        if (rc)
            return rc;
    }
    return dn_config_load_env(cfg, err);
}

enum dn_config_source dn_config_source_of(const struct dn_config *cfg, const char *name)
{
    size_t index;
    return s_find(name, &index) ? (enum dn_config_source)cfg->sources[index] : DN_CFG_DEFAULT;
}

const char *dn_config_source_name(enum dn_config_source source)
{
    return s_source_names[source];
}

int dn_config_get(const struct dn_config *cfg, const char *name, char *buf, size_t len)
{
    const struct s_setting *s = s_find(name, NULL);
    if (!s)
        return dn_err_set(NULL, DN_ERR_CONFIG, "unknown");
    const char *field = (const char *)cfg + s->offset;
    switch (s->type) {
    case S_STR:
        if (s->info.secret)
            snprintf(buf, len, "%s", *field ? "(set)" : "");
        else
            snprintf(buf, len, "%s", field);
        break;
    case S_INT:
        snprintf(buf, len, "%d", *(const int *)field);
        break;
    case S_BOOL:
        snprintf(buf, len, "%s", *(const bool *)field ? "true" : "false");
        break;
    case S_ENUM: {
        /* Copy the index-th word of "a|b|c". */
        const char *p = s->info.choices;
        for (int i = *(const int *)field; i > 0 && p; i--) {
            p = strchr(p, '|');
            p = p ? p + 1 : NULL;
        }
        size_t n = p ? strcspn(p, "|") : 0;
        snprintf(buf, len, "%.*s", (int)n, p ? p : "");
        break;
    }
    }
    return 0;
}

size_t dn_config_setting_count(void)
{
    return S_COUNT;
}

const struct dn_setting_info *dn_config_setting(size_t index)
{
    return index < S_COUNT ? &s_settings[index].info : NULL;
}
