/* cmd_worker.c — `dancer worker`: the SQS batch loop, the main job. */
#include "cli.h"

#include "dancer/analyzer.h"
#include "dancer/worker.h"

static const char s_usage[] =
    "usage: dancer worker [OPTIONS]\n"
    "Long-polls the SQS queue for S3 upload events, analyses the videos in\n"
    "batches and writes one result JSON per upload to S3. SIGTERM drains.\n\n"
    "Options:\n"
    "  --queue-url URL        queue to poll [SQS_QUEUE_URL]\n"
    "  --max-messages N       1..10 messages per receive [SQS_MAX_MESSAGES]\n"
    "  --once                 process one batch, then exit\n"
    "  --exit-when-idle       exit when a long poll returns no message\n"
    "  --force                redo uploads whose result already exists\n" DN_CLI_COMMON_HELP;

enum { OPT_QUEUE_URL = DN_OPT_FIRST_FREE, OPT_MAX_MESSAGES, OPT_ONCE, OPT_IDLE, OPT_FORCE };

static const struct option s_options[] = {
    {"queue-url", required_argument, NULL, OPT_QUEUE_URL},
    {"max-messages", required_argument, NULL, OPT_MAX_MESSAGES},
    {"once", no_argument, NULL, OPT_ONCE},
    {"exit-when-idle", no_argument, NULL, OPT_IDLE},
    {"force", no_argument, NULL, OPT_FORCE},
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

/* Opens AWS, makes the analyzer and runs the loop until it ends. */
static int s_run(struct dn_cli *cli, const struct dn_worker_options *wopt,
                 dn_analyzer_factory_fn *factory)
{
    struct dn_worker_aws aws;
    struct dn_analyzer *analyzer = NULL;
    struct dn_err err = {0};
    int rc = dn_worker_aws_open(&cli->cfg, &aws, &err);
    if (!rc)
        rc = factory(&cli->cfg, aws.s3, &analyzer, &err);
    if (!rc)
        rc = dn_worker_run(&cli->cfg, wopt, &aws, analyzer, NULL, &err);
    if (analyzer)
        analyzer->destroy(analyzer);
    dn_worker_aws_close(&aws);
    return rc ? dn_cli_fail(cli, &err) : DN_EXIT_OK;
}

int dn_cmd_worker_with(int argc, char **argv, dn_analyzer_factory_fn *factory)
{
    struct dn_cli cli;
    struct dn_worker_options wopt = {0};
    bool done;
    int opt, rc;
    dn_cli_init(&cli, "worker", s_usage);
    while ((opt = getopt_long(argc, argv, "h", s_options, NULL)) != -1) {
        switch (opt) {
        case OPT_QUEUE_URL: dn_cli_flag(&cli, "SQS_QUEUE_URL", optarg); break;
        case OPT_MAX_MESSAGES: dn_cli_flag(&cli, "SQS_MAX_MESSAGES", optarg); break;
        case OPT_ONCE: wopt.once = true; break;
        case OPT_IDLE: wopt.exit_when_idle = true; break;
        case OPT_FORCE: wopt.force = true; break;
        default:
            if ((rc = dn_cli_common(&cli, opt, optarg)))
                return rc;
        }
    }
    if (optind < argc)
        return dn_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    return s_run(&cli, &wopt, factory);
}

int dn_cmd_worker(int argc, char **argv)
{
    return dn_cmd_worker_with(argc, argv, DN_CLI_PIPELINE);
}
