/* Table-driven option parsing for teeshm commands (see opts.h). */
#include "sim/common/opts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void opts_usage(const char *cmd, const struct opt_spec *specs, size_t n_specs, void *stream)
{
	FILE *out = stream;
	size_t i;

	fprintf(out, "usage: teeshm %s [options]\n", cmd);
	for (i = 0; i < n_specs; i++) {
		const struct opt_spec *s = &specs[i];
		static const char *const value_of[] = {
			[OPT_U64] = " N", [OPT_STR] = " VALUE", [OPT_FLAG] = "", [OPT_ENUM] = " CHOICE",
		};
		char left[64];

		snprintf(left, sizeof(left), "%s%s", s->name, value_of[s->kind]);
		fprintf(out, "  %-24s %s", left, s->help ? s->help : "");
		if (s->kind == OPT_ENUM && s->choices) {
			const char *const *c;

			fprintf(out, " (");
			for (c = s->choices; *c; c++)
				fprintf(out, "%s%s", *c, c[1] ? ", " : ")");
		}
		fprintf(out, "\n");
	}
}

static int parse_u64(const char *cmd, const struct opt_spec *s, const char *text)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end != '\0' || text[0] == '-' || text[0] == '+') {
		fprintf(stderr, "teeshm %s: %s '%s' is not a decimal number\n", cmd, s->name, text);
		return -1;
	}
	if (v < s->min || v > s->max) {
		fprintf(stderr, "teeshm %s: %s %llu is out of range [%" PRIu64 ", %" PRIu64 "]\n", cmd,
			s->name, v, s->min, s->max);
		return -1;
	}
	*(uint64_t *)s->out = v;
	return 0;
}

static int parse_enum(const char *cmd, const struct opt_spec *s, const char *text)
{
	unsigned i;

	for (i = 0; s->choices[i]; i++)
		if (!strcmp(s->choices[i], text)) {
			*(unsigned *)s->out = i;
			return 0;
		}
	fprintf(stderr, "teeshm %s: %s '%s' is not one of:", cmd, s->name, text);
	for (i = 0; s->choices[i]; i++)
		fprintf(stderr, " %s", s->choices[i]);
	fprintf(stderr, "\n");
	return -1;
}

int opts_parse(const char *cmd, int argc, char **argv, struct opt_spec *specs, size_t n_specs)
{
	int i;

	for (i = 1; i < argc; i++) {
		struct opt_spec *s = NULL;
		size_t k;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			opts_usage(cmd, specs, n_specs, stdout);
			return 1;
		}
		for (k = 0; k < n_specs && !s; k++)
			if (!strcmp(argv[i], specs[k].name))
				s = &specs[k];
		if (!s) {
			fprintf(stderr, "teeshm %s: unknown option '%s' (see teeshm %s --help)\n", cmd,
				argv[i], cmd);
			return -1;
		}
		if (s->seen) {
			fprintf(stderr, "teeshm %s: %s given twice\n", cmd, s->name);
			return -1;
		}
		s->seen = true;
		if (s->kind == OPT_FLAG) {
			*(bool *)s->out = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "teeshm %s: %s needs a value\n", cmd, s->name);
			return -1;
		}
		i++;
		if (s->kind == OPT_STR)
			*(const char **)s->out = argv[i];
		else if ((s->kind == OPT_U64 ? parse_u64(cmd, s, argv[i]) : parse_enum(cmd, s, argv[i])))
			return -1;
	}
	return 0;
}
