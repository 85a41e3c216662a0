/* cmd_reprocess.c — `dancer reprocess`: re-analyse an S3 prefix. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dancer/s3.h"
#include "dancer/worker.h"

static const char s_usage[] =
    "usage: dancer reprocess [OPTIONS] s3://bucket/prefix/\n"
    "Lists the prefix and analyses every upload without an up-to-date result,\n"
    "locally in batches or, with --enqueue, by queueing S3-event messages for\n"
    "the worker fleet. Re-running continues where it stopped.\n\n"
    "Options:\n"
    "  --enqueue              send the work to the queue instead of running it here\n"
    "  --queue-url URL        the queue for --enqueue [SQS_QUEUE_URL]\n"
    "  --force                redo uploads whose result is up to date\n"
    "  --dry-run              list what would be done, do nothing\n"
    "Local batches hold SQS_MAX_MESSAGES videos; uploads are the keys ending in\n"
    "S3_SUFFIX.\n" DN_CLI_COMMON_HELP;

enum { OPT_ENQUEUE = DN_OPT_FIRST_FREE, OPT_FORCE, OPT_DRY_RUN, OPT_QUEUE_URL };

static const struct option s_options[] = {
    {"enqueue", no_argument, NULL, OPT_ENQUEUE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"queue-url", required_argument, NULL, OPT_QUEUE_URL},
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

static int s_run(struct dn_cli *cli, struct dn_reprocess_options *ropt,
                 dn_analyzer_factory_fn *factory)
{
    struct dn_worker_aws aws;
    struct dn_analyzer *analyzer = NULL;
    struct dn_err err = {0};
    int rc = dn_worker_aws_open(&cli->cfg, &aws, &err);
    if (!rc && !ropt->enqueue && !ropt->dry_run)
        rc = factory(&cli->cfg, aws.s3, &analyzer, &err);
    if (!rc)
        rc = dn_reprocess_run(&cli->cfg, ropt, &aws, analyzer, NULL, &err);
    if (analyzer)
        analyzer->destroy(analyzer);
    dn_worker_aws_close(&aws);
    return rc ? dn_cli_fail(cli, &err) : DN_EXIT_OK;
}

int dn_cmd_reprocess_with(int argc, char **argv, dn_analyzer_factory_fn *factory)
{
    struct dn_cli cli;
    struct dn_reprocess_options ropt = {.out = stdout};
    char bucket[256];
    bool done;
    int opt, rc;
    dn_cli_init(&cli, "reprocess", s_usage);
    while ((opt = getopt_long(argc, argv, "h", s_options, NULL)) != -1) {
        switch (opt) {
        case OPT_ENQUEUE: ropt.enqueue = true; break;
        case OPT_FORCE: ropt.force = true; break;
        case OPT_DRY_RUN: ropt.dry_run = true; break;
        case OPT_QUEUE_URL: dn_cli_flag(&cli, "SQS_QUEUE_URL", optarg); break;
        default:
            if ((rc = dn_cli_common(&cli, opt, optarg)))
                return rc;
        }
    }
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    if (optind != argc - 1)
        return dn_cli_usage_error(&cli, "expected exactly one s3://bucket/prefix/");
    if (!dn_s3_url_split(argv[optind], bucket, sizeof(bucket), &ropt.prefix))
        return dn_cli_usage_error(&cli, "'%s' is not an s3://bucket/prefix/ URL", argv[optind]);
    ropt.bucket = bucket;
    ropt.batch = cli.cfg.sqs_max_messages;
    ropt.progress_bar = isatty(fileno(stdout));
    return s_run(&cli, &ropt, factory);
}

int dn_cmd_reprocess(int argc, char **argv)
{
    return dn_cmd_reprocess_with(argc, argv, DN_CLI_PIPELINE);
}
