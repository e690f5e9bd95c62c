/*
 * teeshm layout: build the simulated DRAM and show how a page list crosses it.
 *
 * For every guest it opens the guest's own view (its RAM only), scatters a
 * buffer over its pages, fills it, writes an OP-TEE non-contiguous page list,
 * then parses that list through the secure world's view and checks every byte.
 * It also proves the guest view refuses secure memory and other guests' RAM.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/opts.h"
#include "sim/common/ts_err.h"
#include "sim/launcher/cli.h"

static void print_layout(const struct dram_layout *l)
{
	uint32_t i;

	printf("%-12s %6s %-18s %-18s %10s\n", "region", "guest", "pa_start", "pa_end", "size_kib");
	for (i = 0; i < l->n_regions; i++) {
		const struct dram_region *r = &l->regions[i];
		char guest[16] = "-";

		if (r->kind == DRAM_GUEST_RAM)
			snprintf(guest, sizeof(guest), "%u", r->guest);
		printf("%-12s %6s 0x%016" PRIx64 " 0x%016" PRIx64 " %10" PRIu64 " %s\n",
		       dram_region_kind_name(r->kind), guest, pa_addr(r->base),
		       pa_addr(r->base) + r->size_bytes - 1, r->size_bytes >> 10,
		       r->secure ? "secure" : "non-secure");
	}
}


/* One guest's run; returns 0 when every check held. */
static int exercise_guest(const struct dram *d, const struct dram_view *secure, uint32_t guest,
			  uint64_t buffer_bytes)
{
	const struct dram_region *ram = dram_region_find(d->layout, DRAM_GUEST_RAM, guest);
	const struct dram_region *core = dram_region_find(d->layout, DRAM_SECURE_CORE, 0);
	const struct dram_region *other;
	const uint64_t ram_pages = ram->size_bytes / SMALL_PAGE_SIZE;
	const uint64_t offset = 0x80;
	size_t n_pages = pages_spanned(offset, buffer_bytes);
	size_t n_list = optee_pagelist_list_pages(n_pages), i;
	struct optee_pagelist_parsed parsed;
	struct pa_accessor gacc, sacc;
	struct dram_view *gv;
	paddr_t *pages, *list, *got;
	uint64_t mismatches = 0, copied = 0, stride = 40503;
	int rc = 1, err;

	if (n_pages + n_list > ram_pages) {
		fprintf(stderr, "teeshm layout: buffer of %" PRIu64 " bytes does not fit guest RAM\n",
			buffer_bytes);
		return 1;
	}
	if ((err = dram_view_open(d, &ram, 1, &gv))) {
		fprintf(stderr, "teeshm layout: guest %u view: %s\n", guest, ts_strerror(err));
		return 1;
	}
	pages = calloc(n_pages, sizeof(*pages));
	list = calloc(n_list, sizeof(*list));
	got = calloc(n_pages, sizeof(*got));
	if (!pages || !list || !got)
		goto out;

	/* Scatter the pages: a stride coprime to the page count visits each page once. */
	stride = cli_scatter_stride(stride, ram_pages);
	for (i = 0; i < n_list + n_pages; i++) {
		paddr_t pa = pa_add(ram->base, ((i * stride + guest * 7u) % ram_pages) * SMALL_PAGE_SIZE);

		if (i < n_list)
			list[i] = pa;
		else
			pages[i - n_list] = pa;
	}
	/* The guest writes a pattern into its buffer, byte by byte as a client would. */
	for (i = 0; i < n_pages; i++) {
		uint8_t *p = dram_view_ptr(gv, pages[i], SMALL_PAGE_SIZE);
		size_t b;

		for (b = 0; b < SMALL_PAGE_SIZE; b++)
			p[b] = (uint8_t)(guest * 31 + i * 7 + b);
	}
	gacc = dram_view_accessor(gv);
	sacc = dram_view_accessor(secure);
	if ((err = optee_pagelist_write(&gacc, list, n_list, pages, n_pages)) ||
	    (err = optee_pagelist_read(&sacc, optee_pagelist_buf_ptr(list[0], offset), buffer_bytes,
				       got, n_pages, &parsed))) {
		fprintf(stderr, "teeshm layout: guest %u page list: %s\n", guest, ts_strerror(err));
		goto out;
	}
	/* The secure side reads the buffer through its own view and checks every byte. */
	for (i = 0; i < parsed.n_pages; i++) {
		const uint8_t *p = dram_view_ptr(secure, got[i], SMALL_PAGE_SIZE);
		size_t b = i == 0 ? offset : 0;
		size_t end = i + 1 == parsed.n_pages ? (offset + buffer_bytes - 1) % SMALL_PAGE_SIZE + 1 :
						      SMALL_PAGE_SIZE;

		for (; b < end; b++, copied++)
			mismatches += p[b] != (uint8_t)(guest * 31 + i * 7 + b);
	}
	other = dram_region_find(d->layout, DRAM_GUEST_RAM, guest ? 0 : 1);
	printf("guest %-3u buffer %8" PRIu64 " B  pages %5zu  list pages %2zu  verified %8" PRIu64
	       " B  mismatches %" PRIu64 "  secure-ram %s  other-guest %s\n",
	       guest, buffer_bytes, parsed.n_pages, parsed.n_list_pages, copied, mismatches,
	       dram_view_ptr(gv, core->base, 1) ? "VISIBLE" : "refused",
	       !other ? "none" : dram_view_ptr(gv, other->base, 1) ? "VISIBLE" : "refused");
	rc = (mismatches == 0 && copied == buffer_bytes && !dram_view_ptr(gv, core->base, 1) &&
	      !(other && dram_view_ptr(gv, other->base, 1))) ? 0 : 1;
out:
	free(pages);
	free(list);
	free(got);
	dram_view_close(gv);
	return rc;
}

int cmd_layout(int argc, char **argv)
{
	struct dram_config cfg;
	struct dram_view *secure;
	struct dram *d;
	uint64_t vms = 2, ram_mib = 64, carve_kib = 1024, buf_kib = 3072;
	struct opt_spec specs[] = {
		OPT_SPEC_U64("--vms", &vms, 1, 4096, "guests (default 2)"),
		OPT_SPEC_U64("--guest-ram-mib", &ram_mib, 1, 65536, "RAM per guest (default 64)"),
		OPT_SPEC_U64("--carveout-kib", &carve_kib, 4, 1 << 20, "static shm carveout (default 1024)"),
		OPT_SPEC_U64("--buffer-kib", &buf_kib, 1, 1 << 20, "buffer each guest passes by page list (default 3072)"),
	};
	char err[256];
	int i, failed = 0, rc;

	rc = opts_parse("layout", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	dram_config_default(&cfg);
	cfg.n_guests = (uint32_t)vms;
	cfg.guest_ram_bytes = ram_mib << 20;
	cfg.carveout_bytes = carve_kib << 10;
	if ((rc = dram_create(&cfg, &d, err, sizeof(err)))) {
		fprintf(stderr, "teeshm layout: %s\n", err);
		return 2;
	}
	if ((rc = dram_view_open_all(d, &secure))) {
		fprintf(stderr, "teeshm layout: secure view: %s\n", ts_strerror(rc));
		dram_destroy(d);
		return 1;
	}
	printf("simulated DRAM: memfd of %" PRIu64 " MiB (sparse), %u regions\n",
	       d->layout->span_bytes >> 20, d->layout->n_regions);
	print_layout(d->layout);
	printf("\n");
	for (i = 0; i < (int)vms; i++)
		failed |= exercise_guest(d, secure, (uint32_t)i, buf_kib << 10);
	dram_view_close(secure);
	dram_destroy(d);
	printf("%s\n", failed ? "layout: FAILED" : "layout: all guests verified");
	return failed;
}
