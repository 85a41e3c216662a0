/*
 * aws_env.h — what an integration test needs to talk to the local S3+SQS
 * server (moto, started by the ctest fixture): configuration pointing at it,
 * one HTTP pool, credentials, and the S3 and SQS clients.
 */
#ifndef DANCER_TEST_AWS_ENV_H
#define DANCER_TEST_AWS_ENV_H

#include <stdbool.h>

#include "dancer/config.h"
#include "dancer/creds.h"
#include "dancer/http.h"
#include "dancer/s3.h"
#include "dancer/sqs.h"

struct dn_stub;

struct dn_aws_env {
    struct dn_config cfg;
    struct dn_http_pool *pool;
    struct dn_creds_provider *creds;
    struct dn_s3_client *s3;
    struct dn_sqs_client *sqs;
    struct dn_err err;
    const char *endpoint;
};

/* Sets everything up against moto. Returns false when moto is not running
 * (the caller skips) or setup fails (the caller fails: err says why). */
bool dn_aws_env_open(struct dn_aws_env *e);

/* The same with test credentials, no shared files, and then `settings`
 * (NAME, VALUE, ..., NULL) applied as flags: for the scripted server. */
bool dn_aws_env_open_with(struct dn_aws_env *e, const char *const *settings);
void dn_aws_env_close(struct dn_aws_env *e);

/* The clients against the scripted server (http_stub.h); in aws_stub_env.c,
 * so users of the moto environment need not link the stub. */
struct dn_aws_stub_env {
    struct dn_aws_env aws;
    struct dn_stub *stub;
    char url[64];   /* the stub's "http://127.0.0.1:PORT" */
};

/* Starts a stub and opens the clients with `settings` as in
 * dn_aws_env_open_with, where a value starting "{stub}" has that replaced by
 * the stub's URL ("{stub}/1/jobs"). Fails the test and returns false on error. */
bool dn_aws_stub_env_open(struct dn_aws_stub_env *e, const char *const *settings);
void dn_aws_stub_env_close(struct dn_aws_stub_env *e);

/* Runs tests/aws/moto_fill.py with the endpoint and these arguments using the
 * tests' Python; returns its exit status. */
int dn_aws_env_fill(struct dn_aws_env *e, const char *args);

/* Opens the environment in a DN_TEST case: skips without moto, fails
 * (and returns) when setup breaks. */
#define DN_AWS_ENV_OPEN(e)                                          \
    do {                                                            \
        if (!dn_aws_env_open(e)) {                                  \
            bool dn_failed_ = (e)->err.msg[0] != '\0';              \
            if (dn_failed_)                                         \
                dn_test_fail(__FILE__, __LINE__, "%s", (e)->err.msg); \
            dn_aws_env_close(e);                                    \
            if (!dn_failed_)                                        \
                DN_SKIP("no local S3+SQS server (moto)");           \
            return;                                                 \
        }                                                           \
    } while (0)

#endif
