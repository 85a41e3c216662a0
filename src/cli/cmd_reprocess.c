/* cmd_reprocess.c — `dancer reprocess`: re-analyse an S3 prefix. */
#include "cli.h"

static const char s_usage[] =
    "usage: dancer reprocess [OPTIONS] s3://bucket/prefix/\n"
    "Lists the prefix and analyses every upload without an up-to-date result,\n"
    "locally in batches or, with --enqueue, by queueing S3-event messages for\n"
    "the worker fleet. Re-running continues where it stopped.\n\n"
    "Options:\n"
    "  --enqueue              send the work to the queue instead of running it here\n"
    "  --force                redo uploads whose result is up to date\n"
    "  --dry-run              list what would be done, do nothing\n" DN_CLI_COMMON_HELP;

enum { OPT_ENQUEUE = DN_OPT_FIRST_FREE, OPT_FORCE, OPT_DRY_RUN };

static const struct option s_options[] = {
    {"enqueue", no_argument, NULL, OPT_ENQUEUE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int dn_cmd_reprocess(int argc, char **argv)
{
    struct dn_cli cli;
    bool done;
    int opt, rc;
    dn_cli_init(&cli, "reprocess", s_usage);
    while ((opt = getopt_long(argc, argv, "h", s_options, NULL)) != -1) {
        switch (opt) {
        case OPT_ENQUEUE: case OPT_FORCE: case OPT_DRY_RUN: break;
        default:
            if ((rc = dn_cli_common(&cli, opt, optarg)))
                return rc;
        }
    }
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    if (optind != argc - 1)
        return dn_cli_usage_error(&cli, "expected exactly one s3://bucket/prefix/");
    return dn_cli_not_built(&cli, "the worker stage (issue #6)");
}
