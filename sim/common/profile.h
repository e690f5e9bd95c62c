/*
 * Platform profiles: the per-operation costs that turn the simulator's event
 * counts into modeled cycles and nanoseconds (DESIGN.md section 5).
 *
 * A profile is an INI file (schema "teeshm.profile/1", see profiles/README.md)
 * read with inih.  Every numeric key is required: a profile that forgets a
 * figure is an error, never a silent zero.  Costs are whole cycles and the
 * memcpy rate is held in milli-bytes per cycle, so the modeled figures are
 * integer arithmetic only and identical on every host: regression gates on
 * them can be exact.  Host code (stdio, libc).
 */
#ifndef TEESHM_COMMON_PROFILE_H
#define TEESHM_COMMON_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROFILE_SCHEMA "teeshm.profile/1"
#define PROFILE_NAME_MAX 64         /* including the NUL */
#define PROFILE_DESCRIPTION_MAX 160 /* including the NUL */
#define PROFILE_FILE_MAX_BYTES (64 * 1024)

/*
 * The numeric keys: X(section, key, field, min, max).  The bounds reject
 * absurd values (a 0 MHz CPU, a billion-cycle PTE write); each key's meaning
 * is documented in profiles/README.md.  memcpy_bytes_per_cycle is written in
 * the file as a decimal with up to three fraction digits ("1.398") and stored
 * in milli-bytes per cycle (1398).
 */
#define PROFILE_MAX_CYCLES 10000000ULL /* 10 M cycles: ~10 ms at 1 GHz */
#define PROFILE_U64_FIELDS(X)                                                        \
	X(cpu, mhz, cpu_mhz, 1, 10000)                                               \
	X(tlb, entries, tlb_entries, 1, 65536)                                       \
	X(tlb, ways, tlb_ways, 1, 65536)                                             \
	X(smc, round_trip_cycles, smc_round_trip_cycles, 1, PROFILE_MAX_CYCLES)      \
	X(smc, secure_entry_cycles, smc_secure_entry_cycles, 0, PROFILE_MAX_CYCLES)  \
	X(mmu, pte_write_cycles, pte_write_cycles, 0, PROFILE_MAX_CYCLES)            \
	X(mmu, walk_level_cycles, walk_level_cycles, 0, PROFILE_MAX_CYCLES)          \
	X(mmu, tlbi_va_cycles, tlbi_va_cycles, 0, PROFILE_MAX_CYCLES)                \
	X(mmu, tlbi_vaa_cycles, tlbi_vaa_cycles, 0, PROFILE_MAX_CYCLES)              \
	X(mmu, tlbi_range_cycles, tlbi_range_cycles, 0, PROFILE_MAX_CYCLES)          \
	X(mmu, tlbi_asid_cycles, tlbi_asid_cycles, 0, PROFILE_MAX_CYCLES)            \
	X(mmu, tlbi_all_cycles, tlbi_all_cycles, 0, PROFILE_MAX_CYCLES)              \
	X(mmu, dsb_cycles, dsb_cycles, 0, PROFILE_MAX_CYCLES)                        \
	X(mmu, isb_cycles, isb_cycles, 0, PROFILE_MAX_CYCLES)                        \
	X(mem, memcpy_bytes_per_cycle, memcpy_milli_bytes_per_cycle, 1, 1000000)     \
	/* per call, beyond PTEs and TLB maintenance */                              \
	X(os, map_overhead_cycles, map_overhead_cycles, 0, PROFILE_MAX_CYCLES)       \
	X(os, unmap_overhead_cycles, unmap_overhead_cycles, 0, PROFILE_MAX_CYCLES)   \
	/* per page mapped / unmapped, beyond PTEs and TLB maintenance */           \
	X(os, map_page_cycles, map_page_cycles, 0, PROFILE_MAX_CYCLES)               \
	X(os, unmap_page_cycles, unmap_page_cycles, 0, PROFILE_MAX_CYCLES)

struct profile {
	char name[PROFILE_NAME_MAX];               /* [profile] name: [A-Za-z0-9._-]+ */
	char description[PROFILE_DESCRIPTION_MAX]; /* [profile] description, optional */
#define PROFILE_DECLARE(sec, key, field, lo, hi) uint64_t field;
	PROFILE_U64_FIELDS(PROFILE_DECLARE)
#undef PROFILE_DECLARE
};

/*
 * What a run did, as plain counters (filled from tlb_stats, core_mm_stats,
 * pgt.pte_writes, the SMC counters and the copy paths).
 */
#define COST_COUNTS_FIELDS(X)                                                        \
	X(smcs)        /* SMCs that entered the secure world and came back */       \
	X(pte_writes)  /* descriptor stores, including clears */                    \
	X(walk_levels) /* descriptors read by table walks */                        \
	X(tlbi_va)                                                                   \
	X(tlbi_vaa)                                                                  \
	X(tlbi_range)                                                                \
	X(tlbi_asid)                                                                 \
	X(tlbi_all)                                                                  \
	X(dsb)                                                                       \
	X(isb)                                                                       \
	X(copy_bytes)  /* bytes bounce-copied (memcpy) */                           \
	X(maps)        /* map calls (software bookkeeping, not PTEs) */             \
	X(unmaps)                                                                    \
	X(pages_mapped) /* pages those calls mapped (per-page software work) */     \
	X(pages_unmapped)

struct cost_counts {
#define COST_COUNTS_DECLARE(name) uint64_t name;
	COST_COUNTS_FIELDS(COST_COUNTS_DECLARE)
#undef COST_COUNTS_DECLARE
};

/*
 * Load a profile.  0 on success.  On failure a negative TS_E* code and a
 * message in err (always NUL-terminated when err_len > 0) of the form
 * "<file>:<line>: <what is wrong>" naming the key or section.
 *   TS_EINVAL  bad content (syntax, unknown/missing/duplicate section or key,
 *              bad schema, non-numeric, negative or out-of-range value)
 *   TS_ENOENT / TS_EACCES / TS_EIO  the file cannot be opened or read
 *   TS_E2BIG   the file is larger than PROFILE_FILE_MAX_BYTES
 * *out is written only on success.
 */
int profile_load_file(const char *path, struct profile *out, char *err, size_t err_len);

/* The same from text in memory; `origin` names it in messages (NULL: "<string>"). */
int profile_load_string(const char *text, const char *origin, struct profile *out, char *err,
			size_t err_len);

/* Invariant check: every field within its bounds, name valid.  0 or TS_EINVAL / TS_ERANGE. */
int profile_check(const struct profile *p);

/* Cycles to copy `bytes` at the profile's memcpy rate, rounded up; saturates. */
uint64_t profile_copy_cycles(const struct profile *p, uint64_t bytes);

/*
 * Modeled cycles of a run:
 *   smcs * (round_trip + secure_entry) + pte_writes * pte_write
 *   + walk_levels * walk_level + sum over TLBI kinds of count * cost
 *   + dsb * dsb_cycles + isb * isb_cycles + copy_cycles(copy_bytes)
 *   + maps * map_overhead + unmaps * unmap_overhead
 *   + pages_mapped * map_page + pages_unmapped * unmap_page
 * Integer arithmetic; saturates at UINT64_MAX instead of wrapping.
 */
uint64_t profile_modeled_cycles(const struct profile *p, const struct cost_counts *c);

/* Cycles to nanoseconds at the profile's clock, rounded to nearest; saturates. */
uint64_t profile_cycles_to_ns(const struct profile *p, uint64_t cycles);

/*
 * Print the profile as one JSON object (no trailing newline), e.g.
 *   {"schema":"teeshm.profile/1","name":"cortex-a53",...,
 *    "mem":{"memcpy_milli_bytes_per_cycle":1398},...}
 * Sections become nested objects; the memcpy rate is written in milli-units
 * so the JSON holds integers only.  0, or TS_EIO if the stream failed.
 */
int profile_write_json(const struct profile *p, FILE *out);

#endif
