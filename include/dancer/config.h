/*
 * config.h — every setting dancer reads, in one table.
 *
 * Names follow the old service's config.env (SQS_*, S3_*, EXPECTED_*) and the
 * AWS CLI's standard variables (AWS_*); dancer's own start with DANCER_.
 * Precedence: command-line flag > environment > --config FILE (.env format)
 * > default. Every value is validated when it is set; a bad one is a
 * one-line DN_ERR_CONFIG error that names the variable and where it came from.
 *
 * struct dn_config is plain data (fixed-size strings, no pointers): copy it
 * freely, share it read-only between threads once loaded.
 */
#ifndef DANCER_CONFIG_H
#define DANCER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "dancer/err.h"

#define DN_CFG_STR 256
#define DN_CFG_URL 1024
#define DN_CFG_MAX_SETTINGS 160

/* Enumerated settings are stored as these indices. */
enum dn_device_choice { DN_DEVICE_AUTO, DN_DEVICE_CPU, DN_DEVICE_GPU };
enum dn_addressing { DN_ADDRESSING_AUTO, DN_ADDRESSING_PATH, DN_ADDRESSING_VIRTUAL };

struct dn_config {
    /* SQS (old service names) */
    char sqs_queue_url[DN_CFG_URL];
    char sqs_queue_name[DN_CFG_STR];
    char sqs_region[64];
    int sqs_long_poll_timeout_s;
    int sqs_visibility_timeout_s;
    int sqs_max_messages;
    char expected_event_source[64];
    char expected_event_prefix[64];
    /* S3 */
    char s3_bucket[DN_CFG_STR];
    char s3_prefix[DN_CFG_URL];
    char s3_suffix[64];
    char results_bucket[DN_CFG_STR]; /* empty: the source bucket */
    char results_prefix[DN_CFG_URL];
    int s3_addressing; /* enum dn_addressing */

    /* AWS standard settings, honoured the way the AWS CLI does */
    char aws_access_key_id[128];
    char aws_secret_access_key[256];
    char aws_session_token[4096];
    char aws_profile[DN_CFG_STR];
    char aws_shared_credentials_file[DN_CFG_URL];
    char aws_config_file[DN_CFG_URL];
    char aws_region[64];
    char aws_default_region[64];
    char aws_endpoint_url[DN_CFG_URL];
    char aws_endpoint_url_sqs[DN_CFG_URL];
    char aws_endpoint_url_s3[DN_CFG_URL];
    int aws_max_attempts;
    bool aws_ec2_metadata_disabled;
    char aws_ec2_metadata_service_endpoint[DN_CFG_URL];
    char aws_container_credentials_relative_uri[DN_CFG_URL];
    char aws_container_credentials_full_uri[DN_CFG_URL];
    char aws_container_authorization_token[4096];
    char aws_container_authorization_token_file[DN_CFG_URL];
    char container_credentials_endpoint[DN_CFG_URL]; /* base for ..._RELATIVE_URI */

    /* dancer */
    int log_format; /* enum dn_log_format */
    int log_level;  /* enum dn_log_level */
    int device;     /* enum dn_device_choice: pose/gait kernels */
    int decoder;    /* enum dn_device_choice: video decode */
    char model_dir[DN_CFG_URL];
    int http_connect_timeout_ms;
    int http_timeout_ms;

    /* media: limits, block cache, decode */
    int max_width, max_height;  /* px of the stored frame */
    int max_duration_s;
    int max_object_mb;          /* MiB */
    int s3_block_bytes;
    int s3_cache_blocks;
    int s3_whole_object_bytes;
    bool s3_read_ahead;
    int analysis_fps;           /* 0: every frame */
    int max_corrupt_pct;
    int decode_threads;         /* 0: one per core */

    /* worker: visibility heartbeat, retries, drain, observability */
    int visibility_extension_s; /* s asked per heartbeat extension */
    int retry_base_s;           /* first backoff of a transient failure, s */
    int retry_max_s;            /* backoff cap, s */
    int drain_grace_s;          /* s in-flight jobs get after SIGTERM / Spot notice */
    int prefetch_batches;       /* received batches waiting for the analyzer */
    char health_file[DN_CFG_URL]; /* touched by the loop; "" = none */
    int status_interval_s;      /* periodic status line; 0 = off */
    int spot_poll_s;            /* EC2 Spot/ASG termination poll; 0 = off */
    char metrics_namespace[64]; /* CloudWatch EMF namespace; "" = no metric lines */

    /* enum dn_config_source of each setting, indexed like dn_config_setting() */
    unsigned char sources[DN_CFG_MAX_SETTINGS];
};

enum dn_config_source { DN_CFG_DEFAULT, DN_CFG_FILE, DN_CFG_ENV, DN_CFG_FLAG };

/* Read-only description of one setting, for the README table, `doctor` and
 * tests. Strings are static. */
struct dn_setting_info {
    const char *name;
    const char *def;     /* default as text ("" = unset) */
    const char *choices; /* "auto|cpu|gpu" for enumerations, else NULL */
    const char *doc;     /* one line */
    bool secret;         /* never printed */
};

/* Fills every field with its default. Never fails. */
void dn_config_init(struct dn_config *cfg);

/* Sets one setting by its variable name, validating the value.
 * Errors: DN_ERR_CONFIG (unknown name or invalid value); cfg is unchanged
 * on error. */
int dn_config_set(struct dn_config *cfg, const char *name, const char *value,
                  enum dn_config_source source, struct dn_err *err);

/* Reads a .env file: KEY=VALUE lines, optional `export `, '#' comments,
 * single or double quotes. Unknown keys are logged and ignored (a config.env
 * may carry settings of other programs). Errors: DN_ERR_CONFIG (unreadable
 * file, malformed line, invalid value). */
int dn_config_load_file(struct dn_config *cfg, const char *path, struct dn_err *err);

/* Applies every known setting present in the environment. */
int dn_config_load_env(struct dn_config *cfg, struct dn_err *err);

/* dn_config_init, then `path` (may be NULL), then the environment. Flags are
 * applied afterwards by the caller with dn_config_set(..., DN_CFG_FLAG). */
int dn_config_load(struct dn_config *cfg, const char *path, struct dn_err *err);

/* Where a setting's current value came from; DN_CFG_DEFAULT for unknown names. */
enum dn_config_source dn_config_source_of(const struct dn_config *cfg, const char *name);
const char *dn_config_source_name(enum dn_config_source source);

/* Current value as text into buf ("" when unset); secrets come back as
 * "(set)" or "". Returns 0, or DN_ERR_CONFIG for an unknown name. */
int dn_config_get(const struct dn_config *cfg, const char *name, char *buf, size_t len);

size_t dn_config_setting_count(void);
const struct dn_setting_info *dn_config_setting(size_t index);

#endif
