/*
 * creds.h — AWS credentials and the provider chain, in the AWS CLI's order:
 *   1. environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 *      here read from struct dn_config, so --config files work too)
 *   2. shared credentials and config files (AWS_SHARED_CREDENTIALS_FILE,
 *      AWS_CONFIG_FILE, profile AWS_PROFILE or "default")
 *   3. ECS/container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on
 *      169.254.170.2, or _FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])
 *   4. EC2 instance metadata, IMDSv2 (token PUT, role GET, credentials GET),
 *      unless AWS_EC2_METADATA_DISABLED
 * Temporary credentials are refreshed ahead of their Expiration.
 *
 * What the chain stops at, as the CLI does: a link that is configured but
 * fails (a container URL that answers 500, an AWS_PROFILE that names no
 * profile, a profile with half a key pair) is an error, not a reason to try
 * the next link — falling through to the instance role would quietly run as
 * someone else. Links that are simply absent (no variables, no file, not on
 * EC2) pass to the next one.
 *
 * Not supported (the error says so when a profile asks for them):
 * role_arn/source_profile (AssumeRole), credential_process, SSO,
 * web identity (AWS_WEB_IDENTITY_TOKEN_FILE).
 *
 * Nothing here logs a secret: logs name the source and expiry only.
 */
#ifndef DANCER_CREDS_H
#define DANCER_CREDS_H

#include <stddef.h>
#include <time.h>

#include "dancer/config.h"
#include "dancer/err.h"

struct dn_creds {
    char access_key_id[128];
    char secret_access_key[256];
    char session_token[4096]; /* "" for long-term keys */
    time_t expiration;        /* 0: does not expire */
    char source[32];          /* "environment", "shared-file", "container", "imds" — for logs */
};

struct dn_creds_provider;

/* Builds the chain from cfg (copied). Does no I/O. Errors: DN_ERR_INTERNAL (OOM). */
int dn_creds_provider_new(const struct dn_config *cfg, struct dn_creds_provider **out,
                          struct dn_err *err);

/* Current credentials: the first link of the chain that has some, cached
 * until 5 minutes (plus up to 1 minute of jitter, so a fleet does not
 * refresh in step) before expiration. In that window one caller refreshes
 * while the others keep getting the current credentials; if the refresh
 * fails they stay in use (logged as a warning) until 10 s before they
 * expire. Thread-safe (the heartbeat thread and the worker share one
 * provider); no lock is held during network I/O.
 * Errors: DN_ERR_AUTH (no link had credentials; the message lists what was
 * tried), DN_ERR_CONFIG (a link is misconfigured: missing profile, partial
 * keys, unsupported profile kind, bad container URL), DN_ERR_NETWORK
 * (a configured container endpoint or the metadata service failed). */
int dn_creds_provider_get(struct dn_creds_provider *p, struct dn_creds *out, struct dn_err *err);

/* Forgets cached credentials, so the next get resolves the chain again — for
 * a caller that got ExpiredToken/InvalidClientTokenId back. Thread-safe. */
void dn_creds_provider_invalidate(struct dn_creds_provider *p);

/* NULL is a no-op. No get may be running. */
void dn_creds_provider_destroy(struct dn_creds_provider *p);

/* --- region from the shared files ------------------------------------- */

/* `region` of the profile (AWS_PROFILE or "default"): the config file's
 * [profile NAME] / [default] section, overridden by the credentials file's
 * [NAME] section, as botocore merges them. buf gets "" when no file sets
 * one. Errors: DN_ERR_CONFIG (a file that exists but cannot be read;
 * AWS_PROFILE set to a profile neither file has); buf is "" then. */
int dn_aws_profile_region(const struct dn_config *cfg, char *buf, size_t len, struct dn_err *err);

/* The region for AWS calls, the CLI's way: AWS_REGION, else
 * AWS_DEFAULT_REGION, else the profile's (dn_aws_profile_region). buf gets
 * "" when none is set anywhere (the caller decides whether that is an
 * error). Service-specific overrides (SQS_REGION) are the caller's.
 * Errors: as dn_aws_profile_region. */
int dn_aws_region(const struct dn_config *cfg, char *buf, size_t len, struct dn_err *err);

/* --- for tests ---------------------------------------------------------- */

/* Seconds since the epoch, as the provider's clock sees them. */
typedef time_t dn_creds_clock_fn(void *user_data);

/* Replaces the provider's clock (default: time()) so tests can step past
 * refresh points without waiting. Call before the first get. */
void dn_creds_provider_set_clock(struct dn_creds_provider *p, dn_creds_clock_fn *now,
                                 void *user_data);

#endif
