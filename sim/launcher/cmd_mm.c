/*
 * teeshm mm: boot the secure core memory manager on the simulated DRAM and
 * drive it the way the OP-TEE ABI will: each guest scatters buffers over its
 * RAM and passes them by non-contiguous page list; the secure side parses the
 * list through its own view, maps the pages, and reads every byte back
 * through the MMU model (TLB, table walks).  Then the last guest dies and the
 * others unmap.  Prints what it cost (TLB maintenance, walks, tables,
 * metadata, host latency) and fails on any mismatch or leak.  Optionally
 * dumps the MMU state for external tools.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/common/dram.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/opts.h"
#include "sim/common/profile.h"
#include "sim/common/ts_err.h"
#include "sim/launcher/cli.h"
#include "sim/secure/cost.h"
#include "sim/secure/mm/core_memprot.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/mmu_dump.h"
#include "sim/secure/platform.h"

struct mm_opts {
	uint64_t vms, buffers, buffer_kib, guest_ram_mib, lazy_pages, xlat_tables;
	enum core_mm_tlbi_policy policy;
	bool lazy;
	const char *dump_dir;
	const char *profile_path;
};

struct buffer {
	vaddr_t va;
	size_t n_pages;
	uint64_t offset;
	bool mapped;
};

struct guest {
	const struct dram_region *ram;
	struct dram_view *view;
	uint64_t next_page, stride;
	struct buffer *bufs;
};

static int parse_opts(int argc, char **argv, struct mm_opts *o)
{
	static const char *const policies[] = { "per-page", "range", "all", "lazy", NULL };
	unsigned policy = 2;
	struct opt_spec specs[] = {
		OPT_SPEC_U64("--vms", &o->vms, 1, 1024, "guests (default 4)"),
		OPT_SPEC_U64("--buffers", &o->buffers, 1, 4096, "buffers each guest registers (default 16)"),
		OPT_SPEC_U64("--buffer-kib", &o->buffer_kib, 1, 1 << 20, "size of each buffer (default 256)"),
		OPT_SPEC_U64("--guest-ram-mib", &o->guest_ram_mib, 1, 65536, "RAM per guest (default 64)"),
		OPT_SPEC_ENUM("--tlbi", &policy, policies, "TLB maintenance on unmap (default all, as OP-TEE)"),
		OPT_SPEC_U64("--lazy-pages", &o->lazy_pages, 1, 1 << 30, "with --tlbi lazy: purge after this many pages (512)"),
		OPT_SPEC_U64("--xlat-tables", &o->xlat_tables, 2, 1 << 20, "translation tables (default: the region's 256)"),
		OPT_SPEC_STR("--dump-mmu", &o->dump_dir, "write regs.json, tables.bin, mappings.tsv here"),
		OPT_SPEC_STR("--profile", &o->profile_path, "platform profile INI (default profiles/cortex-a53.ini)"),
	};
	static const enum core_mm_tlbi_policy to_policy[] = {
		CORE_MM_TLBI_PER_PAGE, CORE_MM_TLBI_RANGE, CORE_MM_TLBI_ALL,
		CORE_MM_TLBI_ALL, /* lazy: the batched purge is one full flush */
	};
	int rc;

	*o = (struct mm_opts){ .vms = 4, .buffers = 16, .buffer_kib = 256, .guest_ram_mib = 64,
			       .lazy_pages = 512, .profile_path = TEESHM_PROFILE_DIR "/cortex-a53.ini" };
	rc = opts_parse("mm", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	o->policy = to_policy[policy];
	o->lazy = policy == 3;
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of v[0..n) (sorts v). */
static uint64_t percentile(uint64_t *v, size_t n, unsigned pct)
{
	size_t rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	rank = (n * pct + 99) / 100;
	return v[rank ? rank - 1 : 0];
}


/* The guest's page allocator: a stride coprime to its page count scatters pages over all of RAM. */
static paddr_t guest_alloc_page(struct guest *g)
{
	uint64_t pages = g->ram->size_bytes / SMALL_PAGE_SIZE;

	return pa_add(g->ram->base, ((g->next_page++ * g->stride) % pages) * SMALL_PAGE_SIZE);
}

static uint8_t pattern(uint64_t guest, uint64_t buf, uint64_t byte)
{
	return (uint8_t)(guest * 131 + buf * 31 + byte * 7 + (byte >> 12));
}

struct run_state {
	struct mm_opts o;
	struct profile prof;
	struct dram *dram;
	struct dram_view *secure;
	struct core_mm mm;
	void *meta;
	struct guest *guests;
	uint64_t *map_ns, *unmap_ns;
	size_t n_map, n_unmap;
	uint64_t bytes_verified, mismatches;
};

/* Guest side: fill a buffer, write its page list.  Secure side: parse, map, read back. */
static int register_buffer(struct run_state *s, uint32_t gi, uint32_t bi)
{
	struct guest *g = &s->guests[gi];
	struct buffer *b = &g->bufs[bi];
	uint64_t size = s->o.buffer_kib << 10, i;
	size_t n_list;
	paddr_t *pages, *list, *parsed;
	struct optee_pagelist_parsed info;
	struct pa_accessor gacc = dram_view_accessor(g->view), sacc = dram_view_accessor(s->secure);
	uint8_t *chunk = NULL;
	uint64_t t0;
	int rc = TS_ENOMEM;

	b->offset = (bi * 0x40) & SMALL_PAGE_MASK;
	b->n_pages = pages_spanned(b->offset, size);
	n_list = optee_pagelist_list_pages(b->n_pages);
	pages = calloc(b->n_pages, sizeof(*pages));
	parsed = calloc(b->n_pages, sizeof(*parsed));
	list = calloc(n_list, sizeof(*list));
	chunk = malloc(SMALL_PAGE_SIZE);
	if (!pages || !parsed || !list || !chunk)
		goto out;
	for (i = 0; i < b->n_pages; i++) {
		uint8_t *p;

		pages[i] = guest_alloc_page(g);
		p = dram_view_ptr(g->view, pages[i], SMALL_PAGE_SIZE);
		for (uint64_t k = 0; k < SMALL_PAGE_SIZE; k++)
			p[k] = pattern(gi, bi, i * SMALL_PAGE_SIZE + k);
	}
	for (i = 0; i < n_list; i++)
		list[i] = guest_alloc_page(g);
	if ((rc = optee_pagelist_write(&gacc, list, n_list, pages, b->n_pages)))
		goto out;
	/* The secure world sees only the message: buf_ptr and size. */
	rc = optee_pagelist_read(&sacc, optee_pagelist_buf_ptr(list[0], b->offset), size, parsed,
				 b->n_pages, &info);
	if (rc)
		goto out;
	t0 = now_ns();
	rc = core_mm_map_shm(&s->mm, (uint16_t)(gi + 1), parsed, info.n_pages, 0, &b->va);
	s->map_ns[s->n_map++] = now_ns() - t0;
	if (rc)
		goto out;
	b->mapped = true;
	/* Read the buffer back through the secure MMU, a page at a time. */
	for (i = 0; i < size; i += SMALL_PAGE_SIZE) {
		uint64_t len = size - i < SMALL_PAGE_SIZE ? size - i : SMALL_PAGE_SIZE;

		if ((rc = core_mm_read(&s->mm, va_add(b->va, b->offset + i), chunk, len)))
			goto out;
		for (uint64_t k = 0; k < len; k++)
			s->mismatches += chunk[k] != pattern(gi, bi, b->offset + i + k);
		s->bytes_verified += len;
	}
	/* phys_to_virt of the last byte finds it again. */
	if (va_addr(phys_to_virt(pa_add(parsed[info.n_pages - 1], (b->offset + size - 1) & SMALL_PAGE_MASK),
				 MEM_AREA_SHM_VASPACE, 1)) != va_addr(b->va) + b->offset + size - 1)
		s->mismatches++;
out:
	free(pages);
	free(parsed);
	free(list);
	free(chunk);
	return rc;
}

static int boot_secure(struct run_state *s)
{
	struct core_mm_platform plat;
	struct core_mm_config cfg;
	const struct dram_region *core, *ta, *carve;
	size_t bytes;
	int rc;

	if ((rc = secure_platform_from_dram(s->secure, (uint32_t)s->o.xlat_tables, &plat)))
		return rc;
	core_mm_config_default(&cfg);
	cfg.max_vms = (uint16_t)(s->o.vms + 1);
	cfg.max_mappings = (uint32_t)(s->o.vms * s->o.buffers + 16);
	cfg.max_pa_runs = (uint32_t)(s->o.vms * s->o.buffers * (pages_spanned(0x40, s->o.buffer_kib << 10)) + 16);
	cfg.tlbi_policy = s->o.policy;
	cfg.lazy_purge_pages = s->o.lazy ? s->o.lazy_pages : 0;
	cfg.verify_tlb_hits = true;
	bytes = core_mm_metadata_bytes(&cfg, plat.xlat_pool_tables);
	s->meta = aligned_alloc(8, (bytes + 7) & ~(size_t)7);
	if (!s->meta)
		return TS_ENOMEM;
	if ((rc = core_mm_init(&s->mm, &cfg, &plat, s->meta, bytes)))
		return rc;
	core_memprot_set_mm(&s->mm);
	/* Static areas as OP-TEE maps them at boot: core and TA RAM secure, the carveout non-secure. */
	core = dram_region_find(s->dram->layout, DRAM_SECURE_CORE, 0);
	ta = dram_region_find(s->dram->layout, DRAM_TA_RAM, 0);
	carve = dram_region_find(s->dram->layout, DRAM_CARVEOUT, 0);
	if ((rc = core_mm_add_static(&s->mm, MEM_AREA_TEE_RAM, core->base, core->size_bytes,
				     va_init(pa_addr(core->base)), PGT_ATTR_MEM_NORMAL)) ||
	    (rc = core_mm_add_static(&s->mm, MEM_AREA_TA_RAM, ta->base, ta->size_bytes,
				     va_init(pa_addr(ta->base)), PGT_ATTR_MEM_NORMAL | PGT_ATTR_XN)) ||
	    (rc = core_mm_add_static(&s->mm, MEM_AREA_NSEC_SHM, carve->base, carve->size_bytes,
				     va_init(pa_addr(carve->base)), PGT_ATTR_MEM_NORMAL | PGT_ATTR_XN)))
		return rc;
	return 0;
}

static int dump(struct run_state *s, const char *tag)
{
	char err[256];
	int rc;

	if (!s->o.dump_dir)
		return 0;
	rc = mmu_dump_write(&s->mm, s->o.dump_dir, tag, err, sizeof(err));
	if (rc)
		fprintf(stderr, "teeshm mm: --dump-mmu: %s\n", err);
	else
		printf("mmu state written to %s/%s/\n", s->o.dump_dir, tag);
	return rc;
}

/* The secure core's counters as the cost model sees them (map-side work only; no SMCs here). */
static uint64_t modeled_cycles(const struct run_state *s)
{
	struct cost_counts c;

	core_mm_cost_counts(&s->mm, &c);
	return profile_modeled_cycles(&s->prof, &c);
}

static void print_costs(const struct run_state *s, const char *phase)
{
	const struct tlb_stats *t = &s->mm.tlb.stats;
	const struct core_mm_stats *m = &s->mm.stats;
	uint64_t cycles = modeled_cycles(s);

	printf("%-9s %7" PRIu64 " %7" PRIu64 " %8" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64
	       " %7" PRIu64 " %7" PRIu64 " %8" PRIu64 " %8" PRIu64 " %7" PRIu64 " %6u %12" PRIu64
	       " %10" PRIu64 "\n",
	       phase, m->maps, m->unmaps, m->pages_mapped, t->tlbi_va, t->tlbi_range, t->tlbi_all, t->dsb,
	       m->walks, t->hits, t->misses, m->stale_tlb_hits, s->mm.pool.peak_in_use, cycles,
	       profile_cycles_to_ns(&s->prof, cycles) / 1000);
}

int cmd_mm(int argc, char **argv)
{
	struct run_state s = { 0 };
	struct dram_config dc;
	char err[256];
	uint32_t gi, bi;
	int rc, status = 1;

	rc = parse_opts(argc, argv, &s.o);
	if (rc)
		return rc > 0 ? 0 : 2;
	if ((rc = profile_load_file(s.o.profile_path, &s.prof, err, sizeof(err)))) {
		fprintf(stderr, "teeshm mm: --profile: %s\n", err);
		return 2;
	}
	dram_config_default(&dc);
	dc.n_guests = (uint32_t)s.o.vms;
	dc.guest_ram_bytes = s.o.guest_ram_mib << 20;
	if (s.o.xlat_tables > dc.xlat_pool_bytes / SMALL_PAGE_SIZE)
		dc.xlat_pool_bytes = s.o.xlat_tables * SMALL_PAGE_SIZE;
	if (pages_spanned(0x40, s.o.buffer_kib << 10) * s.o.buffers * 2 > dc.guest_ram_bytes / SMALL_PAGE_SIZE) {
		fprintf(stderr, "teeshm mm: %" PRIu64 " buffers of %" PRIu64 " KiB need more than half of "
			"--guest-ram-mib %" PRIu64 "\n", s.o.buffers, s.o.buffer_kib, s.o.guest_ram_mib);
		return 2;
	}
	if ((rc = dram_create(&dc, &s.dram, err, sizeof(err)))) {
		fprintf(stderr, "teeshm mm: %s\n", err);
		return 2;
	}
	s.guests = calloc(s.o.vms, sizeof(*s.guests));
	s.map_ns = calloc(s.o.vms * s.o.buffers, sizeof(uint64_t));
	s.unmap_ns = calloc(s.o.vms * s.o.buffers, sizeof(uint64_t));
	if (!s.guests || !s.map_ns || !s.unmap_ns || (rc = dram_view_open_all(s.dram, &s.secure))) {
		fprintf(stderr, "teeshm mm: out of memory\n");
		goto out;
	}
	if ((rc = boot_secure(&s))) {
		fprintf(stderr, "teeshm mm: secure core boot failed: %s\n", ts_strerror(rc));
		goto out;
	}
	for (gi = 0; gi < s.o.vms; gi++) {
		struct guest *g = &s.guests[gi];
		uint64_t pages;

		g->ram = dram_region_find(s.dram->layout, DRAM_GUEST_RAM, gi);
		pages = g->ram->size_bytes / SMALL_PAGE_SIZE;
		g->stride = cli_scatter_stride(40503 + 2 * gi, pages);
		g->bufs = calloc(s.o.buffers, sizeof(*g->bufs));
		if (!g->bufs || (rc = dram_view_open(s.dram, &g->ram, 1, &g->view)) ||
		    (rc = core_mm_vm_created(&s.mm, (uint16_t)(gi + 1)))) {
			fprintf(stderr, "teeshm mm: guest %u setup: %s\n", gi, ts_strerror(rc ? rc : TS_ENOMEM));
			goto out;
		}
	}
	printf("secure core: %u-bit VA, %u translation tables, %u-entry %u-way TLB, TLBI policy %s%s\n",
	       s.mm.cfg.va_bits, s.mm.pool.n_tables, s.mm.cfg.tlb_entries, s.mm.cfg.tlb_ways,
	       s.o.policy == CORE_MM_TLBI_PER_PAGE ? "per-page" :
	       s.o.policy == CORE_MM_TLBI_RANGE ? "range" : "all",
	       s.o.lazy ? " (lazy)" : "");
	printf("%" PRIu64 " guests x %" PRIu64 " buffers x %" PRIu64 " KiB, passed by page list; "
	       "modeled on profile %s (%" PRIu64 " MHz)\n\n",
	       s.o.vms, s.o.buffers, s.o.buffer_kib, s.prof.name, s.prof.cpu_mhz);
	printf("%-9s %7s %7s %8s %7s %7s %7s %7s %7s %8s %8s %7s %6s %12s %10s\n", "phase", "maps",
	       "unmaps", "pages", "tlbi_va", "tlbi_rg", "tlbi_al", "dsb", "walks", "tlb_hit", "tlb_miss",
	       "stale", "tables", "model_cyc", "model_us");

	/* Guests take turns, as concurrent clients would interleave. */
	for (bi = 0; bi < s.o.buffers; bi++)
		for (gi = 0; gi < s.o.vms; gi++)
			if ((rc = register_buffer(&s, gi, bi))) {
				fprintf(stderr, "teeshm mm: guest %u buffer %u: %s\n", gi, bi, ts_strerror(rc));
				goto out;
			}
	print_costs(&s, "mapped");
	if ((rc = dump(&s, "checkpoint-1")))
		goto out;

	/* The last guest dies with everything mapped; the secure world reclaims it all. */
	gi = (uint32_t)s.o.vms - 1;
	rc = core_mm_vm_destroyed(&s.mm, (uint16_t)(gi + 1));
	if (rc < 0 || core_mm_check_vm_clean(&s.mm, (uint16_t)(gi + 1))) {
		fprintf(stderr, "teeshm mm: guest %u teardown left state behind\n", gi);
		goto out;
	}
	printf("guest %u died: %d mappings reclaimed, VM clean\n", gi, rc);
	for (gi = 0; gi + 1 < s.o.vms; gi++)
		for (bi = 0; bi < s.o.buffers; bi++) {
			uint64_t t0 = now_ns();

			rc = core_mm_unmap_shm(&s.mm, s.guests[gi].bufs[bi].va);
			s.unmap_ns[s.n_unmap++] = now_ns() - t0;
			if (rc) {
				fprintf(stderr, "teeshm mm: unmap: %s\n", ts_strerror(rc));
				goto out;
			}
		}
	core_mm_purge_lazy(&s.mm);
	print_costs(&s, "unmapped");
	if ((rc = dump(&s, "final")))
		goto out;

	rc = core_mm_check(&s.mm);
	printf("\nverified %" PRIu64 " bytes through the secure MMU, %" PRIu64 " mismatches\n",
	       s.bytes_verified, s.mismatches);
	printf("host latency: map p50 %" PRIu64 " ns p99 %" PRIu64 " ns (%zu); unmap p50 %" PRIu64
	       " ns p99 %" PRIu64 " ns (%zu)\n",
	       percentile(s.map_ns, s.n_map, 50), percentile(s.map_ns, s.n_map, 99), s.n_map,
	       percentile(s.unmap_ns, s.n_unmap, 50), percentile(s.unmap_ns, s.n_unmap, 99), s.n_unmap);
	printf("secure core metadata %zu bytes, table pool peak %u of %u\n", s.mm.metadata_bytes,
	       s.mm.pool.peak_in_use, s.mm.pool.n_tables);
	printf("leaks: mappings %" PRIu64 ", mapped pages %" PRIu64 ", invariants %s\n",
	       s.mm.stats.maps - s.mm.stats.unmaps, s.mm.stats.mapped_pages, rc ? ts_err_name(rc) : "ok");
	status = (rc || s.mismatches || s.mm.stats.mapped_pages || s.mm.stats.stale_tlb_hits) ? 1 : 0;
	printf("mm: %s\n", status ? "FAILED" : "ok");
out:
	core_memprot_set_mm(NULL);
	if (s.guests)
		for (gi = 0; gi < s.o.vms; gi++) {
			dram_view_close(s.guests[gi].view);
			free(s.guests[gi].bufs);
		}
	free(s.guests);
	free(s.map_ns);
	free(s.unmap_ns);
	free(s.meta);
	dram_view_close(s.secure);
	dram_destroy(s.dram);
	return status;
}
