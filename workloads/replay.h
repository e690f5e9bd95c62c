/*
 * Replaying a workload trace (workloads/trace.h).
 *
 * struct replay_vm is one guest's client programs: their TEEC context, the
 * sessions and shared-memory blocks the trace names (sN, mN), and the data
 * seed.  replay_vm_op runs one client op of that VM through the real TEEC
 * API of our normal world, so whatever strategy the driver runs is what
 * the op exercises.  Buffers are filled from the trace's seed, so a replay
 * is the same bytes every time.  Used by the in-process engine below and by
 * a guest process under `teeshm run --workload`.
 *
 * replay_inproc runs a whole trace in one process: DRAM, the secure world,
 * the hypervisor's mediator (when the trace has more than one VM, or when
 * asked) and each guest's driver, every SMC through in-process conduits, one
 * op at a time in trace order.  Deterministic: the same trace, strategy and
 * profile give the same counters and modeled figures, bit for bit.
 */
#ifndef TEESHM_WORKLOADS_REPLAY_H
#define TEESHM_WORKLOADS_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/common/profile.h"
#include "sim/common/strategy.h"
#include "workloads/trace.h"

struct optee_drv;
struct replay_vm;

/* What a replay did, beyond what the worlds count themselves. */
struct replay_counts {
	uint64_t ops;            /* ops run */
	uint64_t failures;       /* TEEC calls that failed (no expect= given) */
	uint64_t divergences;    /* results that differ from expect= */
	uint64_t crashes;        /* `vm crash` carried out */
	uint64_t checkpoints;
	uint64_t sleeps_skipped;
	uint64_t raw_smcs;
	char first_failure[256]; /* "LINE: what", the first failure or divergence */
};

/* A guest's client state over its (probed) driver; TEEC_InitializeContext included. */
int replay_vm_create(struct optee_drv *drv, uint16_t vm, uint64_t seed, struct replay_vm **out);
/*
 * One op of this VM that is not VM lifecycle (open, close, alloc, register,
 * release, invoke, sleep, raw ...).  A TEEC failure is counted, not an
 * error; an error (TS_E*, message in err) is an op the replayer cannot run.
 */
int replay_vm_op(struct replay_vm *v, const struct trace_op *op, struct replay_counts *c,
		 char *err, size_t err_bytes);
/*
 * Close what the trace left open, finalize the context, free v.  After a
 * crash (the conduit answers nothing) this only frees memory here.
 */
void replay_vm_destroy(struct replay_vm *v);

struct replay_config {
	const char *strategy;              /* by name; NULL: "dynamic" */
	const struct strategy_params *params; /* NULL: the strategy's defaults */
	const struct profile *profile;     /* modeled clock and costs; required */
	bool force_hypervisor;             /* a one-VM trace under the mediator too */
	uint32_t threads;                  /* secure threads; 0: 8 */
	uint64_t guest_ram_bytes;          /* per VM; 0: 64 MiB */
	uint64_t carveout_bytes;           /* 0: 1 MiB */
	FILE *record_out;                  /* record every VM's clients here (workloads/record.h) */
	FILE *events;                      /* the secure world's event timeline, or NULL */
	/*
	 * --dump-mmu: the secure MMU's state (sim/secure/mmu_dump.h) written to
	 * <dir>/<kk>-<NAME>/ at the k-th `checkpoint NAME` and to <dir>/final/
	 * once the trace has run to its end; NULL: none.  A dump that cannot be
	 * written is an error of the replay.  See replay_inproc.c for the layout.
	 */
	const char *dump_mmu_dir;
};

/*
 * Run t in one process.  The secure world's statistics line (with its
 * teeshm.result/1 part) and one line per guest ("role": "guest", with
 * bytes_copied) are written to lines_out, as the worlds' processes print
 * them, so the launcher builds the same document either way.  0, or a
 * TS_E* code with a message (a trace that cannot run: a crash without a
 * hypervisor, a world that would not boot).  Leaks and failures are
 * reported in the lines and counts, not as errors.
 */
int replay_inproc(const struct trace *t, const struct replay_config *cfg, FILE *lines_out,
		  struct replay_counts *counts, char *err, size_t err_bytes);

#endif
