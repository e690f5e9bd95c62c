/*
 * Built-in client programs a guest runs until recorded workloads exist.
 * They use nothing but the GP TEE Client API, as real client code does, and
 * check every byte that comes back.
 */
#ifndef TEESHM_NORMAL_SCENARIO_H
#define TEESHM_NORMAL_SCENARIO_H

#include <stdint.h>

struct scenario_result {
	uint64_t operations;     /* TEEC calls made */
	uint64_t failures;       /* calls that failed or returned wrong data */
	uint64_t bytes_verified;
	char first_failure[160];
};

/*
 * "basic": per iteration, the echo TA with TEMP, WHOLE and PARTIAL memrefs
 * (allocated, registered in guest RAM, and shadowed heap buffers) and values,
 * the storage TA (RPC shared memory) and the bigload TA (a 1.5 MiB RPC buffer).
 */
void scenario_basic(uint32_t guest_id, uint64_t iterations, struct scenario_result *res);

#endif
