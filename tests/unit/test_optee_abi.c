/* OP-TEE ABI: function IDs and codes equal OP-TEE's, and non-contiguous page lists round-trip. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/optee_rpc_cmd.h"
#include "sim/common/optee_smc.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/normal/include/tee_client_api.h"

/* The composed SMC function IDs equal the numbers OP-TEE's headers produce. */
static void test_smc_ids(void **state)
{
	(void)state;
	assert_int_equal(OPTEE_SMC_CALL_WITH_ARG, 0x32000004u);
	assert_int_equal(OPTEE_SMC_CALL_RETURN_FROM_RPC, 0x32000003u);
	assert_int_equal(OPTEE_SMC_CALL_WITH_RPC_ARG, 0x32000012u);
	assert_int_equal(OPTEE_SMC_CALL_WITH_REGD_ARG, 0x32000013u);
	assert_int_equal(OPTEE_SMC_GET_SHM_CONFIG, 0xb2000007u);
	assert_int_equal(OPTEE_SMC_EXCHANGE_CAPABILITIES, 0xb2000009u);
	assert_int_equal(OPTEE_SMC_DISABLE_SHM_CACHE, 0xb200000au);
	assert_int_equal(OPTEE_SMC_ENABLE_SHM_CACHE, 0xb200000bu);
	assert_int_equal(OPTEE_SMC_VM_CREATED, 0xb200000du);
	assert_int_equal(OPTEE_SMC_VM_DESTROYED, 0xb200000eu);
	assert_int_equal(OPTEE_SMC_GET_THREAD_COUNT, 0xb200000fu);
	assert_int_equal(OPTEE_SMC_CALLS_UID, 0xbf00ff01u);
	assert_int_equal(OPTEE_SMC_CALLS_REVISION, 0xbf00ff03u);
	assert_true(optee_smc_is_fast_call(OPTEE_SMC_VM_DESTROYED));
	assert_false(optee_smc_is_fast_call(OPTEE_SMC_CALL_WITH_ARG));
	assert_int_equal(optee_smc_func_num(OPTEE_SMC_CALL_WITH_REGD_ARG), 19);
}

/* RPC returns carry the 0xFFFF prefix, and UNKNOWN_FUNCTION is not mistaken for one. */
static void test_smc_returns(void **state)
{
	(void)state;
	assert_int_equal(OPTEE_SMC_RETURN_RPC_ALLOC, 0xffff0000u);
	assert_int_equal(OPTEE_SMC_RETURN_RPC_FREE, 0xffff0002u);
	assert_int_equal(OPTEE_SMC_RETURN_RPC_FOREIGN_INTR, 0xffff0004u);
	assert_int_equal(OPTEE_SMC_RETURN_RPC_CMD, 0xffff0005u);
	assert_true(optee_smc_return_is_rpc(OPTEE_SMC_RETURN_RPC_CMD));
	assert_false(optee_smc_return_is_rpc(OPTEE_SMC_RETURN_UNKNOWN_FUNCTION));
	assert_false(optee_smc_return_is_rpc(OPTEE_SMC_RETURN_ENOTAVAIL));
	assert_int_equal(OPTEE_SMC_RETURN_ETHREAD_LIMIT, 1);
	assert_int_equal(OPTEE_SMC_RETURN_EBADADDR, 4);
	assert_int_equal(OPTEE_SMC_RETURN_ENOMEM, 6);
	assert_int_equal(OPTEE_SMC_RETURN_ENOTAVAIL, 7);
	assert_int_equal(OPTEE_SMC_SEC_CAP_DYNAMIC_SHM | OPTEE_SMC_SEC_CAP_VIRTUALIZATION |
				 OPTEE_SMC_SEC_CAP_RPC_ARG,
			 0x4c);
	assert_int_equal(optee_smc_reg_pair_to_u64(0x1, 0x40001000u), 0x140001000ull);
	assert_int_equal(optee_smc_u64_high(0x140001000ull), 1);
	assert_int_equal(optee_smc_u64_low(0x140001000ull), 0x40001000u);
}

/* Message attributes, commands and RPC codes have OP-TEE's values; GP codes match TEE codes. */
static void test_msg_values(void **state)
{
	struct optee_msg_arg *arg;

	(void)state;
	assert_int_equal(OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG, 0x20a);
	assert_int_equal(OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, 7);
	assert_int_equal(OPTEE_MSG_ATTR_META, 0x100);
	assert_int_equal(OPTEE_MSG_CMD_REGISTER_SHM, 4);
	assert_int_equal(OPTEE_MSG_CMD_UNREGISTER_SHM, 5);
	assert_int_equal(OPTEE_RPC_CMD_SHM_ALLOC, 6);
	assert_int_equal(OPTEE_RPC_CMD_SHM_FREE, 7);
	assert_int_equal(OPTEE_RPC_SHM_TYPE_GLOBAL, 2);
	assert_int_equal(OPTEE_MSG_GET_ARG_SIZE(4), 32 + 4 * 32);
	/* params[i] sits at 32 + 32 * i in the wire buffer. */
	arg = calloc(1, OPTEE_MSG_GET_ARG_SIZE(2));
	assert_non_null(arg);
	assert_int_equal((uint8_t *)&arg->params[1].u.tmem.size - (uint8_t *)arg, 32 + 32 + 8 + 8);
	free(arg);
	assert_int_equal(TEEC_ERROR_OUT_OF_MEMORY, TEE_ERROR_OUT_OF_MEMORY);
	assert_int_equal(TEEC_ERROR_TARGET_DEAD, TEE_ERROR_TARGET_DEAD);
	assert_int_equal(TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INOUT, TEEC_NONE,
					  TEEC_MEMREF_PARTIAL_OUTPUT),
			 0xe071);
	assert_int_equal(TEEC_PARAM_TYPE_GET(0xe071, 3), TEEC_MEMREF_PARTIAL_OUTPUT);
	assert_string_equal(tee_result_name(TEE_ERROR_OUT_OF_MEMORY), "TEE_ERROR_OUT_OF_MEMORY");
	assert_int_equal(tee_result_from_ts_err(TS_ENOMEM), TEE_ERROR_OUT_OF_MEMORY);
	assert_string_equal(ts_err_name(TS_ELOOP), "ELOOP");
}

/* A fixture: DRAM with one guest, the guest's view and the secure world's view of everything. */
struct fixture {
	struct dram *dram;
	struct dram_view *guest, *all;
	const struct dram_region *ram;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct dram_config cfg;

	dram_config_default(&cfg);
	cfg.guest_ram_bytes = 16ull << 20;
	if (!f || dram_create(&cfg, &f->dram, NULL, 0))
		return -1;
	f->ram = dram_region_find(f->dram->layout, DRAM_GUEST_RAM, 0);
	if (dram_view_open(f->dram, &f->ram, 1, &f->guest) || dram_view_open_all(f->dram, &f->all))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dram_view_close(f->guest);
	dram_view_close(f->all);
	dram_destroy(f->dram);
	free(f);
	return 0;
}

/* Guest page n (a deliberately scattered permutation of its RAM). */
static paddr_t guest_page(const struct fixture *f, size_t n)
{
	size_t pages = f->ram->size_bytes / SMALL_PAGE_SIZE;

	return pa_add(f->ram->base, ((n * 2654435761u) % pages) * SMALL_PAGE_SIZE);
}

/* A 1500-page buffer written by the guest as a 3-page list reads back identically through the secure view. */
static void test_pagelist_round_trip(void **state)
{
	struct fixture *f = *state;
	enum { N = 1500 };
	static paddr_t data[N], got[N];
	paddr_t list[3];
	struct pa_accessor gacc = dram_view_accessor(f->guest), sacc = dram_view_accessor(f->all);
	struct optee_pagelist_parsed parsed;
	uint64_t offset = 0x123, size = (uint64_t)N * 4096 - offset - 17;
	size_t i;

	assert_int_equal(optee_pagelist_list_pages(N), 3);
	assert_int_equal(optee_pagelist_list_pages(511), 1);
	assert_int_equal(optee_pagelist_list_pages(512), 2);
	for (i = 0; i < N; i++)
		data[i] = guest_page(f, i + 10);
	for (i = 0; i < 3; i++)
		list[i] = guest_page(f, i);
	assert_int_equal(optee_pagelist_write(&gacc, list, 3, data, N), 0);

	/* The bytes in guest memory are OP-TEE's format: 511 entries then the next pointer. */
	{
		const uint64_t *lp0 = dram_view_ptr(f->all, list[0], 4096);

		assert_int_equal(lp0[0], pa_addr(data[0]));
		assert_int_equal(lp0[510], pa_addr(data[510]));
		assert_int_equal(lp0[511], pa_addr(list[1]));
		assert_int_equal(((const uint64_t *)dram_view_ptr(f->all, list[2], 4096))[511], 0);
	}

	assert_int_equal(optee_pagelist_read(&sacc, optee_pagelist_buf_ptr(list[0], offset), size,
					     got, N, &parsed),
			 0);
	assert_int_equal(parsed.n_pages, N);
	assert_int_equal(parsed.n_list_pages, 3);
	assert_int_equal(parsed.offset_bytes, offset);
	for (i = 0; i < N; i++)
		assert_int_equal(pa_addr(got[i]), pa_addr(data[i]));
}

/* Hostile lists are refused with the right code: bad entries, loops, foreign pages, sizes. */
static void test_pagelist_hostile(void **state)
{
	struct fixture *f = *state;
	enum { N = 1100 };
	static paddr_t data[N], got[N];
	paddr_t list[3];
	struct pa_accessor gacc = dram_view_accessor(f->guest);
	struct optee_pagelist_parsed parsed = { 0 };
	uint64_t *lp0, *lp1, buf;
	size_t i;

	for (i = 0; i < N; i++)
		data[i] = guest_page(f, i + 10);
	for (i = 0; i < 3; i++)
		list[i] = guest_page(f, i);
	assert_int_equal(optee_pagelist_write(&gacc, list, 3, data, N), 0);
	lp0 = dram_view_ptr(f->guest, list[0], 4096);
	lp1 = dram_view_ptr(f->guest, list[1], 4096);
	buf = optee_pagelist_buf_ptr(list[0], 0);

	/* The guest parses its own list fine. */
	assert_int_equal(optee_pagelist_read(&gacc, buf, (uint64_t)N * 4096, got, N, &parsed), 0);
	/* Larger than the caller's limit. */
	assert_int_equal(optee_pagelist_read(&gacc, buf, (uint64_t)N * 4096, got, N - 1, &parsed),
			 TS_E2BIG);
	/* Size zero, and a size that wraps the page count. */
	assert_int_equal(optee_pagelist_read(&gacc, buf, 0, got, N, &parsed), TS_EINVAL);
	assert_int_equal(optee_pagelist_read(&gacc, buf | 0x10, UINT64_MAX - 0x10 + 1, got, N, &parsed),
			 TS_EOVERFLOW);
	/* An unaligned data entry. */
	lp1[3] |= 0x8;
	assert_int_equal(optee_pagelist_read(&gacc, buf, (uint64_t)N * 4096, got, N, &parsed),
			 TS_EINVAL);
	lp1[3] &= ~0x8ull;
	/* The second list page points back to the first: a loop. */
	lp1[511] = pa_addr(list[0]);
	assert_int_equal(optee_pagelist_read(&gacc, buf, (uint64_t)N * 4096, got, N, &parsed),
			 TS_ELOOP);
	/* A next pointer of zero before the end. */
	lp1[511] = 0;
	assert_int_equal(optee_pagelist_read(&gacc, buf, (uint64_t)N * 4096, got, N, &parsed),
			 TS_EINVAL);
	/* A next pointer into secure memory: the guest's accessor refuses it. */
	lp1[511] = pa_addr(dram_region_find(f->dram->layout, DRAM_SECURE_CORE, 0)->base);
	assert_int_equal(optee_pagelist_read(&gacc, buf, (uint64_t)N * 4096, got, N, &parsed),
			 TS_EFAULT);
	lp0[511] = pa_addr(list[1]) + 8; /* unaligned next pointer */
	assert_int_equal(optee_pagelist_read(&gacc, buf, (uint64_t)N * 4096, got, N, &parsed),
			 TS_EINVAL);
	/* The parsed result was never written by a failed read. */
	assert_int_equal(parsed.n_pages, N);
	/* The writer refuses a wrong list length and an unaligned data page, writing nothing. */
	assert_int_equal(optee_pagelist_write(&gacc, list, 2, data, N), TS_EINVAL);
	data[7] = pa_add(data[7], 1);
	assert_int_equal(optee_pagelist_write(&gacc, list, 3, data, N), TS_EINVAL);
	assert_int_equal(lp0[511], pa_addr(list[1]) + 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smc_ids),
		cmocka_unit_test(test_smc_returns),
		cmocka_unit_test(test_msg_values),
		cmocka_unit_test_setup_teardown(test_pagelist_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagelist_hostile, setup, teardown),
	};

	return cmocka_run_group_tests_name("optee_abi", tests, NULL, NULL);
}
