/*
 * --dump-mmu of `teeshm replay` and `teeshm run`, through the real binary
 * (its path is argv[1]; the sample traces are under TEESHM_SOURCE_DIR).
 * Every dump read back is checked as an outside tool would: the three files,
 * regs.json's counts against the other two, and each page of each row of
 * mappings.tsv translated by walking tables.bin from TTBR0 -- so the rows
 * are the real descriptors' story, not only the manager's books.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/test_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/secure/mmu_dump.h"

#define TRACE_DIR TEESHM_SOURCE_DIR "/tests/data/traces/"
#define PAGE_BYTES 4096u
#define OA_MASK 0x0000fffffffff000ull /* output / table address bits [47:12] */

static const char *teeshm;

/* ---- processes and files ---- */

/*
 * Run teeshm with args (NULL-terminated), stdout to out_path (or /dev/null),
 * stderr into *err_text (malloc'd, may be NULL).  The exit code, or -signal.
 */
static int run_teeshm(const char *const *args, const char *out_path, char **err_text)
{
	char err_path[] = "/tmp/teeshm-dump-err-XXXXXX";
	int err_fd = mkstemp(err_path), status;
	pid_t pid;

	assert_true(err_fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[40];
		int n = 0, out_fd = open(out_path ? out_path : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (out_fd < 0)
			_exit(126);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		argv[n++] = teeshm;
		while (*args && n < 39)
			argv[n++] = *args++;
		argv[n] = NULL;
		execv(teeshm, (char **)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (err_text) {
		FILE *f = fdopen(err_fd, "r");
		size_t cap = 1 << 16, len;

		assert_non_null(f);
		*err_text = malloc(cap);
		assert_non_null(*err_text);
		rewind(f);
		len = fread(*err_text, 1, cap - 1, f);
		(*err_text)[len] = '\0';
		fclose(f);
	} else {
		close(err_fd);
	}
	unlink(err_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}


static char *path_of(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static char *tmpdir_new(void)
{
	char *d = strdup("/tmp/teeshm-dump-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tmpdir_free(char *d)
{
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted as `ls` sorts them (C locale); *n of them. */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t cap = 0;

	assert_non_null(d);
	*n = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static void free_list(char **names, size_t n)
{
	while (n--)
		free(names[n]);
	free(names);
}

static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- one dump, read back ---- */

struct row {
	uint64_t va, pa, pages;
	char attrs[64], vm[16], type[32];
};

struct dump {
	uint64_t ttbr0, json_tables, json_mappings;
	unsigned va_bits, start_level, granule;
	struct row *rows;
	size_t n_rows;
	uint8_t *tables; /* tables.bin as read */
	size_t n_tables;
};

static uint64_t json_number(const char *json, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	p = strstr(json, k);
	assert_non_null(p);
	p += strlen(k);
	if (*p == '"')
		p++; /* registers are hex strings */
	return strtoull(p, NULL, 0);
}

/* Read <dir>: the three files complete, no temporary left, counts agreeing. */
static void dump_load(const char *dir, struct dump *d)
{
	char *regs_path = path_of(dir, MMU_DUMP_REGS_FILE);
	char *tables_path = path_of(dir, MMU_DUMP_TABLES_FILE);
	char *maps_path = path_of(dir, MMU_DUMP_MAPPINGS_FILE);
	char *regs, *maps, *line, *save = NULL, **names;
	size_t tables_bytes = 0, n_names, cap = 0;

	memset(d, 0, sizeof(*d));
	names = list_dir(dir, &n_names);
	assert_int_equal(n_names, 3); /* the three files and nothing else (no *.tmp) */
	free_list(names, n_names);

	regs = test_read_file(regs_path, NULL);
	assert_non_null(regs);
	assert_non_null(strstr(regs, "\"schema\": \"" MMU_DUMP_SCHEMA "\""));
	d->ttbr0 = json_number(regs, "ttbr0");
	d->va_bits = (unsigned)json_number(regs, "va_bits");
	d->granule = (unsigned)json_number(regs, "granule");
	d->start_level = (unsigned)json_number(regs, "start_level");
	d->json_tables = json_number(regs, "tables");
	d->json_mappings = json_number(regs, "mappings");
	assert_int_equal(d->granule, PAGE_BYTES);
	assert_true(d->start_level <= 3);
	free(regs);

	d->tables = (uint8_t *)test_read_file(tables_path, &tables_bytes);
	assert_non_null(d->tables);
	assert_int_equal(tables_bytes % MMU_DUMP_TABLE_RECORD_BYTES, 0);
	d->n_tables = tables_bytes / MMU_DUMP_TABLE_RECORD_BYTES;
	assert_int_equal(d->n_tables, d->json_tables);
	assert_true(d->n_tables >= 1);

	maps = test_read_file(maps_path, NULL);
	assert_non_null(maps);
	line = strtok_r(maps, "\n", &save);
	assert_non_null(line);
	assert_string_equal(line, MMU_DUMP_MAPPINGS_HEADER);
	while ((line = strtok_r(NULL, "\n", &save))) {
		struct row *r;
		int end = 0, fields;

		if (d->n_rows == cap) {
			cap = cap ? 2 * cap : 16;
			d->rows = realloc(d->rows, cap * sizeof(*d->rows));
			assert_non_null(d->rows);
		}
		r = &d->rows[d->n_rows++];
		fields = sscanf(line, "0x%" SCNx64 "\t0x%" SCNx64 "\t%" SCNu64
				"\t%63[^\t]\t%15[^\t]\t%31[^\t]%n",
				&r->va, &r->pa, &r->pages, r->attrs, r->vm, r->type, &end);
		assert_int_equal(fields, 6);
		assert_int_equal(line[end], '\0'); /* six fields, nothing after */
		assert_true(r->pages > 0);
	}
	assert_int_equal(d->n_rows, d->json_mappings);
	free(maps);
	free(regs_path);
	free(tables_path);
	free(maps_path);
}

static void dump_free(struct dump *d)
{
	free(d->rows);
	free(d->tables);
}

/* The table of tables.bin at pa, or NULL. */
static const uint8_t *table_at(const struct dump *d, uint64_t pa)
{
	size_t i;

	for (i = 0; i < d->n_tables; i++) {
		const uint8_t *rec = d->tables + i * MMU_DUMP_TABLE_RECORD_BYTES;

		if (test_le64(rec) == pa)
			return rec + 8;
	}
	return NULL;
}

/* Walk the dumped descriptors as a VMSAv8-64 4 KiB-granule MMU would; false on a fault. */
static bool translate(const struct dump *d, uint64_t va, uint64_t *pa)
{
	uint64_t table_pa = d->ttbr0 & OA_MASK;
	unsigned level;

	if (va >> d->va_bits)
		return false;
	for (level = d->start_level; level <= 3; level++) {
		unsigned shift = 12 + 9 * (3 - level);
		const uint8_t *t = table_at(d, table_pa);
		uint64_t desc;

		if (!t)
			return false;
		desc = test_le64(t + 8 * ((va >> shift) & 511));
		if (!(desc & 1))
			return false;
		if (level < 3 && (desc & 3) == 3) {
			table_pa = desc & OA_MASK;
			continue;
		}
		if (level == 3 && (desc & 3) != 3)
			return false; /* reserved encoding at level 3 */
		*pa = (desc & OA_MASK & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
		return true;
	}
	return false;
}

/* Every page of every row translates through tables.bin to the row's PA. */
static void assert_rows_walk(const struct dump *d)
{
	size_t i;

	for (i = 0; i < d->n_rows; i++) {
		const struct row *r = &d->rows[i];
		uint64_t p, pa;

		for (p = 0; p < r->pages; p++) {
			assert_true(translate(d, r->va + p * PAGE_BYTES, &pa));
			assert_int_equal(pa, r->pa + p * PAGE_BYTES);
		}
	}
}

/* Rows of shared memory mapped on a client's behalf (the SHM VA space). */
static size_t shm_rows(const struct dump *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_rows; i++)
		n += !strcmp(d->rows[i].type, "SHM_VASPACE");
	return n;
}

static void dump_check_at(const char *dir, const char *tag, struct dump *d)
{
	char *p = path_of(dir, tag);

	dump_load(p, d);
	assert_rows_walk(d);
	free(p);
}

/* Guest 0's RAM in the default one-guest layout, from `teeshm layout`. */
static void guest0_ram(uint64_t *lo, uint64_t *hi)
{
	const char *args[] = { "layout", "--vms", "1", NULL };
	char out_path[] = "/tmp/teeshm-dump-layout-XXXXXX";
	int fd = mkstemp(out_path);
	char *text, *line;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(run_teeshm(args, out_path, NULL), 0);
	text = test_read_file(out_path, NULL);
	unlink(out_path);
	assert_non_null(text);
	line = strstr(text, "\nguest-ram ");
	assert_non_null(line);
	assert_int_equal(sscanf(line, "\nguest-ram %*u 0x%" SCNx64 " 0x%" SCNx64, lo, hi), 2);
	free(text);
}

/* ---- teeshm replay --dump-mmu ---- */

/*
 * Two checkpoints give 01-<name>, 02-<name> and final in trace order, each a
 * complete dump whose rows the tables translate; under "cached" the
 * registered 64 KiB buffer is one 16-page row in guest 0's RAM at the first
 * checkpoint and gone at the second, and nothing of the client is left at the end.
 */
static void test_replay_checkpoints(void **state)
{
	char *dir = tmpdir_new(), *out = path_of(dir, "d");
	const char *args[] = { "replay", "--strategy", "cached", "--dump-mmu", out,
			       TRACE_DIR "checkpoints.trace", NULL };
	const char *want[] = { "01-registered", "02-released", "final" };
	struct dump reg, rel, fin;
	uint64_t ram_lo, ram_hi, pa;
	const struct row *buf;
	char **names;
	size_t n, i, at = SIZE_MAX;

	(void)state;
	assert_int_equal(run_teeshm(args, NULL, NULL), 0);
	names = list_dir(out, &n);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	free_list(names, n);

	dump_check_at(out, "01-registered", &reg);
	dump_check_at(out, "02-released", &rel);
	dump_check_at(out, "final", &fin);
	/* Releasing the buffer took exactly its row away. */
	assert_int_equal(reg.n_rows, rel.n_rows + 1);
	assert_int_equal(shm_rows(&reg), shm_rows(&rel) + 1);
	for (i = 0; i < reg.n_rows; i++)
		if (reg.rows[i].pages == 16 && !strcmp(reg.rows[i].type, "SHM_VASPACE"))
			at = i;
	assert_true(at < reg.n_rows);
	buf = &reg.rows[at];
	assert_string_equal(buf->vm, "0"); /* the lone normal world is client 0 */
	assert_non_null(strstr(buf->attrs, "|ns|"));
	guest0_ram(&ram_lo, &ram_hi);
	assert_true(buf->pa >= ram_lo && buf->pa + 16 * PAGE_BYTES - 1 <= ram_hi);
	for (i = 0; i < rel.n_rows; i++)
		assert_false(rel.rows[i].va == buf->va || rel.rows[i].pa == buf->pa);
	/* ... and its descriptors: the MMU faults where it was mapped. */
	assert_true(translate(&reg, buf->va, &pa));
	assert_false(translate(&rel, buf->va, &pa));
	assert_int_equal(shm_rows(&fin), 0);
	assert_true(fin.n_rows > 0); /* the core's own static mappings */
	dump_free(&reg);
	dump_free(&rel);
	dump_free(&fin);
	free(out);
	tmpdir_free(dir);
}

/*
 * Under the hypervisor (two VMs) the vm column is the secure world's client
 * id, VM id + 1: at the first checkpoint only VM 0 has used memory, so every
 * shared-memory row is vm 1; after its end nothing of either VM is mapped.
 */
static void test_replay_hv_vm_column(void **state)
{
	char *dir = tmpdir_new(), *out = path_of(dir, "d");
	const char *args[] = { "replay", "--strategy", "cached", "--dump-mmu", out,
			       TRACE_DIR "example.trace", NULL };
	struct dump echo, end;
	char *final_regs = path_of(out, "final/" MMU_DUMP_REGS_FILE);
	size_t i;

	(void)state;
	assert_int_equal(run_teeshm(args, NULL, NULL), 0);
	dump_check_at(out, "01-after-echo", &echo);
	dump_check_at(out, "02-end", &end);
	assert_true(shm_rows(&echo) > 0);
	for (i = 0; i < echo.n_rows; i++)
		if (!strcmp(echo.rows[i].type, "SHM_VASPACE"))
			assert_string_equal(echo.rows[i].vm, "1");
	assert_int_equal(shm_rows(&end), 0);
	assert_true(is_regular(final_regs));
	free(final_regs);
	dump_free(&echo);
	dump_free(&end);
	free(out);
	tmpdir_free(dir);
}

/* 100 checkpoints: three-digit sequence numbers, so sorting the names gives trace order. */
static void test_replay_many_checkpoints(void **state)
{
	char *dir = tmpdir_new(), *out = path_of(dir, "d"), *trace = path_of(dir, "many.trace");
	const char *args[] = { "replay", "--dump-mmu", out, trace, NULL };
	FILE *f = fopen(trace, "w");
	char **names, want[32];
	struct dump d;
	size_t n, i;

	(void)state;
	assert_non_null(f);
	fprintf(f, "teeshm-trace 1\n0 vm start\n");
	/* Names that sort against trace order: only the number can put them right. */
	for (i = 1; i <= 100; i++)
		fprintf(f, "checkpoint z%zu\n", 101 - i);
	fprintf(f, "0 vm stop\n");
	assert_int_equal(fclose(f), 0);
	assert_int_equal(run_teeshm(args, NULL, NULL), 0);
	names = list_dir(out, &n);
	assert_int_equal(n, 101);
	for (i = 0; i < 100; i++) {
		char *regs;

		snprintf(want, sizeof(want), "%03zu-z%zu", i + 1, 100 - i);
		assert_string_equal(names[i], want);
		regs = path_of(out, want);
		dump_load(regs, &d); /* each one complete */
		dump_free(&d);
		free(regs);
	}
	assert_string_equal(names[100], "final");
	free_list(names, n);
	free(out);
	free(trace);
	tmpdir_free(dir);
}

/* A regular file where DIR should be: exit 1, a message naming the path, the file untouched. */
static void test_replay_dir_is_file(void **state)
{
	char *dir = tmpdir_new(), *out = path_of(dir, "not-a-dir"), *text;
	const char *args[] = { "replay", "--dump-mmu", out, TRACE_DIR "checkpoints.trace", NULL };
	FILE *f = fopen(out, "w");

	(void)state;
	assert_non_null(f);
	fputs("precious\n", f);
	assert_int_equal(fclose(f), 0);
	/* Exactly 1: a leak under LeakSanitizer would change the code. */
	assert_int_equal(run_teeshm(args, NULL, &text), 1);
	assert_non_null(strstr(text, out));
	assert_non_null(strstr(text, "not a directory"));
	assert_non_null(strstr(text, "checkpoint registered"));
	free(text);
	assert_true(is_regular(out));
	text = test_read_file(out, NULL);
	assert_string_equal(text, "precious\n");
	free(text);
	free(out);
	tmpdir_free(dir);
}

/*
 * The second checkpoint's place taken by a file: the replay stops there with
 * exit 1 naming that path; the first dump is complete, no final is written.
 */
static void test_replay_fails_at_second_checkpoint(void **state)
{
	char *dir = tmpdir_new(), *out = path_of(dir, "d"), *blocker, *final, *text;
	const char *args[] = { "replay", "--strategy", "cached", "--dump-mmu", out,
			       TRACE_DIR "checkpoints.trace", NULL };
	struct dump d;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir(out, 0777), 0);
	blocker = path_of(out, "02-released");
	assert_non_null(f = fopen(blocker, "w"));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(run_teeshm(args, NULL, &text), 1);
	assert_non_null(strstr(text, blocker));
	free(text);
	dump_check_at(out, "01-registered", &d);
	dump_free(&d);
	assert_true(is_regular(blocker));
	final = path_of(out, "final");
	assert_false(exists(final));
	free(final);
	free(blocker);
	free(out);
	tmpdir_free(dir);
}

/* Dumping only reads: every deterministic figure equals a replay without it (teeshm gate). */
static void test_replay_dump_changes_nothing(void **state)
{
	char *dir = tmpdir_new(), *out = path_of(dir, "d"), *a = path_of(dir, "a.json"),
	     *b = path_of(dir, "b.json"), *gate_out = path_of(dir, "gate.txt"), *text;
	const char *plain[] = { "replay", "--strategy", "cached", "--json", a,
				TRACE_DIR "example.trace", NULL };
	const char *dumped[] = { "replay", "--strategy", "cached", "--json", b, "--dump-mmu", out,
				 TRACE_DIR "example.trace", NULL };
	const char *gate[] = { "gate", "--no-host", "--baseline", a, "--current", b, NULL };

	(void)state;
	assert_int_equal(run_teeshm(plain, NULL, NULL), 0);
	assert_int_equal(run_teeshm(dumped, NULL, NULL), 0);
	assert_int_equal(run_teeshm(gate, gate_out, NULL), 0);
	text = test_read_file(gate_out, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, " 0 regressed, 0 changed, 0 improved"));
	free(text);
	free(out);
	free(a);
	free(b);
	free(gate_out);
	tmpdir_free(dir);
}

/* ---- teeshm run --dump-mmu ---- */

/*
 * The worlds as processes write DIR/final only (guests do not stop at
 * checkpoints there), after the guests are gone: a complete dump whose rows
 * the tables translate, with nothing of a client left.
 */
static void run_final(const char *no_hv)
{
	char *dir = tmpdir_new(), *out = path_of(dir, "d");
	const char *args[] = { "run", "--strategy", "cached", "--workload",
			       TRACE_DIR "checkpoints.trace", "--dump-mmu", out, no_hv, NULL };
	struct dump d;
	char **names;
	size_t n;

	assert_int_equal(run_teeshm(args, NULL, NULL), 0);
	names = list_dir(out, &n);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "final");
	free_list(names, n);
	dump_check_at(out, "final", &d);
	assert_true(d.n_rows > 0);
	assert_int_equal(shm_rows(&d), 0);
	dump_free(&d);
	free(out);
	tmpdir_free(dir);
}

static void test_run_final_no_hv(void **state)
{
	(void)state;
	run_final("--no-hv");
}

static void test_run_final_hv(void **state)
{
	(void)state;
	run_final(NULL);
}

/* The secure world cannot write its dump: the run fails (exit 1) and says where. */
static void test_run_dir_is_file(void **state)
{
	char *dir = tmpdir_new(), *out = path_of(dir, "not-a-dir"), *text;
	const char *args[] = { "run", "--no-hv", "--workload", TRACE_DIR "checkpoints.trace",
			       "--dump-mmu", out, NULL };
	FILE *f = fopen(out, "w");

	(void)state;
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(run_teeshm(args, NULL, &text), 1);
	assert_non_null(strstr(text, "--dump-mmu"));
	assert_non_null(strstr(text, out));
	free(text);
	assert_true(is_regular(out));
	free(out);
	tmpdir_free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_checkpoints),
		cmocka_unit_test(test_replay_hv_vm_column),
		cmocka_unit_test(test_replay_many_checkpoints),
		cmocka_unit_test(test_replay_dir_is_file),
		cmocka_unit_test(test_replay_fails_at_second_checkpoint),
		cmocka_unit_test(test_replay_dump_changes_nothing),
		cmocka_unit_test(test_run_final_no_hv),
		cmocka_unit_test(test_run_final_hv),
		cmocka_unit_test(test_run_dir_is_file),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH_TO_TEESHM\n", argv[0]);
		return 2;
	}
	teeshm = argv[1];
	return cmocka_run_group_tests_name("dump_mmu_cli", tests, NULL, NULL);
}
