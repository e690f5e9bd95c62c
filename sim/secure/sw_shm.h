/*
 * Normal-world memory as the secure world sees it.
 *
 * struct sw_mobj is one buffer of non-secure memory, first *described*:
 * every page checked (non-secure RAM the client owns: its own guest RAM under
 * virtualization, any non-secure RAM otherwise, the carveout always) and its
 * page list copied into secure memory, so the normal world's list is read
 * once (no double fetch).  A buffer inside the static carveout needs no
 * mapping (mapped at boot, reached with phys_to_virt); any other is made
 * reachable by sw_mobj_map (core_mm_map_shm for the owning client) and
 * unreachable again by sw_mobj_unmap.  *When* that happens is the
 * strategy's choice (strategy_sw.h).  Page lists are read through an
 * accessor that maps only pages the client may share, one list page at a
 * time, into a secure bounce page.
 *
 * struct sw_shm is a registered shared-memory object (REGISTER_SHM): its
 * description lives until UNREGISTER_SHM, or, when a call still uses it,
 * until that call drops its reference (deferred release; no use after free).
 * Objects are found by (client, cookie) in a hash table; each client also
 * keeps a list of its objects so a dead VM's are found without a scan.
 */
#ifndef TEESHM_SECURE_SW_SHM_H
#define TEESHM_SECURE_SW_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"

struct secure_world;

struct sw_mobj {
	vaddr_t va;          /* first byte while reachable (static, or mapped); else 0 */
	uint64_t size_bytes;
	uint64_t offset_bytes; /* of the first byte in its first page */
	paddr_t *pages;      /* the checked page list, a secure copy; NULL: static or nothing */
	uint64_t n_pages;    /* entries of pages (= pages of the mapping) */
	vaddr_t map_va;      /* start of our core_mm mapping; 0 when nothing is mapped */
	uint32_t map_refs;   /* uses the mapping serves now (kept by the strategy) */
	bool read_only;
	uint16_t client;
	struct sw_shm *owner; /* the registered object this describes, or NULL (call-scoped) */
};

static inline bool sw_mobj_is_mapped(const struct sw_mobj *m)
{
	return va_addr(m->map_va) != 0;
}

/* A described buffer that must be mapped to be reached (not static, not empty). */
static inline bool sw_mobj_needs_map(const struct sw_mobj *m)
{
	return m->pages != NULL;
}

/*
 * Does the client own all of [pa, pa + len) (non-secure RAM it may share)?
 * Under virtualization: its own guest RAM and its own slice of the carveout.
 */
bool sw_pa_owned(const struct secure_world *sw, uint16_t client, paddr_t pa, uint64_t len_bytes);

/*
 * Describe [pa, pa + size) (size > 0); inside the carveout it is reachable
 * at once.  Errors: TS_EACCES (not non-secure memory of this client),
 * TS_EOVERFLOW, TS_E2BIG (more pages than max_pages_per_buffer), TS_ENOMEM.
 */
int sw_mobj_describe_contig(struct secure_world *sw, uint16_t client, paddr_t pa,
			    uint64_t size_bytes, bool read_only, struct sw_mobj *out);
/*
 * Parse the page list of a NONCONTIG tmem (buf_ptr, size as in the message),
 * check its pages and keep a copy.  scratch holds max_pages_per_buffer
 * entries, bounce is one page of secure memory.  Errors as above plus the
 * parser's TS_EINVAL, TS_EFAULT (a list page the client may not share),
 * TS_ELOOP.
 */
int sw_mobj_describe_noncontig(struct secure_world *sw, uint16_t client, uint64_t buf_ptr,
			       uint64_t size_bytes, bool read_only, paddr_t *scratch,
			       uint8_t *bounce, struct sw_mobj *out);
/*
 * Map a described buffer that needs it and is not mapped: m->va becomes
 * valid.  The memory manager's TS_ENOMEM / TS_ENOSPC (or TS_EINVAL misuse).
 */
int sw_mobj_map(struct secure_world *sw, struct sw_mobj *m);
/* Undo sw_mobj_map (no-op when not mapped); the description stays. */
void sw_mobj_unmap(struct secure_world *sw, struct sw_mobj *m);
/* Unmap if mapped, free the description; the mobj is zeroed. */
void sw_mobj_release(struct secure_world *sw, struct sw_mobj *m);

struct sw_shm {
	struct sw_shm *hash_next;
	struct sw_shm *client_next, *client_prev;
	uint64_t cookie;
	uint16_t client;
	bool released;       /* unregistered: out of the hash, freed by the last user */
	uint32_t users;      /* calls holding a reference */
	uint32_t check_refs; /* scratch for sw_check */
	uint64_t metrics_stamp; /* scratch for sw_metrics_sample */
	/*
	 * Kept by a strategy that leaves idle objects mapped ("cached"): its
	 * per-client LRU of them.  Untouched by everyone else.
	 */
	struct sw_shm *lru_prev, *lru_next;
	bool lru_linked;
	struct sw_mobj mobj;
};

struct sw_shm_table {
	struct sw_shm **buckets;
	uint32_t n_buckets;  /* power of two */
	uint32_t max;
	uint32_t n_registered;
	uint32_t n_deferred;
};

int sw_shm_table_init(struct sw_shm_table *t, uint32_t max);
void sw_shm_table_fini(struct sw_shm_table *t);

/* The registered (not released) object, or NULL.  No reference taken. */
struct sw_shm *sw_shm_find(struct secure_world *sw, uint16_t client, uint64_t cookie);
/*
 * Register a described mobj under (client, cookie); the object takes the
 * description (and the mapping, if any).  TS_EEXIST (cookie in use),
 * TS_ENOSPC (table full), TS_ENOMEM.  *out: the new object.
 */
int sw_shm_register(struct secure_world *sw, uint16_t client, uint64_t cookie,
		    const struct sw_mobj *mobj, struct sw_shm **out);
/*
 * Find and take a reference for a call, or NULL.  The reference keeps the
 * object alive; reaching its memory takes a use (strategy use_begin) too.
 */
struct sw_shm *sw_shm_get(struct secure_world *sw, uint16_t client, uint64_t cookie);
/* Drop a call's reference; frees a released object with its last user. */
void sw_shm_put(struct secure_world *sw, struct sw_shm *shm);
/* UNREGISTER_SHM: TS_ENOENT if unknown; *deferred when a call still uses it. */
int sw_shm_unregister(struct secure_world *sw, uint16_t client, uint64_t cookie, bool *deferred);
/* Free every object of a client (none may be in use). */
void sw_shm_release_client(struct secure_world *sw, uint16_t client);

#endif
