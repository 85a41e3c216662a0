/* cli.c — option plumbing shared by the subcommands (see cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dancer/log.h"

void dn_cli_init(struct dn_cli *cli, const char *command, const char *usage)
{
    memset(cli, 0, sizeof(*cli));
    cli->command = command;
    cli->usage = usage;
    optind = 1; /* each subcommand parses its own argv from the start */
}

void dn_cli_flag(struct dn_cli *cli, const char *setting, const char *value)
{
    /* A repeated flag replaces the earlier one, as most CLIs behave. */
    for (int i = 0; i < cli->nflags; i++) {
        if (!strcmp(cli->flags[i].name, setting)) {
            cli->flags[i].value = value;
            return;
        }
    }
    if (cli->nflags < DN_CLI_MAX_FLAGS) {
        cli->flags[cli->nflags].name = setting;
        cli->flags[cli->nflags].value = value;
        cli->nflags++;
    }
}

int dn_cli_common(struct dn_cli *cli, int opt, const char *arg)
{
    switch (opt) {
    case DN_OPT_CONFIG:
        cli->config_path = arg;
        return 0;
    case DN_OPT_LOG_FORMAT:
        dn_cli_flag(cli, "DANCER_LOG_FORMAT", arg);
        return 0;
    case DN_OPT_LOG_LEVEL:
        dn_cli_flag(cli, "DANCER_LOG_LEVEL", arg);
        return 0;
    case DN_OPT_HELP:
    case 'h':
        cli->help = true;
        return 0;
    default: /* getopt already printed what was wrong */
        fprintf(stderr, "Try 'dancer %s --help'.\n", cli->command);
        return DN_EXIT_USAGE;
    }
}

int dn_cli_load(struct dn_cli *cli, bool *done)
{
    struct dn_err err = {0};
    *done = false;
    if (cli->help) {
        fputs(cli->usage, stdout);
        *done = true;
        return DN_EXIT_OK;
    }
    int rc = dn_config_load(&cli->cfg, cli->config_path, &err);
    for (int i = 0; !rc && i < cli->nflags; i++)
        rc = dn_config_set(&cli->cfg, cli->flags[i].name, cli->flags[i].value, DN_CFG_FLAG, &err);
    if (rc)
        return dn_cli_fail(cli, &err);
    dn_log_configure((enum dn_log_format)cli->cfg.log_format,
                     (enum dn_log_level)cli->cfg.log_level, NULL);
    return DN_EXIT_OK;
}

int dn_cli_usage_error(const struct dn_cli *cli, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "dancer %s: %s\nTry 'dancer %s --help'.\n", cli->command, msg, cli->command);
    return DN_EXIT_USAGE;
}

int dn_cli_fail(const struct dn_cli *cli, const struct dn_err *err)
{
    /* A plain line on stderr, whatever the log format: this is what a person
     * sees when the command refuses to start. */
    fprintf(stderr, "dancer %s: %s error: %s\n", cli->command, dn_err_class_name(err->cls), err->msg);
    return dn_err_exit_status(err->cls);
}
