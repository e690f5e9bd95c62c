/*
 * Oracle test of --dump-mmu: QEMU's MMU (through Unicorn) walks the dumped
 * tables and must translate exactly as the dumped mappings.tsv says.
 *
 * The test builds a secure core memory manager over simulated DRAM, maps and
 * unmaps shared memory for three VMs (one destroyed), ioremaps devices, and
 * dumps twice (a checkpoint and the end).  Then it frees the manager and all
 * of DRAM, and works from the files alone, reading them as an external tool
 * would (its own reader, not the writer's code): every table of tables.bin is
 * loaded at its PA, TTBR0/TCR/MAIR come from regs.json, and for each row of
 * mappings.tsv the first, last and random pages must translate to the listed
 * PA with the listed NS bit, memory type and permissions.  Every page around
 * the dynamic (SHM and ioremap) mappings, the guard page after each SHM
 * mapping and a sample of VAs in the gaps must fault.  The test's own record
 * of which SHM mappings it made (VA and size, no manager state) checks that
 * the files list all of them and nothing it did not map.
 *
 * Corrupting any of the three files makes the check fail: it is not vacuous.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/test_files.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/common/dram.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/mmu_dump.h"
#include "sim/secure/platform.h"
#include "tests/oracle/uc_mmu.h"

#define PAGE 0x1000ull
#define OA_MASK 0x0000fffffffff000ull

/* ---- small helpers ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
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
	struct dirent *e;
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
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
	} else {
		unlink(path);
	}
}

static char *slurp(const char *dir, const char *name, size_t *len_out)
{
	char *path = path_of(dir, name), *buf = test_read_file(path, len_out);

	if (!buf)
		fail_msg("cannot open %s", path);
	free(path);
	return buf;
}

static void spit(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = path_of(dir, name);
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(path);
}

/* ---- the dump, as an external tool reads it ---- */

enum mem_kind { MEM_NORMAL, MEM_DEVICE, MEM_NORMAL_NC };

struct row {
	uint64_t va, pa, pages;
	enum mem_kind mem;
	bool ns, ro, user, xn, ng;
	int vm;
	char type[32];
};

struct dump {
	struct uc_mmu_regs regs;
	uint64_t va_bits, granule, start_level, n_tables_claimed, n_rows_claimed;
	size_t n_tables;
	uint64_t *table_pa;
	uint8_t *table_bytes; /* n_tables * 4096, descriptors as in the file */
	size_t n_rows;
	struct row *rows; /* sorted by va */
};

/* The value after "key": in a flat JSON object (string values without their quotes). */
static const char *json_value(const char *json, const char *key)
{
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "\"%s\"", key);
	p = strstr(json, pattern);
	if (!p)
		fail_msg("regs.json: no \"%s\"", key);
	p += strlen(pattern);
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	assert_true(*p == ':');
	p++;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return *p == '"' ? p + 1 : p;
}

static uint64_t json_u64(const char *json, const char *key, int base)
{
	const char *v = json_value(json, key);
	char *end;
	uint64_t x = strtoull(v, &end, base);

	assert_true(end != v);
	return x;
}

/* "normal|ns|rw|xn|global" and friends; every token must be known. */
static void parse_attrs(const char *text, struct row *r)
{
	char buf[64], *tok, *save = NULL;
	bool first = true, rw_seen = false, g_seen = false;

	assert_true(strlen(text) < sizeof(buf));
	strcpy(buf, text);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		if (first) {
			if (!strcmp(tok, "normal"))
				r->mem = MEM_NORMAL;
			else if (!strcmp(tok, "device"))
				r->mem = MEM_DEVICE;
			else if (!strcmp(tok, "normal_nc"))
				r->mem = MEM_NORMAL_NC;
			else
				fail_msg("attrs '%s': unknown memory type", text);
			first = false;
		} else if (!strcmp(tok, "ns")) {
			r->ns = true;
		} else if (!strcmp(tok, "ro") || !strcmp(tok, "rw")) {
			r->ro = tok[1] == 'o';
			rw_seen = true;
		} else if (!strcmp(tok, "user")) {
			r->user = true;
		} else if (!strcmp(tok, "xn")) {
			r->xn = true;
		} else if (!strcmp(tok, "ng") || !strcmp(tok, "global")) {
			r->ng = tok[0] == 'n';
			g_seen = true;
		} else {
			fail_msg("attrs '%s': unknown flag '%s'", text, tok);
		}
	}
	assert_true(rw_seen && g_seen);
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

static void dump_load(struct dump *d, const char *dir)
{
	char *json = slurp(dir, "regs.json", NULL), *tsv, *line, *save = NULL;
	uint8_t *bin;
	size_t len, i, cap = 64;

	memset(d, 0, sizeof(*d));
	if (strncmp(json_value(json, "schema"), "teeshm.mmu/1\"", 13) != 0)
		fail_msg("%s/regs.json: not schema teeshm.mmu/1", dir);
	d->regs.ttbr0 = json_u64(json, "ttbr0", 16);
	d->regs.tcr = json_u64(json, "tcr", 16);
	d->regs.mair = json_u64(json, "mair", 16);
	d->va_bits = json_u64(json, "va_bits", 10);
	d->granule = json_u64(json, "granule", 10);
	d->start_level = json_u64(json, "start_level", 10);
	d->n_tables_claimed = json_u64(json, "tables", 10);
	d->n_rows_claimed = json_u64(json, "mappings", 10);
	free(json);

	bin = (uint8_t *)slurp(dir, "tables.bin", &len);
	assert_int_equal(len % (8 + 4096), 0);
	d->n_tables = len / (8 + 4096);
	d->table_pa = calloc(d->n_tables + 1, sizeof(*d->table_pa));
	d->table_bytes = malloc(d->n_tables * 4096 + 1);
	assert_non_null(d->table_pa);
	assert_non_null(d->table_bytes);
	for (i = 0; i < d->n_tables; i++) {
		const uint8_t *rec = bin + i * (8 + 4096);
		int b;

		for (b = 7; b >= 0; b--)
			d->table_pa[i] = d->table_pa[i] << 8 | rec[b];
		memcpy(d->table_bytes + i * 4096, rec + 8, 4096);
	}
	free(bin);

	tsv = slurp(dir, "mappings.tsv", NULL);
	d->rows = calloc(cap, sizeof(*d->rows));
	assert_non_null(d->rows);
	save = NULL;
	for (line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct row *r;
		char attrs[64], vm[16];

		if (line[0] == '#')
			continue;
		if (d->n_rows == cap) {
			cap *= 2;
			d->rows = realloc(d->rows, cap * sizeof(*d->rows));
			assert_non_null(d->rows);
		}
		r = &d->rows[d->n_rows++];
		memset(r, 0, sizeof(*r));
		if (sscanf(line, "%" SCNx64 "\t%" SCNx64 "\t%" SCNu64 "\t%63[^\t]\t%15[^\t]\t%31s",
			   &r->va, &r->pa, &r->pages, attrs, vm, r->type) != 6)
			fail_msg("mappings.tsv: bad row '%s'", line);
		parse_attrs(attrs, r);
		r->vm = strcmp(vm, "-") ? atoi(vm) : -1;
	}
	free(tsv);
	qsort(d->rows, d->n_rows, sizeof(*d->rows), row_cmp);
}

static void dump_free(struct dump *d)
{
	free(d->table_pa);
	free(d->table_bytes);
	free(d->rows);
}

/* The row covering va, or NULL. */
static const struct row *row_at(const struct dump *d, uint64_t va)
{
	size_t lo = 0, hi = d->n_rows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct row *r = &d->rows[mid];

		if (va < r->va)
			hi = mid;
		else if (va >= r->va + r->pages * PAGE)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* ---- what the test did (no manager state): its SHM mappings ---- */

#define MAX_RECS 256

struct rec {
	uint64_t va, n_pages;
	int vm;
	bool live;
};

struct recs {
	struct rec r[MAX_RECS];
	unsigned n;
};

/* ---- the oracle ---- */

struct check {
	unsigned mismatches;
	bool quiet;
};

static void mismatch(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->quiet && c->mismatches < 12) {
		char msg[256];

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		print_error("mismatch: %s\n", msg);
	}
	c->mismatches++;
}

struct probes {
	uint64_t *va;
	size_t n, cap;
};

static void probe(struct probes *p, uint64_t va)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 4096;
		p->va = realloc(p->va, p->cap * sizeof(*p->va));
		assert_non_null(p->va);
	}
	p->va[p->n++] = va;
}

static uint8_t mair_byte(enum mem_kind mem)
{
	return mem == MEM_DEVICE ? UC_MMU_MAIR_DEVICE_NGNRE
	       : mem == MEM_NORMAL_NC ? UC_MMU_MAIR_NORMAL_NC : UC_MMU_MAIR_NORMAL_WB;
}

/* QEMU's four PARs for va against what mappings.tsv says about it. */
static void compare(struct check *c, const struct dump *d, uint64_t va, const uint64_t par[4])
{
	const struct row *r = row_at(d, va);
	const uint64_t e1r = par[UC_MMU_AT_E1R];
	unsigned k;

	if (!r) {
		for (k = 0; k < UC_MMU_AT_KINDS; k++)
			if (!(par[k] & UC_MMU_PAR_F)) {
				mismatch(c, "va 0x%" PRIx64 " is in no row but translates "
					 "(PAR 0x%016" PRIx64 ")", va, par[k]);
				return;
			}
		if (!UC_MMU_FST_IS_TRANSLATION(UC_MMU_PAR_FST(e1r)))
			mismatch(c, "va 0x%" PRIx64 ": not a translation fault "
				 "(PAR 0x%016" PRIx64 ")", va, e1r);
		return;
	}
	if (e1r & UC_MMU_PAR_F) {
		mismatch(c, "va 0x%" PRIx64 " (row 0x%" PRIx64 ") faults (PAR 0x%016" PRIx64 ")",
			 va, r->va, e1r);
		return;
	}
	if (UC_MMU_PAR_PA(e1r) != ((r->pa + (va - r->va)) & OA_MASK))
		mismatch(c, "va 0x%" PRIx64 ": PA 0x%" PRIx64 ", row says 0x%" PRIx64, va,
			 UC_MMU_PAR_PA(e1r), (r->pa + (va - r->va)) & OA_MASK);
	if (!!(e1r & UC_MMU_PAR_NS) != r->ns)
		mismatch(c, "va 0x%" PRIx64 ": NS %d, row says %d", va, !!(e1r & UC_MMU_PAR_NS),
			 r->ns);
	if (UC_MMU_PAR_ATTR(e1r) != mair_byte(r->mem))
		mismatch(c, "va 0x%" PRIx64 ": memory attributes 0x%02x", va,
			 (unsigned)UC_MMU_PAR_ATTR(e1r));
	if (UC_MMU_PAR_SH(e1r) != (r->mem == MEM_DEVICE ? 2u : 3u))
		mismatch(c, "va 0x%" PRIx64 ": shareability %u", va, (unsigned)UC_MMU_PAR_SH(e1r));
	if (!!(par[UC_MMU_AT_E1W] & UC_MMU_PAR_F) != r->ro)
		mismatch(c, "va 0x%" PRIx64 ": EL1 write permission disagrees with '%s'", va,
			 r->ro ? "ro" : "rw");
	if (!!(par[UC_MMU_AT_E0R] & UC_MMU_PAR_F) != !r->user)
		mismatch(c, "va 0x%" PRIx64 ": EL0 read permission disagrees with the attrs", va);
	if (!!(par[UC_MMU_AT_E0W] & UC_MMU_PAR_F) != (!r->user || r->ro))
		mismatch(c, "va 0x%" PRIx64 ": EL0 write permission disagrees with the attrs", va);
}

/* The file's own consistency, and that it lists exactly the SHM mappings the test made. */
static void check_structure(struct check *c, const struct dump *d, const struct recs *recs)
{
	uint64_t top = 1ull << d->va_bits, shm_rows_pages = 0, live_pages = 0;
	unsigned expect_level = d->va_bits > 39 ? 0 : d->va_bits > 30 ? 1 : 2;
	size_t i, j;

	if (d->n_tables != d->n_tables_claimed || d->n_rows != d->n_rows_claimed)
		mismatch(c, "regs.json counts %" PRIu64 " tables and %" PRIu64
			 " mappings, files hold %zu and %zu", d->n_tables_claimed,
			 d->n_rows_claimed, d->n_tables, d->n_rows);
	if (d->granule != 4096 || d->start_level != expect_level ||
	    (d->regs.tcr & 0x3f) != 64 - d->va_bits)
		mismatch(c, "regs.json: granule %" PRIu64 ", start level %" PRIu64
			 ", T0SZ %u for %" PRIu64 "-bit VAs", d->granule, d->start_level,
			 (unsigned)(d->regs.tcr & 0x3f), d->va_bits);
	if (d->n_tables == 0 || d->table_pa[0] != (d->regs.ttbr0 & OA_MASK))
		mismatch(c, "the first table is not the one TTBR0 points at");
	for (i = 0; i < d->n_tables; i++)
		for (j = i + 1; j < d->n_tables; j++)
			if (d->table_pa[i] == d->table_pa[j])
				mismatch(c, "table 0x%" PRIx64 " dumped twice", d->table_pa[i]);
	for (i = 0; i < d->n_rows; i++) {
		const struct row *r = &d->rows[i];

		if (r->pages == 0 || r->va & (PAGE - 1) || r->pa & (PAGE - 1) ||
		    r->va + r->pages * PAGE > top)
			mismatch(c, "row 0x%" PRIx64 ": bad extent", r->va);
		if (i + 1 < d->n_rows && r->va + r->pages * PAGE > d->rows[i + 1].va)
			mismatch(c, "rows 0x%" PRIx64 " and 0x%" PRIx64 " overlap", r->va,
				 d->rows[i + 1].va);
		if (!strcmp(r->type, "SHM_VASPACE"))
			shm_rows_pages += r->pages;
	}
	for (i = 0; i < recs->n; i++) {
		const struct rec *m = &recs->r[i];
		uint64_t k;

		if (!m->live)
			continue;
		live_pages += m->n_pages;
		for (k = 0; k < m->n_pages; k++) {
			const struct row *r = row_at(d, m->va + k * PAGE);

			if (!r || strcmp(r->type, "SHM_VASPACE") || r->vm != m->vm) {
				mismatch(c, "page %" PRIu64 " of the test's mapping at 0x%" PRIx64
					 " (vm %d) is not listed as such", k, m->va, m->vm);
				break;
			}
		}
		if (row_at(d, m->va + m->n_pages * PAGE))
			mismatch(c, "guard page after 0x%" PRIx64 " is listed as mapped", m->va);
	}
	if (shm_rows_pages != live_pages)
		mismatch(c, "SHM rows hold %" PRIu64 " pages, the test mapped %" PRIu64,
			 shm_rows_pages, live_pages);
}

/* Every page of [lo, hi) of the rows of one type, with a margin of 16 pages. */
static void probe_hull(struct probes *p, const struct dump *d, const char *type)
{
	uint64_t top = 1ull << d->va_bits, lo = UINT64_MAX, hi = 0, va;
	size_t i;

	for (i = 0; i < d->n_rows; i++) {
		const struct row *r = &d->rows[i];

		if (strcmp(r->type, type))
			continue;
		lo = r->va < lo ? r->va : lo;
		hi = r->va + r->pages * PAGE > hi ? r->va + r->pages * PAGE : hi;
	}
	if (lo >= hi)
		return;
	lo = lo >= 16 * PAGE ? lo - 16 * PAGE : 0;
	hi = hi + 16 * PAGE <= top ? hi + 16 * PAGE : top;
	assert_true((hi - lo) / PAGE <= 65536);
	for (va = lo; va < hi; va += PAGE)
		probe(p, va + rnd_below(PAGE / 8) * 8);
}

/* VAs to translate: see the file header for the choice. */
static void choose_probes(struct probes *p, const struct dump *d, const struct recs *recs)
{
	uint64_t top = 1ull << d->va_bits, prev_end = 0;
	size_t i;
	unsigned k;

	for (i = 0; i < d->n_rows; i++) {
		const struct row *r = &d->rows[i];
		uint64_t end = r->va + r->pages * PAGE;

		probe(p, r->va);
		probe(p, end - 8);
		for (k = 0; k < (r->pages > 64 ? 8u : 1u); k++)
			probe(p, r->va + rnd_below(r->pages) * PAGE + rnd_below(PAGE / 8) * 8);
		/* The gap before this row: both ends and a few pages inside. */
		if (r->va > prev_end) {
			probe(p, prev_end);
			probe(p, r->va - PAGE);
			for (k = 0; k < 4; k++)
				probe(p, prev_end + rnd_below((r->va - prev_end) / PAGE) * PAGE);
		}
		prev_end = end;
	}
	if (prev_end < top) {
		probe(p, prev_end);
		probe(p, top - PAGE);
	}
	/* Every page of the dynamic ranges in use: nothing there is mapped but the rows. */
	probe_hull(p, d, "SHM_VASPACE");
	probe_hull(p, d, "RES_VASPACE");
	/* The test's mappings: guard pages, and where its unmapped ones used to be. */
	for (i = 0; i < recs->n; i++) {
		probe(p, recs->r[i].va);
		probe(p, recs->r[i].va + recs->r[i].n_pages * PAGE);
	}
	for (k = 0; k < 1024; k++)
		probe(p, rnd_below(top) & ~7ull);
}

/* Check one dump directory with QEMU; returns the number of disagreements. */
static unsigned oracle_check(const char *dir, const struct recs *recs, bool quiet)
{
	struct check c = { 0, quiet };
	struct probes p = { 0 };
	struct uc_mmu mmu;
	struct dump d;
	uint64_t (*par)[UC_MMU_AT_KINDS];
	size_t i;
	int rc;

	dump_load(&d, dir);
	rng_state = 0x5eed0d0bull ^ d.n_rows;
	check_structure(&c, &d, recs);
	rc = uc_mmu_open(&mmu, UC_MMU_STUB_PA_DEFAULT);
	if (rc)
		fail_msg("%s", mmu.err);
	for (i = 0; i < d.n_tables && rc == 0; i++) {
		if (uc_mmu_overlaps_stub(&mmu, d.table_pa[i], PAGE)) {
			mismatch(&c, "table 0x%" PRIx64 " overlaps the oracle's stub",
				 d.table_pa[i]);
			continue;
		}
		rc = uc_mmu_map(&mmu, d.table_pa[i], PAGE);
		if (!rc)
			rc = uc_mmu_write(&mmu, d.table_pa[i], d.table_bytes + i * 4096, 4096);
	}
	if (rc == 0) {
		choose_probes(&p, &d, recs);
		par = calloc(p.n, sizeof(*par));
		assert_non_null(par);
		rc = uc_mmu_query(&mmu, &d.regs, p.va, p.n, par);
		for (i = 0; rc == 0 && i < p.n; i++)
			compare(&c, &d, p.va[i], par[i]);
		free(par);
		if (!quiet)
			print_message("%s: %zu tables, %zu rows, %zu VAs translated by QEMU\n", dir,
				      d.n_tables, d.n_rows, p.n);
	}
	if (rc)
		mismatch(&c, "oracle: %s", mmu.err);
	uc_mmu_close(&mmu);
	free(p.va);
	dump_free(&d);
	return c.mismatches;
}

/* ---- building the state to dump ---- */

struct fx {
	struct dram *dram;
	struct dram_view *all;
	struct core_mm_platform plat;
	struct core_mm *mm;
	void *meta;
	const struct dram_region *g[3];
	uint64_t next_page[3];
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct core_mm_config cfg;
	struct dram_config dc;
	size_t bytes;
	int i;

	assert_non_null(f);
	core_mm_config_default(&cfg);
	cfg.max_mappings = 512;
	cfg.max_pa_runs = 8192;
	cfg.max_vms = 8;
	dram_config_default(&dc);
	dc.n_guests = 3;
	dc.guest_ram_bytes = 32ull << 20;
	assert_int_equal(dram_create(&dc, &f->dram, NULL, 0), 0);
	assert_int_equal(dram_view_open_all(f->dram, &f->all), 0);
	assert_int_equal(secure_platform_from_dram(f->all, 0, &f->plat), 0);
	f->mm = calloc(1, sizeof(*f->mm));
	assert_non_null(f->mm);
	bytes = core_mm_metadata_bytes(&cfg, f->plat.xlat_pool_tables);
	f->meta = aligned_alloc(8, (bytes + 7) & ~(size_t)7);
	assert_non_null(f->meta);
	assert_int_equal(core_mm_init(f->mm, &cfg, &f->plat, f->meta, bytes), 0);
	for (i = 0; i < 3; i++) {
		f->g[i] = dram_region_find(f->dram->layout, DRAM_GUEST_RAM, (uint32_t)i);
		assert_int_equal(core_mm_vm_created(f->mm, (uint16_t)(i + 1)), 0);
	}
	return f;
}

/*
 * Free the manager and all of simulated DRAM: after this only the files
 * remain (under ASan any later use of the manager would be reported).
 */
static void fx_free(struct fx *f)
{
	free(f->meta);
	free(f->mm);
	dram_view_close(f->all);
	dram_destroy(f->dram);
	free(f);
}

static paddr_t guest_page(struct fx *f, int gi)
{
	uint64_t n = f->next_page[gi]++;

	return pa_add(f->g[gi]->base, ((n * 2654435761ull) % 8192) * PAGE);
}

/* Map n pages of VM vm (guest vm - 1) in runs of 1..8 contiguous pages; record it. */
static void map_random(struct fx *f, struct recs *recs, uint16_t vm, size_t n)
{
	paddr_t *pages = calloc(n, sizeof(*pages));
	int gi = vm - 1;
	size_t i = 0;
	vaddr_t va;

	assert_non_null(pages);
	assert_true(recs->n < MAX_RECS);
	while (i < n) {
		paddr_t first = guest_page(f, gi);
		unsigned run = 1 + (unsigned)rnd_below(8), k;

		for (k = 0; k < run && i < n; k++, i++) {
			pages[i] = pa_add(first, (uint64_t)k * PAGE);
			if (!dram_region_contains(f->g[gi], pages[i], PAGE))
				pages[i] = guest_page(f, gi);
		}
	}
	assert_int_equal(core_mm_map_shm(f->mm, vm, pages, n, rnd_below(4) ? 0 : PGT_ATTR_RO, &va),
			 0);
	recs->r[recs->n++] = (struct rec){ va_addr(va), n, vm, true };
	free(pages);
}

static void unmap_random(struct fx *f, struct recs *recs)
{
	unsigned i = (unsigned)rnd_below(recs->n);

	while (!recs->r[i].live)
		i = (i + 1) % recs->n;
	assert_int_equal(core_mm_unmap_shm(f->mm, va_init(recs->r[i].va)), 0);
	recs->r[i].live = false;
}

/* Static areas of every kind with blocks and pages, and the first SHM and ioremap mappings. */
static void build_phase1(struct fx *f, struct recs *recs)
{
	const struct dram_region *core = dram_region_find(f->dram->layout, DRAM_SECURE_CORE, 0);
	const struct dram_region *ta = dram_region_find(f->dram->layout, DRAM_TA_RAM, 0);
	const struct dram_region *co = dram_region_find(f->dram->layout, DRAM_CARVEOUT, 0);
	vaddr_t va;
	int i;

	assert_int_equal(core_mm_add_static(f->mm, MEM_AREA_TEE_RAM, core->base, core->size_bytes,
					    va_init(pa_addr(core->base)), 0),
			 0);
	assert_int_equal(core_mm_add_static(f->mm, MEM_AREA_TA_RAM, ta->base, ta->size_bytes,
					    va_init(pa_addr(ta->base)), PGT_ATTR_XN | PGT_ATTR_NG),
			 0);
	assert_int_equal(core_mm_add_static(f->mm, MEM_AREA_NSEC_SHM, co->base, co->size_bytes,
					    va_init(pa_addr(co->base)), PGT_ATTR_XN),
			 0);
	assert_int_equal(core_mm_add_static(f->mm, MEM_AREA_IO_SEC, pa_init(0x09040000), PAGE,
					    va_init(0x09040000),
					    PGT_ATTR_MEM_DEVICE | PGT_ATTR_XN),
			 0);
	for (i = 0; i < 60; i++) {
		map_random(f, recs, (uint16_t)(1 + rnd_below(3)), 1 + rnd_below(i % 10 ? 16 : 200));
		if (i % 4 == 3)
			unmap_random(f, recs);
	}
	map_random(f, recs, 2, 700);
	assert_int_equal(core_mm_ioremap(f->mm, pa_init(0x09000010), 0x2000, false, &va), 0);
	assert_int_equal(core_mm_ioremap(f->mm, pa_init(0x0a000000), 0x4000, true, &va), 0);
	assert_int_equal(core_mm_check(f->mm), 0);
}

/* VM 3 dies; more unmaps and maps, one of 1100 pages across several L3 tables. */
static void build_phase2(struct fx *f, struct recs *recs)
{
	unsigned i, reclaimed = 0;
	int rc;

	for (i = 0; i < recs->n; i++)
		if (recs->r[i].live && recs->r[i].vm == 3) {
			recs->r[i].live = false;
			reclaimed++;
		}
	rc = core_mm_vm_destroyed(f->mm, 3);
	assert_int_equal(rc, (int)reclaimed);
	assert_true(reclaimed > 0);
	for (i = 0; i < 30; i++) {
		if (i % 3 == 0)
			unmap_random(f, recs);
		map_random(f, recs, (uint16_t)(1 + rnd_below(2)), 1 + rnd_below(40));
	}
	map_random(f, recs, 1, 1100);
	assert_int_equal(core_mm_check(f->mm), 0);
}

static char *tmpdir_new(void)
{
	char *dir = strdup("/tmp/teeshm-test-mmu-dump-uc-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void dump_to(struct fx *f, const char *dir, const char *tag)
{
	char err[512];

	if (mmu_dump_write(f->mm, dir, tag, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* ---- tests ---- */

/*
 * Both dumps (a checkpoint and the end state), read back from the files
 * alone after the manager is gone, translate in QEMU exactly as their
 * mappings.tsv says, with guard pages and gaps faulting.
 */
static void test_dumps_translate_in_qemu(void **state)
{
	struct recs *at_checkpoint = calloc(1, sizeof(*at_checkpoint));
	struct recs *at_end = calloc(1, sizeof(*at_end));
	char *dir = tmpdir_new(), *cp, *fin;
	struct fx *f = fx_new();

	(void)state;
	assert_non_null(at_checkpoint);
	assert_non_null(at_end);
	rng_state = 0xd0d0cafeull;
	build_phase1(f, at_end);
	dump_to(f, dir, "checkpoint-1");
	*at_checkpoint = *at_end;
	build_phase2(f, at_end);
	dump_to(f, dir, "final");
	fx_free(f);

	cp = path_of(dir, "checkpoint-1");
	fin = path_of(dir, "final");
	assert_int_equal(oracle_check(cp, at_checkpoint, false), 0);
	assert_int_equal(oracle_check(fin, at_end, false), 0);
	/* The states differ: each dump is judged against its own moment, not a mix. */
	assert_true(oracle_check(cp, at_end, true) > 0);
	free(cp);
	free(fin);
	free(at_checkpoint);
	free(at_end);
	rm_rf(dir);
	free(dir);
}

/* Copy the three files of src into dst, replacing name by (data, len) if name is non-NULL. */
static void copy_dump(const char *src, const char *dst, const char *name, const void *data,
		      size_t len)
{
	static const char *const files[] = { "regs.json", "tables.bin", "mappings.tsv" };
	unsigned i;

	assert_int_equal(mkdir(dst, 0777), 0);
	for (i = 0; i < 3; i++) {
		size_t n;
		char *text = slurp(src, files[i], &n);

		if (name && !strcmp(name, files[i]))
			spit(dst, files[i], data, len);
		else
			spit(dst, files[i], text, n);
		free(text);
	}
}

/* Each kind of damage to the files -- a table, a row, a register -- is caught. */
static void test_oracle_sees_corrupt_files(void **state)
{
	struct recs *recs = calloc(1, sizeof(*recs));
	char *dir = tmpdir_new(), *base = path_of(dir, "base"), *bad = path_of(dir, "bad");
	struct fx *f = fx_new();
	size_t len;
	uint8_t *bin;
	char *tsv, *p, *json;
	unsigned n;

	(void)state;
	assert_non_null(recs);
	rng_state = 0xbadf00dull;
	build_phase1(f, recs);
	dump_to(f, dir, "base");
	fx_free(f);
	assert_int_equal(oracle_check(base, recs, false), 0);

	/* The last table (never the root, never empty) zeroed: its mappings vanish. */
	bin = (uint8_t *)slurp(base, "tables.bin", &len);
	assert_true(len >= 2 * (8 + 4096));
	memset(bin + len - 4096, 0, 4096);
	copy_dump(base, bad, "tables.bin", bin, len);
	n = oracle_check(bad, recs, true);
	print_message("zeroed table: %u mismatches\n", n);
	assert_true(n > 0);
	rm_rf(bad);

	/* The last table missing from the file: QEMU's walk reaches memory nobody loaded. */
	copy_dump(base, bad, "tables.bin", bin, len - (8 + 4096));
	n = oracle_check(bad, recs, true);
	print_message("missing table: %u mismatches\n", n);
	assert_true(n > 0);
	rm_rf(bad);

	/* One descriptor's output address moved by a page (the last valid one of the last table) */
	free(bin);
	bin = (uint8_t *)slurp(base, "tables.bin", &len);
	{
		uint8_t *t = bin + len - 4096;
		int e;

		for (e = 511; e >= 0 && !(t[8 * e] & 1); e--)
			;
		assert_true(e >= 0);
		t[8 * e + 1] ^= 0x10; /* bit 12: the lowest output-address bit */
	}
	copy_dump(base, bad, "tables.bin", bin, len);
	n = oracle_check(bad, recs, true);
	print_message("moved output address: %u mismatches\n", n);
	assert_true(n > 0);
	rm_rf(bad);
	free(bin);

	/* A row of mappings.tsv claiming the wrong PA for an SHM mapping. */
	tsv = slurp(base, "mappings.tsv", &len);
	p = strstr(tsv, "SHM_VASPACE");
	assert_non_null(p);
	while (p > tsv && p[-1] != '\n')
		p--;
	p = strchr(p, '\t') + 1 + 14; /* in "0x" + 16 hex digits of the PA: bits 15:12 */
	*p = *p == '1' ? '2' : '1';
	copy_dump(base, bad, "mappings.tsv", tsv, len);
	n = oracle_check(bad, recs, true);
	print_message("wrong PA in a row: %u mismatches\n", n);
	assert_true(n > 0);
	rm_rf(bad);
	free(tsv);

	/* regs.json with a TCR for 34-bit VAs: QEMU no longer reaches the SHM range at 64 GiB. */
	json = slurp(base, "regs.json", &len);
	p = strstr(json, "\"tcr\": \"0x");
	assert_non_null(p);
	p += strlen("\"tcr\": \"0x") + 15; /* last hex digit: T0SZ low bits */
	assert_true(*p == '9');            /* T0SZ = 25 for 39-bit VAs */
	*p = 'e';
	copy_dump(base, bad, "regs.json", json, len);
	n = oracle_check(bad, recs, true);
	print_message("wrong TCR: %u mismatches\n", n);
	assert_true(n > 0);
	rm_rf(bad);
	free(json);

	free(recs);
	free(base);
	free(bad);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dumps_translate_in_qemu),
		cmocka_unit_test(test_oracle_sees_corrupt_files),
	};

	return cmocka_run_group_tests_name("mmu_dump_unicorn", tests, NULL, NULL);
}
