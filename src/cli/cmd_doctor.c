/* cmd_doctor.c — `dancer doctor`: checks the live AWS set-up. */
#include "cli.h"

#include <stdio.h>

#include "dancer/worker.h"

static const char s_usage[] =
    "usage: dancer doctor [OPTIONS]\n"
    "Checks the configured queue, its policy and dead-letter queue, the bucket\n"
    "notification and the worker's permissions; one PASS/FAIL line per check,\n"
    "each failure with its fix. Exit status 1 when a check fails.\n"
    "Reads SQS_QUEUE_URL (or SQS_QUEUE_NAME), S3_BUCKET, S3_PREFIX, S3_SUFFIX and\n"
    "RESULTS_*.\n\n" DN_CLI_COMMON_HELP;

static const struct option s_options[] = {
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int dn_cmd_doctor(int argc, char **argv)
{
    struct dn_cli cli;
    struct dn_worker_aws aws;
    struct dn_err err = {0};
    bool done;
    int opt, rc, nfail = 0;
    dn_cli_init(&cli, "doctor", s_usage);
    while ((opt = getopt_long(argc, argv, "h", s_options, NULL)) != -1)
        if ((rc = dn_cli_common(&cli, opt, optarg)))
            return rc;
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    if (optind < argc)
        return dn_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
    rc = dn_worker_aws_open(&cli.cfg, &aws, &err);
    if (!rc)
        rc = dn_doctor_run(&cli.cfg, &aws, stdout, &nfail, &err);
    dn_worker_aws_close(&aws);
    if (rc)
        return dn_cli_fail(&cli, &err);
    printf("%s\n", nfail ? "doctor: some checks FAILED (fixes above)" : "doctor: all checks passed");
    return nfail ? DN_EXIT_FAILURE : DN_EXIT_OK;
}
