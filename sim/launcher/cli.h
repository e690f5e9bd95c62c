/* The teeshm command line: subcommands and small shared option helpers. */
#ifndef TEESHM_LAUNCHER_CLI_H
#define TEESHM_LAUNCHER_CLI_H

#include <stdint.h>

/* Each subcommand: argv[0] is the subcommand name; returns the process exit code. */
int cmd_layout(int argc, char **argv);
int cmd_mm(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
