/*
 * Unit tests for platform profiles (sim/common/profile.c): the shipped INI
 * files load, the cost model equals hand-computed figures exactly, and every
 * malformed profile is refused with "<origin>:<line>: ..." naming the key.
 *
 * The shipped profiles are found under the source tree: argv[1] if given,
 * else the TEESHM_SOURCE_DIR compile definition (CMake sets it).
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/profile.h"
#include "sim/common/ts_err.h"

static const char *source_dir;

/* A valid profile with round numbers; line numbers matter to the error tests. */
static const char *const base_lines[] = {
	"[profile]",                        /* 1 */
	"schema = teeshm.profile/1",        /* 2 */
	"name = test",                      /* 3 */
	"[cpu]",                            /* 4 */
	"mhz = 1000",                       /* 5 */
	"[tlb]",                            /* 6 */
	"entries = 64",                     /* 7 */
	"ways = 4",                         /* 8 */
	"[smc]",                            /* 9 */
	"round_trip_cycles = 2000",         /* 10 */
	"secure_entry_cycles = 500",        /* 11 */
	"[mmu]",                            /* 12 */
	"pte_write_cycles = 10",            /* 13 */
	"walk_level_cycles = 7",            /* 14 */
	"tlbi_va_cycles = 20",              /* 15 */
	"tlbi_vaa_cycles = 21",             /* 16 */
	"tlbi_range_cycles = 40",           /* 17 */
	"tlbi_asid_cycles = 30",            /* 18 */
	"tlbi_all_cycles = 50",             /* 19 */
	"dsb_cycles = 100",                 /* 20 */
	"isb_cycles = 9",                   /* 21 */
	"[mem]",                            /* 22 */
	"memcpy_bytes_per_cycle = 1.5",     /* 23 */
	"[os]",                             /* 24 */
	"map_overhead_cycles = 300",        /* 25 */
	"unmap_overhead_cycles = 200",      /* 26 */
	"map_page_cycles = 40",             /* 27 */
	"unmap_page_cycles = 25",           /* 28 */
};
#define N_BASE_LINES (sizeof(base_lines) / sizeof(base_lines[0]))

/*
 * The base text with line `line` (1-based) replaced by `repl` (NULL: deleted,
 * so later lines move up one); line 0 replaces nothing.  `extra` is appended.
 */
static char *make_text(unsigned int line, const char *repl, const char *extra)
{
	size_t cap = 4096;
	char *buf = malloc(cap);

	assert_non_null(buf);
	buf[0] = '\0';
	for (unsigned int i = 0; i < N_BASE_LINES; i++) {
		const char *l = (i + 1 == line) ? repl : base_lines[i];

		if (!l)
			continue;
		assert_true(strlen(buf) + strlen(l) + 2 < cap);
		strcat(buf, l);
		strcat(buf, "\n");
	}
	if (extra) {
		assert_true(strlen(buf) + strlen(extra) + 1 < cap);
		strcat(buf, extra);
	}
	return buf;
}

static void load_base(struct profile *p)
{
	char err[256];
	char *text = make_text(0, NULL, NULL);

	assert_int_equal(profile_load_string(text, "t", p, err, sizeof(err)), 0);
	free(text);
}

static void load_shipped(const char *file, struct profile *p)
{
	char path[1024], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/profiles/%s", source_dir, file);
	r = profile_load_file(path, p, err, sizeof(err));
	if (r)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_int_equal(profile_check(p), 0);
}

/* Both shipped profiles load, pass the invariant check and hold the cited figures. */
static void test_shipped_profiles_load(void **state)
{
	struct profile a53, a72;

	(void)state;
	load_shipped("cortex-a53.ini", &a53);
	load_shipped("cortex-a72.ini", &a72);
	assert_string_equal(a53.name, "cortex-a53");
	assert_string_equal(a72.name, "cortex-a72");
	assert_int_equal(a53.cpu_mhz, 1200);
	assert_int_equal(a72.cpu_mhz, 1800);
	assert_int_equal(a53.tlb_entries, 512);
	assert_int_equal(a72.tlb_entries, 1024);
	assert_int_equal(a53.smc_round_trip_cycles, 1950);
	assert_int_equal(a72.smc_round_trip_cycles, 558);
	assert_int_equal(a53.memcpy_milli_bytes_per_cycle, 1398);
	assert_int_equal(a72.memcpy_milli_bytes_per_cycle, 1535);
	/* calibrated to optee_os #6142 on the A53; the A72 keeps the cycle counts */
	assert_int_equal(a53.map_page_cycles, 1161);
	assert_int_equal(a53.unmap_page_cycles, 580);
	assert_int_equal(a72.map_page_cycles, 1161);
	assert_int_equal(a72.unmap_page_cycles, 580);
	assert_true(a53.description[0] != '\0');
}

/* Every field of the base profile lands where the key says. */
static void test_fields_parsed(void **state)
{
	struct profile p;

	(void)state;
	load_base(&p);
	assert_int_equal(profile_check(&p), 0);
	assert_string_equal(p.name, "test");
	assert_string_equal(p.description, "");
	assert_int_equal(p.cpu_mhz, 1000);
	assert_int_equal(p.tlb_entries, 64);
	assert_int_equal(p.tlb_ways, 4);
	assert_int_equal(p.smc_round_trip_cycles, 2000);
	assert_int_equal(p.smc_secure_entry_cycles, 500);
	assert_int_equal(p.pte_write_cycles, 10);
	assert_int_equal(p.walk_level_cycles, 7);
	assert_int_equal(p.tlbi_va_cycles, 20);
	assert_int_equal(p.tlbi_vaa_cycles, 21);
	assert_int_equal(p.tlbi_range_cycles, 40);
	assert_int_equal(p.tlbi_asid_cycles, 30);
	assert_int_equal(p.tlbi_all_cycles, 50);
	assert_int_equal(p.dsb_cycles, 100);
	assert_int_equal(p.isb_cycles, 9);
	assert_int_equal(p.memcpy_milli_bytes_per_cycle, 1500);
	assert_int_equal(p.map_overhead_cycles, 300);
	assert_int_equal(p.unmap_overhead_cycles, 200);
	assert_int_equal(p.map_page_cycles, 40);
	assert_int_equal(p.unmap_page_cycles, 25);
}

/* Modeled cycles of a mixed count set equal the hand-computed 19661 exactly. */
static void test_modeled_cycles_hand_computed(void **state)
{
	struct profile p;
	struct cost_counts c = {
		.smcs = 3,          /* 3 * (2000 + 500)      = 7500 */
		.pte_writes = 100,  /* 100 * 10              = 1000 */
		.walk_levels = 12,  /* 12 * 7                =   84 */
		.tlbi_va = 5,       /* 5 * 20                =  100 */
		.tlbi_vaa = 1,      /* 1 * 21                =   21 */
		.tlbi_range = 2,    /* 2 * 40                =   80 */
		.tlbi_asid = 1,     /* 1 * 30                =   30 */
		.tlbi_all = 4,      /* 4 * 50                =  200 */
		.dsb = 6,           /* 6 * 100               =  600 */
		.isb = 6,           /* 6 * 9                 =   54 */
		.copy_bytes = 4097, /* ceil(4097 / 1.5)      = 2732 */
		.maps = 7,          /* 7 * 300               = 2100 */
		.unmaps = 7,        /* 7 * 200               = 1400 */
		.pages_mapped = 64, /* 64 * 40               = 2560 */
		.pages_unmapped = 48, /* 48 * 25             = 1200 */
	};

	(void)state;
	load_base(&p);
	assert_int_equal(profile_copy_cycles(&p, 4097), 2732);
	assert_int_equal(profile_modeled_cycles(&p, &c), 19661);
	assert_int_equal(profile_cycles_to_ns(&p, 19661), 19661); /* 1000 MHz */
}

/* One dynamic-strategy invoke priced with the shipped profiles gives the hand figures. */
static void test_shipped_profiles_hand_computed(void **state)
{
	struct profile a53, a72;
	struct cost_counts c = {
		.smcs = 3, .pte_writes = 2, .walk_levels = 3, .tlbi_all = 1,
		.dsb = 2, .isb = 1, .copy_bytes = 4096, .maps = 1, .unmaps = 1,
		.pages_mapped = 1, .pages_unmapped = 1,
	};

	(void)state;
	load_shipped("cortex-a53.ini", &a53);
	load_shipped("cortex-a72.ini", &a72);
	/*
	 * A53: 3*(1950+1000) + 2*13 + 3*7 + 30 + 2*100 + 9 + ceil(4096000/1398)
	 *      + 500 + 500 + 1161 + 580
	 *      = 8850 + 26 + 21 + 30 + 200 + 9 + 2930 + 1000 + 1741 = 14807
	 */
	assert_int_equal(profile_copy_cycles(&a53, 4096), 2930);
	assert_int_equal(profile_modeled_cycles(&a53, &c), 14807);
	assert_int_equal(profile_cycles_to_ns(&a53, 14807), 12339); /* 12339.17 */
	/*
	 * A72: 3*(558+500) + 2*21 + 3*10 + 30 + 2*200 + 14 + ceil(4096000/1535)
	 *      + 300 + 300 + 1161 + 580
	 *      = 3174 + 42 + 30 + 30 + 400 + 14 + 2669 + 600 + 1741 = 8700
	 */
	assert_int_equal(profile_copy_cycles(&a72, 4096), 2669);
	assert_int_equal(profile_modeled_cycles(&a72, &c), 8700);
	assert_int_equal(profile_cycles_to_ns(&a72, 8700), 4833); /* 4833.33 */
}

/* Copy cycles round up, zero bytes cost nothing, and huge inputs saturate. */
static void test_copy_and_ns_rounding(void **state)
{
	struct profile p;
	struct cost_counts c = { .copy_bytes = UINT64_MAX };

	(void)state;
	load_base(&p);
	assert_int_equal(profile_copy_cycles(&p, 0), 0);
	assert_int_equal(profile_copy_cycles(&p, 1), 1);       /* 0.67 -> 1 */
	assert_int_equal(profile_copy_cycles(&p, 3), 2);       /* exact */
	assert_int_equal(profile_copy_cycles(&p, 1500), 1000); /* exact */
	assert_int_equal(profile_copy_cycles(&p, 1501), 1001); /* 1000.67 -> 1001 */
	/* UINT64_MAX / 1.5 fits, so it is exact: ceil((2^64-1) * 2 / 3) */
	assert_true(profile_copy_cycles(&p, UINT64_MAX) == 12297829382473034410ULL);
	p.memcpy_milli_bytes_per_cycle = 1; /* 0.001 B/cycle: 1000 cycles a byte */
	assert_true(profile_copy_cycles(&p, UINT64_MAX) == UINT64_MAX);
	assert_true(profile_modeled_cycles(&p, &c) == UINT64_MAX);
	load_base(&p);
	p.cpu_mhz = 3;
	assert_int_equal(profile_cycles_to_ns(&p, 1), 333); /* 333.3 */
	assert_int_equal(profile_cycles_to_ns(&p, 2), 667); /* 666.7 */
	p.cpu_mhz = 1;
	assert_true(profile_cycles_to_ns(&p, UINT64_MAX) == UINT64_MAX);
}

/* Loading twice gives identical bytes, cycles and JSON: the model is deterministic. */
static void test_deterministic(void **state)
{
	struct profile a, b;
	struct cost_counts c = { .smcs = 11, .pte_writes = 513, .copy_bytes = 123457, .dsb = 9 };

	(void)state;
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	load_base(&a);
	load_base(&b);
	assert_int_equal(profile_modeled_cycles(&a, &c), profile_modeled_cycles(&b, &c));
	assert_string_equal(a.name, b.name);
	assert_memory_equal(&a.cpu_mhz, &b.cpu_mhz,
			    sizeof(a) - offsetof(struct profile, cpu_mhz));
}

/* The JSON object holds every figure as an integer, sections nested, exactly. */
static void test_json(void **state)
{
	static const char expect[] =
		"{\"schema\":\"teeshm.profile/1\",\"name\":\"test\",\"description\":\"say \\\"hi\\\"\","
		"\"cpu\":{\"mhz\":1000},\"tlb\":{\"entries\":64,\"ways\":4},"
		"\"smc\":{\"round_trip_cycles\":2000,\"secure_entry_cycles\":500},"
		"\"mmu\":{\"pte_write_cycles\":10,\"walk_level_cycles\":7,\"tlbi_va_cycles\":20,"
		"\"tlbi_vaa_cycles\":21,\"tlbi_range_cycles\":40,\"tlbi_asid_cycles\":30,"
		"\"tlbi_all_cycles\":50,\"dsb_cycles\":100,\"isb_cycles\":9},"
		"\"mem\":{\"memcpy_milli_bytes_per_cycle\":1500},"
		"\"os\":{\"map_overhead_cycles\":300,\"unmap_overhead_cycles\":200,"
		"\"map_page_cycles\":40,\"unmap_page_cycles\":25}}";
	struct profile p;
	char err[256], out[2048];
	char *text;
	FILE *f;
	size_t n;

	(void)state;
	/* description goes in [profile]; put it right after name (line 3) */
	text = make_text(3, "name = test\ndescription = say \"hi\"", NULL);
	assert_int_equal(profile_load_string(text, "t", &p, err, sizeof(err)), 0);
	free(text);
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(profile_write_json(&p, f), 0);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	assert_string_equal(out, expect);
}

struct bad_case {
	unsigned int line;   /* base line replaced (0: none) */
	const char *repl;    /* replacement (NULL: delete) */
	const char *extra;   /* appended text */
	const char *expect1; /* substrings the message must contain */
	const char *expect2;
};

static const struct bad_case bad_cases[] = {
	/* missing key: reported at its section's header line */
	{ 20, NULL, NULL, "t:12:", "'dsb_cycles'" },
	/* a key under the wrong section is unknown there */
	{ 4, "; no cpu header", NULL, "t:5:", "[profile] mhz: unknown key" },
	{ 5, "; no mhz", NULL, "t:4:", "'mhz'" },
	/* unknown key */
	{ 14, "walk_cycles = 7", NULL, "t:14:", "[mmu] walk_cycles: unknown key" },
	{ 3, "nmae = test", NULL, "t:3:", "[profile] nmae: unknown key" },
	/* bad numbers */
	{ 5, "mhz = 12OO", NULL, "t:5:", "[cpu] mhz: '12OO' is not a decimal integer" },
	{ 5, "mhz = 0x4b0", NULL, "t:5:", "[cpu] mhz" },
	{ 5, "mhz = 1.2", NULL, "t:5:", "[cpu] mhz" },
	{ 5, "mhz =", NULL, "t:5:", "[cpu] mhz: missing value" },
	{ 13, "pte_write_cycles = -3", NULL, "t:13:", "[mmu] pte_write_cycles: negative" },
	{ 5, "mhz = 0", NULL, "t:5:", "[cpu] mhz: 0 is out of range" },
	{ 5, "mhz = 99999999999999999999999", NULL, "t:5:", "out of range" },
	{ 20, "dsb_cycles = 10000001", NULL, "t:20:", "[mmu] dsb_cycles: 10000001 is out of range" },
	{ 23, "memcpy_bytes_per_cycle = 1.2345", NULL, "t:23:", "more than 3 fraction digits" },
	{ 23, "memcpy_bytes_per_cycle = 0", NULL, "t:23:", "memcpy_bytes_per_cycle: 0 is out" },
	{ 23, "memcpy_bytes_per_cycle = 1.2.3", NULL, "t:23:", "not a decimal number" },
	{ 23, "memcpy_bytes_per_cycle = .", NULL, "t:23:", "not a decimal number" },
	{ 23, "memcpy_bytes_per_cycle = -1.5", NULL, "t:23:", "negative" },
	{ 23, "memcpy_bytes_per_cycle = 1000.001", NULL, "t:23:", "out of range" },
	{ 28, "unmap_page_cycles = 10000001", NULL, "t:28:",
	  "[os] unmap_page_cycles: 10000001 is out of range" },
	{ 27, "map_page_cycles = 1161us", NULL, "t:27:",
	  "[os] map_page_cycles: '1161us' is not a decimal integer" },
	/* the per-page keys are required like every other */
	{ 27, NULL, NULL, "t:24:", "section [os] lacks required key 'map_page_cycles'" },
	/* sections */
	{ 22, "[memory]", NULL, "t:22:", "unknown section [memory]" },
	{ 0, NULL, "[extra]\n", "t:29:", "unknown section [extra]" },
	{ 0, NULL, "[cpu]\n", "t:29:", "section [cpu] repeated (first at line 4)" },
	{ 1, "schema = teeshm.profile/1", NULL, "t:1:", "key 'schema' outside any section" },
	{ 6, "[tlb", NULL, "t:6:", "syntax error" },
	{ 7, "entries 64", NULL, "t:7:", "syntax error" },
	/* duplicates */
	{ 0, NULL, "dsb_cycles = 5\n", "t:29:", "[os] dsb_cycles: unknown key" },
	{ 26, "map_overhead_cycles = 5", NULL, "t:26:", "given twice (first at line 25)" },
	{ 3, "schema = teeshm.profile/1", NULL, "t:3:", "[profile] schema given twice" },
	/* schema and name */
	{ 2, "schema = teeshm.profile/2", NULL, "t:2:", "unsupported 'teeshm.profile/2'" },
	{ 2, "; no schema", NULL, "t:1:", "lacks required key 'schema'" },
	{ 3, "name = has space", NULL, "t:3:", "[profile] name" },
	{ 3, "name =", NULL, "t:3:", "[profile] name" },
	/* cross-field: sets must be a power of two */
	{ 8, "ways = 3", NULL, "t:8:", "[tlb] ways" },
	{ 7, "entries = 48", NULL, "t:8:", "[tlb] ways" },
};

/* Every malformed profile is refused with origin:line and the offending key or section. */
static void test_error_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct profile p;
		char err[256];
		char *text = make_text(bc->line, bc->repl, bc->extra);
		int r;

		memset(&p, 0x77, sizeof(p));
		r = profile_load_string(text, "t", &p, err, sizeof(err));
		free(text);
		if (r != TS_EINVAL || !strstr(err, bc->expect1) ||
		    (bc->expect2 && !strstr(err, bc->expect2)))
			print_error("case %zu: r=%d err='%s' want '%s' '%s'\n", i, r, err,
				    bc->expect1, bc->expect2 ? bc->expect2 : "");
		assert_int_equal(r, TS_EINVAL);
		assert_non_null(strstr(err, bc->expect1));
		if (bc->expect2)
			assert_non_null(strstr(err, bc->expect2));
		/* *out is untouched on failure */
		assert_int_equal(p.cpu_mhz, 0x7777777777777777ULL);
	}
}

/* A missing section is reported at the last line, naming the section and a key. */
static void test_missing_section(void **state)
{
	struct profile p;
	char err[256];
	char *text = make_text(0, NULL, NULL);

	(void)state;
	*strstr(text, "[os]") = '\0'; /* drop the last section: text ends at line 23 */
	assert_int_equal(profile_load_string(text, "t", &p, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "t:23: missing section [os] (key 'map_overhead_cycles'"));
	free(text);
}

/* A line longer than inih's buffer is refused, not silently split into two. */
static void test_long_line(void **state)
{
	char line[400], err[256];
	struct profile p;
	char *text;

	(void)state;
	memset(line, ' ', sizeof(line));
	memcpy(line, "; ", 2);
	line[sizeof(line) - 1] = '\0';
	text = make_text(11, line, NULL);
	assert_int_equal(profile_load_string(text, "t", &p, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "t:11:"));
	assert_non_null(strstr(err, "longer than"));
	free(text);
}

/* Indented lines and inline ';' comments are read as plain keys, not continuations. */
static void test_indent_and_comments(void **state)
{
	struct profile p;
	char err[256];
	char *text = make_text(5, "   mhz = 1234   ; MHz, indented", NULL);

	(void)state;
	assert_int_equal(profile_load_string(text, "t", &p, err, sizeof(err)), 0);
	assert_int_equal(p.cpu_mhz, 1234);
	free(text);
	text = make_text(6, "\t# a comment line\n[tlb]", NULL);
	assert_int_equal(profile_load_string(text, "t", &p, err, sizeof(err)), 0);
	free(text);
}

/* File errors name the path; a tiny err buffer still gets a terminated prefix. */
static void test_file_errors(void **state)
{
	struct profile p;
	char err[256], small[8];
	char path[] = "/tmp/teeshm_profile_XXXXXX";
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(profile_load_file("/nonexistent/teeshm.ini", &p, err, sizeof(err)),
			 TS_ENOENT);
	assert_non_null(strstr(err, "/nonexistent/teeshm.ini"));
	assert_int_equal(profile_load_file("/nonexistent/teeshm.ini", &p, small, sizeof(small)),
			 TS_ENOENT);
	assert_int_equal(strlen(small), sizeof(small) - 1);

	/* a real file with a bad value reports path:line */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	{
		char *text = make_text(10, "round_trip_cycles = many", NULL);

		fputs(text, f);
		free(text);
	}
	fclose(f);
	assert_int_equal(profile_load_file(path, &p, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":10: [smc] round_trip_cycles"));

	/* a file over the size cap */
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < PROFILE_FILE_MAX_BYTES / 8 + 1; i++)
		fputs(";;;;;;;\n", f);
	fclose(f);
	assert_int_equal(profile_load_file(path, &p, err, sizeof(err)), TS_E2BIG);
	remove(path);

	/* empty text: every section missing, the first required one named */
	assert_int_equal(profile_load_string("", NULL, &p, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "<string>:1: missing section [profile]"));
}

/* profile_check refuses a profile edited out of bounds. */
static void test_check(void **state)
{
	struct profile p;

	(void)state;
	load_base(&p);
	assert_int_equal(profile_check(&p), 0);
	p.isb_cycles = PROFILE_MAX_CYCLES + 1;
	assert_int_equal(profile_check(&p), TS_ERANGE);
	load_base(&p);
	p.tlb_ways = 5;
	assert_int_equal(profile_check(&p), TS_EINVAL);
	load_base(&p);
	strcpy(p.name, "bad name");
	assert_int_equal(profile_check(&p), TS_EINVAL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_profiles_load),
		cmocka_unit_test(test_fields_parsed),
		cmocka_unit_test(test_modeled_cycles_hand_computed),
		cmocka_unit_test(test_shipped_profiles_hand_computed),
		cmocka_unit_test(test_copy_and_ns_rounding),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_missing_section),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_indent_and_comments),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_check),
	};

#ifdef TEESHM_SOURCE_DIR
	source_dir = TEESHM_SOURCE_DIR;
#endif
	if (argc > 1)
		source_dir = argv[1];
	if (!source_dir) {
		fprintf(stderr, "usage: %s SOURCE_DIR (or build with -DTEESHM_SOURCE_DIR)\n",
			argv[0]);
		return 2;
	}
	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
