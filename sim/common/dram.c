/* Simulated DRAM: layout computation, the memfd, and per-process views. */
#define _GNU_SOURCE
#include "sim/common/dram.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim/common/errmsg.h"
#include "sim/common/ts_err.h"

void dram_config_default(struct dram_config *cfg)
{
	*cfg = (struct dram_config){
		.secure_core_bytes = 2ull << 20,
		.ta_ram_bytes = 12ull << 20,
		.xlat_pool_bytes = 1ull << 20,
		.carveout_bytes = 1ull << 20,
		.hv_ram_bytes = 4ull << 20,
		.guest_ram_bytes = 64ull << 20,
		.n_guests = 1,
	};
}

const char *dram_region_kind_name(enum dram_region_kind kind)
{
	static const char *const names[DRAM_REGION_KIND_COUNT] = {
		[DRAM_SECURE_CORE] = "secure-core",
		[DRAM_TA_RAM] = "ta-ram",
		[DRAM_XLAT_POOL] = "xlat-pool",
		[DRAM_CARVEOUT] = "carveout",
		[DRAM_HV_RAM] = "hv-ram",
		[DRAM_GUEST_RAM] = "guest-ram",
	};

	return (unsigned)kind < DRAM_REGION_KIND_COUNT ? names[kind] : "invalid";
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int check_size(const char *field, uint64_t bytes, char *err, size_t err_len)
{
	if (bytes == 0 || (bytes & SMALL_PAGE_MASK))
		return ts_errf(err, err_len, TS_EINVAL,
			    "dram config: %s = %llu bytes; must be a non-zero multiple of 4096",
			    field, (unsigned long long)bytes);
	if (bytes > DRAM_PA_LIMIT)
		return ts_errf(err, err_len, TS_ERANGE, "dram config: %s = %llu bytes is larger than 1 TiB",
			    field, (unsigned long long)bytes);
	return 0;
}

int dram_layout_create(const struct dram_config *cfg, struct dram_layout **out, char *err,
		       size_t err_len)
{
	const struct {
		const char *field;
		enum dram_region_kind kind;
		uint64_t bytes;
		bool secure;
	} fixed[] = {
		{ "secure_core_bytes", DRAM_SECURE_CORE, cfg->secure_core_bytes, true },
		{ "ta_ram_bytes", DRAM_TA_RAM, cfg->ta_ram_bytes, true },
		{ "xlat_pool_bytes", DRAM_XLAT_POOL, cfg->xlat_pool_bytes, true },
		{ "carveout_bytes", DRAM_CARVEOUT, cfg->carveout_bytes, false },
		{ "hv_ram_bytes", DRAM_HV_RAM, cfg->hv_ram_bytes, false },
	};
	const size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	struct dram_layout *l;
	uint64_t next, guest_stride;
	size_t i;
	int rc;

	for (i = 0; i < n_fixed; i++)
		if ((rc = check_size(fixed[i].field, fixed[i].bytes, err, err_len)))
			return rc;
	if ((rc = check_size("guest_ram_bytes", cfg->guest_ram_bytes, err, err_len)))
		return rc;
	if (cfg->n_guests == 0)
		return ts_errf(err, err_len, TS_EINVAL, "dram config: n_guests must be at least 1");

	/* Check the end address before allocating anything; all terms are < 2^40. */
	next = DRAM_PA_BASE;
	for (i = 0; i < n_fixed; i++)
		next = align_up(next + fixed[i].bytes, DRAM_REGION_ALIGN_BYTES);
	guest_stride = align_up(cfg->guest_ram_bytes, DRAM_REGION_ALIGN_BYTES);
	if ((DRAM_PA_LIMIT - next) / guest_stride < cfg->n_guests)
		return ts_errf(err, err_len, TS_ERANGE,
			    "dram config: %u guests of %llu bytes do not fit below PA 2^40",
			    cfg->n_guests, (unsigned long long)cfg->guest_ram_bytes);

	l = calloc(1, sizeof(*l));
	if (!l)
		return TS_ENOMEM;
	l->n_regions = (uint32_t)n_fixed + cfg->n_guests;
	l->regions = calloc(l->n_regions, sizeof(*l->regions));
	if (!l->regions) {
		free(l);
		return TS_ENOMEM;
	}
	l->base = pa_init(DRAM_PA_BASE);
	next = DRAM_PA_BASE;
	for (i = 0; i < l->n_regions; i++) {
		struct dram_region *r = &l->regions[i];

		if (i < n_fixed) {
			r->kind = fixed[i].kind;
			r->secure = fixed[i].secure;
			r->size_bytes = fixed[i].bytes;
		} else {
			r->kind = DRAM_GUEST_RAM;
			r->guest = (uint32_t)(i - n_fixed);
			r->size_bytes = cfg->guest_ram_bytes;
		}
		r->base = pa_init(next);
		r->file_offset = next - DRAM_PA_BASE;
		next = align_up(next + r->size_bytes, DRAM_REGION_ALIGN_BYTES);
	}
	{
		const struct dram_region *last = &l->regions[l->n_regions - 1];

		l->span_bytes = pa_addr(last->base) + last->size_bytes - DRAM_PA_BASE;
	}
	*out = l;
	return 0;
}

void dram_layout_destroy(struct dram_layout *layout)
{
	if (!layout)
		return;
	free(layout->regions);
	free(layout);
}

bool dram_region_contains(const struct dram_region *r, paddr_t pa, uint64_t len_bytes)
{
	uint64_t a = pa_addr(pa), base = pa_addr(r->base);

	if (len_bytes == 0 || range_overflows(a, len_bytes))
		return false;
	return a >= base && a - base < r->size_bytes && len_bytes <= r->size_bytes - (a - base);
}

const struct dram_region *dram_region_at(const struct dram_layout *layout, paddr_t pa)
{
	uint32_t lo = 0, hi = layout->n_regions;

	/* Last region whose base is <= pa, then check pa is not in the gap after it. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (pa_addr(layout->regions[mid].base) <= pa_addr(pa))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	return dram_region_contains(&layout->regions[lo - 1], pa, 1) ? &layout->regions[lo - 1] : NULL;
}

const struct dram_region *dram_region_find(const struct dram_layout *layout,
					   enum dram_region_kind kind, uint32_t guest)
{
	uint32_t i;

	if (kind == DRAM_GUEST_RAM) {
		/* Guests are laid out last, in index order. */
		uint32_t first = layout->n_regions - 1;

		while (first > 0 && layout->regions[first - 1].kind == DRAM_GUEST_RAM)
			first--;
		if (layout->regions[first].kind != DRAM_GUEST_RAM || guest >= layout->n_regions - first)
			return NULL;
		return &layout->regions[first + guest];
	}
	for (i = 0; i < layout->n_regions; i++)
		if (layout->regions[i].kind == kind)
			return &layout->regions[i];
	return NULL;
}

const struct dram_region *dram_range_region(const struct dram_layout *layout, paddr_t pa,
					    uint64_t len_bytes)
{
	const struct dram_region *r = dram_region_at(layout, pa);

	return r && dram_region_contains(r, pa, len_bytes) ? r : NULL;
}

static int dram_wrap(const struct dram_config *cfg, int fd, struct dram **out, char *err,
		     size_t err_len)
{
	struct dram *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return TS_ENOMEM;
	rc = dram_layout_create(cfg, &d->layout, err, err_len);
	if (rc) {
		free(d);
		return rc;
	}
	d->config = *cfg;
	d->fd = fd;
	*out = d;
	return 0;
}

int dram_create(const struct dram_config *cfg, struct dram **out, char *err, size_t err_len)
{
	struct dram *d;
	int fd, rc;

	rc = dram_wrap(cfg, -1, &d, err, err_len);
	if (rc)
		return rc;
	fd = memfd_create("teeshm-dram", MFD_CLOEXEC);
	if (fd < 0) {
		rc = ts_errf(err, err_len, TS_EIO, "dram: memfd_create failed: %s", strerror(errno));
		dram_destroy(d);
		return rc;
	}
	d->fd = fd;
	if (ftruncate(fd, (off_t)d->layout->span_bytes) != 0) {
		rc = ts_errf(err, err_len, TS_EIO, "dram: ftruncate to %llu bytes failed: %s",
			  (unsigned long long)d->layout->span_bytes, strerror(errno));
		dram_destroy(d);
		return rc;
	}
	*out = d;
	return 0;
}

int dram_adopt_fd(const struct dram_config *cfg, int fd, struct dram **out, char *err,
		  size_t err_len)
{
	struct dram *d;
	off_t end;
	int rc;

	rc = dram_wrap(cfg, -1, &d, err, err_len);
	if (rc)
		return rc;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0 || (uint64_t)end != d->layout->span_bytes) {
		rc = ts_errf(err, err_len, TS_EINVAL,
			  "dram: fd %d is %lld bytes, the layout needs %llu", fd, (long long)end,
			  (unsigned long long)d->layout->span_bytes);
		dram_destroy(d);
		return rc;
	}
	d->fd = fd;
	*out = d;
	return 0;
}

void dram_destroy(struct dram *dram)
{
	if (!dram)
		return;
	if (dram->fd >= 0)
		close(dram->fd);
	dram_layout_destroy(dram->layout);
	free(dram);
}

static int cmp_region_base(const void *a, const void *b)
{
	const struct dram_region *const *ra = a, *const *rb = b;

	return pa_addr((*ra)->base) < pa_addr((*rb)->base) ? -1 :
	       pa_addr((*ra)->base) > pa_addr((*rb)->base) ? 1 : 0;
}

int dram_view_open(const struct dram *dram, const struct dram_region *const *regions,
		   size_t n_regions, struct dram_view **out)
{
	const struct dram_region **sorted;
	struct dram_view *v;
	size_t i;
	int rc = 0;

	if (n_regions == 0 || n_regions > dram->layout->n_regions)
		return TS_EINVAL;
	sorted = malloc(n_regions * sizeof(*sorted));
	v = calloc(1, sizeof(*v));
	if (v)
		v->maps = calloc(n_regions, sizeof(*v->maps));
	if (!sorted || !v || !v->maps) {
		free(sorted);
		if (v)
			free(v->maps);
		free(v);
		return TS_ENOMEM;
	}
	memcpy(sorted, regions, n_regions * sizeof(*sorted));
	qsort(sorted, n_regions, sizeof(*sorted), cmp_region_base);
	v->layout = dram->layout;
	for (i = 0; i < n_regions; i++) {
		const struct dram_region *r = sorted[i];
		void *p;

		/* Only regions of this layout, each once. */
		if (r < dram->layout->regions || r >= dram->layout->regions + dram->layout->n_regions ||
		    (i > 0 && r == sorted[i - 1])) {
			rc = TS_EINVAL;
			break;
		}
		p = mmap(NULL, r->size_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, dram->fd,
			 (off_t)r->file_offset);
		if (p == MAP_FAILED) {
			rc = TS_ENOMEM;
			break;
		}
		v->maps[v->n_maps++] = (struct dram_view_map){ .region = r, .host = p };
	}
	free(sorted);
	if (rc) {
		dram_view_close(v);
		return rc;
	}
	*out = v;
	return 0;
}

int dram_view_open_all(const struct dram *dram, struct dram_view **out)
{
	const struct dram_region **all;
	uint32_t i;
	int rc;

	all = malloc(dram->layout->n_regions * sizeof(*all));
	if (!all)
		return TS_ENOMEM;
	for (i = 0; i < dram->layout->n_regions; i++)
		all[i] = &dram->layout->regions[i];
	rc = dram_view_open(dram, all, dram->layout->n_regions, out);
	free(all);
	return rc;
}

void dram_view_close(struct dram_view *view)
{
	uint32_t i;

	if (!view)
		return;
	for (i = 0; i < view->n_maps; i++)
		munmap(view->maps[i].host, view->maps[i].region->size_bytes);
	free(view->maps);
	free(view);
}

void *dram_view_ptr(const struct dram_view *view, paddr_t pa, uint64_t len_bytes)
{
	uint32_t lo = 0, hi = view->n_maps;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (pa_addr(view->maps[mid].region->base) <= pa_addr(pa))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || !dram_region_contains(view->maps[lo - 1].region, pa, len_bytes))
		return NULL;
	return view->maps[lo - 1].host + (pa_addr(pa) - pa_addr(view->maps[lo - 1].region->base));
}

int dram_view_pa(const struct dram_view *view, const void *ptr, paddr_t *pa)
{
	const uint8_t *p = ptr;
	uint32_t i;

	for (i = 0; i < view->n_maps; i++) {
		const struct dram_view_map *m = &view->maps[i];

		if (p >= m->host && (uint64_t)(p - m->host) < m->region->size_bytes) {
			*pa = pa_add(m->region->base, (uint64_t)(p - m->host));
			return 0;
		}
	}
	return TS_EFAULT;
}

static void *view_accessor_map(void *ctx, paddr_t pa, size_t len_bytes)
{
	return dram_view_ptr(ctx, pa, len_bytes);
}

struct pa_accessor dram_view_accessor(const struct dram_view *view)
{
	return (struct pa_accessor){ .map = view_accessor_map, .ctx = (void *)view };
}
