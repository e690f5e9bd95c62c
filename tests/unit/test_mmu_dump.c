/*
 * --dump-mmu writer: the three files read back equal the manager's registers,
 * its table pool and what the test mapped; failures name the path, leave no
 * half-written file and leak nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/test_files.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/common/dram.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/mm/xlat_pool.h"
#include "sim/secure/mmu_dump.h"
#include "sim/secure/platform.h"

#define PAGE SMALL_PAGE_SIZE
#define TABLE_RECORD_BYTES (8 + 4096)

/* ---- files and directories ---- */

static char *tmpdir_new(void)
{
	char *dir = strdup("/tmp/teeshm-test-mmu-dump-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static char *path_of(const char *a, const char *b)
{
	size_t len = strlen(a) + strlen(b) + 2;
	char *p = malloc(len);

	assert_non_null(p);
	snprintf(p, len, "%s/%s", a, b);
	return p;
}

static void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char *child;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		child = path_of(path, e->d_name);
		rm_rf(child);
		free(child);
	}
	closedir(d);
	rmdir(path);
}

static void tmpdir_free(char *dir)
{
	rm_rf(dir);
	free(dir);
}

/* Whole file, NUL-terminated; NULL if it cannot be opened. */
static char *slurp(const char *dir, const char *name, size_t *len_out)
{
	char *path = path_of(dir, name), *buf = test_read_file(path, len_out);

	free(path);
	return buf;
}

/* Entries of dir (without . and ..); *has_tmp tells whether one is a left-over "*.tmp". */
static unsigned dir_entries(const char *dir, bool *has_tmp)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	*has_tmp = false;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (len > 4 && !strcmp(e->d_name + len - 4, ".tmp"))
			*has_tmp = true;
	}
	closedir(d);
	return n;
}

static bool exists(const char *dir, const char *name)
{
	char *p = path_of(dir, name);
	struct stat st;
	bool ok = stat(p, &st) == 0;

	free(p);
	return ok;
}

/* ---- strict readers of the three formats ---- */

struct jfield {
	char key[32];
	char str[64];
	bool is_str;
	uint64_t num;
};

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

/* A flat JSON object of string and unsigned integer values; -1 on any syntax error. */
static int parse_flat_json(const char *s, struct jfield *out, int max)
{
	int n = 0, i;

	s = skip_ws(s);
	if (*s++ != '{')
		return -1;
	for (;;) {
		struct jfield *f = &out[n];
		size_t len;

		if (n == max)
			return -1;
		memset(f, 0, sizeof(*f));
		s = skip_ws(s);
		if (*s++ != '"')
			return -1;
		len = strcspn(s, "\"\\\n");
		if (s[len] != '"' || len == 0 || len >= sizeof(f->key))
			return -1;
		memcpy(f->key, s, len);
		s = skip_ws(s + len + 1);
		if (*s++ != ':')
			return -1;
		s = skip_ws(s);
		if (*s == '"') {
			s++;
			len = strcspn(s, "\"\\\n");
			if (s[len] != '"' || len >= sizeof(f->str))
				return -1;
			memcpy(f->str, s, len);
			f->is_str = true;
			s += len + 1;
		} else if (*s >= '0' && *s <= '9') {
			while (*s >= '0' && *s <= '9') {
				if (f->num > (UINT64_MAX - 9) / 10)
					return -1;
				f->num = f->num * 10 + (uint64_t)(*s++ - '0');
			}
		} else {
			return -1;
		}
		for (i = 0; i < n; i++)
			if (!strcmp(out[i].key, f->key))
				return -1; /* duplicate key */
		n++;
		s = skip_ws(s);
		if (*s == '}')
			break;
		if (*s++ != ',')
			return -1;
	}
	return *skip_ws(s + 1) == '\0' ? n : -1;
}

static const struct jfield *jget(const struct jfield *f, int n, const char *key, bool is_str)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].key, key)) {
			assert_true(f[i].is_str == is_str);
			return &f[i];
		}
	fail_msg("regs.json has no \"%s\"", key);
	return NULL;
}

/* "0x" and exactly 16 lower-case hex digits. */
static bool parse_hex16(const char *s, size_t len, uint64_t *v)
{
	size_t i;

	if (len != 18 || s[0] != '0' || s[1] != 'x')
		return false;
	*v = 0;
	for (i = 2; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			*v = *v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v = *v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return false;
	}
	return true;
}

static bool parse_dec(const char *s, size_t len, uint64_t *v)
{
	size_t i;

	if (len == 0 || len > 19)
		return false;
	*v = 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return true;
}

static uint64_t json_hex(const struct jfield *f, int n, const char *key)
{
	const struct jfield *j = jget(f, n, key, true);
	uint64_t v = 0;

	assert_true(parse_hex16(j->str, strlen(j->str), &v));
	return v;
}

struct row {
	uint64_t va, pa, pages;
	char attrs[64];
	int vm;
	char type[32];
};

/* mappings.tsv: the exact header, then rows of exactly six tab-separated fields. */
static size_t parse_tsv(const char *text, struct row *rows, size_t max)
{
	const char *line = text;
	size_t n = 0, hlen = strlen(MMU_DUMP_MAPPINGS_HEADER);

	assert_memory_equal(text, "# va\tpa\tpages\tattrs\tvm\ttype\n", hlen + 1);
	line += hlen + 1;
	while (*line) {
		const char *end = strchr(line, '\n');
		const char *field[6] = { 0 };
		size_t flen[6] = { 0 }, k = 0;
		const char *p = line;
		struct row *r = &rows[n];
		uint64_t vm = 0;

		assert_non_null(end); /* every row ends with a newline */
		assert_true(n < max);
		while (k < 6) {
			const char *tab = memchr(p, '\t', (size_t)(end - p));

			field[k] = p;
			flen[k] = tab ? (size_t)(tab - p) : (size_t)(end - p);
			k++;
			if (!tab)
				break;
			p = tab + 1;
		}
		assert_int_equal(k, 6);
		assert_true(field[5] + flen[5] == end); /* no seventh field */
		assert_true(parse_hex16(field[0], flen[0], &r->va));
		assert_true(parse_hex16(field[1], flen[1], &r->pa));
		assert_true(parse_dec(field[2], flen[2], &r->pages));
		assert_true(flen[3] > 0 && flen[3] < sizeof(r->attrs));
		memcpy(r->attrs, field[3], flen[3]);
		r->attrs[flen[3]] = '\0';
		if (flen[4] == 1 && field[4][0] == '-') {
			r->vm = -1;
		} else {
			assert_true(parse_dec(field[4], flen[4], &vm) && vm < 0xffff);
			r->vm = (int)vm;
		}
		assert_true(flen[5] > 0 && flen[5] < sizeof(r->type));
		memcpy(r->type, field[5], flen[5]);
		r->type[flen[5]] = '\0';
		n++;
		line = end + 1;
	}
	return n;
}

/* ---- fixture: a core_mm over simulated DRAM (as in test_core_mm.c) ---- */

struct fx {
	struct dram *dram;
	struct dram_view *all;
	struct core_mm_platform plat;
	struct core_mm mm;
	void *meta;
	const struct dram_region *g[2];
	uint64_t next_page[2];
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct core_mm_config cfg;
	struct dram_config dc;
	size_t bytes;

	assert_non_null(f);
	core_mm_config_default(&cfg);
	cfg.max_mappings = 64;
	cfg.max_pa_runs = 1024;
	cfg.max_vms = 8;
	dram_config_default(&dc);
	dc.n_guests = 2;
	dc.guest_ram_bytes = 32ull << 20;
	assert_int_equal(dram_create(&dc, &f->dram, NULL, 0), 0);
	assert_int_equal(dram_view_open_all(f->dram, &f->all), 0);
	assert_int_equal(secure_platform_from_dram(f->all, 0, &f->plat), 0);
	bytes = core_mm_metadata_bytes(&cfg, f->plat.xlat_pool_tables);
	f->meta = aligned_alloc(8, (bytes + 7) & ~(size_t)7);
	assert_non_null(f->meta);
	assert_int_equal(core_mm_init(&f->mm, &cfg, &f->plat, f->meta, bytes), 0);
	f->g[0] = dram_region_find(f->dram->layout, DRAM_GUEST_RAM, 0);
	f->g[1] = dram_region_find(f->dram->layout, DRAM_GUEST_RAM, 1);
	assert_int_equal(core_mm_vm_created(&f->mm, 1), 0);
	assert_int_equal(core_mm_vm_created(&f->mm, 2), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	free(f->meta);
	dram_view_close(f->all);
	dram_destroy(f->dram);
	free(f);
}

/* A fresh, scattered page of guest gi's RAM (odd stride over 8192 pages visits each once). */
static paddr_t guest_page(struct fx *f, int gi)
{
	uint64_t n = f->next_page[gi]++;

	return pa_add(f->g[gi]->base, ((n * 2654435761ull) % 8192) * PAGE);
}

/* ---- what the test mapped ---- */

#define MAX_EXPECT 16

struct exp_map {
	uint64_t va, n_pages;
	paddr_t *pages; /* page list, or NULL: contiguous from pa */
	uint64_t pa;
	int vm;
	const char *attrs, *type;
	uint8_t *covered; /* per page: rows covering it */
};

struct exp_set {
	struct exp_map m[MAX_EXPECT];
	unsigned n;
	uint64_t runs; /* rows the dump must have: one per physically contiguous run */
};

static uint64_t exp_pa(const struct exp_map *e, uint64_t i)
{
	return e->pages ? pa_addr(e->pages[i]) : e->pa + i * PAGE;
}

static void exp_add(struct exp_set *s, uint64_t va, uint64_t n, paddr_t *pages, uint64_t pa,
		    int vm, const char *attrs, const char *type)
{
	struct exp_map *e = &s->m[s->n++];
	uint64_t i;

	assert_true(s->n <= MAX_EXPECT);
	*e = (struct exp_map){ va, n, pages, pa, vm, attrs, type, calloc(n, 1) };
	assert_non_null(e->covered);
	s->runs++;
	for (i = 1; i < n; i++)
		s->runs += exp_pa(e, i) != exp_pa(e, i - 1) + PAGE;
}

static void exp_remove(struct exp_set *s, uint64_t va)
{
	unsigned i;

	for (i = 0; i < s->n; i++) {
		struct exp_map *e = &s->m[i];
		uint64_t k;

		if (e->va != va)
			continue;
		s->runs--;
		for (k = 1; k < e->n_pages; k++)
			s->runs -= exp_pa(e, k) != exp_pa(e, k - 1) + PAGE;
		free(e->pages);
		free(e->covered);
		s->m[i] = s->m[--s->n];
		return;
	}
	fail_msg("no expectation at 0x%llx", (unsigned long long)va);
}

static void exp_free(struct exp_set *s)
{
	while (s->n)
		exp_remove(s, s->m[0].va);
}

/* Map a page list for vm and record it; pages is taken over by the set. */
static uint64_t map_shm(struct fx *f, struct exp_set *s, uint16_t vm, paddr_t *pages, size_t n,
			bool ro)
{
	vaddr_t va;

	assert_int_equal(core_mm_map_shm(&f->mm, vm, pages, n, ro ? PGT_ATTR_RO : 0, &va), 0);
	assert_int_equal(core_mm_check(&f->mm), 0);
	exp_add(s, va_addr(va), n, pages, 0, vm,
		ro ? "normal|ns|ro|xn|global" : "normal|ns|rw|xn|global", "SHM_VASPACE");
	return va_addr(va);
}

/* n pages of guest gi: runs of 1..run_max physically contiguous pages, the rest scattered. */
static paddr_t *page_list(struct fx *f, int gi, size_t n, unsigned run_max)
{
	paddr_t *p = calloc(n, sizeof(*p));
	size_t i = 0;

	assert_non_null(p);
	while (i < n) {
		unsigned run = 1 + (unsigned)(i * 7 % run_max), k;
		paddr_t first = guest_page(f, gi);

		for (k = 0; k < run && i < n; k++, i++) {
			p[i] = pa_add(first, (uint64_t)k * PAGE);
			if (!dram_region_contains(f->g[gi], p[i], PAGE))
				p[i] = guest_page(f, gi);
		}
	}
	return p;
}

/*
 * Static TEE RAM and TA RAM, SHM mappings for two VMs (page runs, read-only,
 * one crossing L3 tables), one unmapped again, and two ioremaps.
 */
static void build_scenario(struct fx *f, struct exp_set *s)
{
	const struct dram_region *core = dram_region_find(f->dram->layout, DRAM_SECURE_CORE, 0);
	const struct dram_region *ta = dram_region_find(f->dram->layout, DRAM_TA_RAM, 0);
	uint64_t gone;
	vaddr_t va;

	assert_int_equal(core_mm_add_static(&f->mm, MEM_AREA_TEE_RAM, core->base, core->size_bytes,
					    va_init(pa_addr(core->base)), PGT_ATTR_MEM_NORMAL),
			 0);
	exp_add(s, pa_addr(core->base), core->size_bytes / PAGE, NULL, pa_addr(core->base), -1,
		"normal|rw|global", "TEE_RAM");
	assert_int_equal(core_mm_add_static(&f->mm, MEM_AREA_TA_RAM, ta->base, 4ull << 20,
					    va_init(pa_addr(ta->base)), PGT_ATTR_XN | PGT_ATTR_NG),
			 0);
	exp_add(s, pa_addr(ta->base), (4ull << 20) / PAGE, NULL, pa_addr(ta->base), -1,
		"normal|rw|xn|ng", "TA_RAM");

	map_shm(f, s, 1, page_list(f, 0, 5, 1), 5, false);
	map_shm(f, s, 1, page_list(f, 0, 8, 3), 8, true);
	gone = map_shm(f, s, 2, page_list(f, 1, 4, 2), 4, false);
	map_shm(f, s, 2, page_list(f, 1, 600, 40), 600, false);
	map_shm(f, s, 2, page_list(f, 1, 3, 1), 3, true);
	assert_int_equal(core_mm_unmap_shm(&f->mm, va_init(gone)), 0);
	exp_remove(s, gone);

	assert_int_equal(core_mm_ioremap(&f->mm, pa_init(0x09000010), 0x2000, false, &va), 0);
	exp_add(s, va_addr(va) & ~(PAGE - 1), 3, NULL, 0x09000000, -1, "device|ns|rw|xn|global",
		"RES_VASPACE");
	assert_int_equal(core_mm_ioremap(&f->mm, pa_init(0x08000000), 0x100, true, &va), 0);
	exp_add(s, va_addr(va), 1, NULL, 0x08000000, -1, "device|rw|xn|global", "RES_VASPACE");
	assert_int_equal(core_mm_check(&f->mm), 0);
}

/* ---- checks of one dump directory against the live manager and the expectations ---- */

static void check_regs(struct fx *f, const char *dir, uint64_t n_rows)
{
	char *text = slurp(dir, "regs.json", NULL);
	struct jfield fields[16];
	uint64_t ttbr0, tcr, mair;
	int n;

	assert_non_null(text);
	n = parse_flat_json(text, fields, 16);
	assert_int_equal(n, 9);
	pgt_regs(&f->mm.pgt, &ttbr0, &tcr, &mair);
	assert_string_equal(jget(fields, n, "schema", true)->str, "teeshm.mmu/1");
	assert_int_equal(json_hex(fields, n, "ttbr0"), ttbr0);
	assert_int_equal(json_hex(fields, n, "tcr"), tcr);
	assert_int_equal(json_hex(fields, n, "mair"), mair);
	assert_int_equal(jget(fields, n, "va_bits", false)->num, 39);
	assert_int_equal(jget(fields, n, "granule", false)->num, 4096);
	assert_int_equal(jget(fields, n, "start_level", false)->num, f->mm.pgt.start_level);
	assert_int_equal(jget(fields, n, "tables", false)->num, f->mm.pool.in_use);
	assert_int_equal(jget(fields, n, "mappings", false)->num, n_rows);
	free(text);
}

static void check_tables(struct fx *f, const char *dir)
{
	size_t len, off;
	uint8_t *bin = (uint8_t *)slurp(dir, "tables.bin", &len);
	uint8_t *seen = calloc(f->mm.pool.n_tables, 1);
	uint32_t count = 0;

	assert_non_null(bin);
	assert_non_null(seen);
	assert_int_equal(len % TABLE_RECORD_BYTES, 0);
	assert_int_equal(len / TABLE_RECORD_BYTES, f->mm.pool.in_use);
	for (off = 0; off < len; off += TABLE_RECORD_BYTES) {
		paddr_t pa = pa_init(test_le64(bin + off));
		const struct xlat_table_meta *meta = xlat_pool_meta(&f->mm.pool, pa);
		const uint64_t *table = xlat_pool_table_ptr(&f->mm.pool, pa);
		uint32_t idx;
		unsigned i;

		/* An allocated table of this manager's tables, each once, root first. */
		assert_non_null(meta);
		assert_non_null(table);
		assert_true(meta->owner == &f->mm.pgt);
		assert_true(xlat_pool_index(&f->mm.pool, pa, &idx));
		assert_int_equal(seen[idx], 0);
		seen[idx] = 1;
		if (off == 0)
			assert_int_equal(pa_addr(pa), pa_addr(f->mm.pgt.root_pa));
		for (i = 0; i < XLAT_TABLE_ENTRIES; i++)
			assert_int_equal(test_le64(bin + off + 8 + 8 * i), table[i]);
		count++;
	}
	assert_int_equal(count, f->mm.pool.in_use);
	free(seen);
	free(bin);
}

/* Each row lies in one expected mapping and matches it page by page; each page is covered once. */
static uint64_t check_mappings(const char *dir, struct exp_set *s)
{
	static struct row rows[256];
	char *text = slurp(dir, "mappings.tsv", NULL);
	uint64_t n_rows, pages = 0, expect_pages = 0, r, k;
	unsigned i;

	assert_non_null(text);
	n_rows = parse_tsv(text, rows, 256);
	free(text);
	for (i = 0; i < s->n; i++) {
		memset(s->m[i].covered, 0, s->m[i].n_pages);
		expect_pages += s->m[i].n_pages;
	}
	for (r = 0; r < n_rows; r++) {
		const struct row *row = &rows[r];
		struct exp_map *e = NULL;

		for (i = 0; i < s->n; i++)
			if (row->va >= s->m[i].va && row->va < s->m[i].va + s->m[i].n_pages * PAGE)
				e = &s->m[i];
		if (!e)
			fail_msg("row at va 0x%llx maps nothing the test mapped",
				 (unsigned long long)row->va);
		assert_true(row->pages > 0);
		assert_true((row->va - e->va) / PAGE + row->pages <= e->n_pages);
		assert_int_equal(row->vm, e->vm);
		assert_string_equal(row->type, e->type);
		assert_string_equal(row->attrs, e->attrs);
		for (k = 0; k < row->pages; k++) {
			uint64_t idx = (row->va - e->va) / PAGE + k;

			assert_int_equal(row->pa + k * PAGE, exp_pa(e, idx));
			e->covered[idx]++;
		}
		pages += row->pages;
	}
	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->m[i].n_pages; k++)
			assert_int_equal(s->m[i].covered[k], 1);
	assert_int_equal(pages, expect_pages);
	/* One row per physically contiguous run: rows are maximal. */
	assert_int_equal(n_rows, s->runs);
	return n_rows;
}

static void check_dump(struct fx *f, const char *dir, struct exp_set *s)
{
	uint64_t n_rows = check_mappings(dir, s);
	bool has_tmp;

	check_regs(f, dir, n_rows);
	check_tables(f, dir);
	assert_int_equal(dir_entries(dir, &has_tmp), 3);
	assert_false(has_tmp);
}

/* ---- tests ---- */

/* The three files equal pgt_regs(), the allocated pool tables byte for byte, and the mappings. */
static void test_dump_matches_mm(void **state)
{
	struct fx *f = fx_new();
	struct exp_set s = { 0 };
	char *dir = tmpdir_new(), *tagdir = path_of(dir, "checkpoint-3");
	char err[256];

	(void)state;
	build_scenario(f, &s);
	assert_true(f->mm.pool.in_use >= 6);
	assert_int_equal(mmu_dump_write(&f->mm, dir, "checkpoint-3", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	check_dump(f, tagdir, &s);
	/* The dump only reads: the manager is unchanged and consistent. */
	assert_int_equal(core_mm_check(&f->mm), 0);
	exp_free(&s);
	free(tagdir);
	tmpdir_free(dir);
	fx_free(f);
}

/* Without a tag the files go into dir itself, whose missing parents are created (mkdir -p). */
static void test_dump_without_tag_creates_parents(void **state)
{
	struct fx *f = fx_new();
	struct exp_set s = { 0 };
	char *dir = tmpdir_new(), *deep = path_of(dir, "a/b/c/"), *deep2 = path_of(dir, "x");

	(void)state;
	build_scenario(f, &s);
	assert_int_equal(mmu_dump_write(&f->mm, deep, NULL, NULL, 0), 0);
	check_dump(f, deep, &s);
	assert_int_equal(mmu_dump_write(&f->mm, deep2, "", NULL, 0), 0);
	check_dump(f, deep2, &s);
	exp_free(&s);
	free(deep);
	free(deep2);
	tmpdir_free(dir);
	fx_free(f);
}

/* A second dump into the same tag replaces the first and reflects the new state. */
static void test_dump_replaces_previous(void **state)
{
	struct fx *f = fx_new();
	struct exp_set s = { 0 };
	char *dir = tmpdir_new(), *tagdir = path_of(dir, "final");
	uint64_t va;

	(void)state;
	build_scenario(f, &s);
	assert_int_equal(mmu_dump_write(&f->mm, dir, "final", NULL, 0), 0);
	check_dump(f, tagdir, &s);
	/* Unmap the 600-page mapping (tables go away) and map a new one for VM 1. */
	va = s.m[5].va;
	assert_int_equal(s.m[5].n_pages, 600);
	assert_int_equal(core_mm_unmap_shm(&f->mm, va_init(va)), 0);
	exp_remove(&s, va);
	map_shm(f, &s, 1, page_list(f, 0, 9, 4), 9, false);
	assert_int_equal(mmu_dump_write(&f->mm, dir, "final", NULL, 0), 0);
	check_dump(f, tagdir, &s);
	exp_free(&s);
	free(tagdir);
	tmpdir_free(dir);
	fx_free(f);
}

/* Dumping under a regular file fails with TS_EEXIST naming the path; nothing created or leaked. */
static void test_dump_under_regular_file_fails(void **state)
{
	struct fx *f = fx_new();
	char *dir = tmpdir_new(), *plain = path_of(dir, "plain"), *under = path_of(plain, "sub");
	char err[512];
	FILE *fp = fopen(plain, "w");
	struct stat st;

	(void)state;
	assert_non_null(fp);
	fputs("not a directory\n", fp);
	fclose(fp);
	assert_int_equal(mmu_dump_write(&f->mm, under, "final", err, sizeof(err)), TS_EEXIST);
	print_message("expected error: %s\n", err);
	assert_non_null(strstr(err, under));
	assert_non_null(strstr(err, plain));
	assert_non_null(strstr(err, "plain is not a directory"));
	assert_int_equal(stat(plain, &st), 0);
	assert_true(S_ISREG(st.st_mode) && st.st_size == 16);
	/* Without an error buffer the result is the same. */
	assert_int_equal(mmu_dump_write(&f->mm, plain, NULL, NULL, 0), TS_EEXIST);
	/* A tiny buffer is truncated, never overrun. */
	err[4] = 'X';
	assert_int_equal(mmu_dump_write(&f->mm, plain, "t", err, 4), TS_EEXIST);
	assert_int_equal(strlen(err), 3);
	assert_int_equal(err[4], 'X');
	free(under);
	free(plain);
	tmpdir_free(dir);
	fx_free(f);
}

/*
 * A write failure (here a file-size limit: a short write) is reported naming
 * tables.bin; the previous dump in that directory stays intact and no
 * temporary file is left behind.
 */
static void test_dump_write_failure_keeps_previous(void **state)
{
	struct fx *f = fx_new();
	struct exp_set s = { 0 };
	char *dir = tmpdir_new(), *tagdir = path_of(dir, "t");
	char *before[3], *after[3], err[512];
	static const char *const names[3] = { "regs.json", "tables.bin", "mappings.tsv" };
	size_t len_before[3], len_after[3];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_sa;
	struct rlimit old_rl, rl;
	bool has_tmp;
	int i, rc;

	(void)state;
	build_scenario(f, &s);
	assert_int_equal(mmu_dump_write(&f->mm, dir, "t", NULL, 0), 0);
	for (i = 0; i < 3; i++)
		before[i] = slurp(tagdir, names[i], &len_before[i]);
	/* Change the state so a successful dump would differ. */
	assert_int_equal(s.m[5].n_pages, 600);
	assert_int_equal(core_mm_unmap_shm(&f->mm, va_init(s.m[5].va)), 0);

	/* Files may grow to 8 KiB only: tables.bin (6+ records of 4104 bytes) cannot be written. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_rl), 0);
	rl = old_rl;
	rl.rlim_cur = 8192;
	assert_int_equal(sigaction(SIGXFSZ, &ign, &old_sa), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	rc = mmu_dump_write(&f->mm, dir, "t", err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_rl), 0);
	assert_int_equal(sigaction(SIGXFSZ, &old_sa, NULL), 0);

	print_message("expected error: %s\n", err);
	assert_int_equal(rc, TS_ENOSPC);
	assert_non_null(strstr(err, "tables.bin"));
	assert_non_null(strstr(err, tagdir));
	for (i = 0; i < 3; i++) {
		after[i] = slurp(tagdir, names[i], &len_after[i]);
		assert_non_null(after[i]);
		assert_int_equal(len_after[i], len_before[i]);
		assert_memory_equal(after[i], before[i], len_before[i]);
		free(before[i]);
		free(after[i]);
	}
	assert_int_equal(dir_entries(tagdir, &has_tmp), 3);
	assert_false(has_tmp);
	exp_free(&s);
	free(tagdir);
	tmpdir_free(dir);
	fx_free(f);
}

/*
 * When a file cannot be put in place, the error names it and the directory
 * holds no regs.json: neither the new one nor the previous one, which would
 * describe files that were already replaced.
 */
static void test_dump_rename_failure_reported(void **state)
{
	struct fx *f = fx_new();
	char *dir = tmpdir_new(), *tagdir = path_of(dir, "r");
	char *blocker = path_of(tagdir, "mappings.tsv"), *inner = path_of(blocker, "keep");
	char err[512];
	FILE *fp;
	bool has_tmp;

	(void)state;
	assert_int_equal(mmu_dump_write(&f->mm, dir, "r", NULL, 0), 0);
	assert_true(exists(tagdir, "regs.json"));
	/* mappings.tsv becomes a non-empty directory: a file cannot be renamed over it. */
	assert_int_equal(unlink(blocker), 0);
	assert_int_equal(mkdir(blocker, 0777), 0);
	fp = fopen(inner, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(mmu_dump_write(&f->mm, dir, "r", err, sizeof(err)), TS_EEXIST);
	print_message("expected error: %s\n", err);
	assert_non_null(strstr(err, blocker));
	assert_false(exists(tagdir, "regs.json"));
	assert_true(exists(blocker, "keep")); /* what was in the way is untouched */
	assert_int_equal(dir_entries(tagdir, &has_tmp), 2); /* tables.bin, mappings.tsv/ */
	assert_false(has_tmp);
	free(inner);
	free(blocker);
	free(tagdir);
	tmpdir_free(dir);
	fx_free(f);
}

/* Bad arguments are refused with TS_EINVAL and a message, touching nothing. */
static void test_dump_bad_arguments(void **state)
{
	struct fx *f = fx_new();
	char *dir = tmpdir_new(), err[256];
	bool has_tmp;

	(void)state;
	assert_int_equal(mmu_dump_write(NULL, dir, "t", err, sizeof(err)), TS_EINVAL);
	assert_true(strlen(err) > 0);
	assert_int_equal(mmu_dump_write(&f->mm, NULL, "t", err, sizeof(err)), TS_EINVAL);
	assert_int_equal(mmu_dump_write(&f->mm, "", "t", err, sizeof(err)), TS_EINVAL);
	assert_int_equal(mmu_dump_write(&f->mm, dir, "a/b", err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "a/b"));
	assert_int_equal(mmu_dump_write(&f->mm, dir, "..", NULL, 0), TS_EINVAL);
	assert_int_equal(mmu_dump_write(&f->mm, dir, ".", NULL, 0), TS_EINVAL);
	assert_int_equal(dir_entries(dir, &has_tmp), 0);
	tmpdir_free(dir);
	fx_free(f);
}

/* Attribute text: fixed order, every flag named, unknown bits kept, truncation as snprintf. */
static void test_format_attrs(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(mmu_dump_format_attrs(0, buf, sizeof(buf)), strlen("normal|rw|global"));
	assert_string_equal(buf, "normal|rw|global");
	mmu_dump_format_attrs(PGT_ATTR_MEM_NORMAL | PGT_ATTR_NS | PGT_ATTR_XN, buf, sizeof(buf));
	assert_string_equal(buf, "normal|ns|rw|xn|global");
	mmu_dump_format_attrs(PGT_ATTR_MEM_DEVICE | PGT_ATTR_RO | PGT_ATTR_USER | PGT_ATTR_NG, buf,
			      sizeof(buf));
	assert_string_equal(buf, "device|ro|user|ng");
	mmu_dump_format_attrs(PGT_ATTR_MEM_NORMAL_NC | PGT_ATTR_ALL, buf, sizeof(buf));
	assert_string_equal(buf, "memtype3|ns|ro|user|xn|ng");
	mmu_dump_format_attrs(PGT_ATTR_MEM_NORMAL_NC | 0x180, buf, sizeof(buf));
	assert_string_equal(buf, "normal_nc|rw|global|0x180");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(mmu_dump_format_attrs(PGT_ATTR_NS, buf, 5), strlen("normal|ns|rw|global"));
	assert_string_equal(buf, "norm");
	assert_int_equal(buf[5], 'X');
	assert_int_equal(mmu_dump_format_attrs(PGT_ATTR_NS, NULL, 0), 19);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_matches_mm),
		cmocka_unit_test(test_dump_without_tag_creates_parents),
		cmocka_unit_test(test_dump_replaces_previous),
		cmocka_unit_test(test_dump_under_regular_file_fails),
		cmocka_unit_test(test_dump_write_failure_keeps_previous),
		cmocka_unit_test(test_dump_rename_failure_reported),
		cmocka_unit_test(test_dump_bad_arguments),
		cmocka_unit_test(test_format_attrs),
	};

	return cmocka_run_group_tests_name("mmu_dump", tests, NULL, NULL);
}
