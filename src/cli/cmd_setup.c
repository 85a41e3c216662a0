/* cmd_setup.c — `dancer setup`: queue, DLQ, policy and bucket notification. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "dancer/worker.h"

static const char s_usage[] =
    "usage: dancer setup --bucket B --queue Q [OPTIONS]\n"
    "Idempotently creates the SQS queue and its dead-letter queue (RedrivePolicy),\n"
    "the least-privilege queue policy for S3, and the bucket notification, keeping\n"
    "the bucket's other notification configurations. The queue gets\n"
    "VisibilityTimeout = SQS_VISIBILITY_TIMEOUT, ReceiveMessageWaitTimeSeconds =\n"
    "SQS_LONG_POLL_TIMEOUT and 14 days' retention. Running it again changes nothing.\n\n"
    "Options:\n"
    "  --bucket B                 upload bucket (required; it must exist)\n"
    "  --queue Q                  queue name (required)\n"
    "  --dlq NAME                 dead-letter queue name (default: Q-dlq)\n"
    "  --max-receive-count N      receives before a message moves to the DLQ (default 3)\n"
    "  --prefix P                 notification key prefix (default uploads/)\n"
    "  --suffix S                 notification key suffix (default .mp4)\n"
    "  --print                    print the JSON documents and AWS CLI commands instead\n"
    DN_CLI_COMMON_HELP;

enum { OPT_BUCKET = DN_OPT_FIRST_FREE, OPT_QUEUE, OPT_DLQ, OPT_MRC, OPT_PREFIX, OPT_SUFFIX, OPT_PRINT };

static const struct option s_options[] = {
    {"bucket", required_argument, NULL, OPT_BUCKET},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"dlq", required_argument, NULL, OPT_DLQ},
    {"max-receive-count", required_argument, NULL, OPT_MRC},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"suffix", required_argument, NULL, OPT_SUFFIX},
    {"print", no_argument, NULL, OPT_PRINT},
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

static int s_run(struct dn_cli *cli, const struct dn_setup_options *sopt, bool print)
{
    struct dn_worker_aws aws;
    struct dn_err err = {0};
    int rc = dn_worker_aws_open(&cli->cfg, &aws, &err);
    if (print) /* works without an account too: then the script asks STS */
        rc = dn_setup_print(&cli->cfg, sopt, rc ? NULL : &aws, &err);
    else if (!rc)
        rc = dn_setup_run(&cli->cfg, sopt, &aws, &err);
    dn_worker_aws_close(&aws);
    return rc ? dn_cli_fail(cli, &err) : DN_EXIT_OK;
}

int dn_cmd_setup(int argc, char **argv)
{
    struct dn_cli cli;
    struct dn_setup_options sopt = {.max_receive_count = 3, .prefix = "uploads/", .suffix = ".mp4",
                                     .out = stdout};
    const char *mrc = NULL;
    bool done, print = false;
    int opt, rc;
    dn_cli_init(&cli, "setup", s_usage);
    while ((opt = getopt_long(argc, argv, "h", s_options, NULL)) != -1) {
        switch (opt) {
        case OPT_BUCKET: sopt.bucket = optarg; break;
        case OPT_QUEUE: sopt.queue = optarg; break;
        case OPT_DLQ: sopt.dlq = optarg; break;
        case OPT_MRC: mrc = optarg; break;
        case OPT_PREFIX: sopt.prefix = optarg; break;
        case OPT_SUFFIX: sopt.suffix = optarg; break;
        case OPT_PRINT: print = true; break;
        default:
            if ((rc = dn_cli_common(&cli, opt, optarg)))
                return rc;
        }
    }
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    if (optind < argc)
        return dn_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
    if (!sopt.bucket || !*sopt.bucket || !sopt.queue || !*sopt.queue)
        return dn_cli_usage_error(&cli, "--bucket and --queue are required");
    if (mrc) {
        char *end;
        long v = strtol(mrc, &end, 10);
        if (*end || v < 1 || v > 1000)
            return dn_cli_usage_error(&cli, "--max-receive-count must be 1..1000, got '%s'", mrc);
        sopt.max_receive_count = (int)v;
    }
    return s_run(&cli, &sopt, print);
}
