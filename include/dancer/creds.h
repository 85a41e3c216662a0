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
 */
#ifndef DANCER_CREDS_H
#define DANCER_CREDS_H

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
 * until a few minutes before expiration. Thread-safe (the heartbeat thread
 * and the worker share one provider). Errors: DN_ERR_AUTH (no link had
 * credentials; the message lists what was tried), DN_ERR_NETWORK. */
int dn_creds_provider_get(struct dn_creds_provider *p, struct dn_creds *out, struct dn_err *err);

void dn_creds_provider_destroy(struct dn_creds_provider *p);

#endif
