/*
 * OP-TEE message protocol: struct optee_msg_arg and its parameters, attribute
 * types, commands, and the non-contiguous page-list format.
 *
 * Layouts and values equal OP-TEE's (optee_os core/include/optee_msg.h, Linux
 * drivers/tee/optee/optee_msg.h); static assertions below pin every size and
 * offset.  Freestanding.
 */
#ifndef TEESHM_COMMON_OPTEE_MSG_H
#define TEESHM_COMMON_OPTEE_MSG_H

#include <stddef.h>
#include <stdint.h>

/* Parameter types, in attr bits 7:0. */
#define OPTEE_MSG_ATTR_TYPE_NONE 0x0
#define OPTEE_MSG_ATTR_TYPE_VALUE_INPUT 0x1
#define OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT 0x2
#define OPTEE_MSG_ATTR_TYPE_VALUE_INOUT 0x3
#define OPTEE_MSG_ATTR_TYPE_RMEM_INPUT 0x5
#define OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT 0x6
#define OPTEE_MSG_ATTR_TYPE_RMEM_INOUT 0x7
/* FF-A memrefs reuse the RMEM type values; the conduit decides the meaning. */
#define OPTEE_MSG_ATTR_TYPE_FMEM_INPUT OPTEE_MSG_ATTR_TYPE_RMEM_INPUT
#define OPTEE_MSG_ATTR_TYPE_FMEM_OUTPUT OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT
#define OPTEE_MSG_ATTR_TYPE_FMEM_INOUT OPTEE_MSG_ATTR_TYPE_RMEM_INOUT
#define OPTEE_MSG_ATTR_TYPE_TMEM_INPUT 0x9
#define OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT 0xa
#define OPTEE_MSG_ATTR_TYPE_TMEM_INOUT 0xb
#define OPTEE_MSG_ATTR_TYPE_MASK 0xffu

/* Meta parameter, consumed by the OS (OPEN_SESSION's UUIDs); must come first. */
#define OPTEE_MSG_ATTR_META (1u << 8)
/* tmem.buf_ptr points to a page list (see below), not to the buffer itself. */
#define OPTEE_MSG_ATTR_NONCONTIG (1u << 9)
#define OPTEE_MSG_ATTR_CACHE_SHIFT 16
#define OPTEE_MSG_ATTR_CACHE_MASK 0x7u
#define OPTEE_MSG_ATTR_CACHE_PREDEFINED 0

/* Same values as TEE_LOGIN_* of the TEE Internal Core API. */
#define OPTEE_MSG_LOGIN_PUBLIC 0x0
#define OPTEE_MSG_LOGIN_USER 0x1
#define OPTEE_MSG_LOGIN_GROUP 0x2
#define OPTEE_MSG_LOGIN_APPLICATION 0x4
#define OPTEE_MSG_LOGIN_APPLICATION_USER 0x5
#define OPTEE_MSG_LOGIN_APPLICATION_GROUP 0x6

/* Commands in optee_msg_arg.cmd from the normal world. */
#define OPTEE_MSG_CMD_OPEN_SESSION 0
#define OPTEE_MSG_CMD_INVOKE_COMMAND 1
#define OPTEE_MSG_CMD_CLOSE_SESSION 2
#define OPTEE_MSG_CMD_CANCEL 3
#define OPTEE_MSG_CMD_REGISTER_SHM 4
#define OPTEE_MSG_CMD_UNREGISTER_SHM 5
#define OPTEE_MSG_CMD_DO_BOTTOM_HALF 6
#define OPTEE_MSG_CMD_STOP_ASYNC_NOTIF 7

/* Temporary memref: buf_ptr is a PA (or a page-list PA with NONCONTIG). */
struct optee_msg_param_tmem {
	uint64_t buf_ptr;
	uint64_t size;
	uint64_t shm_ref;
};

/* Registered memref: a window [offs, offs + size) of registered shm shm_ref. */
struct optee_msg_param_rmem {
	uint64_t offs;
	uint64_t size;
	uint64_t shm_ref;
};

/* FF-A memref (kept for layout fidelity; teeshm uses the SMC conduit). */
struct optee_msg_param_fmem {
	uint32_t offs_low;
	uint16_t offs_high;
	uint16_t internal_offs;
	uint64_t size;
	uint64_t global_id;
};

struct optee_msg_param_value {
	uint64_t a;
	uint64_t b;
	uint64_t c;
};

struct optee_msg_param {
	uint64_t attr;
	union {
		struct optee_msg_param_tmem tmem;
		struct optee_msg_param_rmem rmem;
		struct optee_msg_param_fmem fmem;
		struct optee_msg_param_value value;
		uint8_t octets[24];
	} u;
};

/*
 * The argument of every call (and RPC).  num_params parameters follow the
 * 32-byte header; the struct is 8-byte aligned because the params are.
 */
struct optee_msg_arg {
	uint32_t cmd;
	uint32_t func;
	uint32_t session;
	uint32_t cancel_id;
	uint32_t pad;
	uint32_t ret;
	uint32_t ret_origin;
	uint32_t num_params;
	struct optee_msg_param params[];
};

#define OPTEE_MSG_GET_ARG_SIZE(num_params) \
	(sizeof(struct optee_msg_arg) + sizeof(struct optee_msg_param) * (size_t)(num_params))

/*
 * Non-contiguous buffer: tmem.buf_ptr = PA of the first list page, with the
 * buffer's offset within its first data page in bits 11:0.  Each 4 KiB list
 * page holds 511 data-page PAs followed by the PA of the next list page.
 */
#define OPTEE_MSG_NONCONTIG_PAGE_SIZE 4096u
#define OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE \
	(OPTEE_MSG_NONCONTIG_PAGE_SIZE / sizeof(uint64_t) - 1)

struct optee_msg_pagelist_page {
	uint64_t pages_pa[OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE];
	uint64_t next_page_pa;
};

_Static_assert(sizeof(struct optee_msg_param_tmem) == 24, "tmem is 24 bytes");
_Static_assert(sizeof(struct optee_msg_param_fmem) == 24, "fmem is 24 bytes");
_Static_assert(sizeof(struct optee_msg_param) == 32, "param is 32 bytes");
_Static_assert(offsetof(struct optee_msg_param, u) == 8, "union follows attr");
_Static_assert(sizeof(struct optee_msg_arg) == 32, "arg header is 32 bytes");
_Static_assert(offsetof(struct optee_msg_arg, ret) == 20, "ret at byte 20");
_Static_assert(offsetof(struct optee_msg_arg, num_params) == 28, "num_params at byte 28");
_Static_assert(offsetof(struct optee_msg_arg, params) == 32, "params follow the header");
_Static_assert(_Alignof(struct optee_msg_arg) == 8, "arg is 8-byte aligned");
_Static_assert(OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE == 511, "511 entries per list page");
_Static_assert(sizeof(struct optee_msg_pagelist_page) == 4096, "list page is one 4 KiB page");

#endif
