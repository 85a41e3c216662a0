/*
 * cli.h — what every subcommand shares: the common options (--config,
 * --log-format, --log-level, --help), flags that override settings, and the
 * exit-status rules (0 ok, 1 processing failure, 2 usage/configuration).
 * Only src/cli/ and main() may exit the process.
 */
#ifndef DANCER_CLI_H
#define DANCER_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "dancer/analyzer.h"
#include "dancer/config.h"
#include "dancer/err.h"
#include "dancer/pipeline.h"

enum { DN_EXIT_OK = 0, DN_EXIT_FAILURE = 1, DN_EXIT_USAGE = 2 };

/* getopt_long codes of the common options (above any short option). */
enum {
    DN_OPT_CONFIG = 1000,
    DN_OPT_LOG_FORMAT,
    DN_OPT_LOG_LEVEL,
    DN_OPT_HELP,
    DN_OPT_FIRST_FREE = 1100 /* subcommands number their long-only options from here */
};

#define DN_CLI_COMMON_OPTIONS                                        \
    {"config", required_argument, NULL, DN_OPT_CONFIG},             \
    {"log-format", required_argument, NULL, DN_OPT_LOG_FORMAT},     \
    {"log-level", required_argument, NULL, DN_OPT_LOG_LEVEL},       \
    {"help", no_argument, NULL, DN_OPT_HELP}

#define DN_CLI_COMMON_HELP                                                          \
    "Common options:\n"                                                             \
    "  --config FILE         read settings from FILE (.env format: KEY=VALUE)\n"   \
    "  --log-format FMT      json (default) or text   [DANCER_LOG_FORMAT]\n"       \
    "  --log-level LEVEL     debug|info|warn|error    [DANCER_LOG_LEVEL]\n"        \
    "  -h, --help            this help\n"                                          \
    "Settings come from flags, then the environment, then --config FILE, then\n"   \
    "defaults (see README.md, \"Configuration\").\n"

#define DN_CLI_MAX_FLAGS 32

struct dn_cli {
    const char *command;   /* "worker" */
    const char *usage;     /* full help text, printed by --help */
    const char *config_path;
    bool help;
    int nflags;
    struct { const char *name, *value; } flags[DN_CLI_MAX_FLAGS];
    struct dn_config cfg;  /* valid after dn_cli_load */
};

void dn_cli_init(struct dn_cli *cli, const char *command, const char *usage);

/* Records a flag that sets a setting; applied after the environment so
 * flags win. `value` must outlive the cli (argv strings do). */
void dn_cli_flag(struct dn_cli *cli, const char *setting, const char *value);

/* Handles a common option or an unknown one ('?'). Returns 0 when handled,
 * DN_EXIT_USAGE for '?' or an unexpected code (after printing a hint). */
int dn_cli_common(struct dn_cli *cli, int opt, const char *arg);

/* After option parsing: prints help and returns 0 with *done = true for
 * --help; otherwise loads defaults < file < environment < flags, configures
 * logging, and returns 0, or prints the one-line error and returns
 * DN_EXIT_USAGE. */
int dn_cli_load(struct dn_cli *cli, bool *done);

/* Prints "dancer CMD: message" for a usage error and returns DN_EXIT_USAGE. */
int dn_cli_usage_error(const struct dn_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints an error record as one line and returns its exit status. */
int dn_cli_fail(const struct dn_cli *cli, const struct dn_err *err);

/* The analyzer `dancer worker` and `dancer reprocess` run: the same
 * pipeline as `dancer analyze` (media -> pose -> gait -> result). */
#define DN_CLI_PIPELINE dn_pipeline_analyzer_new

/* `dancer worker` / `dancer reprocess` with the analyzer `factory` makes;
 * the dancer binary passes DN_CLI_PIPELINE, tests pass their own. */
int dn_cmd_worker_with(int argc, char **argv, dn_analyzer_factory_fn *factory);
int dn_cmd_reprocess_with(int argc, char **argv, dn_analyzer_factory_fn *factory);

int dn_cmd_analyze(int argc, char **argv);
int dn_cmd_worker(int argc, char **argv);
int dn_cmd_reprocess(int argc, char **argv);
int dn_cmd_setup(int argc, char **argv);
int dn_cmd_doctor(int argc, char **argv);
int dn_cmd_version(int argc, char **argv);

#endif
