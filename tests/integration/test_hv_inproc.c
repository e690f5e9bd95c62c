/*
 * The hypervisor's mediator between real guests' drivers and the real secure
 * world, all in one process over in-process conduits (deterministic): data
 * crosses a scattered stage-2 map intact, and the mediator refuses what a
 * guest may not do -- pages it does not own, buffers over the limits,
 * resuming another guest's thread, hypervisor-only calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/optee_smc.h"
#include "sim/common/smc_channel.h"
#include "sim/common/stage2.h"
#include "sim/common/ta_ids.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/hv/mediator.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/optee_drv_internal.h"
#include "sim/secure/secure_world.h"
#include "tests/integration/inproc_world.h"

#define N_GUESTS 2

/* Two guests, each with its driver, under the mediator and the secure world (dynamic). */
static int setup(void **state)
{
	struct inproc_hv *f = calloc(1, sizeof(*f));
	struct inproc_hv_cfg cfg;
	uint32_t i;

	assert_non_null(f);
	inproc_hv_cfg_default(&cfg, STRATEGY_DYNAMIC);
	cfg.n_guests = N_GUESTS;
	inproc_hv_up(f, &cfg);
	for (i = 0; i < N_GUESTS; i++)
		inproc_hv_guest_up(f, i, &(struct inproc_guest_cfg){ .s2_seed = 100 + i });
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct inproc_hv *f = *state;
	uint32_t i;

	for (i = 0; i < N_GUESTS; i++) {
		inproc_hv_guest_leave(f, i);
		/* Nothing of the guest is left in the secure world or the hypervisor. */
		assert_int_equal(core_mm_check_vm_clean(sw_mm(f->sw), (uint16_t)(i + 1)), 0);
	}
	assert_int_equal(sw_check(f->sw), 0);
	assert_int_equal(hv_mediator_pages_in_use(f->med), 0);
	inproc_hv_down(f);
	free(f);
	return 0;
}

static void echo_uuid(uint8_t out[16])
{
	struct ta_uuid u = TA_ECHO_UUID;

	optee_uuid_to_octets(out, u.time_low, u.time_mid, u.time_hi_and_version, u.clock_seq_and_node);
}

/* A registered, scattered buffer crosses the mediator's IPA->PA rewrite and comes back transformed. */
static void test_echo_through_mediator(void **state)
{
	struct inproc_hv *f = *state;
	uint8_t uuid[16];
	uint32_t i, gi;

	echo_uuid(uuid);
	for (gi = 0; gi < N_GUESTS; gi++) {
		struct inproc_guest *g = &f->g[gi];
		struct optee_shm *in, *out;
		struct optee_drv_param p[3] = { 0 };
		uint32_t session, origin;
		uint8_t buf[100000], got[100000];

		assert_int_equal(optee_drv_open_session(g->drv, uuid, 0, NULL, NULL, 0, &session, &origin),
				 TEE_SUCCESS);
		assert_int_equal(optee_shm_alloc(g->drv, sizeof(buf), false, &in), 0);
		assert_int_equal(optee_shm_alloc(g->drv, sizeof(buf), false, &out), 0);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 3 + gi);
		assert_int_equal(optee_shm_write(in, 0, buf, sizeof(buf)), 0);
		assert_int_equal(optee_shm_register(in, &origin), TEE_SUCCESS);
		assert_int_equal(optee_shm_register(out, &origin), TEE_SUCCESS);
		p[0] = (struct optee_drv_param){ OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, .u.memref = { in, 0, sizeof(buf) } };
		p[1] = (struct optee_drv_param){ OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT, .u.memref = { out, 0, sizeof(buf) } };
		p[2].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
		assert_int_equal(optee_drv_invoke(g->drv, session, TA_ECHO_CMD_TRANSFORM, 0, p, 3, &origin),
				 TEE_SUCCESS);
		assert_int_equal(optee_shm_read(out, 0, got, sizeof(got)), 0);
		for (i = 0; i < sizeof(buf); i++)
			assert_int_equal(got[i], (uint8_t)(buf[i] ^ 0xa5));
		optee_shm_free(in);
		optee_shm_free(out);
		assert_int_equal(optee_drv_close_session(g->drv, session, &origin), TEE_SUCCESS);
		assert_true(hv_guest_stats(g->hg)->pages_translated >= 2 * 25);
		assert_int_equal(hv_guest_stats(g->hg)->registered_buffers, 0);
	}
}

/* A buffer over the per-buffer limit (129 pages, as Xen) is refused by the mediator itself. */
static void test_buffer_limit(void **state)
{
	struct inproc_hv *f = *state;
	struct optee_shm *big, *ok;
	uint32_t origin = 0;

	assert_int_equal(optee_shm_alloc(f->g[0].drv, 130 * SMALL_PAGE_SIZE, false, &big), 0);
	assert_int_equal(optee_shm_register(big, &origin), TEE_ERROR_OUT_OF_MEMORY);
	assert_int_equal(origin, TEE_ORIGIN_COMMS);
	assert_int_equal(optee_shm_alloc(f->g[0].drv, 129 * SMALL_PAGE_SIZE, false, &ok), 0);
	assert_int_equal(optee_shm_register(ok, &origin), TEE_SUCCESS);
	assert_int_equal(hv_guest_stats(f->g[0].hg)->registered_pages, 129);
	optee_shm_free(big);
	optee_shm_free(ok);
	assert_int_equal(hv_guest_stats(f->g[0].hg)->registered_pages, 0);
}

/* Send a hand-built REGISTER_SHM whose page list names page_ipa; returns the TEE result. */
static uint32_t raw_register(struct inproc_guest *g, uint64_t page_ipa)
{
	paddr_t pages[3];
	struct optee_msg_arg *arg;
	struct pa_accessor acc = guest_mem_accessor(&g->gm);
	struct smc_regs regs = { 0 };

	assert_int_equal(guest_mem_alloc_scattered(&g->gm, 3, pages), 0);
	arg = guest_mem_ptr(&g->gm, pages[0], SMALL_PAGE_SIZE);
	memset(arg, 0, OPTEE_MSG_GET_ARG_SIZE(1));
	{
		paddr_t data = pa_init(page_ipa);

		assert_int_equal(optee_pagelist_write(&acc, &pages[1], 1, &data, 1), 0);
	}
	arg->cmd = OPTEE_MSG_CMD_REGISTER_SHM;
	arg->num_params = 1;
	arg->params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
	arg->params[0].u.tmem.buf_ptr = pa_addr(pages[1]);
	arg->params[0].u.tmem.size = 4096;
	arg->params[0].u.tmem.shm_ref = 0x5eed;
	regs.a[0] = OPTEE_SMC_CALL_WITH_ARG;
	regs.a[1] = optee_smc_u64_high(pa_addr(pages[0]));
	regs.a[2] = optee_smc_u64_low(pa_addr(pages[0]));
	assert_int_equal(smc_conduit_call(&g->from_guest, &regs), 0);
	assert_int_equal(regs.a[0], OPTEE_SMC_RETURN_OK);
	{
		uint32_t ret = arg->ret;

		if (ret == TEE_SUCCESS) { /* undo, so the books stay clean */
			memset(arg, 0, OPTEE_MSG_GET_ARG_SIZE(1));
			arg->cmd = OPTEE_MSG_CMD_UNREGISTER_SHM;
			arg->num_params = 1;
			arg->params[0].attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
			arg->params[0].u.rmem.shm_ref = 0x5eed;
			regs.a[0] = OPTEE_SMC_CALL_WITH_ARG;
			regs.a[1] = optee_smc_u64_high(pa_addr(pages[0]));
			regs.a[2] = optee_smc_u64_low(pa_addr(pages[0]));
			assert_int_equal(smc_conduit_call(&g->from_guest, &regs), 0);
			assert_int_equal(arg->ret, TEE_SUCCESS);
		}
		assert_int_equal(guest_mem_free_pages(&g->gm, pages, 3), 0);
		return ret;
	}
}

/* Page lists may only name the guest's own RAM: other guests' and secure pages are refused. */
static void test_foreign_pages_refused(void **state)
{
	struct inproc_hv *f = *state;
	uint64_t refused = hv_guest_stats(f->g[0].hg)->refused;

	/* Its own page (an IPA) is fine. */
	assert_int_equal(raw_register(&f->g[0], STAGE2_GUEST_IPA_BASE + 0x10000), TEE_SUCCESS);
	/*
	 * Just past its RAM, and below it.  (IPAs are the guest's own address space: a
	 * number that is a secure PA elsewhere is just an IPA here, translated or refused.)
	 */
	assert_int_equal(raw_register(&f->g[0], STAGE2_GUEST_IPA_BASE + (16ull << 20)),
			 TEE_ERROR_BAD_PARAMETERS);
	assert_int_equal(raw_register(&f->g[0], STAGE2_GUEST_IPA_BASE - SMALL_PAGE_SIZE),
			 TEE_ERROR_BAD_PARAMETERS);
	assert_int_equal(hv_guest_stats(f->g[0].hg)->refused, refused + 2);
}

/* Hypervisor-only calls, the carveout, and resuming a thread that is not yours are refused. */
static void test_guest_may_not(void **state)
{
	struct inproc_hv *f = *state;
	struct smc_regs regs = { .a = { OPTEE_SMC_VM_DESTROYED, 2 } };

	assert_int_equal(smc_conduit_call(&f->g[0].from_guest, &regs), 0);
	assert_int_equal(regs.a[0], OPTEE_SMC_RETURN_UNKNOWN_FUNCTION);
	regs = (struct smc_regs){ .a = { OPTEE_SMC_GET_SHM_CONFIG } };
	assert_int_equal(smc_conduit_call(&f->g[0].from_guest, &regs), 0);
	assert_int_equal(regs.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	regs = (struct smc_regs){ .a = { OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 3 } };
	assert_int_equal(smc_conduit_call(&f->g[1].from_guest, &regs), 0);
	assert_int_equal(regs.a[0], OPTEE_SMC_RETURN_ERESUME);
	regs = (struct smc_regs){ .a = { OPTEE_SMC_EXCHANGE_CAPABILITIES } };
	assert_int_equal(smc_conduit_call(&f->g[1].from_guest, &regs), 0);
	assert_int_equal(regs.a[0], OPTEE_SMC_RETURN_OK);
	assert_true(regs.a[1] & OPTEE_SMC_SEC_CAP_VIRTUALIZATION);
	assert_false(regs.a[1] & OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM);
}

/* One CALL_WITH_REGD_ARG from guest g naming (cookie, offset); returns a0. */
static uint64_t regd_call(struct inproc_guest *g, uint64_t cookie, uint64_t offset)
{
	struct smc_regs regs = { .a = { OPTEE_SMC_CALL_WITH_REGD_ARG, optee_smc_u64_high(cookie),
					optee_smc_u64_low(cookie), offset } };

	assert_int_equal(smc_conduit_call(&g->from_guest, &regs), 0);
	return regs.a[0];
}

/*
 * CALL_WITH_REGD_ARG reaches the secure world: the mediator finds the arg in
 * the guest's registered buffer (here on its second, scattered page) and
 * shadows it; unknown cookies, offsets past the buffer, misaligned args and
 * args crossing a page are refused with EBADADDR.
 */
static void test_regd_arg_through_mediator(void **state)
{
	struct inproc_hv *f = *state;
	struct inproc_guest *g = &f->g[0];
	struct optee_shm *args, *victim;
	struct optee_msg_arg arg;
	uint64_t refused = hv_guest_stats(g->hg)->refused;
	uint64_t args_cookie, at = SMALL_PAGE_SIZE + 64;
	uint32_t origin;

	assert_int_equal(optee_shm_alloc(g->drv, 2 * SMALL_PAGE_SIZE, false, &args), 0);
	assert_int_equal(optee_shm_alloc(g->drv, SMALL_PAGE_SIZE, false, &victim), 0);
	assert_int_equal(optee_shm_register(args, &origin), TEE_SUCCESS);
	assert_int_equal(optee_shm_register(victim, &origin), TEE_SUCCESS);
	assert_int_equal(hv_guest_stats(g->hg)->registered_buffers, 2);
	args_cookie = optee_shm_cookie(args);

	/* An UNREGISTER_SHM of victim, as an arg kept in registered memory. */
	memset(&arg, 0, sizeof(arg));
	arg.cmd = OPTEE_MSG_CMD_UNREGISTER_SHM;
	arg.num_params = 1;
	arg.ret = 0xdeadbeef;
	assert_int_equal(optee_shm_write(args, at, &arg, sizeof(arg)), 0);
	{
		struct optee_msg_param p = { .attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT };

		p.u.rmem.shm_ref = optee_shm_cookie(victim);
		assert_int_equal(optee_shm_write(args, at + sizeof(arg), &p, sizeof(p)), 0);
	}
	assert_int_equal(regd_call(g, args_cookie, at), OPTEE_SMC_RETURN_OK);
	assert_int_equal(optee_shm_read(args, at, &arg, sizeof(arg)), 0);
	assert_int_equal(arg.ret, TEE_SUCCESS);
	/* The secure world and the mediator both dropped victim. */
	assert_int_equal(hv_guest_stats(g->hg)->registered_buffers, 1);
	assert_int_equal(sw_check(f->sw), 0);

	assert_int_equal(regd_call(g, args_cookie ^ 1, at), OPTEE_SMC_RETURN_EBADADDR);
	assert_int_equal(regd_call(g, args_cookie, 2 * SMALL_PAGE_SIZE), OPTEE_SMC_RETURN_EBADADDR);
	assert_int_equal(regd_call(g, args_cookie, UINT32_MAX), OPTEE_SMC_RETURN_EBADADDR);
	assert_int_equal(regd_call(g, args_cookie, at + 4), OPTEE_SMC_RETURN_EBADADDR);
	assert_int_equal(regd_call(g, args_cookie, SMALL_PAGE_SIZE - 8), OPTEE_SMC_RETURN_EBADADDR);
	assert_int_equal(hv_guest_stats(g->hg)->refused, refused + 5);
	assert_int_equal(hv_mediator_pages_in_use(f->med), 0);

	/* victim is unregistered behind the driver's back: free its pages without a second SMC. */
	optee_shm_free_local(victim);
	optee_shm_free(args);
	assert_int_equal(hv_guest_stats(g->hg)->registered_buffers, 0);
}

/* A guest that dies holding a session and registered memory is reclaimed everywhere. */
static void test_guest_dies_holding_state(void **state)
{
	struct inproc_hv *f = *state;
	struct inproc_guest *g = &f->g[1];
	struct optee_shm *shm;
	uint8_t uuid[16];
	uint32_t session, origin;
	struct sw_client_info info;

	echo_uuid(uuid);
	assert_int_equal(optee_drv_open_session(g->drv, uuid, 0, NULL, NULL, 0, &session, &origin),
			 TEE_SUCCESS);
	assert_int_equal(optee_shm_alloc(g->drv, 64 * SMALL_PAGE_SIZE, false, &shm), 0);
	assert_int_equal(optee_shm_register(shm, &origin), TEE_SUCCESS);
	assert_int_equal(sw_client_info(f->sw, 2, &info), 0);
	assert_int_equal(info.sessions, 1);
	assert_int_equal(info.shm_registered, 1);
	/* The guest is gone without a word: the hypervisor removes it. */
	assert_int_equal(hv_guest_remove(f->med, g->hg), 0);
	g->hg = NULL;
	assert_int_equal(core_mm_check_vm_clean(sw_mm(f->sw), 2), 0);
	assert_int_equal(sw_check(f->sw), 0);
	/* What is left of its driver now talks to nobody: every SMC fails as to a dead machine. */
	inproc_hv_guest_orphan(f, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_through_mediator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_pages_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_may_not, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_dies_holding_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regd_arg_through_mediator, setup, teardown),
	};

	return cmocka_run_group_tests_name("hv_inproc", tests, NULL, NULL);
}
