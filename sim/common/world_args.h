/*
 * What every world process is told by whoever spawns it: the inherited DRAM
 * and channel memfds and the DRAM layout parameters, so each process rebuilds
 * the same layout and maps what it may.  Host code.
 */
#ifndef TEESHM_COMMON_WORLD_ARGS_H
#define TEESHM_COMMON_WORLD_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/common/channels.h"
#include "sim/common/dram.h"
#include "sim/common/opts.h"

/* Spawned worlds find the shared memfds at these descriptor numbers. */
#define WORLD_DRAM_FD 3
#define WORLD_CHANNELS_FD 4
/*
 * A guest's exit status when its workload trace says `vm crash`: it ends
 * there without a word, as a killed guest does, and the hypervisor counts it
 * as a death on purpose, not a failure.
 */
#define WORLD_EXIT_TRACE_CRASH 86

struct world_args {
	uint64_t n_channels;
	uint64_t guests;
	uint64_t guest_ram_mib;
	uint64_t carveout_kib;
	uint64_t xlat_kib;
	uint64_t hv_ram_kib;
};

void world_args_default(struct world_args *wa);

/* The option specs of the common arguments, for a world's opts table. */
#define WORLD_ARGS_N_SPECS 6
void world_args_specs(struct world_args *wa, struct opt_spec *specs);

void world_args_dram_config(const struct world_args *wa, struct dram_config *dc);

/* Adopt the inherited memfds (WORLD_DRAM_FD, WORLD_CHANNELS_FD). */
int world_args_open(const struct world_args *wa, struct dram **dram, struct channels *ch, char *err,
		    size_t err_len);

/*
 * Append the common arguments to argv[*argc..]: strings live in store (at
 * least 12 slots of 24 bytes).  Returns 0 or TS_E2BIG if max would be exceeded.
 */
int world_args_append(const struct world_args *wa, const char **argv, int *argc, int max,
		      char (*store)[24]);

/*
 * Make this process die with its parent (no orphans if the launcher is
 * killed).  Returns TS_EIO if the parent is already gone.
 */
int world_die_with_parent(void);

#endif
