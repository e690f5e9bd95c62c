/* The teeshm command line: subcommands and small shared option helpers. */
#ifndef TEESHM_LAUNCHER_CLI_H
#define TEESHM_LAUNCHER_CLI_H

#include <stdint.h>

/* Each subcommand: argv[0] is the subcommand name; returns the process exit code. */
int cmd_layout(int argc, char **argv);
int cmd_mm(int argc, char **argv);
int cmd_run(int argc, char **argv);

/*
 * The smallest odd stride >= start that is coprime with n: stepping by it
 * modulo n visits every one of n pages once, scattered as a long-running
 * allocator scatters them.
 */
uint64_t cli_scatter_stride(uint64_t start, uint64_t n);

#endif
