/*
 * dancer_test_main.c — `dancer-test`: the dancer command line with the test
 * analyzer (test_analyzer.h) behind `worker` and `reprocess`, so the worker
 * tests run the real command — signals, exit status, flags — without the
 * pose pipeline. Every other command is dancer's own.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "test_analyzer.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: dancer-test worker|reprocess|setup|doctor [OPTIONS]\n", stderr);
        return DN_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "worker"))
        return dn_cmd_worker_with(argc - 1, argv + 1, dn_test_analyzer_new);
    if (!strcmp(argv[1], "reprocess"))
        return dn_cmd_reprocess_with(argc - 1, argv + 1, dn_test_analyzer_new);
    if (!strcmp(argv[1], "setup"))
        return dn_cmd_setup(argc - 1, argv + 1);
    if (!strcmp(argv[1], "doctor"))
        return dn_cmd_doctor(argc - 1, argv + 1);
    fprintf(stderr, "dancer-test: unknown command '%s'\n", argv[1]);
    return DN_EXIT_USAGE;
}
