/* Strategy names, default parameters, and the carveout's split between VMs (see strategy.h). */
#include "sim/common/strategy.h"

#include <string.h>

#include "sim/common/errmsg.h"
#include "sim/common/ts_err.h"

static const char *const names[STRATEGY_COUNT] = {
	[STRATEGY_CARVEOUT] = "carveout",
	[STRATEGY_DYNAMIC] = "dynamic",
	[STRATEGY_CACHED] = "cached",
	[STRATEGY_RPC] = "rpc",
};

const char *strategy_name(enum strategy_id id)
{
	return (unsigned)id < STRATEGY_COUNT ? names[id] : NULL;
}

int strategy_find(const char *name)
{
	int i;

	for (i = 0; i < STRATEGY_COUNT; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

void strategy_params_default(enum strategy_id id, struct strategy_params *p)
{
	*p = (struct strategy_params){
		.id = id,
		.carveout_vm_bytes = 0,
		.cache_pages_per_vm = 4096,   /* 16 MiB of live mappings per VM */
		.lazy_purge_pages = 512,      /* as vmalloc's lazy_max_pages order of magnitude */
		.pool_chunk_pages = 64,
		.pool_idle_pages = 256,
	};
}

int carveout_split_init(struct carveout_split *s, paddr_t base, uint64_t carveout_bytes,
			uint32_t max_vms, uint64_t vm_bytes, char *err, size_t err_len)
{
	uint64_t slice, min_bytes = (CARVEOUT_SHADOW_PAGES + 1) * SMALL_PAGE_SIZE;

	memset(s, 0, sizeof(*s));
	if (max_vms == 0)
		return ts_errf(err, err_len, TS_EINVAL, "carveout split: no VM to split it between");
	if (!pa_is_page_aligned(base))
		return ts_errf(err, err_len, TS_EINVAL,
			       "carveout split: the carveout at 0x%llx is not page aligned",
			       (unsigned long long)pa_addr(base));
	slice = (vm_bytes ? vm_bytes : carveout_bytes / max_vms) & ~SMALL_PAGE_MASK;
	if (slice < min_bytes)
		return ts_errf(err, err_len, TS_ERANGE,
			       "carveout split: a %llu-byte carveout among %u VMs leaves %llu bytes "
			       "each; a slice needs %u shadow pages and at least one page for its "
			       "guest (%llu bytes)",
			       (unsigned long long)carveout_bytes, max_vms,
			       (unsigned long long)slice, CARVEOUT_SHADOW_PAGES,
			       (unsigned long long)min_bytes);
	if (carveout_bytes / slice < max_vms)
		return ts_errf(err, err_len, TS_ERANGE,
			       "carveout split: %u slices of %llu bytes do not fit the %llu-byte "
			       "carveout", max_vms, (unsigned long long)slice,
			       (unsigned long long)carveout_bytes);
	s->base = base;
	s->slice_bytes = slice;
	s->n_vms = max_vms;
	return 0;
}

int carveout_split_slice(const struct carveout_split *s, uint32_t vm, struct carveout_slice *out)
{
	uint64_t shadow = (uint64_t)CARVEOUT_SHADOW_PAGES * SMALL_PAGE_SIZE;

	if (vm >= s->n_vms)
		return TS_ENOENT;
	out->pa = pa_add(s->base, (uint64_t)vm * s->slice_bytes);
	out->bytes = s->slice_bytes;
	out->guest_pa = pa_add(out->pa, shadow);
	out->guest_bytes = s->slice_bytes - shadow;
	return 0;
}

int32_t carveout_split_owner(const struct carveout_split *s, paddr_t pa, uint64_t len_bytes)
{
	uint64_t a = pa_addr(pa), base = pa_addr(s->base), off, vm;

	if (!s->n_vms || len_bytes == 0 || range_overflows(a, len_bytes) || a < base)
		return -1;
	off = a - base;
	vm = off / s->slice_bytes;
	/* The last byte must lie in the same slice as the first. */
	if (vm >= s->n_vms || (off + len_bytes - 1) / s->slice_bytes != vm)
		return -1;
	return (int32_t)vm;
}

int carveout_window_ipa(uint64_t ram_ipa, uint64_t ram_bytes, uint64_t guest_bytes,
			uint64_t *window_ipa)
{
	const uint64_t a = CARVEOUT_WINDOW_ALIGN_BYTES;
	uint64_t end = ram_ipa + ram_bytes, ipa;

	if (ram_ipa >= CARVEOUT_WINDOW_IPA_LIMIT || ram_bytes >= CARVEOUT_WINDOW_IPA_LIMIT ||
	    guest_bytes >= CARVEOUT_WINDOW_IPA_LIMIT)
		return TS_ERANGE;
	ipa = (end + a - 1) & ~(a - 1);
	if (ipa + guest_bytes > CARVEOUT_WINDOW_IPA_LIMIT)
		return TS_ERANGE;
	*window_ipa = ipa;
	return 0;
}
