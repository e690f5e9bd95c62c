/*
 * Normal-world OP-TEE driver: probe, the CPU (conduit) pool, and the life of
 * one message: arg buffer (from the strategy), SMC, RPC loop, ETHREAD_LIMIT
 * waits, results.
 * Follows Linux drivers/tee/optee/smc_abi.c in behaviour (see optee_drv.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/normal/optee_drv_internal.h"
#include "sim/normal/optee_supp.h"

#define DEFAULT_ETHREAD_RETRY_MS 1u
#define DEFAULT_ETHREAD_WAIT_MAX_MS 20000u

/* ---- CPUs ---- */

static size_t cpu_get(struct optee_drv *drv)
{
	size_t i;

	pthread_mutex_lock(&drv->cpu_lock);
	for (;;) {
		for (i = 0; i < drv->n_conduits; i++)
			if (!drv->conduit_busy[i])
				break;
		if (i < drv->n_conduits)
			break;
		pthread_cond_wait(&drv->cpu_free, &drv->cpu_lock);
	}
	drv->conduit_busy[i] = true;
	pthread_mutex_unlock(&drv->cpu_lock);
	return i;
}

static void cpu_put(struct optee_drv *drv, size_t i)
{
	pthread_mutex_lock(&drv->cpu_lock);
	drv->conduit_busy[i] = false;
	pthread_cond_signal(&drv->cpu_free);
	pthread_mutex_unlock(&drv->cpu_lock);
}

static int smc(struct optee_drv *drv, size_t cpu, struct smc_regs *regs)
{
	DRV_COUNT(drv, smc);
	return smc_conduit_call(&drv->conduits[cpu], regs);
}

int optee_drv_raw_smc(struct optee_drv *drv, struct smc_regs *regs)
{
	size_t cpu = cpu_get(drv);
	int rc = smc(drv, cpu, regs);

	cpu_put(drv, cpu);
	if (rc)
		DRV_COUNT(drv, transport_failures);
	return rc;
}

static int fast_call(struct optee_drv *drv, uint32_t func, uint64_t a1, struct smc_regs *regs)
{
	size_t cpu = cpu_get(drv);
	int rc;

	memset(regs, 0, sizeof(*regs));
	regs->a[0] = func;
	regs->a[1] = a1;
	DRV_COUNT(drv, fast_calls);
	rc = smc(drv, cpu, regs);
	cpu_put(drv, cpu);
	if (rc)
		DRV_COUNT(drv, transport_failures);
	return rc;
}

/* ---- Probe ---- */

static int probe(struct optee_drv *drv)
{
	struct optee_drv_info *info = &drv->info;
	struct smc_regs r;
	uint64_t nsec_caps = 0;

	/* As Linux: tell a uniprocessor secure world it may skip SMP care. */
	if (drv->n_conduits == 1)
		nsec_caps |= OPTEE_SMC_NSEC_CAP_UNIPROCESSOR;
	if (fast_call(drv, OPTEE_SMC_EXCHANGE_CAPABILITIES, nsec_caps, &r))
		return TS_EIO;
	if ((uint32_t)r.a[0] != OPTEE_SMC_RETURN_OK)
		return TS_ENOSYS;
	info->sec_caps = (uint32_t)r.a[1];
	info->rpc_param_count = (uint32_t)(r.a[3] & 0xff);
	info->rpc_arg = (info->sec_caps & OPTEE_SMC_SEC_CAP_RPC_ARG) && !drv->no_rpc_arg;
	if (!(info->sec_caps &
	      (OPTEE_SMC_SEC_CAP_DYNAMIC_SHM | OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM)))
		return TS_ENOSYS;

	if (info->sec_caps & OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM) {
		if (fast_call(drv, OPTEE_SMC_GET_SHM_CONFIG, 0, &r))
			return TS_EIO;
		if ((uint32_t)r.a[0] == OPTEE_SMC_RETURN_OK && r.a[2]) {
			info->have_carveout = true;
			info->carveout_base = pa_init(r.a[1]);
			info->carveout_bytes = r.a[2];
			info->carveout_cached = r.a[3] == OPTEE_SMC_SHM_CACHED;
		}
	}

	if (fast_call(drv, OPTEE_SMC_GET_THREAD_COUNT, 0, &r))
		return TS_EIO;
	if ((uint32_t)r.a[0] == OPTEE_SMC_RETURN_OK)
		info->thread_count = (uint32_t)r.a[1];
	return 0;
}

int optee_drv_create(const struct optee_drv_config *cfg, struct optee_drv **out)
{
	struct strategy_params params;
	struct optee_drv *drv;
	int rc;

	if (!cfg || !cfg->mem || !cfg->conduits || cfg->n_conduits == 0)
		return TS_EINVAL;
	if (cfg->err && cfg->err_bytes)
		cfg->err[0] = '\0';
	if (cfg->strategy)
		params = *cfg->strategy;
	else
		strategy_params_default(STRATEGY_DYNAMIC, &params);
	/* Refuse a strategy we cannot run before talking to the secure world. */
	rc = nw_strategy_available(params.id, cfg->err, cfg->err_bytes);
	if (rc)
		return rc;
	drv = calloc(1, sizeof(*drv));
	if (!drv)
		return TS_ENOMEM;
	drv->mem = cfg->mem;
	drv->n_conduits = cfg->n_conduits;
	drv->no_rpc_arg = cfg->no_rpc_arg;
	drv->carveout_host = cfg->carveout_host;
	drv->copy_event = cfg->copy_event;
	drv->copy_event_ctx = cfg->copy_event_ctx;
	drv->ethread_retry_ms = cfg->ethread_retry_ms ? cfg->ethread_retry_ms
						      : DEFAULT_ETHREAD_RETRY_MS;
	drv->ethread_wait_max_ms = cfg->ethread_wait_max_ms ? cfg->ethread_wait_max_ms
							    : DEFAULT_ETHREAD_WAIT_MAX_MS;
	drv->conduits = calloc(cfg->n_conduits, sizeof(*drv->conduits));
	drv->conduit_busy = calloc(cfg->n_conduits, sizeof(*drv->conduit_busy));
	if (!drv->conduits || !drv->conduit_busy) {
		rc = TS_ENOMEM;
		goto err_free;
	}
	memcpy(drv->conduits, cfg->conduits, cfg->n_conduits * sizeof(*drv->conduits));
	rc = optee_shm_table_init(drv);
	if (rc)
		goto err_free;
	rc = optee_supp_create(&drv->supp);
	if (rc)
		goto err_table;
	pthread_mutex_init(&drv->cpu_lock, NULL);
	pthread_cond_init(&drv->cpu_free, NULL);
	pthread_mutex_init(&drv->lock, NULL);
	pthread_mutex_init(&drv->done_lock, NULL);
	pthread_cond_init(&drv->done_cond, NULL);
	rc = probe(drv);
	if (!rc) {
		drv->info.strategy = params.id;
		rc = nw_strategy_init(&drv->strategy, drv, &params, cfg->err, cfg->err_bytes);
	}
	if (rc) {
		optee_drv_destroy(drv);
		return rc;
	}
	*out = drv;
	return 0;

err_table:
	optee_shm_table_fini(drv);
err_free:
	free(drv->conduits);
	free(drv->conduit_busy);
	free(drv);
	return rc;
}

/*
 * As Linux's optee_disable_shm_cache at driver removal: the secure world
 * hands back, one per call, the buffers it kept of ours (a strategy's pool),
 * and we free each.  Bounded, and EBUSY ends it: every call is over by now.
 */
static void disable_shm_cache(struct optee_drv *drv)
{
	struct smc_regs r;
	uint32_t i;

	for (i = 0; i < 1u << 16; i++) {
		if (fast_call(drv, OPTEE_SMC_DISABLE_SHM_CACHE, 0, &r) ||
		    (uint32_t)r.a[0] != OPTEE_SMC_RETURN_OK)
			return;
		if (!optee_rpc_shm_free(drv, optee_smc_reg_pair_to_u64((uint32_t)r.a[1],
								       (uint32_t)r.a[2]),
					OPTEE_SHM_KIND_RPC_BUF))
			DRV_COUNT(drv, rpc_cmd_failed);
	}
}

void optee_drv_destroy(struct optee_drv *drv)
{
	if (!drv)
		return;
	/*
	 * The strategy first: what it keeps (caches, pools) is given back while
	 * it can still send messages; then what the secure world keeps of ours;
	 * then what clients left behind.
	 */
	nw_strategy_fini(&drv->strategy);
	if (drv->strategy.drv)
		disable_shm_cache(drv);
	optee_shm_free_all(drv);
	optee_supp_destroy(drv->supp);
	optee_shm_table_fini(drv);
	pthread_cond_destroy(&drv->done_cond);
	pthread_mutex_destroy(&drv->done_lock);
	pthread_mutex_destroy(&drv->lock);
	pthread_cond_destroy(&drv->cpu_free);
	pthread_mutex_destroy(&drv->cpu_lock);
	free(drv->conduits);
	free(drv->conduit_busy);
	free(drv);
}

const struct optee_drv_info *optee_drv_get_info(const struct optee_drv *drv)
{
	return &drv->info;
}

struct guest_mem *optee_drv_mem(const struct optee_drv *drv)
{
	return drv->mem;
}

struct nw_strategy *optee_drv_strategy(struct optee_drv *drv)
{
	return &drv->strategy;
}

/* ---- ETHREAD_LIMIT waiting ---- */

static uint64_t completions(struct optee_drv *drv)
{
	uint64_t n;

	pthread_mutex_lock(&drv->done_lock);
	n = drv->calls_completed;
	pthread_mutex_unlock(&drv->done_lock);
	return n;
}

static void call_completed(struct optee_drv *drv)
{
	pthread_mutex_lock(&drv->done_lock);
	drv->calls_completed++;
	pthread_cond_broadcast(&drv->done_cond);
	pthread_mutex_unlock(&drv->done_lock);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Wait until one of our calls completes since `seen` (a secure thread is
 * probably free again) or retry_ms pass (threads freed by other guests do not
 * wake us).  Like Linux's optee_cq_wait_for_completion, plus the timeout.
 */
static void wait_for_thread(struct optee_drv *drv, uint64_t seen)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)drv->ethread_retry_ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&drv->done_lock);
	while (drv->calls_completed == seen) {
		if (pthread_cond_timedwait(&drv->done_cond, &drv->done_lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&drv->done_lock);
}

/* ---- One message ---- */

TEE_Result optee_drv_do_msg(struct optee_drv *drv, struct optee_drv_msg *msg,
			    uint32_t *ret_origin)
{
	size_t call_bytes = OPTEE_MSG_GET_ARG_SIZE(msg->n_params);
	struct optee_rpc_ctx rc = { 0 };
	struct optee_msg_arg hdr;
	struct smc_regs call_regs, regs;
	struct nw_arg a;
	TEE_Result res = TEE_SUCCESS;
	uint64_t waited_since = 0;
	uint8_t *arg;
	size_t cpu;
	bool have_cpu = false;

	*ret_origin = TEE_ORIGIN_COMMS;
	if (msg->n_params > OPTEE_DRV_MAX_PARAMS + 2)
		return TEE_ERROR_BAD_PARAMETERS;
	/* The strategy picks the arg buffer and the call that carries it. */
	if (nw_arg_get(&drv->strategy, call_bytes, &a))
		return TEE_ERROR_OUT_OF_MEMORY;
	arg = a.host;

	memset(&hdr, 0, sizeof(hdr));
	hdr.cmd = msg->cmd;
	hdr.func = msg->func;
	hdr.session = msg->session;
	hdr.cancel_id = msg->cancel_id;
	hdr.num_params = msg->n_params;
	memcpy(arg, &hdr, sizeof(hdr));
	memcpy(arg + sizeof(hdr), msg->params, msg->n_params * sizeof(msg->params[0]));
	rc.rpc_arg = a.rpc_arg;
	rc.rpc_arg_max_params = a.rpc_arg_max_params;

	memset(&call_regs, 0, sizeof(call_regs));
	call_regs.a[0] = a.smc_func;
	call_regs.a[1] = optee_smc_u64_high(a.smc_ref);
	call_regs.a[2] = optee_smc_u64_low(a.smc_ref);
	call_regs.a[3] = a.smc_offs;
	/* a3 0 as Linux (but REGD_ARG's offset); a7 0: the hypervisor puts the client id. */
	regs = call_regs;

	DRV_COUNT(drv, calls);
	DRV_COUNT(drv, calls_in_flight);
	for (;;) {
		uint64_t seen;
		uint32_t a0;

		if (!have_cpu) {
			cpu = cpu_get(drv);
			have_cpu = true;
		}
		seen = completions(drv);
		if (smc(drv, cpu, &regs)) {
			DRV_COUNT(drv, transport_failures);
			res = TEE_ERROR_COMMUNICATION;
			break;
		}
		a0 = (uint32_t)regs.a[0];
		if (a0 == OPTEE_SMC_RETURN_ETHREAD_LIMIT) {
			/* All secure threads busy: give the CPU back and wait for one. */
			DRV_COUNT(drv, ethread_limit);
			cpu_put(drv, cpu);
			have_cpu = false;
			if (!waited_since) {
				waited_since = now_ms();
			} else if (now_ms() - waited_since > drv->ethread_wait_max_ms) {
				DRV_COUNT(drv, ethread_giveups);
				res = TEE_ERROR_BUSY;
				break;
			}
			wait_for_thread(drv, seen);
			regs = call_regs;
			continue;
		}
		if (optee_smc_return_is_rpc(a0)) {
			optee_rpc_handle(drv, &rc, &regs);
			continue;
		}
		if (a0 != OPTEE_SMC_RETURN_OK) {
			DRV_COUNT(drv, bad_returns);
			res = TEE_ERROR_COMMUNICATION;
		}
		break;
	}
	if (have_cpu)
		cpu_put(drv, cpu);
	optee_rpc_finish(drv, &rc);
	DRV_UNCOUNT(drv, calls_in_flight);
	call_completed(drv);

	if (res == TEE_SUCCESS) {
		/* Read the answer once into our copy; interpret only that copy. */
		memcpy(&hdr, arg, sizeof(hdr));
		memcpy(msg->params, arg + sizeof(hdr), msg->n_params * sizeof(msg->params[0]));
		msg->session = hdr.session;
		msg->ret = hdr.ret;
		msg->ret_origin = hdr.ret_origin;
		res = hdr.ret;
		*ret_origin = hdr.ret_origin;
	}
	nw_arg_put(&drv->strategy, &a);
	return res;
}

/* ---- Parameters ---- */

static bool attr_is_output(uint32_t type)
{
	switch (type) {
	case OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
	case OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
	case OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
	case OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
	case OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
	case OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
		return true;
	default:
		return false;
	}
}

/* Driver params to message params.  TEE_SUCCESS or BAD_PARAMETERS. */
static TEE_Result params_to_msg(struct optee_drv *drv, const struct optee_drv_param *p,
				size_t n, struct optee_msg_param *mp)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&mp[i], 0, sizeof(mp[i]));
		mp[i].attr = p[i].attr;
		switch (p[i].attr) {
		case OPTEE_MSG_ATTR_TYPE_NONE:
			break;
		case OPTEE_MSG_ATTR_TYPE_VALUE_INPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			mp[i].u.value.a = p[i].u.value.a;
			mp[i].u.value.b = p[i].u.value.b;
			mp[i].u.value.c = p[i].u.value.c;
			break;
		case OPTEE_MSG_ATTR_TYPE_RMEM_INPUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_INPUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_INOUT: {
			const struct optee_shm *shm = p[i].u.memref.shm;
			bool tmem = p[i].attr >= OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;

			if (!shm) {
				/* Only the NULL memref travels as tmem without a buffer. */
				if (!tmem || p[i].u.memref.size_bytes ||
				    !(drv->info.sec_caps & OPTEE_SMC_SEC_CAP_MEMREF_NULL))
					return TEE_ERROR_BAD_PARAMETERS;
				break;
			}
			if (shm->drv != drv || p[i].u.memref.offs_bytes > shm->size_bytes ||
			    p[i].u.memref.size_bytes > shm->size_bytes - p[i].u.memref.offs_bytes)
				return TEE_ERROR_BAD_PARAMETERS;
			if (shm->static_pa) {
				/*
				 * Carveout memory is never registered: it travels by
				 * address, as Linux sends pool shm without dynamic shm.
				 */
				mp[i].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT +
					     (p[i].attr - (tmem ? OPTEE_MSG_ATTR_TYPE_TMEM_INPUT
								: OPTEE_MSG_ATTR_TYPE_RMEM_INPUT));
				mp[i].u.tmem.buf_ptr = pa_addr(shm->pages[0]) + shm->offset_bytes +
						       p[i].u.memref.offs_bytes;
				mp[i].u.tmem.size = p[i].u.memref.size_bytes;
				mp[i].u.tmem.shm_ref = shm->cookie;
				break;
			}
			/* Other buffers are registered and named by cookie. */
			if (tmem || !shm->registered)
				return TEE_ERROR_BAD_PARAMETERS;
			mp[i].u.rmem.offs = p[i].u.memref.offs_bytes;
			mp[i].u.rmem.size = p[i].u.memref.size_bytes;
			mp[i].u.rmem.shm_ref = shm->cookie;
			break;
		}
		default:
			return TEE_ERROR_BAD_PARAMETERS;
		}
	}
	return TEE_SUCCESS;
}

/* Copy outputs back; memref sizes as the secure world set them. */
static void params_from_msg(struct optee_drv_param *p, size_t n, const struct optee_msg_param *mp)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!attr_is_output(p[i].attr))
			continue;
		switch (p[i].attr) {
		case OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			p[i].u.value.a = mp[i].u.value.a;
			p[i].u.value.b = mp[i].u.value.b;
			p[i].u.value.c = mp[i].u.value.c;
			break;
		default:
			/* rmem.size and tmem.size share an offset in the union. */
			p[i].u.memref.size_bytes = (size_t)mp[i].u.rmem.size;
			break;
		}
	}
}

void optee_uuid_to_octets(uint8_t d[16], uint32_t time_low, uint16_t time_mid,
			  uint16_t time_hi_and_version, const uint8_t clock_seq_and_node[8])
{
	d[0] = (uint8_t)(time_low >> 24);
	d[1] = (uint8_t)(time_low >> 16);
	d[2] = (uint8_t)(time_low >> 8);
	d[3] = (uint8_t)time_low;
	d[4] = (uint8_t)(time_mid >> 8);
	d[5] = (uint8_t)time_mid;
	d[6] = (uint8_t)(time_hi_and_version >> 8);
	d[7] = (uint8_t)time_hi_and_version;
	memcpy(d + 8, clock_seq_and_node, 8);
}

TEE_Result optee_drv_open_session(struct optee_drv *drv, const uint8_t ta_uuid[16],
				  uint32_t login, const uint8_t client_uuid[16],
				  struct optee_drv_param *params, size_t n_params,
				  uint32_t *session, uint32_t *ret_origin)
{
	struct optee_drv_msg msg;
	TEE_Result res;

	*ret_origin = TEE_ORIGIN_API;
	if (n_params > OPTEE_DRV_MAX_PARAMS || (n_params && !params))
		return TEE_ERROR_BAD_PARAMETERS;
	memset(&msg, 0, sizeof(msg));
	msg.cmd = OPTEE_MSG_CMD_OPEN_SESSION;
	msg.n_params = (uint32_t)n_params + 2;
	/* The UUID octets lie in value.a/b in memory order, as Linux copies them. */
	msg.params[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | OPTEE_MSG_ATTR_META;
	memcpy(&msg.params[0].u.value, ta_uuid, 16);
	msg.params[1].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | OPTEE_MSG_ATTR_META;
	if (client_uuid)
		memcpy(&msg.params[1].u.value, client_uuid, 16);
	msg.params[1].u.value.c = login;
	res = params_to_msg(drv, params, n_params, msg.params + 2);
	if (res)
		return res;
	res = optee_drv_do_msg(drv, &msg, ret_origin);
	if (*ret_origin != TEE_ORIGIN_COMMS || res == TEE_SUCCESS)
		params_from_msg(params, n_params, msg.params + 2);
	if (res == TEE_SUCCESS)
		*session = msg.session;
	return res;
}

TEE_Result optee_drv_invoke(struct optee_drv *drv, uint32_t session, uint32_t func,
			    uint32_t cancel_id, struct optee_drv_param *params, size_t n_params,
			    uint32_t *ret_origin)
{
	struct optee_drv_msg msg;
	TEE_Result res;

	*ret_origin = TEE_ORIGIN_API;
	if (n_params > OPTEE_DRV_MAX_PARAMS || (n_params && !params))
		return TEE_ERROR_BAD_PARAMETERS;
	memset(&msg, 0, sizeof(msg));
	msg.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	msg.func = func;
	msg.session = session;
	msg.cancel_id = cancel_id;
	msg.n_params = (uint32_t)n_params;
	res = params_to_msg(drv, params, n_params, msg.params);
	if (res)
		return res;
	res = optee_drv_do_msg(drv, &msg, ret_origin);
	/* Outputs are valid whenever the secure world answered (SHORT_BUFFER sizes). */
	if (*ret_origin != TEE_ORIGIN_COMMS || res == TEE_SUCCESS)
		params_from_msg(params, n_params, msg.params);
	return res;
}

TEE_Result optee_drv_close_session(struct optee_drv *drv, uint32_t session,
				   uint32_t *ret_origin)
{
	struct optee_drv_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.cmd = OPTEE_MSG_CMD_CLOSE_SESSION;
	msg.session = session;
	return optee_drv_do_msg(drv, &msg, ret_origin);
}

TEE_Result optee_drv_cancel(struct optee_drv *drv, uint32_t session, uint32_t cancel_id,
			    uint32_t *ret_origin)
{
	struct optee_drv_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.cmd = OPTEE_MSG_CMD_CANCEL;
	msg.session = session;
	msg.cancel_id = cancel_id;
	return optee_drv_do_msg(drv, &msg, ret_origin);
}

/* ---- Books ---- */

void optee_drv_get_stats(struct optee_drv *drv, struct optee_drv_stats *out)
{
	memset(out, 0, sizeof(*out));
#define OPTEE_DRV_COUNTER_COPY(name) \
	out->name = atomic_load_explicit(&drv->cnt.name, memory_order_relaxed);
	OPTEE_DRV_COUNTERS(OPTEE_DRV_COUNTER_COPY)
#undef OPTEE_DRV_COUNTER_COPY
#define OPTEE_DRV_STRATEGY_COUNTER_COPY(name) \
	out->name = atomic_load_explicit(&drv->strategy.cnt.name, memory_order_relaxed);
	OPTEE_DRV_STRATEGY_COUNTERS(OPTEE_DRV_STRATEGY_COUNTER_COPY)
#undef OPTEE_DRV_STRATEGY_COUNTER_COPY
	out->bytes_copied = out->temp_bytes_in + out->temp_bytes_out + out->shadow_bytes_in +
			    out->shadow_bytes_out;
	pthread_mutex_lock(&drv->lock);
	out->shm_live = drv->n_shm;
	out->shm_registered = drv->n_registered;
	out->rpc_shm_live = drv->n_rpc_shm;
	out->pages_held = drv->shm_pages_held + drv->list_pages_held;
	pthread_mutex_unlock(&drv->lock);
	out->supp_objects = optee_supp_n_objects(drv->supp);
}

/* ---- Trace hook ---- */

void optee_drv_set_trace(struct optee_drv *drv, const struct optee_trace_ops *ops, void *ctx)
{
	drv->trace = ops;
	drv->trace_ctx = ctx;
}

void optee_drv_trace(struct optee_drv *drv, bool end, const struct optee_trace_op *op)
{
	const struct optee_trace_ops *t = drv->trace;

	if (!t)
		return;
	if (end && t->op_end)
		t->op_end(drv->trace_ctx, op);
	else if (!end && t->op_begin)
		t->op_begin(drv->trace_ctx, op);
}

void optee_drv_copied(struct optee_drv *drv, const char *what, uint64_t bytes)
{
	if (drv->copy_event)
		drv->copy_event(drv->copy_event_ctx, what, bytes);
}
