/* teeshm: entry point of the launcher, dispatching to subcommands. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/launcher/cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "layout", cmd_layout,
	  "build the simulated DRAM, pass page lists from each guest to the secure view and verify them" },
	{ "mm", cmd_mm,
	  "drive the secure core memory manager: map guests' buffers, read them through the MMU, tear down" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: teeshm <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nteeshm <command> --help describes a command's options.\n");
}

int cli_parse_u64(const char *cmd, const char *option, const char *text, uint64_t min,
		  uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!text) {
		fprintf(stderr, "teeshm %s: %s needs a value\n", cmd, option);
		return -1;
	}
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end != '\0' || text[0] == '-') {
		fprintf(stderr, "teeshm %s: %s '%s' is not a decimal number\n", cmd, option, text);
		return -1;
	}
	if (v < min || v > max) {
		fprintf(stderr, "teeshm %s: %s %llu is out of range [%" PRIu64 ", %" PRIu64 "]\n", cmd,
			option, v, min, max);
		return -1;
	}
	*out = v;
	return 0;
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
