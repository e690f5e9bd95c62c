/*
 * An SMC as the simulator carries it: the eight argument/result registers
 * a0..a7 of the SMC Calling Convention, and a conduit through which a caller
 * issues one.  OP-TEE's calls are SMC32: each register carries a 32-bit value
 * (the upper halves are zero); 64-bit quantities travel split over two
 * registers (optee_smc_reg_pair_to_u64).  Freestanding.
 *
 * Every transport (shared-memory mailbox between processes, direct call in
 * one process) offers the same conduit, so the normal world, the hypervisor
 * and the tests do not know which one carries their calls.
 */
#ifndef TEESHM_COMMON_SMC_H
#define TEESHM_COMMON_SMC_H

#include <stdint.h>

struct smc_regs {
	uint64_t a[8];
};

/*
 * Issue one SMC: regs in, results out in the same struct.  Returns 0 when the
 * call reached the other side and came back, or a negative TS_E* code when the
 * transport failed (TS_ETIMEDOUT: the other side did not answer in time;
 * TS_EIO: it is gone).  The SMC's own result is in regs->a[0].
 */
struct smc_conduit {
	int (*call)(void *ctx, struct smc_regs *regs);
	void *ctx;
};

static inline int smc_conduit_call(const struct smc_conduit *c, struct smc_regs *regs)
{
	return c->call(c->ctx, regs);
}

/* Where SMCs are handled: regs in, results written back into regs. */
typedef void (*smc_handler_fn)(void *ctx, struct smc_regs *regs);

#endif
