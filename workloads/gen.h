/*
 * Synthetic workload generators: each writes a trace (format teeshm-trace 1,
 * workloads/trace.h) that stresses one shared-memory pattern, the same text
 * for the same parameters on every host.
 *
 *   reuse-heavy     a few registered/allocated blocks, each invoked many
 *                   times (what a registration cache wins on)
 *   streaming       a fresh TEMP memref of 4 KiB .. 256 KiB per call
 *                   (nothing is ever reused)
 *   large-buffer    registrations and TEMP memrefs over 2 MiB, up to 8 MiB
 *                   (optee_os #4639 / #5450: translation tables, heap)
 *   many-sessions   32 clients, each holding a session and a 64 KiB
 *                   allocated block at once, then all release (optee_os
 *                   #2285: a 1 MiB carveout runs dry near 16-20 clients)
 *
 * With several VMs the VMs run the workload side by side, their ops
 * interleaved one by one; all VMs finish their setup before any starts its
 * main phase, and their main phase before any tears down.  Host code.
 */
#ifndef TEESHM_WORKLOADS_GEN_H
#define TEESHM_WORKLOADS_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Zero in a field means the generator's default. */
struct workload_gen_params {
	uint32_t vms;  /* guests, 1 .. 4096 (default 1) */
	uint64_t seed; /* PRNG seed and the trace's data seed (default 1) */
	uint32_t ops;  /* TEEC_InvokeCommand ops in the main phase, over all VMs;
			* setup and teardown ops come on top (default: per generator) */
};

/* Most invokes a generator takes (the trace limit is 1,000,000 ops in all). */
#define WORKLOAD_GEN_MAX_OPS 500000u

/*
 * Write the named workload to out.  p may be NULL (all defaults).  0, or
 * TS_EINVAL for an unknown name (the message lists the names) or a
 * parameter out of range, TS_ENOMEM, TS_EIO when out fails; message in err.
 */
int workload_generate(const char *name, const struct workload_gen_params *p, FILE *out, char *err,
		      size_t err_bytes);

/* The generators' names, NULL-terminated. */
const char *const *workload_generator_names(void);

#endif
