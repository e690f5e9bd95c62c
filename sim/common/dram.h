/*
 * Simulated DRAM: one memfd that every world maps, laid out like a small
 * ARMv8 board with physical addresses starting at 0x40000000 (QEMU virt).
 *
 *   secure core | TA RAM | xlat pool   (secure)
 *   static shm carveout                (non-secure, 1 MiB by default)
 *   hypervisor RAM                     (non-secure: the mediator's shadow buffers)
 *   guest 0 RAM | guest 1 RAM | ...    (non-secure, one slice per guest)
 *
 * Every region starts on a 2 MiB boundary so block mappings are possible.
 * A process sees DRAM only through a dram_view holding the regions it may
 * touch: a guest maps its own RAM only, so the host MMU, not a check in our
 * code, keeps it away from secure memory and other guests.
 */
#ifndef TEESHM_COMMON_DRAM_H
#define TEESHM_COMMON_DRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/common/optee_pagelist.h"

#define DRAM_PA_BASE 0x40000000ull
#define DRAM_REGION_ALIGN_BYTES (2ull << 20)
/* Keep all of DRAM below 2^40, the PA size our TCR.IPS describes. */
#define DRAM_PA_LIMIT (1ull << 40)

enum dram_region_kind {
	DRAM_SECURE_CORE, /* secure core image, heap and stacks */
	DRAM_TA_RAM,      /* trusted application memory */
	DRAM_XLAT_POOL,   /* translation tables of the secure MMU */
	DRAM_CARVEOUT,    /* static non-secure shared-memory carveout */
	DRAM_HV_RAM,      /* the hypervisor's own memory (shadow args, translated page lists) */
	DRAM_GUEST_RAM,   /* one per guest: the guest's normal-world RAM */
	DRAM_REGION_KIND_COUNT
};

struct dram_config {
	uint64_t secure_core_bytes;
	uint64_t ta_ram_bytes;
	uint64_t xlat_pool_bytes;
	uint64_t carveout_bytes;
	uint64_t hv_ram_bytes;
	uint64_t guest_ram_bytes; /* each guest */
	uint32_t n_guests;
};

/* Defaults: 2 MiB core, 12 MiB TA RAM, 1 MiB tables, 1 MiB carveout, 4 MiB hypervisor, 64 MiB per guest. */
void dram_config_default(struct dram_config *cfg);

struct dram_region {
	enum dram_region_kind kind;
	uint32_t guest;       /* guest index for DRAM_GUEST_RAM, 0 otherwise */
	bool secure;
	paddr_t base;
	uint64_t size_bytes;
	uint64_t file_offset; /* offset of base in the memfd */
};

struct dram_layout {
	paddr_t base;
	uint64_t span_bytes;  /* from base to the end of the last region */
	uint32_t n_regions;
	struct dram_region *regions; /* sorted by base, non-overlapping */
};

const char *dram_region_kind_name(enum dram_region_kind kind);

/*
 * Compute a layout.  Returns 0, TS_EINVAL (a size is zero or not a multiple
 * of 4 KiB, no guests) or TS_ERANGE (does not fit below DRAM_PA_LIMIT), with a
 * message naming the bad field in err.  TS_ENOMEM if the table cannot be allocated.
 */
int dram_layout_create(const struct dram_config *cfg, struct dram_layout **out, char *err,
		       size_t err_len);
void dram_layout_destroy(struct dram_layout *layout);

/* The region containing pa, or NULL for a hole or outside DRAM.  O(log regions). */
const struct dram_region *dram_region_at(const struct dram_layout *layout, paddr_t pa);
/* The region of that kind (and guest index, for guest RAM), or NULL. */
const struct dram_region *dram_region_find(const struct dram_layout *layout,
					   enum dram_region_kind kind, uint32_t guest);
/* True when [pa, pa + len) lies inside r; false on wrap-around or len 0. */
bool dram_region_contains(const struct dram_region *r, paddr_t pa, uint64_t len_bytes);
/* The region wholly containing [pa, pa + len), or NULL if the range crosses or leaves one. */
const struct dram_region *dram_range_region(const struct dram_layout *layout, paddr_t pa,
					    uint64_t len_bytes);

/* The shared memory file and its layout. */
struct dram {
	struct dram_layout *layout;
	struct dram_config config;
	int fd;
};

/* Create the memfd (sparse: pages cost host memory only once touched). */
int dram_create(const struct dram_config *cfg, struct dram **out, char *err, size_t err_len);
/* Adopt an inherited memfd in a child process; the fd is closed by dram_destroy. */
int dram_adopt_fd(const struct dram_config *cfg, int fd, struct dram **out, char *err,
		  size_t err_len);
void dram_destroy(struct dram *dram);

/* One process's window on DRAM: the regions it mapped. */
struct dram_view_map {
	const struct dram_region *region;
	uint8_t *host;
};

struct dram_view {
	const struct dram_layout *layout;
	uint32_t n_maps;
	struct dram_view_map *maps; /* sorted by region base */
};

/* Map the given regions (each once) into this process. */
int dram_view_open(const struct dram *dram, const struct dram_region *const *regions,
		   size_t n_regions, struct dram_view **out);
/* Map every region (the secure world and the launcher see all of DRAM). */
int dram_view_open_all(const struct dram *dram, struct dram_view **out);
void dram_view_close(struct dram_view *view);

/*
 * Host pointer for [pa, pa + len), or NULL unless the whole range lies in one
 * region this view mapped.  This is the only way code turns a PA into memory.
 */
void *dram_view_ptr(const struct dram_view *view, paddr_t pa, uint64_t len_bytes);
/* The PA of a host pointer into this view, or TS_EFAULT. */
int dram_view_pa(const struct dram_view *view, const void *ptr, paddr_t *pa);
/* An accessor for optee_pagelist_* that resolves PAs through this view. */
struct pa_accessor dram_view_accessor(const struct dram_view *view);

#endif
