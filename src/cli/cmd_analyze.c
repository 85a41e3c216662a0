/* cmd_analyze.c — `dancer analyze`: the pipeline on local files or s3:// URLs. */
#include "cli.h"

static const char s_usage[] =
    "usage: dancer analyze [OPTIONS] INPUT...\n"
    "Analyses gait videos and prints one JSON result per INPUT (JSON Lines).\n"
    "INPUT is a local path or s3://bucket/key. Needs no AWS configuration for\n"
    "local files.\n\n"
    "Options:\n"
    "  --device auto|cpu|gpu       where pose and gait kernels run [DANCER_DEVICE]\n"
    "  --decoder auto|cpu|gpu      video decoder: NVDEC or software [DANCER_DECODER]\n"
    "  --subject-height-cm H       subject height, gives lengths in metres\n"
    "  -o, --output FILE           write the results to FILE instead of stdout\n"
    "  --landmarks-csv FILE        write the per-frame pose track as CSV\n"
    "  --pretty                    a short human summary instead of JSON\n" DN_CLI_COMMON_HELP;

enum { OPT_DEVICE = DN_OPT_FIRST_FREE, OPT_DECODER, OPT_HEIGHT, OPT_CSV, OPT_PRETTY };

static const struct option s_options[] = {
    {"device", required_argument, NULL, OPT_DEVICE},
    {"decoder", required_argument, NULL, OPT_DECODER},
    {"subject-height-cm", required_argument, NULL, OPT_HEIGHT},
    {"output", required_argument, NULL, 'o'},
    {"landmarks-csv", required_argument, NULL, OPT_CSV},
    {"pretty", no_argument, NULL, OPT_PRETTY},
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int dn_cmd_analyze(int argc, char **argv)
{
    struct dn_cli cli;
    bool done;
    int opt, rc;
    dn_cli_init(&cli, "analyze", s_usage);
    while ((opt = getopt_long(argc, argv, "ho:", s_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DEVICE: dn_cli_flag(&cli, "DANCER_DEVICE", optarg); break;
        case OPT_DECODER: dn_cli_flag(&cli, "DANCER_DECODER", optarg); break;
        case OPT_HEIGHT: case 'o': case OPT_CSV: case OPT_PRETTY: break;
        default:
            if ((rc = dn_cli_common(&cli, opt, optarg)))
                return rc;
        }
    }
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    if (optind >= argc)
        return dn_cli_usage_error(&cli, "no INPUT given");
    return dn_cli_not_built(&cli, "the media, pose and gait stages (issues #3, #4, #5)");
}
