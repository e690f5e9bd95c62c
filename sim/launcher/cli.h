/* The teeshm command line: subcommands and small shared option helpers. */
#ifndef TEESHM_LAUNCHER_CLI_H
#define TEESHM_LAUNCHER_CLI_H

#include <stdint.h>

/* Each subcommand: argv[0] is the subcommand name; returns the process exit code. */
int cmd_layout(int argc, char **argv);
int cmd_mm(int argc, char **argv);

/*
 * Parse a decimal unsigned option value in [min, max]; on error print
 * "teeshm <cmd>: <option> ..." to stderr and return -1.
 */
int cli_parse_u64(const char *cmd, const char *option, const char *text, uint64_t min,
		  uint64_t max, uint64_t *out);

#endif
