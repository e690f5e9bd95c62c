/*
 * libFuzzer harness for the secure world's SMC dispatcher (sim/secure/secure_world.c), in
 * process: the input is a short sequence of SMCs from a hostile normal world (and hypervisor),
 * each optionally preceded by a write of fuzz bytes into one page of guest memory that a1:a2
 * or the message's buffers may point at.  Format: fuzz/smc_input.h.
 *
 * One small secure world per strategy is booted on first use and kept for the whole run
 * (booting costs milliseconds; an input should cost well under one): virtualization on, two
 * guests (clients 1 and 2; client 0 is the hypervisor, fast calls only), few threads, sessions
 * and pages per buffer so every limit is reachable.  Between inputs the state is reset by what
 * the hypervisor itself would do: VM_DESTROYED and VM_CREATED for both guests, then the guests'
 * windows are zeroed.  What is left across inputs: counters, session-id generations, the
 * strategy's global pools; an input that names a session uses FUZZ_CTL_SESSION instead of a
 * number, so replaying a crash alone behaves the same.
 *
 * Oracles (abort() on failure): sw_check() == 0 after every SMC; the result code is one the ABI
 * has; after the reset no guest holds a thread, session, shm object or mapping and the memory
 * manager maps the pages it mapped right after boot, no more.  Debugging aids: FUZZ_SMC_VERBOSE
 * and FUZZ_SMC_HISTORY (below, and fuzz/README.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/smc_input.h"
#include "sim/common/dram.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/strategy.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/secure/secure_world.h"

#define PAGE SMALL_PAGE_SIZE
#define WINDOW_BYTES ((uint64_t)FUZZ_WINDOW_PAGES * PAGE)
#define CARVEOUT_WINDOW_BYTES ((uint64_t)FUZZ_CARVEOUT_WINDOW_PAGES * PAGE)
#define NUM_THREADS 3u
#define REG_BYTES 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const strategies[] = { "dynamic", "cached", "rpc", "carveout" };
#define N_STRATEGIES (sizeof(strategies) / sizeof(strategies[0]))

static const uint32_t fids[] = {
	OPTEE_SMC_CALL_WITH_ARG,
	OPTEE_SMC_CALL_WITH_RPC_ARG,
	OPTEE_SMC_CALL_WITH_REGD_ARG,
	OPTEE_SMC_CALL_RETURN_FROM_RPC,
	OPTEE_SMC_EXCHANGE_CAPABILITIES,
	OPTEE_SMC_GET_SHM_CONFIG,
	OPTEE_SMC_GET_THREAD_COUNT,
	OPTEE_SMC_DISABLE_SHM_CACHE,
	OPTEE_SMC_ENABLE_SHM_CACHE,
	OPTEE_SMC_VM_CREATED,
	OPTEE_SMC_VM_DESTROYED,
	OPTEE_SMC_CALLS_UID,
	OPTEE_SMC_CALLS_REVISION,
	OPTEE_SMC_CALL_GET_OS_UUID,
	OPTEE_SMC_CALL_GET_OS_REVISION,
};
#define N_FIDS (sizeof(fids) / sizeof(fids[0]))

/* One booted world and the harness's own view of its DRAM. */
struct fuzz_world {
	bool tried;
	struct dram *dram;
	struct secure_world *sw;
	struct dram_view *view;
	paddr_t window[FUZZ_SMC_GUESTS];          /* start of guest g's RAM */
	paddr_t carveout_window[FUZZ_SMC_GUESTS]; /* start of guest g's part of its carveout slice */
	uint64_t boot_mapped_pages;
};

static struct fuzz_world worlds[N_STRATEGIES];

/*
 * The inputs run since boot, newest last, kept only when FUZZ_SMC_HISTORY names a directory:
 * a failure then writes them there (000000, 000001, ...) so that a crash which needs the
 * state earlier inputs left behind can be replayed by giving fuzz_smc those files in order
 * (fuzz/README.md).
 */
#define HISTORY_MAX 4096u
static const char *history_dir;
static uint8_t *history[HISTORY_MAX];
static size_t history_len[HISTORY_MAX];
static uint32_t history_n;
/* FUZZ_SMC_VERBOSE=1 in the environment: print every SMC and its result (to read a crash). */
static bool verbose, env_read;

/* What the sequence remembers between its calls. */
struct fuzz_seq {
	struct fuzz_world *w;
	uint64_t prev_a1, prev_a2;
	uint64_t last_thread;            /* a3 of the last RPC return */
	uint64_t last_session;           /* written back by the last successful open */
	uint64_t thread_arg_pa[NUM_THREADS]; /* the arg a suspended call was started with, or 0 */
};

static void history_dump(void)
{
	char path[4096];
	uint32_t i;

	for (i = 0; i < history_n; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%06u", history_dir, i);
		f = fopen(path, "wb");
		if (!f || fwrite(history[i], 1, history_len[i], f) != history_len[i] || fclose(f))
			fprintf(stderr, "fuzz_smc: cannot write %s\n", path);
	}
	fprintf(stderr, "fuzz_smc: %u inputs since boot written to %s\n", history_n, history_dir);
}

static void history_add(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (!history_dir)
		return;
	if (history_n == HISTORY_MAX) {
		free(history[0]);
		memmove(history, history + 1, (HISTORY_MAX - 1) * sizeof(history[0]));
		memmove(history_len, history_len + 1, (HISTORY_MAX - 1) * sizeof(history_len[0]));
		history_n--;
	}
	copy = malloc(size);
	if (!copy)
		return;
	memcpy(copy, data, size);
	history[history_n] = copy;
	history_len[history_n++] = size;
}

static void fail(const char *what, long detail)
{
	fprintf(stderr, "fuzz_smc: %s (%ld)\n", what, detail);
	if (history_dir)
		history_dump();
	abort();
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static void smc(struct fuzz_world *w, struct smc_regs *r)
{
	sw_smc(w->sw, r);
}

static uint32_t hyp_call(struct fuzz_world *w, uint32_t fid, uint64_t a1)
{
	struct smc_regs r = { { fid, a1, 0, 0, 0, 0, 0, OPTEE_SMC_HYP_CLIENT_ID } };

	smc(w, &r);
	return (uint32_t)r.a[0];
}

static void *host(struct fuzz_world *w, paddr_t pa, uint64_t len)
{
	void *p = dram_view_ptr(w->view, pa, len);

	if (!p)
		fail("a window page is not in the harness's view", (long)pa_addr(pa));
	return p;
}

static void zero_windows(struct fuzz_world *w)
{
	uint32_t g;

	for (g = 0; g < FUZZ_SMC_GUESTS; g++) {
		memset(host(w, w->window[g], WINDOW_BYTES), 0, WINDOW_BYTES);
		memset(host(w, w->carveout_window[g], CARVEOUT_WINDOW_BYTES), 0,
		       CARVEOUT_WINDOW_BYTES);
	}
}

static int world_boot(struct fuzz_world *w, const char *strategy)
{
	struct strategy_params params;
	struct carveout_split split;
	struct carveout_slice slice;
	const struct dram_region *carveout;
	struct dram_config dc;
	struct sw_config cfg;
	char err[256];
	uint32_t g;
	int id;

	dram_config_default(&dc);
	dc.n_guests = FUZZ_SMC_GUESTS;
	dc.guest_ram_bytes = 2ull << 20;
	if (dram_create(&dc, &w->dram, err, sizeof(err)) ||
	    dram_view_open_all(w->dram, &w->view)) {
		fprintf(stderr, "fuzz_smc: DRAM: %s\n", err);
		return -1;
	}
	sw_config_default(&cfg);
	cfg.virtualization = true;
	cfg.max_guests = FUZZ_SMC_GUESTS;
	cfg.num_threads = NUM_THREADS;
	cfg.max_sessions = 8;
	cfg.max_shm = 16;
	cfg.max_pages_per_buffer = 64;
	cfg.mm.max_mappings = 64;
	cfg.mm.max_pa_runs = 256;
	cfg.strategy = strategy;
	if (sw_create(&cfg, w->dram, &w->sw, err, sizeof(err))) {
		fprintf(stderr, "fuzz_smc: %s: %s\n", strategy, err);
		return -1;
	}
	/* The carveout slices as the secure world splits them (sw_shm.c). */
	id = strategy_find(strategy);
	strategy_params_default((enum strategy_id)id, &params);
	carveout = dram_region_find(w->dram->layout, DRAM_CARVEOUT, 0);
	if (!carveout || carveout_split_init(&split, carveout->base, carveout->size_bytes,
					     dc.n_guests, params.carveout_vm_bytes, err,
					     sizeof(err)))
		return -1;
	for (g = 0; g < FUZZ_SMC_GUESTS; g++) {
		w->window[g] = dram_region_find(w->dram->layout, DRAM_GUEST_RAM, g)->base;
		if (carveout_split_slice(&split, g, &slice) ||
		    slice.guest_bytes < CARVEOUT_WINDOW_BYTES)
			return -1;
		w->carveout_window[g] = slice.guest_pa;
		if (hyp_call(w, OPTEE_SMC_VM_CREATED, g + 1) != OPTEE_SMC_RETURN_OK)
			return -1;
	}
	w->boot_mapped_pages = sw_mm(w->sw)->stats.mapped_pages;
	zero_windows(w);
	return 0;
}

static struct fuzz_world *world_get(uint8_t selector)
{
	struct fuzz_world *w = &worlds[selector % N_STRATEGIES];

	if (!w->tried) {
		w->tried = true;
		if (world_boot(w, strategies[selector % N_STRATEGIES]))
			fail("cannot boot the secure world", selector % N_STRATEGIES);
	}
	return w;
}

/* Guest index (0-based) a client's windows belong to: client 0 borrows guest 0's. */
static uint32_t guest_of(uint32_t client)
{
	return client ? client - 1 : 0;
}

static uint64_t reloc(const struct fuzz_world *w, uint32_t guest, uint64_t x)
{
	return pa_addr(w->window[guest]) + x % WINDOW_BYTES;
}

/* After a write: make the arg's memrefs (and session) point where the fuzzer can reach. */
static void reloc_arg(struct fuzz_seq *s, uint32_t guest, uint8_t *at, size_t len, bool session)
{
	struct optee_msg_arg hdr;
	struct optee_msg_param p;
	size_t i, n;

	if (len < sizeof(hdr))
		return;
	memcpy(&hdr, at, sizeof(hdr));
	if (session) {
		hdr.session = (uint32_t)s->last_session;
		memcpy(at, &hdr, sizeof(hdr));
	}
	n = (len - sizeof(hdr)) / sizeof(p);
	for (i = 0; i < n; i++) {
		uint8_t *pp = at + sizeof(hdr) + i * sizeof(p);
		uint32_t type;

		memcpy(&p, pp, sizeof(p));
		type = (uint32_t)(p.attr & OPTEE_MSG_ATTR_TYPE_MASK);
		if (type < OPTEE_MSG_ATTR_TYPE_TMEM_INPUT || type > OPTEE_MSG_ATTR_TYPE_TMEM_INOUT ||
		    p.u.tmem.buf_ptr == 0)
			continue;
		p.u.tmem.buf_ptr = reloc(s->w, guest, p.u.tmem.buf_ptr);
		memcpy(pp, &p, sizeof(p));
	}
}

static void reloc_list(struct fuzz_seq *s, uint32_t guest, uint8_t *page, size_t from, size_t to)
{
	size_t i;

	for (i = (from + 7) & ~(size_t)7; i + 8 <= to; i += 8) {
		uint64_t e;

		memcpy(&e, page + i, 8);
		if (e) {
			e = reloc(s->w, guest, e);
			memcpy(page + i, &e, 8);
		}
	}
}

/* A record's page write, as decoded: where, and which bytes of the input. */
struct page_write {
	uint8_t target;
	uint32_t off, len;
	const uint8_t *bytes;
};

/* Decode the page write at in; returns the bytes of input it takes. */
static size_t page_write_decode(const uint8_t *in, size_t avail, struct page_write *pw)
{
	memset(pw, 0, sizeof(*pw));
	if (avail < 5)
		return avail;
	pw->target = in[0];
	pw->off = (uint32_t)get_le(in + 1, 2) % PAGE;
	pw->len = (uint32_t)get_le(in + 3, 2);
	if (pw->len > PAGE - pw->off)
		pw->len = PAGE - pw->off;
	if (pw->len > avail - 5)
		pw->len = (uint32_t)(avail - 5);
	pw->bytes = in + 5;
	return 5 + pw->len;
}

static void page_write_do(struct fuzz_seq *s, uint8_t ctl, uint32_t client,
			  const struct page_write *pw)
{
	struct fuzz_world *w = s->w;
	uint32_t guest = guest_of(client);
	uint8_t *page;
	paddr_t pa;

	if (pw->target & FUZZ_TGT_OTHER)
		guest ^= 1;
	if (pw->target & FUZZ_TGT_CARVEOUT)
		pa = pa_add(w->carveout_window[guest],
			    (uint64_t)(pw->target % FUZZ_CARVEOUT_WINDOW_PAGES) * PAGE);
	else
		pa = pa_add(w->window[guest], (uint64_t)(pw->target & FUZZ_TGT_PAGE_MASK) * PAGE);
	page = host(w, pa, PAGE);
	if (pw->len)
		memcpy(page + pw->off, pw->bytes, pw->len);
	if (ctl & FUZZ_CTL_RELOC_ARG)
		reloc_arg(s, guest, page + pw->off, pw->len, ctl & FUZZ_CTL_SESSION);
	if (ctl & FUZZ_CTL_RELOC_LIST)
		reloc_list(s, guest, page, pw->off, pw->off + pw->len);
}

static bool known_result(uint32_t a0)
{
	switch (a0) {
	case OPTEE_SMC_RETURN_OK:
	case OPTEE_SMC_RETURN_ETHREAD_LIMIT:
	case OPTEE_SMC_RETURN_EBUSY:
	case OPTEE_SMC_RETURN_ERESUME:
	case OPTEE_SMC_RETURN_EBADADDR:
	case OPTEE_SMC_RETURN_EBADCMD:
	case OPTEE_SMC_RETURN_ENOMEM:
	case OPTEE_SMC_RETURN_ENOTAVAIL:
	case OPTEE_SMC_RETURN_UNKNOWN_FUNCTION:
	case OPTEE_SMC_RETURN_RPC_ALLOC:
	case OPTEE_SMC_RETURN_RPC_FREE:
	case OPTEE_SMC_RETURN_RPC_CMD:
		return true;
	default:
		return false;
	}
}

/* A call that finished with OK: remember the session an OPEN_SESSION got. */
static void note_done(struct fuzz_seq *s, uint64_t arg_pa)
{
	const struct optee_msg_arg *a;

	if (!arg_pa)
		return;
	a = dram_view_ptr(s->w->view, pa_init(arg_pa), sizeof(*a));
	if (a && verbose)
		fprintf(stderr, "  arg cmd %u ret 0x%08x origin %u session 0x%x\n", a->cmd, a->ret,
			a->ret_origin, a->session);
	if (a && a->cmd == OPTEE_MSG_CMD_OPEN_SESSION && a->ret == TEE_SUCCESS)
		s->last_session = a->session;
}

static void one_call(struct fuzz_seq *s, uint8_t ctl, struct smc_regs *r)
{
	uint32_t client = (uint32_t)(r->a[7] % (FUZZ_SMC_GUESTS + 1)), guest = guest_of(client);
	uint64_t pa = 0, sent_a3;
	uint32_t fid, rv;
	bool data_in_a0;
	int rc;

	r->a[7] = client;
	if (ctl & FUZZ_CTL_FID_TABLE)
		r->a[0] = fids[r->a[0] % N_FIDS];
	switch (ctl & FUZZ_CTL_AMODE_MASK) {
	case FUZZ_AMODE_WINDOW:
		pa = reloc(s->w, guest, r->a[2]);
		break;
	case FUZZ_AMODE_CARVEOUT:
		pa = pa_addr(s->w->carveout_window[guest]) + r->a[2] % CARVEOUT_WINDOW_BYTES;
		break;
	case FUZZ_AMODE_PREV:
		pa = optee_smc_reg_pair_to_u64((uint32_t)s->prev_a1, (uint32_t)s->prev_a2);
		break;
	default:
		pa = optee_smc_reg_pair_to_u64((uint32_t)r->a[1], (uint32_t)r->a[2]);
		break;
	}
	if ((ctl & FUZZ_CTL_AMODE_MASK) != FUZZ_AMODE_RAW) {
		r->a[1] = optee_smc_u64_high(pa);
		r->a[2] = optee_smc_u64_low(pa);
	}
	if (ctl & FUZZ_CTL_RESUME_ID)
		r->a[3] = s->last_thread;
	fid = (uint32_t)r->a[0];
	sent_a3 = r->a[3];

	smc(s->w, r);

	rv = (uint32_t)r->a[0];
	/* These four answer with data in a0, not a result code. */
	data_in_a0 = fid == OPTEE_SMC_CALLS_UID || fid == OPTEE_SMC_CALLS_REVISION ||
		     fid == OPTEE_SMC_CALL_GET_OS_UUID || fid == OPTEE_SMC_CALL_GET_OS_REVISION;
	if (verbose)
		fprintf(stderr, "smc client %u fid 0x%08x a1:a2 0x%llx a3 %llu -> 0x%08x a1 0x%llx "
			"a2 0x%llx a3 %llu\n", client, fid, (unsigned long long)pa,
			(unsigned long long)sent_a3, rv, (unsigned long long)r->a[1],
			(unsigned long long)r->a[2], (unsigned long long)r->a[3]);
	if (!data_in_a0 && !known_result(rv))
		fail("an SMC result the ABI does not have", (long)rv);
	if ((rc = sw_check(s->w->sw)))
		fail("sw_check failed after an SMC", rc);
	s->prev_a1 = r->a[1];
	s->prev_a2 = r->a[2];
	if (fid == OPTEE_SMC_CALL_WITH_ARG || fid == OPTEE_SMC_CALL_WITH_RPC_ARG) {
		if (optee_smc_return_is_rpc(rv) && r->a[3] < NUM_THREADS)
			s->thread_arg_pa[r->a[3]] = pa;
		else if (rv == OPTEE_SMC_RETURN_OK)
			note_done(s, pa);
	} else if (fid == OPTEE_SMC_CALL_RETURN_FROM_RPC && rv == OPTEE_SMC_RETURN_OK &&
		   sent_a3 < NUM_THREADS) {
		/* Resumed to the end: the arg is the one the call began with. */
		note_done(s, s->thread_arg_pa[sent_a3]);
		s->thread_arg_pa[sent_a3] = 0;
	}
	if (optee_smc_return_is_rpc(rv))
		s->last_thread = r->a[3];
}

/* Back to the state after boot: what the hypervisor does when both guests reboot. */
static void reset(struct fuzz_world *w)
{
	struct sw_client_info in;
	uint32_t g;
	int rc;

	for (g = 1; g <= FUZZ_SMC_GUESTS; g++) {
		(void)hyp_call(w, OPTEE_SMC_VM_DESTROYED, g); /* ENOTAVAIL if the input did it */
		if (hyp_call(w, OPTEE_SMC_VM_CREATED, g) != OPTEE_SMC_RETURN_OK)
			fail("VM_CREATED refused after VM_DESTROYED", g);
	}
	if ((rc = sw_check(w->sw)))
		fail("sw_check failed after the reset", rc);
	for (g = 0; g <= FUZZ_SMC_GUESTS; g++) {
		if (sw_client_info(w->sw, (uint16_t)g, &in))
			fail("sw_client_info", g);
		if (in.threads_running || in.threads_suspended || in.sessions ||
		    in.shm_registered || in.shm_deferred || in.mappings)
			fail("a client holds something after VM_DESTROYED/VM_CREATED", g);
	}
	if (sw_mm(w->sw)->stats.mapped_pages != w->boot_mapped_pages)
		fail("pages stay mapped after every guest was destroyed",
		     (long)sw_mm(w->sw)->stats.mapped_pages);
	zero_windows(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_seq s;
	size_t at = 1;
	uint32_t n;

	if (size < 2)
		return 0;
	if (!env_read) {
		env_read = true;
		history_dir = getenv("FUZZ_SMC_HISTORY");
		verbose = getenv("FUZZ_SMC_VERBOSE") != NULL;
	}
	history_add(data, size);
	memset(&s, 0, sizeof(s));
	s.w = world_get(data[0]);
	for (n = 0; n < FUZZ_SMC_MAX_CALLS && at < size; n++) {
		uint8_t ctl = data[at++], regbuf[REG_BYTES] = { 0 };
		bool write = ctl & FUZZ_CTL_WRITE;
		struct page_write pw;
		struct smc_regs r;
		size_t take, i;

		if (write)
			at += page_write_decode(data + at, size - at, &pw);
		take = size - at < REG_BYTES ? size - at : REG_BYTES;
		memcpy(regbuf, data + at, take);
		at += take;
		for (i = 0; i < 8; i++)
			r.a[i] = get_le(regbuf + 8 * i, 8);
		/* The write goes to the caller's memory (or the other guest's): a7 says who. */
		if (write)
			page_write_do(&s, ctl, (uint32_t)(r.a[7] % (FUZZ_SMC_GUESTS + 1)), &pw);
		one_call(&s, ctl, &r);
	}
	reset(s.w);
	return 0;
}
