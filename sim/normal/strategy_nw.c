/*
 * The registry of normal-world strategy halves, by enum strategy_id, and
 * their life cycle inside a driver.  A strategy not listed here is known by
 * name (sim/common/strategy.c) but not implemented in the normal world yet.
 */
#include "sim/normal/strategy_nw.h"

#include <stdio.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/normal/optee_drv_internal.h"

size_t nw_arg_bytes(const struct optee_drv *drv, size_t call_bytes)
{
	return call_bytes +
	       (drv->info.rpc_arg ? OPTEE_MSG_GET_ARG_SIZE(drv->info.rpc_param_count) : 0);
}

void nw_arg_setup(const struct optee_drv *drv, struct nw_arg *a, uint8_t *host, paddr_t ipa,
		  size_t call_bytes)
{
	a->host = host;
	a->smc_ref = pa_addr(ipa);
	if (drv->info.rpc_arg) {
		a->smc_func = OPTEE_SMC_CALL_WITH_RPC_ARG;
		a->rpc_arg = host + call_bytes;
		a->rpc_arg_max_params = drv->info.rpc_param_count;
	} else {
		a->smc_func = OPTEE_SMC_CALL_WITH_ARG;
	}
}

extern const struct nw_strategy_ops nw_dynamic_ops;
extern const struct nw_strategy_ops nw_carveout_ops;
extern const struct nw_strategy_ops nw_rpc_ops;
extern const struct nw_strategy_ops nw_cached_ops;

static const struct nw_strategy_ops *const registry[STRATEGY_COUNT] = {
	[STRATEGY_CARVEOUT] = &nw_carveout_ops,
	[STRATEGY_DYNAMIC] = &nw_dynamic_ops,
	[STRATEGY_CACHED] = &nw_cached_ops,
	[STRATEGY_RPC] = &nw_rpc_ops,
};

const struct nw_strategy_ops *nw_strategy_lookup(enum strategy_id id)
{
	return (unsigned)id < STRATEGY_COUNT ? registry[id] : NULL;
}

int nw_strategy_available(enum strategy_id id, char *err, size_t err_bytes)
{
	const char *name = strategy_name(id);

	if (!name) {
		if (err && err_bytes)
			snprintf(err, err_bytes, "unknown strategy id %d", (int)id);
		return TS_EINVAL;
	}
	if (!registry[id]) {
		if (err && err_bytes)
			snprintf(err, err_bytes,
				 "strategy \"%s\": its normal-world half is not implemented yet",
				 name);
		return TS_ENOSYS;
	}
	return 0;
}

int nw_strategy_init(struct nw_strategy *s, struct optee_drv *drv,
		     const struct strategy_params *p, char *err, size_t err_bytes)
{
	const struct nw_strategy_ops *ops;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = nw_strategy_available(p->id, err, err_bytes);
	if (rc)
		return rc;
	ops = registry[p->id];
	s->drv = drv;
	s->params = *p;
	rc = ops->init ? ops->init(s, drv, p) : 0;
	if (rc) {
		if (err && err_bytes)
			snprintf(err, err_bytes, "strategy \"%s\": init failed: %s", ops->name,
				 s->refusal ? s->refusal : ts_strerror(rc));
		return rc;
	}
	s->ops = ops;
	return 0;
}

void nw_strategy_fini(struct nw_strategy *s)
{
	if (s->ops && s->ops->fini)
		s->ops->fini(s);
	/*
	 * The driver still sends its last messages (UNREGISTER_SHM of what
	 * clients left behind) after this: they get plain per-message arg
	 * buffers from the stateless dynamic half.
	 */
	s->ops = &nw_dynamic_ops;
	s->priv = NULL;
}
