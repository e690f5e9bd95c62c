/*
 * A small command-line option parser for teeshm's commands and world
 * processes: "--name value" pairs and "--flag"s, checked against a table.
 * Any unknown option, missing or malformed value, or value out of range is
 * reported as "teeshm <cmd>: <what is wrong>" on stderr.  Host code.
 */
#ifndef TEESHM_COMMON_OPTS_H
#define TEESHM_COMMON_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum opt_kind {
	OPT_U64,  /* decimal, within [min, max]; out is uint64_t * */
	OPT_STR,  /* any string; out is const char ** */
	OPT_FLAG, /* no value; out is bool * */
	OPT_ENUM, /* one of choices[] (NULL-terminated); out is unsigned * (the index) */
};

struct opt_spec {
	const char *name; /* "--vms" */
	enum opt_kind kind;
	void *out;
	uint64_t min, max;
	const char *const *choices;
	const char *help;
	bool seen; /* set by opts_parse */
};

/* Spec builders: designated initializers, so the table reads as a list of options. */
#define OPT_SPEC_U64(nm, ptr, lo, hi, text) \
	((struct opt_spec){ .name = (nm), .kind = OPT_U64, .out = (ptr), .min = (lo), .max = (hi), .help = (text) })
#define OPT_SPEC_STR(nm, ptr, text) \
	((struct opt_spec){ .name = (nm), .kind = OPT_STR, .out = (ptr), .help = (text) })
#define OPT_SPEC_FLAG(nm, ptr, text) \
	((struct opt_spec){ .name = (nm), .kind = OPT_FLAG, .out = (ptr), .help = (text) })
#define OPT_SPEC_ENUM(nm, ptr, list, text) \
	((struct opt_spec){ .name = (nm), .kind = OPT_ENUM, .out = (ptr), .choices = (list), .help = (text) })

/*
 * Parse argv[1..argc) against specs.  Returns 0, 1 if --help was given (usage
 * printed to stdout), or -1 after printing what is wrong to stderr.
 */
int opts_parse(const char *cmd, int argc, char **argv, struct opt_spec *specs, size_t n_specs);

/* Print "usage: teeshm <cmd> [options]" and one line per option. */
void opts_usage(const char *cmd, const struct opt_spec *specs, size_t n_specs, void *stream);

#endif
