/* cmd_doctor.c — `dancer doctor`: checks the live AWS set-up. */
#include "cli.h"

static const char s_usage[] =
    "usage: dancer doctor [OPTIONS]\n"
    "Checks the configured queue, its policy and dead-letter queue, the bucket\n"
    "notification and the worker's permissions; one PASS/FAIL line per check,\n"
    "each failure with its fix. Exit status 1 when a check fails.\n\n" DN_CLI_COMMON_HELP;

static const struct option s_options[] = {
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int dn_cmd_doctor(int argc, char **argv)
{
    struct dn_cli cli;
    bool done;
    int opt, rc;
    dn_cli_init(&cli, "doctor", s_usage);
    while ((opt = getopt_long(argc, argv, "h", s_options, NULL)) != -1)
        if ((rc = dn_cli_common(&cli, opt, optarg)))
            return rc;
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    return dn_cli_not_built(&cli, "the doctor command (issue #6)");
}
