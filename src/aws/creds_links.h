/*
 * creds_links.h — the links of the credentials chain and what they share;
 * internal to dn_aws (the public contract is include/dancer/creds.h).
 *
 * Every link has the same shape:
 *   0                found: *out filled, out->source set
 *   DN_CREDS_ABSENT  not configured here, or nothing found: the chain goes
 *                    on; the reason is appended to `tried` ("; "-separated)
 *                    for the error that lists what was tried
 *   < 0              configured but failed: the chain stops with err set
 */
#ifndef DANCER_AWS_CREDS_LINKS_H
#define DANCER_AWS_CREDS_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dancer/config.h"
#include "dancer/creds.h"
#include "dancer/err.h"
#include "dancer/strbuf.h"

#define DN_CREDS_ABSENT 1

/* creds.c: a static key pair found in `in->where`. 0 with *out filled,
 * DN_CREDS_ABSENT when neither half is set, DN_ERR_CONFIG for half a pair:
 * a mistake to report, not a reason to go on to another identity
 * (botocore's PartialCredentialsError). */
struct dn_creds_static {
    const char *id, *secret, *token;  /* "" when unset */
    const char *where;                /* "environment", "FILE [profile x]" */
    const char *id_name, *secret_name; /* what the halves are called there */
};
int dn_creds_static_take(const struct dn_creds_static *in, const char *source,
                         struct dn_creds *out, struct dn_err *err);

/* creds_profile.c: shared credentials file, then config file. */
int dn_creds_profile_load(const struct dn_config *cfg, struct dn_creds *out,
                          struct dn_strbuf *tried, struct dn_err *err);

/* creds_container.c: ECS / EKS Pod Identity container endpoint. */
int dn_creds_container_fetch(const struct dn_config *cfg, struct dn_creds *out,
                             struct dn_strbuf *tried, struct dn_err *err);

/* creds_imds.c: EC2 instance metadata (IMDSv2). */
int dn_creds_imds_fetch(const struct dn_config *cfg, struct dn_creds *out,
                        struct dn_strbuf *tried, struct dn_err *err);

/* --- creds_http.c: the small metadata requests ------------------------- */

#define DN_CREDS_HTTP_BODY_MAX 16384

struct dn_creds_http {
    long status;    /* HTTP status; 0 when no response came */
    bool connected; /* a TCP connection was made (something listens there) */
    bool timed_out;
    char error[256]; /* libcurl's reason when no response came */
    char body[DN_CREDS_HTTP_BODY_MAX];
    size_t len;
};

/* One request on a fresh libcurl handle: no proxy (link-local and loopback
 * endpoints must never be sent to a proxy, which would also see the
 * tokens), no redirects, the given timeouts. headers: "Name: value"
 * strings, NULL-terminated, may be NULL. Returns 0 when a response arrived
 * (any status, body within DN_CREDS_HTTP_BODY_MAX), -1 otherwise
 * (resp->error says why). */
int dn_creds_http_request(const char *method, const char *url, const char *const *headers,
                          long connect_ms, long total_ms, struct dn_creds_http *resp);

/* Parses the credentials document both the container endpoint and IMDS
 * serve: {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", and from
 * IMDS "Code": "Success"}. `source` goes to out->source and into messages.
 * Errors: DN_ERR_AUTH (not JSON, fields missing or too long, Code not
 * Success, Expiration unparsable). */
int dn_creds_doc_parse(const char *json, const char *source, struct dn_creds *out,
                       struct dn_err *err);

/* ISO 8601 as AWS writes it: "2024-01-15T10:30:00Z", optionally with
 * fractional seconds and a "+HH:MM"/"-HH:MM" offset instead of Z. Returns
 * 0, or -1 when malformed. */
int dn_creds_time_parse(const char *iso, time_t *out);

#endif
