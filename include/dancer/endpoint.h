/*
 * endpoint.h — which region and which URL a request to S3 or SQS goes to,
 * decided the way the AWS CLI decides it:
 *   https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
 *
 * Region, first found wins:
 *   SQS only: SQS_REGION, then the region in an AWS queue URL's host
 *   both: AWS_REGION, AWS_DEFAULT_REGION, the profile's region
 *         (dn_aws_region in creds.h)
 *   then, for a custom endpoint (a local server), "us-east-1"; else a
 *   DN_ERR_CONFIG error naming the variables.
 * Endpoint: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then (SQS)
 * the queue URL's scheme and host, then https://<service>.<region>.amazonaws.com
 * (.amazonaws.com.cn in China regions).
 *
 * Functions of struct dn_config; thread-safe. dn_endpoint_region reads the
 * shared config files for a profile region; the rest does no I/O.
 */
#ifndef DANCER_ENDPOINT_H
#define DANCER_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "dancer/err.h"

struct dn_config;

enum dn_aws_service { DN_AWS_S3, DN_AWS_SQS };

struct dn_endpoint {
    char scheme[8];      /* "https" or "http" */
    char host[256];      /* Host header value: name[:port], default port omitted */
    char base_path[256]; /* path of a custom endpoint URL without trailing '/', usually "" */
    bool custom;         /* from an AWS_ENDPOINT_URL* setting or a queue URL */
};

/* Region for `svc` into out[len]. Errors: DN_ERR_CONFIG (no region; an
 * unreadable config file or unknown AWS_PROFILE, from dn_aws_region). */
int dn_endpoint_region(const struct dn_config *cfg, enum dn_aws_service svc, char *out,
                       size_t len, struct dn_err *err);

/* Endpoint for `svc` in `region` (for SQS from the configured queue URL
 * when no endpoint setting is given). Errors: DN_ERR_CONFIG (bad URL). */
int dn_endpoint_resolve(const struct dn_config *cfg, enum dn_aws_service svc, const char *region,
                        struct dn_endpoint *out, struct dn_err *err);

/* Parses "scheme://host[:port][/path]" (http or https). `what` names the
 * setting in errors ("AWS_ENDPOINT_URL"). Errors: DN_ERR_CONFIG. */
int dn_endpoint_parse(const char *url, const char *what, struct dn_endpoint *out,
                      struct dn_err *err);

/* Region in an AWS SQS queue URL's host (sqs.<r>.amazonaws.com,
 * <r>.queue.amazonaws.com) into out; false for other hosts. */
bool dn_endpoint_sqs_url_region(const char *queue_url, char *out, size_t len);

/* True when `bucket` can be a DNS label under an AWS S3 host: 3-63
 * characters of a-z 0-9 '-', starting and ending alphanumeric, and no dots
 * (dotted names break the *.s3.amazonaws.com TLS certificate). */
bool dn_endpoint_s3_virtual_ok(const char *bucket);

/* Where a request for bucket (and key, NULL for bucket operations) goes:
 * malloc'd URL without query ("https://b.s3.us-east-1.amazonaws.com/a%20b"),
 * Host value and wire path ("/a%20b"), the key URI-encoded with '/' kept
 * (dn_sigv4_uri_encode, as the signer expects for S3). `addressing` is an
 * enum dn_addressing: auto = path-style for custom endpoints, virtual-hosted
 * for AWS when the bucket allows it (dn_endpoint_s3_virtual_ok); virtual
 * falls back to path for names that cannot be DNS labels.
 * Errors: DN_ERR_INTERNAL (out of memory). Free the three strings. */
int dn_endpoint_s3_target(const struct dn_endpoint *ep, int addressing, const char *bucket,
                          const char *key, char **url, char **host, char **path,
                          struct dn_err *err);

#endif
