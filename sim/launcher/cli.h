/* The teeshm command line: subcommands and small shared option helpers. */
#ifndef TEESHM_LAUNCHER_CLI_H
#define TEESHM_LAUNCHER_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Each subcommand: argv[0] is the subcommand name; returns the process exit code. */
int cmd_layout(int argc, char **argv);
int cmd_mm(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

struct trace;
struct workload_gen_params;
/*
 * A workload by name: bundled (workloads/NAME.trace), a generator
 * (workloads/gen.h, with gp; NULL: defaults) or a trace file.  0, or a
 * TS_E* code with a message.
 */
int cli_workload_load(const char *w, const struct workload_gen_params *gp, struct trace **out,
		      char *err, size_t err_bytes);

/*
 * The smallest odd stride >= start that is coprime with n: stepping by it
 * modulo n visits every one of n pages once, scattered as a long-running
 * allocator scatters them.
 */
uint64_t cli_scatter_stride(uint64_t start, uint64_t n);

struct opt_spec;
/*
 * The first argument that is neither an option of specs nor an option's
 * value (a TRACE, a DIR), taken out of argv so opts_parse checks the rest;
 * NULL if there is none.  Call again for a second one.
 */
const char *cli_take_positional(int *argc, char **argv, const struct opt_spec *specs,
				size_t n_specs);

/*
 * The options and the one DIR of `teeshm CMD [options] DIR` (plot, report).
 * DIR, or NULL with *exit_code to return: 0 after --help, 2 after saying
 * what is wrong (a bad option, no DIR, two of them).
 */
const char *cli_parse_dir_command(const char *cmd, int argc, char **argv,
				  struct opt_spec *specs, size_t n_specs, int *exit_code);

#endif
