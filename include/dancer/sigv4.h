/*
 * sigv4.h — AWS Signature Version 4, header-based, on OpenSSL.
 *
 * Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * The stages (canonical request, string to sign, signing key, signature) are
 * exposed separately so tests can check each against the published AWS
 * SigV4 test suite, as aws-c-auth does.
 *
 * Input is the request as it will go on the wire: the path already
 * URI-encoded once (dn_sigv4_uri_encode), the query string as sent. For S3
 * (s3_rules) the path is signed exactly as sent; for every other service it
 * is normalised (dot segments removed, repeated slashes collapsed) and
 * URI-encoded a second time, as the spec requires.
 *
 * The wire path of an S3 object is "/" + dn_sigv4_uri_encode(key, true)
 * (after "/bucket" for path-style): RFC 3986 unreserved characters and '/'
 * kept, every other byte of the UTF-8 key %XX. That is byte for byte what
 * botocore sends (its serializer quotes keys with safe='/~'), so dancer's
 * requests sign and address objects exactly as the AWS CLI's do; keys with
 * "./", "../" or "//" stay as they are. Query values are encoded the same
 * way with keep_slash false. The host header must be what goes on the wire,
 * port included when it is not the scheme's default ("127.0.0.1:4566").
 *
 * Checked by tests/aws/test_sigv4_suite.c (the published AWS test suite,
 * stage by stage) and tests/aws/sigv4_botocore_diff.py (botocore's signer
 * over generated S3 and SQS requests).
 */
#ifndef DANCER_SIGV4_H
#define DANCER_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dancer/err.h"

struct dn_creds;

/* One HTTP header. Names are compared case-insensitively. */
struct dn_sigv4_header {
    const char *name;
    const char *value;
};

struct dn_sigv4_request {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* wire form, e.g. "/bucket/a%20b.mp4"; "" means "/" */
    const char *query;   /* wire form without '?', e.g. "list-type=2&prefix=a%2Fb"; NULL or "" if none */
    const struct dn_sigv4_header *headers; /* every header to sign; must include host */
    size_t nheaders;
    const char *payload_hash; /* lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *region;       /* "us-east-1" */
    const char *service;      /* "s3", "sqs" */
    time_t time;              /* signing time (UTC seconds) */
    bool s3_rules;            /* S3: no normalisation or double encoding; sign x-amz-content-sha256 */
};

/* What the caller adds to the request. */
struct dn_sigv4_signed {
    char amz_date[17];         /* X-Amz-Date: "20150830T123600Z" */
    char content_sha256[72];   /* x-amz-content-sha256 (set when s3_rules) */
    char authorization[2048];  /* Authorization header value */
    /* X-Amz-Security-Token: the credentials' session token, when non-empty. */
};

/* Signs `req` with `creds`. x-amz-date, x-amz-content-sha256 (S3) and
 * x-amz-security-token (when the credentials have a session token) are added
 * to the signed headers by the signer; the caller must send them too, and
 * must not pass them (or Authorization) in req->headers.
 * Errors: DN_ERR_INTERNAL (out of memory, missing host header, a header the
 * signer sets passed by the caller, Authorization longer than its buffer). */
int dn_sigv4_sign(const struct dn_sigv4_request *req, const struct dn_creds *creds,
                  struct dn_sigv4_signed *out, struct dn_err *err);

/* --- stages, exposed for tests ------------------------------------------ */

/* Canonical request (malloc'd string, caller frees) and the signed-headers
 * list ("host;x-amz-date"), for `req` at `amz_date`, with the extra headers
 * dn_sigv4_sign would add (pass NULL session_token for none). */
int dn_sigv4_canonical_request(const struct dn_sigv4_request *req, const char *amz_date,
                               const char *session_token, char **canonical,
                               char **signed_headers, struct dn_err *err);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n<hex sha256(canonical)>".
 * Malloc'd; caller frees. */
char *dn_sigv4_string_to_sign(const char *canonical, const char *amz_date, const char *region,
                              const char *service);

/* kSigning = HMAC chain over "AWS4"+secret, date (YYYYMMDD), region, service, "aws4_request". */
void dn_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                          const char *service, unsigned char key[32]);

/* --- helpers shared with the HTTP clients -------------------------------- */

/* URI-encodes `in` per SigV4 (RFC 3986 unreserved A-Z a-z 0-9 - _ . ~ kept,
 * everything else %XX upper-case); '/' is kept when keep_slash. Malloc'd. */
char *dn_sigv4_uri_encode(const char *in, bool keep_slash);

/* Lower-case hex SHA-256 of `len` bytes into hex[65]. */
void dn_sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

/* "20150830T123600Z" for t. */
void dn_sigv4_amz_date(time_t t, char out[17]);

#endif
