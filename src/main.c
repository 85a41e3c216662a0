/*
 * dancer — turns uploaded gait videos into gait reports.
 *
 * main() only dispatches to a subcommand (src/cli/cmd_*.c); each subcommand
 * parses its options, loads the configuration and calls into the stages:
 *   worker:  SQS receive -> S3 stream -> decode -> pose -> gait -> result -> delete
 *   analyze: the same stages for local files or s3:// URLs, results on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct s_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct s_command s_commands[] = {
    {"analyze", dn_cmd_analyze, "analyse videos (local files or s3:// URLs), print JSON results"},
    {"worker", dn_cmd_worker, "process S3 upload events from the SQS queue (the main job)"},
    {"reprocess", dn_cmd_reprocess, "re-analyse every upload under an S3 prefix"},
    {"setup", dn_cmd_setup, "create the queue, dead-letter queue, policy and bucket notification"},
    {"doctor", dn_cmd_doctor, "check the live AWS set-up, one PASS/FAIL line per item"},
    {"version", dn_cmd_version, "print version, build and device information"},
};

static void s_usage(FILE *out)
{
    fputs("usage: dancer COMMAND [OPTIONS] [ARGS]\n\nCommands:\n", out);
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        fprintf(out, "  %-10s %s\n", s_commands[i].name, s_commands[i].summary);
    fputs("\n'dancer COMMAND --help' describes a command's options.\n"
          "Exit status: 0 success, 1 processing failure, 2 usage or configuration error.\n",
          out);
}

int main(int argc, char **argv)
{
    /* OpenMP's default wait policy spins at every barrier. The CPU path
     * runs the networks with OpenMP beside decode threads (and often beside
     * other processes): spinning threads then starve the ones with work,
     * and the pose stage ran 15-40x slower on a busy 2-core machine.
     * Passive waits cost ~1 % on an idle one. libgomp reads its settings
     * when it is loaded, before main, so a setenv here alone comes too
     * late: set it and exec ourselves once (same PID, same arguments). A
     * user's own setting wins; if the exec fails we run with spinning. */
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv("/proc/self/exe", argv);
    }
    if (argc < 2) {
        s_usage(stderr);
        return DN_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        s_usage(stdout);
        return DN_EXIT_OK;
    }
    if (!strcmp(name, "--version"))
        name = "version";
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        if (!strcmp(name, s_commands[i].name))
            return s_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "dancer: unknown command '%s'\n\n", name);
    s_usage(stderr);
    return DN_EXIT_USAGE;
}
