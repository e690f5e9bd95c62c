/* teeshm: entry point of the launcher, dispatching to subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/opts.h"
#include "sim/hv/world_main.h"
#include "sim/launcher/cli.h"
#include "sim/normal/world_main.h"
#include "sim/secure/world_main.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help; /* NULL: a world process the launcher spawns, not listed */
} commands[] = {
	{ "run", cmd_run,
	  "run the worlds as processes: secure world, hypervisor and guests (or one normal world)" },
	{ "replay", cmd_replay,
	  "replay a workload trace in one process under one strategy (deterministic)" },
	{ "compare", cmd_compare,
	  "replay a workload under every strategy: a side-by-side table, one JSON result each" },
	{ "gate", cmd_gate,
	  "compare a run's result with a baseline: exact on modeled figures, tolerance on host timings" },
	{ "sweep", cmd_sweep,
	  "replay one buffer of 4 KiB .. 64 MiB, and 1 .. 64 VMs, under every strategy (the #6142 curve)" },
	{ "plot", cmd_plot,
	  "draw a compare (and sweep) directory's results with gnuplot: PNG and SVG figures" },
	{ "report", cmd_report,
	  "one self-contained HTML page of a compare directory: tables, figures, configuration" },
	{ "gen", cmd_gen, "write a generated workload trace (reuse-heavy, streaming, ...)" },
	{ "layout", cmd_layout,
	  "build the simulated DRAM, pass page lists from each guest to the secure view and verify them" },
	{ "mm", cmd_mm,
	  "drive the secure core memory manager: map guests' buffers, read them through the MMU, tear down" },
	{ "world-secure", secure_world_main, NULL },
	{ "world-hv", hv_world_main, NULL },
	{ "world-guest", guest_world_main, NULL },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: teeshm <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].help)
			fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nteeshm <command> --help describes a command's options.\n");
}

const char *cli_take_positional(int *argc, char **argv, const struct opt_spec *specs,
				size_t n_specs)
{
	const char *found;
	int i;
	size_t k;

	for (i = 1; i < *argc; i++) {
		for (k = 0; k < n_specs && strcmp(argv[i], specs[k].name); k++)
			;
		if (k < n_specs) {
			i += specs[k].kind != OPT_FLAG; /* skip its value */
			continue;
		}
		if (argv[i][0] == '-')
			continue; /* opts_parse will say what is wrong with it */
		found = argv[i];
		memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i - 1) * sizeof(argv[0]));
		argv[--*argc] = NULL;
		return found;
	}
	return NULL;
}

const char *cli_parse_dir_command(const char *cmd, int argc, char **argv,
				  struct opt_spec *specs, size_t n_specs, int *exit_code)
{
	const char *dir = cli_take_positional(&argc, argv, specs, n_specs), *extra;
	int rc;

	if (dir && (extra = cli_take_positional(&argc, argv, specs, n_specs))) {
		fprintf(stderr, "teeshm %s: one directory at a time ('%s', then '%s')\n", cmd, dir,
			extra);
		*exit_code = 2;
		return NULL;
	}
	rc = opts_parse(cmd, argc, argv, specs, n_specs);
	if (rc) {
		*exit_code = rc > 0 ? 0 : 2;
		return NULL;
	}
	if (!dir) {
		fprintf(stderr, "teeshm %s: which directory? (teeshm %s [options] DIR, as written "
				"by teeshm compare --out DIR)\n", cmd, cmd);
		*exit_code = 2;
	}
	return dir;
}

uint64_t cli_scatter_stride(uint64_t start, uint64_t n)
{
	uint64_t stride = start | 1;

	for (;; stride += 2) {
		uint64_t a = stride, b = n;

		while (b) {
			uint64_t t = a % b;

			a = b;
			b = t;
		}
		if (a == 1)
			return stride;
	}
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "teeshm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
