/*
 * One yielding call: fetch of its optee_msg_arg, validation, the command,
 * write-back of the results.
 *
 * No double fetch: the header is read once into secure memory, num_params is
 * validated against what fits (SW_MSG_MAX_PARAMS, the arg's page or the
 * carveout, or the registered shm for CALL_WITH_REGD_ARG), then the params
 * are read once.  Everything after works on those copies; normal-world memory
 * is written (never re-read) at the end: ret, ret_origin, session, output
 * values and memref sizes.  All of it goes through the secure MMU model.
 */
#ifndef TEESHM_SECURE_SW_MSG_H
#define TEESHM_SECURE_SW_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/common/optee_msg.h"
#include "sim/common/tee_result.h"
#include "sim/secure/secure_world.h"
#include "sim/secure/sw_rpc.h"
#include "sim/secure/sw_shm.h"

struct sw_thread;
struct sw_session;

/*
 * The 32-byte header of struct optee_msg_arg without its flexible params
 * array, so a secure copy can sit inside another struct.
 */
struct sw_msg_hdr {
	uint32_t cmd;
	uint32_t func;
	uint32_t session;
	uint32_t cancel_id;
	uint32_t pad;
	uint32_t ret;
	uint32_t ret_origin;
	uint32_t num_params;
};
_Static_assert(sizeof(struct sw_msg_hdr) == sizeof(struct optee_msg_arg), "same header");
_Static_assert(offsetof(struct sw_msg_hdr, session) == offsetof(struct optee_msg_arg, session),
	       "session");
_Static_assert(offsetof(struct sw_msg_hdr, ret) == offsetof(struct optee_msg_arg, ret), "ret");
_Static_assert(offsetof(struct sw_msg_hdr, ret_origin) ==
		       offsetof(struct optee_msg_arg, ret_origin),
	       "ret_origin");
_Static_assert(offsetof(struct sw_msg_hdr, num_params) ==
		       offsetof(struct optee_msg_arg, num_params),
	       "num_params");

struct sw_call {
	struct secure_world *sw;
	struct sw_thread *thread;      /* NULL for a teardown context (always dead) */
	uint16_t client;
	bool dead;                     /* client gone or RPC timed out: answer nothing */
	uint32_t smc_func;             /* OPTEE_SMC_CALL_WITH_* */
	uint32_t smc_a1, smc_a2, smc_a3;

	/* The call's argument and its secure copy. */
	vaddr_t arg_va;
	struct sw_mobj arg_mobj;       /* mapping of the arg page (CALL_WITH_ARG/_RPC_ARG) */
	struct sw_shm *arg_shm;        /* CALL_WITH_REGD_ARG: reference held for the call */
	struct sw_msg_hdr hdr;
	struct optee_msg_param params[SW_MSG_MAX_PARAMS];
	uint32_t num_params;
	/* What the write-back covers besides ret and ret_origin. */
	bool write_session;
	uint32_t out_first, out_count; /* params [out_first, + out_count) were the TA's */

	/* Memrefs of the params, released at the end of the call. */
	struct sw_mobj tmem[SW_MSG_MAX_PARAMS];
	struct sw_shm *rmem[SW_MSG_MAX_PARAMS];

	/* The session this call holds busy. */
	struct sw_session *session;

	/* RPC state. */
	bool rpc_arg_inline;           /* the RPC arg follows the call's arg */
	bool rpc_arg_ready;
	vaddr_t rpc_arg_va;
	struct sw_mobj rpc_arg_mobj;   /* mapping of the RPC_ALLOC buffer */
	uint64_t rpc_arg_cookie;       /* 0 when inline */
	struct sw_rpc_shm *rpc_shms;   /* SHM_ALLOC buffers still held */

	/* Scratch of the thread: page-list entries and one bounce page. */
	paddr_t *pages;
	uint8_t *bounce;
};

/*
 * Run a yielding call on the current secure thread: returns the SMC result
 * (OPTEE_SMC_RETURN_OK, or EBADADDR / EBADCMD / ENOMEM for an arg the
 * secure world cannot use, in which case nothing was written back).
 */
uint32_t sw_msg_std_entry(struct sw_call *call);

/* A call context with no thread and no normal world, for teardown. */
void sw_call_init_dead(struct sw_call *call, struct secure_world *sw, uint16_t client);

/* Count a call's result in the client's stats. */
void sw_msg_count_result(struct secure_world *sw, uint16_t client, TEE_Result res);

#endif
