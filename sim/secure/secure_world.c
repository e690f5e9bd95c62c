/*
 * The secure world: boot, the SMC dispatcher, VM lifecycle, invariants.
 *
 * Boot maps what OP-TEE maps statically (core and TA RAM secure, the 1 MiB
 * carveout non-secure, all at VA == PA), sets up the shared-memory strategy
 * (strategy_sw.h) and starts the secure threads.
 *
 * Dispatch (sw_smc), under the big lock:
 *  - fast calls answer at once (OP-TEE's tee_entry_fast);
 *  - CALL_WITH_ARG / _RPC_ARG / _REGD_ARG take a free secure thread
 *    (ETHREAD_LIMIT when none) and run on it until it finishes or suspends
 *    for an RPC; RETURN_FROM_RPC (a3 = thread id) resumes a suspended thread
 *    of the same client, else ERESUME.
 * Client ids (a7): 0 alone without virtualization.  With it, 0 is the
 * hypervisor (fast calls only: capabilities, VM_CREATED/VM_DESTROYED, ...) and
 * guests 1..max_guests must have been VM_CREATED; others get ENOTAVAIL.
 *
 * VM_DESTROYED reclaims everything of a guest: its suspended calls are
 * unwound without it (every further RPC fails, nothing is written back or
 * returned to it), then its sessions are closed, its registered shm unmapped
 * and core_mm_vm_destroyed() takes whatever mapping could remain.
 */
#define _POSIX_C_SOURCE 200809L
#include "sim/secure/secure_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/errmsg.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/core_memprot.h"
#include "sim/secure/platform.h"
#include "sim/secure/sw_internal.h"
#include "sim/secure/ta/ta.h"

/* OP-TEE's OS UUID 486178e0-e7f8-11e3-bc5e-0002a5d5c51b (GET_OS_UUID). */
#define SW_OS_UUID_0 0x486178e0u
#define SW_OS_UUID_1 0xe7f811e3u
#define SW_OS_UUID_2 0xbc5e0002u
#define SW_OS_UUID_3 0xa5d5c51bu

void sw_config_default(struct sw_config *cfg)
{
	*cfg = (struct sw_config){
		.num_threads = 8,
		.virtualization = false,
		.max_guests = 63,
		.max_sessions = 256,
		.max_shm = 4096,
		.max_pages_per_buffer = 16384, /* 64 MiB */
		.regd_arg_rpc_inline = true,   /* as OP-TEE's std_entry_with_regd_arg */
		.strategy = "dynamic",
	};
	core_mm_config_default(&cfg->mm);
}

struct core_mm *sw_mm(struct secure_world *sw)
{
	return &sw->mm;
}

void sw_timeline_note(struct secure_world *sw, uint32_t client, const char *text)
{
	pthread_mutex_lock(&sw->lock); /* the metrics clock is read under it, as in sw_smc */
	sw_event(sw, client, "%s", text);
	pthread_mutex_unlock(&sw->lock);
}

/* Static areas as OP-TEE maps them at boot (the same as `teeshm mm`). */
static int map_statics(struct secure_world *sw)
{
	const struct dram_layout *l = sw->dram->layout;
	const struct dram_region *core = dram_region_find(l, DRAM_SECURE_CORE, 0);
	const struct dram_region *ta = dram_region_find(l, DRAM_TA_RAM, 0);
	int rc;

	if (!core || !ta)
		return TS_ENOENT;
	if ((rc = core_mm_add_static(&sw->mm, MEM_AREA_TEE_RAM, core->base, core->size_bytes,
				     va_init(pa_addr(core->base)), PGT_ATTR_MEM_NORMAL)) ||
	    (rc = core_mm_add_static(&sw->mm, MEM_AREA_TA_RAM, ta->base, ta->size_bytes,
				     va_init(pa_addr(ta->base)),
				     PGT_ATTR_MEM_NORMAL | PGT_ATTR_XN)))
		return rc;
	if (sw->carveout)
		rc = core_mm_add_static(&sw->mm, MEM_AREA_NSEC_SHM, sw->carveout->base,
					sw->carveout->size_bytes,
					va_init(pa_addr(sw->carveout->base)),
					PGT_ATTR_MEM_NORMAL | PGT_ATTR_XN);
	return rc;
}

int sw_create(const struct sw_config *cfg_in, const struct dram *dram, struct secure_world **out,
	      char *err, size_t err_len)
{
	struct core_mm_platform plat;
	const struct sw_strategy_ops *ops;
	struct strategy_params params;
	struct secure_world *sw;
	int id = STRATEGY_DYNAMIC;
	size_t meta_bytes;
	int rc;

	*out = NULL;
	if (!cfg_in || !dram)
		return ts_errf(err, err_len, TS_EINVAL, "secure world: no config or DRAM");
	if (cfg_in->num_threads == 0 || cfg_in->num_threads > 4096)
		return ts_errf(err, err_len, TS_EINVAL, "secure world: num_threads %u not in 1..4096",
			    cfg_in->num_threads);
	if (cfg_in->virtualization && cfg_in->max_guests == 0)
		return ts_errf(err, err_len, TS_EINVAL,
			    "secure world: virtualization needs max_guests > 0");
	if (cfg_in->max_pages_per_buffer == 0 ||
	    cfg_in->max_pages_per_buffer > OPTEE_PAGELIST_MAX_ENTRIES)
		return ts_errf(err, err_len, TS_EINVAL,
			    "secure world: max_pages_per_buffer %u not in 1..%u",
			    cfg_in->max_pages_per_buffer, (unsigned)OPTEE_PAGELIST_MAX_ENTRIES);
	if (cfg_in->strategy) {
		id = strategy_find(cfg_in->strategy);
		if (id < 0)
			return ts_errf(err, err_len, TS_EINVAL,
				    "secure world: unknown strategy \"%s\" (carveout, dynamic, "
				    "cached or rpc)", cfg_in->strategy);
	}
	if (!sw_strategy_ops_find((enum strategy_id)id))
		return ts_errf(err, err_len, TS_ENOSYS,
			    "secure world: strategy \"%s\" not implemented yet",
			    strategy_name((enum strategy_id)id));
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return ts_errf(err, err_len, TS_ENOMEM, "secure world: out of memory");
	sw->cfg = *cfg_in;
	/* Our own copies: the caller's name and params need not outlive this call. */
	sw->strategy_id = (enum strategy_id)id;
	sw->cfg.strategy = strategy_name(sw->strategy_id);
	sw->cfg.strategy_params = NULL;
	sw_metrics_init(&sw->metrics, cfg_in->profile);
	if (cfg_in->strategy_params)
		params = *cfg_in->strategy_params;
	else
		strategy_params_default(sw->strategy_id, &params);
	params.id = sw->strategy_id;
	/* "cached" batches the TLBIs of its unmaps (strategy_params.lazy_purge_pages). */
	if (sw->strategy_id == STRATEGY_CACHED && !sw->cfg.mm.lazy_purge_pages)
		sw->cfg.mm.lazy_purge_pages = params.lazy_purge_pages;
	if (!sw->cfg.virtualization)
		sw->cfg.max_guests = 0;
	/* The memory manager's VM id is the client id: ids 0..max_guests. */
	if (sw->cfg.mm.max_vms < (uint32_t)sw->cfg.max_guests + 1)
		sw->cfg.mm.max_vms = (uint16_t)(sw->cfg.max_guests + 1);
	sw->dram = dram;
	sw->n_clients = (uint32_t)sw->cfg.max_guests + 1;
	pthread_mutex_init(&sw->lock, NULL);
	pthread_cond_init(&sw->cv_yield, NULL);

	sw->clients = calloc(sw->n_clients, sizeof(*sw->clients));
	if (!sw->clients) {
		rc = ts_errf(err, err_len, TS_ENOMEM, "secure world: out of memory");
		goto out;
	}
	if ((rc = sw_shm_table_init(&sw->shm, sw->cfg.max_shm))) {
		rc = ts_errf(err, err_len, rc, "secure world: max_shm %u: %s", sw->cfg.max_shm,
			  ts_strerror(rc));
		goto out;
	}
	if ((rc = sw_session_table_init(&sw->sessions, sw->cfg.max_sessions))) {
		rc = ts_errf(err, err_len, rc, "secure world: max_sessions %u: %s",
			  sw->cfg.max_sessions, ts_strerror(rc));
		goto out;
	}
	if ((rc = dram_view_open_all(dram, &sw->view))) {
		rc = ts_errf(err, err_len, rc, "secure world: cannot map DRAM: %s", ts_strerror(rc));
		goto out;
	}
	sw->carveout = dram_region_find(dram->layout, DRAM_CARVEOUT, 0);
	if ((rc = secure_platform_from_dram(sw->view, sw->cfg.xlat_tables, &plat))) {
		rc = ts_errf(err, err_len, rc, "secure world: platform: %s", ts_strerror(rc));
		goto out;
	}
	meta_bytes = core_mm_metadata_bytes(&sw->cfg.mm, plat.xlat_pool_tables);
	sw->mm_meta = aligned_alloc(8, (meta_bytes + 7) & ~(size_t)7);
	if (!sw->mm_meta) {
		rc = ts_errf(err, err_len, TS_ENOMEM, "secure world: out of memory for MM metadata");
		goto out;
	}
	if ((rc = core_mm_init(&sw->mm, &sw->cfg.mm, &plat, sw->mm_meta, meta_bytes))) {
		rc = ts_errf(err, err_len, rc, "secure world: core_mm_init: %s", ts_strerror(rc));
		goto out;
	}
	if ((rc = map_statics(sw))) {
		rc = ts_errf(err, err_len, rc, "secure world: static mappings: %s", ts_strerror(rc));
		goto out;
	}
	if (!sw->cfg.virtualization) {
		/* The lone normal world is client 0 and VM 0, alive from boot. */
		if ((rc = core_mm_vm_created(&sw->mm, 0))) {
			rc = ts_errf(err, err_len, rc, "secure world: VM 0: %s", ts_strerror(rc));
			goto out;
		}
		sw->clients[0].alive = true;
	}
	if (!core_memprot_mm()) {
		core_memprot_set_mm(&sw->mm);
		sw->memprot_registered = true;
	}
	ops = sw_strategy_ops_find(sw->strategy_id);
	if ((rc = ops->init(&sw->strategy, sw, &params))) {
		rc = ts_errf(err, err_len, rc, "secure world: strategy %s: %s", ops->name,
			  ts_strerror(rc));
		goto out;
	}
	sw->strategy.ops = ops; /* from now on sw_destroy finishes it */
	if ((rc = sw_threads_start(sw))) {
		rc = ts_errf(err, err_len, rc, "secure world: %u threads: %s", sw->cfg.num_threads,
			  ts_strerror(rc));
		goto out;
	}
	*out = sw;
	return 0;
out:
	sw_destroy(sw);
	return rc;
}

/* ---- Reclaiming a client ---- */

/*
 * Unwind and free everything a client holds (big lock held): its calls
 * first (they release their own mappings), then sessions, the strategy's
 * per-VM state, registered shm, and whatever the memory manager still books
 * against the VM.
 */
static void reclaim_client(struct secure_world *sw, uint16_t client)
{
	struct sw_client *c = sw_client_of(sw, client);
	struct sw_call dead;
	uint32_t i;
	int rc;

	c->alive = false; /* no new call is accepted from now on */
	c->reclaiming = true;
	sw_threads_wait_quiet(sw, client);
	for (i = 0; i < sw->cfg.num_threads; i++) {
		struct sw_thread *t = &sw->threads[i];
		struct smc_regs io = { { 0 } };

		if (t->state != SW_THREAD_SUSPENDED || t->client != client)
			continue;
		t->abandon = true;
		sw_thread_run(sw, t, &io); /* runs to completion; io goes nowhere */
	}
	sw_call_init_dead(&dead, sw, client);
	for (i = 0; i < sw->sessions.n_slots; i++) {
		struct sw_session *s = &sw->sessions.slots[i];

		if (!s->id || s->client != client)
			continue;
		if (s->opened)
			s->ta->close_session(&dead, s->ta_ctx);
		sw_session_free(&sw->sessions, s);
		c->n_sessions--;
	}
	sw->strategy.ops->vm_destroyed(&sw->strategy, client);
	sw_shm_release_client(sw, client);
	rc = core_mm_vm_destroyed(&sw->mm, client);
	if (rc > 0)
		c->stats.vm_reclaimed_mappings += (uint64_t)rc;
	c->n_mappings = 0;
	c->reclaiming = false;
	sw_metrics_sample(sw);
}

void sw_destroy(struct secure_world *sw)
{
	uint32_t i;

	if (!sw)
		return;
	if (sw->threads) {
		pthread_mutex_lock(&sw->lock);
		sw->stopping = true;
		for (i = 0; i < sw->n_clients; i++)
			if (sw->clients[i].alive || sw->clients[i].n_threads)
				reclaim_client(sw, (uint16_t)i);
		pthread_mutex_unlock(&sw->lock);
		sw_threads_stop(sw);
	}
	if (sw->strategy.ops && sw->strategy.ops->fini)
		sw->strategy.ops->fini(&sw->strategy);
	if (sw->memprot_registered)
		core_memprot_set_mm(NULL);
	if (sw->view)
		dram_view_close(sw->view);
	sw_session_table_fini(&sw->sessions);
	sw_shm_table_fini(&sw->shm);
	free(sw->mm_meta);
	free(sw->clients);
	pthread_cond_destroy(&sw->cv_yield);
	pthread_mutex_destroy(&sw->lock);
	free(sw);
}

/* ---- Fast calls ---- */

static void count_smc_failure(struct sw_stats *st, uint32_t a0)
{
	switch (a0) {
	case OPTEE_SMC_RETURN_ETHREAD_LIMIT:
		st->smc_ethread_limit++;
		break;
	case OPTEE_SMC_RETURN_ERESUME:
		st->smc_eresume++;
		break;
	case OPTEE_SMC_RETURN_EBADADDR:
		st->smc_ebadaddr++;
		break;
	case OPTEE_SMC_RETURN_EBADCMD:
		st->smc_ebadcmd++;
		break;
	case OPTEE_SMC_RETURN_ENOMEM:
		st->smc_enomem++;
		break;
	case OPTEE_SMC_RETURN_ENOTAVAIL:
		st->smc_enotavail++;
		break;
	case OPTEE_SMC_RETURN_UNKNOWN_FUNCTION:
		st->smc_unknown_function++;
		break;
	default:
		break;
	}
}

static void set_regs(struct smc_regs *r, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	r->a[0] = (uint32_t)a0;
	r->a[1] = (uint32_t)a1;
	r->a[2] = (uint32_t)a2;
	r->a[3] = (uint32_t)a3;
}

static uint32_t vm_created(struct secure_world *sw, uint32_t guest)
{
	if (guest == 0 || guest > sw->cfg.max_guests || sw->clients[guest].alive ||
	    sw->clients[guest].reclaiming || sw->clients[guest].n_threads)
		return OPTEE_SMC_RETURN_ENOTAVAIL;
	if (core_mm_vm_created(&sw->mm, (uint16_t)guest))
		return OPTEE_SMC_RETURN_ENOTAVAIL;
	sw->clients[guest] = (struct sw_client){ .alive = true,
						  .stats = sw->clients[guest].stats };
	return OPTEE_SMC_RETURN_OK;
}

static uint32_t vm_destroyed(struct secure_world *sw, uint32_t guest)
{
	if (guest == 0 || guest > sw->cfg.max_guests || !sw->clients[guest].alive)
		return OPTEE_SMC_RETURN_ENOTAVAIL;
	reclaim_client(sw, (uint16_t)guest);
	return OPTEE_SMC_RETURN_OK;
}

/*
 * One buffer of what the strategy keeps for client, handed back per call as
 * OP-TEE hands back its cached RPC args: OK with the cookie in a1:a2 (the
 * driver frees it and asks again), EBUSY while calls use one, ENOTAVAIL
 * once nothing is left.
 */
static void disable_shm_cache(struct secure_world *sw, uint32_t client, struct smc_regs *r)
{
	uint64_t cookie = 0;
	int rc = TS_ENOENT;

	if (client < sw->n_clients && sw->clients[client].alive && sw->strategy.ops->cache_disable)
		rc = sw->strategy.ops->cache_disable(&sw->strategy, (uint16_t)client, &cookie);
	if (rc)
		set_regs(r, rc == TS_EBUSY ? OPTEE_SMC_RETURN_EBUSY : OPTEE_SMC_RETURN_ENOTAVAIL,
			 0, 0, 0);
	else
		set_regs(r, OPTEE_SMC_RETURN_OK, optee_smc_u64_high(cookie),
			 optee_smc_u64_low(cookie), 0);
}

static void fast_call(struct secure_world *sw, uint32_t client, struct smc_regs *r)
{
	uint32_t fid = (uint32_t)r->a[0], caps;

	switch (fid) {
	case OPTEE_SMC_CALLS_UID:
		set_regs(r, OPTEE_MSG_UID_0, OPTEE_MSG_UID_1, OPTEE_MSG_UID_2, OPTEE_MSG_UID_3);
		break;
	case OPTEE_SMC_CALLS_REVISION:
		set_regs(r, OPTEE_MSG_REVISION_MAJOR, OPTEE_MSG_REVISION_MINOR, 0, 0);
		break;
	case OPTEE_SMC_CALL_GET_OS_UUID:
		set_regs(r, SW_OS_UUID_0, SW_OS_UUID_1, SW_OS_UUID_2, SW_OS_UUID_3);
		break;
	case OPTEE_SMC_CALL_GET_OS_REVISION:
		set_regs(r, SW_OS_REVISION_MAJOR, SW_OS_REVISION_MINOR, 0, 0);
		break;
	case OPTEE_SMC_EXCHANGE_CAPABILITIES:
		caps = OPTEE_SMC_SEC_CAP_MEMREF_NULL | OPTEE_SMC_SEC_CAP_RPC_ARG;
		if (sw_dynamic_shm(sw))
			caps |= OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
		if (sw->carveout)
			caps |= OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM;
		if (sw->cfg.virtualization)
			caps |= OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
		set_regs(r, OPTEE_SMC_RETURN_OK, caps, 0, SW_RPC_NUM_PARAMS);
		break;
	case OPTEE_SMC_GET_SHM_CONFIG:
		if (!sw->carveout) {
			set_regs(r, OPTEE_SMC_RETURN_ENOTAVAIL, 0, 0, 0);
			break;
		}
		/* SMC32: the carveout lies below 4 GiB on every layout we build. */
		set_regs(r, OPTEE_SMC_RETURN_OK, pa_addr(sw->carveout->base),
			 sw->carveout->size_bytes, OPTEE_SMC_SHM_CACHED);
		break;
	case OPTEE_SMC_GET_THREAD_COUNT:
		set_regs(r, OPTEE_SMC_RETURN_OK, sw->cfg.num_threads, 0, 0);
		break;
	case OPTEE_SMC_ENABLE_SHM_CACHE:
		set_regs(r, OPTEE_SMC_RETURN_OK, 0, 0, 0);
		break;
	case OPTEE_SMC_DISABLE_SHM_CACHE:
		disable_shm_cache(sw, client, r);
		sw_metrics_sample(sw);
		break;
	case OPTEE_SMC_VM_CREATED:
	case OPTEE_SMC_VM_DESTROYED:
		if (!sw->cfg.virtualization) {
			set_regs(r, OPTEE_SMC_RETURN_UNKNOWN_FUNCTION, 0, 0, 0);
			break;
		}
		if (client != OPTEE_SMC_HYP_CLIENT_ID) {
			set_regs(r, OPTEE_SMC_RETURN_ENOTAVAIL, 0, 0, 0);
			break;
		}
		set_regs(r, fid == OPTEE_SMC_VM_CREATED ? vm_created(sw, (uint32_t)r->a[1]) :
							  vm_destroyed(sw, (uint32_t)r->a[1]),
			 0, 0, 0);
		break;
	default:
		set_regs(r, OPTEE_SMC_RETURN_UNKNOWN_FUNCTION, 0, 0, 0);
		break;
	}
}

/* ---- Yielding calls ---- */

static void yielding_call(struct secure_world *sw, uint16_t client, struct smc_regs *r)
{
	struct sw_client *c = sw_client_of(sw, client);
	uint32_t fid = (uint32_t)r->a[0];
	struct sw_thread *t;
	struct smc_regs io = { { 0 } };
	uint32_t id;
	int i;

	switch (fid) {
	case OPTEE_SMC_CALL_WITH_ARG:
	case OPTEE_SMC_CALL_WITH_RPC_ARG:
	case OPTEE_SMC_CALL_WITH_REGD_ARG:
		t = sw_thread_claim(sw, client);
		if (!t) {
			set_regs(r, OPTEE_SMC_RETURN_ETHREAD_LIMIT, 0, 0, 0);
			return;
		}
		c->stats.yielding_calls++;
		for (i = 0; i < 4; i++)
			io.a[i] = (uint32_t)r->a[i];
		break;
	case OPTEE_SMC_CALL_RETURN_FROM_RPC:
		id = (uint32_t)r->a[3];
		t = id < sw->cfg.num_threads ? &sw->threads[id] : NULL;
		if (!t || t->state != SW_THREAD_SUSPENDED || t->client != client || t->abandon ||
		    t->secure_turn) {
			set_regs(r, OPTEE_SMC_RETURN_ERESUME, 0, 0, 0);
			return;
		}
		c->stats.resumes++;
		for (i = 1; i <= 5; i++)
			io.a[i] = (uint32_t)r->a[i];
		break;
	default:
		set_regs(r, OPTEE_SMC_RETURN_UNKNOWN_FUNCTION, 0, 0, 0);
		return;
	}
	sw_thread_run(sw, t, &io);
	for (i = 0; i < 7; i++)
		r->a[i] = io.a[i];
	if (io.a[0] == OPTEE_SMC_RETURN_OK)
		c->stats.calls_done++;
}

/* The client a call comes from, or NULL if it may not call now. */
static struct sw_client *caller(struct secure_world *sw, uint32_t client, bool fast)
{
	if (!sw->cfg.virtualization)
		return client == 0 ? &sw->clients[0] : NULL;
	if (client == OPTEE_SMC_HYP_CLIENT_ID)
		return fast ? &sw->clients[0] : NULL;
	if (client > sw->cfg.max_guests || !sw->clients[client].alive)
		return NULL;
	return &sw->clients[client];
}

/* Names for the event timeline. */
static const char *smc_func_name(uint32_t fid)
{
	switch (fid) {
	case OPTEE_SMC_CALL_WITH_ARG: return "CALL_WITH_ARG";
	case OPTEE_SMC_CALL_WITH_RPC_ARG: return "CALL_WITH_RPC_ARG";
	case OPTEE_SMC_CALL_WITH_REGD_ARG: return "CALL_WITH_REGD_ARG";
	case OPTEE_SMC_CALL_RETURN_FROM_RPC: return "RETURN_FROM_RPC";
	case OPTEE_SMC_EXCHANGE_CAPABILITIES: return "EXCHANGE_CAPABILITIES";
	case OPTEE_SMC_GET_SHM_CONFIG: return "GET_SHM_CONFIG";
	case OPTEE_SMC_GET_THREAD_COUNT: return "GET_THREAD_COUNT";
	case OPTEE_SMC_DISABLE_SHM_CACHE: return "DISABLE_SHM_CACHE";
	case OPTEE_SMC_ENABLE_SHM_CACHE: return "ENABLE_SHM_CACHE";
	case OPTEE_SMC_VM_CREATED: return "VM_CREATED";
	case OPTEE_SMC_VM_DESTROYED: return "VM_DESTROYED";
	default: return "SMC";
	}
}

static const char *smc_return_name(uint32_t a0)
{
	static const char *const rpc[] = { "ALLOC", "?", "FREE", "?", "FOREIGN_INTR", "CMD" };

	if (optee_smc_return_is_rpc(a0)) {
		uint32_t f = a0 & OPTEE_SMC_RETURN_RPC_FUNC_MASK;

		return f < sizeof(rpc) / sizeof(rpc[0]) ? rpc[f] : "?";
	}
	switch (a0) {
	case OPTEE_SMC_RETURN_OK: return "OK";
	case OPTEE_SMC_RETURN_ETHREAD_LIMIT: return "ETHREAD_LIMIT";
	case OPTEE_SMC_RETURN_EBUSY: return "EBUSY";
	case OPTEE_SMC_RETURN_ERESUME: return "ERESUME";
	case OPTEE_SMC_RETURN_EBADADDR: return "EBADADDR";
	case OPTEE_SMC_RETURN_EBADCMD: return "EBADCMD";
	case OPTEE_SMC_RETURN_ENOMEM: return "ENOMEM";
	case OPTEE_SMC_RETURN_ENOTAVAIL: return "ENOTAVAIL";
	default: return "UNKNOWN_FUNCTION";
	}
}

void sw_smc(void *ctx, struct smc_regs *r)
{
	struct secure_world *sw = ctx;
	uint32_t fid = (uint32_t)r->a[0], client = (uint32_t)r->a[7];
	bool fast = optee_smc_is_fast_call(fid);
	struct sw_client *c;

	pthread_mutex_lock(&sw->lock);
	c = sw->stopping ? NULL : caller(sw, client, fast);
	if (!c) {
		set_regs(r, OPTEE_SMC_RETURN_ENOTAVAIL, 0, 0, 0);
		/* A refused client has no books; count it where the caller may look: client 0. */
		sw->clients[0].stats.smc_enotavail++;
		pthread_mutex_unlock(&sw->lock);
		return;
	}
	sw->smcs++;
	sw_event(sw, client, "smc    %s", smc_func_name(fid));
	if (fast) {
		c->stats.fast_calls++;
		fast_call(sw, client, r);
	} else {
		yielding_call(sw, (uint16_t)client, r);
	}
	/*
	 * c is still valid: a client's slot outlives its VM.  DISABLE_SHM_CACHE
	 * ends its list with ENOTAVAIL: an answer, not a failure.
	 */
	sw_event(sw, client, "%s %s", optee_smc_return_is_rpc((uint32_t)r->a[0]) ? "rpc   " : "return",
		 smc_return_name((uint32_t)r->a[0]));
	if (!optee_smc_return_is_rpc((uint32_t)r->a[0]) &&
	    !(fid == OPTEE_SMC_DISABLE_SHM_CACHE &&
	      (uint32_t)r->a[0] == OPTEE_SMC_RETURN_ENOTAVAIL))
		count_smc_failure(&c->stats, (uint32_t)r->a[0]);
	pthread_mutex_unlock(&sw->lock);
}

/* ---- Books and checks ---- */

int sw_client_stats(struct secure_world *sw, uint16_t client, struct sw_stats *out)
{
	if (client >= sw->n_clients)
		return TS_EINVAL;
	pthread_mutex_lock(&sw->lock);
	*out = sw->clients[client].stats;
	pthread_mutex_unlock(&sw->lock);
	return 0;
}

void sw_stats_total(struct secure_world *sw, struct sw_stats *out)
{
	uint32_t i;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&sw->lock);
	for (i = 0; i < sw->n_clients; i++) {
		const struct sw_stats *s = &sw->clients[i].stats;

#define SW_STATS_ADD(name) out->name += s->name;
		SW_STATS_FIELDS(SW_STATS_ADD)
#undef SW_STATS_ADD
	}
	pthread_mutex_unlock(&sw->lock);
}

int sw_client_info(struct secure_world *sw, uint16_t client, struct sw_client_info *out)
{
	const struct sw_client *c;
	uint32_t i;

	if (client >= sw->n_clients)
		return TS_EINVAL;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&sw->lock);
	c = &sw->clients[client];
	out->alive = c->alive;
	for (i = 0; i < sw->cfg.num_threads; i++) {
		const struct sw_thread *t = &sw->threads[i];

		if (t->state == SW_THREAD_FREE || t->client != client)
			continue;
		if (t->state == SW_THREAD_SUSPENDED)
			out->threads_suspended++;
		else
			out->threads_running++;
	}
	out->sessions = c->n_sessions;
	out->shm_registered = c->n_shm;
	out->shm_deferred = c->n_shm_deferred;
	out->mappings = c->n_mappings;
	pthread_mutex_unlock(&sw->lock);
	return 0;
}

/* Mappings a call holds right now (the arg, memrefs, RPC arg and buffers). */
static uint64_t call_mappings(const struct sw_call *call)
{
	const struct sw_rpc_shm *s;
	uint64_t n = sw_mobj_is_mapped(&call->arg_mobj) + sw_mobj_is_mapped(&call->rpc_arg_mobj);
	uint32_t m;

	for (m = 0; m < SW_MSG_MAX_PARAMS; m++)
		n += sw_mobj_is_mapped(&call->tmem[m]);
	for (s = call->rpc_shms; s; s = s->next)
		n += sw_mobj_is_mapped(&s->mobj);
	return n;
}

/* Each mapping a book names is a live core_mm mapping of that client's VM. */
static int check_mobj(struct secure_world *sw, const struct sw_mobj *m, uint16_t client)
{
	const struct core_mapping *cm;

	if (!sw_mobj_is_mapped(m))
		return 0;
	cm = core_mm_find_mapping(&sw->mm, m->map_va);
	if (!cm || cm->vm != client || m->client != client || cm->n_pages != m->n_pages ||
	    !va_eq(core_mapping_va(cm), m->map_va))
		return TS_EFAULT;
	return 0;
}

static int check_threads(struct secure_world *sw, uint64_t *mappings, uint32_t *threads)
{
	uint32_t i, m;
	int rc;

	for (i = 0; i < sw->cfg.num_threads; i++) {
		struct sw_thread *t = &sw->threads[i];
		const struct sw_call *call = &t->call;
		const struct sw_rpc_shm *s;

		if (t->state == SW_THREAD_FREE) {
			if (t->secure_turn || call_mappings(call) || call->arg_shm)
				return TS_EINVAL;
			continue;
		}
		if (t->client >= sw->n_clients)
			return TS_EINVAL;
		threads[t->client]++;
		if (t->state == SW_THREAD_RUNNING && !t->secure_turn)
			return TS_EINVAL; /* running without the CPU: a lost hand-off */
		if (t->state == SW_THREAD_SUSPENDED) {
			/*
			 * Legitimately suspended: waiting on a known RPC of a live (or
			 * dying) client.  The turn may already be handed to it by a
			 * resume or an abandon that it has not woken up for yet; an
			 * abandon always comes with the turn.
			 */
			if ((t->abandon && !t->secure_turn) ||
			    !(sw->clients[t->client].alive || sw->clients[t->client].reclaiming) ||
			    (t->rpc_func != OPTEE_SMC_RETURN_RPC_ALLOC &&
			     t->rpc_func != OPTEE_SMC_RETURN_RPC_FREE &&
			     t->rpc_func != OPTEE_SMC_RETURN_RPC_CMD))
				return TS_EINVAL;
		}
		if (call->client != t->client && call->sw)
			return TS_EINVAL;
		mappings[t->client] += call_mappings(call);
		if ((rc = check_mobj(sw, &call->arg_mobj, t->client)) ||
		    (rc = check_mobj(sw, &call->rpc_arg_mobj, t->client)))
			return rc;
		for (m = 0; m < SW_MSG_MAX_PARAMS; m++) {
			if ((rc = check_mobj(sw, &call->tmem[m], t->client)))
				return rc;
			if (call->rmem[m])
				call->rmem[m]->check_refs++;
		}
		if (call->arg_shm)
			call->arg_shm->check_refs++;
		for (s = call->rpc_shms; s; s = s->next)
			if ((rc = check_mobj(sw, &s->mobj, t->client)))
				return rc;
	}
	return 0;
}

static int check_client_shm(struct secure_world *sw, uint16_t id, uint64_t *mappings)
{
	const struct sw_client *c = &sw->clients[id];
	uint32_t registered = 0, deferred = 0, n = 0;
	struct sw_shm *s;
	int rc;

	for (s = c->shm_list; s; s = s->client_next) {
		if (++n > sw->shm.max || s->client != id ||
		    (s->client_next && s->client_next->client_prev != s))
			return TS_EINVAL;
		/* Every user is a call holding it; a released object waits only for users. */
		if (s->users != s->check_refs || (s->released && s->users == 0))
			return TS_EBUSY;
		if (s->released) {
			deferred++;
		} else {
			registered++;
			if (sw_shm_find(sw, id, s->cookie) != s)
				return TS_ENOENT;
		}
		if ((rc = check_mobj(sw, &s->mobj, id)))
			return rc;
		mappings[id] += sw_mobj_is_mapped(&s->mobj);
	}
	return registered == c->n_shm && deferred == c->n_shm_deferred ? 0 : TS_EINVAL;
}

int sw_check(struct secure_world *sw)
{
	uint64_t *mappings;
	uint32_t *threads, *sessions, i, shm_total = 0, deferred_total = 0;
	int rc;

	mappings = calloc(sw->n_clients, sizeof(*mappings));
	threads = calloc(sw->n_clients, sizeof(*threads));
	sessions = calloc(sw->n_clients, sizeof(*sessions));
	if (!mappings || !threads || !sessions) {
		rc = TS_ENOMEM;
		goto out_free;
	}
	pthread_mutex_lock(&sw->lock);
	if ((rc = core_mm_check(&sw->mm)))
		goto out;
	for (i = 0; i < sw->n_clients; i++) {
		struct sw_shm *s;

		for (s = sw->clients[i].shm_list; s; s = s->client_next)
			s->check_refs = 0;
	}
	if ((rc = check_threads(sw, mappings, threads)))
		goto out;
	for (i = 0; i < sw->sessions.n_slots; i++) {
		const struct sw_session *s = &sw->sessions.slots[i];

		if (!s->id)
			continue;
		if (s->client >= sw->n_clients ||
		    !(sw->clients[s->client].alive || sw->clients[s->client].reclaiming) ||
		    !s->ta ||
		    sw_session_find(&sw->sessions, s->client, s->id) != s) {
			rc = TS_EINVAL;
			goto out;
		}
		sessions[s->client]++;
	}
	for (i = 0; i < sw->n_clients; i++) {
		const struct sw_client *c = &sw->clients[i];

		if ((rc = check_client_shm(sw, (uint16_t)i, mappings)))
			goto out;
		if (sw->strategy.ops->mappings_held)
			mappings[i] += sw->strategy.ops->mappings_held(&sw->strategy, (uint16_t)i);
		shm_total += c->n_shm;
		deferred_total += c->n_shm_deferred;
		/* Our books, the memory manager's, and the counters all agree. */
		if (threads[i] != c->n_threads || sessions[i] != c->n_sessions ||
		    mappings[i] != c->n_mappings ||
		    (i < sw->mm.cfg.max_vms && c->n_mappings != sw->mm.vms[i].n_mappings) ||
		    (!c->alive && !c->reclaiming &&
		     (c->n_threads || c->n_sessions || c->n_shm || c->n_shm_deferred ||
		      c->n_mappings))) {
			rc = TS_EINVAL;
			goto out;
		}
	}
	/* Memory in use was never more than memory reserved for sharing (sw_metrics.h). */
	if (shm_total != sw->shm.n_registered || deferred_total != sw->shm.n_deferred ||
	    sw->sessions.n_used > sw->sessions.n_slots ||
	    usage_track_check(&sw->metrics.usage) || sw->metrics.usage.bad_samples)
		rc = TS_EINVAL;
	else if (sw->strategy.ops->check)
		rc = sw->strategy.ops->check(&sw->strategy);
out:
	pthread_mutex_unlock(&sw->lock);
out_free:
	free(mappings);
	free(threads);
	free(sessions);
	return rc;
}
