/*
 * Writes the binary seed corpora of fuzz_pagelist and fuzz_smc into
 * OUT/fuzz_pagelist/ and OUT/fuzz_smc/ (fuzz/README.md).  Deterministic; run
 * it again after changing an input format:
 *   cc -std=c11 -I. fuzz/gen_seeds.c -o /tmp/gen_seeds && /tmp/gen_seeds fuzz/corpus
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/smc_input.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_rpc_cmd.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ta_ids.h"

#define PAGE 4096u

struct buf {
	uint8_t bytes[64 * 1024];
	size_t len;
};

static const char *out_dir;

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > sizeof(b->bytes)) {
		fprintf(stderr, "gen_seeds: seed too large\n");
		exit(1);
	}
	memcpy(b->bytes + b->len, p, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, size_t n)
{
	uint8_t le[8];
	size_t i;

	for (i = 0; i < n; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	put(b, le, n);
}

static void save(const char *harness, const char *name, const struct buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b->bytes, 1, b->len, f) != b->len || fclose(f)) {
		fprintf(stderr, "gen_seeds: cannot write %s\n", path);
		exit(1);
	}
}

/* ---- fuzz_pagelist: header (buf_ptr, size, max_pages, flags), then the memory from PA 0x1000 */

#define MEM_BASE 0x1000ull

static void pl_header(struct buf *b, uint64_t buf_ptr, uint64_t size, uint16_t max_pages)
{
	b->len = 0;
	put_le(b, buf_ptr, 8);
	put_le(b, size, 8);
	put_le(b, max_pages, 2);
	put_le(b, 0, 1);
}

/* List page number i of the memory (PA MEM_BASE + i * 4 KiB), as entries + next. */
static void pl_page(struct buf *b, size_t i, const uint64_t *entries, size_t n, uint64_t next)
{
	uint8_t *page;
	size_t need = 19 + (i + 1) * PAGE, k;

	if (b->len < need) {
		memset(b->bytes + b->len, 0, need - b->len);
		b->len = need;
	}
	page = b->bytes + 19 + i * PAGE;
	for (k = 0; k < n; k++)
		memcpy(page + 8 * k, &entries[k], 8);
	memcpy(page + PAGE - 8, &next, 8);
}

static void gen_pagelist(void)
{
	uint64_t e[OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE];
	struct buf b;
	size_t k;

	/* One list page, a buffer at offset 0x10 spanning three pages. */
	pl_header(&b, MEM_BASE | 0x10, 3 * PAGE - 0x20, 16);
	e[0] = 0x40000000;
	e[1] = 0x40002000;
	e[2] = 0x40004000;
	pl_page(&b, 0, e, 3, 0);
	save("fuzz_pagelist", "one_list_page", &b);

	/* Two list pages (600 data pages), the second one page apart from the first. */
	pl_header(&b, MEM_BASE, 600ull * PAGE, 1024);
	for (k = 0; k < OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE; k++)
		e[k] = 0x50000000 + k * PAGE;
	pl_page(&b, 0, e, OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE, MEM_BASE + 2 * PAGE);
	pl_page(&b, 2, e, 600 - OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE, 0);
	save("fuzz_pagelist", "two_list_pages", &b);

	/* Next pointers in a circle: TS_ELOOP. */
	pl_header(&b, MEM_BASE, 2000ull * PAGE, 4096);
	pl_page(&b, 0, e, 0, MEM_BASE + PAGE);
	pl_page(&b, 1, e, 0, MEM_BASE);
	save("fuzz_pagelist", "loop", &b);

	/* An unaligned entry: TS_EINVAL. */
	pl_header(&b, MEM_BASE, 2 * PAGE, 8);
	e[0] = 0x40000000;
	e[1] = 0x40000010;
	pl_page(&b, 0, e, 2, 0);
	save("fuzz_pagelist", "unaligned_entry", &b);

	/* Capacity too small: TS_E2BIG. */
	pl_header(&b, MEM_BASE, 5 * PAGE, 4);
	pl_page(&b, 0, e, 2, 0);
	save("fuzz_pagelist", "too_many_pages", &b);

	/* The next list page lies outside the memory: TS_EFAULT. */
	pl_header(&b, MEM_BASE, 700ull * PAGE, 1024);
	for (k = 0; k < OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE; k++)
		e[k] = 0x60000000 + k * PAGE;
	pl_page(&b, 0, e, OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE, 0x7fff0000);
	save("fuzz_pagelist", "next_outside", &b);

	/* offset + size wraps: TS_EOVERFLOW. */
	pl_header(&b, MEM_BASE | 0x10, UINT64_MAX - 0x10, 1);
	save("fuzz_pagelist", "wrapping_size", &b);
}

/* ---- fuzz_smc: world byte, then records (fuzz/smc_input.h) ---- */

enum world { W_DYNAMIC, W_CACHED, W_RPC, W_CARVEOUT };

static void smc_begin(struct buf *b, enum world w)
{
	b->len = 0;
	put_le(b, w, 1);
}

/* A record: ctl, the page write if ctl asks for one (target page, offset, bytes), registers. */
static void rec(struct buf *b, uint8_t ctl, uint8_t target, uint16_t off, const void *bytes,
		uint16_t len, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		uint64_t a5, uint64_t client)
{
	put_le(b, ctl, 1);
	if (ctl & FUZZ_CTL_WRITE) {
		put_le(b, target, 1);
		put_le(b, off, 2);
		put_le(b, len, 2);
		put(b, bytes, len);
	}
	put_le(b, a0, 8);
	put_le(b, a1, 8);
	put_le(b, a2, 8);
	put_le(b, a3, 8);
	put_le(b, a4, 8);
	put_le(b, a5, 8);
	put_le(b, 0, 8);
	put_le(b, client, 8);
}

static void fast(struct buf *b, uint32_t fid, uint64_t a1, uint64_t client)
{
	rec(b, 0, 0, 0, NULL, 0, fid, a1, 0, 0, 0, 0, client);
}

/* An optee_msg_arg with up to four params (its header spelled out: no flexible member here). */
struct msg {
	struct {
		uint32_t cmd, func, session, cancel_id, pad, ret, ret_origin, num_params;
	} hdr;
	struct optee_msg_param p[4];
};
_Static_assert(sizeof(((struct msg *)0)->hdr) == sizeof(struct optee_msg_arg), "arg header");

static uint16_t msg_len(const struct msg *m)
{
	return (uint16_t)OPTEE_MSG_GET_ARG_SIZE(m->hdr.num_params);
}

static void msg_open(struct msg *m, const uint8_t uuid_octets[16])
{
	memset(m, 0, sizeof(*m));
	m->hdr.cmd = OPTEE_MSG_CMD_OPEN_SESSION;
	m->hdr.num_params = 2;
	m->p[0].attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	memcpy(&m->p[0].u.value, uuid_octets, 16);
	m->p[1].attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	m->p[1].u.value.c = OPTEE_MSG_LOGIN_PUBLIC;
}

static const uint8_t echo_octets[16] = { 0x7e, 0xe5, 0xe0, 0x00, 0xec, 0x40, 0x4c, 0x3a,
					 0x9f, 0x10, 0x2b, 0x6e, 0x11, 0x5a, 0x00, 0x01 };
static const uint8_t bigload_octets[16] = { 0x7e, 0xe5, 0xe0, 0x00, 0xb1, 0x6b, 0x4f, 0x0a,
					    0xa3, 0x44, 0x5d, 0x08, 0x6c, 0x2f, 0x00, 0x03 };
static const uint8_t storage_octets[16] = { 0x7e, 0xe5, 0xe0, 0x00, 0x57, 0x07, 0x4a, 0x6e,
					    0x8d, 0x21, 0x7c, 0x31, 0x0e, 0x9b, 0x00, 0x02 };

#define CALL_IN_WINDOW (FUZZ_CTL_WRITE | FUZZ_CTL_RELOC_ARG | FUZZ_AMODE_WINDOW)
#define CALL_ON_SESSION (CALL_IN_WINDOW | FUZZ_CTL_SESSION)

/* Open the echo TA from guest 1 with an arg in window page `page`. */
static void open_echo(struct buf *b, uint8_t page, uint32_t fid)
{
	struct msg m;

	msg_open(&m, echo_octets);
	rec(b, CALL_IN_WINDOW, page, 0, &m, msg_len(&m), fid, 0, page * PAGE, 0, 0, 0, 1);
}

static void echo_session(enum world w, const char *name, uint32_t fid)
{
	struct buf b;
	struct msg m;

	smc_begin(&b, w);
	open_echo(&b, 0, fid);
	/* value: a = a * 2, b = b + 3 */
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m.hdr.func = TA_ECHO_CMD_VALUE;
	m.hdr.num_params = 1;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	m.p[0].u.value.a = 5;
	m.p[0].u.value.b = 7;
	rec(&b, CALL_ON_SESSION, 1, 0, &m, msg_len(&m), fid, 0, 1 * PAGE, 0, 0, 0, 1);
	/* transform: 100 bytes of page 3 into page 4 (buf_ptrs relocated into the window) */
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m.hdr.func = TA_ECHO_CMD_TRANSFORM;
	m.hdr.num_params = 3;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
	m.p[0].u.tmem.buf_ptr = 3 * PAGE + 0x10;
	m.p[0].u.tmem.size = 100;
	m.p[1].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
	m.p[1].u.tmem.buf_ptr = 4 * PAGE;
	m.p[1].u.tmem.size = 100;
	m.p[2].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	rec(&b, CALL_ON_SESSION, 2, 0, &m, msg_len(&m), fid, 0, 2 * PAGE, 0, 0, 0, 1);
	/* close */
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_MSG_CMD_CLOSE_SESSION;
	rec(&b, CALL_ON_SESSION, 5, 0, &m, msg_len(&m), fid, 0, 5 * PAGE, 0, 0, 0, 1);
	save("fuzz_smc", name, &b);
}

static void gen_fast_calls(void)
{
	struct buf b;

	smc_begin(&b, W_DYNAMIC);
	fast(&b, OPTEE_SMC_EXCHANGE_CAPABILITIES, 0, 1);
	fast(&b, OPTEE_SMC_GET_SHM_CONFIG, 0, 1);
	fast(&b, OPTEE_SMC_GET_THREAD_COUNT, 0, 2);
	fast(&b, OPTEE_SMC_CALLS_UID, 0, 1);
	fast(&b, OPTEE_SMC_CALLS_REVISION, 0, 1);
	fast(&b, OPTEE_SMC_CALL_GET_OS_UUID, 0, 1);
	fast(&b, OPTEE_SMC_CALL_GET_OS_REVISION, 0, 1);
	fast(&b, OPTEE_SMC_ENABLE_SHM_CACHE, 0, 1);
	fast(&b, OPTEE_SMC_DISABLE_SHM_CACHE, 0, 1);
	fast(&b, OPTEE_SMC_VM_DESTROYED, 2, 0);
	fast(&b, OPTEE_SMC_GET_THREAD_COUNT, 0, 2); /* refused: guest 2 is gone */
	fast(&b, OPTEE_SMC_VM_CREATED, 2, 0);
	fast(&b, 0xb20000ffu, 0, 1);                 /* unknown */
	save("fuzz_smc", "fast_calls", &b);
}

/* REGISTER_SHM of three window pages by a one-page list, then a REGD_ARG call inside it. */
static void gen_register(enum world w, const char *name)
{
	uint64_t list[3] = { 8 * PAGE, 9 * PAGE, 10 * PAGE };
	struct buf b;
	struct msg m;

	smc_begin(&b, w);
	/* The list in window page 6 (its next pointer, at the page end, stays 0). */
	rec(&b, FUZZ_CTL_WRITE | FUZZ_CTL_RELOC_LIST, 6, 0, list, sizeof(list),
	    OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0, 0, 0, 1);
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_MSG_CMD_REGISTER_SHM;
	m.hdr.num_params = 1;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
	m.p[0].u.tmem.buf_ptr = 6 * PAGE + 0x20; /* list page 6, buffer at offset 0x20 */
	m.p[0].u.tmem.size = 3 * PAGE - 0x40;
	m.p[0].u.tmem.shm_ref = 0x1234;
	rec(&b, CALL_IN_WINDOW, 0, 0, &m, msg_len(&m), OPTEE_SMC_CALL_WITH_ARG, 0, 0, 0, 0, 0, 1);
	/* An arg at offset 0 of the registered shm (window page 8 + 0x20): unregister itself. */
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_MSG_CMD_UNREGISTER_SHM;
	m.hdr.num_params = 1;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
	m.p[0].u.rmem.shm_ref = 0x1234;
	rec(&b, FUZZ_CTL_WRITE, 8, 0x20, &m, msg_len(&m), OPTEE_SMC_CALL_WITH_REGD_ARG, 0, 0x1234,
	    0, 0, 0, 1);
	/* Again by PA: it is gone now. */
	rec(&b, CALL_IN_WINDOW, 1, 0, &m, msg_len(&m), OPTEE_SMC_CALL_WITH_ARG, 0, PAGE, 0, 0, 0,
	    1);
	save("fuzz_smc", name, &b);
}

/*
 * The storage TA writes an object: the secure world asks for an RPC arg (RPC_ALLOC, answered
 * with window page 12 and a cookie) and sends RPC_CMDs through it: SHM_ALLOC (answered with
 * shm_bytes from window page 13 on, cookie 0x99), then FS and SHM_FREE (answered by clearing
 * ret), then RPC_FREE.  The "rpc" strategy asks for a whole pool chunk (64 pages).
 */
static void gen_storage_rpc(enum world w, const char *name, uint64_t shm_bytes)
{
	const uint32_t zero = 0;
	struct buf b;
	struct msg m;
	int i;

	smc_begin(&b, w);
	msg_open(&m, storage_octets);
	rec(&b, CALL_IN_WINDOW, 0, 0, &m, msg_len(&m), OPTEE_SMC_CALL_WITH_ARG, 0, 0, 0, 0, 0, 1);
	for (i = 0; i < 3; i++)
		rec(&b, FUZZ_CTL_RESUME_ID | FUZZ_AMODE_WINDOW | FUZZ_CTL_WRITE, 12,
		    offsetof(struct optee_msg_arg, ret), &zero, sizeof(zero),
		    OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 12 * PAGE, 0, 0, 0x77, 1);
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m.hdr.func = TA_STORAGE_CMD_WRITE;
	m.hdr.num_params = 2;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	m.p[0].u.value.a = 1;
	m.p[1].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
	m.p[1].u.tmem.buf_ptr = 3 * PAGE;
	m.p[1].u.tmem.size = 64;
	rec(&b, CALL_ON_SESSION, 1, 0, &m, msg_len(&m), OPTEE_SMC_CALL_WITH_ARG, 0, PAGE, 0, 0, 0,
	    1);
	/* RPC_ALLOC: the RPC arg is window page 12, cookie 0x77. */
	rec(&b, FUZZ_CTL_RESUME_ID | FUZZ_AMODE_WINDOW, 0, 0, NULL, 0,
	    OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 12 * PAGE, 0, 0, 0x77, 1);
	/* RPC_CMD SHM_ALLOC: one TMEM_OUTPUT, window page 13, cookie 0x99. */
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_RPC_CMD_SHM_ALLOC;
	m.hdr.num_params = 1;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
	m.p[0].u.tmem.buf_ptr = 13 * PAGE;
	m.p[0].u.tmem.size = shm_bytes;
	m.p[0].u.tmem.shm_ref = 0x99;
	rec(&b, FUZZ_CTL_RESUME_ID | FUZZ_CTL_WRITE | FUZZ_CTL_RELOC_ARG, 12, 0, &m, msg_len(&m),
	    OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 0, 0, 0, 1);
	for (i = 0; i < 4; i++)
		rec(&b, FUZZ_CTL_RESUME_ID | FUZZ_AMODE_WINDOW | FUZZ_CTL_WRITE, 12,
		    offsetof(struct optee_msg_arg, ret), &zero, sizeof(zero),
		    OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 12 * PAGE, 0, 0, 0x77, 1);
	save("fuzz_smc", name, &b);
}

/*
 * The bigload TA's open loads its image by RPC, with the inline RPC arg right after the open's
 * arg (window page 0, offset 96): LOAD_TA asking the size (answered: 1000 bytes), SHM_ALLOC
 * (window page 13, cookie 0x99), the image written into page 13, LOAD_TA into the buffer,
 * SHM_FREE; then an invoke asks the size seen.
 */
static void gen_bigload(enum world w, const char *name)
{
	const uint16_t rpc_at = (uint16_t)OPTEE_MSG_GET_ARG_SIZE(2);
	static uint8_t image[1000];
	const uint32_t zero = 0;
	struct buf b;
	struct msg m;
	size_t i;

	smc_begin(&b, w);
	msg_open(&m, bigload_octets);
	rec(&b, CALL_IN_WINDOW, 0, 0, &m, msg_len(&m), OPTEE_SMC_CALL_WITH_RPC_ARG, 0, 0, 0, 0, 0,
	    1);
	/* LOAD_TA, size query: ret 0, memref[1].size = 1000 */
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_RPC_CMD_LOAD_TA;
	m.hdr.num_params = 2;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	m.p[1].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
	m.p[1].u.tmem.size = sizeof(image);
	rec(&b, FUZZ_CTL_RESUME_ID | FUZZ_CTL_WRITE, 0, rpc_at, &m, msg_len(&m),
	    OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 0, 0, 0, 1);
	/* SHM_ALLOC: window page 13 */
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_RPC_CMD_SHM_ALLOC;
	m.hdr.num_params = 1;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
	m.p[0].u.tmem.buf_ptr = 13 * PAGE;
	m.p[0].u.tmem.size = PAGE;
	m.p[0].u.tmem.shm_ref = 0x99;
	rec(&b, FUZZ_CTL_RESUME_ID | FUZZ_CTL_WRITE | FUZZ_CTL_RELOC_ARG, 0, rpc_at, &m,
	    msg_len(&m), OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 0, 0, 0, 1);
	/* The image into page 13 (with a harmless fast call: one write per record) */
	for (i = 0; i < sizeof(image); i++)
		image[i] = TEESHM_TA_IMAGE_BYTE(i);
	rec(&b, FUZZ_CTL_WRITE, 13, 0, image, sizeof(image), OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0,
	    0, 0, 1);
	/* LOAD_TA into the buffer: ret 0, memref[1].size = 1000 (the params as the TA sent them) */
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_RPC_CMD_LOAD_TA;
	m.hdr.num_params = 2;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	m.p[1].attr = OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT;
	m.p[1].u.rmem.size = sizeof(image);
	m.p[1].u.rmem.shm_ref = 0x99;
	rec(&b, FUZZ_CTL_RESUME_ID | FUZZ_CTL_WRITE, 0, rpc_at, &m, msg_len(&m),
	    OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 0, 0, 0, 1);
	/* SHM_FREE: ret 0 */
	rec(&b, FUZZ_CTL_RESUME_ID | FUZZ_CTL_WRITE, 0,
	    (uint16_t)(rpc_at + offsetof(struct optee_msg_arg, ret)), &zero, sizeof(zero),
	    OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 0, 0, 0, 1);
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m.hdr.func = TA_BIGLOAD_CMD_SIZE;
	m.hdr.num_params = 1;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
	rec(&b, CALL_ON_SESSION, 1, 0, &m, msg_len(&m), OPTEE_SMC_CALL_WITH_RPC_ARG, 0, PAGE, 0, 0,
	    0, 1);
	save("fuzz_smc", name, &b);
}

/*
 * Regression (core_mm_check, sim/secure/mm/core_mm.c: the walk of the lazy list stopped once
 * the pages it had listed passed max_mappings): under "cached" (lazy TLB purge) one invoke
 * maps a 64-page temporary memref and unmaps it at the end of the call; more pages are then
 * pending than the harness's max_mappings (64), and the check failed though the books agreed.
 */
static void gen_lazy_pages(enum world w, const char *name)
{
	struct buf b;
	struct msg m;

	smc_begin(&b, w);
	open_echo(&b, 0, OPTEE_SMC_CALL_WITH_ARG);
	memset(&m, 0, sizeof(m));
	m.hdr.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m.hdr.func = TA_ECHO_CMD_TOUCH;
	m.hdr.num_params = 1;
	m.p[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INOUT;
	m.p[0].u.tmem.buf_ptr = 1; /* relocated: the window's first byte, 64 pages on from there */
	m.p[0].u.tmem.size = 64 * PAGE - 1;
	rec(&b, CALL_ON_SESSION, 1, 0, &m, msg_len(&m), OPTEE_SMC_CALL_WITH_ARG, 0, PAGE, 0, 0, 0,
	    1);
	save("fuzz_smc", name, &b);
}

/* An open whose arg lies in the guest's carveout slice (static shm, no mapping made). */
static void gen_carveout_open(enum world w, const char *name)
{
	struct buf b;
	struct msg m;

	smc_begin(&b, w);
	msg_open(&m, echo_octets);
	rec(&b, FUZZ_CTL_WRITE | FUZZ_AMODE_CARVEOUT, FUZZ_TGT_CARVEOUT | 1, 0, &m, msg_len(&m),
	    OPTEE_SMC_CALL_WITH_RPC_ARG, 0, PAGE, 0, 0, 0, 2);
	save("fuzz_smc", name, &b);
}

int main(int argc, char **argv)
{
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds OUT_DIR (writes OUT_DIR/fuzz_pagelist, OUT_DIR/fuzz_smc)\n");
		return 2;
	}
	out_dir = argv[1];
	for (i = 0; i < 2; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", out_dir, i ? "fuzz_smc" : "fuzz_pagelist");
		(void)mkdir(path, 0777); /* it may exist; a real problem shows when writing */
	}
	gen_pagelist();
	gen_fast_calls();
	echo_session(W_DYNAMIC, "echo_session", OPTEE_SMC_CALL_WITH_ARG);
	echo_session(W_CACHED, "echo_session_cached_rpc_arg", OPTEE_SMC_CALL_WITH_RPC_ARG);
	echo_session(W_RPC, "echo_session_rpc_strategy", OPTEE_SMC_CALL_WITH_ARG);
	gen_register(W_DYNAMIC, "register_shm");
	gen_register(W_CACHED, "register_shm_cached");
	gen_storage_rpc(W_DYNAMIC, "storage_rpc", PAGE);
	gen_storage_rpc(W_RPC, "storage_rpc_pool", 64 * PAGE);
	gen_bigload(W_DYNAMIC, "bigload_open");
	gen_carveout_open(W_CARVEOUT, "carveout_open");
	gen_lazy_pages(W_CACHED, "regress_core_mm_check_lazy_walk");
	return 0;
}
