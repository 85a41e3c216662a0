/* cmd_setup.c — `dancer setup`: queue, DLQ, policy and bucket notification. */
#include "cli.h"

static const char s_usage[] =
    "usage: dancer setup --bucket B --queue Q [OPTIONS]\n"
    "Idempotently creates the SQS queue and its dead-letter queue (RedrivePolicy),\n"
    "the least-privilege queue policy for S3, and the bucket notification, keeping\n"
    "the bucket's other notification configurations.\n\n"
    "Options:\n"
    "  --bucket B                 upload bucket (required)\n"
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

int dn_cmd_setup(int argc, char **argv)
{
    struct dn_cli cli;
    bool done;
    int opt, rc;
    dn_cli_init(&cli, "setup", s_usage);
    while ((opt = getopt_long(argc, argv, "h", s_options, NULL)) != -1) {
        switch (opt) {
        case OPT_BUCKET: case OPT_QUEUE: case OPT_DLQ: case OPT_MRC:
        case OPT_PREFIX: case OPT_SUFFIX: case OPT_PRINT: break;
        default:
            if ((rc = dn_cli_common(&cli, opt, optarg)))
                return rc;
        }
    }
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    return dn_cli_not_built(&cli, "the setup command (issue #6)");
}
